//! Issue 7: `zpgp inspect` on every kind of file: the fixtures in
//! tests/data, and keys, messages and signatures made here — without ever
//! needing a secret — and on data that is not OpenPGP.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use predicates::prelude::*;
use predicates::str::{contains, is_empty};
use serde_json::Value;

use crate::harness::{Env, User, error_has, json, no_panic, noise, zpgp_bin};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/rfc9580")
        .join(name)
}

/// `zpgp --json inspect FILE` in `env` (no passphrase anywhere), parsed.
fn inspect_json(env: &Env, file: &Path) -> Value {
    let a = env
        .zpgp()
        .args(["--json", "inspect"])
        .arg(file)
        .assert()
        .code(0)
        .stderr(is_empty());
    json(&a.get_output().stdout)
}

/// `zpgp inspect FILE`: the human report.
fn inspect_text(env: &Env, file: &Path) -> String {
    let a = env
        .zpgp()
        .arg("inspect")
        .arg(file)
        .assert()
        .code(0)
        .stderr(is_empty());
    String::from_utf8(a.get_output().stdout.clone()).unwrap()
}

// tests/data -----------------------------------------------------------------

#[test]
fn rfc9580_fixtures() {
    let env = Env::new();
    let fpr = "CB186C4F0609A697E4D52DFA6C722B0C1F1E27C18A56708F6525EC27BAD9ACC9";
    let sub = "12C83F1E706F6308FE151A417743A1F033790E93E9978488D1DB378DA9930885";

    let cert = inspect_json(&env, &data("a3-v6-certificate.asc"));
    assert_eq!(cert["kind"], "certificate");
    assert_eq!(cert["armored"], true);
    assert_eq!(cert["certs"][0]["fingerprint"], fpr);
    assert_eq!(cert["certs"][0]["version"], 6);
    assert_eq!(cert["certs"][0]["algorithm"], "ed25519");
    assert_eq!(cert["certs"][0]["created"], "2022-11-30T16:08:03Z");
    assert_eq!(cert["certs"][0]["subkeys"][0]["algorithm"], "x25519");
    assert_eq!(cert["certs"][0]["secret"], false);

    let key = inspect_json(&env, &data("a4-v6-secret-key.asc"));
    assert_eq!(key["kind"], "secret_key");
    assert_eq!(key["certs"][0]["secret_keys"][0]["protected"], false);
    let locked = inspect_json(&env, &data("a5-v6-secret-key-locked.asc"));
    assert_eq!(locked["kind"], "secret_key");
    assert_eq!(locked["certs"][0]["secret_keys"][0]["protected"], true);
    assert_eq!(locked["certs"][0]["secret_keys"][1]["protected"], true);
    assert!(
        inspect_text(&env, &data("a5-v6-secret-key-locked.asc"))
            .contains("secret parts of 2 of 2 keys in the file, protected by a passphrase")
    );

    let clear = inspect_json(&env, &data("a6-cleartext-signed.asc"));
    assert_eq!(clear["kind"], "cleartext_signed");
    assert_eq!(clear["signed"], true);
    assert_eq!(clear["signatures"][0]["issuer"], fpr);
    assert_eq!(clear["signatures"][0]["signature_type"], "text");
    assert_eq!(clear["signatures"][0]["hash_algo"], "SHA512");
    let inline = inspect_json(&env, &data("a7-inline-signed.asc"));
    assert_eq!(inline["kind"], "signed_message");
    assert_eq!(inline["signatures"].as_array().unwrap().len(), 1);
    assert_eq!(inline["signatures"][0]["cert_fingerprint"], Value::Null);

    let to_key = inspect_json(&env, &data("a8-x25519-aead-ocb.asc"));
    assert_eq!(to_key["kind"], "encrypted_message");
    assert_eq!(to_key["signed"], Value::Null);
    let e = &to_key["encryption"];
    assert_eq!(e["format"], "SEIPDv2");
    assert_eq!(e["aead"], "OCB");
    assert_eq!(e["cipher"], "AES-128");
    assert_eq!(e["recipients"][0]["version"], 6);
    assert_eq!(e["recipients"][0]["key"], sub);
    assert_eq!(e["recipients"][0]["algorithm"], "X25519");

    for (file, aead) in [
        ("a9-aead-eax.asc", "EAX"),
        ("a10-aead-ocb.asc", "OCB"),
        ("a11-aead-gcm.asc", "GCM"),
    ] {
        let m = inspect_json(&env, &data(file));
        assert_eq!(m["encryption"]["format"], "SEIPDv2", "{file}");
        assert_eq!(m["encryption"]["aead"], aead, "{file}");
        assert_eq!(m["encryption"]["passwords"][0]["version"], 6, "{file}");
        assert_eq!(m["encryption"]["passwords"][0]["aead"], aead, "{file}");
    }
    for (file, cipher) in [
        ("a12-argon2-aes128.asc", "AES-128"),
        ("a12-argon2-aes192.asc", "AES-192"),
        ("a12-argon2-aes256.asc", "AES-256"),
    ] {
        let m = inspect_json(&env, &data(file));
        assert_eq!(m["encryption"]["format"], "SEIPDv1", "{file}");
        let p = &m["encryption"]["passwords"][0];
        assert_eq!(p["version"], 4, "{file}");
        assert_eq!(p["s2k"], "argon2", "{file}");
        assert_eq!(p["cipher"], cipher, "{file}");
    }

    // The plain text of A.6/A.7 is no OpenPGP at all.
    env.zpgp()
        .arg("inspect")
        .arg(data("a6-a7-plaintext.txt"))
        .assert()
        .code(41)
        .stdout(is_empty())
        .stderr(error_has(&["not OpenPGP data: looks like text"]));
    // The README of the fixtures names no other file.
    for entry in std::fs::read_dir(data("")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            name == "README.md" || name.starts_with('a'),
            "tests/data/rfc9580/{name} is not inspected here"
        );
    }
}

