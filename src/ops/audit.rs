//! Judging a certificate for `zpgp audit`: what in it is weak or ageing.
//!
//! Pure functions of a certificate, a policy and a time; what to do about
//! each finding (the command that fixes it) is the caller's to say, as it
//! depends on whether the key is yours.
//!
//! The policy hides what it rejects (a SHA-1 binding, an RSA key under
//! 2048 bits), yet other tools may still use it, so the weak material is
//! looked for in the certificate as it is, and the rest (expiry, features,
//! subkeys in use) is judged through the policy, or, where the policy
//! rejects the certificate for what the audit reports anyway, through the
//! same policy with SHA-1 and short keys allowed.

use std::time::{Duration, SystemTime};

use openpgp::Cert;
use openpgp::cert::prelude::*;
use openpgp::packet::Key;
use openpgp::packet::Signature;
use openpgp::packet::key::{PublicParts, UnspecifiedRole};
use openpgp::policy::{AsymmetricAlgorithm, Policy, StandardPolicy};
use openpgp::types::{HashAlgorithm, KeyFlags, PublicKeyAlgorithm, RevocationStatus};
use sequoia_openpgp as openpgp;
use serde::Serialize;

use super::keyinfo::{Part, algorithm_name, end_of_use, rejection_reason};

/// Keys that expire (or stop encrypting or signing) within this many days
/// are reported.
pub const SOON_DAYS: u64 = 30;

/// RSA (and DSA, ElGamal) keys shorter than this are reported; under 2048
/// bits they are a high-severity finding.
pub const MIN_RSA_BITS: usize = 3072;

const DAY: u64 = 24 * 60 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    High,
    Medium,
    Low,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// What a subkey is for, as its binding says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    Encrypt,
    Sign,
    Authenticate,
    /// No usable flag (e.g. certification only).
    Other,
}

/// Which key of the certificate a finding is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Which {
    Primary,
    Subkey { fingerprint: String, usage: Usage },
}

/// The weak public-key algorithm families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeakAlgo {
    Rsa,
    Dsa,
    ElGamal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The whole key is revoked; nothing else is judged.
    Revoked {
        reason: Option<String>,
    },
    /// The policy rejects the certificate for a reason the other findings
    /// do not explain.
    Rejected {
        reason: String,
    },
    /// The primary key's algorithm is one this build's crypto backend
    /// lacks (e.g. ML-DSA on OpenSSL before 3.5): its self-signatures
    /// cannot be checked, so the key is not judged further.
    NotChecked {
        algo: String,
    },
    /// An RSA key under [`MIN_RSA_BITS`], or a DSA or ElGamal key.
    WeakKey {
        which: Which,
        algo: WeakAlgo,
        /// As `list` names it: rsa2048, dsa1024, elg2048.
        name: String,
        bits: usize,
    },
    /// The newest self-signature of these parts is made with a broken
    /// hash (SHA-1, MD5, RIPEMD-160): "user ID <a@b> (SHA1)".
    WeakBindings {
        parts: Vec<String>,
    },
    /// No encryption subkey in use is ML-KEM-768+X25519 or
    /// ML-KEM-1024+X448.
    NoPqEncryption {
        version: u8,
    },
    /// The Features subpacket lacks SEIPDv2 (or there is none).
    NoSeipdv2 {
        version: u8,
    },
    Expired {
        at: SystemTime,
        part: Part,
    },
    ExpiresSoon {
        at: SystemTime,
        part: Part,
    },
    /// The primary key never expires.
    NoExpiry,
}

