//! RFC 9980 (post-quantum OpenPGP): `inspect` names the algorithms of the
//! RFC's sample certificates, messages and signatures (tests/data/rfc9980,
//! see its README for where each file comes from), and `audit` counts an
//! ML-KEM subkey as post-quantum encryption.

use std::path::PathBuf;

use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;

use crate::harness::Env;
use crate::keys::stdout_of;

fn vector(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/rfc9980")
        .join(name)
}

fn inspect_json(env: &Env, name: &str) -> Value {
    let a = env
        .zpgp()
        .args(["--json", "inspect"])
        .arg(vector(name))
        .assert()
        .success();
    serde_json::from_str(&stdout_of(&a)).expect("inspect --json prints JSON")
}

/// (primary key algorithm, subkey algorithm) of each sample certificate,
/// as `inspect` (and `list`) name them.
const CERTS: &[(&str, &str, &str)] = &[
    ("v6-eddsa-sample-pk.asc", "ed25519", "mlkem768-x25519"),
    ("v6-eddsa-sample-sk.asc", "ed25519", "mlkem768-x25519"),
    ("v4-eddsa-sample-pk.asc", "ed25519", "mlkem768-x25519"),
    (
        "v6-mldsa-65-sample-pk.asc",
        "mldsa65-ed25519",
        "mlkem768-x25519",
    ),
    (
        "v6-mldsa-87-sample-pk.asc",
        "mldsa87-ed448",
        "mlkem1024-x448",
    ),
    (
        "v6-slhdsa-128s-sample-pk.asc",
        "slhdsa128s",
        "mlkem768-x25519",
    ),
    (
        "v6-slhdsa-128f-sample-pk.asc",
        "slhdsa128f",
        "mlkem768-x25519",
    ),
    (
        "v6-slhdsa-256s-sample-pk.asc",
        "slhdsa256s",
        "mlkem1024-x448",
    ),
];

#[test]
fn inspect_names_the_pq_algorithms_of_the_rfc9980_certificates() {
    let env = Env::new();
    for (file, primary, sub) in CERTS {
        let v = inspect_json(&env, file);
        let kind = if file.ends_with("-sk.asc") {
            "secret_key"
        } else {
            "certificate"
        };
        assert_eq!(v["kind"], kind, "{file}: {v:#}");
        let cert = &v["certs"][0];
        assert_eq!(cert["algorithm"], *primary, "{file}");
        assert_eq!(cert["subkeys"][0]["algorithm"], *sub, "{file}");
        let version = if file.starts_with("v4") { 4 } else { 6 };
        assert_eq!(cert["version"], version, "{file}");
    }
    // And people read the same names.
    env.zpgp()
        .arg("inspect")
        .arg(vector("v6-slhdsa-256s-sample-pk.asc"))
        .assert()
        .success()
        .stdout(
            contains("pub   slhdsa256s 2025-01-01")
                .and(contains("sub   mlkem1024-x448 2025-01-01")),
        );
}