// Files made here ------------------------------------------------------------

#[test]
fn certificates_and_secret_keys_v4_and_v6() {
    let alice = User::new("Alice");
    let bob = User::v6("Bob");
    let viewer = Env::new();

    let a = inspect_json(&viewer, &alice.cert());
    assert_eq!(a["kind"], "certificate");
    assert_eq!(a["certs"][0]["fingerprint"], alice.fpr.as_str());
    assert_eq!(a["certs"][0]["version"], 4);
    assert_eq!(a["certs"][0]["userids"][0]["userid"], alice.uid());
    assert_eq!(a["certs"][0]["subkeys"].as_array().unwrap().len(), 2);
    assert!(a["certs"][0]["expires"].is_string());
    let b = inspect_json(&viewer, &bob.cert());
    assert_eq!(b["certs"][0]["version"], 6);
    assert_eq!(b["certs"][0]["fingerprint"], bob.fpr.as_str());

    let text = inspect_text(&viewer, &alice.cert());
    assert!(
        text.contains("certificate (public key), ASCII-armored"),
        "{text}"
    );
    assert!(
        text.contains(&alice.fpr) && text.contains(&alice.uid()),
        "{text}"
    );

    // A keyring of two, binary.
    let ring = viewer.path("ring.pgp");
    let mut bytes = Vec::new();
    for u in [&alice, &bob] {
        let out = u
            .zpgp()
            .args(["export", "--binary", &u.email()])
            .output()
            .unwrap();
        bytes.extend(out.stdout);
    }
    std::fs::write(&ring, bytes).unwrap();
    let r = inspect_json(&viewer, &ring);
    assert_eq!(r["armored"], false);
    assert_eq!(r["certs"].as_array().unwrap().len(), 2);
    assert!(inspect_text(&viewer, &ring).contains("2 certificates"));

    // Secret keys: protected, and no passphrase is asked for (--batch
    // would fail if it were).
    for u in [&alice, &bob] {
        let key = u.path("secret.asc");
        u.zpgp()
            .args(["export", "--secret", "-o"])
            .arg(&key)
            .arg(u.email())
            .assert()
            .success();
        let k = inspect_json(&viewer, &key);
        assert_eq!(k["kind"], "secret_key");
        assert_eq!(k["certs"][0]["secret"], true);
        let states = k["certs"][0]["secret_keys"].as_array().unwrap();
        assert_eq!(states.len(), 3);
        assert!(states.iter().all(|s| s["protected"] == true));
    }
    // Nothing was created in the viewer's (absent) home.
    assert!(!viewer.home().exists());
}

