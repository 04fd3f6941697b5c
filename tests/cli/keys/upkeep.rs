//! Issue 11: the upkeep of a key — expire, revoke, userid add|revoke,
//! subkey add|rotate — each checked by exit code, stdout, stderr and the
//! key on file afterwards (`list --json`).

use super::*;

/// `zpgp --passphrase-file PW ARGS…`.
fn upkeep(env: &Env, args: &[&str]) -> assert_cmd::Command {
    let mut c = env.zpgp();
    c.arg("--passphrase-file")
        .arg(env.passphrase_file())
        .args(args);
    c
}

/// The one key in `list --json` with this fingerprint.
fn key(env: &Env, fpr: &str) -> serde_json::Value {
    let v = list_json(env, &[fpr]);
    v["keys"][0].clone()
}

fn subkeys(k: &serde_json::Value) -> Vec<serde_json::Value> {
    k["subkeys"].as_array().unwrap().clone()
}

fn subkey_with(k: &serde_json::Value, cap: &str) -> Vec<serde_json::Value> {
    subkeys(k)
        .into_iter()
        .filter(|s| {
            s["capabilities"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == cap)
        })
        .collect()
}

fn date(v: &serde_json::Value) -> &str {
    &v.as_str().expect("a time")[..10]
}

/// `YYYY-MM-DD` of now + `days`.
fn days_from_now(days: u64) -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + days * DAY;
    let t = UNIX_EPOCH + Duration::from_secs(secs);
    zpgp::time::date(t)
}

const SHARE: &str = "zpgp: share the change with your contacts: zpgp export";

// expire ---------------------------------------------------------------------

#[test]
fn expire_sets_the_primary_key_and_every_subkey() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "exp@example.org"]);
    upkeep(&env, &["expire", "exp@example.org", "2030-06-30"])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&[
            &format!("the key <exp@example.org> ({fpr}) now expires 2030-06-30"),
            "[S] now expires 2030-06-30",
            "[E] now expires 2030-06-30",
            &format!("{SHARE} {fpr}"),
        ]));
    let k = key(&env, &fpr);
    assert_eq!(date(&k["expires"]), "2030-06-30");
    for s in subkeys(&k) {
        assert_eq!(date(&s["expires"]), "2030-06-30", "{s:#}");
        assert_eq!(s["state"], "valid");
    }

    // A duration counts from now; 'never' removes the expiry.
    upkeep(&env, &["expire", &fpr, "2y"]).assert().code(0);
    assert_eq!(date(&key(&env, &fpr)["expires"]), days_from_now(730));
    upkeep(&env, &["expire", &fpr, "never"])
        .assert()
        .code(0)
        .stderr(has(&["now never expires"]));
    let k = key(&env, &fpr);
    assert!(k["expires"].is_null(), "{k:#}");
    assert!(subkeys(&k).iter().all(|s| s["expires"].is_null()));
}

#[test]
fn expire_one_subkey_leaves_the_others() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "one@example.org", "--expires", "1y"]);
    let before = key(&env, &fpr);
    let enc = subkey_with(&before, "encrypt")[0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    // A key ID names it as well as the fingerprint.
    let keyid = format!("0x{}", &enc[24..]);
    upkeep(&env, &["expire", &fpr, "2031-01-31", "--subkey", &keyid])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(
            has(&[&format!("the subkey {enc} [E] now expires 2031-01-31")])
                .and(contains("the key <one@example.org>").not()),
        );
    let after = key(&env, &fpr);
    assert_eq!(after["expires"], before["expires"]);
    for s in subkeys(&after) {
        if s["fingerprint"] == enc.as_str() {
            assert_eq!(date(&s["expires"]), "2031-01-31");
        } else {
            let old = subkeys(&before)
                .into_iter()
                .find(|o| o["fingerprint"] == s["fingerprint"])
                .unwrap();
            assert_eq!(s["expires"], old["expires"]);
        }
    }
}

