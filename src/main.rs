//! `zpgp`: parse the command line, build the Context, run the command and
//! turn its result into an exit code.  Unsafe code lives in `zpgp::sys` only.

#![deny(unsafe_code)]

use std::io::Write;
use std::process::ExitCode;

use zpgp::cli::Cli;
use zpgp::context::Context;
use zpgp::display::{SafeText, needs_escaping};
use zpgp::error::failure_of;

fn main() -> ExitCode {
    // First of all: this process will hold unlocked keys and plaintext.
    zpgp::sys::disable_core_dumps();
    // `zpgp --version` alone needs no parser: building clap's whole
    // command tree would be most of its work after the process start.
    let mut args = std::env::args_os().skip(1);
    if let (Some(arg), None) = (args.next(), args.next()) {
        if arg == "--version" || arg == "-V" {
            let _ = writeln!(std::io::stdout(), "zpgp {}", zpgp::cli::crate_version());
            return ExitCode::SUCCESS;
        }
    }
    let cli = match zpgp::cli::parse() {
        Ok(cli) => cli,
        Err(e) => {
            if e.use_stderr() && std::env::args_os().any(|a| needs_escaping(&a.to_string_lossy())) {
                print_usage_error_escaped(&e);
            } else {
                let _ = e.print();
            }
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = Context::new(cli.global, &cli.command)
        .and_then(|ctx| zpgp::commands::dispatch(&ctx, cli.command));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if zpgp::output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            if zpgp::error::is_reported(&e) {
                let code = failure_of(&e).map(|f| f.exit_code()).unwrap_or(1);
                return ExitCode::from(code as u8);
            }
            // Errors quote file names, user IDs and what the system said:
            // the printer escapes all of it.
            zpgp::printer::error("zpgp", &e);
            let code = failure_of(&e).map(|f| f.exit_code()).unwrap_or(1);
            ExitCode::from(code as u8)
        }
    }
}

/// clap quotes the arguments it rejects, which may be file names with
/// terminal escapes in them, and on a terminal it prints them raw among its
/// colours.  Parsed again without colours, its message is plain text but
/// for those arguments, which are then escaped like every other message.
fn print_usage_error_escaped(error: &clap::Error) {
    use clap::CommandFactory;
    let plain = Cli::command()
        .styles(clap::builder::Styles::plain())
        .try_get_matches();
    let text = match plain {
        Err(e) => e.render().ansi().to_string(),
        // Only the typed conversion failed: clap's own text with every
        // escape sequence stripped will do.
        Ok(_) => error.render().to_string(),
    };
    eprint!("{}", SafeText(&text));
}
