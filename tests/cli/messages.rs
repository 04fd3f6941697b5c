//! Issue 3: encrypt, decrypt, sign and verify between people who each have
//! their own home and exchange certificates with `export` and `import`.
//! The error paths of encrypt and decrypt (bad recipients, tampering,
//! wrong passphrases, pipes, large inputs) are in `messages_errors`; sign
//! and verify in `messages_sign`.

use predicates::prelude::*;
use predicates::str::{contains, is_empty, starts_with};

use crate::harness::*;

// encrypt ---------------------------------------------------------------------

#[test]
fn encrypt_file_for_one_recipient() {
    let (alice, bob) = alice_and_bob();
    let msg = alice.write("msg.txt", "meet me at noon\n");
    alice
        .zpgp()
        .args(["encrypt", "-r", "bob@example.org"])
        .arg(&msg)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(
            clean()
                .and(contains("encrypted to 2 recipients"))
                .and(contains("msg.txt.pgp")),
        );
    let ct = std::fs::read(alice.path("msg.txt.pgp")).unwrap();
    assert_eq!(seipd_version(&ct), 1);
    assert_eq!(
        std::fs::read(&msg).unwrap(),
        b"meet me at noon\n",
        "input untouched"
    );

    let copy = bob.write("msg.txt.pgp", &ct);
    bob.zpgp_pw()
        .arg("decrypt")
        .arg(&copy)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(clean().and(contains("decrypted to")));
    assert_eq!(
        std::fs::read_to_string(bob.path("msg.txt")).unwrap(),
        "meet me at noon\n"
    );
    assert!(part_files(bob.env.dir.path()).is_empty());
}

#[test]
fn encrypt_for_several_recipients_each_decrypts_at_home() {
    let alice = User::new("Alice");
    let bob = User::new("Bob");
    let carol = User::new("Carol");
    alice.knows(&[&bob, &carol]);
    let a = alice
        .zpgp()
        .args(["--json", "encrypt", "-r", "bob", "-r", "carol"])
        .write_stdin("for both of you")
        .assert()
        .code(0);
    // --json: the report goes to stderr, the ciphertext to stdout.
    let out = a.get_output();
    let report = json(&out.stderr);
    let mut got: Vec<&str> = report["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cert_fingerprint"].as_str().unwrap())
        .collect();
    got.sort();
    let mut want = vec![alice.fpr.as_str(), bob.fpr.as_str(), carol.fpr.as_str()];
    want.sort();
    assert_eq!(got, want);
    let ct = out.stdout.clone();
    for who in [&bob, &carol] {
        let file = who.write("m.pgp", &ct);
        who.zpgp_pw()
            .args(["decrypt", "-o", "-"])
            .arg(&file)
            .assert()
            .code(0)
            .stdout("for both of you")
            .stderr(clean());
    }
}

#[test]
fn encrypt_to_self_by_default_and_not_with_no_self() {
    let (alice, bob) = alice_and_bob();
    let ct = alice.encrypt(&["-r", "bob"], b"a copy for me");
    alice
        .zpgp_pw()
        .arg("decrypt")
        .write_stdin(ct)
        .assert()
        .code(0)
        .stdout("a copy for me")
        .stderr(clean());

    let ct = alice.encrypt(&["-r", "bob", "--no-self"], b"only for bob");
    let file = alice.write("only.pgp", &ct);
    alice
        .zpgp_pw()
        .arg("decrypt")
        .arg(&file)
        .assert()
        .code(29)
        .stdout(is_empty())
        .stderr(error_has(&["you have none of their secret keys"]));
    assert!(!alice.path("only").exists());
    bob.zpgp_pw()
        .arg("decrypt")
        .write_stdin(ct)
        .assert()
        .code(0)
        .stdout("only for bob");
}

