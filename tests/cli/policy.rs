//! Weak or broken material is refused with an error that names the
//! reason: SHA-1 and MD5 data signatures, messages without integrity
//! protection, and for every use certificates with only SHA-1
//! self-signatures or RSA keys under 2048 bits (which import stores, not
//! valid, so that an update can make them usable).
//!
//! zpgp offers no opt-in for any of these.  GnuPG has one for old data
//! (`--ignore-mdc-error`, `--allow-weak-digest-algos`); a user with such
//! data can open it there, once, and keep what it holds.

use std::time::{Duration, SystemTime};

use openpgp::cert::prelude::*;
use openpgp::packet::Key;
use openpgp::packet::key::{Key4, PrimaryRole, SecretParts};
use openpgp::packet::signature::SignatureBuilder;
use openpgp::serialize::Serialize;
use openpgp::types::{HashAlgorithm, SignatureType};
use openpgp::{Cert, Packet};
use sequoia_openpgp as openpgp;

use predicates::prelude::*;

use crate::harness::Env;

fn export(cert: &Cert) -> Vec<u8> {
    let mut v = Vec::new();
    cert.serialize(&mut v).unwrap();
    v
}

/// A certificate of one primary key and one user ID, self-signed with
/// `hash`, made a year ago.
fn cert_with(primary: Key<SecretParts, PrimaryRole>, hash: HashAlgorithm, uid: &str) -> Cert {
    crate::harness::year_old_cert(primary, hash, uid).strip_secret_key_material()
}

fn ed25519_primary() -> Key<SecretParts, PrimaryRole> {
    let then = SystemTime::now() - Duration::from_secs(366 * 86400);
    let mut k = Key4::generate_ed25519().unwrap();
    k.set_creation_time(then).unwrap();
    k.into()
}

