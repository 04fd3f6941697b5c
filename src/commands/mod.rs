//! One module per subcommand: user words (queries, file names, flags) in,
//! keys and streams to the ops, a report out.

use anyhow::Result;

use crate::cli::Command;
use crate::context::Context;

mod delete;
mod export;
mod generate;
mod import;
mod list;
mod passwd;

pub fn dispatch(ctx: &Context, command: Command) -> Result<()> {
    match command {
        Command::Generate(args) => generate::run(ctx, args),
        Command::Import(args) => import::run(ctx, args),
        Command::Export(args) => export::run(ctx, args),
        Command::List(args) => list::run(ctx, args),
        Command::Delete(args) => delete::run(ctx, args),
        Command::Passwd(args) => passwd::run(ctx, args),
    }
}
