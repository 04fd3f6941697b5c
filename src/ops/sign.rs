//! Inline, detached and cleartext signatures.

use std::io::{BufWriter, Read, Write};
use std::time::SystemTime;

use anyhow::{Context, Result};
use sequoia_openpgp as openpgp;

use openpgp::Cert;
use openpgp::armor;
use openpgp::cert::amalgamation::ValidAmalgamation;
use openpgp::crypto::Signer as _;

use super::keys::SigningKey;
use openpgp::packet::Key;
use openpgp::packet::key::{SecretParts, UnspecifiedRole};
use openpgp::packet::signature::SignatureBuilder;
use openpgp::policy::Policy;
use openpgp::serialize::stream::{Armorer, LiteralWriter, Message, Signer};
use openpgp::types::{DataFormat, HashAlgorithm, RevocationStatus, SignatureType};
use serde::Serialize;

use super::keys::cert_label;
use crate::error::{Error, Failure};

/// The shape of the signed output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignMode {
    /// A signed message holding the data (one-pass signatures).
    #[default]
    Inline,
    /// Only the signature; the data stays where it is.
    Detached,
    /// The cleartext signature framework: readable text, then an armored
    /// signature.  Always armored, always a text signature.
    Cleartext,
}

/// How to sign.
pub struct SignOptions {
    pub mode: SignMode,
    /// Unlocked signing keys (see [`signing_key`] and [`super::unlock`]).
    pub signers: Vec<SigningKey>,
    /// ASCII armor (ignored for cleartext, which is always armored).
    pub armor: bool,
    /// Make text signatures (line endings normalized), and mark inline
    /// literal data as UTF-8 text.  Cleartext signatures are always text.
    pub text: bool,
    /// The literal format of inline text: `u` (UTF-8) by default, or `t`,
    /// which gpg --textmode and PGP 2 write and which needs no UTF-8.
    pub text_format: DataFormat,
    /// The signature creation time; `None` is now.
    pub time: Option<SystemTime>,
}

impl SignOptions {
    pub fn new(mode: SignMode, signers: Vec<SigningKey>) -> Self {
        SignOptions {
            mode,
            signers,
            armor: false,
            text: false,
            text_format: DataFormat::Unicode,
            time: None,
        }
    }
}

/// What [`sign`] did.
#[derive(Debug, Clone, Serialize)]
pub struct SignReport {
    pub mode: SignMode,
    /// Fingerprints of the signing keys.
    pub signers: Vec<String>,
    pub hash_algo: String,
    /// The hash as a PGP/MIME `micalg` value, e.g. `pgp-sha512`.
    pub micalg: String,
    /// Data bytes read.
    pub bytes_in: u64,
}

/// Picks a valid, alive, unrevoked signing-capable (sub)key of `cert` that
/// has secret key material (possibly still encrypted; unlock it with
/// [`super::unlock`]).  The newest such key wins.
///
/// Fails with [`Failure::KeyCannotSign`] naming the cert and the reason.
pub fn signing_key(
    cert: &Cert,
    policy: &dyn Policy,
    time: Option<SystemTime>,
) -> Result<Key<SecretParts, UnspecifiedRole>> {
    let err = |reason: String| -> anyhow::Error {
        Error::new(
            Failure::KeyCannotSign,
            format!(
                "cannot sign with {}: {reason}",
                cert_label(cert, policy, time)
            ),
        )
        .into()
    };
    let vc = cert.with_policy(policy, time).map_err(|e| {
        err(format!(
            "the certificate is not valid under the policy: {e}"
        ))
    })?;
    if let RevocationStatus::Revoked(_) = vc.revocation_status() {
        return Err(err("the certificate is revoked".into()));
    }
    if vc.alive().is_err() {
        return Err(err(expired(
            "the certificate",
            vc.primary_key().key_expiration_time(),
        )));
    }
    let usable = || vc.keys().supported().alive().revoked(false).for_signing();
    let best = usable()
        .secret()
        .max_by_key(|ka| ka.key().creation_time())
        .map(|ka| ka.key().clone());
    if let Some(key) = best {
        return Ok(key);
    }

    let capable: Vec<_> = vc.keys().for_signing().collect();
    if capable.is_empty() {
        return Err(err("it has no signing-capable key".into()));
    }
    if usable().count() > 0 {
        return Err(err(
            "the secret part of its signing key is not available".into()
        ));
    }
    if capable
        .iter()
        .all(|ka| matches!(ka.revocation_status(), RevocationStatus::Revoked(_)))
    {
        return Err(err("its signing key is revoked".into()));
    }
    if let Some(ka) = capable.iter().find(|ka| ka.alive().is_err()) {
        return Err(err(expired("its signing key", ka.key_expiration_time())));
    }
    Err(err(format!(
        "its signing key uses an unsupported algorithm ({})",
        capable[0].key().pk_algo()
    )))
}

fn expired(what: &str, t: Option<SystemTime>) -> String {
    match t {
        Some(t) => format!("{what} expired on {}", crate::time::rfc3339(t)),
        None => format!("{what} is not valid yet"),
    }
}

/// The signature template: binary or text.
pub(crate) fn signature_template(text: bool) -> SignatureBuilder {
    SignatureBuilder::new(if text {
        SignatureType::Text
    } else {
        SignatureType::Binary
    })
}

