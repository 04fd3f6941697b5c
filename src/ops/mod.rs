//! Stateless OpenPGP operations over sequoia-openpgp.
//!
//! They take certificates, keys, passwords and streams, and return reports;
//! they know nothing of the keyring or of the command line.
//!
//! Every operation streams: memory stays flat in the size of the input.
//! Readers are taken as `impl Read` so the caller decides how input is
//! opened (nothing here memory-maps files).  Errors that scripts branch on
//! carry a [`crate::error::Failure`].

pub mod armor;
pub mod audit;
pub mod buffers;
pub mod certify;
pub mod certs;
pub mod decrypt;
pub mod detach;
pub mod encrypt;
mod errors;
#[cfg(feature = "crypto-openssl")]
mod fast;
pub mod generate;
pub mod inspect;
pub mod keyinfo;
pub mod keys;
pub(crate) mod lenient;
mod librepgp;
mod replay;
pub mod report;
pub mod sign;
pub mod sniff;
pub mod text;
pub mod upkeep;
pub mod verify;

#[cfg(test)]
mod tests;

pub use armor::{ArmorKind, ArmorReport, armor, dearmor};
pub use decrypt::{
    DEFAULT_MAX_ARGON2_MEMORY, DecryptOptions, DecryptReport, DecryptedWith, KeyPassphraseFn,
    PasswordFn, PasswordLimits, decrypt,
};
pub use encrypt::{
    EncryptOptions, EncryptReport, Explanation, MessageFormat, RecipientReport, encrypt, explain,
    recipient_keys,
};
pub use keys::{DecryptionKey, KeyStore, SigningKey, Unlocked, cert_label, unlock};
pub use report::{LiteralInfo, SignatureReport, SignatureStatus};
pub use sign::{SignMode, SignOptions, SignReport, preferred_hashes, sign, signing_key};
pub use verify::{
    RequiredSigner, SignedKind, VerifyOptions, VerifyReport, check_required, verify,
    verify_detached,
};

/// Finds the certificates that may hold the given issuers' keys, so a
/// caller with a large keyring need not load it whole to check one
/// signature.
pub type CertLookup<'a> = dyn Fn(&[sequoia_openpgp::KeyHandle]) -> Vec<sequoia_openpgp::Cert> + 'a;

pub use buffers::DEFAULT_BUFFER_SIZE;
pub(crate) use buffers::IO_BUFFER_SIZE;

/// Copies `input` to `output` with a large buffer; returns the byte count.
///
/// Read errors go through `on_read` (to classify damaged input), write
/// errors get a plain "writing output" context.
pub(crate) fn copy(
    input: &mut dyn std::io::Read,
    output: &mut dyn std::io::Write,
    on_read: fn(std::io::Error) -> anyhow::Error,
) -> anyhow::Result<u64> {
    use anyhow::Context;
    let mut buf = vec![0u8; IO_BUFFER_SIZE];
    let mut total = 0u64;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(on_read(e)),
        };
        output.write_all(&buf[..n]).context("writing output")?;
        total += n as u64;
    }
}

/// Reads the start of `input`, at most `limit` bytes, and tells whether
/// that is all of it.  An input read whole is then parsed from memory
/// (`from_bytes`, `verify_bytes`): through sequoia's generic reader even
/// a short input costs a zeroed 96 KiB buffer, tens of page faults.
pub(crate) fn read_start(
    input: &mut impl std::io::Read,
    limit: usize,
) -> std::io::Result<(Vec<u8>, bool)> {
    use std::io::Read;
    let mut start = Vec::with_capacity(limit.min(8 << 10));
    input.take(limit as u64).read_to_end(&mut start)?;
    let whole = start.len() < limit;
    Ok((start, whole))
}

/// After an encrypted container has been read to its end: only the end
/// of the message may follow (marker and padding packets are to be
/// ignored wherever they are).  `pp` is the parser on the container.
pub(crate) fn expect_end_after_container(
    pp: sequoia_openpgp::parse::PacketParser<'_>,
) -> std::io::Result<()> {
    use sequoia_openpgp::packet::Tag;
    use sequoia_openpgp::parse::PacketParserResult;
    use std::io;
    let (_, mut next) = pp.next().map_err(io::Error::other)?;
    while let PacketParserResult::Some(pp) = next {
        match pp.packet.tag() {
            Tag::Marker | Tag::Padding => next = pp.next().map_err(io::Error::other)?.1,
            tag => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    sequoia_openpgp::Error::MalformedMessage(format!(
                        "unexpected {tag} packet after the encrypted data"
                    )),
                ));
            }
        }
    }
    Ok(())
}

thread_local! {
    /// Set while [`guard_parser`] runs: its panics are reported as errors,
    /// so the panic hook stays quiet about them.
    static IN_GUARD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic into a [`crate::error::Failure::BadData`]
/// error.
///
/// Sequoia's parser has assertions that hostile input can trip: 2.4.2
/// unwraps a read in `parse.rs` that fails when a SEIPDv1 message ends
/// within 40 bytes of its start once the session key fits (found by the
/// fuzz tests; a truncated message from anyone reaches it).  A panic there must not become a crash with a
/// backtrace: the input is bad, and an output file is dropped unfinished
/// (so removed) as on any other error.  The panic hook is silenced for
/// panics caught here only.
pub(crate) fn guard_parser<T>(f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_GUARD.with(|g| g.get()) {
                previous(info);
            }
        }));
    });
    let was = IN_GUARD.with(|g| g.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_GUARD.with(|g| g.set(was));
    result.unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(crate::error::Error::new(
            crate::error::Failure::BadData,
            format!(
                "the input is malformed: the OpenPGP parser failed on it ({})",
                crate::display::Safe(&what)
            ),
        )
        .into())
    })
}

#[cfg(test)]
mod guard_tests {
    use crate::error::{Failure, failure_of};

    #[test]
    fn a_panic_in_the_parser_is_bad_data() {
        let e = super::guard_parser::<()>(|| panic!("assertion \x1b[2J failed")).unwrap_err();
        assert_eq!(failure_of(&e), Some(Failure::BadData));
        assert!(e.to_string().contains("\\u{1b}[2J"), "{e}");
        // The guard leaves no trace: the next call works.
        assert_eq!(super::guard_parser(|| Ok(5)).unwrap(), 5);
    }
}
