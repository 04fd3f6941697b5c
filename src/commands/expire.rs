use anyhow::Result;

use crate::cli::ExpireArgs;
use crate::context::Context;

pub fn run(_ctx: &Context, _args: ExpireArgs) -> Result<()> {
    anyhow::bail!("zpgp expire is not built yet")
}
