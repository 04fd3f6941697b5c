//! One voice for everything zpgp says on standard error, and for its JSON
//! reports.  The Context owns a `Printer` built from `-q`, `-v` and
//! `--json`; commands speak through it, libraries (the keyring, the ops)
//! return what they have to say, and nothing else writes to stderr.

use std::fmt::Display;
use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use crate::display::SafeText;

/// Where a command's JSON report goes: standard output when the report is
/// the product (`list`, `import`, `inspect`), standard error when standard
/// output carries data (`encrypt`, `decrypt`, `sign`, `verify`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportTo {
    Stdout,
    Stderr,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Printer {
    pub quiet: bool,
    pub verbose: bool,
    pub json: bool,
}

impl Printer {
    /// Chatter about the work done ("decrypted to …"), as the caller
    /// words it; nothing with `--quiet`.
    pub fn info(&self, msg: impl Display) {
        if !self.quiet {
            line(format_args!("{msg}"));
        }
    }

    /// A line the user must see even with `--quiet`: part of the
    /// conversation ("wrong passphrase, try again") or of a verdict (a bad
    /// signature).
    pub fn say(&self, msg: impl Display) {
        line(format_args!("zpgp: {msg}"));
    }

    /// A warning, even with `--quiet`.
    pub fn warn(&self, msg: impl Display) {
        line(format_args!("zpgp: warning: {msg}"));
    }

    /// Detail, only with `--verbose`.
    pub fn debug(&self, msg: impl Display) {
        if self.verbose {
            line(format_args!("zpgp: {msg}"));
        }
    }

    /// Whether a progress bar may be drawn: stderr is a terminal, and
    /// neither `--quiet` nor `--json` asked for silence or data.
    pub fn may_draw(&self) -> bool {
        use std::io::IsTerminal;
        !self.quiet && !self.json && std::io::stderr().is_terminal()
    }

    /// The command's JSON report, pretty-printed, on `to`.
    pub fn report<T: Serialize + ?Sized>(&self, to: ReportTo, value: &T) -> Result<()> {
        let text = serde_json::to_string_pretty(value)?;
        match to {
            ReportTo::Stdout => {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{text}")?;
                out.flush()?;
            }
            ReportTo::Stderr => line(format_args!("{text}")),
        }
        Ok(())
    }
}

/// A GnuPG status line for `zpgp-gpg --status-fd=2` (what git signs
/// with), written whole and as given: its reader parses it, and its
/// arguments are escaped by `gpg::status`.
pub fn gpg_status_line(text: &str) {
    line(format_args!("{text}"));
}

/// One line on standard error.  A closed or failing stderr is no reason to
/// fail the command whose product already went to stdout.
fn line(args: std::fmt::Arguments) {
    let _ = writeln!(std::io::stderr().lock(), "{args}");
}

/// Prints a failed command's error: the message, each cause on a
/// `because:` line and the hint, all escaped, as `PROGRAM: error: …`.
pub fn error(program: &str, e: &anyhow::Error) {
    line(format_args!(
        "{program}: error: {}",
        SafeText(&e.to_string())
    ));
    for cause in e.chain().skip(1) {
        line(format_args!("  because: {}", SafeText(&cause.to_string())));
    }
    if let Some(hint) = crate::error::hint_of(e) {
        // Also hints set on an error after it was made.
        #[cfg(debug_assertions)]
        crate::cli::check::assert_hint_parses(hint);
        line(format_args!("hint: {}", SafeText(hint)));
    }
}

/// Prints a failed command's error on one line, `PROGRAM: error: …`, as
/// SOP's callers expect.
pub fn error_line(program: &str, e: &anyhow::Error) {
    line(format_args!(
        "{}: error: {}",
        SafeText(program),
        SafeText(&crate::error::chain_text(e).replace('\n', " "))
    ));
}