#[test]
fn encrypt_with_password_only() {
    // No keys at all: a password is enough on both sides.
    let sender = Env::new();
    let pw = sender.write("pw.txt", "open sesame\n");
    let a = sender
        .zpgp()
        .args(["--json", "encrypt", "--password", "--passphrase-file"])
        .arg(&pw)
        .write_stdin("by password")
        .assert()
        .code(0);
    let report = json(&a.get_output().stderr);
    assert_eq!(report["passwords"], 1);
    assert_eq!(report["recipients"].as_array().unwrap().len(), 0);
    assert_eq!(report["format"], "seipd_v1");
    let ct = a.get_output().stdout.clone();

    let reader = Env::new();
    let pw = reader.write("pw.txt", "open sesame\n");
    reader
        .zpgp()
        .args(["decrypt", "--password-file"])
        .arg(&pw)
        .write_stdin(ct.clone())
        .assert()
        .code(0)
        .stdout("by password")
        .stderr(clean());

    // The wrong password opens nothing.
    let bad = reader.write("bad.txt", "open barley\n");
    reader
        .zpgp()
        .args(["decrypt", "-o", "out.txt", "--password-file"])
        .arg(&bad)
        .write_stdin(ct.clone())
        .assert()
        .code(29)
        .stdout(is_empty())
        .stderr(error_has(&["password"]));
    assert!(!reader.path("out.txt").exists());

    // And --batch without any password cannot prompt for it.
    reader
        .zpgp()
        .arg("decrypt")
        .write_stdin(ct)
        .assert()
        .code(29)
        .stdout(is_empty())
        .stderr(error_has(&["--batch forbids asking", "--password-file"]));
}

#[test]
fn encrypt_with_password_and_key_either_opens_it() {
    let (alice, bob) = alice_and_bob();
    let msg_pw = alice.write("msgpw.txt", "open sesame\n");
    let a = alice
        .zpgp()
        .args(["--json", "encrypt", "-r", "bob", "--no-self", "--password"])
        .arg("--passphrase-file")
        .arg(&msg_pw)
        .write_stdin("either way")
        .assert()
        .code(0);
    let report = json(&a.get_output().stderr);
    assert_eq!(report["passwords"], 1);
    let ct = a.get_output().stdout.clone();

    // Bob with his key.
    let a = bob
        .zpgp_pw()
        .args(["--json", "decrypt"])
        .write_stdin(ct.clone())
        .assert()
        .code(0)
        .stdout("either way");
    let report = json(&a.get_output().stderr);
    assert_eq!(report["decrypted_with"]["method"], "key");
    assert_eq!(report["password_packets"], 1);

    // Someone else with the password.
    let other = Env::new();
    let pw = other.write("pw.txt", "open sesame\n");
    let a = other
        .zpgp()
        .args(["--json", "decrypt", "--password-file"])
        .arg(&pw)
        .write_stdin(ct)
        .assert()
        .code(0)
        .stdout("either way");
    assert_eq!(
        json(&a.get_output().stderr)["decrypted_with"]["method"],
        "password"
    );
}

#[test]
fn encrypt_and_sign_reports_the_signer_on_decrypt() {
    let (alice, bob) = alice_and_bob();
    let ct = alice.encrypt(&["--sign", "-r", "bob"], b"signed and sealed");
    bob.zpgp_pw()
        .arg("decrypt")
        .write_stdin(ct.clone())
        .assert()
        .code(0)
        .stdout("signed and sealed")
        .stderr(clean().and(contains(format!(
            "good signature from {} ({})",
            alice.uid(),
            alice.fpr
        ))));
    // -q keeps the good news quiet.
    bob.zpgp_pw()
        .args(["-q", "decrypt"])
        .write_stdin(ct)
        .assert()
        .code(0)
        .stdout("signed and sealed")
        .stderr(is_empty());
}

#[test]
fn encrypt_signer_chooses_among_several_secret_keys() {
    let (alice, bob) = alice_and_bob();
    let work = alice
        .env
        .generate(&["--name", "Alice Work", "--email", "alice@work.example"]);

    // Two secret keys and no --signer: which one?
    alice
        .zpgp_pw()
        .args(["encrypt", "--sign", "-r", "bob", "-o", "x.pgp"])
        .write_stdin("x")
        .assert()
        .code(73)
        .stdout(is_empty())
        .stderr(error_has(&[&alice.fpr, &work, "--signer"]));
    assert!(!alice.path("x.pgp").exists());

    // --signer implies --sign.
    let ct = alice.encrypt(
        &["--signer", "alice@work.example", "-r", "bob"],
        b"from work",
    );
    let export = alice.path("work.asc");
    alice
        .zpgp()
        .args(["export", "alice@work.example", "-o"])
        .arg(&export)
        .assert()
        .success();
    bob.import(&export);
    bob.zpgp_pw()
        .arg("decrypt")
        .write_stdin(ct)
        .assert()
        .code(0)
        .stdout("from work")
        .stderr(
            clean()
                .and(contains(
                    "good signature from Alice Work <alice@work.example>",
                ))
                .and(contains(work.as_str())),
        );
}

