//! Describing a certificate: algorithms, dates, capabilities and state, as
//! `list` shows them and `--json` prints them.

use std::time::SystemTime;

use openpgp::cert::prelude::*;
use openpgp::packet::Key;
use openpgp::packet::key::{PublicParts, UnspecifiedRole};
use openpgp::policy::Policy;
use openpgp::types::{Curve, KeyFlags, PublicKeyAlgorithm, RevocationStatus};
use sequoia_openpgp as openpgp;
use serde::Serialize;

use crate::time::rfc3339;

/// The JSON schema of `zpgp list --json` (documented in the README).
#[derive(Debug, Clone, Serialize)]
pub struct CertInfo {
    pub fingerprint: String,
    pub keyid: String,
    pub version: u8,
    pub algorithm: String,
    pub bits: Option<usize>,
    pub created: String,
    pub expires: Option<String>,
    /// "valid", "expired", "revoked", "not_yet_valid" or "invalid".
    pub state: &'static str,
    /// Why the state is not "valid".
    pub reason: Option<String>,
    pub capabilities: Vec<&'static str>,
    /// Set when the whole key is revoked.
    pub revocation: Option<RevocationInfo>,
    pub userids: Vec<UserIdInfo>,
    pub subkeys: Vec<KeyInfo>,
    /// Whether the keyring holds the secret key.
    pub secret: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct UserIdInfo {
    pub userid: String,
    pub email: Option<String>,
    /// "valid", "revoked", "unbound" (no self-signature at all: not the
    /// owner's, and never matched by a query), or "invalid" (its
    /// self-signature, or the whole certificate, is rejected by policy).
    pub state: &'static str,
    pub revocation: Option<RevocationInfo>,
}

/// A revocation by the key's owner, as `list --json` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RevocationInfo {
    /// "compromised", "superseded", "retired", "unspecified" or "other".
    pub reason: &'static str,
    /// The owner's message, if any (not sanitized: JSON escapes it).
    pub message: Option<String>,
    pub time: Option<String>,
    /// Whether signatures made before it are void too: a compromised key
    /// (or one revoked without a reason) may have been used by a thief
    /// at any time.
    pub hard: bool,
}

impl RevocationInfo {
    /// `reason` or `reason: message`, sanitized, for text output.
    pub fn text(&self) -> String {
        match &self.message {
            Some(m) => format!("{}: {}", self.reason, crate::display::Safe(m)),
            None => self.reason.to_string(),
        }
    }
}

/// The short name of a reason for revocation.
pub fn reason_name(reason: openpgp::types::ReasonForRevocation) -> &'static str {
    use openpgp::types::ReasonForRevocation::*;
    match reason {
        KeyCompromised => "compromised",
        KeySuperseded => "superseded",
        KeyRetired | UIDRetired => "retired",
        Unspecified => "unspecified",
        _ => "other",
    }
}

