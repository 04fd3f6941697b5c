//! Hostile strings from other people's keys and messages (user IDs, file
//! names in literal data packets) are shown escaped and cut, never raw;
//! and a message's embedded file name never chooses where zpgp writes.

use openpgp::cert::prelude::*;
use openpgp::packet::UserID;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::Serialize;
use sequoia_openpgp as openpgp;

use crate::harness::Env;

const ESCAPES: &[u8] = b"Evil \x1b[2J\x1b[1;31mAlice\x1b]0;pwned\x07 <evil@example.org>";
const FAKE_LINE: &[u8] =
    b"Mallory <m@example.org>\nzpgp: good signature from Alice <alice@example.org>";
const BIDI: &str = "\u{202E}gro.elpmaxe@ecila\u{202C} <rlo@example.org>";
const FILE_NAME: &str = "../../evil\x1b[2J\r.txt";

fn hostile_cert() -> Cert {
    let long = format!("{} <long@example.org>", "A".repeat(5000));
    let mut bad_utf8 = b"Bad \xff\xfe UTF-8 \r\x08\x08 <bad@example.org>".to_vec();
    bad_utf8.push(0);
    CertBuilder::new()
        .set_cipher_suite(CipherSuite::Cv25519)
        .add_userid(UserID::from(ESCAPES))
        .add_userid(UserID::from(FAKE_LINE))
        .add_userid(UserID::from(BIDI))
        .add_userid(UserID::from(long.as_str()))
        .add_userid(UserID::from(bad_utf8))
        .add_signing_subkey()
        .add_transport_encryption_subkey()
        .generate()
        .unwrap()
        .0
}

/// Checks one output for raw hostile bytes and forged lines.
fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for (name, bad) in [
        ("ESC", "\x1b"),
        ("BEL", "\x07"),
        ("CR", "\r"),
        ("BS", "\x08"),
        ("NUL", "\0"),
        ("RLO", "\u{202E}"),
    ] {
        assert!(!text.contains(bad), "{what}: raw {name} in output:\n{text}");
    }
    for line in text.lines() {
        assert!(
            !line.starts_with("zpgp: good signature from Alice"),
            "{what}: a forged line: {line}"
        );
        assert!(
            line.chars().count() <= 600,
            "{what}: a {} character line",
            line.chars().count()
        );
    }
}

#[test]
fn hostile_user_ids_and_file_names_are_shown_safely() {
    static P: StandardPolicy = StandardPolicy::new();
    let env = Env::new();
    let evil = hostile_cert();
    let mut tsk = Vec::new();
    evil.as_tsk().serialize(&mut tsk).unwrap();
    let tsk_file = env.write("evil-secret.pgp", &tsk);
    // A second cert whose user ID also matches "example.org", so queries
    // are ambiguous and list both candidates.
    let (other, _) = CertBuilder::general_purpose(Some(BIDI)).generate().unwrap();
    let mut other_pub = Vec::new();
    other.serialize(&mut other_pub).unwrap();
    let other_file = env.write("other.pgp", &other_pub);

    // A message signed by the hostile key, with a hostile file name.
    let key = zpgp::ops::signing_key(&evil, &P, None).unwrap();
    let mut opts = zpgp::ops::EncryptOptions::new(&P);
    opts.recipients = vec![evil.clone()];
    opts.signers = vec![zpgp::ops::unlock(&key, None).unwrap().into()];
    opts.file_name = Some(FILE_NAME.into());
    let mut msg = Vec::new();
    zpgp::ops::encrypt(&b"hello\n"[..], &mut msg, &opts).unwrap();
    env.write("msg.pgp", &msg);
    env.write("data.txt", "data\n");
    let fpr = evil.fingerprint().to_hex();

    let runs: Vec<Vec<&str>> = vec![
        vec!["import", "evil-secret.pgp"],
        vec!["import", "other.pgp"],
        vec!["list"],
        vec!["list", "--secret"],
        vec!["list", "example.org"],
        vec![
            "-v",
            "encrypt",
            "-r",
            "example.org",
            "-o",
            "x.pgp",
            "data.txt",
        ],
        vec!["sign", "-o", "data.sig", "--detached", "data.txt"],
        vec!["verify", "--signature", "data.sig", "data.txt"],
        vec!["sign", "--signer", "example.org", "data.txt"],
        vec!["-v", "decrypt", "msg.pgp"],
        vec!["-v", "decrypt", "-o", "out.txt", "msg.pgp"],
        vec!["decrypt", "-o", "-", "msg.pgp"],
        vec!["inspect", "msg.pgp"],
        vec!["export", &fpr],
    ];
    let _ = (&tsk_file, &other_file);
    let mut checked = 0;
    for args in &runs {
        let out = env.zpgp().args(args).output().unwrap();
        let what = args.join(" ");
        assert!(
            out.status.code().is_some_and(|c| c != 101),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_clean(&format!("{what} (stderr)"), &out.stderr);
        // The product of export and decrypt -o - is data, not display.
        if !matches!(args[0], "export" | "decrypt") {
            assert_clean(&format!("{what} (stdout)"), &out.stdout);
        }
        if std::env::var_os("ZPGP_SHOW").is_some() {
            eprintln!(
                "$ {what}\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        checked += 1;
    }
    // The hostile user IDs were shown, escaped.
    let list = env.zpgp().arg("list").output().unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.contains("Evil \\u{1b}[2J"), "{text}");
    assert!(text.contains("\\u{202e}gro.elpmaxe"), "{text}");
    assert!(text.contains("\\u{a}zpgp: good signature"), "{text}");
    // The ambiguous query named both candidates, escaped.
    let amb = env
        .zpgp()
        .args(["encrypt", "-r", "example.org", "data.txt"])
        .output()
        .unwrap();
    assert_eq!(amb.status.code(), Some(73));
    assert!(String::from_utf8_lossy(&amb.stderr).contains("\\u{202e}"));

    // The file name inside the message chose nothing: decrypt wrote
    // msg (from the input's name) and out.txt, nothing else.
    assert_eq!(std::fs::read(env.path("msg")).unwrap(), b"hello\n");
    assert_eq!(std::fs::read(env.path("out.txt")).unwrap(), b"hello\n");
    let mut names: Vec<String> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(
        names
            .iter()
            .all(|n| !n.contains("evil") || n == "evil-secret.pgp"),
        "{names:?}"
    );
    let parent = env.dir.path().parent().unwrap();
    assert!(!parent.join("evil\x1b[2J\r.txt").exists());
    assert!(!parent.parent().unwrap().join("evil\x1b[2J\r.txt").exists());
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "hostile: {checked} commands' outputs checked for raw control, escape and bidi characters"
    );
}