#[test]
fn encrypt_armor_and_default_names() {
    let (alice, bob) = alice_and_bob();
    let msg = alice.write("notes.txt", "armored\n");
    alice
        .zpgp()
        .args(["encrypt", "--armor", "-r", "bob"])
        .arg(&msg)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(clean().and(contains("notes.txt.asc")));
    assert!(!alice.path("notes.txt.pgp").exists());
    let asc = std::fs::read_to_string(alice.path("notes.txt.asc")).unwrap();
    assert!(asc.starts_with("-----BEGIN PGP MESSAGE-----"), "{asc}");
    assert!(asc.trim_end().ends_with("-----END PGP MESSAGE-----"));

    // Armor to stdout too.
    alice
        .zpgp()
        .args(["encrypt", "-a", "-r", "bob"])
        .write_stdin("x")
        .assert()
        .code(0)
        .stdout(starts_with("-----BEGIN PGP MESSAGE-----"))
        .stderr(is_empty());

    // -o names the file; nothing else appears.
    alice
        .zpgp()
        .args(["encrypt", "-r", "bob", "-o", "chosen.bin"])
        .arg(&msg)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(clean().and(contains("chosen.bin")));
    assert!(!alice.path("notes.txt.pgp").exists());

    let copy = bob.write("notes.txt.asc", asc);
    bob.zpgp_pw()
        .arg("decrypt")
        .arg(&copy)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(clean());
    assert_eq!(
        std::fs::read_to_string(bob.path("notes.txt")).unwrap(),
        "armored\n"
    );
    let chosen = bob.write(
        "chosen.bin",
        std::fs::read(alice.path("chosen.bin")).unwrap(),
    );
    bob.zpgp_pw()
        .args(["decrypt", "-o", "-"])
        .arg(&chosen)
        .assert()
        .code(0)
        .stdout("armored\n");
}

#[test]
fn encrypt_refuses_existing_output_without_force() {
    let (alice, bob) = alice_and_bob();
    let msg = alice.write("msg.txt", "new content");
    let existing = alice.write("msg.txt.pgp", "precious");
    alice
        .zpgp()
        .args(["encrypt", "-r", "bob"])
        .arg(&msg)
        .assert()
        .code(59)
        .stdout(is_empty())
        .stderr(error_has(&["msg.txt.pgp", "exists", "--force"]));
    assert_eq!(std::fs::read(&existing).unwrap(), b"precious");

    let other = alice.write("other.pgp", "also precious");
    alice
        .zpgp()
        .args(["encrypt", "-r", "bob", "-o"])
        .arg(&other)
        .arg(&msg)
        .assert()
        .code(59)
        .stdout(is_empty())
        .stderr(error_has(&["other.pgp", "exists"]));
    assert_eq!(std::fs::read(&other).unwrap(), b"also precious");

    alice
        .zpgp()
        .args(["encrypt", "--force", "-r", "bob"])
        .arg(&msg)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(clean());
    let ct = std::fs::read(&existing).unwrap();
    assert_ne!(ct, b"precious");
    bob.zpgp_pw()
        .arg("decrypt")
        .write_stdin(ct)
        .assert()
        .code(0)
        .stdout("new content");
    assert!(part_files(alice.env.dir.path()).is_empty());
}

#[test]
fn encrypt_and_decrypt_through_pipes() {
    let (alice, bob) = alice_and_bob();
    let a = alice
        .zpgp()
        .args(["encrypt", "-r", "bob"])
        .write_stdin("piped\n")
        .assert()
        .code(0)
        .stderr(is_empty());
    let ct = a.get_output().stdout.clone();
    assert!(!ct.is_empty());
    assert_eq!(seipd_version(&ct), 1);
    // "-" means standard input and output as well.
    bob.zpgp_pw()
        .args(["decrypt", "-o", "-", "-"])
        .write_stdin(ct)
        .assert()
        .code(0)
        .stdout("piped\n")
        .stderr(is_empty());
}