impl Problem {
    /// The finding's stable id in `--json`.
    pub fn id(&self) -> &'static str {
        match self {
            Problem::Revoked { .. } => "revoked",
            Problem::Rejected { .. } => "rejected",
            Problem::NotChecked { .. } => "not-checked",
            Problem::WeakKey {
                algo: WeakAlgo::Rsa,
                ..
            } => "rsa-under-3072",
            Problem::WeakKey {
                algo: WeakAlgo::Dsa,
                ..
            } => "dsa",
            Problem::WeakKey {
                algo: WeakAlgo::ElGamal,
                ..
            } => "elgamal",
            Problem::WeakBindings { .. } => "sha1-binding",
            Problem::NoPqEncryption { .. } => "no-pq-encryption",
            Problem::NoSeipdv2 { .. } => "no-seipdv2",
            Problem::Expired { .. } => "expired",
            Problem::ExpiresSoon { .. } => "expires-soon",
            Problem::NoExpiry => "no-expiry",
        }
    }

    pub fn severity(&self) -> Severity {
        match self {
            Problem::Revoked { .. } | Problem::Rejected { .. } => Severity::High,
            Problem::WeakKey { bits, .. } if *bits < 2048 => Severity::High,
            Problem::WeakKey {
                algo: WeakAlgo::Rsa,
                ..
            } => Severity::Medium,
            // Deprecated by RFC 9580 whatever their size.
            Problem::WeakKey { .. } => Severity::High,
            Problem::WeakBindings { .. } => Severity::High,
            Problem::Expired { .. } => Severity::High,
            Problem::ExpiresSoon { .. } => Severity::Medium,
            Problem::NoPqEncryption { .. } => Severity::Medium,
            Problem::NoSeipdv2 { .. } | Problem::NoExpiry | Problem::NotChecked { .. } => {
                Severity::Low
            }
        }
    }

    /// One line for people, about the key (not yet about what to do).
    pub fn text(&self, now: SystemTime) -> String {
        match self {
            Problem::Revoked { reason } => match reason {
                Some(r) => format!("the key is revoked ({r})"),
                None => "the key is revoked".into(),
            },
            Problem::Rejected { reason } => {
                format!("the key is rejected by the policy: {reason}")
            }
            Problem::NotChecked { algo } => {
                format!("not audited: this zpgp's crypto backend cannot check {algo} signatures")
            }
            Problem::WeakKey {
                which, name, algo, ..
            } => {
                let what = match which {
                    Which::Primary => "the primary key".to_string(),
                    Which::Subkey { fingerprint, .. } => format!("the subkey {fingerprint}"),
                };
                match algo {
                    WeakAlgo::Rsa => format!("{what} is {name}, under {MIN_RSA_BITS} bits"),
                    WeakAlgo::Dsa | WeakAlgo::ElGamal => {
                        format!("{what} is {name}, an algorithm RFC 9580 deprecates")
                    }
                }
            }
            Problem::WeakBindings { parts } => format!(
                "bound by weak self-signatures, which zpgp and other tools reject: {}",
                parts.join(", ")
            ),
            Problem::NoPqEncryption { .. } => "no post-quantum encryption subkey \
                 (ML-KEM-768+X25519 or ML-KEM-1024+X448): messages to it can be \
                 recorded now and decrypted later"
                .into(),
            Problem::NoSeipdv2 { .. } => {
                "does not advertise SEIPDv2 (AEAD) encryption in its features".into()
            }
            Problem::Expired { at, part } => format!(
                "{} {}",
                match part {
                    Part::Key => "expired on",
                    Part::Encryption => "could encrypt until",
                    Part::Signing => "could sign until",
                },
                day(*at)
            ),
            Problem::ExpiresSoon { at, part } => format!(
                "{} {} (in {} day{})",
                match part {
                    Part::Key => "expires on",
                    Part::Encryption => "can encrypt until",
                    Part::Signing => "can sign until",
                },
                day(*at),
                days_until(now, *at),
                if days_until(now, *at) == 1 { "" } else { "s" }
            ),
            Problem::NoExpiry => {
                "never expires: if it is lost, it stays valid in other people's keyrings".into()
            }
        }
    }
}

fn day(t: SystemTime) -> String {
    crate::time::rfc3339(t)[..10].to_string()
}

fn days_until(now: SystemTime, t: SystemTime) -> u64 {
    t.duration_since(now)
        .map(|d| d.as_secs().div_ceil(DAY))
        .unwrap_or(0)
}

/// What the audit of one certificate found.
#[derive(Debug, Clone)]
pub struct Audit {
    pub version: u8,
    /// The primary user ID (else the first one), as on the certificate.
    pub userid: Option<String>,
    pub revoked: bool,
    pub problems: Vec<Problem>,
}

/// The policy, but with SHA-1 and short keys allowed: how tools that still
/// accept them see the certificate.
fn lenient() -> StandardPolicy<'static> {
    let mut p = StandardPolicy::new();
    p.accept_hash(HashAlgorithm::SHA1);
    p.accept_hash(HashAlgorithm::MD5);
    p.accept_hash(HashAlgorithm::RipeMD);
    for a in [
        AsymmetricAlgorithm::RSA1024,
        AsymmetricAlgorithm::DSA1024,
        AsymmetricAlgorithm::ElGamal1024,
    ] {
        p.accept_asymmetric_algo(a);
    }
    p
}

fn weak_hash(h: HashAlgorithm) -> bool {
    matches!(
        h,
        HashAlgorithm::SHA1 | HashAlgorithm::MD5 | HashAlgorithm::RipeMD
    )
}

