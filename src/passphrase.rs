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

/// Asks on the terminal; with `confirm`, twice, until both agree.
pub fn prompt(batch: bool, what: &str, confirm: bool) -> Result<Password> {
    if batch {
        return Err(Error::new(
            Failure::KeyIsProtected,
            format!("{what} is needed, but --batch forbids asking for it"),
        )
        .hint("give it with --passphrase-file FILE (or @ENV:NAME, @FD:N)")
        .into());
    }
    loop {
        let first = ask(&format!("{what}: "))?;
        if !confirm {
            return Ok(first);
        }
        let second = ask(&format!("{what} (again): "))?;
        if first == second {
            return Ok(first);
        }
        eprintln!("zpgp: the two entries differ; please try again.");
    }
}

fn ask(prompt: &str) -> Result<Password> {
    let answer = rpassword::prompt_password(prompt).map_err(|_| {
        Error::new(
            Failure::KeyIsProtected,
            "a passphrase is needed, but there is no terminal to ask on",
        )
        .hint("give it with --passphrase-file FILE (or @ENV:NAME, @FD:N)")
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
