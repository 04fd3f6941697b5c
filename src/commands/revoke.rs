use anyhow::Result;

use crate::cli::RevokeArgs;
use crate::context::Context;

pub fn run(_ctx: &Context, _args: RevokeArgs) -> Result<()> {
    anyhow::bail!("zpgp revoke is not built yet")
}