#[test]
fn revocation_certificate() {
    let alice = User::new("Alice");
    let rev = alice
        .env
        .home()
        .join("revocations")
        .join(format!("{}.rev", alice.fpr));
    // generate's file starts with a note, then the armored certificate
    // with its revocation: shown as the revoked certificate it makes.
    let r = inspect_json(&alice.env, &rev);
    assert_eq!(r["kind"], "certificate");
    assert_eq!(r["armored"], true);
    assert_eq!(r["certs"][0]["fingerprint"], alice.fpr.as_str());
    assert_eq!(r["certs"][0]["state"], "revoked");
    let text = inspect_text(&alice.env, &rev);
    assert!(text.contains("[revoked: "), "{text}");
    // A bare revocation signature (as other tools export it).
    let (cert, sig) = {
        use sequoia_openpgp::cert::prelude::*;
        use sequoia_openpgp::types::ReasonForRevocation;
        let (cert, _) = CertBuilder::general_purpose(Some("Eve <eve@example.org>"))
            .generate()
            .unwrap();
        let mut signer = cert
            .primary_key()
            .key()
            .clone()
            .parts_into_secret()
            .unwrap()
            .into_keypair()
            .unwrap();
        let sig = cert
            .revoke(&mut signer, ReasonForRevocation::KeyCompromised, b"lost")
            .unwrap();
        (cert, sig)
    };
    let bare = alice.write("bare.rev", {
        use sequoia_openpgp::serialize::SerializeInto;
        sequoia_openpgp::Packet::from(sig).to_vec().unwrap()
    });
    let r = inspect_json(&alice.env, &bare);
    assert_eq!(r["kind"], "revocation_certificate");
    assert_eq!(r["signatures"][0]["signature_type"], "key_revocation");
    assert_eq!(
        r["signatures"][0]["issuer"].as_str().unwrap(),
        format!("{:X}", cert.fingerprint())
    );
}

#[test]
fn encrypted_messages_seipd_v1_v2_and_passwords() {
    let alice = User::new("Alice");
    let bob6 = User::v6("Bob");
    let carol = User::new("Carol");
    alice.knows(&[&bob6, &carol]);

    // To a v4 key: SEIPDv1, recipients named from the keyring.
    let v1 = alice.write("v1.pgp", alice.encrypt(&["-r", "carol", "--sign"], b"hi"));
    let m = inspect_json(&alice.env, &v1);
    assert_eq!(m["kind"], "encrypted_message");
    assert_eq!(m["encryption"]["format"], "SEIPDv1");
    assert_eq!(m["encryption"]["integrity_protected"], true);
    assert_eq!(m["signed"], Value::Null);
    let rcpts = m["encryption"]["recipients"].as_array().unwrap();
    assert_eq!(rcpts.len(), 2, "Carol and Alice herself");
    let names: Vec<&str> = rcpts
        .iter()
        .map(|r| r["user_id"].as_str().unwrap())
        .collect();
    assert!(names.contains(&carol.uid().as_str()) && names.contains(&alice.uid().as_str()));
    assert!(rcpts.iter().all(|r| r["key"].as_str().unwrap().len() == 16));
    let text = inspect_text(&alice.env, &v1);
    assert!(text.contains("encrypted message, binary"), "{text}");
    assert!(text.contains("recipient:   key "), "{text}");
    assert!(text.contains(&carol.uid()), "{text}");
    assert!(text.contains("cannot tell without decrypting"), "{text}");

    // Somebody else's keyring does not know the recipients.
    let stranger = Env::new();
    let s = inspect_text(&stranger, &v1);
    assert!(s.contains("not in the keyring"), "{s}");

    // To a v6 key only: SEIPDv2 with OCB.
    let v2 = alice.write(
        "v2.asc",
        alice.encrypt(&["-r", "bob", "--no-self", "--armor"], b"hi"),
    );
    let m = inspect_json(&alice.env, &v2);
    assert_eq!(m["armored"], true);
    assert_eq!(m["encryption"]["format"], "SEIPDv2");
    assert_eq!(m["encryption"]["aead"], "OCB");
    assert_eq!(m["encryption"]["recipients"][0]["version"], 6);
    assert_eq!(
        m["encryption"]["recipients"][0]["cert_fingerprint"],
        bob6.fpr.as_str()
    );
    assert!(inspect_text(&alice.env, &v2).contains("SEIPDv2 (AES-256, OCB, "));

    // A password alone.
    let pw = alice.write("pw.pgp", alice.encrypt(&["--password", "--no-self"], b"hi"));
    let m = inspect_json(&alice.env, &pw);
    assert_eq!(m["encryption"]["recipients"].as_array().unwrap().len(), 0);
    assert_eq!(m["encryption"]["passwords"].as_array().unwrap().len(), 1);
    assert!(inspect_text(&alice.env, &pw).contains("password:"));
}

