//! Certifying other people's user IDs with your key: plain certifications,
//! trust signatures that make a key an introducer, and the revocations
//! that withdraw them.  Keys and passwords in, the changed certificate
//! out; storing it is the caller's business.

use std::time::{Duration, SystemTime};

use anyhow::Result;
use openpgp::cert::prelude::*;
use openpgp::crypto::{KeyPair, Password};
use openpgp::packet::key::{PublicParts, UnspecifiedRole};
use openpgp::packet::signature::SignatureBuilder;
use openpgp::packet::{Key, Signature, UserID};
use openpgp::policy::Policy;
use openpgp::types::{ReasonForRevocation, RevocationStatus, SignatureType};
use openpgp::{Cert, Packet};
use sequoia_openpgp as openpgp;

use super::certs::unlock_any;
use super::keys::cert_label;
use crate::error::{Error, Failure};

/// The trust amount of a fully trusted introducer (RFC 9580, 5.2.3.21).
pub const FULL_TRUST: u8 = 120;
/// The trust amount of a partially trusted one: two of them add up to
/// full trust, as in PGP and GnuPG.
pub const PARTIAL_TRUST: u8 = 60;

/// What makes a certification a trust signature.
#[derive(Debug, Clone)]
pub struct Introducer {
    /// How many steps further the introducer may delegate (1: it may only
    /// certify others itself).
    pub depth: u8,
    pub amount: u8,
    /// Mail domains the introducer is trusted for; empty for all.
    pub domains: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct CertifyOptions {
    /// `false` makes a local certification (Exportable Certification
    /// subpacket set to false), which exports leave out.
    pub exportable: bool,
    /// When the certification expires; `None` never.
    pub expiration: Option<SystemTime>,
    pub introducer: Option<Introducer>,
}

/// Refuses a certificate that is revoked, expired or not valid under the
/// policy, saying why: certifying it would vouch for a key its owner has
/// given up (or that can no longer be used).
pub fn check_target(cert: &Cert, policy: &dyn Policy, now: SystemTime) -> Result<()> {
    let label = cert_label(cert, policy, Some(now));
    let vc = cert.with_policy(policy, now).map_err(|e| {
        Error::new(
            Failure::PrimaryKeyBad,
            format!(
                "the key {label} is not valid under the policy, so it cannot be certified: {}",
                super::keyinfo::rejection_reason(cert, policy, now, &e)
            ),
        )
    })?;
    if let RevocationStatus::Revoked(sigs) = vc.revocation_status() {
        let why = sigs
            .first()
            .and_then(|s| s.reason_for_revocation())
            .map(|(code, msg)| {
                let msg = String::from_utf8_lossy(msg);
                if msg.trim().is_empty() {
                    format!(" ({code})")
                } else {
                    format!(" ({code}: {})", crate::display::Safe(msg.trim()))
                }
            })
            .unwrap_or_default();
        return Err(Error::new(
            Failure::PrimaryKeyBad,
            format!("the key {label} is revoked{why}: its owner no longer uses it, so it is not certified"),
        )
        .into());
    }
    if vc.alive().is_err() {
        let when = vc
            .primary_key()
            .key_expiration_time()
            .map(|t| format!(" on {}", crate::time::date(t)))
            .unwrap_or_default();
        return Err(Error::new(
            Failure::PrimaryKeyBad,
            format!("the key {label} expired{when}, so it is not certified"),
        )
        .hint("ask its owner for the current certificate, import it, and certify that")
        .into());
    }
    Ok(())
}

/// The user IDs of `cert` that can be certified: self-signed under the
/// policy and not revoked, in the certificate's order.
pub fn certifiable_userids(cert: &Cert, policy: &dyn Policy, now: SystemTime) -> Vec<UserID> {
    let Ok(vc) = cert.with_policy(policy, now) else {
        return Vec::new();
    };
    vc.userids()
        .filter(|u| !matches!(u.revocation_status(), RevocationStatus::Revoked(_)))
        .map(|u| u.userid().clone())
        .collect()
}

/// Refuses your key `cert` as a certifier when it is revoked, expired,
/// rejected by the policy, or its primary key is not marked for
/// certification: certifications are made by the primary key, as every
/// OpenPGP implementation expects.
pub fn check_certifier(cert: &Cert, policy: &dyn Policy, now: SystemTime) -> Result<()> {
    let label = cert_label(cert, policy, Some(now));
    let fail = |why: String| -> anyhow::Error {
        Error::new(
            Failure::KeyCannotCertify,
            format!("your key {label} cannot certify: {why}"),
        )
        .into()
    };
    let vc = cert
        .with_policy(policy, now)
        .map_err(|e| fail(super::keyinfo::rejection_reason(cert, policy, now, &e)))?;
    if let RevocationStatus::Revoked(_) = vc.revocation_status() {
        return Err(fail("it is revoked".into()));
    }
    vc.alive().map_err(|_| fail("it has expired".into()))?;
    if !vc.primary_key().for_certification() {
        return Err(fail(
            "its primary key is not marked for certification".into(),
        ));
    }
    Ok(())
}

/// The primary key of your key `tsk`, unlocked, once [`check_certifier`]
/// accepts it.
pub fn certifier(
    tsk: &Cert,
    passwords: &[Password],
    policy: &dyn Policy,
    now: SystemTime,
) -> Result<KeyPair> {
    check_certifier(tsk, policy, now)?;
    let key = tsk
        .primary_key()
        .key()
        .clone()
        .parts_into_secret()
        .map_err(|_| {
            Error::new(
                Failure::KeyCannotCertify,
                format!(
                    "your key {} cannot certify: the secret of its primary key is not here",
                    cert_label(tsk, policy, Some(now))
                ),
            )
        })?;
    unlock_any(&key, passwords)
}

/// The regular expression GnuPG writes for an introducer trusted for the
/// mail domain `domain` (and its subdomains): `<[^>]+[@.]example\.org>$`.
/// `domain` must be a host name (letters, digits, `-` and `.`), which the
/// caller checks, so only its dots need escaping.
pub fn domain_regex(domain: &str) -> String {
    format!(r"<[^>]+[@.]{}>$", domain.replace('.', r"\."))
}

/// Whether `domain` is a host name that can go into [`domain_regex`].
pub fn is_domain(domain: &str) -> bool {
    !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// Certifies `userids` of `target` with `signer` (your primary key), made
/// at `now`.
pub fn certify(
    signer: &mut KeyPair,
    target: Cert,
    userids: &[UserID],
    options: &CertifyOptions,
    now: SystemTime,
) -> Result<Cert> {
    let mut template = SignatureBuilder::new(SignatureType::GenericCertification)
        .set_signature_creation_time(now)?;
    if !options.exportable {
        template = template.set_exportable_certification(false)?;
    }
    if let Some(expiration) = options.expiration {
        let period = expiration
            .duration_since(now)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                Error::new(
                    Failure::Usage,
                    "the certification's expiry is not in the future",
                )
            })?;
        template = template.set_signature_validity_period(period)?;
    }
    if let Some(intro) = &options.introducer {
        template = template.set_trust_signature(intro.depth, intro.amount)?;
        for d in &intro.domains {
            template = template.add_regular_expression(domain_regex(d))?;
        }
    }
    let mut packets: Vec<Packet> = Vec::new();
    for uid in userids {
        let sig = template
            .clone()
            .sign_userid_binding(signer, target.primary_key().key(), uid)?;
        packets.push(uid.clone().into());
        packets.push(sig.into());
    }
    Ok(target.insert_packets(packets)?.0)
}

