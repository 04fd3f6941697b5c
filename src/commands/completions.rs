//! `zpgp completions SHELL`: a completion script generated from the clap
//! definitions, so it always matches the commands.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell as Target;

use crate::cli::{CompletionsArgs, Shell};
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
    // clap_complete panics when it cannot write (`zpgp completions bash |
    // head`): the script is made in memory and written here instead.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "zpgp", &mut script);
    std::io::stdout().lock().write_all(&script)?;
    Ok(())
}

/// The whole command tree, with `zpgp sop`'s subcommands grafted in: the
/// main CLI hands `sop` its arguments unparsed, but they complete too.
pub fn command() -> clap::Command {
    crate::cli::whole_command().mut_subcommand("sop", |sop| {
        let about = sop.get_about().cloned();
        let mut sub = crate::sop::cli::SopCli::command().name("sop");
        if let Some(about) = about {
            sub = sub.about(about);
        }
        sub
    })
}
