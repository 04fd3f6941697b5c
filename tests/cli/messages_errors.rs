//! Issue 3, the error paths of encrypt and decrypt: recipients that cannot
//! be used, messages that cannot be opened or were tampered with, required
//! signers, passphrases, closed pipes and large inputs.  Every failure is
//! checked for its exit code, its message, and the files it did not leave.

use std::time::{Duration, SystemTime};

use openpgp::cert::prelude::*;
use openpgp::serialize::SerializeInto;
use predicates::prelude::*;
use predicates::str::{contains, is_empty};
use sequoia_openpgp as openpgp;

use crate::harness::{User, alice_and_bob, clean, error_has, json, noise, part_files, zpgp_bin};

const DAY: u64 = 24 * 60 * 60;

// encrypt ---------------------------------------------------------------------

#[test]
fn encrypt_to_expired_recipient_fails_before_writing() {
    let alice = User::new("Alice");
    let (dave, _) = CertBuilder::general_purpose(Some("Dave <dave@example.org>"))
        .set_creation_time(SystemTime::now() - Duration::from_secs(10 * DAY))
        .set_validity_period(Duration::from_secs(DAY))
        .generate()
        .unwrap();
    let file = alice.write("dave.asc", dave.armored().to_vec().unwrap());
    alice.import(&file);
    let msg = alice.write("msg.txt", "too late");
    alice
        .zpgp()
        .args(["encrypt", "-r", "dave@example.org"])
        .arg(&msg)
        .assert()
        .code(17)
        .stdout(is_empty())
        .stderr(error_has(&["Dave <dave@example.org>", "expired"]));
    assert!(!alice.path("msg.txt.pgp").exists());
    alice
        .zpgp()
        .args(["encrypt", "-r", "dave", "-o", "out.pgp"])
        .write_stdin("too late")
        .assert()
        .code(17)
        .stdout(is_empty())
        .stderr(error_has(&[
            &format!("{:X}", dave.fingerprint()),
            "expired",
        ]));
    assert!(!alice.path("out.pgp").exists());
    // A good recipient beside it does not help.
    let bob = User::new("Bob");
    alice.knows(&[&bob]);
    alice
        .zpgp()
        .args(["encrypt", "-r", "bob", "-r", "dave"])
        .arg(&msg)
        .assert()
        .code(17)
        .stdout(is_empty())
        .stderr(error_has(&["expired"]));
    assert!(!alice.path("msg.txt.pgp").exists());
    assert!(part_files(alice.env.dir.path()).is_empty());
}

#[test]
fn encrypt_to_revoked_recipient_fails() {
    let (alice, bob) = alice_and_bob();
    let rev = bob
        .env
        .home()
        .join("revocations")
        .join(format!("{}.rev", bob.fpr));
    assert!(rev.exists(), "generate leaves a revocation certificate");
    alice.import(&rev);
    let msg = alice.write("msg.txt", "to a revoked key");
    alice
        .zpgp()
        .args(["encrypt", "-r", "bob"])
        .arg(&msg)
        .assert()
        .code(17)
        .stdout(is_empty())
        .stderr(error_has(&["Bob", "revoked"]));
    assert!(!alice.path("msg.txt.pgp").exists());
}

#[test]
fn encrypt_to_unknown_recipient_fails() {
    let alice = User::new("Alice");
    let msg = alice.write("msg.txt", "to nobody");
    alice
        .zpgp()
        .args(["encrypt", "-r", "zed@example.org"])
        .arg(&msg)
        .assert()
        .code(4)
        .stdout(is_empty())
        .stderr(error_has(&["zed@example.org", "import"]));
    assert!(!alice.path("msg.txt.pgp").exists());
}

#[test]
fn encrypt_without_recipient_or_password_fails() {
    let alice = User::new("Alice");
    let msg = alice.write("msg.txt", "for whom?");
    alice
        .zpgp()
        .arg("encrypt")
        .arg(&msg)
        .assert()
        .code(19)
        .stdout(is_empty())
        .stderr(error_has(&["no recipient", "-r", "--password"]));
    assert!(!alice.path("msg.txt.pgp").exists());
    // Also from standard input, and even with --sign.
    alice
        .zpgp_pw()
        .args(["encrypt", "--sign"])
        .write_stdin("x")
        .assert()
        .code(19)
        .stdout(is_empty())
        .stderr(error_has(&["no recipient"]));
}