#[test]
fn message_format_follows_the_recipients() {
    let alice4 = User::new("Alice");
    let bob6 = User::v6("Bob");
    let carol6 = User::v6("Carol");
    let dave4 = User::new("Dave");
    alice4.knows(&[&bob6, &dave4]);
    carol6.knows(&[&bob6, &dave4]);
    bob6.knows(&[&carol6]);

    let format = |who: &User, args: &[&str]| -> (String, Vec<u8>) {
        let a = who
            .zpgp()
            .arg("--json")
            .arg("encrypt")
            .args(args)
            .write_stdin("format")
            .assert()
            .code(0);
        let out = a.get_output();
        (
            json(&out.stderr)["format"].as_str().unwrap().to_string(),
            out.stdout.clone(),
        )
    };

    // v6 to v6 (and v6 self): SEIPDv2.
    let (f, ct) = format(&carol6, &["-r", "bob"]);
    assert_eq!((f.as_str(), seipd_version(&ct)), ("seipd_v2", 2));
    // v4 sender, v6 recipient only: SEIPDv2.
    let (f, ct) = format(&alice4, &["-r", "bob", "--no-self"]);
    assert_eq!((f.as_str(), seipd_version(&ct)), ("seipd_v2", 2));
    // v4 recipient: SEIPDv1.
    let (f, ct) = format(&carol6, &["-r", "dave", "--no-self"]);
    assert_eq!((f.as_str(), seipd_version(&ct)), ("seipd_v1", 1));
    // Mixed v4 + v6: SEIPDv1, through encrypt-to-self or explicitly.
    let (f, ct) = format(&alice4, &["-r", "bob"]);
    assert_eq!((f.as_str(), seipd_version(&ct)), ("seipd_v1", 1));
    let (f, ct) = format(&carol6, &["-r", "bob", "-r", "dave"]);
    assert_eq!((f.as_str(), seipd_version(&ct)), ("seipd_v1", 1));
    bob6.zpgp_pw()
        .arg("decrypt")
        .write_stdin(ct.clone())
        .assert()
        .code(0)
        .stdout("format");
    dave4
        .zpgp_pw()
        .arg("decrypt")
        .write_stdin(ct)
        .assert()
        .code(0)
        .stdout("format");

    // An unsigned v6 message, and a signer required: no output, exit 3.
    let (_, ct) = format(&carol6, &["-r", "bob"]);
    bob6.zpgp_pw()
        .args(["decrypt", "--signer", "carol", "-o", "out.txt"])
        .write_stdin(ct)
        .assert()
        .code(3)
        .stdout(is_empty())
        .stderr(error_has(&["no valid signature", &carol6.fpr]));
    assert!(!bob6.path("out.txt").exists());
}

// decrypt ---------------------------------------------------------------------

#[test]
fn decrypt_default_output_names_strip_the_extension() {
    let (alice, bob) = alice_and_bob();
    let ct = alice.encrypt(&["-r", "bob"], b"named");
    let armored = alice.encrypt(&["-r", "bob", "--armor"], b"named");
    for (file, data, want) in [
        ("report.pdf.pgp", &ct, "report.pdf"),
        ("notes.gpg", &ct, "notes"),
        ("hi.asc", &armored, "hi"),
        ("HI.txt.asc", &armored, "HI.txt"),
    ] {
        let p = bob.write(file, data);
        bob.zpgp_pw()
            .arg("decrypt")
            .arg(&p)
            .assert()
            .code(0)
            .stdout(is_empty())
            .stderr(clean().and(contains(want)));
        assert_eq!(std::fs::read(bob.path(want)).unwrap(), b"named", "{file}");
        assert!(p.exists(), "the input stays");
    }
    // An input name without a known extension: standard output.
    let p = bob.write("message.bin", &ct);
    bob.zpgp_pw()
        .arg("decrypt")
        .arg(&p)
        .assert()
        .code(0)
        .stdout("named")
        .stderr(clean());
    // -o wins over the default name, and an existing default is refused.
    let p = bob.write("report.pdf.pgp", &ct);
    bob.zpgp_pw()
        .arg("decrypt")
        .arg(&p)
        .assert()
        .code(59)
        .stdout(is_empty())
        .stderr(error_has(&["report.pdf", "exists", "--force"]));
    bob.zpgp_pw()
        .args(["decrypt", "-o", "elsewhere.txt"])
        .arg(&p)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(clean().and(contains("elsewhere.txt")));
    assert_eq!(std::fs::read(bob.path("elsewhere.txt")).unwrap(), b"named");
    std::fs::write(bob.path("report.pdf"), "old").unwrap();
    bob.zpgp_pw()
        .args(["decrypt", "--force"])
        .arg(&p)
        .assert()
        .code(0);
    assert_eq!(std::fs::read(bob.path("report.pdf")).unwrap(), b"named");
    assert!(part_files(bob.env.dir.path()).is_empty());
}
