//! Passphrases: indirect sources (`FILE`, `@ENV:NAME`, `@FD:N`) and the
//! terminal prompt.
//!
//! Passphrases live in sequoia's `Password`, which is kept encrypted in
//! memory and zeroed on drop; they never appear in an error message.

use std::io::Read;

use anyhow::{Context as _, Result};
use sequoia_openpgp::crypto::Password;

use crate::error::{Error, Failure, fail};

/// Reads the whole of an indirect parameter: a file path, `@ENV:NAME` or
/// `@FD:N`.
pub fn read_indirect(spec: &str) -> Result<Vec<u8>> {
    if let Some(name) = spec.strip_prefix("@ENV:") {
        return std::env::var_os(name)
            .map(std::os::unix::ffi::OsStringExt::into_vec)
            .ok_or_else(|| {
                fail(
                    Failure::MissingInput,
                    format!("environment variable {name} is not set"),
                )
            });
    }
    if let Some(fd) = spec.strip_prefix("@FD:") {
        return read_fd(fd_number(fd)?);
    }
    if spec.starts_with('@') && spec.contains(':') && !std::path::Path::new(spec).exists() {
        return Err(fail(
            Failure::UnsupportedSpecialPrefix,
            format!("unknown prefix in {spec:?}: use a file name, @ENV:NAME or @FD:N"),
        ));
    }
    std::fs::read(spec).map_err(|e| crate::error::unreadable(std::path::Path::new(spec), e))
}

/// The N of `@FD:N`.
pub fn fd_number(n: &str) -> Result<i32> {
    n.parse().map_err(|_| {
        fail(
            Failure::UnsupportedSpecialPrefix,
            format!("@FD: takes a file descriptor number, not {n:?}"),
        )
    })
}

fn read_fd(fd: i32) -> Result<Vec<u8>> {
    use std::os::fd::FromRawFd;
    if fd < 0 || unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
        return Err(fail(
            Failure::MissingInput,
            format!("file descriptor {fd} is not open"),
        ));
    }
    // The descriptor is the caller's to give; it is read once and closed.
    let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
    let mut buf = Vec::new();
    file.read_to_end(&mut buf)
        .with_context(|| format!("cannot read file descriptor {fd}"))?;
    Ok(buf)
}

/// A passphrase from an indirect parameter: its first line, without the
/// line ending.
pub fn from_indirect(spec: &str) -> Result<Password> {
    // Protected zeroes the buffer when dropped.
    let data = sequoia_openpgp::crypto::mem::Protected::from(read_indirect(spec)?);
    let line = data.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if std::str::from_utf8(line).is_err() {
        return Err(fail(
            Failure::PasswordNotHumanReadable,
            format!("the passphrase in {spec} is not valid UTF-8"),
        ));
    }
    Ok(Password::from(line))
}

/// Which secret is asked for: it decides the option that gives it in
/// scripts and the exit code when it cannot be had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Secret {
    /// A secret key's passphrase (--passphrase-file; exit 67).
    KeyPassphrase,
    /// A password to encrypt a message with (--password-file; exit 19).
    NewMessagePassword,
    /// A password to decrypt a message with (--password-file; exit 29).
    MessagePassword,
}

impl Secret {
    /// The option that gives this secret in scripts.
    pub fn option(self) -> &'static str {
        match self {
            Secret::KeyPassphrase => "--passphrase-file",
            Secret::NewMessagePassword | Secret::MessagePassword => "--password-file",
        }
    }

    fn failure(self) -> Failure {
        match self {
            Secret::KeyPassphrase => Failure::KeyIsProtected,
            Secret::NewMessagePassword => Failure::MissingArg,
            Secret::MessagePassword => Failure::CannotDecrypt,
        }
    }

    fn hint(self) -> String {
        format!("give it with {} FILE (or @ENV:NAME, @FD:N)", self.option())
    }
}

/// Asks on the terminal; with `confirm`, twice, until both agree.
pub fn prompt(batch: bool, what: &str, confirm: bool, secret: Secret) -> Result<Password> {
    if batch {
        return Err(Error::new(
            secret.failure(),
            format!("{what} is needed, but --batch forbids asking for it"),
        )
        .hint(secret.hint())
        .into());
    }
    loop {
        let first = ask(&format!("{what}: "), secret)?;
        if !confirm {
            return Ok(first);
        }
        let second = ask(&format!("{what} (again): "), secret)?;
        if first == second {
            return Ok(first);
        }
        eprintln!("zpgp: the two entries differ; please try again.");
    }
}

fn ask(prompt: &str, secret: Secret) -> Result<Password> {
    let answer = rpassword::prompt_password(prompt).map_err(|_| {
        Error::new(
            secret.failure(),
            format!(
                "{}, but there is no terminal to ask on",
                prompt.trim_end_matches([':', ' '])
            ),
        )
        .hint(secret.hint())
    })?;
    Ok(Password::from(answer))
}

/// Asks a yes/no question on the terminal; `false` unless the answer is yes.
pub fn confirm(question: &str) -> Result<bool> {
    use std::io::{BufRead, Write};
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| {
            Error::new(
                Failure::MissingArg,
                "confirmation is needed, but there is no terminal to ask on",
            )
            .hint("add --yes to confirm on the command line")
        })?;
    write!(&tty, "{question} [y/N] ")?;
    let mut line = String::new();
    std::io::BufReader::new(&tty).read_line(&mut line)?;
    Ok(matches!(line.trim().to_lowercase().as_str(), "y" | "yes"))
}
