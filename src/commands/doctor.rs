use anyhow::Result;

use crate::cli::DoctorArgs;
use crate::context::Context;

pub fn run(_ctx: &Context, _args: DoctorArgs) -> Result<()> {
    anyhow::bail!("zpgp doctor is not built yet")
}
