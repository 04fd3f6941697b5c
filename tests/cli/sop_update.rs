//! `sop update-key` renews self-signatures whose hash the policy no longer
//! accepts, so an old key becomes usable again.

use std::time::{Duration, SystemTime};

use openpgp::Packet;
use openpgp::cert::prelude::*;
use openpgp::packet::key::{Key4, PrimaryRole, SecretParts, SubordinateRole};
use openpgp::packet::signature::SignatureBuilder;
use openpgp::packet::{Key, UserID};
use openpgp::parse::Parse;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::SerializeInto;
use openpgp::types::{Curve, HashAlgorithm, KeyFlags, SignatureType};
use sequoia_openpgp as openpgp;

use crate::harness::Env;

/// A key whose every self-signature (user ID, encryption subkey, signing
/// subkey and its back-signature) is SHA-1, made a year ago.
fn sha1_key() -> Cert {
    let then = SystemTime::now() - Duration::from_secs(365 * 86400);
    let made = then - Duration::from_secs(86400);
    let mut primary: Key<SecretParts, PrimaryRole> = Key4::generate_ed25519().unwrap().into();
    primary.set_creation_time(made).unwrap();
    let mut psigner = primary.clone().into_keypair().unwrap();
    let ppub = primary.parts_as_public();

    let uid = UserID::from("Old Timer <old@example.org>");
    let uid_sig = SignatureBuilder::new(SignatureType::PositiveCertification)
        .set_hash_algo(HashAlgorithm::SHA1)
        .set_signature_creation_time(then)
        .unwrap()
        .set_key_flags(KeyFlags::empty().set_certification())
        .unwrap()
        .sign_userid_binding(&mut psigner, ppub, &uid)
        .unwrap();

    let mut enc: Key<SecretParts, SubordinateRole> =
        Key4::generate_ecc(false, Curve::Cv25519).unwrap().into();
    enc.set_creation_time(made).unwrap();
    let enc_sig = SignatureBuilder::new(SignatureType::SubkeyBinding)
        .set_hash_algo(HashAlgorithm::SHA1)
        .set_signature_creation_time(then)
        .unwrap()
        .set_key_flags(
            KeyFlags::empty()
                .set_transport_encryption()
                .set_storage_encryption(),
        )
        .unwrap()
        .sign_subkey_binding(&mut psigner, ppub, enc.parts_as_public())
        .unwrap();

    let mut sig_key: Key<SecretParts, SubordinateRole> =
        Key4::generate_ecc(true, Curve::Ed25519).unwrap().into();
    sig_key.set_creation_time(made).unwrap();
    let mut ssigner = sig_key.clone().into_keypair().unwrap();
    let backsig = SignatureBuilder::new(SignatureType::PrimaryKeyBinding)
        .set_hash_algo(HashAlgorithm::SHA1)
        .set_signature_creation_time(then)
        .unwrap()
        .sign_primary_key_binding(&mut ssigner, ppub, sig_key.parts_as_public())
        .unwrap();
    let sign_sig = SignatureBuilder::new(SignatureType::SubkeyBinding)
        .set_hash_algo(HashAlgorithm::SHA1)
        .set_signature_creation_time(then)
        .unwrap()
        .set_key_flags(KeyFlags::empty().set_signing())
        .unwrap()
        .set_embedded_signature(backsig)
        .unwrap()
        .sign_subkey_binding(&mut psigner, ppub, sig_key.parts_as_public())
        .unwrap();

    Cert::from_packets(
        vec![
            Packet::from(primary),
            Packet::from(uid),
            Packet::from(uid_sig),
            Packet::from(enc),
            Packet::from(enc_sig),
            Packet::from(sig_key),
            Packet::from(sign_sig),
        ]
        .into_iter(),
    )
    .unwrap()
}

