//! Turning sequoia's errors into failures that scripts branch on.
//!
//! Sequoia's stream readers report failures as `io::Error`s that wrap an
//! `anyhow::Error`, which in turn holds a `sequoia_openpgp::Error`; the
//! helpers here dig the sequoia error out wherever it sits.

use std::error::Error as StdError;
use std::io;

use sequoia_openpgp as openpgp;

use crate::error::{Error, Failure, failure_of};

/// Finds a sequoia error in `e`'s chain, looking inside `io::Error`s.
fn find_openpgp<'e>(e: &'e (dyn StdError + 'static)) -> Option<&'e openpgp::Error> {
    let mut cur = Some(e);
    while let Some(c) = cur {
        if let Some(o) = c.downcast_ref::<openpgp::Error>() {
            return Some(o);
        }
        if let Some(inner) = c.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            if let Some(o) = find_openpgp(inner) {
                return Some(o);
            }
        }
        cur = c.source();
    }
    None
}

/// Finds an `io::Error` kind in `e`'s chain.
fn find_io_kind(err: &anyhow::Error) -> Option<io::ErrorKind> {
    err.chain()
        .find_map(|c| c.downcast_ref::<io::Error>().map(|e| e.kind()))
}

/// The innermost message of an error chain, for "because" texts.
pub(crate) fn root_message(err: &anyhow::Error) -> String {
    err.chain()
        .last()
        .map(|e| e.to_string())
        .unwrap_or_default()
}

/// Which operation an error happened in; decides the wording.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Decrypt,
    Verify,
    Parse,
}

/// Attaches a failure kind to an error raised while reading OpenPGP
/// input, if it names one.  Errors already carrying a failure, and plain
/// I/O errors, pass unchanged.
pub(crate) fn classify(err: anyhow::Error, stage: Stage) -> anyhow::Error {
    if failure_of(&err).is_some() {
        return err;
    }
    let what = match stage {
        Stage::Decrypt | Stage::Verify => "message",
        Stage::Parse => "input",
    };
    let op = err.chain().find_map(find_openpgp);
    use openpgp::Error as E;
    let (failure, message) = match op {
        Some(E::ManipulatedMessage) => (
            Failure::BadData,
            format!("the {what} was modified or damaged: its integrity check failed"),
        ),
        Some(
            E::MalformedMessage(_)
            | E::MalformedPacket(_)
            | E::MalformedMPI(_)
            | E::PacketTooLarge(..)
            | E::UnsupportedPacketType(_)
            | E::MalformedCert(_),
        ) => (
            Failure::BadData,
            format!(
                "the {what} is not valid OpenPGP data: {}",
                root_message(&err)
            ),
        ),
        Some(E::UnsupportedSymmetricAlgorithm(a)) => (
            Failure::CannotDecrypt,
            format!("the message is encrypted with an unsupported cipher ({a})"),
        ),
        Some(E::UnsupportedAEADAlgorithm(a)) => (
            Failure::CannotDecrypt,
            format!("the message is encrypted with an unsupported AEAD mode ({a})"),
        ),
        Some(E::UnsupportedCompressionAlgorithm(a)) => (
            Failure::BadData,
            format!("the {what} uses an unsupported compression algorithm ({a})"),
        ),
        Some(E::PolicyViolation(..)) => (
            Failure::BadData,
            format!(
                "the {what} was rejected by the policy: {}",
                root_message(&err)
            ),
        ),
        Some(E::MissingSessionKey(_)) => (
            Failure::CannotDecrypt,
            "no session key could be decrypted".to_string(),
        ),
        _ => match find_io_kind(&err) {
            Some(io::ErrorKind::UnexpectedEof) => (
                Failure::BadData,
                format!("the {what} is truncated: it ended early"),
            ),
            Some(io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput) => (
                Failure::BadData,
                format!(
                    "the {what} is not valid OpenPGP data: {}",
                    root_message(&err)
                ),
            ),
            _ => return err,
        },
    };
    // A fresh error, not `err.context(..)`: `failure_of` finds our `Error`
    // only as a link of the chain.  The message carries the cause.
    Error::new(failure, message).into()
}