/// Imports `cert` and expects it stored but not valid, with `reason` in
/// the report, the listing and the refusal to encrypt to it; no address
/// finds it, its fingerprint does.
fn assert_stored_invalid(env: &Env, cert: &Cert, name: &str, email: &str, reason: &str) {
    let file = env.write(name, export(cert));
    let fpr = cert.fingerprint().to_hex();
    let out = env
        .zpgp()
        .args(["--json", "import"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
    assert!(stderr.contains("stored, not valid: "), "{name}: {stderr}");
    assert!(stderr.contains(reason), "{name}: no {reason:?} in {stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["stored_invalid"], 1, "{v:#}");
    assert_eq!(v["rejected"], 0, "{v:#}");
    assert_eq!(v["certificates"][0]["valid"], false, "{v:#}");

    env.zpgp()
        .args(["list", &fpr])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("[invalid: ").and(predicate::str::contains(reason)));
    env.zpgp()
        .args(["list", email])
        .assert()
        .code(4)
        .stdout(predicate::str::is_empty());
    let out = env
        .zpgp()
        .args(["encrypt", "-r", &fpr])
        .write_stdin("to a key the policy refuses")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(17), "{name}: {stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains("not valid under the policy") && stderr.contains(reason),
        "{name}: {stderr}"
    );
}

#[test]
fn weak_self_signatures_and_small_rsa_keys_are_stored_but_never_used() {
    let env = Env::new();
    let primary = ed25519_primary();
    let sha1 = cert_with(primary.clone(), HashAlgorithm::SHA1, "<sha1@example.org>");
    assert_stored_invalid(&env, &sha1, "sha1.pgp", "sha1@example.org", "SHA1");

    let mut rsa = Key4::generate_rsa(1024).unwrap();
    rsa.set_creation_time(SystemTime::now() - Duration::from_secs(366 * 86400))
        .unwrap();
    let rsa = cert_with(rsa.into(), HashAlgorithm::SHA256, "<rsa1024@example.org>");
    assert_stored_invalid(&env, &rsa, "rsa1024.pgp", "rsa1024@example.org", "RSA1024");

    // The same key with a SHA-256 self-signature is fine: the update makes
    // the stored certificate valid, and its address finds it.
    let update = cert_with(primary, HashAlgorithm::SHA256, "<sha1@example.org>");
    let file = env.write("update.pgp", export(&update));
    let out = env
        .zpgp()
        .args(["--json", "import"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["updated"], 1, "{v:#}");
    assert_eq!(v["stored_invalid"], 0, "{v:#}");
    env.zpgp()
        .args(["list", "sha1@example.org"])
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains(update.fingerprint().to_hex())
                .and(predicate::str::contains("[invalid").not()),
        );

    // Damaged data is still rejected, and nothing is stored.
    let bad = env.write("bad.pgp", b"\x99\x01\x0dnot a key at all");
    env.zpgp()
        .arg("import")
        .arg(&bad)
        .assert()
        .code(41)
        .stderr(predicate::str::contains("zpgp: error:"));
}

#[test]
fn weak_data_signatures_are_refused_naming_the_hash() {
    let env = Env::new();
    let (cert, _) = CertBuilder::general_purpose(Some("<signer@example.org>"))
        .set_creation_time(SystemTime::now() - Duration::from_secs(86400))
        .generate()
        .unwrap();
    let file = env.write(
        "signer.pgp",
        export(&cert.clone().strip_secret_key_material()),
    );
    env.zpgp().arg("import").arg(&file).assert().success();
    let data = b"pay Mallory 1000 EUR\n";
    let data_file = env.write("data.txt", data);
    let key = cert
        .keys()
        .with_policy(&openpgp::policy::StandardPolicy::new(), None)
        .for_signing()
        .secret()
        .next()
        .unwrap()
        .key()
        .clone();
    for (hash, name) in [(HashAlgorithm::SHA1, "SHA1"), (HashAlgorithm::MD5, "MD5")] {
        let mut signer = key.clone().into_keypair().unwrap();
        let sig = SignatureBuilder::new(SignatureType::Binary)
            .set_hash_algo(hash)
            .sign_message(&mut signer, data)
            .unwrap();
        let mut bytes = Vec::new();
        Packet::from(sig).serialize(&mut bytes).unwrap();
        let sig_file = env.write(&format!("{name}.sig"), &bytes);
        let out = env
            .zpgp()
            .arg("verify")
            .arg("--signature")
            .arg(&sig_file)
            .arg(&data_file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{name}: {stderr}");
        assert!(!stderr.contains("good signature"), "{stderr}");
        assert!(stderr.contains("rejected by policy"), "{stderr}");
        assert!(stderr.contains(name), "{name} not named in: {stderr}");
    }
}

#[test]
fn messages_without_integrity_protection_are_refused() {
    let env = Env::new();
    let msg = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/policy/no-mdc-aes128.gpg"
    );
    let pw = env.write("pw.txt", "pw\n");
    let out = env
        .zpgp()
        .args(["decrypt", "--passphrase-file"])
        .arg(&pw)
        .args(["-o", "out.txt", msg])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(41), "{stderr}");
    assert!(stderr.contains("without integrity protection"), "{stderr}");
    assert!(!env.path("out.txt").exists());
}

#[test]
fn a_crypto_policy_file_is_honoured() {
    let env = Env::new();
    let fpr = env.generate(&["--name", "Pat", "--email", "pat@example.org"]);
    env.zpgp()
        .arg("list")
        .assert()
        .code(0)
        .stdout(predicates::str::contains(&fpr).and(predicates::str::contains("[invalid").not()));
    // A system policy (or ZPGP_CRYPTO_POLICY) that no longer accepts
    // SHA-512, which zpgp signs with, makes the key unusable, as it would
    // for sq.
    let strict = env.write("strict.toml", "[hash_algorithms]\nsha512 = \"never\"\n");
    env.zpgp()
        .env("ZPGP_CRYPTO_POLICY", &strict)
        .arg("list")
        .assert()
        .code(0)
        .stdout(predicates::str::contains(&fpr).and(predicates::str::contains("[invalid")));
    env.zpgp()
        .env("ZPGP_CRYPTO_POLICY", &strict)
        .args(["sign", "-o", "s.pgp"])
        .arg("--passphrase-file")
        .arg(env.passphrase_file())
        .write_stdin("x")
        .assert()
        .code(predicates::ord::ne(0))
        .stderr(predicates::str::contains("zpgp: error:"));
    // An unreadable policy is an error naming it, never ignored.
    let bad = env.write("bad.toml", "[no_such_section]\n");
    env.zpgp()
        .env("ZPGP_CRYPTO_POLICY", &bad)
        .arg("list")
        .assert()
        .code(1)
        .stdout(predicates::str::is_empty())
        .stderr(
            predicates::str::contains("zpgp: error: cannot read the crypto policy")
                .and(predicates::str::contains("bad.toml")),
        );
    // The SOP door judges by the same policy.
    let key = std::process::Command::new(assert_cmd::cargo::cargo_bin("zpgp-sop"))
        .args(["generate-key", "Pat <pat@example.org>"])
        .env("ZPGP_CRYPTO_POLICY", &bad)
        .output()
        .unwrap();
    assert_eq!(key.status.code(), Some(1));
    assert!(key.stdout.is_empty());
    assert!(String::from_utf8_lossy(&key.stderr).contains("cannot read the crypto policy"));
    // An empty value means the standard policy as it is.
    env.zpgp()
        .env("ZPGP_CRYPTO_POLICY", "")
        .arg("list")
        .assert()
        .code(0)
        .stdout(predicates::str::contains("[invalid").not());
}
