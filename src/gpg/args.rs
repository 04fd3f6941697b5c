//! The GnuPG command lines git runs, and nothing else.
//!
//! git's `gpg-interface.c` signs with `PROGRAM --status-fd=2 -bsau KEY`
//! (the payload on standard input, the armored signature on standard
//! output) and verifies with `PROGRAM --keyid-format=long --status-fd=1
//! --verify SIGFILE -` (the payload on standard input).  Older and other
//! callers spell the same options apart (`-b -s -a -u KEY`,
//! `--status-fd 2`, `--local-user=KEY`), which gpg's own parser allows,
//! so this one does too.  Any other option is refused by name: a caller
//! that asks for something zpgp-gpg does not do must not get something
//! else silently.

use std::ffi::OsString;
use std::path::PathBuf;

/// What was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Version,
    /// A detached signature of standard input by `key` (git's
    /// user.signingkey or committer identity; `None`: the default key).
    Sign {
        key: Option<String>,
        armor: bool,
    },
    /// A detached signature in `signature` over `data` (`None`: standard
    /// input).
    Verify {
        signature: PathBuf,
        data: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub action: Action,
    /// Where the `[GNUPG:]` status lines go.
    pub status_fd: Option<i32>,
}

/// Why a command line is refused (exit 2).
#[derive(Debug, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn unsupported(option: &str) -> Refused {
    Refused(format!(
        "{option} is not supported by zpgp-gpg, which takes only the arguments git uses \
         (--status-fd=N -bsau KEY to sign, --status-fd=N --keyid-format=long --verify SIG - \
         to verify, --version)"
    ))
}