#[test]
fn encrypt_signing_needs_the_passphrase() {
    let (alice, _bob) = alice_and_bob();
    let wrong = alice.write("wrong.txt", "not it\n");
    alice
        .zpgp()
        .args([
            "encrypt",
            "--sign",
            "-r",
            "bob",
            "-o",
            "out.pgp",
            "--passphrase-file",
        ])
        .arg(&wrong)
        .write_stdin("x")
        .assert()
        .code(67)
        .stdout(is_empty())
        .stderr(error_has(&["Alice"]));
    assert!(!alice.path("out.pgp").exists());
    alice
        .zpgp()
        .args(["encrypt", "--sign", "-r", "bob", "-o", "out.pgp"])
        .write_stdin("x")
        .assert()
        .code(67)
        .stdout(is_empty())
        .stderr(error_has(&["--passphrase-file"]));
    assert!(!alice.path("out.pgp").exists());
}

// decrypt ---------------------------------------------------------------------

#[test]
fn decrypt_with_wrong_or_missing_passphrase() {
    let (alice, bob) = alice_and_bob();
    let ct = bob.write("m.txt.pgp", alice.encrypt(&["-r", "bob"], b"locked"));
    let wrong = bob.write("wrong.txt", "not it\n");
    bob.zpgp()
        .args(["decrypt", "--passphrase-file"])
        .arg(&wrong)
        .arg(&ct)
        .assert()
        .code(67)
        .stdout(is_empty())
        .stderr(error_has(&["Bob", "passphrase"]));
    assert!(!bob.path("m.txt").exists());
    assert!(part_files(bob.env.dir.path()).is_empty());

    // --batch and no passphrase: no prompt, a hint instead.
    bob.zpgp()
        .args(["decrypt", "-o", "out.txt"])
        .arg(&ct)
        .assert()
        .code(67)
        .stdout(is_empty())
        .stderr(error_has(&["--batch", "hint:", "--passphrase-file"]));
    assert!(!bob.path("out.txt").exists());
    assert!(part_files(bob.env.dir.path()).is_empty());
}

