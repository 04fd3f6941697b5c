//! The upkeep of a key over its life: expiry, revocations, new user IDs and
//! new subkeys.  Each function takes the transferable secret key and the
//! passphrases that unlock it, and returns the key with the new signatures
//! (and, for a new subkey, its secret) merged in; the caller stores it.

use std::time::{Duration, SystemTime};

use anyhow::{Context as _, Result};
use openpgp::cert::prelude::*;
use openpgp::crypto::{KeyPair, Password, Signer};
use openpgp::packet::signature::SignatureBuilder;
use openpgp::packet::{Signature, UserID};
use openpgp::policy::Policy;
use openpgp::types::{
    Curve, KeyFlags, PublicKeyAlgorithm, ReasonForRevocation, RevocationStatus, SignatureType,
};
use openpgp::{Cert, Fingerprint, Packet};
use sequoia_openpgp as openpgp;

use super::certs::{primary_signer, unlock_any};
use crate::error::{Error, Failure};

/// Sequoia stamps new self-signatures with the current second; one made in
/// the same second as the newest one it replaces would tie with it, and
/// which of two tied binding signatures wins is not defined.  This is how
/// long to wait before making new ones (zero almost always).
pub fn wait_before_signing(cert: &Cert, now: SystemTime) -> Duration {
    let newest = cert
        .primary_key()
        .self_signatures()
        .chain(cert.userids().flat_map(|u| u.self_signatures()))
        .chain(cert.keys().subkeys().flat_map(|k| k.self_signatures()))
        .filter_map(|s| s.signature_creation_time())
        .max();
    let now_secs = seconds(now);
    match newest.map(seconds) {
        Some(t) if t >= now_secs => {
            let next = SystemTime::UNIX_EPOCH + Duration::from_secs(t + 1);
            next.duration_since(now).unwrap_or_default()
        }
        _ => Duration::ZERO,
    }
}