/// Judges `cert` under `policy` at `now`.
pub fn audit(cert: &Cert, policy: &dyn Policy, now: SystemTime) -> Audit {
    let lenient = lenient();
    let strict = cert.with_policy(policy, now);
    let (vc, vc_policy): (Option<ValidCert>, &dyn Policy) = match &strict {
        Ok(vc) => (Some(vc.clone()), policy),
        Err(_) => match cert.with_policy(&lenient, now) {
            Ok(vc) => (Some(vc), &lenient),
            Err(_) => (None, policy),
        },
    };
    let version = cert.primary_key().key().version();
    let userid = vc
        .as_ref()
        .and_then(|vc| vc.primary_userid().ok())
        .map(|u| u.userid().clone())
        .or_else(|| cert.userids().next().map(|u| u.userid().clone()))
        .map(|u| String::from_utf8_lossy(u.value()).into_owned());
    let mut audit = Audit {
        version,
        userid,
        revoked: false,
        problems: Vec::new(),
    };

    // A revoked key is over: said, and not judged further.  Revocations
    // count however they are signed.
    if let RevocationStatus::Revoked(sigs) = cert.revocation_status(&lenient, now) {
        audit.revoked = true;
        let reason = sigs
            .first()
            .and_then(|s| s.reason_for_revocation())
            .map(|(r, _)| super::keyinfo::reason_name(r).to_string());
        audit.problems.push(Problem::Revoked { reason });
        return audit;
    }

    // The keys in use: the primary key and the subkeys neither revoked
    // nor expired.
    let mut keys: Vec<(Which, &Key<PublicParts, UnspecifiedRole>)> = vec![(
        Which::Primary,
        cert.primary_key().key().role_as_unspecified(),
    )];
    match &vc {
        Some(vc) => {
            for ka in vc.keys().subkeys().revoked(false) {
                if ka.key_expiration_time().is_some_and(|t| t <= now) {
                    continue;
                }
                keys.push((
                    subkey(ka.key(), ka.key_flags()),
                    ka.key().role_as_unspecified(),
                ));
            }
        }
        None => {
            for ka in cert.keys().subkeys() {
                if ka.self_revocations().next().is_some() {
                    continue;
                }
                let flags = ka.self_signatures().next().and_then(|s| s.key_flags());
                keys.push((subkey(ka.key(), flags), ka.key().role_as_unspecified()));
            }
        }
    }

    #[allow(deprecated)]
    for (which, key) in &keys {
        use PublicKeyAlgorithm::*;
        let algo = match key.pk_algo() {
            RSAEncryptSign | RSAEncrypt | RSASign => WeakAlgo::Rsa,
            DSA => WeakAlgo::Dsa,
            ElGamalEncrypt | ElGamalEncryptSign => WeakAlgo::ElGamal,
            _ => continue,
        };
        let bits = key.mpis().bits().unwrap_or(0);
        if algo == WeakAlgo::Rsa && bits >= MIN_RSA_BITS {
            continue;
        }
        audit.problems.push(Problem::WeakKey {
            which: which.clone(),
            algo,
            name: algorithm_name(key),
            bits,
        });
    }

    let parts = weak_bindings(cert);
    if !parts.is_empty() {
        audit.problems.push(Problem::WeakBindings { parts });
    }

    let Some(vc) = vc else {
        // Not even the lenient view accepts it (so the policy did not
        // either): say why, beside what was found above.
        let algo = cert.primary_key().key().pk_algo();
        if !algo.is_supported() {
            audit.problems.push(Problem::NotChecked {
                algo: super::keyinfo::pk_algo_name(algo),
            });
        } else if let Err(e) = &strict {
            let reason = rejection_reason(cert, policy, now, e);
            audit.problems.push(Problem::Rejected { reason });
        }
        audit.problems.sort_by_key(|p| p.severity());
        return audit;
    };

    let pq = keys.iter().any(|(_, k)| {
        matches!(
            k.pk_algo(),
            PublicKeyAlgorithm::MLKEM768_X25519 | PublicKeyAlgorithm::MLKEM1024_X448
        )
    });
    if !pq {
        audit.problems.push(Problem::NoPqEncryption { version });
    }
    if !vc.features().is_some_and(|f| f.supports_seipdv2()) {
        audit.problems.push(Problem::NoSeipdv2 { version });
    }

    if let Some((at, part)) = end_of_use(cert, vc_policy, now) {
        if at <= now {
            audit.problems.push(Problem::Expired { at, part });
        } else if at <= now + Duration::from_secs(SOON_DAYS * DAY) {
            audit.problems.push(Problem::ExpiresSoon { at, part });
        }
    }
    if vc.primary_key().key_expiration_time().is_none() {
        audit.problems.push(Problem::NoExpiry);
    }
    audit.problems.sort_by_key(|p| p.severity());
    audit
}

