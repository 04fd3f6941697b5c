//! SOP's rules for inputs and outputs: indirect parameters, passwords,
//! dates, output files that must not exist, and a standard output that
//! releases nothing until the operation has succeeded.

use std::io::{self, Write};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use sequoia_openpgp as openpgp;

use openpgp::Cert;
use openpgp::armor;
use openpgp::crypto::Password;
use openpgp::crypto::mem::Protected;
use openpgp::serialize::Serialize;

use crate::error::{Error, Failure, fail};
use crate::ops;
use crate::passphrase::Fds;

/// Reads an indirect input parameter: a file name, `@ENV:NAME` or
/// `@FD:N`.
///
/// A name that starts with `@` is a special designator; if a file of that
/// very name exists too, the input is ambiguous (AMBIGUOUS_INPUT).
pub fn read_input(spec: &str, fds: &Fds) -> Result<Protected> {
    if spec.starts_with('@') && Path::new(spec).exists() {
        return Err(fail(
            Failure::AmbiguousInput,
            format!("{spec:?} is both a special designator and an existing file"),
        ));
    }
    if spec.starts_with('@') && !spec.starts_with("@ENV:") && !spec.starts_with("@FD:") {
        return Err(fail(
            Failure::UnsupportedSpecialPrefix,
            format!("{spec:?}: unknown special designator (use @ENV:NAME or @FD:N)"),
        ));
    }
    crate::passphrase::read_indirect(spec, fds, None)
}

/// Reads the certificates (or keys) of an indirect parameter.
pub fn read_certs(spec: &str, fds: &Fds) -> Result<Vec<Cert>> {
    let data = read_input(spec, fds)?;
    ops::certs::read_certs(&data[..], spec)
}

/// Reads certificates from several indirect parameters, remembering
/// which parameter each came from.
pub fn read_certs_named(specs: &[String], fds: &Fds) -> Result<Vec<(Cert, String)>> {
    let mut out = Vec::new();
    for s in specs {
        for c in read_certs(s, fds)? {
            out.push((c, s.clone()));
        }
    }
    Ok(out)
}

/// Reads secret keys: every cert must carry secret key material.
pub fn read_keys(specs: &[String], fds: &Fds) -> Result<Vec<Cert>> {
    let mut out = Vec::new();
    for s in specs {
        let keys = read_certs(s, fds)?;
        ops::certs::require_secret(&keys, s)?;
        out.extend(keys);
    }
    Ok(out)
}

/// The whitespace the draft lets a password end with by accident (a
/// trailing newline from `echo`, mostly).
fn trim_end(b: &[u8]) -> &[u8] {
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &b[..end]
}

/// Passwords to try when consuming (decrypting, unlocking): each as
/// given, and without trailing whitespace when that differs.
pub fn passwords_to_try(specs: &[String], fds: &Fds) -> Result<Vec<Password>> {
    let mut out = Vec::new();
    for s in specs {
        let data = read_input(s, fds)?;
        out.push(Password::from(&data[..]));
        let trimmed = trim_end(&data);
        if trimmed.len() != data.len() {
            out.push(Password::from(trimmed));
        }
    }
    Ok(out)
}

/// A password for protecting something new (encrypting, setting a key
/// password): it must be UTF-8 (PASSWORD_NOT_HUMAN_READABLE otherwise),
/// and trailing whitespace is removed, as the draft asks.
pub fn new_password(spec: &str, fds: &Fds) -> Result<Password> {
    let data = read_input(spec, fds)?;
    let trimmed = trim_end(&data);
    if std::str::from_utf8(trimmed).is_err() {
        return Err(fail(
            Failure::PasswordNotHumanReadable,
            format!("the password in {spec} is not UTF-8"),
        ));
    }
    Ok(Password::from(trimmed))
}

/// An indirect output parameter, checked before any work is done.
pub enum OutTarget {
    File(std::path::PathBuf),
    /// A duplicate of the caller's descriptor, taken at start-up.
    Fd(std::fs::File),
}

