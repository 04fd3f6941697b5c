//! Passphrases and other indirect parameters (`FILE`, `@ENV:NAME`,
//! `@FD:N`), and the terminal prompt.
//!
//! Passphrases live in sequoia's `Password`, which is kept encrypted in
//! memory and zeroed on drop; they never appear in an error message.  The
//! buffers they are read into are `Protected` (zeroed on drop) from the
//! first byte, and grow by copying into a new `Protected`, so no freed
//! allocation keeps a copy.
//!
//! **Descriptors.**  `@FD:N` names a descriptor the caller opened for
//! zpgp.  Every one is resolved by [`Fds::resolve`] when the process
//! starts, before zpgp opens a file of its own: resolved later, a number
//! could name the message zpgp is reading or the temporary file it is
//! writing, and reading it (and closing it afterwards) would take zpgp's
//! own data.  Each is duplicated and read or written through the
//! duplicate, so the caller's descriptor is never closed: `@FD:1` must not
//! close standard output under the command that writes to it.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;

use anyhow::{Context as _, Result};
use sequoia_openpgp::crypto::Password;
use sequoia_openpgp::crypto::mem::Protected;

use crate::error::{Error, Failure, fail};

/// How an indirect parameter is used, which decides whether it may name a
/// standard stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// Read from.  `stdin_is_data`: the command reads its data from
    /// standard input, so `@FD:0` cannot also carry this parameter.
    Read { stdin_is_data: bool },
    /// Written to (the SOP interface's `--…-out` options).
    Write,
}

/// An indirect parameter to resolve: the option that names it (for
/// errors), its value, and how it is used.
#[derive(Clone, Copy, Debug)]
pub struct Param<'a> {
    pub option: &'a str,
    pub spec: &'a str,
    pub use_: Use,
}

/// The descriptors named by `@FD:N`, duplicated when the process started.
#[derive(Debug, Default)]
pub struct Fds {
    files: HashMap<i32, File>,
}

impl Fds {
    /// Checks and duplicates every `@FD:N` among `params`; other values
    /// are left to be read when needed.
    ///
    /// Rules: the descriptor must be open now; standard input (0) may be
    /// read only when the command's data does not come from it; standard
    /// output (1) is never taken (it carries the command's output);
    /// standard error (2) may be written to, not read; a descriptor that is
    /// read is named once.
    pub fn resolve(params: &[Param]) -> Result<Fds> {
        let mut wanted: Vec<(i32, Param)> = Vec::new();
        for p in params {
            let Some(n) = p.spec.strip_prefix("@FD:") else {
                continue;
            };
            let n = fd_number(n)?;
            check_standard_stream(n, p)?;
            if let Some((_, first)) = wanted.iter().find(|(m, _)| *m == n) {
                if first.use_ != Use::Write || p.use_ != Use::Write {
                    return Err(Error::new(
                        Failure::IncompatibleOptions,
                        format!(
                            "{} and {} both name file descriptor {n}, which can be read only once",
                            first.option, p.option
                        ),
                    )
                    .hint("give each its own descriptor or file")
                    .into());
                }
                continue;
            }
            if !is_open(n) {
                return Err(fail(
                    Failure::MissingInput,
                    format!("file descriptor {n} is not open"),
                ));
            }
            wanted.push((n, *p));
        }
        // Only now, after every number was checked: a duplicate takes the
        // lowest free number, which a later `@FD:` might have named.
        let mut files = HashMap::new();
        for (n, _) in wanted {
            // `n` was open a moment ago, and nothing closes descriptors
            // between then and now: this runs at start-up, before zpgp
            // opens or closes a file or starts a thread.
            let dup = crate::sys::dup_fd(n)
                .with_context(|| format!("cannot duplicate file descriptor {n}"))?;
            files.insert(n, File::from(dup));
        }
        Ok(Fds { files })
    }

    /// The duplicate of descriptor `n`, if it was resolved.
    pub fn get(&self, n: i32) -> Result<&File> {
        self.files.get(&n).ok_or_else(|| {
            // Every @FD: on the command line is resolved at start-up, so
            // this is a descriptor no option named.
            fail(
                Failure::MissingInput,
                format!("file descriptor {n} was not named on the command line"),
            )
        })
    }
}

fn is_open(n: i32) -> bool {
    crate::sys::fd_is_open(n)
}

