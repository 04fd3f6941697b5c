//! Issue 20.3: moving in from GnuPG — `zpgp import --from-gnupg` reads a
//! (temporary) GNUPGHOME through gpg itself, with its ownertrust.

use predicates::prelude::*;
use predicates::str::{contains, is_empty};
use serde_json::Value;

use crate::harness::{Env, Gpg};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `zpgp import --from-gnupg ARGS…` reading `g`'s home.
fn from_gnupg(env: &Env, g: &Gpg, args: &[&str]) -> assert_cmd::Command {
    let mut c = env.zpgp();
    c.env("GNUPGHOME", g.home())
        .args(["import", "--from-gnupg"])
        .args(args);
    c
}

#[test]
fn import_from_gnupg_with_ownertrust() {
    let Some(g) = Gpg::new() else { return };
    let env = Env::new();
    // Mine (ultimate, as gpg makes it), a friend's (full), an
    // acquaintance's (marginal), a stranger's (unknown): no passphrases,
    // so gpg exports the secret key without asking.
    let mine = g.generate("Me Myself <me@example.org>", "future-default", "");
    let friend = g.generate("Friend <friend@example.org>", "future-default", "");
    let marginal = g.generate("Acquaintance <acq@example.org>", "future-default", "");
    let stranger = g.generate("Stranger <stranger@example.org>", "future-default", "");
    // Only `mine` keeps its secret in gpg: the others are contacts.
    for f in [&friend, &marginal, &stranger] {
        let mut c = g.cmd();
        c.args(["--yes", "--delete-secret-keys", f]);
        g.ok(c);
    }
    let trust = format!("{friend}:5:\n{marginal}:4:\n{stranger}:2:\n");
    let file = env.write("trust.txt", &trust);
    let mut c = g.cmd();
    c.arg("--import-ownertrust").arg(&file);
    g.ok(c);

    // A dry run changes nothing, and no home is made.
    from_gnupg(&env, &g, &["--secret", "--dry-run"])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(
            contains("dry run: 4 new, 0 updated, 0 unchanged, 1 secret keys; nothing was changed")
                .and(contains(format!("would import new       {mine}")))
                .and(contains("(secret key)")),
        );
    assert!(!env.home().exists(), "a dry run made the home");

    let out = from_gnupg(&env, &g, &["--secret"])
        .env_remove("X")
        .assert()
        .code(0);
    let err = text(&out.get_output().stderr);
    assert!(err.contains("4 certificates processed: 4 new"), "{err}");
    assert!(err.contains("1 secret key"), "{err}");
    assert!(
        err.contains("GnuPG's ultimate trust: 1 key; 1 of them are now your own keys"),
        "{err}"
    );
    assert!(
        err.contains("GnuPG's full (1) and marginal (1) ownertrust are not carried over"),
        "{err}"
    );

    let out = env
        .zpgp()
        .args(["--json", "list", "--secret"])
        .assert()
        .code(0);
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let keys = v["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{v:#}");
    assert_eq!(keys[0]["fingerprint"], mine.as_str());
    // The secret key from GnuPG signs here.
    let doc = env.write("d.txt", "moved in\n");
    env.zpgp()
        .arg("sign")
        .arg("--detached")
        .arg(&doc)
        .assert()
        .code(0);

    // Again: everything unchanged.
    from_gnupg(&env, &g, &[]).assert().code(0).stderr(contains(
        "4 certificates processed: 0 new, 0 updated, 4 unchanged",
    ));
}

#[test]
fn import_from_gnupg_without_gpg_or_keys() {
    let Some(g) = Gpg::new() else { return };
    let env = Env::new();
    from_gnupg(&env, &g, &[])
        .assert()
        .code(0)
        .stderr(contains("GnuPG's keyring holds no keys; nothing to import"));
    // gpg missing from PATH: a clear error.
    env.zpgp()
        .env("PATH", "/nonexistent")
        .args(["import", "--from-gnupg"])
        .assert()
        .code(61)
        .stdout(is_empty())
        .stderr(contains("GnuPG (gpg) is not installed"));
    // Files and --from-gnupg do not go together.
    env.zpgp()
        .args(["import", "--from-gnupg", "x.asc"])
        .assert()
        .code(2);
}
