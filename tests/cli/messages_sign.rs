//! Issue 3: sign and verify — inline, detached and cleartext signatures,
//! between people who each have their own home, and the ways verification
//! fails (changed data, unknown or missing signers, wrong passphrases,
//! existing outputs).

use predicates::prelude::*;
use predicates::str::{contains, is_empty};
use sequoia_openpgp as openpgp;

use crate::harness::{Env, User, alice_and_bob, clean, error_has, json, noise, part_files};

#[test]
fn sign_inline_and_verify() {
    let (alice, bob) = alice_and_bob();
    let file = alice.write("doc.txt", "inline signed\n");
    alice
        .zpgp_pw()
        .arg("sign")
        .arg(&file)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(clean());
    let signed = std::fs::read(alice.path("doc.txt.pgp")).unwrap();
    assert!(!signed.starts_with(b"-----"), "binary by default");

    let copy = bob.write("doc.txt.pgp", &signed);
    let good = format!("good signature from {} ({})", alice.uid(), alice.fpr);
    bob.zpgp()
        .arg("verify")
        .arg(&copy)
        .assert()
        .code(0)
        .stdout("inline signed\n")
        .stderr(clean().and(contains(good.as_str())));
    // -o writes the content instead.
    bob.zpgp()
        .args(["verify", "-o", "content.txt"])
        .arg(&copy)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(clean().and(contains(good.as_str())));
    assert_eq!(
        std::fs::read_to_string(bob.path("content.txt")).unwrap(),
        "inline signed\n"
    );
    // Which is not overwritten without --force.
    bob.zpgp()
        .args(["verify", "-o", "content.txt"])
        .arg(&copy)
        .assert()
        .code(59)
        .stdout(is_empty())
        .stderr(error_has(&["exists"]));

    // --armor: FILE.asc.
    alice
        .zpgp_pw()
        .args(["sign", "--armor"])
        .arg(&file)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(clean());
    let asc = std::fs::read_to_string(alice.path("doc.txt.asc")).unwrap();
    assert!(asc.starts_with("-----BEGIN PGP MESSAGE-----"), "{asc}");
    let copy = bob.write("doc.txt.asc", &asc);
    bob.zpgp()
        .arg("verify")
        .arg(&copy)
        .assert()
        .code(0)
        .stdout("inline signed\n")
        .stderr(clean().and(contains(good.as_str())));

    // Through pipes.
    let signed = alice.sign(&[], b"piped");
    bob.zpgp()
        .arg("verify")
        .write_stdin(signed)
        .assert()
        .code(0)
        .stdout("piped")
        .stderr(clean().and(contains(good.as_str())));
}

#[test]
fn sign_detached_and_verify() {
    let (alice, bob) = alice_and_bob();
    let data = noise(100_000, 7);
    let file = alice.write("release.tar", &data);
    alice
        .zpgp_pw()
        .args(["sign", "--detached"])
        .arg(&file)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(clean());
    let sig = std::fs::read(alice.path("release.tar.sig")).unwrap();
    let sig = bob.write("release.tar.sig", sig);
    let data_copy = bob.write("release.tar", &data);
    bob.zpgp()
        .args(["verify", "--signature"])
        .arg(&sig)
        .arg(&data_copy)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(clean().and(contains(format!("good signature from {}", alice.uid()))));
    // The data may come from standard input.
    bob.zpgp()
        .args(["verify", "--signature"])
        .arg(&sig)
        .write_stdin(data.clone())
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(clean().and(contains("good signature from")));

    // One changed byte.
    let mut changed = data.clone();
    changed[50_000] ^= 1;
    let changed = bob.write("changed.tar", changed);
    bob.zpgp()
        .args(["verify", "--signature"])
        .arg(&sig)
        .arg(&changed)
        .assert()
        .code(3)
        .stdout(is_empty())
        .stderr(error_has(&["BAD signature"]).and(contains("good signature").not()));
}

