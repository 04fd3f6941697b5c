//! `zpgp export`: every kind of query, armor and binary, output files,
//! secret keys, and queries that match none or several keys.

use super::*;

#[test]
fn export_by_every_kind_of_query() {
    let env = Env::new();
    let fpr = env.generate(&["--name", "Query Me", "--email", "query@example.org"]);
    env.generate(&["--email", "other@example.org"]);
    let v = list_json(&env, &[&fpr]);
    let subkey = v["keys"][0]["subkeys"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let spaced = fpr
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    let keyid = fpr[24..].to_string();
    let queries = [
        "query@example.org".to_string(),
        "<QUERY@example.org>".to_string(),
        fpr.clone(),
        fpr.to_lowercase(),
        spaced,
        keyid.clone(),
        format!("0x{keyid}"),
        subkey,
        "query me".to_string(),
    ];
    for q in &queries {
        let a = env
            .zpgp()
            .args(["export", q])
            .assert()
            .code(0)
            .stdout(
                is_match(r"\A-----BEGIN PGP PUBLIC KEY BLOCK-----\n")
                    .unwrap()
                    .and(contains("-----END PGP PUBLIC KEY BLOCK-----\n")),
            )
            .stderr(is_empty());
        let cert = parse_cert(&a.get_output().stdout);
        assert_eq!(format!("{:X}", cert.fingerprint()), fpr, "query {q}");
        assert!(!cert.is_tsk(), "public export carries secrets");
    }
}

#[test]
fn export_binary() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "bin@example.org"]);
    let a = env
        .zpgp()
        .args(["export", "--binary", "bin@example.org"])
        .assert()
        .code(0)
        .stdout(predicate::function(|s: &[u8]| {
            !s.is_empty() && s[0] & 0x80 != 0 && !s.starts_with(b"-----")
        }))
        .stderr(is_empty());
    let cert = parse_cert(&a.get_output().stdout);
    assert_eq!(format!("{:X}", cert.fingerprint()), fpr);
}

#[test]
fn export_to_file_refuses_to_overwrite() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "out@example.org"]);
    let out = env.path("out.asc");
    env.zpgp()
        .args(["export", "-o"])
        .arg(&out)
        .arg(&fpr)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(is_empty());
    let first = std::fs::read(&out).unwrap();
    assert_eq!(format!("{:X}", parse_cert(&first).fingerprint()), fpr);

    let other = env.write("other.txt", "precious\n");
    env.zpgp()
        .args(["export", "--output"])
        .arg(&other)
        .arg(&fpr)
        .assert()
        .code(59)
        .stdout(is_empty())
        .stderr(has(&["other.txt exists already", "--force"]));
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "precious\n");

    env.zpgp()
        .args(["export", "--force", "-o"])
        .arg(&other)
        .arg(&fpr)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(is_empty());
    assert_eq!(std::fs::read(&other).unwrap(), first);
    // No temporary files left behind.
    let leftovers: Vec<_> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn export_unknown_query_leaves_no_file() {
    let env = Env::new();
    env.generate(&["--email", "known@example.org"]);
    let out = env.path("never.asc");
    env.zpgp()
        .args(["export", "-o"])
        .arg(&out)
        .arg("unknown@example.org")
        .assert()
        .code(4)
        .stdout(is_empty())
        .stderr(has(&[
            "no key in the keyring matches <unknown@example.org>",
            "hint: ",
            "zpgp import",
        ]));
    assert!(!out.exists());
}

#[test]
fn export_secret_stays_encrypted_and_round_trips() {
    let a = Env::new();
    let fpr = a.generate(&["--email", "roundtrip@example.org"]);
    let out = a
        .zpgp()
        .args(["export", "--secret", &fpr])
        .assert()
        .code(0)
        .stdout(is_match(r"\A-----BEGIN PGP PRIVATE KEY BLOCK-----\n").unwrap())
        .stderr(is_empty());
    let tsk = parse_cert(&out.get_output().stdout);
    assert!(tsk.is_tsk());
    assert_eq!(tsk.keys().secret().count(), 3);
    assert!(
        tsk.keys()
            .secret()
            .all(|k| !k.key().has_unencrypted_secret())
    );

    let b = Env::new();
    b.zpgp()
        .arg("import")
        .write_stdin(out.get_output().stdout.clone())
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&["(secret key: new)"]));
    let new = b.write("new.txt", "another passphrase\n");
    b.zpgp()
        .args(["passwd", &fpr, "--passphrase-file"])
        .arg(b.passphrase_file())
        .arg("--new-passphrase-file")
        .arg(&new)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&[&format!("zpgp: the passphrase of {fpr} is changed")]));
    assert!(unlocks(&secret_file(&b, &fpr), "another passphrase"));
}

#[test]
fn export_secret_when_none_is_held() {
    let env = Env::new();
    let cert = make_cert("<pub-only@example.org>");
    env.zpgp()
        .arg("import")
        .write_stdin(armored(&cert))
        .assert()
        .code(0);
    env.zpgp()
        .args(["export", "--secret", "pub-only@example.org"])
        .assert()
        .code(4)
        .stdout(is_empty())
        .stderr(has(&[
            &format!("no secret key is held for {:X}", cert.fingerprint()),
            "zpgp list --secret",
        ]));
}

#[test]
fn export_ambiguous_query_lists_candidates() {
    let env = Env::new();
    let a = env.generate(&["--name", "Ann", "--email", "ann@example.org"]);
    let b = env.generate(&["--name", "Ben", "--email", "ben@example.org"]);
    env.zpgp()
        .args(["export", "example.org"])
        .assert()
        .code(73)
        .stdout(is_empty())
        .stderr(has(&[
            "\"example.org\" matches 2 keys",
            &format!("  {a} Ann <ann@example.org>"),
            &format!("  {b} Ben <ben@example.org>"),
            "full fingerprint",
        ]));
    // Several explicit queries export both, in one armored block.
    let out = env
        .zpgp()
        .args(["export", &a, "ben@example.org"])
        .assert()
        .code(0)
        .stdout(contains("Comment: 2 certificates"))
        .stderr(is_empty());
    let certs: Vec<Cert> = CertParser::from_bytes(&out.get_output().stdout)
        .unwrap()
        .map(|c| c.unwrap())
        .collect();
    assert_eq!(certs.len(), 2);
}
