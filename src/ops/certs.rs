//! Certificate upkeep without a keyring: reading certs and keys, changing
//! a key's password, revoking, certifying and validating user IDs, and
//! merging updates.  Used by the SOP interface; the keyring commands may
//! use them too.

use std::io::Read;
use std::time::SystemTime;

use anyhow::Result;
use sequoia_openpgp as openpgp;

use openpgp::cert::CertParser;
use openpgp::cert::amalgamation::ValidAmalgamation;
use openpgp::crypto::{KeyPair, Password};
use openpgp::packet::signature::SignatureBuilder;
use openpgp::packet::{Key, UserID, key::SecretParts};
use openpgp::parse::Parse;
use openpgp::policy::Policy;
use openpgp::types::{ReasonForRevocation, SignatureType};
use openpgp::{Cert, Packet};

use super::errors::{Stage, classify};
use super::keys::{cert_label, unlock};
use crate::error::{Error, Failure};

/// Reads every certificate or key in `input` (armored or binary).
///
/// Fails with [`Failure::BadData`] when the input is empty, is not
/// OpenPGP, or holds no certificate.
pub fn read_certs(input: impl Read + Send + Sync, what: &str) -> Result<Vec<Cert>> {
    let mut input = std::io::BufReader::new(input);
    super::errors::check_looks_like_openpgp(&mut input).map_err(|e| {
        Error::new(
            Failure::BadData,
            format!("{what}: {}", super::errors::root_message(&e)),
        )
    })?;
    // Binding signatures with malformed unhashed subpackets are kept
    // without them (see `super::lenient`).
    let limit = super::lenient::MAX_REPAIR_SIZE as u64;
    let (head, _) = super::lenient::repair_reader((&mut input).take(limit))
        .map_err(|e| anyhow::Error::from(e).context(format!("reading {what}")))?;
    let input = std::io::Cursor::new(head).chain(input);
    let parser = CertParser::from_reader(input).map_err(|e| classify(e, Stage::Parse))?;
    let mut certs = Vec::new();
    for c in parser {
        let c = c.map_err(|e| {
            Error::new(
                Failure::BadData,
                format!(
                    "{what} is not a valid certificate: {}",
                    super::errors::root_message(&e)
                ),
            )
        })?;
        certs.push(c);
    }
    if certs.is_empty() {
        return Err(Error::new(Failure::BadData, format!("{what} holds no certificate")).into());
    }
    Ok(certs)
}

/// Checks that every cert in `keys` carries secret key material.
///
/// A certificate given where a secret key is needed is
/// [`Failure::BadData`].
pub fn require_secret(keys: &[Cert], what: &str) -> Result<()> {
    if let Some(c) = keys.iter().find(|c| !c.is_tsk()) {
        return Err(Error::new(
            Failure::BadData,
            format!(
                "{what} holds the certificate {}, not a secret key",
                c.fingerprint()
            ),
        )
        .into());
    }
    Ok(())
}

/// Unlocks a secret key with the first of `passwords` that fits (none is
/// needed for an unprotected key).  Fails with [`Failure::KeyIsProtected`].
pub fn unlock_any<R: openpgp::packet::key::KeyRole + Clone>(
    key: &Key<SecretParts, R>,
    passwords: &[Password],
) -> Result<KeyPair> {
    if key.has_unencrypted_secret() {
        return unlock(key, None);
    }
    for pw in passwords {
        if let Ok(kp) = unlock(key, Some(pw)) {
            return Ok(kp);
        }
    }
    unlock(key, passwords.first())
}

fn decrypt_with<R: openpgp::packet::key::KeyRole>(
    key: Key<SecretParts, R>,
    passwords: &[Password],
) -> Result<Key<SecretParts, R>> {
    if key.has_unencrypted_secret() {
        return Ok(key);
    }
    let fpr = key.fingerprint();
    for pw in passwords {
        if let Ok(k) = key.clone().decrypt_secret(pw) {
            return Ok(k);
        }
    }
    Err(Error::new(
        Failure::KeyIsProtected,
        if passwords.is_empty() {
            format!("key {fpr} is protected by a password, and none was given")
        } else {
            format!("no given password unlocks key {fpr}")
        },
    )
    .into())
}

