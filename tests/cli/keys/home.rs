//! Homes that cannot be used, lookup among a few hundred certificates, and
//! `--version`.

use super::*;

#[test]
fn home_under_a_regular_file() {
    // Tests run as root, so permissions cannot make a home unwritable; a
    // path through a regular file can.
    let env = Env::new();
    env.write("file", "I am a file\n");
    let home = env.path("file").join("home");
    let key = env.write("key.asc", armored(&make_cert("<x@example.org>")));
    let runs: [&[&str]; 4] = [
        &["list"],
        &["generate", "--email", "x@example.org", "--no-passphrase"],
        &["import", "key.asc"],
        &["export", "x@example.org"],
    ];
    for args in runs {
        let a = assert_cmd::Command::cargo_bin("zpgp")
            .unwrap()
            .env_remove("ZPGP_HOME")
            .current_dir(env.dir.path())
            .arg("--home")
            .arg(&home)
            .arg("--batch")
            .args(args)
            .assert()
            .code(61)
            .stdout(is_empty())
            .stderr(has(&[
                &format!(
                    "zpgp: error: cannot create the keyring home {}",
                    home.display()
                ),
                "hint: ",
            ]));
        let code = a.get_output().status.code();
        assert!(matches!(code, Some(c) if c > 2), "{args:?}: exit {code:?}");
    }
    assert!(key.exists());
    assert_eq!(
        std::fs::read_to_string(env.path("file")).unwrap(),
        "I am a file\n"
    );
}

#[test]
fn home_that_is_a_file() {
    let env = Env::new();
    let home = env.write("not-a-dir", "data\n");
    assert_cmd::Command::cargo_bin("zpgp")
        .unwrap()
        .env_remove("ZPGP_HOME")
        .arg("--home")
        .arg(&home)
        .args(["--batch", "list"])
        .assert()
        .code(61)
        .stdout(is_empty())
        .stderr(has(&["is not a directory"]));
    assert_eq!(std::fs::read_to_string(&home).unwrap(), "data\n");
}

#[test]
fn home_in_proc_fails_cleanly() {
    let env = Env::new();
    assert_cmd::Command::cargo_bin("zpgp")
        .unwrap()
        .env_remove("ZPGP_HOME")
        .args(["--home", "/proc/zpgp-test-home", "--batch", "generate"])
        .args(["--email", "p@example.org", "--no-passphrase"])
        .current_dir(env.dir.path())
        .assert()
        .code(61)
        .stdout(is_empty())
        .stderr(has(&["zpgp: error: ", "/proc/zpgp-test-home"]));
}

#[test]
fn home_from_zpgp_home_variable() {
    let env = Env::new();
    assert_cmd::Command::cargo_bin("zpgp")
        .unwrap()
        .env("ZPGP_HOME", env.home())
        .args([
            "--batch",
            "generate",
            "--email",
            "envhome@example.org",
            "--no-passphrase",
        ])
        .assert()
        .code(0)
        .stdout(crate::keys::v4_fpr_line())
        .stderr(no_panic());
    assert_eq!(
        list_json(&env, &[])["keys"][0]["userids"][0]["email"],
        "envhome@example.org"
    );
}

#[test]

fn relative_home_lists_keys() {
    let env = Env::new();
    let rel = |args: &[&str]| {
        let mut c = assert_cmd::Command::cargo_bin("zpgp").unwrap();
        c.env_remove("ZPGP_HOME")
            .current_dir(env.dir.path())
            .args(["--home", "home", "--batch"])
            .args(args);
        c
    };
    let a = rel(&["generate", "--email", "rel@example.org", "--no-passphrase"])
        .assert()
        .code(0)
        .stdout(crate::keys::v4_fpr_line());
    let fpr = stdout_of(&a).trim().to_string();
    rel(&["list"])
        .assert()
        .code(0)
        .stdout(contains(format!("      {fpr}\n")))
        .stderr(is_empty());
    // A stale index is rebuilt from the certificate directory: that must
    // not lose the keys either.
    std::fs::remove_file(env.home().join("index")).unwrap();
    rel(&["list", "rel@example.org"])
        .assert()
        .code(0)
        .stdout(contains(format!("      {fpr}\n")))
        .stderr(is_empty());
}

// Scale ------------------------------------------------------------------