/// The hash algorithms `cert` prefers (its primary user ID's binding, or
/// its direct-key signature), for [`SigningKey::with_preferred_hashes`].
pub fn preferred_hashes(
    cert: &Cert,
    policy: &dyn Policy,
    time: Option<SystemTime>,
) -> Vec<HashAlgorithm> {
    use openpgp::cert::Preferences;
    cert.with_policy(policy, time)
        .ok()
        .and_then(|vc| vc.preferred_hash_algorithms().map(<[_]>::to_vec))
        .unwrap_or_default()
}

/// The hashes zpgp signs with, strongest-first where no preference says
/// otherwise; SHA-1 and MD5 never, whatever a key prefers.
const SIGNING_HASHES: [HashAlgorithm; 6] = [
    HashAlgorithm::SHA512,
    HashAlgorithm::SHA256,
    HashAlgorithm::SHA384,
    HashAlgorithm::SHA224,
    HashAlgorithm::SHA3_512,
    HashAlgorithm::SHA3_256,
];

/// Chooses the hash and sets it, so the report can name it (and `micalg`
/// is known before signing): the first in the recipients' preferences
/// (when encrypting to them) that all of them list, else the first in the
/// first signer's preferences, that every signing key can use; SHA-512
/// when no preference fits.
pub(crate) fn pick_hash<'s>(
    signer: Signer<'s>,
    keys: &[SigningKey],
    recipients: &[Vec<HashAlgorithm>],
) -> Result<(Signer<'s>, HashAlgorithm)> {
    let fits = |h: &HashAlgorithm| {
        SIGNING_HASHES.contains(h)
            && h.is_supported()
            && keys.iter().all(|k| k.acceptable_hashes().contains(h))
    };
    let lists: Vec<&Vec<HashAlgorithm>> = recipients.iter().filter(|l| !l.is_empty()).collect();
    let theirs = lists.first().and_then(|first| {
        first
            .iter()
            .find(|h| fits(h) && lists.iter().all(|l| l.contains(h)))
    });
    let ours = || {
        keys.first()
            .and_then(|k| k.preferred_hashes().iter().find(|h| fits(h)))
    };
    let algo = theirs
        .or_else(ours)
        .copied()
        .or_else(|| SIGNING_HASHES.iter().copied().find(|h| fits(h)))
        .ok_or_else(|| {
            Error::new(
                Failure::KeyCannotSign,
                "the signing keys have no hash algorithm in common",
            )
        })?;
    Ok((signer.hash_algo(algo)?, algo))
}

/// Signs `input` with every key in `opts.signers`, writing a signed
/// message, a detached signature, or a cleartext-signed text to `output`.
pub fn sign(
    mut input: impl Read + Send + Sync,
    output: impl Write + Send + Sync,
    opts: &SignOptions,
) -> Result<SignReport> {
    // Sequoia 2.4 verifies a cleartext message only if its one v6
    // signature comes first in the signature block, and it writes the
    // signatures in reverse order: so v6 signers go last.
    let mut keys: Vec<&SigningKey> = opts.signers.iter().collect();
    if opts.mode == SignMode::Cleartext {
        keys.sort_by_key(|k| k.public().version());
    }
    let Some((first, rest)) = keys.split_first() else {
        return Err(Error::new(Failure::MissingArg, "no signing key given").into());
    };
    let text = opts.text || opts.mode == SignMode::Cleartext;

    let mut out = BufWriter::with_capacity(super::IO_BUFFER_SIZE, output);
    let mut message = Message::new(&mut out);
    if opts.armor && opts.mode != SignMode::Cleartext {
        let kind = match opts.mode {
            SignMode::Detached => armor::Kind::Signature,
            _ => armor::Kind::Message,
        };
        message = Armorer::new(message).kind(kind).build()?;
    }

    let mut signer = Signer::with_template(message, (*first).clone(), signature_template(text))?;
    for k in rest {
        signer = signer.add_signer((*k).clone())?;
    }
    let (mut signer, hash) = pick_hash(signer, &opts.signers, &[])?;
    if let Some(t) = opts.time {
        signer = signer.creation_time(t);
    }
    signer = match opts.mode {
        SignMode::Inline => signer,
        SignMode::Detached => signer.detached(),
        SignMode::Cleartext => signer.cleartext(),
    };
    let mut message = signer.build().context("setting up signing")?;
    if opts.mode == SignMode::Inline {
        let format = if opts.text {
            opts.text_format
        } else {
            DataFormat::Binary
        };
        message = LiteralWriter::new(message).format(format).build()?;
    }

    let bytes_in = super::copy(&mut input, &mut message, |e| {
        anyhow::Error::from(e).context("reading the input")
    })?;
    message.finalize().context("finishing the signature")?;
    out.flush().context("writing output")?;

    Ok(SignReport {
        mode: opts.mode,
        signers: opts
            .signers
            .iter()
            .map(|k| k.public().fingerprint().to_hex())
            .collect(),
        hash_algo: hash.to_string(),
        micalg: format!("pgp-{}", hash.to_string().to_lowercase()),
        bytes_in,
    })
}
