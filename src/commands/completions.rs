//! `zpgp completions SHELL`: a completion script generated from the clap
//! definitions, so it always matches the commands.

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell as Target;

use crate::cli::{Cli, CompletionsArgs, Shell};
use crate::context::Context;

pub fn run(_ctx: &Context, args: CompletionsArgs) -> Result<()> {
    let shell = match args.shell {
        Shell::Bash => Target::Bash,
        Shell::Zsh => Target::Zsh,
        Shell::Fish => Target::Fish,
        Shell::Elvish => Target::Elvish,
        Shell::Powershell => Target::PowerShell,
    };
    let mut cmd = command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut cmd, "zpgp", &mut out);
    Ok(())
}

/// The whole command tree, with `zpgp sop`'s subcommands grafted in: the
/// main CLI hands `sop` its arguments unparsed, but they complete too.
pub fn command() -> clap::Command {
    Cli::command().mut_subcommand("sop", |sop| {
        let about = sop.get_about().cloned();
        let mut sub = crate::sop::cli::SopCli::command().name("sop");
        if let Some(about) = about {
            sub = sub.about(about);
        }
        sub
    })
}