fn reprotect<R: openpgp::packet::key::KeyRole>(
    key: Key<SecretParts, R>,
    old: &[Password],
    new: Option<&Password>,
) -> Result<Key<SecretParts, R>> {
    let key = decrypt_with(key, old)?;
    match new {
        Some(pw) => key.encrypt_secret(pw),
        None => Ok(key),
    }
}

/// Unlocks every secret of `key` with one of `old` and protects it with
/// `new`, or leaves it unprotected when `new` is `None`.
pub fn change_password(key: Cert, old: &[Password], new: Option<&Password>) -> Result<Cert> {
    let mut packets = Vec::new();
    for p in key.into_tsk().into_packets() {
        packets.push(match p {
            Packet::SecretKey(k) => Packet::SecretKey(reprotect(k, old, new)?),
            Packet::SecretSubkey(k) => Packet::SecretSubkey(reprotect(k, old, new)?),
            p => p,
        });
    }
    Cert::from_packets(packets.into_iter())
}

pub(crate) fn primary_signer(key: &Cert, passwords: &[Password], what: &str) -> Result<KeyPair> {
    let primary = key.primary_key().key().clone();
    let Ok(primary) = primary.parts_into_secret() else {
        return Err(Error::new(
            Failure::BadData,
            format!(
                "{what}: the secret part of the primary key of {} is not available",
                key.fingerprint()
            ),
        )
        .into());
    };
    unlock_any(&primary, passwords)
}

/// Revokes `key` ("no reason given") and returns its certificate, with the
/// revocation and without secret key material.
pub fn revoke(key: &Cert, passwords: &[Password]) -> Result<Cert> {
    let mut signer = primary_signer(key, passwords, "cannot revoke")?;
    let sig = key.revoke(&mut signer, ReasonForRevocation::Unspecified, b"")?;
    let (cert, _) = key.clone().insert_packets(Some(sig))?;
    Ok(cert.strip_secret_key_material())
}

/// Certification-capable, unlocked keys of each certifier.
pub fn certifying_keys(
    certifiers: &[Cert],
    passwords: &[Password],
    policy: &dyn Policy,
    time: Option<SystemTime>,
) -> Result<Vec<KeyPair>> {
    let mut out = Vec::new();
    for c in certifiers {
        let fail = |why: String| -> anyhow::Error {
            Error::new(
                Failure::KeyCannotCertify,
                format!("cannot certify with {}: {why}", cert_label(c, policy, time)),
            )
            .into()
        };
        let vc = c
            .with_policy(policy, time)
            .map_err(|e| fail(format!("not valid under the policy: {e}")))?;
        vc.alive()
            .map_err(|_| fail("the certificate is expired".into()))?;
        let key = vc
            .keys()
            .alive()
            .revoked(false)
            .for_certification()
            .secret()
            .next()
            .map(|ka| ka.key().clone())
            .ok_or_else(|| fail("it has no usable certification key with secret".into()))?;
        out.push(unlock_any(&key, passwords)?);
    }
    Ok(out)
}