#[test]
fn expire_in_the_past_needs_force_and_extending_brings_the_key_back() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "past@example.org"]);
    let before = snapshot(&env.home());
    upkeep(&env, &["expire", &fpr, "2020-01-01"])
        .assert()
        .code(2)
        .stdout(is_empty())
        .stderr(has(&[
            "2020-01-01 is in the past",
            &format!("zpgp expire --force {fpr} 2020-01-01"),
        ]));
    assert_eq!(snapshot(&env.home()), before, "refused: nothing changed");

    upkeep(&env, &["expire", "--force", &fpr, "2020-01-01"])
        .assert()
        .code(0)
        .stderr(has(&["has expired"]));
    let k = key(&env, &fpr);
    assert_eq!(k["state"], "expired", "{k:#}");
    assert!(subkeys(&k).iter().all(|s| s["state"] == "expired"));
    // An expired key cannot be written to…
    env.zpgp()
        .args(["encrypt", "-r", &fpr])
        .write_stdin("hello")
        .assert()
        .code(17)
        .stdout(is_empty())
        .stderr(has(&["expired"]));

    // …until its owner extends it.
    upkeep(&env, &["expire", &fpr, "1y"]).assert().code(0);
    let k = key(&env, &fpr);
    assert_eq!(k["state"], "valid", "{k:#}");
    assert!(subkeys(&k).iter().all(|s| s["state"] == "valid"));
    env.zpgp()
        .args(["encrypt", "-r", &fpr])
        .write_stdin("hello")
        .assert()
        .code(0);
}

#[test]
fn expire_refuses_bad_input_and_changes_nothing() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "bad@example.org"]);
    let before = snapshot(&env.home());
    upkeep(&env, &["expire", &fpr, "soon"])
        .assert()
        .code(2)
        .stdout(is_empty())
        .stderr(has(&[
            "cannot read the expiry \"soon\"",
            "a duration (3y, 18m, 2w, 10d), a date (YYYY-MM-DD) or 'never'",
        ]));
    upkeep(
        &env,
        &["expire", &fpr, "1y", "--subkey", "0x0123456789ABCDEF"],
    )
    .assert()
    .code(4)
    .stdout(is_empty())
    .stderr(has(&[
        &format!("the key {fpr} has no subkey 0x0123456789ABCDEF; its subkeys are:"),
        "[S]",
        "[E]",
    ]));
    let wrong = env.write("wrong.txt", "not it\n");
    env.zpgp()
        .arg("--passphrase-file")
        .arg(&wrong)
        .args(["expire", &fpr, "1y"])
        .assert()
        .code(67)
        .stdout(is_empty())
        .stderr(
            has(&[&format!("wrong passphrase for the secret key {fpr}")])
                .and(contains("not it").not()),
        );
    env.zpgp()
        .args(["expire", "nobody@example.org", "1y"])
        .assert()
        .code(4)
        .stderr(has(&["no key in the keyring matches <nobody@example.org>"]));
    assert_eq!(snapshot(&env.home()), before);
}

#[test]
fn upkeep_needs_the_secret_key() {
    let env = Env::new();
    let theirs = make_cert("Theo <theo@example.org>").strip_secret_key_material();
    let fpr = theirs.fingerprint().to_hex();
    env.zpgp()
        .arg("import")
        .write_stdin(armored(&theirs))
        .assert()
        .code(0);
    for args in [
        vec!["expire", "theo@example.org", "1y"],
        vec!["revoke", "theo@example.org", "--yes"],
        vec!["userid", "add", "theo@example.org", "Theo <t@example.net>"],
        vec!["subkey", "add", "theo@example.org", "--for", "sign"],
    ] {
        upkeep(&env, &args)
            .assert()
            .code(4)
            .stdout(is_empty())
            .stderr(has(&[
                &format!("you do not hold the secret key for Theo <theo@example.org> ({fpr})"),
                "zpgp list --secret",
            ]));
    }
}

// revoke ---------------------------------------------------------------------

#[test]
fn revoke_the_whole_key_with_reason_and_message() {
    let env = Env::new();
    let fpr = env.generate(&["--name", "Rita", "--email", "rita@example.org"]);
    let before = snapshot(&env.home());
    // --batch (every test command has it) and no --yes: no question, no change.
    upkeep(&env, &["revoke", &fpr, "--reason", "superseded"])
        .assert()
        .code(19)
        .stdout(is_empty())
        .stderr(has(&[
            "revoking needs confirmation, and --batch forbids asking",
            "--yes",
        ]));
    assert_eq!(snapshot(&env.home()), before);

    upkeep(
        &env,
        &[
            "revoke",
            &fpr,
            "--reason",
            "superseded",
            "--message",
            "use my new key",
            "--yes",
        ],
    )
    .assert()
    .code(0)
    .stdout(is_empty())
    .stderr(has(&[
        &format!("zpgp: revoked the key Rita <rita@example.org> ({fpr}) (superseded)"),
        &format!("revocations/{fpr}.rev is no longer needed"),
        &format!("{SHARE} {fpr}"),
    ]));
    let k = key(&env, &fpr);
    assert_eq!(k["state"], "revoked");
    assert_eq!(k["revocation"]["reason"], "superseded");
    assert_eq!(k["revocation"]["message"], "use my new key");
    assert_eq!(k["revocation"]["hard"], false);
    env.zpgp()
        .args(["list", &fpr])
        .assert()
        .code(0)
        .stdout(contains("[revoked: superseded: use my new key]"));
    env.zpgp()
        .args(["encrypt", "-r", &fpr])
        .write_stdin("hello")
        .assert()
        .code(17)
        .stdout(is_empty())
        .stderr(has(&["revoked", "superseded"]));

    // Twice: said, exit 0, and nothing written.
    let revoked = snapshot(&env.home());
    upkeep(&env, &["revoke", &fpr, "--yes"])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&[
            "is already revoked (superseded: use my new key); nothing to do",
        ]));
    assert_eq!(snapshot(&env.home()), revoked);
}