#[test]
fn update_key_renews_sha1_self_signatures() {
    let env = Env::new();
    let p = StandardPolicy::new();
    let old = sha1_key();
    assert!(
        old.with_policy(&p, None).is_err(),
        "SHA-1 self-signatures are refused"
    );

    let out = assert_cmd::Command::cargo_bin("zpgp-sop")
        .unwrap()
        .current_dir(env.dir.path())
        .arg("update-key")
        .write_stdin(old.as_tsk().armored().to_vec().unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "update-key failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new = Cert::from_bytes(&out.stdout).unwrap();
    assert_eq!(new.fingerprint(), old.fingerprint());
    assert!(new.is_tsk(), "the output is still a secret key");

    let vc = new.with_policy(&p, None).expect("valid after update-key");
    assert_eq!(vc.userids().count(), 1);
    assert_eq!(vc.keys().subkeys().for_signing().count(), 1);
    assert_eq!(vc.keys().subkeys().for_transport_encryption().count(), 1);
    for ka in vc.keys().subkeys() {
        assert_eq!(ka.binding_signature().hash_algo(), HashAlgorithm::SHA512);
    }

    // The renewed key is accepted where the old one was refused.
    let file = env.write("updated.cert", new.armored().to_vec().unwrap());
    env.zpgp()
        .arg("import")
        .arg(&file)
        .assert()
        .code(0)
        .stderr(predicates::str::contains("1 new"));

    // A second update changes nothing.
    let again = assert_cmd::Command::cargo_bin("zpgp-sop")
        .unwrap()
        .args(["update-key", "--no-armor"])
        .write_stdin(out.stdout.clone())
        .output()
        .unwrap();
    assert!(again.status.success());
    let again = Cert::from_bytes(&again.stdout).unwrap();
    assert_eq!(
        again.as_tsk().to_vec().unwrap(),
        new.as_tsk().to_vec().unwrap()
    );
}

#[test]
fn update_key_renews_expired_self_signatures() {
    let env = Env::new();
    let p = StandardPolicy::new();
    let now = SystemTime::now();
    let made = now - Duration::from_secs(3 * 86400);
    let (key, _) = CertBuilder::new()
        .set_creation_time(made)
        .add_userid("Short Lived <short@example.org>")
        .add_transport_encryption_subkey()
        .generate()
        .unwrap();
    // Re-sign the user ID with a self-signature valid for one day, made
    // two days ago: it has expired, and with it the only binding.
    let mut signer = key
        .primary_key()
        .key()
        .clone()
        .parts_into_secret()
        .unwrap()
        .into_keypair()
        .unwrap();
    let ua = key.userids().next().unwrap();
    let old_sig = ua.self_signatures().next().unwrap().clone();
    let builder = SignatureBuilder::from(old_sig.clone())
        .set_signature_creation_time(now - Duration::from_secs(2 * 86400))
        .unwrap()
        .set_signature_validity_period(Duration::from_secs(86400))
        .unwrap();
    let sig = ua.userid().bind(&mut signer, &key, builder).unwrap();
    // Only the short-lived binding remains.
    let packets: Vec<Packet> = key
        .as_tsk()
        .into_packets()
        .map(|p| {
            if p == Packet::from(old_sig.clone()) {
                Packet::from(sig.clone())
            } else {
                p
            }
        })
        .collect();
    let key = Cert::from_packets(packets.into_iter()).unwrap();
    assert!(
        key.with_policy(&p, None)
            .map(|vc| vc.userids().count())
            .unwrap_or(0)
            == 0,
        "the user ID's binding has expired"
    );

    let out = assert_cmd::Command::cargo_bin("zpgp-sop")
        .unwrap()
        .current_dir(env.dir.path())
        .arg("update-key")
        .write_stdin(key.as_tsk().armored().to_vec().unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new = Cert::from_bytes(&out.stdout).unwrap();
    let vc = new.with_policy(&p, None).unwrap();
    assert_eq!(vc.userids().count(), 1, "the user ID is bound again");
    let renewed = vc.userids().next().unwrap().binding_signature().clone();
    assert!(renewed.signature_expiration_time().unwrap() > now);
}
