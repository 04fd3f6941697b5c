//! `zpgp audit [--contacts]` (issue 16): per key, what is weak or ageing,
//! with a severity and the command that fixes it; exit 6 when anything is
//! found, 0 otherwise; the keyring is only read.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, SystemTime};

use openpgp::Cert;
use openpgp::cert::prelude::*;
use openpgp::packet::Key;
use openpgp::packet::key::{Key4, PrimaryRole, SecretParts};
use openpgp::packet::signature::SignatureBuilder;
use openpgp::serialize::SerializeInto;
use openpgp::types::{HashAlgorithm, KeyFlags, SignatureType};
use predicates::prelude::*;
use predicates::str::{contains, is_empty};
use sequoia_openpgp as openpgp;
use serde_json::Value;

use crate::harness::Env;
use crate::keys::{snapshot, stdout_of};

const DAY: u64 = 24 * 60 * 60;

/// `zpgp --json audit ARGS`, expecting exit `code`; the report.
fn audit_json(env: &Env, args: &[&str], code: i32) -> Value {
    let a = env
        .zpgp()
        .args(["--json", "audit"])
        .args(args)
        .assert()
        .code(code);
    serde_json::from_str(&stdout_of(&a)).expect("audit --json prints JSON")
}

/// The key of that fingerprint in the report.
fn key<'a>(v: &'a Value, fpr: &str) -> &'a Value {
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["fingerprint"] == fpr)
        .unwrap_or_else(|| panic!("{fpr} is not in the report: {v:#}"))
}

fn ids(k: &Value) -> Vec<&str> {
    k["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect()
}

fn finding<'a>(k: &'a Value, id: &str) -> &'a Value {
    k["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id} finding: {k:#}"))
}