#[test]
fn revoke_one_subkey_as_compromised() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "sub@example.org"]);
    let enc = subkey_with(&key(&env, &fpr), "encrypt")[0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    upkeep(
        &env,
        &[
            "revoke",
            &fpr,
            "--subkey",
            &enc,
            "--reason",
            "compromised",
            "--yes",
        ],
    )
    .assert()
    .code(0)
    .stdout(is_empty())
    .stderr(has(&[&format!(
        "zpgp: revoked the subkey {enc} of {fpr} (compromised)"
    )]));
    let k = key(&env, &fpr);
    assert_eq!(k["state"], "valid", "the key itself stays");
    let s = subkey_with(&k, "encrypt")[0].clone();
    assert_eq!(s["state"], "revoked");
    assert_eq!(s["revocation"]["reason"], "compromised");
    assert_eq!(s["revocation"]["hard"], true);
    assert!(s["revocation"]["message"].is_null());
    // No encryption key is left.
    env.zpgp()
        .args(["encrypt", "-r", &fpr])
        .write_stdin("hello")
        .assert()
        .code(17)
        .stdout(is_empty());
    // A new one makes the key usable again.
    upkeep(&env, &["subkey", "add", &fpr, "--for", "encrypt"])
        .assert()
        .code(0);
    env.zpgp()
        .args(["encrypt", "-r", &fpr])
        .write_stdin("hello")
        .assert()
        .code(0);
}

#[test]
fn compromised_revocation_voids_old_signatures_and_superseded_keeps_them() {
    for (reason, good) in [("compromised", false), ("superseded", true)] {
        let env = Env::new();
        let fpr = env.generate(&["--email", "sig@example.org"]);
        let doc = env.write("doc.txt", "signed before the revocation\n");
        upkeep(&env, &["sign", "--detached"])
            .arg(&doc)
            .assert()
            .code(0);
        let sig = env.path("doc.txt.sig");
        env.zpgp()
            .arg("verify")
            .arg(&doc)
            .arg("--signature")
            .arg(&sig)
            .assert()
            .code(0);
        // The revocation must be younger than the signature.
        std::thread::sleep(Duration::from_millis(1100));
        upkeep(&env, &["revoke", &fpr, "--reason", reason, "--yes"])
            .assert()
            .code(0);
        let a = env
            .zpgp()
            .arg("verify")
            .arg(&doc)
            .arg("--signature")
            .arg(&sig)
            .assert();
        if good {
            a.code(0).stderr(has(&["good signature"]));
        } else {
            a.code(3)
                .stderr(has(&["revoked"]).and(contains("good signature").not()));
        }
    }
}

