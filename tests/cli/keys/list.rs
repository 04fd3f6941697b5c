//! `zpgp list`: text and JSON, queries, --secret, expired keys, and an empty
//! keyring.

use super::*;

#[test]
fn list_empty_keyring() {
    let env = Env::new();
    env.zpgp()
        .arg("list")
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(is_empty());
    env.zpgp()
        .args(["--json", "list"])
        .assert()
        .code(0)
        .stdout(is_match(r#"\A\{\s*"keys": \[\]\s*\}\n\z"#).unwrap())
        .stderr(is_empty());
    env.zpgp()
        .args(["list", "--secret"])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(is_empty());
}

#[test]
fn list_all_by_query_and_secret() {
    let env = Env::new();
    let mine = env.generate(&["--name", "Mine", "--email", "mine@example.org"]);
    let theirs = make_cert("Theirs <theirs@example.org>");
    let theirs_fpr = format!("{:X}", theirs.fingerprint());
    env.zpgp()
        .arg("import")
        .write_stdin(armored(&theirs))
        .assert()
        .code(0);

    // All: one block per key, a blank line between.
    let a = env
        .zpgp()
        .arg("list")
        .assert()
        .code(0)
        .stdout(
            contains(format!(
                "      {mine}\nuid   [  own   ] Mine <mine@example.org>\n"
            ))
            .and(contains(format!(
                "      {theirs_fpr}\nuid   [unknown ] Theirs <theirs@example.org>\n"
            )))
            .and(contains("\n\n")),
        )
        .stderr(is_empty());
    let all = stdout_of(&a);
    assert_eq!(all.matches("\nuid   ").count(), 2);
    assert!(all.lines().any(|l| l.starts_with("sec   ")));
    assert!(all.lines().any(|l| l.starts_with("pub   ")));
    assert!(
        is_match(r"(?m)^sub   cv25519 \d{4}-\d\d-\d\d \[E\] expires ")
            .unwrap()
            .eval(&all)
    );

    env.zpgp()
        .args(["list", "theirs"])
        .assert()
        .code(0)
        .stdout(
            is_match(format!(r"\Apub   .*\n      {theirs_fpr}\n"))
                .unwrap()
                .and(contains(&mine).not()),
        )
        .stderr(is_empty());
    env.zpgp()
        .args(["list", "--secret"])
        .assert()
        .code(0)
        .stdout(
            is_match(format!(r"\Asec   .*\n      {mine}\n"))
                .unwrap()
                .and(contains(&theirs_fpr).not()),
        )
        .stderr(is_empty());
    // A query that matches only a public key, with --secret: nothing.
    env.zpgp()
        .args(["list", "--secret", "theirs@example.org"])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(is_empty());
    env.zpgp()
        .args(["list", "nobody@example.org"])
        .assert()
        .code(4)
        .stdout(is_empty())
        .stderr(has(&[
            "no key in the keyring matches <nobody@example.org>",
            "zpgp import",
        ]));
}

#[test]
fn list_json_fields() {
    let env = Env::new();
    let fpr = env.generate(&["--name", "Jason", "--email", "jason@example.org"]);
    let theirs = make_cert("<theirs@example.org>");
    env.zpgp()
        .arg("import")
        .write_stdin(armored(&theirs))
        .assert()
        .code(0);
    let v = list_json(&env, &[]);
    let keys = v["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    let mine = keys
        .iter()
        .find(|k| k["fingerprint"] == fpr.as_str())
        .unwrap();
    let other = keys
        .iter()
        .find(|k| k["fingerprint"] != fpr.as_str())
        .unwrap();
    assert_eq!(mine["secret"], true);
    assert_eq!(other["secret"], false);
    assert_eq!(mine["algorithm"], "ed25519");
    assert_eq!(mine["state"], "valid");
    assert!(mine["reason"].is_null());
    assert!(
        is_match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            .unwrap()
            .eval(mine["created"].as_str().unwrap())
    );
    assert_eq!(mine["userids"][0]["userid"], "Jason <jason@example.org>");
    assert_eq!(mine["userids"][0]["email"], "jason@example.org");
    assert_eq!(mine["userids"][0]["state"], "valid");
    let subkeys = mine["subkeys"].as_array().unwrap();
    assert_eq!(subkeys.len(), 2);
    for s in subkeys {
        assert!(
            is_match(r"^[0-9A-F]{40}$")
                .unwrap()
                .eval(s["fingerprint"].as_str().unwrap())
        );
        assert_eq!(
            &s["fingerprint"].as_str().unwrap()[24..],
            s["keyid"].as_str().unwrap()
        );
        assert_eq!(s["capabilities"].as_array().unwrap().len(), 1);
    }
    // --secret --json: only mine.
    let v = list_json(&env, &["--secret"]);
    assert_eq!(v["keys"].as_array().unwrap().len(), 1);
    assert_eq!(v["keys"][0]["fingerprint"], fpr.as_str());
}

#[test]
fn list_shows_expired_key() {
    let now = SystemTime::now();
    let cert = CertBuilder::general_purpose(Some("Old <old@example.org>"))
        .set_creation_time(now - Duration::from_secs(10 * DAY))
        .set_validity_period(Some(Duration::from_secs(DAY)))
        .generate()
        .unwrap()
        .0;
    let env = Env::new();
    env.zpgp()
        .arg("import")
        .write_stdin(armored(&cert))
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&["1 new"]));
    env.zpgp()
        .arg("list")
        .assert()
        .code(0)
        .stdout(
            is_match(r"\Apub   ed25519 \S+ \[C\] expired \d{4}-\d\d-\d\d \[expired\]\n").unwrap(),
        )
        .stderr(is_empty());
    let v = list_json(&env, &["old@example.org"]);
    assert_eq!(v["keys"][0]["state"], "expired");
    assert!(
        v["keys"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("expired on ")
    );
}
