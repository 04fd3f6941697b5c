//! `zpgp watch`: keys that expire within N days or have expired, exit 5,
//! the list on stdout, quiet when all is well.

use super::*;

use openpgp::types::KeyFlags;

/// Imports `cert`, with its secret keys when it has them.
fn import(env: &Env, cert: &Cert) {
    env.zpgp()
        .arg("import")
        .write_stdin(cert.as_tsk().armored().to_vec().unwrap())
        .assert()
        .code(0)
        .stdout(is_empty());
}

/// A certificate made `ago` before now that is valid for `validity`.
fn aged_cert(uid: &str, ago: u64, validity: u64) -> Cert {
    CertBuilder::general_purpose(Some(uid))
        .set_creation_time(SystemTime::now() - Duration::from_secs(ago))
        .set_validity_period(Some(Duration::from_secs(validity)))
        .generate()
        .unwrap()
        .0
}

#[test]
fn watch_reports_a_key_expiring_within_the_days_given() {
    let env = Env::new();
    let soon = env.generate(&["--email", "soon@example.org", "--expires", "10d"]);
    env.generate(&["--email", "later@example.org"]);
    let line = format!(
        r"\A{soon}  own      expires \d{{4}}-\d\d-\d\d \(in 10 days\)  <soon@example\.org>\n\z"
    );
    env.zpgp()
        .arg("watch")
        .assert()
        .code(5)
        .stdout(is_match(&line).unwrap())
        .stderr(
            "zpgp: 1 key expires within 30 days or expired; extend yours with \
             'zpgp expire QUERY 2y', and ask contacts for an updated certificate\n",
        );
    // Quiet: the list alone, for cron to mail.
    env.zpgp()
        .args(["-q", "watch"])
        .assert()
        .code(5)
        .stdout(is_match(&line).unwrap())
        .stderr(is_empty());

    env.zpgp()
        .args(["watch", "--days", "5"])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr("zpgp: none of your keys expires within 5 days\n");
    env.zpgp()
        .args(["-q", "watch", "--days", "5"])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(is_empty());
    // Nothing changed on the way.
    assert_eq!(listed(&env).len(), 2);
}

#[test]
fn watch_reports_expired_keys_and_with_contacts_theirs() {
    let env = Env::new();
    // Mine, made 10 days ago for 1 day: expired 9 days ago.
    let mine = aged_cert("Old Me <old@example.org>", 10 * DAY, DAY);
    import(&env, &mine);
    let mine = format!("{:X}", mine.fingerprint());
    // A contact's that ends in 5 days.
    let bob = aged_cert("Bob <bob@example.org>", DAY, 6 * DAY).strip_secret_key_material();
    import(&env, &bob);
    let bob = format!("{:X}", bob.fingerprint());
    // A contact whose encryption subkey ends in 3 days, its key not.
    let (carol, _) = CertBuilder::new()
        .add_userid("Carol <carol@example.org>")
        .set_validity_period(None)
        .add_signing_subkey()
        .add_subkey(
            KeyFlags::empty()
                .set_transport_encryption()
                .set_storage_encryption(),
            Some(Duration::from_secs(3 * DAY)),
            None,
        )
        .generate()
        .unwrap();
    let carol = carol.strip_secret_key_material();
    import(&env, &carol);
    let carol = format!("{:X}", carol.fingerprint());
    // A revoked contact that would expire in 2 days: over, not expiring.
    let (dave, rev) = CertBuilder::general_purpose(Some("Dave <dave@example.org>"))
        .set_validity_period(Some(Duration::from_secs(2 * DAY)))
        .generate()
        .unwrap();
    let dave = dave.insert_packets(Some(rev)).unwrap().0;
    import(&env, &dave.strip_secret_key_material());
    // A contact with years left.
    import(
        &env,
        &make_cert("Erin <erin@example.org>").strip_secret_key_material(),
    );

    let mine_line = format!(
        r"{mine}  own      expired \d{{4}}-\d\d-\d\d \(9 days ago\)  Old Me <old@example\.org>\n"
    );
    env.zpgp()
        .arg("watch")
        .assert()
        .code(5)
        .stdout(is_match(format!(r"\A{mine_line}\z")).unwrap())
        .stderr(has(&["zpgp: 1 key expires within 30 days or expired"]));

    env.zpgp()
        .args(["watch", "--contacts"])
        .assert()
        .code(5)
        .stdout(
            is_match(format!(
                r"\A{mine_line}{carol}  contact  encryption subkey expires \d{{4}}-\d\d-\d\d \(in 3 days\)  Carol <carol@example\.org>\n{bob}  contact  expires \d{{4}}-\d\d-\d\d \(in 5 days\)  Bob <bob@example\.org>\n\z"
            ))
            .unwrap(),
        )
        .stderr(has(&["zpgp: 3 keys expire within 30 days or expired"]));

    let a = env
        .zpgp()
        .args(["--json", "watch", "--contacts", "--days", "4"])
        .assert()
        .code(5)
        .stderr(has(&["zpgp: 2 keys expire within 4 days or expired"]));
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert_eq!(v["days"], 4);
    let keys = v["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{v:#}");
    assert_eq!(keys[0]["fingerprint"], mine.as_str());
    assert_eq!(keys[0]["userid"], "Old Me <old@example.org>");
    assert_eq!(keys[0]["kind"], "own");
    assert_eq!(keys[0]["part"], "key");
    assert_eq!(keys[0]["expired"], true);
    assert_eq!(keys[0]["days_left"], -9);
    assert!(
        is_match(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\z")
            .unwrap()
            .eval(keys[0]["expires"].as_str().unwrap())
    );
    assert_eq!(keys[1]["fingerprint"], carol.as_str());
    assert_eq!(keys[1]["kind"], "contact");
    assert_eq!(keys[1]["part"], "encryption");
    assert_eq!(keys[1]["expired"], false);
    assert_eq!(keys[1]["days_left"], 3);

    // All well, for contacts too: an empty report, exit 0.
    let clean = Env::new();
    import(
        &clean,
        &make_cert("Frank <frank@example.org>").strip_secret_key_material(),
    );
    let a = clean
        .zpgp()
        .args(["--json", "watch", "--contacts"])
        .assert()
        .code(0)
        .stderr("zpgp: no key on file expires within 30 days\n");
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert_eq!(v, serde_json::json!({"days": 30, "keys": []}));
}