fn subkey<P: openpgp::packet::key::KeyParts, R: openpgp::packet::key::KeyRole>(
    key: &openpgp::packet::Key<P, R>,
    flags: Option<KeyFlags>,
) -> Which {
    let f = flags.unwrap_or_else(KeyFlags::empty);
    let usage = if f.for_transport_encryption() || f.for_storage_encryption() {
        Usage::Encrypt
    } else if f.for_signing() {
        Usage::Sign
    } else if f.for_authentication() {
        Usage::Authenticate
    } else {
        Usage::Other
    };
    Which::Subkey {
        fingerprint: format!("{:X}", key.fingerprint()),
        usage,
    }
}

/// The parts whose newest self-signature uses a broken hash, named for
/// people: "user ID <a@b> (SHA1)", "subkey FPR (SHA1)".
fn weak_bindings(cert: &Cert) -> Vec<String> {
    let mut parts = Vec::new();
    let weak = |s: Option<&Signature>| s.map(|s| s.hash_algo()).filter(|h| weak_hash(*h));
    if let Some(h) = weak(cert.primary_key().self_signatures().next()) {
        parts.push(format!("the direct-key signature ({h})"));
    }
    for u in cert.userids() {
        if u.self_revocations().next().is_some() {
            continue;
        }
        if let Some(h) = weak(u.self_signatures().next()) {
            parts.push(format!(
                "user ID {} ({h})",
                String::from_utf8_lossy(u.userid().value())
            ));
        }
    }
    for ka in cert.keys().subkeys() {
        if ka.self_revocations().next().is_some() {
            continue;
        }
        if let Some(h) = weak(ka.self_signatures().next()) {
            parts.push(format!("subkey {:X} ({h})", ka.key().fingerprint()));
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use openpgp::Packet;
    use openpgp::cert::CipherSuite;
    use openpgp::packet::UserID;
    use openpgp::packet::key::{Key4, PrimaryRole, SecretParts};
    use openpgp::packet::signature::SignatureBuilder;
    use openpgp::types::{Features, SignatureType};

    fn ids(a: &Audit) -> Vec<&'static str> {
        a.problems.iter().map(|p| p.id()).collect()
    }

    fn a_year_ago() -> SystemTime {
        SystemTime::now() - Duration::from_secs(365 * DAY)
    }

    #[test]
    fn a_v6_key_with_expiry_lacks_only_pq() {
        let (cert, _) = CertBuilder::general_purpose(Some("<a@example.org>"))
            .set_profile(openpgp::Profile::RFC9580)
            .unwrap()
            .set_validity_period(Duration::from_secs(365 * DAY))
            .generate()
            .unwrap();
        let a = audit(&cert, &StandardPolicy::new(), SystemTime::now());
        assert_eq!(ids(&a), ["no-pq-encryption"]);
        assert_eq!(a.version, 6);
        assert_eq!(a.userid.as_deref(), Some("<a@example.org>"));
        assert_eq!(a.problems[0].severity(), Severity::Medium);
    }

    #[test]
    fn rsa2k_without_expiry_and_seipdv1_only() {
        let (cert, _) = CertBuilder::general_purpose(Some("<rsa@example.org>"))
            .set_cipher_suite(CipherSuite::RSA2k)
            .set_validity_period(None)
            .set_features(Features::empty().set_seipdv1())
            .unwrap()
            .generate()
            .unwrap();
        let a = audit(&cert, &StandardPolicy::new(), SystemTime::now());
        // The primary key and both subkeys are RSA-2048.
        assert_eq!(
            ids(&a),
            [
                "rsa-under-3072",
                "rsa-under-3072",
                "rsa-under-3072",
                "no-pq-encryption",
                "no-seipdv2",
                "no-expiry"
            ]
        );
        assert!(matches!(
            &a.problems[0],
            Problem::WeakKey { which: Which::Primary, bits: 2048, name, .. } if name == "rsa2048"
        ));
        assert_eq!(a.problems[0].severity(), Severity::Medium);
        assert!(
            a.problems[0]
                .text(SystemTime::now())
                .contains("rsa2048, under 3072 bits")
        );
    }

    #[test]
    fn expiry_soon_and_past() {
        let now = SystemTime::now();
        let (cert, _) = CertBuilder::general_purpose(Some("<e@example.org>"))
            .set_creation_time(now - Duration::from_secs(10 * DAY))
            .set_validity_period(Duration::from_secs(20 * DAY))
            .generate()
            .unwrap();
        let soon = audit(&cert, &StandardPolicy::new(), now);
        assert!(ids(&soon).contains(&"expires-soon"), "{soon:?}");
        assert!(!ids(&soon).contains(&"no-expiry"));
        let later = now + Duration::from_secs(15 * DAY);
        let past = audit(&cert, &StandardPolicy::new(), later);
        assert_eq!(past.problems[0].id(), "expired");
        assert!(
            past.problems[0].text(later).starts_with("expired on 20"),
            "{:?}",
            past.problems[0].text(later)
        );
    }

    #[test]
    fn a_revoked_key_is_only_revoked() {
        let (cert, rev) = CertBuilder::general_purpose(Some("<r@example.org>"))
            .set_cipher_suite(CipherSuite::RSA2k)
            .generate()
            .unwrap();
        let cert = cert.insert_packets(rev).unwrap().0;
        let a = audit(&cert, &StandardPolicy::new(), SystemTime::now());
        assert!(a.revoked);
        assert_eq!(ids(&a), ["revoked"]);
    }

    /// A certificate of `key` alone, made a year and a day ago, with `uid`
    /// bound a year ago (certify and sign) by the builder `finish` makes.
    fn year_old_cert(
        mut key: Key4<SecretParts, PrimaryRole>,
        uid: &str,
        finish: impl FnOnce(SignatureBuilder) -> SignatureBuilder,
    ) -> Cert {
        key.set_creation_time(a_year_ago() - Duration::from_secs(DAY))
            .unwrap();
        let primary: openpgp::packet::Key<SecretParts, PrimaryRole> = key.into();
        let mut signer = primary.clone().into_keypair().unwrap();
        let uid = UserID::from(uid);
        let builder = SignatureBuilder::new(SignatureType::PositiveCertification)
            .set_signature_creation_time(a_year_ago())
            .unwrap()
            .set_key_flags(KeyFlags::empty().set_certification().set_signing())
            .unwrap();
        let sig = finish(builder)
            .sign_userid_binding(&mut signer, primary.parts_as_public(), &uid)
            .unwrap();
        Cert::try_from(vec![Packet::from(primary), uid.into(), sig.into()]).unwrap()
    }

    /// One Ed25519 primary key and a user ID bound with SHA-1 a year ago:
    /// the policy rejects it, the audit still judges it.
    #[test]
    fn sha1_bindings_are_found_though_the_policy_rejects_them() {
        let cert = year_old_cert(
            Key4::generate_ed25519().unwrap(),
            "<sha1@example.org>",
            |b| {
                b.set_hash_algo(HashAlgorithm::SHA1)
                    .set_features(Features::sequoia())
                    .unwrap()
            },
        );
        let p = StandardPolicy::new();
        assert!(cert.with_policy(&p, None).is_err());
        let a = audit(&cert, &p, SystemTime::now());
        assert_eq!(
            ids(&a),
            ["sha1-binding", "no-pq-encryption", "no-expiry"],
            "{a:?}"
        );
        assert_eq!(
            a.problems[0],
            Problem::WeakBindings {
                parts: vec!["user ID <sha1@example.org> (SHA1)".into()]
            }
        );
    }

    /// RSA-1024, which the policy rejects outright: still judged, and high.
    #[test]
    fn rsa1024_is_high_and_judged_past_the_policy() {
        let cert = year_old_cert(
            Key4::generate_rsa(1024).unwrap(),
            "<rsa1024@example.org>",
            |b| {
                b.set_key_validity_period(Duration::from_secs(2 * 365 * DAY))
                    .unwrap()
            },
        );
        let p = StandardPolicy::new();
        assert!(cert.with_policy(&p, None).is_err());
        let a = audit(&cert, &p, SystemTime::now());
        assert_eq!(
            ids(&a),
            ["rsa-under-3072", "no-pq-encryption", "no-seipdv2"],
            "{a:?}"
        );
        assert_eq!(a.problems[0].severity(), Severity::High);
        assert_eq!(
            a.problems[0].text(SystemTime::now()),
            "the primary key is rsa1024, under 3072 bits"
        );
    }

    #[test]
    fn a_pq_subkey_counts() {
        // The RFC 9980 sample v6 certificate: Ed25519 with an
        // ML-KEM-768+X25519 encryption subkey.
        let cert = Cert::from_bytes(include_bytes!(
            "../../tests/data/rfc9980/v6-eddsa-sample-pk.asc"
        ))
        .unwrap();
        let a = audit(&cert, &StandardPolicy::new(), SystemTime::now());
        assert!(!ids(&a).contains(&"no-pq-encryption"), "{a:?}");
        assert!(!ids(&a).contains(&"no-seipdv2"), "{a:?}");
    }

    use openpgp::parse::Parse;
}