#[test]
fn sign_clear_and_verify() {
    let (alice, bob) = alice_and_bob();
    let text = "We release version 1.0 today.\nEnjoy!\n";
    let file = alice.write("news.txt", text);
    alice
        .zpgp_pw()
        .args(["sign", "--clear"])
        .arg(&file)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(clean());
    let asc = std::fs::read_to_string(alice.path("news.txt.asc")).unwrap();
    assert!(
        asc.starts_with("-----BEGIN PGP SIGNED MESSAGE-----"),
        "{asc}"
    );
    assert!(
        asc.contains("We release version 1.0 today.\nEnjoy!\n"),
        "{asc}"
    );
    assert!(asc.contains("-----BEGIN PGP SIGNATURE-----"));

    let copy = bob.write("news.txt.asc", &asc);
    bob.zpgp()
        .args(["verify", "-o", "news.txt"])
        .arg(&copy)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(clean().and(contains(format!("good signature from {}", alice.uid()))));
    let got = std::fs::read_to_string(bob.path("news.txt")).unwrap();
    assert_eq!(got.trim_end(), text.trim_end());

    let forged = bob.write("forged.asc", asc.replace("1.0", "6.6"));
    bob.zpgp()
        .args(["verify", "-o", "forged.txt"])
        .arg(&forged)
        .assert()
        .code(3)
        .stdout(is_empty())
        .stderr(error_has(&["BAD signature"]));
    assert!(!bob.path("forged.txt").exists());
    assert!(part_files(bob.env.dir.path()).is_empty());
}

#[test]
fn verify_json_reports_good_signatures() {
    let (alice, bob) = alice_and_bob();
    let signed = alice.sign(&["--armor"], b"json");
    let a = bob
        .zpgp()
        .args(["--json", "verify"])
        .write_stdin(signed)
        .assert()
        .code(0)
        .stdout("json");
    let report = json(&a.get_output().stderr);
    assert!(report.is_object());
    let sigs = report["signatures"].as_array().expect("a signatures array");
    assert_eq!(sigs.len(), 1);
    assert_eq!(sigs[0]["status"], "good");
    assert_eq!(sigs[0]["cert_fingerprint"], alice.fpr.as_str());
}

#[test]
fn verify_required_signer() {
    let (alice, bob) = alice_and_bob();
    let carol = User::new("Carol");
    bob.knows(&[&carol]);
    let signed = bob.write("m.pgp", alice.sign(&[], b"required"));
    bob.zpgp()
        .args(["verify", "--signer", "alice@example.org"])
        .arg(&signed)
        .assert()
        .code(0)
        .stdout("required")
        .stderr(clean().and(contains("good signature from Alice")));
    bob.zpgp()
        .args(["verify", "--signer", &alice.fpr, "--signer", "alice"])
        .arg(&signed)
        .assert()
        .code(0)
        .stdout("required");
}

// Failures ------------------------------------------------------------------

#[test]
fn verify_signature_by_unknown_key() {
    let alice = User::new("Alice");
    let carol = User::new("Carol");
    let signed = carol.write("m.pgp", alice.sign(&[], b"who am i"));
    carol
        .zpgp()
        .args(["verify", "-o", "out.txt"])
        .arg(&signed)
        .assert()
        .code(3)
        .stdout(is_empty())
        .stderr(error_has(&["unknown key", "import"]));
    assert!(!carol.path("out.txt").exists());

    let data = carol.write("data", "detached");
    let sig = carol.write("data.sig", alice.sign(&["--detached"], b"detached"));
    carol
        .zpgp()
        .args(["verify", "--signature"])
        .arg(&sig)
        .arg(&data)
        .assert()
        .code(3)
        .stdout(is_empty())
        .stderr(error_has(&["unknown key", "import"]));
}

/// Alice signed; Bob requires Carol.  `zpgp decrypt` exits 3 here, and so
/// should `zpgp verify`.
fn verify_requiring_carol(
    bob: &User,
    signed: &std::path::Path,
    carol: &User,
) -> assert_cmd::assert::Assert {
    let a = bob
        .zpgp()
        .args(["verify", "--signer", "carol", "-o", "out.txt"])
        .arg(signed)
        .assert()
        .code(3)
        .stdout(is_empty())
        .stderr(error_has(&["no valid signature", &carol.fpr]));
    assert!(!bob.path("out.txt").exists());
    a
}