#[test]
fn inspect_names_the_pq_recipients_of_the_rfc9980_messages() {
    let env = Env::new();
    for (file, format, recipient, algo) in [
        (
            "v6-eddsa-sample-message.asc",
            "SEIPDv2",
            "DAFE0EEBB2675ECFCDC20A23FE89CA5D12E83F527DFA354B6DCF662131A48B9D",
            "ML-KEM-768+X25519",
        ),
        (
            "v4-eddsa-sample-message-v1.asc",
            "SEIPDv1",
            "A4F95F985ED61A51",
            "ML-KEM-768+X25519",
        ),
        (
            "v6-mldsa-87-sample-message.asc",
            "SEIPDv2",
            "65090E147A8116AB7F62AB4EC7AAE59D9E6532FEB2AF230C73CDC869FBC60C8F",
            "ML-KEM-1024+X448",
        ),
        (
            "v6-slhdsa-128s-sample-message.asc",
            "SEIPDv2",
            "3E8745A4BB488779E0F32480FA23F8D0BFD8C2F49D7F74E957E1C2FFC2EF4BFC",
            "ML-KEM-768+X25519",
        ),
    ] {
        let v = inspect_json(&env, file);
        assert_eq!(v["kind"], "encrypted_message", "{file}");
        let e = &v["encryption"];
        assert_eq!(e["format"], format, "{file}");
        assert_eq!(e["recipients"][0]["key"], recipient, "{file}");
        assert_eq!(e["recipients"][0]["algorithm"], algo, "{file}");
    }

    // With the certificate on file, the recipient is named.
    env.zpgp()
        .arg("import")
        .arg(vector("v6-eddsa-sample-pk.asc"))
        .assert()
        .success();
    let v = inspect_json(&env, "v6-eddsa-sample-message.asc");
    let r = &v["encryption"]["recipients"][0];
    assert_eq!(
        r["cert_fingerprint"],
        "C789E17D9DBDCA7B3C833A3C063FEB0353F80AD911FE27868FB0645DF803E947"
    );
    assert_eq!(
        r["user_id"],
        "PQC user (Test Key) <pqc-test-key@example.com>"
    );
    env.zpgp()
        .arg("inspect")
        .arg(vector("v6-eddsa-sample-message.asc"))
        .assert()
        .success()
        .stdout(contains("(ML-KEM-768+X25519)"));
}

#[test]
fn inspect_names_the_pq_algorithms_of_the_rfc9980_signatures() {
    let env = Env::new();
    for (file, algo, hash) in [
        (
            "v6-mldsa-65-sample-signature.asc",
            "ML-DSA-65+Ed25519",
            "SHA256",
        ),
        (
            "v6-mldsa-87-sample-signature.asc",
            "ML-DSA-87+Ed448",
            "SHA3-512",
        ),
        (
            "v6-slhdsa-128s-sample-signature.asc",
            "SLH-DSA-SHAKE-128s",
            "SHA256",
        ),
        (
            "v6-slhdsa-128f-sample-signature.asc",
            "SLH-DSA-SHAKE-128f",
            "SHA256",
        ),
        (
            "v6-slhdsa-256s-sample-signature.asc",
            "SLH-DSA-SHAKE-256s",
            "SHA512",
        ),
    ] {
        let v = inspect_json(&env, file);
        assert_eq!(v["kind"], "detached_signature", "{file}");
        let s = &v["signatures"][0];
        assert_eq!(s["algorithm"], algo, "{file}");
        assert_eq!(s["hash_algo"], hash, "{file}");
    }
    env.zpgp()
        .arg("inspect")
        .arg(vector("v6-slhdsa-128s-sample-signature.asc"))
        .assert()
        .success()
        .stdout(contains("(SLH-DSA-SHAKE-128s, SHA256)"));
}

/// `audit --contacts --json` (exit 6) of a home holding the vector `file`.
fn audit_of_contact(file: &str) -> Value {
    let env = Env::new();
    env.zpgp()
        .arg("import")
        .arg(vector(file))
        .assert()
        .success();
    let a = env
        .zpgp()
        .args(["--json", "audit", "--contacts"])
        .assert()
        .code(6);
    serde_json::from_str(&stdout_of(&a)).unwrap()
}

