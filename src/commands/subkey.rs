use anyhow::Result;

use crate::cli::SubkeyArgs;
use crate::context::Context;

pub fn run(_ctx: &Context, _args: SubkeyArgs) -> Result<()> {
    anyhow::bail!("zpgp subkey is not built yet")
}