/// Checks an indirect output: `@FD:N`, or a file that must not exist yet
/// (OUTPUT_EXISTS).  `@ENV:` cannot be written to.
pub fn out_target(spec: &str, fds: &Fds) -> Result<OutTarget> {
    if spec.starts_with('@') && Path::new(spec).exists() {
        return Err(fail(
            Failure::AmbiguousInput,
            format!("{spec:?} is both a special designator and an existing file"),
        ));
    }
    if let Some(fd) = spec.strip_prefix("@FD:") {
        let file = fds.get(crate::passphrase::fd_number(fd)?)?;
        return Ok(OutTarget::Fd(file.try_clone()?));
    }
    if spec.starts_with('@') {
        return Err(fail(
            Failure::UnsupportedSpecialPrefix,
            format!("{spec:?} cannot be written to (use a file name or @FD:N)"),
        ));
    }
    if Path::new(spec).exists() {
        return Err(fail(
            Failure::OutputExists,
            format!("the output {spec} exists already"),
        ));
    }
    Ok(OutTarget::File(spec.into()))
}

impl OutTarget {
    /// Writes the whole output; a file is created only now, and never over
    /// one that appeared meanwhile.
    pub fn write(&self, data: &[u8]) -> Result<()> {
        match self {
            OutTarget::File(p) => {
                use std::os::unix::fs::OpenOptionsExt;
                // A session key opens the message, and a verification
                // record says who signed what: neither is for other users.
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(p)
                    .map_err(|e| {
                        let failure = if e.kind() == io::ErrorKind::AlreadyExists {
                            Failure::OutputExists
                        } else {
                            Failure::MissingInput
                        };
                        Error::new(failure, format!("cannot create {}: {e}", p.display()))
                    })?;
                f.write_all(data)?;
                Ok(())
            }
            OutTarget::Fd(f) => {
                let mut f: &std::fs::File = f;
                f.write_all(data)?;
                Ok(())
            }
        }
    }
}

/// How much output is held back before it starts to stream.  An
/// operation that fails within this much output (a bad signature, a
/// wrong key, input that is not text) leaves nothing on stdout.
const GATE_LIMIT: usize = 16 << 20;

/// Standard output that holds the first [`GATE_LIMIT`] bytes until
/// [`Gate::commit`]; dropped uncommitted, what it holds is discarded.
pub struct Gate {
    held: Vec<u8>,
    streaming: bool,
}

impl Gate {
    pub fn new() -> Gate {
        Gate {
            held: Vec::new(),
            streaming: false,
        }
    }

    pub fn commit(mut self) -> Result<()> {
        let mut out = io::stdout().lock();
        out.write_all(&self.held)?;
        self.held.clear();
        out.flush()?;
        Ok(())
    }
}

impl Default for Gate {
    fn default() -> Self {
        Gate::new()
    }
}

impl Write for Gate {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.streaming && self.held.len() + buf.len() <= GATE_LIMIT {
            self.held.extend_from_slice(buf);
            return Ok(buf.len());
        }
        let mut out = io::stdout().lock();
        if !self.streaming {
            out.write_all(&self.held)?;
            self.held = Vec::new();
            self.streaming = true;
        }
        out.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.streaming {
            io::stdout().flush()?;
        }
        Ok(())
    }
}

/// Writes certs to a fresh gate and commits it.
pub fn print_certs(certs: &[Cert], secret: bool, armored: bool) -> Result<()> {
    let mut buf = Vec::new();
    if armored {
        let kind = if secret {
            armor::Kind::SecretKey
        } else {
            armor::Kind::PublicKey
        };
        let mut w = armor::Writer::new(&mut buf, kind)?;
        for c in certs {
            if secret {
                c.as_tsk().serialize(&mut w)?;
            } else {
                c.serialize(&mut w)?;
            }
        }
        w.finalize()?;
    } else {
        for c in certs {
            if secret {
                c.as_tsk().serialize(&mut buf)?;
            } else {
                c.serialize(&mut buf)?;
            }
        }
    }
    let mut gate = Gate::new();
    gate.write_all(&buf)?;
    gate.commit()
}