/// The owner's revocation in `status`, newest first.
pub fn revocation_info(status: &RevocationStatus) -> Option<RevocationInfo> {
    let RevocationStatus::Revoked(sigs) = status else {
        return None;
    };
    let sig = sigs.first()?;
    let (reason, message) = match sig.reason_for_revocation() {
        Some((code, text)) => {
            let text = String::from_utf8_lossy(text).trim().to_string();
            (Some(code), (!text.is_empty()).then_some(text))
        }
        None => (None, None),
    };
    Some(RevocationInfo {
        reason: reason.map(reason_name).unwrap_or("unspecified"),
        message,
        time: sig.signature_creation_time().map(rfc3339),
        hard: reason.is_none_or(|r| r.revocation_type() == openpgp::types::RevocationType::Hard),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    pub fingerprint: String,
    pub keyid: String,
    pub algorithm: String,
    pub bits: Option<usize>,
    pub created: String,
    pub expires: Option<String>,
    pub state: &'static str,
    pub reason: Option<String>,
    pub capabilities: Vec<&'static str>,
    pub revocation: Option<RevocationInfo>,
}

#[allow(deprecated)] // Old algorithms still have to be named.
/// A short algorithm name: `ed25519`, `cv25519`, `x25519`, `rsa3072`,
/// `nistp256`, …
pub fn algorithm_name<R: openpgp::packet::key::KeyRole>(key: &Key<PublicParts, R>) -> String {
    use PublicKeyAlgorithm::*;
    use openpgp::crypto::mpi::PublicKey as P;
    let curve = match key.mpis() {
        P::EdDSA { curve, .. } | P::ECDSA { curve, .. } | P::ECDH { curve, .. } => Some(curve),
        _ => None,
    };
    match (key.pk_algo(), curve) {
        (_, Some(c)) => match c {
            Curve::Ed25519 => "ed25519".into(),
            Curve::Cv25519 => "cv25519".into(),
            Curve::NistP256 => "nistp256".into(),
            Curve::NistP384 => "nistp384".into(),
            Curve::NistP521 => "nistp521".into(),
            Curve::BrainpoolP256 => "brainpoolP256r1".into(),
            Curve::BrainpoolP384 => "brainpoolP384r1".into(),
            Curve::BrainpoolP512 => "brainpoolP512r1".into(),
            other => other.to_string().to_lowercase(),
        },
        (RSAEncryptSign | RSAEncrypt | RSASign, _) => {
            format!("rsa{}", key.mpis().bits().unwrap_or(0))
        }
        (DSA, _) => format!("dsa{}", key.mpis().bits().unwrap_or(0)),
        (ElGamalEncrypt | ElGamalEncryptSign, _) => {
            format!("elg{}", key.mpis().bits().unwrap_or(0))
        }
        (Ed25519, _) => "ed25519".into(),
        (X25519, _) => "x25519".into(),
        (Ed448, _) => "ed448".into(),
        (X448, _) => "x448".into(),
        (MLKEM768_X25519, _) => "mlkem768-x25519".into(),
        (MLKEM1024_X448, _) => "mlkem1024-x448".into(),
        (MLDSA65_Ed25519, _) => "mldsa65-ed25519".into(),
        (MLDSA87_Ed448, _) => "mldsa87-ed448".into(),
        (SLHDSA128s, _) => "slhdsa128s".into(),
        (SLHDSA128f, _) => "slhdsa128f".into(),
        (SLHDSA256s, _) => "slhdsa256s".into(),
        (other, _) => other.to_string().to_lowercase(),
    }
}

/// Why `cert` is invalid under RFC 9980, if it is: a v4 key (primary or
/// subkey) with a post-quantum signature algorithm (ML-DSA, SLH-DSA),
/// which the RFC defines for v6 keys only.  (ML-KEM on v4 keys is
/// allowed: the RFC has a sample of one.)
pub fn post_quantum_misuse(cert: &Cert) -> Option<String> {
    use PublicKeyAlgorithm::*;
    cert.keys().find_map(|ka| {
        let key = ka.key();
        let pq_signature = matches!(
            key.pk_algo(),
            MLDSA65_Ed25519 | MLDSA87_Ed448 | SLHDSA128s | SLHDSA128f | SLHDSA256s
        );
        (pq_signature && key.version() == 4).then(|| {
            format!(
                "the v4 key {:X} uses {}, which RFC 9980 defines for v6 keys only",
                key.fingerprint(),
                pk_algo_name(key.pk_algo())
            )
        })
    })
}

/// A public-key algorithm as people know it: sequoia's names, but
/// SLH-DSA spelt as RFC 9980 does ("SLH-DSA-SHAKE-128s", where sequoia
/// says "SLHDSA128s"); ML-KEM-768+X25519 and ML-DSA-65+Ed25519 are
/// sequoia's own.
pub fn pk_algo_name(algo: PublicKeyAlgorithm) -> String {
    match algo {
        PublicKeyAlgorithm::SLHDSA128s => "SLH-DSA-SHAKE-128s".into(),
        PublicKeyAlgorithm::SLHDSA128f => "SLH-DSA-SHAKE-128f".into(),
        PublicKeyAlgorithm::SLHDSA256s => "SLH-DSA-SHAKE-256s".into(),
        other => other.to_string(),
    }
}

fn capabilities(flags: Option<KeyFlags>) -> Vec<&'static str> {
    let Some(f) = flags else { return Vec::new() };
    let mut caps = Vec::new();
    if f.for_certification() {
        caps.push("certify");
    }
    if f.for_signing() {
        caps.push("sign");
    }
    if f.for_transport_encryption() || f.for_storage_encryption() {
        caps.push("encrypt");
    }
    if f.for_authentication() {
        caps.push("authenticate");
    }
    caps
}

/// The letters gpg shows for capabilities: `[CSEA]`.
pub fn capability_letters(caps: &[&str]) -> String {
    caps.iter()
        .map(|c| c[..1].to_uppercase())
        .collect::<Vec<_>>()
        .join("")
}

fn revocation_reason(status: &RevocationStatus) -> Option<String> {
    revocation_info(status).map(|r| r.text())
}

/// Why `policy` refuses `cert` (`err` is what `with_policy` said), naming
/// the weak algorithm when that is the reason: sequoia itself says only
/// "No binding signature at time …" when every self-signature is SHA-1,
/// and the same for a primary key that is too weak.
pub fn rejection_reason(
    cert: &Cert,
    policy: &dyn Policy,
    time: SystemTime,
    err: &anyhow::Error,
) -> String {
    use openpgp::policy::HashAlgoSecurity;
    // The null policy only reaches the primary key as a valid
    // amalgamation, to ask `policy` about it.
    let null = crate::sys::null_policy();
    if let Ok(vc) = cert.with_policy(&null, time) {
        let primary: ValidErasedKeyAmalgamation<PublicParts> = vc.primary_key().into();
        if let Err(e) = policy.key(&primary) {
            return format!(
                "the primary key is too weak: {}",
                crate::error::chain_text(&e)
            );
        }
    }
    let self_sigs = cert
        .primary_key()
        .self_signatures()
        .chain(cert.userids().flat_map(|u| u.self_signatures()));
    let mut weak = None;
    let mut any_good = false;
    for sig in self_sigs {
        match policy.signature(sig, HashAlgoSecurity::SecondPreImageResistance) {
            Ok(()) => any_good = true,
            Err(e) => weak = weak.or(Some(e)),
        }
    }
    match weak {
        Some(e) if !any_good => format!(
            "no valid self-signature: every one uses a weak algorithm: {}",
            crate::error::chain_text(&e)
        ),
        _ => format!("no valid self-signature: {err}"),
    }
}

/// Describes `cert` as of `time` under `policy`.
pub fn describe(cert: &Cert, policy: &dyn Policy, time: SystemTime) -> CertInfo {
    let primary = cert.primary_key().key();
    let created = primary.creation_time();
    let (state, reason, expires, caps) = primary_state(cert, policy, time);
    let vc = cert.with_policy(policy, time).ok();
    let mut userids: Vec<UserIdInfo> = cert
        .userids()
        .map(|u| userid_info(&u, vc.as_ref()))
        .collect();
    // The primary user ID first, as the owner chose it; the rest in the
    // certificate's order.
    if let Some(primary) = vc.as_ref().and_then(|vc| vc.primary_userid().ok()) {
        let text = String::from_utf8_lossy(primary.userid().value());
        if let Some(i) = userids.iter().position(|u| u.userid == text) {
            let p = userids.remove(i);
            userids.insert(0, p);
        }
    }
    let subkeys = cert
        .keys()
        .subkeys()
        .map(|ka| subkey_info(&ka, vc.as_ref()))
        .collect();

    CertInfo {
        fingerprint: format!("{:X}", cert.fingerprint()),
        keyid: format!("{:X}", cert.keyid()),
        version: primary.version(),
        algorithm: algorithm_name(primary),
        bits: primary.mpis().bits(),
        created: rfc3339(created),
        expires: expires.map(rfc3339),
        state,
        reason,
        capabilities: caps,
        revocation: vc
            .as_ref()
            .and_then(|vc| revocation_info(&vc.revocation_status())),
        userids,
        subkeys,
        secret: false,
    }
}

/// A key's state, why it is not valid, when it expires and what it may do.
type KeyState = (
    &'static str,
    Option<String>,
    Option<SystemTime>,
    Vec<&'static str>,
);

/// The certificate's own state: that of its primary key.
fn primary_state(cert: &Cert, policy: &dyn Policy, time: SystemTime) -> KeyState {
    let created = cert.primary_key().key().creation_time();
    match cert.with_policy(policy, time) {
        Err(e) => (
            "invalid",
            Some(rejection_reason(cert, policy, time, &e)),
            None,
            Vec::new(),
        ),
        Ok(vc) => {
            let expires = vc.primary_key().key_expiration_time();
            let caps = capabilities(vc.primary_key().key_flags());
            let revoked = revocation_reason(&vc.revocation_status());
            if let Some(r) = revoked {
                ("revoked", Some(r), expires, caps)
            } else if let Err(e) = vc.alive() {
                if created > time {
                    ("not_yet_valid", Some(e.to_string()), expires, caps)
                } else {
                    let why = expires
                        .map(|t| format!("expired on {}", crate::time::date(t)))
                        .unwrap_or_else(|| e.to_string());
                    ("expired", Some(why), expires, caps)
                }
            } else {
                ("valid", None, expires, caps)
            }
        }
    }
}

/// A user ID and its state in `vc`, the certificate valid under the
/// policy (`None` when it is not).
fn userid_info(u: &UserIDAmalgamation<'_>, vc: Option<&ValidCert<'_>>) -> UserIdInfo {
    let valid = vc.and_then(|vc| vc.userids().find(|v| v.userid() == u.userid()));
    let revocation = valid
        .as_ref()
        .and_then(|v| revocation_info(&v.revocation_status()));
    let state = match valid {
        // Not self-signed at all: anyone may have appended it.
        None if u.self_signatures().next().is_none() => "unbound",
        None => "invalid",
        Some(v) if matches!(v.revocation_status(), RevocationStatus::Revoked(_)) => "revoked",
        Some(_) => "valid",
    };
    UserIdInfo {
        userid: String::from_utf8_lossy(u.userid().value()).into_owned(),
        email: u.userid().email_normalized().ok().flatten(),
        state,
        revocation,
    }
}

/// A subkey and its state in `vc`, as for [`userid_info`].
fn subkey_info(
    ka: &SubordinateKeyAmalgamation<'_, PublicParts>,
    vc: Option<&ValidCert<'_>>,
) -> KeyInfo {
    let key: &Key<PublicParts, UnspecifiedRole> = ka.key().role_as_unspecified();
    let valid = vc.and_then(|vc| {
        vc.keys()
            .subkeys()
            .find(|k| k.key().fingerprint() == key.fingerprint())
    });
    let revocation = valid
        .as_ref()
        .and_then(|v| revocation_info(&v.revocation_status()));
    let (state, reason, expires, caps) = match valid {
        None if ka.self_signatures().next().is_none() => (
            "unbound",
            Some("no binding signature by the certificate's owner".into()),
            None,
            Vec::new(),
        ),
        None => (
            "invalid",
            Some("no valid binding signature under the policy".into()),
            None,
            Vec::new(),
        ),
        Some(v) => {
            let expires = v.key_expiration_time();
            let caps = capabilities(v.key_flags());
            if let Some(r) = revocation_reason(&v.revocation_status()) {
                ("revoked", Some(r), expires, caps)
            } else if v.alive().is_err() {
                let why = expires.map(|t| format!("expired on {}", crate::time::date(t)));
                ("expired", why, expires, caps)
            } else {
                ("valid", None, expires, caps)
            }
        }
    };
    KeyInfo {
        fingerprint: format!("{:X}", key.fingerprint()),
        keyid: format!("{:X}", key.keyid()),
        algorithm: algorithm_name(key),
        bits: key.mpis().bits(),
        created: rfc3339(key.creation_time()),
        expires: expires.map(rfc3339),
        state,
        reason,
        capabilities: caps,
        revocation,
    }
}

/// The part of a certificate whose end comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// The primary key: the whole certificate.
    Key,
    /// The last of its keys that can encrypt.
    Encryption,
    /// The last of its keys that can sign.
    Signing,
}