/// Certifies `userids` on `cert` with every key in `certifiers`.
///
/// Each user ID must be validly self-signed on `cert` unless
/// `require_self_sig` is false, in which case a missing one is added
/// (certified, but not self-signed).  Fails with
/// [`Failure::CertUserIdNoMatch`].
pub fn certify_userids(
    cert: Cert,
    userids: &[String],
    certifiers: &mut [KeyPair],
    require_self_sig: bool,
    policy: &dyn Policy,
    time: Option<SystemTime>,
) -> Result<Cert> {
    let mut packets: Vec<Packet> = Vec::new();
    let valid: Vec<UserID> = cert
        .with_policy(policy, time)
        .map(|vc| vc.userids().map(|u| u.userid().clone()).collect())
        .unwrap_or_default();
    for uid in userids {
        let uid = UserID::from(uid.as_str());
        if !valid.contains(&uid) {
            if require_self_sig {
                return Err(Error::new(
                    Failure::CertUserIdNoMatch,
                    format!(
                        "{} has no validly self-signed user ID {:?}",
                        cert.fingerprint(),
                        String::from_utf8_lossy(uid.value())
                    ),
                )
                .into());
            }
            packets.push(uid.clone().into());
        }
        for signer in certifiers.iter_mut() {
            let mut b = SignatureBuilder::new(SignatureType::GenericCertification);
            if let Some(t) = time {
                b = b.set_signature_creation_time(t)?;
            }
            let sig = b.sign_userid_binding(signer, cert.primary_key().key(), &uid)?;
            packets.push(uid.clone().into());
            packets.push(sig.into());
        }
    }
    Ok(cert.insert_packets(packets)?.0)
}

/// The e-mail address of a user ID, if it has one.
fn email_of(uid: &UserID) -> Option<String> {
    uid.email_normalized().ok().flatten()
}

/// Whether `userid` is bound to `cert` and certified by one of
/// `authorities` (a valid self-signature counts when `cert` itself is an
/// authority).  With `addr_spec_only`, `userid` is an e-mail address
/// matched against the address part of each user ID.
pub fn validate_userid(
    cert: &Cert,
    userid: &str,
    addr_spec_only: bool,
    authorities: &[Cert],
    policy: &dyn Policy,
    time: Option<SystemTime>,
) -> bool {
    let Ok(vc) = cert.with_policy(policy, time) else {
        return false;
    };
    if vc.alive().is_err()
        || matches!(
            vc.revocation_status(),
            openpgp::types::RevocationStatus::Revoked(_)
        )
    {
        return false;
    }
    let wanted = userid.trim().to_lowercase();
    let t = time.unwrap_or_else(SystemTime::now);
    for ua in vc.userids() {
        let matches = if addr_spec_only {
            email_of(ua.userid()).is_some_and(|e| e == wanted)
        } else {
            ua.userid().value() == userid.as_bytes()
        };
        if !matches
            || matches!(
                ua.revocation_status(),
                openpgp::types::RevocationStatus::Revoked(_)
            )
        {
            continue;
        }
        for auth in authorities {
            if auth.fingerprint() == cert.fingerprint() {
                return true;
            }
            let Ok(avc) = auth.with_policy(policy, time) else {
                continue;
            };
            if avc.alive().is_err() {
                continue;
            }
            for ka in avc.keys().for_certification() {
                let good = ua.certifications().any(|sig| {
                    sig.signature_alive(t, std::time::Duration::ZERO).is_ok()
                        && policy.signature(sig, Default::default()).is_ok()
                        && sig
                            .verify_userid_binding(ka.key(), cert.primary_key().key(), ua.userid())
                            .is_ok()
                });
                if good {
                    return true;
                }
            }
        }
    }
    false
}

/// Merges into `cert` the updates (signatures, user IDs, subkeys) of every
/// cert in `updates` with the same fingerprint.  Secret key material of
/// `cert` is kept; none is taken from `updates`.
pub fn merge_updates(cert: Cert, updates: &[Cert]) -> Result<Cert> {
    let mut cert = cert;
    for u in updates {
        if u.fingerprint() == cert.fingerprint() {
            cert = cert.merge_public(u.clone().strip_secret_key_material())?;
        }
    }
    Ok(cert)
}