/// Your certification of `uid` on `target` that still stands: the newest
/// one made by `certifier`, unless a revocation by `certifier` at least
/// as new withdraws it.
pub fn standing_certification<'a>(
    target: &'a Cert,
    uid: &UserID,
    certifier: &Key<PublicParts, UnspecifiedRole>,
) -> Option<&'a Signature> {
    let ua = target.userids().find(|u| u.userid() == uid)?;
    let pk = target.primary_key().key();
    let newest = ua
        .certifications()
        .filter(|s| s.verify_userid_binding(certifier, pk, uid).is_ok())
        .max_by_key(|s| s.signature_creation_time())?;
    let revoked = ua.other_revocations().any(|r| {
        r.typ() == SignatureType::CertificationRevocation
            && r.signature_creation_time() >= newest.signature_creation_time()
            && r.verify_userid_revocation(certifier, pk, uid).is_ok()
    });
    (!revoked).then_some(newest)
}

/// Withdraws `certifier`'s standing certifications of `userids` (see
/// [`standing_certification`]) with certification revocations made at
/// `now`.  A revocation of a local certification is local too: exported,
/// it would tell the world about a certification that was never shown.
pub fn revoke_certifications(
    certifier: &mut KeyPair,
    target: Cert,
    userids: &[UserID],
    now: SystemTime,
) -> Result<Cert> {
    let public = certifier.public().clone();
    let mut packets: Vec<Packet> = Vec::new();
    for uid in userids {
        let Some(cert_sig) = standing_certification(&target, uid, &public) else {
            continue;
        };
        let mut b = SignatureBuilder::new(SignatureType::CertificationRevocation)
            .set_signature_creation_time(now)?
            .set_reason_for_revocation(ReasonForRevocation::Unspecified, b"")?;
        if cert_sig.exportable().is_err() {
            b = b.set_exportable_certification(false)?;
        }
        let sig = b.sign_userid_binding(certifier, target.primary_key().key(), uid)?;
        packets.push(uid.clone().into());
        packets.push(sig.into());
    }
    Ok(target.insert_packets(packets)?.0)
}

