use anyhow::Result;

use crate::cli::WatchArgs;
use crate::context::Context;

pub fn run(_ctx: &Context, _args: WatchArgs) -> Result<()> {
    anyhow::bail!("zpgp watch is not built yet")
}
