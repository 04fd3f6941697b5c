use anyhow::Result;

use crate::cli::ConfigArgs;
use crate::context::Context;

pub fn run(_ctx: &Context, _args: ConfigArgs) -> Result<()> {
    anyhow::bail!("zpgp config is not built yet")
}