#[test]
fn verify_required_signer_absent() {
    let (alice, bob) = alice_and_bob();
    let carol = User::new("Carol");
    bob.knows(&[&carol]);
    let signed = bob.write("m.pgp", alice.sign(&[], b"by alice"));
    verify_requiring_carol(&bob, &signed, &carol);
    // Also with a detached signature.
    let data = bob.write("data", "by alice");
    let sig = bob.write("data.sig", alice.sign(&["--detached"], b"by alice"));
    bob.zpgp()
        .args(["verify", "--signer", "carol", "--signature"])
        .arg(&sig)
        .arg(&data)
        .assert()
        .code(3)
        .stdout(is_empty())
        .stderr(error_has(&[&carol.fpr]));
    // An unsigned message fails, with --signer or without: exit 3.
    let unsigned = bob.write("plain.pgp", literal_message(b"not signed at all"));
    for args in [&["verify"][..], &["verify", "--signer", "alice"][..]] {
        bob.zpgp()
            .args(args)
            .args(["-o", "out.txt"])
            .arg(&unsigned)
            .assert()
            .code(3)
            .stdout(is_empty())
            .stderr(error_has(&["no signature"]));
        assert!(!bob.path("out.txt").exists());
    }
}

/// An OpenPGP message holding only a literal data packet: not signed.
fn literal_message(data: &[u8]) -> Vec<u8> {
    use openpgp::serialize::stream::{LiteralWriter, Message};
    use std::io::Write;
    let mut buf = Vec::new();
    let mut w = LiteralWriter::new(Message::new(&mut buf)).build().unwrap();
    w.write_all(data).unwrap();
    w.finalize().unwrap();
    buf
}

#[test]
fn failed_signature_check_prints_nothing_on_stdout() {
    // Small messages fit in the output buffer, so nothing needs to reach
    // standard output before the verdict; decrypt even says "the output
    // was not written".
    let (alice, bob) = alice_and_bob();
    let carol = User::new("Carol");
    bob.knows(&[&carol]);
    let ct = alice.encrypt(&["--sign", "-r", "bob"], b"signed by alice");
    bob.zpgp_pw()
        .args(["decrypt", "--signer", "carol"])
        .write_stdin(ct)
        .assert()
        .code(3)
        .stdout(is_empty())
        .stderr(error_has(&[&carol.fpr]));

    let signed = alice.sign(&[], b"signed by alice");
    bob.zpgp()
        .args(["verify", "--signer", "carol"])
        .write_stdin(signed)
        .assert()
        .code(3)
        .stdout(is_empty())
        .stderr(error_has(&[&carol.fpr]));

    let clear = String::from_utf8(alice.sign(&["--clear"], b"pay 10 EUR\n")).unwrap();
    bob.zpgp()
        .arg("verify")
        .write_stdin(clear.replace("10", "99"))
        .assert()
        .code(3)
        .stdout(is_empty())
        .stderr(error_has(&["BAD signature"]));
}

#[test]
fn verify_required_signer_absent_exits_3() {
    let (alice, bob) = alice_and_bob();
    let carol = User::new("Carol");
    bob.knows(&[&carol]);
    let signed = bob.write("m.pgp", alice.sign(&[], b"by alice"));
    verify_requiring_carol(&bob, &signed, &carol).code(3);
}

#[test]
fn verify_rejects_bad_inputs() {
    let bob = User::new("Bob");
    bob.zpgp()
        .arg("verify")
        .write_stdin("plain text, no signature\n")
        .assert()
        .code(41)
        .stdout(is_empty())
        .stderr(error_has(&[
            "the input is not OpenPGP data: it looks like text",
        ]));
    bob.zpgp()
        .arg("verify")
        .arg(bob.path("missing.pgp"))
        .assert()
        .code(61)
        .stdout(is_empty())
        .stderr(error_has(&["missing.pgp"]));
    let data = bob.write("data", "x");
    bob.zpgp()
        .args(["verify", "--signature", "missing.sig"])
        .arg(&data)
        .assert()
        .code(61)
        .stdout(is_empty())
        .stderr(error_has(&["missing.sig"]));
    // An encrypted message is not a signed one.
    let ct = bob.encrypt(&["-r", "bob"], b"secret");
    bob.zpgp()
        .args(["verify", "-o", "out.txt"])
        .write_stdin(ct)
        .assert()
        .code(41)
        .stdout(is_empty())
        .stderr(error_has(&[
            "the input is an encrypted message",
            "use decrypt",
        ]));
    assert!(!bob.path("out.txt").exists());
}