pub fn parse(args: &[OsString]) -> Result<Invocation, Refused> {
    let mut status_fd = None;
    let (mut detach, mut sign, mut armor, mut verify, mut version) =
        (false, false, false, false, false);
    let mut key: Option<String> = None;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut args = args.iter();

    while let Some(arg) = args.next() {
        let Some(text) = arg.to_str() else {
            // A path need not be UTF-8; an option always is.
            if arg.as_encoded_bytes().starts_with(b"-") {
                return Err(unsupported(&arg.to_string_lossy()));
            }
            files.push(PathBuf::from(arg));
            continue;
        };
        let mut value_of = |name: &str, inline: Option<&str>| -> Result<String, Refused> {
            match inline {
                Some(v) => Ok(v.to_string()),
                None => args
                    .next()
                    .and_then(|v| v.to_str())
                    .map(str::to_string)
                    .ok_or_else(|| Refused(format!("{name} needs a value"))),
            }
        };
        if let Some(long) = text.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            let flag = |ok: bool| {
                if inline.is_some() || !ok {
                    Err(unsupported(text))
                } else {
                    Ok(true)
                }
            };
            match name {
                "status-fd" => {
                    let v = value_of("--status-fd", inline)?;
                    status_fd =
                        Some(v.parse::<i32>().ok().filter(|fd| *fd >= 0).ok_or_else(|| {
                            Refused(format!("--status-fd {v}: not a descriptor"))
                        })?);
                }
                "keyid-format" => {
                    let v = value_of("--keyid-format", inline)?;
                    if !v.eq_ignore_ascii_case("long") {
                        return Err(unsupported(&format!("--keyid-format={v}")));
                    }
                }
                "local-user" => key = Some(value_of("--local-user", inline)?),
                "detach-sign" => detach = flag(true)?,
                "sign" => sign = flag(true)?,
                "armor" => armor = flag(true)?,
                "verify" => verify = flag(true)?,
                "version" => version = flag(true)?,
                _ => return Err(unsupported(text)),
            }
        } else if text.len() > 1 && text.starts_with('-') {
            // A cluster of short options, as gpg reads them: -bsau KEY.
            let cluster = &text[1..];
            for (i, c) in cluster.char_indices() {
                match c {
                    'b' => detach = true,
                    's' => sign = true,
                    'a' => armor = true,
                    'u' => {
                        let rest = &cluster[i + 1..];
                        key = Some(value_of("-u", (!rest.is_empty()).then_some(rest))?);
                        break;
                    }
                    _ => return Err(unsupported(&format!("-{c}"))),
                }
            }
        } else {
            files.push(PathBuf::from(arg));
        }
    }

    let action = match (version, verify, detach || sign) {
        (true, false, false) if files.is_empty() && key.is_none() => Action::Version,
        (false, true, false) if key.is_none() => {
            let mut files = files.into_iter();
            match (files.next(), files.next(), files.next()) {
                (Some(signature), data, None) if data.is_some() => Action::Verify {
                    signature,
                    data: data.filter(|d| d.as_os_str() != "-"),
                },
                _ => {
                    return Err(Refused(
                        "--verify takes a detached signature and the signed data (- for \
                         standard input); zpgp-gpg does not verify signed messages"
                            .into(),
                    ));
                }
            }
        }
        (false, false, true) => {
            if !detach {
                return Err(unsupported("--sign without --detach-sign (-b)"));
            }
            if !files.is_empty() {
                return Err(Refused(
                    "zpgp-gpg signs standard input only: no file arguments".into(),
                ));
            }
            Action::Sign { key, armor }
        }
        (false, false, false) => {
            return Err(Refused(
                "nothing to do: give -bsau KEY to sign, --verify SIG - to verify, or --version"
                    .into(),
            ));
        }
        _ => {
            return Err(Refused(
                "--version, --verify and signing (-bs) do not go together".into(),
            ));
        }
    };
    Ok(Invocation { action, status_fd })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Invocation, Refused> {
        let v: Vec<OsString> = args.iter().map(OsString::from).collect();
        parse(&v)
    }

    #[test]
    fn git_sign_forms() {
        let want = Invocation {
            action: Action::Sign {
                key: Some("Alice <alice@example.org>".into()),
                armor: true,
            },
            status_fd: Some(2),
        };
        for args in [
            &["--status-fd=2", "-bsau", "Alice <alice@example.org>"][..],
            &[
                "--status-fd",
                "2",
                "-b",
                "-s",
                "-a",
                "-u",
                "Alice <alice@example.org>",
            ],
            &["--status-fd=2", "-bsauAlice <alice@example.org>"],
            &[
                "--status-fd=2",
                "--detach-sign",
                "--armor",
                "--local-user=Alice <alice@example.org>",
            ],
        ] {
            assert_eq!(p(args), Ok(want.clone()), "{args:?}");
        }
    }

    #[test]
    fn git_verify_forms() {
        for args in [
            &[
                "--keyid-format=long",
                "--status-fd=1",
                "--verify",
                "/tmp/s",
                "-",
            ][..],
            &[
                "--status-fd=1",
                "--keyid-format",
                "long",
                "--verify",
                "/tmp/s",
                "-",
            ],
        ] {
            assert_eq!(
                p(args),
                Ok(Invocation {
                    action: Action::Verify {
                        signature: "/tmp/s".into(),
                        data: None
                    },
                    status_fd: Some(1)
                })
            );
        }
        assert_eq!(
            p(&["--version"]),
            Ok(Invocation {
                action: Action::Version,
                status_fd: None
            })
        );
    }

    #[test]
    fn anything_else_is_named() {
        for (args, named) in [
            (&["--encrypt", "-r", "x"][..], "--encrypt"),
            (&["-bsau", "k", "--no-tty"], "--no-tty"),
            (&["-bsxu", "k"], "-x"),
            (
                &["--keyid-format=short", "--verify", "s", "-"],
                "--keyid-format=short",
            ),
            (&["-s", "-u", "k"], "--sign without --detach-sign"),
            (&["--verify=x", "s", "-"], "--verify=x"),
        ] {
            let e = p(args).unwrap_err();
            assert!(e.0.starts_with(named), "{args:?}: {e}");
            assert!(e.0.contains("not supported by zpgp-gpg"), "{e}");
        }
        assert!(p(&[]).is_err());
        assert!(p(&["--verify", "s"]).is_err());
        assert!(p(&["--status-fd=x", "--version"]).is_err());
    }
}