#[test]
fn lookup_among_hundreds_of_certs() {
    const N: usize = 300;
    let certs: Vec<Cert> = (0..N)
        .map(|i| make_cert(&format!("Person {i:04} <person{i:04}@example.org>")))
        .collect();
    let mut ring = Vec::new();
    for c in &certs {
        c.serialize(&mut ring).unwrap();
    }
    let env = Env::new();
    let file = env.write("ring.pgp", &ring);
    env.zpgp()
        .arg("import")
        .arg(&file)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&[&format!(
            "{N} certificates processed: {N} new, 0 updated, 0 unchanged, 0 rejected"
        )]));
    assert_eq!(listed(&env).len(), N);

    let fpr = |i: usize| format!("{:X}", certs[i].fingerprint());
    for i in [0, 1, 149, 150, 298, N - 1] {
        let subkey = certs[i]
            .keys()
            .subkeys()
            .next()
            .unwrap()
            .key()
            .fingerprint();
        let queries = [
            format!("person{i:04}@example.org"),
            format!("{:X}", certs[i].keyid()),
            format!("{subkey:X}"),
            format!("Person {i:04}"),
            fpr(i),
        ];
        for q in &queries {
            let v = list_json(&env, &[q.as_str()]);
            let keys = v["keys"].as_array().unwrap();
            assert_eq!(keys.len(), 1, "query {q}");
            assert_eq!(keys[0]["fingerprint"], fpr(i).as_str(), "query {q}");
        }
    }
    // A prefix of ten names is ambiguous, and says which ten.
    let a = env
        .zpgp()
        .args(["export", "person 012"])
        .assert()
        .code(73)
        .stdout(is_empty())
        .stderr(has(&["\"person 012\" matches 10 keys"]));
    let stderr = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    for i in 120..130 {
        assert!(stderr.contains(&fpr(i)), "{i} missing from {stderr}");
    }
    // After deleting one, the rest are still found and it is not.
    env.zpgp()
        .args(["delete", &fpr(150)])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&["deleted"]));
    env.zpgp()
        .args(["list", "person0150@example.org"])
        .assert()
        .code(4)
        .stdout(is_empty())
        .stderr(has(&["no key in the keyring matches"]));
    let v = list_json(&env, &["person0151@example.org"]);
    assert_eq!(v["keys"][0]["fingerprint"], fpr(151).as_str());
    assert_eq!(listed(&env).len(), N - 1);
    // A stale or missing index is rebuilt and gives the same answers.
    std::fs::remove_file(env.home().join("index")).unwrap();
    let v = list_json(&env, &["person0299@example.org"]);
    assert_eq!(v["keys"][0]["fingerprint"], fpr(299).as_str());
    env.zpgp()
        .args(["list", "person0150@example.org"])
        .assert()
        .code(4)
        .stdout(is_empty())
        .stderr(has(&["no key in the keyring matches"]));
}

// --version ------------------------------------------------------------------

#[test]
fn version_names_sequoia_and_backend() {
    let env = Env::new();
    env.zpgp()
        .arg("--version")
        .assert()
        .code(0)
        .stdout(
            is_match(r"\Azpgp \d+\.\d+\.\d+ \(sequoia-openpgp \d+\.\d+\.\d+, (OpenSSL|pure Rust) backend\)\n\z")
                .unwrap(),
        )
        .stderr(is_empty());
    // Every subcommand, too.
    env.zpgp()
        .args(["list", "--version"])
        .assert()
        .code(0)
        .stdout(contains("sequoia-openpgp"))
        .stderr(is_empty());
}

#[test]
fn bare_version_prints_what_the_parser_prints() {
    // `zpgp --version` and `zpgp -V` alone skip the parser; with any
    // other argument clap answers.  Both must say the same.
    let env = Env::new();
    let parsed = env.zpgp().arg("--version").output().unwrap();
    assert!(parsed.status.success());
    for flag in ["--version", "-V"] {
        let bare = std::process::Command::new(zpgp_bin())
            .arg(flag)
            .output()
            .unwrap();
        assert_eq!(bare.status.code(), Some(0), "{flag}");
        assert_eq!(
            String::from_utf8_lossy(&bare.stdout),
            String::from_utf8_lossy(&parsed.stdout),
            "{flag}"
        );
        assert!(bare.stderr.is_empty(), "{flag}");
    }
}
