//! What the message commands share: opening inputs, choosing and unlocking
//! the user's own keys, and reporting signatures.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Result;
use openpgp::crypto::Password;
use openpgp::{Cert, Fingerprint};
use sequoia_openpgp as openpgp;

use crate::context::Context;
use crate::display::Safe;
use crate::error::{Error, Failure, Reason};
use crate::ops::{self, SignatureReport, SignatureStatus};

/// The path, unless it is absent or `-` (standard input or output).
pub fn real_path(p: &Option<PathBuf>) -> Option<&Path> {
    p.as_deref().filter(|p| p.as_os_str() != "-")
}

/// Opens an input file, or standard input.  Files are read through the
/// ops' own large buffers, never memory-mapped, so memory stays flat.
pub fn open_input(path: Option<&Path>) -> Result<Box<dyn Read + Send + Sync>> {
    let Some(path) = path else {
        return Ok(Box::new(std::io::stdin()));
    };
    if path.is_dir() {
        return Err(Error::new(
            Failure::BadData,
            format!("{} is a directory", path.display()),
        )
        .into());
    }
    match std::fs::File::open(path) {
        Ok(f) => Ok(Box::new(f)),
        Err(e) => Err(crate::error::unreadable(path, e)),
    }
}

/// Opens an input like [`open_input`], showing a progress bar on stderr
/// for large files when stderr is a terminal and --quiet is not given.
pub fn open_input_progress(
    ctx: &Context,
    path: Option<&Path>,
) -> Result<Box<dyn Read + Send + Sync>> {
    let input = open_input(path)?;
    let len = path
        .and_then(|p| std::fs::metadata(p).ok())
        .filter(|m| m.is_file())
        .map_or(0, |m| m.len());
    Ok(with_progress(ctx, input, path.is_none(), len))
}

/// An input opened already (`stdin`: standard input), read ahead and with
/// a progress bar as [`open_input_progress`] does.
pub fn with_progress(
    ctx: &Context,
    input: Box<dyn Read + Send + Sync>,
    stdin: bool,
    len: u64,
) -> Box<dyn Read + Send + Sync> {
    // Standard input and large files are read on a second thread (see
    // `readahead`); for a small file a thread would cost more than it saves.
    let input: Box<dyn Read + Send + Sync> = if stdin || len > ops::buffers::READ_AHEAD_MIN_FILE {
        Box::new(crate::readahead::ReadAhead::new(input))
    } else {
        input
    };
    super::progress::wrap(input, len, ctx.printer())
}