fn check_standard_stream(n: i32, p: &Param) -> Result<()> {
    let option = p.option;
    let refuse = |msg: String, hint: &str| -> Result<()> {
        Err(Error::new(Failure::IncompatibleOptions, msg)
            .hint(hint)
            .into())
    };
    match (n, p.use_) {
        (
            0,
            Use::Read {
                stdin_is_data: true,
            },
        ) => refuse(
            format!(
                "{option} @FD:0 is standard input, which carries this command's data; \
                 it cannot carry both"
            ),
            "give the data as a file argument, or this value as a FILE or @ENV:NAME",
        ),
        (0, Use::Write) => refuse(
            format!("{option} @FD:0 is standard input, which cannot be written to"),
            "name a file or another descriptor (@FD:3 and up)",
        ),
        (1, _) => refuse(
            format!(
                "{option} @FD:1 is standard output, which carries this command's output; \
                 zpgp does not take it for anything else"
            ),
            "name a file or another descriptor (@FD:3 and up)",
        ),
        (2, Use::Read { .. }) => refuse(
            format!("{option} @FD:2 is standard error, which zpgp writes to and does not read"),
            "name a file or another descriptor (@FD:3 and up)",
        ),
        _ => Ok(()),
    }
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

/// Reads the whole of an indirect parameter: a file path, `@ENV:NAME` or
/// `@FD:N` (resolved in `fds`), at most `limit` bytes when given.
pub fn read_indirect(spec: &str, fds: &Fds, limit: Option<usize>) -> Result<Protected> {
    let too_long = |n: usize| {
        fail(
            Failure::BadData,
            format!("{spec} holds more than {n} bytes; is it the right file?"),
        )
    };
    if let Some(name) = spec.strip_prefix("@ENV:") {
        let value = std::env::var_os(name)
            .map(std::os::unix::ffi::OsStringExt::into_vec)
            .ok_or_else(|| {
                fail(
                    Failure::MissingInput,
                    format!("environment variable {name} is not set"),
                )
            })?;
        // From a Vec, Protected copies and zeroes the Vec's allocation.
        let value = Protected::from(value);
        return match limit {
            Some(n) if value.len() > n => Err(too_long(n)),
            _ => Ok(value),
        };
    }
    if let Some(n) = spec.strip_prefix("@FD:") {
        let n = fd_number(n)?;
        let mut file = fds.get(n)?;
        return read_protected(&mut file, limit)
            .with_context(|| format!("cannot read file descriptor {n}"))?
            .ok_or_else(|| too_long(limit.unwrap_or(0)));
    }
    if spec.starts_with('@') && spec.contains(':') && !std::path::Path::new(spec).exists() {
        return Err(fail(
            Failure::UnsupportedSpecialPrefix,
            format!("unknown prefix in {spec:?}: use a file name, @ENV:NAME or @FD:N"),
        ));
    }
    let path = std::path::Path::new(spec);
    let mut file = File::open(path).map_err(|e| crate::error::unreadable(path, e))?;
    read_protected(&mut file, limit)
        .map_err(|e| crate::error::unreadable(path, e))?
        .ok_or_else(|| too_long(limit.unwrap_or(0)))
}

/// Reads `r` to its end into protected memory; `None` when it holds more
/// than `limit` bytes.
fn read_protected(r: &mut dyn Read, limit: Option<usize>) -> std::io::Result<Option<Protected>> {
    let mut buf = Protected::new(4096);
    let mut len = 0;
    loop {
        if len == buf.len() {
            if limit.is_some_and(|n| len > n) {
                return Ok(None);
            }
            // Grow by copying: the old buffer is zeroed when dropped.
            let mut bigger = Protected::new(buf.len() * 2);
            bigger[..len].copy_from_slice(&buf[..len]);
            buf = bigger;
        }
        match r.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if limit.is_some_and(|n| len > n) {
        return Ok(None);
    }
    Ok(Some(Protected::from(&buf[..len])))
}

/// The most a passphrase file may hold: the first line is used, but a
/// file this large is not a passphrase file.
const MAX_PASSPHRASE_FILE: usize = 1 << 20;

/// A passphrase from an indirect parameter: its first line, without the
/// line ending.
pub fn from_indirect(spec: &str, fds: &Fds) -> Result<Password> {
    let data = read_indirect(spec, fds, Some(MAX_PASSPHRASE_FILE))?;
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
pub fn prompt(
    printer: crate::printer::Printer,
    batch: bool,
    what: &str,
    confirm: bool,
    secret: Secret,
) -> Result<Password> {
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
        printer.say("the two entries differ; please try again.");
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
    Ok(password_from_string(answer))
}

/// Moves a secret typed on the terminal into a `Password`, leaving no copy
/// behind: the bytes are copied into protected memory, and then the whole
/// of the string's allocation, spare capacity included, is zeroed before
/// it is freed.
fn password_from_string(answer: String) -> Password {
    let mut bytes = answer.into_bytes();
    let password = Password::from(&bytes[..]);
    crate::sys::wipe(&mut bytes);
    password
}

/// How guessable a new passphrase is, as zxcvbn estimates it: only its
/// score, the number of guesses and zxcvbn's fixed feedback sentences,
/// never a part of the passphrase.
#[derive(Clone, Debug)]
pub struct Strength {
    /// zxcvbn's score, 0 (guessed at once) to 4 (more than 10^10 guesses).
    pub score: u8,
    /// About how many guesses find it.
    pub guesses: u64,
    /// zxcvbn's warning (what is wrong), when it has one.
    pub warning: Option<zxcvbn::feedback::Warning>,
    /// zxcvbn's suggestions (how to do better).
    pub suggestions: Vec<zxcvbn::feedback::Suggestion>,
}

impl Strength {
    /// Below zxcvbn's score 3: found in fewer than about 10^8 guesses.
    pub fn is_weak(&self) -> bool {
        self.score < 3
    }

    /// Why it is weak and how fast it falls, on one line: zxcvbn's warning
    /// and suggestions (fixed sentences, never the matched text) and the
    /// time at 10,000 guesses a second, about what an attacker manages
    /// against a key's iterated and salted S2K on one machine.
    pub fn reason(&self) -> String {
        // "Add another word or two. Uncommon words are better." as a
        // clause: "add another word or two, uncommon words are better".
        let sentence = |s: String| {
            s.trim_end_matches('.')
                .split(". ")
                .map(|part| {
                    let mut c = part.chars();
                    c.next()
                        .map(|f| f.to_lowercase().chain(c).collect())
                        .unwrap_or_default()
                })
                .collect::<Vec<String>>()
                .join(", ")
        };
        let mut parts: Vec<String> = Vec::new();
        parts.extend(self.warning.map(|w| sentence(w.to_string())));
        parts.extend(self.suggestions.iter().map(|s| sentence(s.to_string())));
        let time = zxcvbn::time_estimates::CrackTimes::new(self.guesses)
            .offline_slow_hashing_1e4_per_second();
        parts.push(format!(
            "found in about {} guesses, {time} at 10,000 guesses a second",
            self.guesses
        ));
        parts.join("; ")
    }
}

/// Estimates how guessable `pw` is; `user_inputs` are words an attacker
/// would try first (the user's name and email address).
///
/// The passphrase is looked at in its protected memory, without a copy
/// of ours.  zxcvbn makes short-lived copies of its own (a lowercased
/// form, the matched parts) that are freed without being zeroed; only the
/// score, the guess count and its fixed feedback are kept.
pub fn strength(pw: &Password, user_inputs: &[&str]) -> Strength {
    let entropy = pw.map(|bytes| match std::str::from_utf8(bytes) {
        Ok(s) => zxcvbn::zxcvbn(s, user_inputs),
        Err(_) => {
            // Not reached (passphrases are checked to be UTF-8 when read),
            // but a lossy copy is wiped as a typed one is.
            let mut copy = String::from_utf8_lossy(bytes).into_owned().into_bytes();
            let e = zxcvbn::zxcvbn(std::str::from_utf8(&copy).unwrap_or(""), user_inputs);
            crate::sys::wipe(&mut copy);
            e
        }
    });
    let (warning, suggestions) = match entropy.feedback() {
        Some(f) => (f.warning(), f.suggestions().to_vec()),
        None => (None, Vec::new()),
    };
    Strength {
        score: u8::from(entropy.score()),
        guesses: entropy.guesses(),
        warning,
        suggestions,
    }
}

/// The words an attacker who knows the user IDs would try first: each
/// user ID whole, its name, the name's words, the email address and its
/// local part.
pub fn user_inputs<'a>(userids: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    for u in userids {
        out.push(u.to_string());
        let (name, email) = match (u.find('<'), u.rfind('>')) {
            (Some(l), Some(r)) if l < r => (u[..l].trim(), Some(u[l + 1..r].trim())),
            _ if u.contains('@') && !u.contains(char::is_whitespace) => ("", Some(u.trim())),
            _ => (u.trim(), None),
        };
        if !name.is_empty() {
            out.push(name.to_string());
            out.extend(name.split_whitespace().map(str::to_string));
        }
        if let Some(email) = email {
            out.push(email.to_string());
            out.extend(email.split('@').next().map(str::to_string));
        }
    }
    out.retain(|s| !s.is_empty());
    out.sort();
    out.dedup();
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_password_survives_the_move() {
        let pw = password_from_string(String::from("correct horse"));
        assert_eq!(pw, Password::from("correct horse"));
    }

    fn weak(pw: &str, inputs: &[&str]) -> bool {
        strength(&Password::from(pw), inputs).is_weak()
    }

    #[test]
    fn common_and_personal_passphrases_are_weak() {
        assert!(weak("password", &[]));
        assert!(weak("12345", &[]));
        assert!(weak("", &[]));
        let uid = ["Alice Lovelace <alice.lovelace@example.org>"];
        let inputs = user_inputs(uid);
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        assert!(weak("alice.lovelace@example.org", &inputs));
        assert!(weak("Alice Lovelace", &inputs));
        // Without the user inputs, the address looks harder than it is.
        assert!(!weak("alice.lovelace@example.org", &[]));
    }

    #[test]
    fn a_long_unusual_phrase_is_strong() {
        let s = strength(
            &Password::from("quilted marmot sings under brass viaduct"),
            &[],
        );
        assert!(!s.is_weak(), "{s:?}");
        assert_eq!(s.score, 4);
    }

    #[test]
    fn the_reason_never_quotes_the_passphrase() {
        let s = strength(&Password::from("password"), &[]);
        assert!(s.is_weak());
        let r = s.reason();
        assert!(r.contains("this is a top-10 common password"), "{r}");
        assert!(r.contains("guesses"), "{r}");
        assert!(!r.contains("password\""), "{r}");
        // (zxcvbn's fixed examples, "aaa" and "abcabcabc", are not quotes.)
        for pw in ["qwertyuiop", "zzzzzzzz", "qrsqrsqrs", "1987", "zpgpzpgp"] {
            let r = strength(&Password::from(pw), &[]).reason();
            assert!(!r.contains(pw), "{pw}: {r}");
        }
    }

    #[test]
    fn user_inputs_split_names_and_addresses() {
        let got = user_inputs(["Alice Lovelace <alice@example.org>", "bob@example.org"]);
        for want in [
            "Alice",
            "Lovelace",
            "Alice Lovelace",
            "alice@example.org",
            "alice",
            "bob",
        ] {
            assert!(got.iter().any(|g| g == want), "{want} in {got:?}");
        }
    }

    #[test]
    fn read_protected_grows_and_limits() {
        let data = vec![7u8; 10_000];
        let got = read_protected(&mut &data[..], None).unwrap().unwrap();
        assert_eq!(&got[..], &data[..]);
        assert!(
            read_protected(&mut &data[..], Some(9_999))
                .unwrap()
                .is_none()
        );
        let got = read_protected(&mut &data[..], Some(10_000))
            .unwrap()
            .unwrap();
        assert_eq!(got.len(), 10_000);
        let got = read_protected(&mut &b""[..], Some(0)).unwrap().unwrap();
        assert!(got.is_empty());
    }

    #[test]
    fn standard_streams_follow_the_rules() {
        let p = |spec, use_| Param {
            option: "--x",
            spec,
            use_,
        };
        let data = Use::Read {
            stdin_is_data: true,
        };
        let free = Use::Read {
            stdin_is_data: false,
        };
        let code = |params: &[Param]| {
            crate::error::failure_of(&Fds::resolve(params).unwrap_err()).map(|f| f.exit_code())
        };
        assert_eq!(code(&[p("@FD:0", data)]), Some(83));
        assert_eq!(code(&[p("@FD:0", Use::Write)]), Some(83));
        assert_eq!(code(&[p("@FD:1", free)]), Some(83));
        assert_eq!(code(&[p("@FD:1", Use::Write)]), Some(83));
        assert_eq!(code(&[p("@FD:2", free)]), Some(83));
        assert_eq!(code(&[p("@FD:-1", free)]), Some(61));
        assert_eq!(code(&[p("@FD:x", free)]), Some(71));
        // Standard error for writing: taken, and duplicated.
        let fds = Fds::resolve(&[p("@FD:2", Use::Write), p("@FD:2", Use::Write)]).unwrap();
        assert!(fds.get(2).is_ok() && fds.get(1).is_err());
        // A descriptor of our own, read: once, not twice.
        let file = File::open("/dev/null").unwrap();
        let spec = format!("@FD:{}", std::os::fd::AsRawFd::as_raw_fd(&file));
        let fds = Fds::resolve(&[p(&spec, free)]).unwrap();
        assert!(read_indirect(&spec, &fds, None).unwrap().is_empty());
        assert_eq!(code(&[p(&spec, free), p(&spec, free)]), Some(83));
    }
}
