//! Revocations with an expiration time stop applying when they expire
//! (issue 14, item 5): a data signature made while the signer's only user
//! ID was revoked does not verify, one made after the revocation expired
//! does; the same for a key revocation that is not "compromised".

use std::time::{Duration, SystemTime};

use openpgp::cert::prelude::*;
use openpgp::packet::signature::SignatureBuilder;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::SerializeInto;
use openpgp::serialize::stream::{Armorer, Message, Signer};
use openpgp::types::{ReasonForRevocation, SignatureType};
use sequoia_openpgp as openpgp;

use crate::harness::*;

const HOUR: Duration = Duration::from_secs(3600);

/// A key made ten hours ago, and a detached signature over `data` made
/// at `when` with its signing subkey.
fn sign_at(cert: &Cert, data: &[u8], when: SystemTime) -> Vec<u8> {
    let p = &StandardPolicy::new();
    let key = cert
        .keys()
        .with_policy(p, when)
        .secret()
        .for_signing()
        .next()
        .expect("a signing key")
        .key()
        .clone()
        .into_keypair()
        .unwrap();
    let mut out = Vec::new();
    let m = Message::new(&mut out);
    let m = Armorer::new(m)
        .kind(openpgp::armor::Kind::Signature)
        .build()
        .unwrap();
    let mut s = Signer::new(m, key)
        .unwrap()
        .creation_time(when)
        .detached()
        .build()
        .unwrap();
    std::io::Write::write_all(&mut s, data).unwrap();
    s.finalize().unwrap();
    out
}

/// The primary key's signer (the test's certificates hold their secrets).
fn primary_signer(cert: &Cert) -> openpgp::crypto::KeyPair {
    cert.primary_key()
        .key()
        .clone()
        .parts_into_secret()
        .unwrap()
        .into_keypair()
        .unwrap()
}

/// A home with `cert`'s public part on file.
fn home_with(cert: &Cert) -> Env {
    let env = Env::new();
    let file = env.write("cert.pgp", cert.to_vec().unwrap());
    env.zpgp().arg("import").arg(&file).assert().success();
    env
}

/// Verifies `sig` over `data` with `cert` on file; the exit code.
fn verify(env: &Env, sig: &[u8], data: &[u8]) -> i32 {
    let s = env.write("data.sig", sig);
    let d = env.write("data", data);
    let out = env
        .zpgp()
        .args(["verify", "--signature"])
        .arg(&s)
        .arg(&d)
        .output()
        .unwrap();
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    out.status.code().unwrap()
}

/// A signature by `cert` over `data` made at each time verifies with the
/// exit code given (0 good, 3 no valid signature).
fn verifies_as(env: &Env, cert: &Cert, data: &[u8], cases: &[(SystemTime, i32, &str)]) {
    for &(when, code, what) in cases {
        assert_eq!(
            verify(env, &sign_at(cert, data, when), data),
            code,
            "{what}"
        );
    }
}

#[test]
fn a_revoked_only_user_id_stops_signatures_until_its_revocation_expires() {
    let t0 = SystemTime::now() - 10 * HOUR;
    let (cert, _) = CertBuilder::general_purpose(Some("Tess <tess@example.org>"))
        .set_creation_time(t0)
        .generate()
        .unwrap();
    let mut primary = primary_signer(&cert);
    let uid = cert.userids().next().unwrap().userid().clone();
    // Revoked from t0+1h to t0+3h.
    let rev = SignatureBuilder::new(SignatureType::CertificationRevocation)
        .set_signature_creation_time(t0 + HOUR)
        .unwrap()
        .set_signature_validity_period(2 * HOUR)
        .unwrap()
        .set_reason_for_revocation(ReasonForRevocation::UIDRetired, b"for a while")
        .unwrap()
        .sign_userid_binding(&mut primary, cert.primary_key().key(), &uid)
        .unwrap();
    let cert = cert
        .insert_packets(vec![openpgp::Packet::from(rev)])
        .unwrap()
        .0;
    let env = home_with(&cert);

    let data = b"signed at three different times";
    verifies_as(
        &env,
        &cert,
        data,
        &[
            (t0 + HOUR / 2, 0, "before"),
            (t0 + 2 * HOUR, 3, "while revoked"),
            (t0 + 5 * HOUR, 0, "after"),
        ],
    );
}

#[test]
fn a_temporary_key_revocation_applies_only_while_it_lasts() {
    let t0 = SystemTime::now() - 10 * HOUR;
    let (cert, _) = CertBuilder::general_purpose(Some("Kit <kit@example.org>"))
        .set_creation_time(t0)
        .generate()
        .unwrap();
    let mut primary = primary_signer(&cert);
    let rev = SignatureBuilder::new(SignatureType::KeyRevocation)
        .set_signature_creation_time(t0 + HOUR)
        .unwrap()
        .set_signature_validity_period(2 * HOUR)
        .unwrap()
        .set_reason_for_revocation(ReasonForRevocation::KeyRetired, b"for a while")
        .unwrap()
        .sign_direct_key(&mut primary, None)
        .unwrap();
    let cert = cert
        .insert_packets(vec![openpgp::Packet::from(rev)])
        .unwrap()
        .0;
    let env = home_with(&cert);

    let data = b"signed at two different times";
    verifies_as(
        &env,
        &cert,
        data,
        &[
            (t0 + 2 * HOUR, 3, "while revoked"),
            (t0 + 5 * HOUR, 0, "after"),
        ],
    );
}

#[test]
fn a_key_that_expired_and_was_renewed_signs_again_only_after_the_renewal() {
    use openpgp::types::KeyFlags;
    let t0 = SystemTime::now() - 10 * HOUR;
    // One primary key that certifies and signs, valid for an hour.
    let (cert, _) = CertBuilder::new()
        .add_userid("Ren <ren@example.org>")
        .set_primary_key_flags(KeyFlags::empty().set_certification().set_signing())
        .set_creation_time(t0)
        .set_validity_period(HOUR)
        .generate()
        .unwrap();
    let mut primary = primary_signer(&cert);
    // Renewed at t0+3h, without expiry.
    let ua = cert.userids().next().unwrap();
    let uid = ua.userid().clone();
    let old = ua.self_signatures().next().unwrap().clone();
    let renewal = SignatureBuilder::from(old)
        .set_signature_creation_time(t0 + 3 * HOUR)
        .unwrap()
        .set_key_validity_period(None)
        .unwrap()
        .sign_userid_binding(&mut primary, cert.primary_key().key(), &uid)
        .unwrap();
    // The direct-key signature carries the expiry too.
    let old_direct = cert
        .primary_key()
        .self_signatures()
        .find(|s| s.typ() == SignatureType::DirectKey)
        .cloned();
    let mut packets = vec![openpgp::Packet::from(renewal)];
    if let Some(old) = old_direct {
        let direct = SignatureBuilder::from(old)
            .set_signature_creation_time(t0 + 3 * HOUR)
            .unwrap()
            .set_key_validity_period(None)
            .unwrap()
            .sign_direct_key(&mut primary, None)
            .unwrap();
        packets.push(openpgp::Packet::from(direct));
    }
    let cert = cert.insert_packets(packets).unwrap().0;
    let env = home_with(&cert);

    let data = b"signed before, during and after the gap";
    verifies_as(
        &env,
        &cert,
        data,
        &[
            (t0 + HOUR / 2, 0, "before"),
            (t0 + 2 * HOUR, 3, "expired"),
            (t0 + 5 * HOUR, 0, "renewed"),
        ],
    );
}