/// How long to wait before a new certification or revocation by the key
/// `certifier` on `target`: one made in the same second as the newest
/// one on file would tie with it, and a revocation must be newer than
/// what it revokes (zero almost always).
pub fn wait_before_certifying(
    target: &Cert,
    certifier: &openpgp::Fingerprint,
    now: SystemTime,
) -> Duration {
    let handle = openpgp::KeyHandle::from(certifier.clone());
    let newest = target
        .userids()
        .flat_map(|u| u.certifications().chain(u.other_revocations()))
        .filter(|s| s.get_issuers().iter().any(|i| i.aliases(&handle)))
        .filter_map(|s| s.signature_creation_time())
        .max();
    let secs = |t: SystemTime| {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    };
    match newest.map(secs) {
        Some(t) if t >= secs(now) => (SystemTime::UNIX_EPOCH + Duration::from_secs(t + 1))
            .duration_since(now)
            .unwrap_or_default(),
        _ => Duration::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_regex_is_gnupgs() {
        assert_eq!(domain_regex("example.org"), r"<[^>]+[@.]example\.org>$");
        assert!(is_domain("mail.example.org"));
        assert!(!is_domain("example.org>$|.*"));
        assert!(!is_domain(""));
        assert!(!is_domain("a..b"));
    }

    fn key(uid: &str) -> Cert {
        CertBuilder::general_purpose(Some(uid))
            .generate()
            .unwrap()
            .0
    }

    #[test]
    fn certify_then_revoke() {
        let policy = openpgp::policy::StandardPolicy::new();
        let alice = key("<alice@example.org>");
        let bob = key("<bob@example.org>").strip_secret_key_material();
        let now = SystemTime::now();
        let mut signer = certifier(&alice, &[], &policy, now).unwrap();
        let uids = certifiable_userids(&bob, &policy, now);
        assert_eq!(uids.len(), 1);
        let options = CertifyOptions {
            exportable: false,
            expiration: None,
            introducer: Some(Introducer {
                depth: 2,
                amount: PARTIAL_TRUST,
                domains: vec!["example.org".into()],
            }),
        };
        let bob = certify(&mut signer, bob, &uids, &options, now).unwrap();
        let public = alice.primary_key().key().clone().role_into_unspecified();
        let sig = standing_certification(&bob, &uids[0], &public).unwrap();
        assert_eq!(sig.trust_signature(), Some((2, PARTIAL_TRUST)));
        assert!(sig.exportable().is_err());
        assert_eq!(
            sig.regular_expressions().collect::<Vec<_>>(),
            vec![domain_regex("example.org").as_bytes()]
        );
        let later = now + Duration::from_secs(1);
        let bob = revoke_certifications(&mut signer, bob, &uids, later).unwrap();
        assert!(standing_certification(&bob, &uids[0], &public).is_none());
    }
}