/// Puts `cert` on file the way another tool sharing `pgp.cert.d` would,
/// past zpgp's import (which keeps weak self-signatures out of use), and
/// with `secret` its secret key file, so that it counts as yours.
fn plant(env: &Env, cert: &Cert, secret: bool) -> String {
    // The home as zpgp makes it.
    env.zpgp().arg("list").assert().success();
    let certd = openpgp_cert_d::CertD::with_base_dir(env.home().join("pgp.cert.d")).unwrap();
    certd
        .insert_data(&cert.to_vec().unwrap(), false, |new, _| {
            Ok(openpgp_cert_d::MergeResult::DataRef(new))
        })
        .unwrap();
    let fpr = format!("{:X}", cert.fingerprint());
    if secret {
        let p = env.home().join("secret").join(&fpr);
        std::fs::write(&p, cert.as_tsk().to_vec().unwrap()).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    fpr
}

/// An Ed25519 key made a year ago whose only user ID is bound with SHA-1,
/// never expiring and without a Features subpacket, with an X25519
/// encryption subkey bound with SHA-256.
fn sha1_key() -> Cert {
    let then = SystemTime::now() - Duration::from_secs(365 * DAY);
    let mut k: Key4<SecretParts, PrimaryRole> = Key4::generate_ed25519().unwrap();
    k.set_creation_time(then - Duration::from_secs(DAY))
        .unwrap();
    let primary: Key<SecretParts, PrimaryRole> = k.into();
    let mut signer = primary.clone().into_keypair().unwrap();
    let cert = crate::harness::year_old_cert(
        primary.clone(),
        HashAlgorithm::SHA1,
        "Old Timer <old@example.org>",
    );
    let mut enc: Key<SecretParts, openpgp::packet::key::SubordinateRole> =
        Key4::generate_ecc(false, openpgp::types::Curve::Cv25519)
            .unwrap()
            .into();
    enc.set_creation_time(then - Duration::from_secs(DAY))
        .unwrap();
    let enc_sig = SignatureBuilder::new(SignatureType::SubkeyBinding)
        .set_hash_algo(HashAlgorithm::SHA256)
        .set_signature_creation_time(then)
        .unwrap()
        .set_key_flags(
            KeyFlags::empty()
                .set_transport_encryption()
                .set_storage_encryption(),
        )
        .unwrap()
        .sign_subkey_binding(
            &mut signer,
            primary.parts_as_public(),
            enc.parts_as_public(),
        )
        .unwrap();
    cert.insert_packets(vec![openpgp::Packet::from(enc), enc_sig.into()])
        .unwrap()
        .0
}

/// An RSA-2048 key (primary and both subkeys) that never expires.
fn rsa2k_key(uid: &str) -> Cert {
    CertBuilder::general_purpose(Some(uid))
        .set_cipher_suite(CipherSuite::RSA2k)
        .set_validity_period(None)
        .generate()
        .unwrap()
        .0
}

#[test]
fn audit_without_a_home_or_keys_finds_nothing_and_creates_nothing() {
    let env = Env::new();
    env.zpgp()
        .arg("audit")
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(contains("nothing to audit"));
    assert!(!env.home().exists(), "audit made the home");

    // A contact's key is not yours: not audited without --contacts.
    let contact = plant(&env, &rsa2k_key("<weak@example.org>"), false);
    env.zpgp()
        .arg("audit")
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr("zpgp: nothing to report: audited 0 keys of yours\n");
    let v = audit_json(&env, &[], 0);
    assert_eq!(v, serde_json::json!({"keys": []}));
    // With --contacts it is.
    let v = audit_json(&env, &["--contacts"], 6);
    assert_eq!(key(&v, &contact)["kind"], "contact");
}

#[test]
fn audit_of_a_new_v4_key_asks_for_pq_and_seipdv2_and_writes_nothing() {
    let env = Env::new();
    let fpr = env.generate(&["--name", "Al Ice", "--email", "al@example.org"]);
    let before = snapshot(&env.home());

    let v = audit_json(&env, &[], 6);
    let k = key(&v, &fpr);
    assert_eq!(k["kind"], "own");
    assert_eq!(k["version"], 4);
    assert_eq!(k["userid"], "Al Ice <al@example.org>");
    assert_eq!(k["revoked"], false);
    // generate's default: v4, Cv25519, SEIPDv1 only, expires in 3 years.
    assert_eq!(ids(k), ["no-pq-encryption", "no-seipdv2"]);

    let pq = finding(k, "no-pq-encryption");
    assert_eq!(pq["severity"], "medium");
    // A post-quantum subkey needs a v6 key: a new key, and the way over.
    assert_eq!(
        pq["fix"],
        "zpgp generate --profile pqc --name 'Al Ice' --email al@example.org"
    );
    let steps: Vec<&str> = pq["then"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(steps.len(), 4, "{steps:?}");
    assert!(steps[0].ends_with("zpgp publish NEW"));
    assert!(steps[1].ends_with(&format!("zpgp certify NEW --signer {fpr}")));
    assert!(steps[2].contains("keep the old secret key"));
    assert!(steps[3].ends_with(&format!("zpgp expire {fpr} 3m")));

    let aead = finding(k, "no-seipdv2");
    assert_eq!(aead["severity"], "low");
    assert_eq!(
        aead["fix"],
        "zpgp generate --profile rfc9580 --name 'Al Ice' --email al@example.org"
    );

    // People read the same, the summary on stderr.
    env.zpgp()
        .arg("audit")
        .assert()
        .code(6)
        .stdout(
            contains(format!("your key {fpr} Al Ice <al@example.org>\n"))
                .and(contains("  medium  no post-quantum encryption subkey"))
                .and(contains(
                    "fix: zpgp generate --profile pqc --name 'Al Ice' --email al@example.org\n",
                ))
                .and(contains("  low     does not advertise SEIPDv2"))
                .and(contains("then: the same steps as above\n")),
        )
        .stderr("zpgp: 2 findings in 1 key: audited 1 key of yours\n");
    env.zpgp()
        .args(["-q", "audit"])
        .assert()
        .code(6)
        .stderr(is_empty());

    assert!(before == snapshot(&env.home()), "audit changed the keyring");
}

#[test]
fn audit_of_a_v6_key_expiring_soon_and_its_fix() {
    let env = Env::new();
    let fpr = env.generate(&[
        "--email",
        "six@example.org",
        "--profile",
        "rfc9580",
        "--expires",
        "10d",
    ]);
    let v = audit_json(&env, &[], 6);
    let k = key(&v, &fpr);
    assert_eq!(k["version"], 6);
    assert_eq!(ids(k), ["no-pq-encryption", "expires-soon"]);
    assert_eq!(
        finding(k, "no-pq-encryption")["fix"],
        format!("zpgp subkey add {fpr} --for encrypt --cipher-suite mlkem768-x25519")
    );
    let soon = finding(k, "expires-soon");
    assert_eq!(soon["severity"], "medium");
    assert!(
        soon["text"].as_str().unwrap().ends_with("(in 10 days)"),
        "{soon}"
    );
    assert_eq!(soon["fix"], format!("zpgp expire {fpr} 2y"));

    // The fix, run as given, takes the finding away.
    env.zpgp()
        .arg("--passphrase-file")
        .arg(env.passphrase_file())
        .args(["expire", &fpr, "2y"])
        .assert()
        .success();
    let v = audit_json(&env, &[], 6);
    assert_eq!(ids(key(&v, &fpr)), ["no-pq-encryption"]);
}

#[test]
fn audit_finds_short_rsa_sha1_bindings_and_no_expiry_on_file() {
    let env = Env::new();
    let rsa = plant(&env, &rsa2k_key("Rsa Two <rsa@example.org>"), true);
    let sha1 = plant(&env, &sha1_key(), true);

    let v = audit_json(&env, &[], 6);
    let k = key(&v, &rsa);
    assert_eq!(
        ids(k),
        [
            "rsa-under-3072",
            "rsa-under-3072",
            "rsa-under-3072",
            "no-pq-encryption",
            "no-expiry"
        ],
        "{k:#}"
    );
    let findings = k["findings"].as_array().unwrap();
    assert_eq!(findings[0]["severity"], "medium");
    assert_eq!(
        findings[0]["text"],
        "the primary key is rsa2048, under 3072 bits"
    );
    assert_eq!(
        findings[0]["fix"],
        "zpgp generate --profile rfc9580 --name 'Rsa Two' --email rsa@example.org"
    );
    // A weak subkey is rotated, for what it is for.
    let subkey_fixes: Vec<&str> = findings[1..3]
        .iter()
        .map(|f| f["fix"].as_str().unwrap())
        .collect();
    for use_ in ["sign", "encrypt"] {
        let fix = format!("zpgp subkey rotate {rsa} --for {use_} --cipher-suite cv25519");
        assert!(subkey_fixes.contains(&fix.as_str()), "{subkey_fixes:?}");
    }
    assert_eq!(finding(k, "no-expiry")["severity"], "low");
    assert_eq!(
        finding(k, "no-expiry")["fix"],
        format!("zpgp expire {rsa} 2y")
    );

    let k = key(&v, &sha1);
    assert_eq!(
        ids(k),
        [
            "sha1-binding",
            "no-pq-encryption",
            "no-seipdv2",
            "no-expiry"
        ],
        "{k:#}"
    );
    let f = finding(k, "sha1-binding");
    assert_eq!(f["severity"], "high");
    assert_eq!(
        f["text"],
        "bound by weak self-signatures, which zpgp and other tools reject: \
         user ID Old Timer <old@example.org> (SHA1)"
    );
    let fix = f["fix"].as_str().unwrap();
    assert!(
        fix.starts_with("zpgp export --secret -o ") && fix.contains("zpgp sop update-key"),
        "{fix}"
    );

    // The fix re-signs with a strong hash: run it (the key has no
    // passphrase, so an empty password file does).
    env.write("PASSFILE", "");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(fix)
        .current_dir(env.dir.path())
        .env("PATH", path_with_zpgp())
        .env("ZPGP_HOME", env.home())
        .env("ZPGP_NO_AGENT", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the fix failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = audit_json(&env, &[], 6);
    assert_eq!(
        ids(key(&v, &sha1)),
        ["no-pq-encryption", "no-seipdv2", "no-expiry"]
    );
}

/// PATH with the zpgp under test first, so a fix runs as printed.
fn path_with_zpgp() -> String {
    let bin = crate::harness::zpgp_bin();
    format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn audit_of_contacts_says_ask_them_and_how_to_pick_up_their_fix() {
    let env = Env::new();
    env.generate(&["--email", "me@example.org", "--profile", "rfc9580"]);
    let weak = rsa2k_key("Weak Contact <weak@example.org>");
    env.zpgp()
        .arg("import")
        .write_stdin(weak.armored().to_vec().unwrap())
        .assert()
        .success();
    let weak = format!("{:X}", weak.fingerprint());

    // Yours only, without --contacts.
    let v = audit_json(&env, &[], 6);
    assert_eq!(v["keys"].as_array().unwrap().len(), 1, "{v:#}");

    let v = audit_json(&env, &["--contacts"], 6);
    assert_eq!(v["keys"][0]["kind"], "own", "yours first: {v:#}");
    let k = key(&v, &weak);
    assert_eq!(k["kind"], "contact");
    let primary = &k["findings"][0];
    assert_eq!(primary["id"], "rsa-under-3072");
    assert_eq!(
        primary["text"],
        "the primary key is rsa2048, under 3072 bits; ask them for a new key"
    );
    assert_eq!(primary["fix"], "zpgp fetch weak@example.org");
    let expiry = finding(k, "no-expiry");
    assert!(
        expiry["text"]
            .as_str()
            .unwrap()
            .ends_with("; ask them to update their key")
    );
    assert_eq!(expiry["fix"], format!("zpgp refresh {weak}"));

    env.zpgp()
        .args(["audit", "--contacts"])
        .assert()
        .code(6)
        .stdout(contains(format!(
            "contact's key {weak} Weak Contact <weak@example.org>\n"
        )))
        .stderr(contains("audited 1 key of yours and 1 contact\n"));
}

#[test]
fn audit_reports_a_revoked_key_as_revoked_only() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "gone@example.org"]);
    env.zpgp()
        .arg("--passphrase-file")
        .arg(env.passphrase_file())
        .args(["revoke", &fpr, "--reason", "retired", "--yes"])
        .assert()
        .success();
    let v = audit_json(&env, &[], 6);
    let k = key(&v, &fpr);
    assert_eq!(k["revoked"], true);
    assert_eq!(ids(k), ["revoked"]);
    let f = &k["findings"][0];
    assert_eq!(f["severity"], "high");
    assert_eq!(f["text"], "the key is revoked (retired)");
    assert_eq!(f["fix"], format!("zpgp delete {fpr} --secret"));
}
