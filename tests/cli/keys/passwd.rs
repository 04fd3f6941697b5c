//! `zpgp passwd`: changing, checking and removing passphrases.

use super::*;

#[test]
fn passwd_changes_the_passphrase() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "pw@example.org"]);
    let old = env.passphrase_file();
    let new = env.write("new.txt", "a brand new passphrase\n");
    env.zpgp()
        .args(["passwd", "pw@example.org", "--passphrase-file"])
        .arg(&old)
        .arg("--new-passphrase-file")
        .arg(&new)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&[&format!("zpgp: the passphrase of {fpr} is changed")]));
    let s = secret_file(&env, &fpr);
    assert!(unlocks(&s, "a brand new passphrase"));
    assert!(!unlocks(&s, PASSPHRASE));

    // The old passphrase no longer works…
    let before = std::fs::read(&s).unwrap();
    env.zpgp()
        .args(["passwd", &fpr, "--passphrase-file"])
        .arg(&old)
        .arg("--new-passphrase-file")
        .arg(&old)
        .assert()
        .code(67)
        .stdout(is_empty())
        .stderr(has(&[&format!(
            "wrong passphrase for the secret key {fpr}"
        )]));
    assert_eq!(std::fs::read(&s).unwrap(), before);
    // …and the new one does.
    env.zpgp()
        .args(["passwd", &fpr, "--passphrase-file"])
        .arg(&new)
        .arg("--new-passphrase-file")
        .arg(&old)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&["is changed"]));
    assert!(unlocks(&s, PASSPHRASE));
    assert_eq!(
        std::fs::metadata(&s).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn passwd_wrong_old_passphrase_changes_nothing() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "wrong@example.org"]);
    let bad = env.write("bad.txt", "not the passphrase\n");
    let new = env.write("new.txt", "new\n");
    let before = snapshot(&env.home());
    env.zpgp()
        .args(["passwd", &fpr, "--passphrase-file"])
        .arg(&bad)
        .arg("--new-passphrase-file")
        .arg(&new)
        .assert()
        .code(67)
        .stdout(is_empty())
        .stderr(
            has(&["wrong passphrase", "hint: "])
                .and(contains("not the passphrase").not())
                .and(contains(PASSPHRASE).not()),
        );
    // Also with --no-passphrase: the old one is still checked.
    env.zpgp()
        .args(["passwd", &fpr, "--no-passphrase", "--passphrase-file"])
        .arg(&bad)
        .assert()
        .code(67)
        .stdout(is_empty())
        .stderr(has(&["wrong passphrase"]));
    assert_eq!(snapshot(&env.home()), before);
    assert!(unlocks(&secret_file(&env, &fpr), PASSPHRASE));
}

#[test]
fn passwd_in_batch_without_passphrase_source() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "batch@example.org"]);
    let before = snapshot(&env.home());
    env.zpgp()
        .args(["passwd", &fpr])
        .assert()
        .code(67)
        .stdout(is_empty())
        .stderr(has(&["--batch forbids asking", "--passphrase-file"]));
    // The old one known, the new one not: still refused, nothing changed.
    env.zpgp()
        .args(["passwd", &fpr, "--passphrase-file"])
        .arg(env.passphrase_file())
        .assert()
        .code(67)
        .stdout(is_empty())
        .stderr(has(&["New passphrase", "--batch forbids asking"]));
    assert_eq!(snapshot(&env.home()), before);
}

#[test]
fn passwd_no_passphrase_removes_it() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "strip@example.org"]);
    env.zpgp()
        .args(["passwd", &fpr, "--no-passphrase", "--passphrase-file"])
        .arg(env.passphrase_file())
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&[&format!(
            "zpgp: the secret key {fpr} is now stored WITHOUT a passphrase"
        )]));
    let s = secret_file(&env, &fpr);
    assert!(unprotected(&s));
    // No old passphrase is needed now: no --passphrase-file, in --batch.
    let new = env.write("new.txt", "protected again\n");
    env.zpgp()
        .args(["passwd", &fpr, "--new-passphrase-file"])
        .arg(&new)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&["is changed"]));
    assert!(unlocks(&s, "protected again"));
}

#[test]
fn passwd_empty_new_passphrase_is_refused() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "empty@example.org"]);
    let empty = env.write("empty.txt", "\n");
    let before = snapshot(&env.home());
    env.zpgp()
        .args(["passwd", &fpr, "--passphrase-file"])
        .arg(env.passphrase_file())
        .arg("--new-passphrase-file")
        .arg(&empty)
        .assert()
        .code(19)
        .stdout(is_empty())
        .stderr(has(&["the new passphrase is empty", "--no-passphrase"]));
    assert_eq!(snapshot(&env.home()), before);
}

#[test]
fn passwd_without_secret_key() {
    let env = Env::new();
    let cert = make_cert("<nosecret@example.org>");
    env.zpgp()
        .arg("import")
        .write_stdin(armored(&cert))
        .assert()
        .code(0);
    env.zpgp()
        .args(["passwd", "nosecret@example.org", "--passphrase-file"])
        .arg(env.passphrase_file())
        .assert()
        .code(4)
        .stdout(is_empty())
        .stderr(has(&[
            &format!("no secret key is held for {:X}", cert.fingerprint()),
            "zpgp list --secret",
        ]));
    env.zpgp()
        .args(["passwd", "nobody@example.org"])
        .assert()
        .code(4)
        .stdout(is_empty())
        .stderr(has(&["no key in the keyring matches <nobody@example.org>"]));
}
