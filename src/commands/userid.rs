use anyhow::Result;

use crate::cli::UseridArgs;
use crate::context::Context;

pub fn run(_ctx: &Context, _args: UseridArgs) -> Result<()> {
    anyhow::bail!("zpgp userid is not built yet")
}
