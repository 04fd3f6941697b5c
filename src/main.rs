use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use zpgp::cli::Cli;
use zpgp::context::Context;
use zpgp::error::{failure_of, hint_of};

fn main() -> ExitCode {
    // `zpgp --version` alone needs no parser: building clap's whole
    // command tree would be most of its work after the process start.
    let mut args = std::env::args_os().skip(1);
    if let (Some(arg), None) = (args.next(), args.next()) {
        if arg == "--version" || arg == "-V" {
            let _ = writeln!(std::io::stdout(), "zpgp {}", zpgp::cli::crate_version());
            return ExitCode::SUCCESS;
        }
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = Context::new(cli.global, &cli.command)
        .and_then(|ctx| zpgp::commands::dispatch(&ctx, cli.command));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if zpgp::output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zpgp: error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  because: {cause}");
            }
            if let Some(hint) = hint_of(&e) {
                eprintln!("hint: {hint}");
            }
            let code = failure_of(&e).map(|f| f.exit_code()).unwrap_or(1);
            ExitCode::from(code as u8)
        }
    }
}
