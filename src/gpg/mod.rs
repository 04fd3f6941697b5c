//! `zpgp-gpg`: the GnuPG-compatible front door for git (`gpg.program`).
//!
//! git runs its signing program with GnuPG's arguments and reads GnuPG's
//! status lines; this speaks exactly that much (see [`args`]) over the
//! same ops, keyring and config as `zpgp`.  git gives no `--home`: the
//! keyring is `$ZPGP_HOME`, else the default one, as for `zpgp`, and
//! `ZPGP_NO_AGENT` is honoured.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use crate::cli::{Command, GlobalArgs, Lazy, SignArgs, VerifyArgs};
use crate::context::Context;

pub mod args;
mod sign;
pub mod status;
mod verify;

use args::Action;

/// The global options from the environment alone (`ZPGP_HOME`,
/// `ZPGP_NO_AGENT`), resolved by the same definitions as zpgp's.
#[derive(Parser)]
#[command(name = "zpgp-gpg", no_binary_name = true)]
struct FromEnv {
    #[command(flatten)]
    global: GlobalArgs,
}

/// Runs `zpgp-gpg` with the process's arguments.
pub fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().skip(1).collect();
    let invocation = match args::parse(&argv) {
        Ok(i) => i,
        Err(e) => {
            crate::printer::error("zpgp-gpg", &anyhow::anyhow!(e.0));
            return ExitCode::from(2);
        }
    };
    let result = match &invocation.action {
        Action::Version => {
            let _ = writeln!(
                std::io::stdout(),
                "zpgp-gpg (zpgp) {}\n\
                 git's OpenPGP signing program over the zpgp keyring; it takes the arguments \
                 git passes to gpg, and no others.",
                crate::cli::crate_version()
            );
            return ExitCode::SUCCESS;
        }
        Action::Sign { key, armor } => {
            context(sign_command(*armor)).and_then(|ctx| sign::run(&ctx, &invocation, key, *armor))
        }
        Action::Verify { signature, data } => context(verify_command(signature))
            .and_then(|ctx| verify::run(&ctx, &invocation, signature, data.as_deref())),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            crate::printer::error("zpgp-gpg", &e);
            // gpg exits 2 on any error; zpgp's own code says more, and
            // git only asks whether it is 0.
            let code = crate::error::failure_of(&e).map_or(2, |f| f.exit_code());
            ExitCode::from(code as u8)
        }
    }
}

fn context(command: Command) -> Result<Context> {
    let env = FromEnv::try_parse_from(std::iter::empty::<OsString>())?;
    Context::new(env.global, &command)
}

/// The zpgp command this invocation amounts to, for the Context (which
/// asks, e.g., whether standard input holds data).
fn sign_command(armor: bool) -> Command {
    Command::Sign(Lazy(SignArgs {
        detached: true,
        clear: false,
        signer: Vec::new(),
        key_file: Vec::new(),
        armor,
        output: None,
        force: false,
        text: false,
        inputs: Vec::new(),
    }))
}

fn verify_command(signature: &std::path::Path) -> Command {
    Command::Verify(Lazy(VerifyArgs {
        signer: Vec::new(),
        require_auth: false,
        cert_file: Vec::new(),
        signature: Some(signature.to_path_buf()),
        output: None,
        force: false,
        inputs: Vec::new(),
    }))
}