/// A date of the draft: ISO 8601 (`2020-11-23T16:35:00Z`, `…T16:35Z`,
/// `2020-11-23`, `20201123T163500Z`, with `Z` or an offset), `now`, or
/// `-` for no bound (`None`).
pub fn parse_date(s: &str) -> Result<Option<SystemTime>> {
    let bad = || {
        fail(
            Failure::UnsupportedOption,
            format!("cannot read the date {s:?}: use ISO 8601, e.g. 2024-05-01T12:00:00Z"),
        )
    };
    let s = s.trim();
    if s == "-" {
        return Ok(None);
    }
    if s == "now" {
        return Ok(Some(SystemTime::now()));
    }
    let (date, time) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    let date = if date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}-{}", &date[..4], &date[4..6], &date[6..])
    } else {
        date.to_string()
    };
    let day = crate::time::parse_date(&date).ok_or_else(bad)?;
    // Split off the zone: Z, +HH[:MM], -HH[:MM], or none (UTC).
    let (clock, offset) = if let Some(c) = time.strip_suffix(['Z', 'z']) {
        (c, 0i64)
    } else if let Some(i) = time.rfind(['+', '-']) {
        let z = &time[i + 1..].replace(':', "");
        let (h, m) = match z.len() {
            2 => (z.parse::<i64>().map_err(|_| bad())?, 0),
            4 => (
                z[..2].parse::<i64>().map_err(|_| bad())?,
                z[2..].parse::<i64>().map_err(|_| bad())?,
            ),
            _ => return Err(bad()),
        };
        let sign = if time.as_bytes()[i] == b'-' { -1 } else { 1 };
        (&time[..i], sign * (h * 3600 + m * 60))
    } else {
        (time, 0)
    };
    let clock = clock
        .split(['.', ','])
        .next()
        .unwrap_or("")
        .replace(':', "");
    if !clock.bytes().all(|b| b.is_ascii_digit()) || ![0, 4, 6].contains(&clock.len()) {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| clock.get(r).map_or(Ok(0), |v| v.parse::<i64>());
    let (h, m, sec) = (
        num(0..2).map_err(|_| bad())?,
        num(2..4).map_err(|_| bad())?,
        num(4..6).map_err(|_| bad())?,
    );
    if h > 23 || m > 59 || sec > 60 {
        return Err(bad());
    }
    let base = day.duration_since(UNIX_EPOCH).map_err(|_| bad())?.as_secs() as i64;
    let t = base + h * 3600 + m * 60 + sec - offset;
    if t < 0 {
        return Err(bad());
    }
    Ok(Some(UNIX_EPOCH + Duration::from_secs(t as u64)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> u64 {
        parse_date(s)
            .unwrap()
            .unwrap()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn parses_iso_dates() {
        assert_eq!(secs("2019-10-29T15:34:02Z"), 1_572_363_242);
        assert_eq!(secs("20191029T153402Z"), 1_572_363_242);
        assert_eq!(secs("2019-10-29T16:34:02+01:00"), 1_572_363_242);
        assert_eq!(secs("2019-10-29T15:34Z"), 1_572_363_240);
        assert_eq!(secs("2019-10-29"), 1_572_307_200);
        assert!(parse_date("-").unwrap().is_none());
        assert!(parse_date("yesterday").is_err());
        assert!(parse_date("2019-13-01").is_err());
    }

    #[test]
    fn trims_only_trailing_whitespace() {
        assert_eq!(trim_end(b" pw \r\n\t"), b" pw");
        assert_eq!(trim_end(b"\n"), b"");
    }
}