#[test]
fn signatures_detached_inline_and_cleartext() {
    let alice = User::new("Alice");
    let data = alice.write("notes.txt", "some notes\n");
    alice
        .zpgp_pw()
        .args(["sign", "--detached"])
        .arg(&data)
        .assert()
        .success();
    alice
        .zpgp_pw()
        .args(["sign", "--clear"])
        .arg(&data)
        .assert()
        .success();
    let inline = alice.write("inline.pgp", alice.sign(&[], b"inline data"));

    let d = inspect_json(&alice.env, &alice.path("notes.txt.sig"));
    assert_eq!(d["kind"], "detached_signature");
    assert_eq!(d["signatures"][0]["cert_fingerprint"], alice.fpr.as_str());
    assert_eq!(d["signatures"][0]["user_id"], alice.uid());
    assert!(d["signatures"][0]["created"].is_string());

    let c = inspect_json(&alice.env, &alice.path("notes.txt.asc"));
    assert_eq!(c["kind"], "cleartext_signed");
    assert_eq!(c["signed"], true);
    assert_eq!(c["signatures"].as_array().unwrap().len(), 1);

    let i = inspect_json(&alice.env, &inline);
    assert_eq!(i["kind"], "signed_message");
    assert_eq!(i["signed"], true);
    assert_eq!(
        i["signatures"].as_array().unwrap().len(),
        1,
        "one-pass and signature merge"
    );
    let text = inspect_text(&alice.env, &inline);
    assert!(text.contains("signed message, binary"), "{text}");
    assert!(text.contains("signature:   binary by "), "{text}");
    assert!(text.contains("not checked here; use zpgp verify"), "{text}");
}

// Bad input ------------------------------------------------------------------

#[test]
fn garbage_says_what_it_looks_like() {
    let env = Env::new();
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "a.gz",
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00",
            "looks like a gzip file",
        ),
        ("a.zip", b"PK\x03\x04rest", "looks like a zip file"),
        ("a.pdf", b"%PDF-1.7\n", "looks like a PDF document"),
        ("a.png", b"\x89PNG\r\n\x1a\n", "looks like a PNG image"),
        ("a.txt", b"hello world\n", "looks like text"),
        ("id.pem", b"-----BEGIN CERTIFICATE-----\nMII\n", "X.509"),
        ("zeros", &[0u8; 64], "not OpenPGP data"),
        ("empty", b"", "the input is empty"),
    ];
    for (name, bytes, says) in cases {
        let file = env.write(name, bytes);
        env.zpgp()
            .arg("inspect")
            .arg(&file)
            .assert()
            .code(41)
            .stdout(is_empty())
            .stderr(error_has(&[says]));
    }
    // Random bytes and a truncated message: bad data, never a panic.
    let alice = User::new("Alice");
    let msg = alice.sign(&[], &noise(50_000, 1));
    for (i, bytes) in [noise(10_000, 7), msg[..msg.len() / 2].to_vec()]
        .iter()
        .enumerate()
    {
        let file = env.write(&format!("bad{i}"), bytes);
        env.zpgp()
            .arg("inspect")
            .arg(&file)
            .assert()
            .code(41)
            .stdout(is_empty())
            .stderr(no_panic().and(contains("zpgp: error:")));
    }
    env.zpgp()
        .args(["inspect", "no-such-file"])
        .assert()
        .code(61)
        .stderr(error_has(&["no-such-file"]));
}

/// An encrypted message is read only up to its encrypted container: a
/// stream whose body never ends is inspected all the same.
#[test]
fn stops_at_the_encrypted_container() {
    let bob = User::new("Bob");
    let msg = bob.encrypt(&["-r", "bob"], &noise(4 << 20, 3));
    let mut child = std::process::Command::new(zpgp_bin())
        .args(["--batch", "--home"])
        .arg(bob.env.home())
        .args(["--json", "inspect"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Half the message, and the pipe stays open.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&msg[..msg.len() / 2]);
        std::thread::sleep(Duration::from_secs(30));
        drop(stdin);
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "inspect waits for the end of the encrypted body"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    assert!(status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = json(&out.stdout);
    assert_eq!(report["encryption"]["format"], "SEIPDv1");
    drop(writer);
}

#[test]
fn stdin_and_the_human_header() {
    let alice = User::new("Alice");
    let cert = std::fs::read(alice.cert()).unwrap();
    alice
        .zpgp()
        .arg("inspect")
        .write_stdin(cert)
        .assert()
        .code(0)
        .stdout(contains("<stdin>: certificate (public key), ASCII-armored"))
        .stderr(is_empty());
}