/// Classifies a read error from a sequoia stream reader.
///
/// While decrypting or verifying, any error that is not a plain I/O
/// error of the underlying input is about the message: with the OpenSSL
/// backend, for one, a failed OCB tag surfaces as "OpenSSL returned a 0
/// c_int as an error" rather than as `Error::ManipulatedMessage`, and a
/// tampered signed message fails in sequoia's grammar ("Unrecognized EOF
/// found at 1") or with errors such as "Unknown kind of fingerprint".
pub(crate) fn read_error(stage: Stage) -> fn(io::Error) -> anyhow::Error {
    match stage {
        Stage::Decrypt => |e| damaged(classify(unwrap_io(e), Stage::Decrypt)),
        Stage::Verify => |e| damaged(classify(unwrap_io(e), Stage::Verify)),
        Stage::Parse => |e| classify(unwrap_io(e), Stage::Parse),
    }
}

/// Marks an unclassified, non-I/O error as damage to the message.
pub(crate) fn damaged(err: anyhow::Error) -> anyhow::Error {
    let plain_io = err
        .downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() != io::ErrorKind::Other || e.get_ref().is_none());
    if failure_of(&err).is_some() || plain_io {
        return err;
    }
    let root = root_message(&err);
    // sequoia's OpenSSL backend reports a failed AEAD tag as libcrypto's
    // bare return code, which tells a user nothing.
    let why = if root.contains("OpenSSL returned a 0 c_int") {
        "an authentication tag did not match".to_string()
    } else {
        root
    };
    Error::new(
        Failure::BadData,
        format!("the message was modified or damaged ({why})"),
    )
    .into()
}

/// Unwraps the `anyhow::Error` sequoia hides in an `io::Error`, so the
/// chain reads naturally.
fn unwrap_io(e: io::Error) -> anyhow::Error {
    if e.kind() != io::ErrorKind::Other || e.get_ref().is_none() {
        return anyhow::Error::from(e);
    }
    let kind = e.kind();
    match e.into_inner() {
        Some(inner) => match inner.downcast::<openpgp::Error>() {
            Ok(o) => anyhow::Error::from(*o),
            Err(inner) => anyhow::Error::from_boxed(inner),
        },
        None => anyhow::Error::from(io::Error::from(kind)),
    }
}

/// Refuses input that cannot be OpenPGP before sequoia reads it, so that,
/// say, a plain text file is called "not OpenPGP data" rather than "a
/// message that ended early".  OpenPGP data starts with a packet tag (high
/// bit set) or, armored, with `-----BEGIN PGP` after optional blank space.
pub(crate) fn check_looks_like_openpgp<R: io::Read>(
    input: &mut io::BufReader<R>,
) -> anyhow::Result<()> {
    use std::io::BufRead;
    let head = match input.fill_buf() {
        Ok(h) => h,
        Err(e) => return Err(anyhow::Error::from(e).context("cannot read the input")),
    };
    if head.is_empty() {
        return Err(Error::new(Failure::BadData, "the input is empty").into());
    }
    let trimmed = {
        let start = head
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(head.len());
        &head[start..]
    };
    let plausible = head[0] & 0x80 != 0
        || trimmed.starts_with(b"-----BEGIN PGP")
        || (trimmed.len() < 14 && b"-----BEGIN PGP".starts_with(trimmed))
        || trimmed.is_empty();
    if plausible {
        return Ok(());
    }
    let looks = super::sniff::looks_like(trimmed)
        .map(|what| format!(": it looks like {what}"))
        .unwrap_or_default();
    Err(Error::new(
        Failure::BadData,
        format!("the input is not OpenPGP data{looks}"),
    )
    .into())
}