/// When a certificate stops being of use, and which part ends first: the
/// primary key's expiry, or the time when its last encryption key, or its
/// last signing key, expires (a subkey that is revoked, or not yet valid,
/// does not count; one without an expiry never ends).  `None` when
/// nothing ends, when the certificate is revoked (it is over, not
/// expiring), or when the policy rejects it outright.
pub fn end_of_use(cert: &Cert, policy: &dyn Policy, now: SystemTime) -> Option<(SystemTime, Part)> {
    let vc = cert.with_policy(policy, now).ok()?;
    if let RevocationStatus::Revoked(_) = vc.revocation_status() {
        return None;
    }
    let mut ends = Vec::new();
    if let Some(t) = vc.primary_key().key_expiration_time() {
        ends.push((t, Part::Key));
    }
    for part in [Part::Encryption, Part::Signing] {
        let keys = vc
            .keys()
            .revoked(false)
            .filter(|k| k.key().creation_time() <= now)
            .filter(|k| {
                let flags = k.key_flags().unwrap_or_else(KeyFlags::empty);
                match part {
                    Part::Encryption => {
                        flags.for_transport_encryption() || flags.for_storage_encryption()
                    }
                    _ => flags.for_signing(),
                }
            })
            .map(|k| k.key_expiration_time())
            .collect::<Vec<_>>();
        // The use lasts as long as its longest-lived key; one that never
        // expires keeps it for good.
        if keys.iter().any(Option::is_none) {
            continue;
        }
        if let Some(t) = keys.into_iter().flatten().max() {
            ends.push((t, part));
        }
    }
    ends.into_iter().min_by_key(|(t, _)| *t)
}