#[test]
fn revoke_a_user_id() {
    let env = Env::new();
    let fpr = env.generate(&[
        "--name",
        "Uma",
        "--email",
        "uma@example.org",
        "--email",
        "uma@old.example",
    ]);
    upkeep(
        &env,
        &[
            "revoke",
            &fpr,
            "--userid",
            "Uma <uma@old.example>",
            "--reason",
            "compromised",
            "--yes",
        ],
    )
    .assert()
    .code(2)
    .stderr(has(&["a user ID is revoked as 'retired' or 'unspecified'"]));
    upkeep(
        &env,
        &["revoke", &fpr, "--userid", "nobody@old.example", "--yes"],
    )
    .assert()
    .code(4)
    .stdout(is_empty())
    .stderr(has(&[
        "has no user ID nobody@old.example; its user IDs are:",
        "Uma <uma@example.org>",
        "Uma <uma@old.example>",
    ]));
    // By its address, with `userid revoke`.
    upkeep(
        &env,
        &[
            "userid",
            "revoke",
            &fpr,
            "uma@old.example",
            "--message",
            "gone",
            "--yes",
        ],
    )
    .assert()
    .code(0)
    .stdout(is_empty())
    .stderr(has(&[&format!(
        "zpgp: revoked the user ID Uma <uma@old.example> of {fpr} (retired)"
    )]));
    let k = key(&env, &fpr);
    let uids = k["userids"].as_array().unwrap();
    let old = uids
        .iter()
        .find(|u| u["email"] == "uma@old.example")
        .unwrap();
    assert_eq!(old["state"], "revoked");
    assert_eq!(old["revocation"]["reason"], "retired");
    assert_eq!(old["revocation"]["message"], "gone");
    let new = uids
        .iter()
        .find(|u| u["email"] == "uma@example.org")
        .unwrap();
    assert_eq!(new["state"], "valid");
    env.zpgp().args(["list", &fpr]).assert().stdout(contains(
        "uid   [revoked ] Uma <uma@old.example> [revoked: retired: gone]",
    ));
    // The revoked address no longer finds the key.
    env.zpgp()
        .args(["encrypt", "-r", "uma@old.example"])
        .write_stdin("hi")
        .assert()
        .code(4);
}

// userid ---------------------------------------------------------------------

#[test]
fn userid_add_in_both_spellings() {
    let env = Env::new();
    let fpr = env.generate(&["--name", "Vera", "--email", "vera@example.org"]);
    upkeep(&env, &["userid", "add", &fpr, "Vera V <vera@example.net>"])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&[
            "zpgp: added the user ID Vera V <vera@example.net> to Vera <vera@example.org>",
            &format!("{SHARE} {fpr}"),
        ]));
    upkeep(
        &env,
        &[
            "userid",
            "add",
            &fpr,
            "--name",
            "Vera",
            "--email",
            "vera@work.example",
        ],
    )
    .assert()
    .code(0);
    let k = key(&env, &fpr);
    let uids: Vec<&str> = k["userids"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["state"] == "valid")
        .map(|u| u["userid"].as_str().unwrap())
        .collect();
    assert!(uids.contains(&"Vera V <vera@example.net>"), "{uids:?}");
    assert!(uids.contains(&"Vera <vera@work.example>"), "{uids:?}");
    // The primary user ID did not change.
    assert_eq!(k["userids"][0]["userid"], "Vera <vera@example.org>");
    // The new address finds the key.
    env.zpgp()
        .args(["list", "vera@work.example"])
        .assert()
        .code(0)
        .stdout(contains(&fpr));

    // Adding it again changes nothing.
    let before = snapshot(&env.home());
    upkeep(&env, &["userid", "add", &fpr, "Vera V <vera@example.net>"])
        .assert()
        .code(0)
        .stderr(has(&[
            "already has the user ID Vera V <vera@example.net>; nothing to do",
        ]));
    assert_eq!(snapshot(&env.home()), before);
    // Bad input: exit 2 before anything is asked.
    upkeep(&env, &["userid", "add", &fpr, "--email", "not an address"])
        .assert()
        .code(2)
        .stderr(has(&["\"not an address\" is not an email address"]));
    upkeep(&env, &["userid", "add", &fpr])
        .assert()
        .code(2)
        .stderr(has(&["USERID"]));
    assert_eq!(snapshot(&env.home()), before);
}

// subkey ---------------------------------------------------------------------

