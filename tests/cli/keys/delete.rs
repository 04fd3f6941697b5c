//! `zpgp delete`: certificates, secret keys, and the confirmations that
//! guard them.

use super::*;

#[test]
fn delete_public_cert() {
    let env = Env::new();
    let mine = env.generate(&["--email", "mine@example.org"]);
    let cert = make_cert("Gone <gone@example.org>");
    let fpr = format!("{:X}", cert.fingerprint());
    env.zpgp()
        .arg("import")
        .write_stdin(armored(&cert))
        .assert()
        .code(0);
    env.zpgp()
        .args(["delete", "gone@example.org"])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&[&format!(
            "zpgp: deleted {fpr} Gone <gone@example.org>"
        )]));
    assert_eq!(listed(&env), [mine]);
    env.zpgp()
        .args(["list", "gone@example.org"])
        .assert()
        .code(4)
        .stdout(is_empty())
        .stderr(has(&["no key in the keyring matches <gone@example.org>"]));
    // Gone for good: deleting again finds nothing.
    env.zpgp()
        .args(["delete", &fpr])
        .assert()
        .code(4)
        .stdout(is_empty())
        .stderr(has(&[&format!(
            "no key in the keyring matches fingerprint {fpr}"
        )]));
}

#[test]
fn delete_with_secret_held_needs_secret_flag() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "held@example.org"]);
    let before = snapshot(&env.home());
    env.zpgp()
        .args(["delete", "held@example.org"])
        .assert()
        .code(83)
        .stdout(is_empty())
        .stderr(has(&[
            &format!("the secret key of {fpr} is held"),
            &format!("hint: to delete both, run: zpgp delete --secret {fpr}"),
        ]));
    assert_eq!(snapshot(&env.home()), before);
}

#[test]
fn delete_secret_in_batch_needs_yes() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "keepme@example.org"]);
    let before = snapshot(&env.home());
    env.zpgp()
        .args(["delete", "--secret", &fpr])
        .assert()
        .code(19)
        .stdout(is_empty())
        .stderr(has(&["needs confirmation", "--batch", "hint: add --yes"]));
    assert_eq!(snapshot(&env.home()), before);
    assert!(secret_file(&env, &fpr).exists());
}

#[test]
fn delete_secret_with_yes_deletes_both() {
    let env = Env::new();
    let fpr = env.generate(&["--name", "Bye", "--email", "bye@example.org"]);
    let other = env.generate(&["--email", "stay@example.org"]);
    env.zpgp()
        .args(["delete", "--secret", "--yes", "bye@example.org"])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&[&format!(
            "zpgp: deleted the secret key and certificate {fpr} Bye <bye@example.org>"
        )]));
    assert!(!secret_file(&env, &fpr).exists());
    assert!(secret_file(&env, &other).exists());
    assert_eq!(listed(&env), std::slice::from_ref(&other));
    env.zpgp()
        .args(["list", "--secret"])
        .assert()
        .code(0)
        .stdout(contains(&other).and(contains(&fpr).not()))
        .stderr(is_empty());
}

#[test]
fn delete_secret_flag_on_public_cert() {
    // --secret with no secret held deletes the certificate, no questions.
    let env = Env::new();
    let cert = make_cert("<pubonly@example.org>");
    env.zpgp()
        .arg("import")
        .write_stdin(armored(&cert))
        .assert()
        .code(0);
    env.zpgp()
        .args(["delete", "--secret", "pubonly@example.org"])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&[&format!("zpgp: deleted {:X}", cert.fingerprint())]));
    assert!(listed(&env).is_empty());
}

#[test]
fn delete_unknown_or_ambiguous() {
    let env = Env::new();
    let a = env.generate(&["--email", "a@example.org"]);
    let b = env.generate(&["--email", "b@example.org"]);
    let before = snapshot(&env.home());
    env.zpgp()
        .args(["delete", "--secret", "--yes", "nobody@example.org"])
        .assert()
        .code(4)
        .stdout(is_empty())
        .stderr(has(&[
            "no key in the keyring matches <nobody@example.org>",
            "zpgp import",
        ]));
    env.zpgp()
        .args(["delete", "--secret", "--yes", "example.org"])
        .assert()
        .code(73)
        .stdout(is_empty())
        .stderr(has(&["matches 2 keys", &a, &b]));
    assert_eq!(snapshot(&env.home()), before);
}