#[test]
fn sign_with_several_secret_keys_needs_signer() {
    let alice = User::new("Alice");
    let work = alice
        .env
        .generate(&["--name", "Alice Work", "--email", "alice@work.example"]);
    let file = alice.write("doc.txt", "which key?");
    alice
        .zpgp_pw()
        .arg("sign")
        .arg(&file)
        .assert()
        .code(73)
        .stdout(is_empty())
        .stderr(error_has(&[&alice.fpr, &work, "--signer"]));
    assert!(!alice.path("doc.txt.pgp").exists());
    alice
        .zpgp_pw()
        .args(["sign", "--signer", "alice@work.example"])
        .arg(&file)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(clean());
    alice
        .zpgp()
        .args(["verify", "--signer", "alice@work.example", "-o", "-"])
        .arg(alice.path("doc.txt.pgp"))
        .assert()
        .code(0)
        .stdout("which key?")
        .stderr(clean().and(contains("good signature from Alice Work")));
    // Both keys sign when both are named.
    let a = alice
        .zpgp_pw()
        .args([
            "--json",
            "sign",
            "--signer",
            "alice@work.example",
            "--signer",
        ])
        .arg(&alice.fpr)
        .write_stdin("two")
        .assert()
        .code(0);
    let signed = a.get_output().stdout.clone();
    let a = alice
        .zpgp()
        .args(["--json", "verify"])
        .write_stdin(signed)
        .assert()
        .code(0)
        .stdout("two");
    let report = json(&a.get_output().stderr);
    let sigs = report["signatures"].as_array().unwrap();
    assert_eq!(sigs.len(), 2);
    assert!(sigs.iter().all(|s| s["status"] == "good"));
}

#[test]
fn sign_without_secret_key() {
    let env = Env::new();
    env.zpgp()
        .arg("sign")
        .write_stdin("x")
        .assert()
        .code(4)
        .stdout(is_empty())
        .stderr(error_has(&["no secret key", "zpgp generate"]));
    // Naming a key whose secret is not held is no better.
    let (alice, bob) = alice_and_bob();
    let _ = alice;
    bob.zpgp_pw()
        .args(["sign", "--signer", "alice"])
        .write_stdin("x")
        .assert()
        .code(4)
        .stdout(is_empty())
        .stderr(error_has(&["no secret key"]));
}

#[test]
fn sign_with_wrong_passphrase_or_existing_output() {
    let alice = User::new("Alice");
    let file = alice.write("doc.txt", "content");
    let wrong = alice.write("wrong.txt", "not it\n");
    alice
        .zpgp()
        .args(["sign", "--passphrase-file"])
        .arg(&wrong)
        .arg(&file)
        .assert()
        .code(67)
        .stdout(is_empty())
        .stderr(error_has(&["Alice", "passphrase"]));
    assert!(!alice.path("doc.txt.pgp").exists());
    alice
        .zpgp()
        .args(["sign", "--detached"])
        .arg(&file)
        .assert()
        .code(67)
        .stdout(is_empty())
        .stderr(error_has(&["--passphrase-file"]));
    assert!(!alice.path("doc.txt.sig").exists());

    for (args, out) in [
        (&[][..], "doc.txt.pgp"),
        (&["--detached"][..], "doc.txt.sig"),
        (&["--clear"][..], "doc.txt.asc"),
    ] {
        let existing = alice.write(out, "precious");
        alice
            .zpgp_pw()
            .arg("sign")
            .args(args)
            .arg(&file)
            .assert()
            .code(59)
            .stdout(is_empty())
            .stderr(error_has(&[out, "exists", "--force"]));
        assert_eq!(std::fs::read(&existing).unwrap(), b"precious");
        alice
            .zpgp_pw()
            .arg("sign")
            .args(args)
            .arg("--force")
            .arg(&file)
            .assert()
            .code(0)
            .stdout(is_empty())
            .stderr(clean());
        assert_ne!(std::fs::read(&existing).unwrap(), b"precious");
    }
    assert!(part_files(alice.env.dir.path()).is_empty());
}