/// The sample v6 certificate has an ML-KEM-768+X25519 subkey and
/// advertises SEIPDv2: audit asks only for an expiry.
#[test]
fn audit_counts_the_rfc9980_ml_kem_subkey() {
    let v = audit_of_contact("v6-eddsa-sample-pk.asc");
    let k = &v["keys"][0];
    assert_eq!(
        k["fingerprint"],
        "C789E17D9DBDCA7B3C833A3C063FEB0353F80AD911FE27868FB0645DF803E947"
    );
    assert_eq!(k["kind"], "contact");
    let ids: Vec<&str> = k["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["no-expiry"], "{v:#}");
}

/// The ML-DSA-65+Ed25519 sample: judged where the crypto backend can check
/// ML-DSA (it then lacks only an expiry), said to be unchecked where it
/// cannot (OpenSSL before 3.5), never called weak.
#[test]
fn audit_of_the_rfc9980_ml_dsa_certificate_depends_on_the_backend() {
    use sequoia_openpgp::types::PublicKeyAlgorithm;
    let v = audit_of_contact("v6-mldsa-65-sample-pk.asc");
    let findings = v["keys"][0]["findings"].as_array().unwrap();
    let ids: Vec<&str> = findings.iter().map(|f| f["id"].as_str().unwrap()).collect();
    if PublicKeyAlgorithm::MLDSA65_Ed25519.is_supported() {
        assert_eq!(ids, ["no-expiry"], "{v:#}");
    } else {
        assert_eq!(ids, ["not-checked"], "{v:#}");
        assert_eq!(findings[0]["severity"], "low");
        assert_eq!(
            findings[0]["text"],
            "not audited: this zpgp's crypto backend cannot check ML-DSA-65+Ed25519 signatures"
        );
        assert_eq!(findings[0]["fix"], Value::Null);
    }
}

/// The RFC's sample messages (v4 and v6 keys with ML-KEM subkeys,
/// SEIPDv1 and SEIPDv2) decrypt with their sample secret keys, through
/// `zpgp decrypt` with the key imported and through the SOP interface.
#[test]
fn the_rfc9980_sample_messages_decrypt() {
    for (message, key) in [
        ("v4-eddsa-sample-message-v1.asc", "v4-eddsa-sample-sk.asc"),
        ("v4-eddsa-sample-message-v2.asc", "v4-eddsa-sample-sk.asc"),
        ("v6-eddsa-sample-message.asc", "v6-eddsa-sample-sk.asc"),
        (
            "v6-mldsa-65-sample-message.asc",
            "v6-mldsa-65-sample-sk.asc",
        ),
        (
            "v6-mldsa-87-sample-message.asc",
            "v6-mldsa-87-sample-sk.asc",
        ),
        (
            "v6-slhdsa-128s-sample-message.asc",
            "v6-slhdsa-128s-sample-sk.asc",
        ),
    ] {
        let env = Env::new();
        crate::harness::zpgp_sop(env.dir.path())
            .arg("decrypt")
            .arg(vector(key))
            .pipe_stdin(vector(message))
            .unwrap()
            .assert()
            .success()
            .stdout("Testing\n");
        env.zpgp().arg("import").arg(vector(key)).assert().success();
        env.zpgp()
            .args(["decrypt", "-o", "-"])
            .arg(vector(message))
            .assert()
            .success()
            .stdout("Testing\n");
        // Another key does not open it, and says why.
        let other = Env::new();
        other.generate(&["--email", "x@example.org", "--profile", "pqc"]);
        other
            .zpgp()
            .args(["decrypt", "-o", "-"])
            .arg(vector(message))
            .assert()
            .code(29)
            .stdout("");
    }
}

/// The RFC's sample signatures (ML-DSA-65, ML-DSA-87, SLH-DSA) over
/// "Testing\n" verify with their certificates, and not over other data.
#[test]
fn the_rfc9980_sample_signatures_verify() {
    for s in [
        "v6-mldsa-65",
        "v6-mldsa-87",
        "v6-slhdsa-128f",
        "v6-slhdsa-128s",
        "v6-slhdsa-256s",
    ] {
        let env = Env::new();
        let data = env.write("data", "Testing\n");
        let other = env.write("other", "Testing!\n");
        let sig = vector(&format!("{s}-sample-signature.asc"));
        let cert = vector(&format!("{s}-sample-pk.asc"));
        env.zpgp()
            .arg("verify")
            .arg("--cert-file")
            .arg(&cert)
            .arg(&sig)
            .arg(&data)
            .assert()
            .success()
            .stderr(contains("good signature").or(contains("Good signature")));
        env.zpgp()
            .arg("verify")
            .arg("--cert-file")
            .arg(&cert)
            .arg(&sig)
            .arg(&other)
            .assert()
            .code(3);
    }
}
