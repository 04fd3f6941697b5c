//! GnuPG's machine-readable status lines (`--status-fd`), as GnuPG's
//! `doc/DETAILS` defines them: `[GNUPG:] KEYWORD ARGS…`, one per line.

use std::fs::File;
use std::io::Write;

use anyhow::{Context as _, Result};

/// Where status lines go: nowhere without `--status-fd`.
pub enum StatusFd {
    None,
    Stdout,
    Stderr,
    /// Another descriptor the caller opened for us.
    Other(File),
}

impl StatusFd {
    pub fn open(fd: Option<i32>) -> Result<StatusFd> {
        Ok(match fd {
            None => StatusFd::None,
            Some(1) => StatusFd::Stdout,
            Some(2) => StatusFd::Stderr,
            Some(n) => StatusFd::Other(File::from(
                crate::sys::dup_fd(n).with_context(|| format!("--status-fd {n}"))?,
            )),
        })
    }

    /// Writes one line at once, so that lines on a descriptor shared with
    /// other output (git signs with --status-fd=2) stay whole.
    pub fn line(&mut self, keyword: &str, args: &str) {
        let text = if args.is_empty() {
            format!("[GNUPG:] {keyword}")
        } else {
            format!("[GNUPG:] {keyword} {args}")
        };
        // Whoever reads the status may have gone (a closed pipe); the
        // exit code still tells.
        let _ = match self {
            StatusFd::None => Ok(()),
            StatusFd::Stdout => writeln!(std::io::stdout().lock(), "{text}"),
            StatusFd::Stderr => {
                crate::printer::gpg_status_line(&text);
                Ok(())
            }
            StatusFd::Other(f) => writeln!(f, "{text}"),
        };
    }
}

/// A user ID as a status line may carry it: DETAILS asks for `%XX` in
/// place of control characters (and of `%` itself), so that a hostile
/// user ID cannot end the line or fake another.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || c == '%' {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_cannot_make_lines() {
        assert_eq!(
            super::escape("Eve\n[GNUPG:] GOODSIG 100%"),
            "Eve%0A[GNUPG:] GOODSIG 100%25"
        );
    }
}