/// Re-issues, hashed with SHA-512, every newest self-signature that the
/// policy no longer accepts for its hash (SHA-1, MD5, RIPEMD-160) or that
/// has expired or expires within 30 days: user ID bindings, subkey bindings
/// (with a fresh back-signature from a signing subkey) and the direct-key
/// signature.  Everything else in the old
/// signature (flags, preferences, expiry) is kept.  This is SOP's
/// `update-key` keeping an old key usable; a key with nothing weak comes
/// back unchanged.
pub fn refresh_weak_self_signatures(
    key: Cert,
    passwords: &[Password],
    policy: &dyn openpgp::policy::Policy,
    time: std::time::SystemTime,
) -> Result<Cert> {
    use openpgp::packet::signature::SignatureBuilder;
    use openpgp::policy::HashAlgoSecurity;
    use openpgp::types::{HashAlgorithm, SignatureType};

    // A self-signature that has expired or expires within this window is
    // re-issued too; its validity period counts again from now.
    let soon = time + std::time::Duration::from_secs(30 * 24 * 60 * 60);
    let weak = |sig: &openpgp::packet::Signature| {
        policy
            .signature(sig, HashAlgoSecurity::CollisionResistance)
            .is_err()
            || sig.signature_expiration_time().is_some_and(|t| t < soon)
    };
    let renew = |sig: &openpgp::packet::Signature| -> Result<SignatureBuilder> {
        SignatureBuilder::from(sig.clone())
            .set_hash_algo(HashAlgorithm::SHA512)
            .set_signature_creation_time(time)
    };

    let mut new_sigs: Vec<openpgp::Packet> = Vec::new();
    let mut primary_signer = None;
    let signer = |key: &Cert| -> Result<KeyPair> {
        let primary = key
            .primary_key()
            .key()
            .clone()
            .parts_into_secret()
            .map_err(|_| {
                Error::new(
                    Failure::KeyCannotCertify,
                    "the primary secret key is not in the input",
                )
            })?;
        unlock_any(&primary, passwords)
    };

    if let Some(sig) = key.primary_key().self_signatures().next() {
        if weak(sig) && sig.typ() == SignatureType::DirectKey {
            let s = primary_signer.get_or_insert(signer(&key)?);
            new_sigs.push(renew(sig)?.sign_direct_key(s, None)?.into());
        }
    }
    for ua in key.userids() {
        if let Some(sig) = ua.self_signatures().next() {
            if weak(sig) {
                let s = match &mut primary_signer {
                    Some(s) => s,
                    None => primary_signer.insert(signer(&key)?),
                };
                new_sigs.push(ua.userid().bind(s, &key, renew(sig)?)?.into());
            }
        }
    }
    for ka in key.keys().subkeys() {
        let Some(sig) = ka.self_signatures().next() else {
            continue;
        };
        if !weak(sig) {
            continue;
        }
        let mut builder = renew(sig)?;
        if sig.key_flags().is_some_and(|f| f.for_signing()) {
            let sub = ka.key().clone().parts_into_secret().map_err(|_| {
                Error::new(
                    Failure::KeyCannotSign,
                    format!(
                        "the secret of signing subkey {} is needed to renew its binding",
                        ka.key().fingerprint()
                    ),
                )
            })?;
            let mut sub_signer = unlock_any(&sub, passwords)?;
            let backsig = SignatureBuilder::new(SignatureType::PrimaryKeyBinding)
                .set_hash_algo(HashAlgorithm::SHA512)
                .set_signature_creation_time(time)?
                .sign_primary_key_binding(&mut sub_signer, key.primary_key().key(), ka.key())?;
            builder = builder.set_embedded_signature(backsig)?;
        }
        let s = match &mut primary_signer {
            Some(s) => s,
            None => primary_signer.insert(signer(&key)?),
        };
        new_sigs.push(ka.key().bind(s, &key, builder)?.into());
    }
    if new_sigs.is_empty() {
        return Ok(key);
    }
    Ok(key.insert_packets(new_sigs)?.0)
}