/// `path` with `ext` appended (`report.pdf` → `report.pdf.pgp`).
pub fn with_extension(path: &Path, ext: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// The certificates of the user's secret keys.
pub fn own_certs(ctx: &Context) -> Result<Vec<Cert>> {
    certs_on_file(ctx, &ctx.keyring()?.secret_fingerprints()?)
}

/// The fingerprints of the user's secret keys, and the certificates that
/// a check of keys (watch, audit, doctor) looks at: with `contacts` every
/// one on file, else those of the user's own keys.
pub fn keys_to_check(ctx: &Context, contacts: bool) -> Result<(Vec<Fingerprint>, Vec<Cert>)> {
    let keyring = ctx.keyring()?;
    let own = keyring.secret_fingerprints()?;
    let certs = if contacts {
        keyring.certs()?
    } else {
        certs_on_file(ctx, &own)?
    };
    Ok((own, certs))
}

/// The certificates on file for these fingerprints (those missing are
/// left out).
pub fn certs_on_file(ctx: &Context, fprs: &[Fingerprint]) -> Result<Vec<Cert>> {
    let keyring = ctx.keyring()?;
    let mut certs = Vec::new();
    for fpr in fprs {
        if let Some(c) = keyring.get(fpr)? {
            certs.push(c);
        }
    }
    Ok(certs)
}

/// The default key named in the config file, when there is one: on file,
/// and with its secret key held.  A default key that is gone is an error
/// naming the file and line, never passed over: the user chose it, and
/// falling back to another key would sign as someone else.
pub fn default_key(ctx: &Context) -> Result<Option<Cert>> {
    let config = ctx.config()?;
    let Some((fpr, entry)) = config.default_key() else {
        return Ok(None);
    };
    let keyring = ctx.keyring()?;
    let at = config.location(entry);
    let fix = "choose another with 'zpgp config set default-key QUERY', \
               or remove it with 'zpgp config unset default-key'";
    let Some(cert) = keyring.get(fpr)? else {
        return Err(Error::new(
            Failure::KeyNotFound,
            format!("the default key {fpr:X} ({at}) is not in the keyring"),
        )
        .hint(fix)
        .into());
    };
    if !keyring.has_secret(fpr) {
        return Err(Error::new(
            Failure::KeyNotFound,
            format!(
                "you do not hold the secret key of the default key {} ({at})",
                ops::cert_label(&cert, &ctx.policy, Some(ctx.time))
            ),
        )
        .hint(fix)
        .into());
    }
    Ok(Some(cert))
}

/// The signing certificates: those named, or else the default key of the
/// config file, or else the user's only secret key.
pub fn signer_certs(ctx: &Context, queries: &[String]) -> Result<Vec<Cert>> {
    let keyring = ctx.keyring()?;
    if !queries.is_empty() {
        return queries.iter().map(|q| keyring.find(q)).collect();
    }
    if let Some(cert) = default_key(ctx)? {
        return Ok(vec![cert]);
    }
    let mut own = own_certs(ctx)?;
    match own.len() {
        0 => Err(
            Error::new(Failure::KeyNotFound, "you have no secret key to sign with")
                .hint("make one with: zpgp generate --name NAME --email EMAIL")
                .into(),
        ),
        1 => Ok(vec![own.remove(0)]),
        _ => {
            let mut msg = String::from("you hold several secret keys; which one should sign?");
            for c in &own {
                msg.push_str(&format!(
                    "\n  {}",
                    ops::cert_label(c, &ctx.policy, Some(ctx.time))
                ));
            }
            Err(Error::new(Failure::AmbiguousInput, msg)
                .hint(
                    "name one with --signer QUERY, or choose your default: \
                     zpgp config set default-key QUERY",
                )
                .into())
        }
    }
}

/// The signing key of `cert` from the keyring, ready to sign: held by the
/// agent, or unlocked with its passphrase (asked for, naming the key).
pub fn unlock_signer(ctx: &Context, cert: &Cert) -> Result<ops::SigningKey> {
    let keyring = ctx.keyring()?;
    let fpr = cert.fingerprint();
    let tsk = keyring.secret(&fpr)?.ok_or_else(|| {
        Error::new(
            Failure::KeyNotFound,
            format!(
                "no secret key is held for {}",
                ops::cert_label(cert, &ctx.policy, Some(ctx.time))
            ),
        )
        .hint("only keys listed by 'zpgp list --secret' can sign")
    })?;
    super::keystore::signing_key(ctx, cert, &tsk, true)
}

/// The signing key of a --key-file, unlocked in this process: a key
/// from a file is never handed to the agent.
pub fn unlock_signing_key(ctx: &Context, cert: &Cert, tsk: &Cert) -> Result<ops::SigningKey> {
    super::keystore::signing_key(ctx, cert, tsk, false)
}

/// How many times a passphrase is asked for on the terminal before giving
/// up; a --passphrase-file is tried once.
pub const PASSPHRASE_TRIES: usize = 3;

/// The one retry rule for secrets: whether try number `attempt` (from 0)
/// may be made.  A secret from a file is tried once, a typed one
/// [`PASSPHRASE_TRIES`] times; before each try after a wrong one, the user
/// hears how many are left.  `noun` names the secret ("passphrase").
pub fn may_try(ctx: &Context, attempt: usize, from_file: bool, noun: &str) -> bool {
    let tries = if from_file { 1 } else { PASSPHRASE_TRIES };
    if attempt >= tries {
        return false;
    }
    if attempt > 0 {
        ctx.say(format_args!(
            "wrong {noun}, try again ({} left)",
            tries - attempt
        ));
    }
    true
}

/// A key passphrase for try number `attempt`, asked as `what`, or `None`
/// when no try is left (see [`may_try`]).
pub fn next_passphrase(ctx: &Context, what: &str, attempt: usize) -> Result<Option<Password>> {
    if !may_try(ctx, attempt, ctx.passphrase_file.is_some(), "passphrase") {
        return Ok(None);
    }
    ctx.passphrase(what, false).map(Some)
}

/// The fix for a passphrase that did not unlock a key: how many tries were
/// made, and how scripts give it.
pub fn wrong_passphrase_hint(ctx: &Context) -> String {
    wrong_secret_hint(
        ctx.passphrase_file.is_some(),
        "passphrase",
        "--passphrase-file",
    )
}

/// The fix for a message password that did not fit: the same, for
/// --password-file.
pub fn wrong_password_hint(ctx: &Context) -> String {
    wrong_secret_hint(ctx.password_file.is_some(), "password", "--password-file")
}

fn wrong_secret_hint(from_file: bool, noun: &str, option: &str) -> String {
    if from_file {
        format!(
            "the {noun} from {option} (its first line) was tried once and is wrong; check that file"
        )
    } else {
        format!(
            "{PASSPHRASE_TRIES} tries failed; check the {noun} (in scripts, give it with \
             {option} FILE, @ENV:NAME or @FD:N)"
        )
    }
}

/// Puts the passphrase fix on an error that a wrong passphrase or
/// password caused.
pub fn with_passphrase_hint(ctx: &Context, mut e: anyhow::Error) -> anyhow::Error {
    if let Some(err) = e.downcast_mut::<Error>() {
        let wrong_password =
            err.failure == Failure::CannotDecrypt && err.reason == Some(Reason::WrongPassword);
        // A more precise hint (--batch forbids asking) stays; the ops'
        // generic one does not help here.
        let generic = err.hint.is_none() || err.reason == Some(Reason::GenericPassphraseHint);
        if generic && err.failure == Failure::KeyIsProtected {
            err.hint = Some(wrong_passphrase_hint(ctx));
        } else if generic && wrong_password {
            err.hint = Some(wrong_password_hint(ctx));
        }
    }
    e
}

/// The signers named by `--signer`: a certificate, or when the query is
/// the fingerprint or key ID of one of its subkeys, that key of it.
pub fn required_signers(ctx: &Context, queries: &[String]) -> Result<Vec<ops::RequiredSigner>> {
    if queries.is_empty() {
        return Ok(Vec::new());
    }
    let keyring = ctx.keyring()?;
    required_signers_by(ctx, queries, &|q| keyring.find(q))
}

/// The same, with the certificates found by `find` (e.g. among files
/// given on the command line) instead of the keyring.
pub fn required_signers_by(
    ctx: &Context,
    queries: &[String],
    find: &dyn Fn(&str) -> Result<Cert>,
) -> Result<Vec<ops::RequiredSigner>> {
    queries
        .iter()
        .map(|q| {
            let cert = find(q)?;
            let key = crate::query::Query::parse(q)
                .ok()
                .and_then(|q| q.key_handle())
                .filter(|h| !h.aliases(openpgp::KeyHandle::from(cert.fingerprint())))
                .and_then(|h| {
                    // The query matched a bound subkey: only that key counts.
                    let vc = cert.with_policy(&ctx.policy, ctx.time).ok()?;
                    vc.keys()
                        .subkeys()
                        .map(|k| k.key().fingerprint())
                        .find(|f| h.aliases(openpgp::KeyHandle::from(f.clone())))
                });
            Ok(ops::RequiredSigner {
                cert: cert.fingerprint(),
                key,
            })
        })
        .collect()
}

/// Reports each signature on stderr, one line each (as JSON with --json,
/// by the caller).
/// With `-v`: malformed unhashed subpackets were dropped from signatures
/// (see `ops::lenient`).
pub fn note_dropped_subpackets(ctx: &Context, dropped: usize) {
    if dropped > 0 {
        ctx.debug(format!(
            "dropped {dropped} malformed subpacket(s) from the unprotected (unhashed) area of the \
             signatures; they are not covered by the signature, which was checked without them"
        ));
    }
}

pub fn print_signatures(ctx: &Context, sigs: &[SignatureReport]) {
    for s in sigs {
        let who = match (&s.user_id, &s.cert_fingerprint) {
            (Some(u), Some(f)) => format!("{} ({f})", Safe(u)),
            (None, Some(f)) => f.clone(),
            _ => format!("key {}", s.issuer.as_deref().unwrap_or("unknown")),
        };
        let when = s
            .creation_time
            .map(|t| format!(", made {}", crate::time::rfc3339(t)))
            .unwrap_or_default();
        let why = s
            .reason
            .as_deref()
            .map(|r| format!(": {}", Safe(r)))
            .unwrap_or_default();
        let line = match s.status {
            SignatureStatus::Good => format!("good signature from {who}{when}"),
            SignatureStatus::Bad => format!("BAD signature from {who}{when}{why}"),
            SignatureStatus::UnknownSigner => format!(
                "signature by unknown key {}{when}; import the signer's certificate to check it",
                s.issuer.as_deref().unwrap_or("?")
            ),
            SignatureStatus::Rejected => format!("signature from {who} rejected by policy{why}"),
            SignatureStatus::KeyExpired => format!("signature from {who}: key expired{why}"),
            SignatureStatus::KeyRevoked => format!("signature from {who}: key revoked{why}"),
            SignatureStatus::KeyInvalid => format!("signature from {who}: key unusable{why}"),
            SignatureStatus::Malformed => format!("malformed signature{why}"),
            SignatureStatus::OutOfRange => {
                format!("signature from {who} outside the accepted time{why}")
            }
        };
        if s.status == SignatureStatus::Good {
            let whose = match super::auth::level_of(s) {
                Some(crate::trust::Level::Own) => " (your own key)",
                Some(crate::trust::Level::Full) => " (authenticated)",
                Some(crate::trust::Level::Partial) => " (partially authenticated)",
                Some(crate::trust::Level::None) => " (not authenticated)",
                None => "",
            };
            ctx.info(format!("zpgp: {line}{whose}"));
            if let Some(note) = super::auth::signature_note(s) {
                ctx.info(format!("zpgp: note: {note}"));
            }
        } else {
            ctx.say(line);
        }
    }
}

/// Says how to read an eyes-only message that was not written.
pub fn eyes_only_hint(mut e: anyhow::Error) -> anyhow::Error {
    if let Some(err) = e.downcast_mut::<Error>() {
        if err.failure == Failure::EyesOnly {
            err.hint = Some(
                "nothing was written; read it on a terminal with -o - (standard output), or \
                 write it anyway with --force"
                    .into(),
            );
        }
    }
    e
}

/// Whether output to `path` (standard output when `None`) lands on a
/// terminal, the one place an eyes-only message goes without --force.
pub fn shown_on_terminal(path: Option<&Path>) -> bool {
    use std::io::IsTerminal;
    path.is_none_or(|p| p.as_os_str() == "-" || p.as_os_str() == "/dev/stdout")
        && std::io::stdout().is_terminal()
}