#[test]
fn subkey_add_for_each_use() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "sk@example.org", "--expires", "2y"]);
    let primary_expiry = key(&env, &fpr)["expires"].clone();
    for (usage, cap) in [
        ("encrypt", "encrypt"),
        ("sign", "sign"),
        ("authenticate", "authenticate"),
    ] {
        upkeep(&env, &["subkey", "add", &fpr, "--for", usage])
            .assert()
            .code(0)
            .stdout(is_empty())
            .stderr(
                has(&[
                    "zpgp: added the subkey ",
                    "cv25519",
                    &format!("{SHARE} {fpr}"),
                ])
                .or(has(&["ed25519"])),
            );
        let k = key(&env, &fpr);
        let with = subkey_with(&k, cap);
        let newest = with.last().unwrap();
        assert_eq!(newest["state"], "valid");
        // By default it expires with the primary key.
        assert_eq!(date(&newest["expires"]), date(&primary_expiry));
    }
    upkeep(
        &env,
        &[
            "subkey",
            "add",
            &fpr,
            "--for",
            "encrypt",
            "--cipher-suite",
            "cv448",
            "--expires",
            "2030-02-01",
        ],
    )
    .assert()
    .code(0)
    .stderr(has(&["x448", "expires 2030-02-01"]));
    let k = key(&env, &fpr);
    assert_eq!(subkeys(&k).len(), 2 + 3 + 1);
    // The new secrets are protected by the key's passphrase.
    assert!(unlocks(&secret_file(&env, &fpr), PASSPHRASE));

    // The new signing subkey signs (the key has two; either is fine).
    let doc = env.write("d.txt", "data\n");
    upkeep(&env, &["sign", "--detached"])
        .arg(&doc)
        .assert()
        .code(0);
    env.zpgp()
        .arg("verify")
        .arg(&doc)
        .arg("--signature")
        .arg(env.path("d.txt.sig"))
        .assert()
        .code(0);

    upkeep(
        &env,
        &[
            "subkey",
            "add",
            &fpr,
            "--for",
            "sign",
            "--expires",
            "2001-01-01",
        ],
    )
    .assert()
    .code(2)
    .stderr(has(&["2001-01-01 is in the past"]));
}

#[test]
fn subkey_rotate_gives_old_encryption_subkeys_a_grace_period() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "rot@example.org"]);
    let old = subkey_with(&key(&env, &fpr), "encrypt")[0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    upkeep(&env, &["subkey", "rotate", &fpr, "--for", "encrypt"])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&[
            "zpgp: added the subkey ",
            &format!(
                "the old encryption subkey {old} now expires {} (after the grace period)",
                days_from_now(30)
            ),
            &format!("{SHARE} {fpr}"),
        ]));
    let k = key(&env, &fpr);
    let enc = subkey_with(&k, "encrypt");
    assert_eq!(enc.len(), 2);
    let o = enc
        .iter()
        .find(|s| s["fingerprint"] == old.as_str())
        .unwrap();
    assert_eq!(o["state"], "valid", "still usable during the grace period");
    assert_eq!(date(&o["expires"]), days_from_now(30));
    let n = enc
        .iter()
        .find(|s| s["fingerprint"] != old.as_str())
        .unwrap();
    assert_eq!(n["state"], "valid");
    assert_eq!(n["expires"], k["expires"]);

    // A message to the key can be read with the new subkey.
    let sealed = env
        .zpgp()
        .args(["encrypt", "-r", &fpr])
        .write_stdin("rotated")
        .assert()
        .code(0);
    let msg = env.write("m.pgp", &sealed.get_output().stdout);
    upkeep(&env, &["decrypt"])
        .arg(&msg)
        .arg("-o")
        .arg(env.path("m.txt"))
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read_to_string(env.path("m.txt")).unwrap(),
        "rotated"
    );

    upkeep(
        &env,
        &[
            "subkey", "rotate", &fpr, "--for", "encrypt", "--grace", "never",
        ],
    )
    .assert()
    .code(2)
    .stderr(has(&["the grace period cannot be 'never'"]));
}

#[test]
fn upkeep_works_on_v6_rsa_and_nist_keys() {
    for args in [
        vec!["--email", "six@example.org", "--profile", "rfc9580"],
        vec!["--email", "rsa@example.org", "--cipher-suite", "rsa3k"],
        vec!["--email", "p256@example.org", "--cipher-suite", "p256"],
    ] {
        let env = Env::new();
        let fpr = env.generate(&args);
        upkeep(&env, &["expire", &fpr, "2030-06-30"])
            .assert()
            .code(0);
        upkeep(&env, &["userid", "add", &fpr, "<second@example.org>"])
            .assert()
            .code(0);
        upkeep(&env, &["subkey", "rotate", &fpr, "--for", "encrypt"])
            .assert()
            .code(0);
        let k = key(&env, &fpr);
        assert_eq!(date(&k["expires"]), "2030-06-30", "{args:?}");
        assert_eq!(subkey_with(&k, "encrypt").len(), 2, "{args:?}");
        // The new subkey is of the key's kind.
        let enc = subkey_with(&k, "encrypt");
        assert_eq!(enc[0]["algorithm"], enc[1]["algorithm"], "{k:#}");
        assert!(
            k["userids"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["userid"] == "<second@example.org>" && u["state"] == "valid")
        );
        upkeep(&env, &["revoke", &fpr, "--reason", "retired", "--yes"])
            .assert()
            .code(0);
        assert_eq!(key(&env, &fpr)["state"], "revoked");
    }
}