fn seconds(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Makes the primary key (when `primary`) and the subkeys in `subkeys`
/// expire at `expiration` (`None`: never).  A signing subkey's new binding
/// needs its back-signature, so its secret is unlocked too.
pub fn set_expiration(
    tsk: &Cert,
    policy: &dyn Policy,
    now: SystemTime,
    passwords: &[Password],
    primary: bool,
    subkeys: &[Fingerprint],
    expiration: Option<SystemTime>,
) -> Result<Cert> {
    let vc = valid(tsk, policy, now)?;
    let mut signer = primary_signer(tsk, passwords, "cannot change the expiry")?;
    let mut sigs: Vec<Signature> = Vec::new();
    // A time before a key was made cannot be said in OpenPGP (the expiry
    // counts from the key's creation): such a key expires a second after
    // it was made, which is just as past.
    let at = |created: SystemTime| expiration.map(|e| e.max(created + Duration::from_secs(1)));
    if primary {
        sigs.extend(
            vc.primary_key()
                .set_expiration_time(&mut signer, at(vc.primary_key().key().creation_time()))
                .context("cannot make the primary key's new self-signatures")?,
        );
    }
    for ka in vc.keys().subkeys() {
        if !subkeys.contains(&ka.key().fingerprint()) {
            continue;
        }
        let mut backsigner = if ka.for_signing() {
            Some(subkey_signer(&ka, passwords)?)
        } else {
            None
        };
        sigs.extend(
            ka.set_expiration_time(
                &mut signer,
                backsigner.as_mut().map(|s| s as &mut dyn Signer),
                at(ka.key().creation_time()),
            )
            .with_context(|| format!("cannot bind the subkey {:X} anew", ka.key().fingerprint()))?,
        );
    }
    Ok(tsk.clone().insert_packets(sigs)?.0)
}

fn subkey_signer(
    ka: &ValidSubordinateKeyAmalgamation<'_, openpgp::packet::key::PublicParts>,
    passwords: &[Password],
) -> Result<KeyPair> {
    let key = ka.key().clone().parts_into_secret().map_err(|_| {
        Error::new(
            Failure::KeyCannotSign,
            format!(
                "the secret part of the signing subkey {:X} is not available (its binding needs a signature by it)",
                ka.key().fingerprint()
            ),
        )
    })?;
    unlock_any(&key, passwords)
}

/// What is revoked.
pub enum Target<'a> {
    /// The whole key.
    Cert,
    Subkey(&'a Fingerprint),
    UserId(&'a UserID),
}

/// Whether the target is already revoked: the revocations on file, newest
/// first.
pub fn revocations(
    cert: &Cert,
    policy: &dyn Policy,
    now: SystemTime,
    target: &Target,
) -> Result<Vec<Signature>> {
    let vc = valid(cert, policy, now)?;
    let status = match target {
        Target::Cert => vc.revocation_status(),
        Target::Subkey(fpr) => vc
            .keys()
            .subkeys()
            .find(|k| &&k.key().fingerprint() == fpr)
            .map(|k| k.revocation_status())
            .unwrap_or(RevocationStatus::NotAsFarAsWeKnow),
        Target::UserId(uid) => vc
            .userids()
            .find(|u| u.userid() == *uid)
            .map(|u| u.revocation_status())
            .unwrap_or(RevocationStatus::NotAsFarAsWeKnow),
    };
    Ok(match status {
        RevocationStatus::Revoked(sigs) => sigs.into_iter().cloned().collect(),
        _ => Vec::new(),
    })
}

/// Revokes the key, one subkey, or one user ID, with a reason and a
/// message for the contacts.
pub fn revoke(
    tsk: &Cert,
    policy: &dyn Policy,
    now: SystemTime,
    passwords: &[Password],
    target: &Target,
    reason: ReasonForRevocation,
    message: &str,
) -> Result<Cert> {
    valid(tsk, policy, now)?;
    let mut signer = primary_signer(tsk, passwords, "cannot revoke")?;
    let sig = match target {
        Target::Cert => CertRevocationBuilder::new()
            .set_reason_for_revocation(reason, message.as_bytes())?
            .build(&mut signer, tsk, None)?,
        Target::Subkey(fpr) => {
            let key = tsk
                .keys()
                .subkeys()
                .find(|k| &&k.key().fingerprint() == fpr)
                .ok_or_else(|| anyhow::anyhow!("no subkey {fpr:X}"))?;
            SubkeyRevocationBuilder::new()
                .set_reason_for_revocation(reason, message.as_bytes())?
                .build(&mut signer, tsk, key.key(), None)?
        }
        Target::UserId(uid) => UserIDRevocationBuilder::new()
            .set_reason_for_revocation(reason, message.as_bytes())?
            .build(&mut signer, tsk, uid, None)?,
    };
    Ok(tsk.clone().insert_packets(Some(sig))?.0)
}

/// Binds a new user ID, with the preferences and expiry of the primary
/// user ID's binding (so the new one does not change how peers write to
/// the key), but not its "primary" flag.
pub fn add_userid(
    tsk: &Cert,
    policy: &dyn Policy,
    now: SystemTime,
    passwords: &[Password],
    userid: UserID,
) -> Result<Cert> {
    let vc = valid(tsk, policy, now)?;
    let template = match vc.primary_userid() {
        Ok(u) => SignatureBuilder::from(u.binding_signature().clone())
            .set_type(SignatureType::PositiveCertification)
            .set_primary_userid(false)?,
        // A key without any user ID yet: its direct-key signature holds
        // the preferences.
        Err(_) => SignatureBuilder::from(vc.direct_key_signature()?.clone())
            .set_type(SignatureType::PositiveCertification),
    };
    let mut signer = primary_signer(tsk, passwords, "cannot add the user ID")?;
    let sig = userid
        .bind(&mut signer, tsk, template)
        .context("cannot sign the new user ID")?;
    Ok(tsk
        .clone()
        .insert_packets(vec![Packet::from(userid), Packet::from(sig)])?
        .0)
}

/// What a subkey is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubkeyUse {
    Encrypt,
    Sign,
    Authenticate,
}

impl SubkeyUse {
    pub fn flags(self) -> KeyFlags {
        match self {
            SubkeyUse::Encrypt => KeyFlags::empty()
                .set_transport_encryption()
                .set_storage_encryption(),
            SubkeyUse::Sign => KeyFlags::empty().set_signing(),
            SubkeyUse::Authenticate => KeyFlags::empty().set_authentication(),
        }
    }

    /// Whether a subkey with `flags` serves this use.
    pub fn matches(self, flags: &KeyFlags) -> bool {
        match self {
            SubkeyUse::Encrypt => {
                flags.for_transport_encryption() || flags.for_storage_encryption()
            }
            SubkeyUse::Sign => flags.for_signing(),
            SubkeyUse::Authenticate => flags.for_authentication(),
        }
    }
}

/// The cipher suite of the primary key, for a new subkey that should match
/// it; `None` when the primary key's algorithm has no suite (e.g. DSA).
pub fn suite_of_primary(cert: &Cert) -> Option<CipherSuite> {
    let key = cert.primary_key().key();
    #[allow(deprecated)]
    match key.pk_algo() {
        PublicKeyAlgorithm::Ed25519 | PublicKeyAlgorithm::X25519 => Some(CipherSuite::Cv25519),
        PublicKeyAlgorithm::Ed448 | PublicKeyAlgorithm::X448 => Some(CipherSuite::Cv448),
        PublicKeyAlgorithm::RSAEncryptSign | PublicKeyAlgorithm::RSASign => {
            match key.mpis().bits() {
                Some(b) if b > 3072 => Some(CipherSuite::RSA4k),
                _ => Some(CipherSuite::RSA3k),
            }
        }
        PublicKeyAlgorithm::EdDSA => Some(CipherSuite::Cv25519),
        PublicKeyAlgorithm::MLDSA65_Ed25519 => Some(CipherSuite::MLDSA65_Ed25519),
        PublicKeyAlgorithm::MLDSA87_Ed448 => Some(CipherSuite::MLDSA87_Ed448),
        PublicKeyAlgorithm::ECDSA | PublicKeyAlgorithm::ECDH => match key.mpis() {
            openpgp::crypto::mpi::PublicKey::ECDSA { curve, .. }
            | openpgp::crypto::mpi::PublicKey::ECDH { curve, .. } => match curve {
                Curve::NistP256 => Some(CipherSuite::P256),
                Curve::NistP384 => Some(CipherSuite::P384),
                Curve::NistP521 => Some(CipherSuite::P521),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// Adds a subkey for `usage`, made with `suite`, expiring at `expiration`
/// (`None`: never), its secret protected with `password` (`None`:
/// unprotected, as the primary key then is), created at `creation`.
#[allow(clippy::too_many_arguments)]
pub fn add_subkey(
    tsk: &Cert,
    policy: &dyn Policy,
    now: SystemTime,
    passwords: &[Password],
    usage: SubkeyUse,
    suite: CipherSuite,
    expiration: Option<SystemTime>,
    password: Option<Password>,
    creation: SystemTime,
) -> Result<(Cert, Fingerprint)> {
    suite.is_supported().map_err(|e| {
        Error::new(
            Failure::UnsupportedAsymmetricAlgo,
            format!("this build cannot make {suite:?} keys: {e}"),
        )
    })?;
    if matches!(
        suite,
        CipherSuite::MLDSA65_Ed25519 | CipherSuite::MLDSA87_Ed448
    ) && tsk.primary_key().key().version() != 6
    {
        return Err(Error::new(
            Failure::UnsupportedAsymmetricAlgo,
            format!(
                "the key {:X} is a v4 key: zpgp makes post-quantum subkeys for v6 keys only \
                 (RFC 9980 allows ML-KEM on v4 keys, but ML-DSA signatures only on v6)",
                tsk.fingerprint()
            ),
        )
        .hint("make a post-quantum key and move to it: zpgp generate --profile pqc --email EMAIL")
        .into());
    }
    let vc = valid(tsk, policy, now)?;
    let signer = primary_signer(tsk, passwords, "cannot add a subkey")?;
    // Not before the primary key: a binding older than the key it binds
    // to is not valid.
    let creation = creation.max(tsk.primary_key().key().creation_time());
    let mut builder = KeyBuilder::new(usage.flags())
        .set_cipher_suite(suite)
        .set_creation_time(creation);
    if let Some(pw) = password {
        builder = builder.set_password(Some(pw));
    }
    let builder = builder
        .subkey(vc)
        .context("cannot make the subkey")?
        .set_key_expiration_time(expiration)?
        .set_primary_key_signer(signer);
    let fpr = builder.key().fingerprint();
    let cert = builder
        .attach_cert()
        .context("cannot bind the new subkey")?;
    Ok((cert, fpr))
}

/// The certificate as seen under `policy` now, or why it cannot be changed.
fn valid<'a>(cert: &'a Cert, policy: &'a dyn Policy, now: SystemTime) -> Result<ValidCert<'a>> {
    cert.with_policy(policy, now).map_err(|e| {
        Error::new(
            Failure::PrimaryKeyBad,
            format!(
                "the key {:X} is not valid under the policy, so it cannot be changed: {}",
                cert.fingerprint(),
                super::keyinfo::rejection_reason(cert, policy, now, &e)
            ),
        )
        .into()
    })
}