#[test]
fn decrypt_message_for_someone_else_lists_the_recipients() {
    let (alice, bob) = alice_and_bob();
    let carol = User::new("Carol");
    carol.knows(&[&alice, &bob]);
    let a = alice
        .zpgp()
        .args(["--json", "encrypt", "-r", "bob", "--no-self"])
        .write_stdin("not for carol")
        .assert()
        .code(0);
    let report = json(&a.get_output().stderr);
    let subkey = report["recipients"][0]["key_fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    // A v4 key ID is the low 64 bits of the fingerprint.
    let keyid = &subkey[subkey.len() - 16..];
    let ct = carol.write("m.pgp", &a.get_output().stdout);
    carol
        .zpgp_pw()
        .arg("decrypt")
        .arg(&ct)
        .assert()
        .code(29)
        .stdout(is_empty())
        .stderr(error_has(&[keyid]));
    assert!(!carol.path("m").exists());
    assert!(part_files(carol.env.dir.path()).is_empty());
    // Through pipes as well.
    carol
        .zpgp_pw()
        .arg("decrypt")
        .write_stdin(std::fs::read(&ct).unwrap())
        .assert()
        .code(29)
        .stdout(is_empty())
        .stderr(error_has(&[keyid]));
}

/// Every way of damaging `ct` is refused with exit 41 and leaves no
/// plaintext and no temporary file behind.
fn assert_damage_detected(bob: &User, ct: &[u8], what: &str) {
    let mut variants: Vec<(String, Vec<u8>)> = Vec::new();
    for at in [ct.len() / 2, ct.len() - 3, ct.len() - 40] {
        let mut v = ct.to_vec();
        v[at] ^= 0x20;
        variants.push((format!("{what}: byte {at} of {} flipped", ct.len()), v));
    }
    for keep in [ct.len() - 1, ct.len() - 30, ct.len() / 2] {
        variants.push((
            format!("{what}: truncated to {keep} of {}", ct.len()),
            ct[..keep].to_vec(),
        ));
    }
    for (label, data) in variants {
        let file = bob.write("t.txt.pgp", &data);
        bob.zpgp_pw()
            .arg("decrypt")
            .arg(&file)
            .assert()
            .code(41)
            .stdout(is_empty())
            .stderr(
                error_has(&["the message was modified or damaged"]).and(contains("OpenSSL").not()),
            );
        assert!(!bob.path("t.txt").exists(), "{label}: plaintext left");
        bob.zpgp_pw()
            .args(["decrypt", "-o", "out.txt"])
            .arg(&file)
            .assert()
            .code(41)
            .stdout(is_empty())
            .stderr(
                error_has(&["the message was modified or damaged"]).and(contains("OpenSSL").not()),
            );
        assert!(!bob.path("out.txt").exists(), "{label}: plaintext left");
        assert_eq!(
            part_files(bob.env.dir.path()),
            Vec::<String>::new(),
            "{label}"
        );
    }
}

#[test]
fn decrypt_detects_tampering_v4_seipdv1() {
    let (alice, bob) = alice_and_bob();
    let ct = alice.encrypt(&["-r", "bob"], &noise(64 << 10, 3));
    assert_eq!(crate::harness::seipd_version(&ct), 1);
    assert_damage_detected(&bob, &ct, "SEIPDv1");
}

#[test]
fn decrypt_detects_tampering_v6_seipdv2() {
    let alice = User::v6("Alice");
    let bob = User::v6("Bob");
    alice.knows(&[&bob]);
    let ct = alice.encrypt(&["-r", "bob"], &noise(64 << 10, 4));
    assert_eq!(crate::harness::seipd_version(&ct), 2);
    assert_damage_detected(&bob, &ct, "SEIPDv2");
}

#[test]
fn decrypt_rejects_bad_inputs() {
    let bob = User::new("Bob");
    // Not OpenPGP at all.
    let junk = bob.write("junk.txt.pgp", "this is not an OpenPGP message\n");
    bob.zpgp_pw()
        .arg("decrypt")
        .arg(&junk)
        .assert()
        .code(41)
        .stdout(is_empty())
        .stderr(error_has(&[
            "the input is not OpenPGP data: it looks like text",
        ]));
    assert!(!bob.path("junk.txt").exists());
    bob.zpgp_pw()
        .arg("decrypt")
        .write_stdin(noise(1000, 9))
        .assert()
        .code(41)
        .stdout(is_empty())
        .stderr(error_has(&["the input is not OpenPGP data"]));
    // Empty input.
    bob.zpgp_pw()
        .arg("decrypt")
        .write_stdin("")
        .assert()
        .code(41)
        .stdout(is_empty())
        .stderr(error_has(&["the input is empty"]));
    // A signed but not encrypted message is not something to decrypt.
    let signed = bob.sign(&[], b"only signed");
    bob.zpgp_pw()
        .args(["decrypt", "-o", "x.txt"])
        .write_stdin(signed)
        .assert()
        .code(41)
        .stdout(is_empty())
        .stderr(error_has(&[
            "the input is not an encrypted message",
            "use verify",
        ]));
    assert!(!bob.path("x.txt").exists());
    // A directory.
    std::fs::create_dir(bob.path("adir.pgp")).unwrap();
    bob.zpgp_pw()
        .arg("decrypt")
        .arg(bob.path("adir.pgp"))
        .assert()
        .code(41)
        .stdout(is_empty())
        .stderr(error_has(&["directory"]));
    assert!(!bob.path("adir").exists());
    // A missing file.
    bob.zpgp_pw()
        .arg("decrypt")
        .arg(bob.path("missing.pgp"))
        .assert()
        .code(61)
        .stdout(is_empty())
        .stderr(error_has(&["missing.pgp"]));
    assert!(!bob.path("missing").exists());
    assert!(part_files(bob.env.dir.path()).is_empty());
}

#[test]
fn decrypt_into_a_closed_pipe_is_not_an_error() {
    let (alice, bob) = alice_and_bob();
    bob.write("big.pgp", alice.encrypt(&["-r", "bob"], &noise(4 << 20, 5)));
    for how in [
        "decrypt -o - big.pgp",
        "decrypt big.pgp -o -",
        "decrypt < big.pgp",
    ] {
        let script = format!(
            "set -o pipefail; \"$ZPGP\" --home \"$H\" --batch --passphrase-file \"$PW\" \
             {how} 2>err.txt | head -c 10 >head.txt; echo \"${{PIPESTATUS[0]}}\""
        );
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(&script)
            .env("ZPGP", zpgp_bin())
            .env("H", bob.env.home())
            .env("PW", bob.env.passphrase_file())
            .env_remove("ZPGP_HOME")
            .current_dir(bob.env.dir.path())
            .output()
            .expect("run bash");
        let status = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let err = std::fs::read_to_string(bob.path("err.txt")).unwrap();
        assert_eq!(status, "0", "{how}: zpgp exit status; stderr: {err}");
        assert!(
            !err.contains("error") && !err.contains("panicked"),
            "{how}: {err}"
        );
        assert_eq!(std::fs::metadata(bob.path("head.txt")).unwrap().len(), 10);
    }
    assert!(!bob.path("big").exists());
    assert!(part_files(bob.env.dir.path()).is_empty());
}

#[test]
fn decrypt_signer_requirement() {
    let (alice, bob) = alice_and_bob();
    let carol = User::new("Carol");
    bob.knows(&[&carol]);
    let signed = bob.write(
        "signed.pgp",
        alice.encrypt(&["--sign", "-r", "bob"], b"from alice"),
    );
    let unsigned = bob.write("unsigned.pgp", alice.encrypt(&["-r", "bob"], b"unsigned"));

    bob.zpgp_pw()
        .args(["decrypt", "--signer", "alice", "-o", "ok.txt"])
        .arg(&signed)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(clean().and(contains("good signature from Alice")));
    assert_eq!(std::fs::read(bob.path("ok.txt")).unwrap(), b"from alice");

    bob.zpgp_pw()
        .args(["decrypt", "--signer", "carol", "-o", "no.txt"])
        .arg(&signed)
        .assert()
        .code(3)
        .stdout(is_empty())
        .stderr(error_has(&[&carol.fpr, "no valid signature"]));
    assert!(!bob.path("no.txt").exists());

    // Both required: Carol is still missing.
    bob.zpgp_pw()
        .args([
            "decrypt", "--signer", "alice", "--signer", "carol", "-o", "no.txt",
        ])
        .arg(&signed)
        .assert()
        .code(3)
        .stdout(is_empty())
        .stderr(error_has(&[&carol.fpr]));
    assert!(!bob.path("no.txt").exists());

    bob.zpgp_pw()
        .args(["decrypt", "--signer", "alice", "-o", "no.txt"])
        .arg(&unsigned)
        .assert()
        .code(3)
        .stdout(is_empty())
        .stderr(error_has(&[&alice.fpr]));
    assert!(!bob.path("no.txt").exists());
    assert!(!bob.path("unsigned").exists());
    assert!(part_files(bob.env.dir.path()).is_empty());
}

#[test]
fn large_message_round_trip_through_files_and_pipes() {
    let (alice, bob) = alice_and_bob();
    let data = noise(8 << 20, 1);
    let plain = alice.write("big.bin", &data);
    alice
        .zpgp()
        .args(["encrypt", "-r", "bob"])
        .arg(&plain)
        .assert()
        .code(0)
        .stdout(is_empty());
    let ct = std::fs::read(alice.path("big.bin.pgp")).unwrap();
    assert!(ct.len() > data.len());
    let copy = bob.write("big.bin.pgp", &ct);
    bob.zpgp_pw()
        .arg("decrypt")
        .arg(&copy)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(clean());
    assert!(
        std::fs::read(bob.path("big.bin")).unwrap() == data,
        "file round trip"
    );

    let out = alice
        .zpgp()
        .args(["encrypt", "-r", "bob"])
        .write_stdin(data.clone())
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = bob
        .zpgp_pw()
        .arg("decrypt")
        .write_stdin(out.stdout)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout == data, "pipe round trip");
    assert!(out.stderr.is_empty());
}
