//! `zpgp config` and HOME/config.toml: get, set, unset, list, the file's
//! mode and errors, and the default key in `sign` and `encrypt`.

use super::*;

fn config_path(env: &Env) -> PathBuf {
    env.home().join("config.toml")
}

/// `zpgp --json verify --signature SIG FILE`: the certificates that made
/// good signatures.
fn good_signers(env: &Env, sig: &str, file: &str) -> Vec<String> {
    let out = env
        .zpgp()
        .args(["--json", "verify", "--signature", sig, file])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    v["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "good")
        .map(|s| s["cert_fingerprint"].as_str().unwrap().to_string())
        .collect()
}

/// The certificates an encrypted file is for, from `zpgp inspect --json`.
fn recipients(env: &Env, file: &str) -> Vec<String> {
    let a = env
        .zpgp()
        .args(["--json", "inspect", file])
        .assert()
        .code(0);
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    let mut r: Vec<String> = v["encryption"]["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cert_fingerprint"].as_str().unwrap_or("?").to_string())
        .collect();
    r.sort();
    r
}

#[test]
fn config_set_get_list_unset() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "me@example.org"]);
    let path = config_path(&env);

    env.zpgp()
        .args(["config", "set", "default-key", "me@example.org"])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(format!(
            "zpgp: default-key = {fpr} (<me@example.org>) in {}\n",
            path.display()
        ));
    assert_eq!(mode(&path), 0o600);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("default-key = \"{fpr}\"\n")
    );
    // Setting it again changes nothing and says so.
    env.zpgp()
        .args(["config", "set", "default-key", &fpr])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(format!(
            "zpgp: default-key is {fpr} already ({})\n",
            path.display()
        ));

    env.zpgp()
        .args(["config", "get", "default-key"])
        .assert()
        .code(0)
        .stdout(format!("{fpr}\n"))
        .stderr(is_empty());
    env.zpgp()
        .args(["config", "list"])
        .assert()
        .code(0)
        .stdout(format!("default-key = {fpr}\n"))
        .stderr(is_empty());
    let a = env
        .zpgp()
        .args(["--json", "config", "list"])
        .assert()
        .code(0)
        .stderr(is_empty());
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert_eq!(v, serde_json::json!({ "default-key": fpr }));

    env.zpgp()
        .args(["config", "unset", "default-key"])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(format!(
            "zpgp: default-key unset (it was {fpr}) in {}\n",
            path.display()
        ));
    assert!(
        !std::fs::read_to_string(&path)
            .unwrap()
            .contains("default-key")
    );
    // Unset: `get` prints nothing and exits 1, as `git config` does.
    env.zpgp()
        .args(["config", "get", "default-key"])
        .assert()
        .code(1)
        .stdout(is_empty())
        .stderr(is_empty());
    env.zpgp()
        .args(["config", "list"])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(is_empty());
    env.zpgp()
        .args(["config", "unset", "default-key"])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr("zpgp: default-key is not set\n");
}

#[test]
fn config_is_created_on_first_write_only() {
    let env = Env::new();
    env.generate(&["--email", "me@example.org"]);
    let path = config_path(&env);
    for args in [
        &["config", "list"][..],
        &["config", "get", "default-key"],
        &["config", "unset", "default-key"],
    ] {
        env.zpgp().args(args).assert().stderr(no_panic());
        assert!(!path.exists(), "{args:?} created the file");
    }
    env.zpgp()
        .args(["config", "set", "default-key", "me@example.org"])
        .assert()
        .code(0);
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn config_unknown_setting_is_a_usage_error() {
    let env = Env::new();
    env.generate(&["--email", "me@example.org"]);
    for args in [
        &["config", "get", "colour"][..],
        &["config", "set", "colour", "blue"],
        &["config", "unset", "colour"],
    ] {
        env.zpgp()
            .args(args)
            .assert()
            .code(2)
            .stdout(is_empty())
            .stderr(has(&[
                "zpgp: error: zpgp has no setting \"colour\"; the settings are:",
                "  default-key: the fingerprint of your secret key that signs",
            ]));
    }
    assert!(!config_path(&env).exists());
}

#[test]
fn config_default_key_must_be_a_secret_key_you_hold() {
    let env = Env::new();
    env.generate(&["--email", "me@example.org"]);
    let bob = make_cert("Bob <bob@example.org>").strip_secret_key_material();
    env.zpgp()
        .arg("import")
        .write_stdin(armored(&bob))
        .assert()
        .code(0);
    env.zpgp()
        .args(["config", "set", "default-key", "bob@example.org"])
        .assert()
        .code(4)
        .stdout(is_empty())
        .stderr(has(&[
            "zpgp: error: you do not hold the secret key for Bob <bob@example.org>",
            "only your own keys can be the default",
            "hint: your secret keys are listed by 'zpgp list --secret'",
        ]));
    env.zpgp()
        .args(["config", "set", "default-key", "carol@example.org"])
        .assert()
        .code(4)
        .stdout(is_empty())
        .stderr(has(&["no key in the keyring matches <carol@example.org>"]));
    assert!(!config_path(&env).exists());
}

#[test]
fn config_file_errors_name_the_file_and_line() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "me@example.org"]);
    let path = config_path(&env);
    let msg = env.write("m.txt", "hello\n");
    let cases = [
        ("# my settings\ndefault-key = 'oops\n", 2, "not valid TOML"),
        (
            "# my settings\n\ncolour = \"blue\"\n",
            3,
            "unknown setting \"colour\"",
        ),
        (
            "default-key = 5\n",
            1,
            "default-key: expected a full fingerprint in quotes",
        ),
    ];
    for (text, line, what) in cases {
        std::fs::write(&path, text).unwrap();
        let expected = format!(
            "zpgp: error: the config file {} line {line}: {what}",
            path.display()
        );
        // A command that needs the default key fails; so does every
        // config subcommand, and the file stays as it was.
        env.zpgp()
            .args(["--passphrase-file"])
            .arg(env.passphrase_file())
            .args(["sign", "--detached"])
            .arg(&msg)
            .assert()
            .code(1)
            .stdout(is_empty())
            .stderr(has(&[
                &expected,
                "hint: correct or remove that line; the settings zpgp knows: default-key (",
            ]));
        assert!(!env.path("m.txt.sig").exists());
        for args in [
            &["config", "list"][..],
            &["config", "get", "default-key"],
            &["config", "set", "default-key", &fpr],
            &["config", "unset", "default-key"],
        ] {
            env.zpgp()
                .args(args)
                .assert()
                .code(1)
                .stdout(is_empty())
                .stderr(has(&[&expected]));
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
    // Commands that never need the default key do not read the file.
    env.zpgp().arg("list").assert().code(0);
}

#[test]
fn config_set_keeps_the_users_comments() {
    let env = Env::new();
    let a = env.generate(&["--email", "a@example.org"]);
    let b = env.generate(&["--email", "b@example.org"]);
    let path = config_path(&env);
    std::fs::write(
        &path,
        format!("# zpgp settings\n\n# the key I sign with\ndefault-key = \"{a}\"  # work\n"),
    )
    .unwrap();
    env.zpgp()
        .args(["config", "set", "default-key", "b@example.org"])
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("# zpgp settings\n\n# the key I sign with\ndefault-key = \"{b}\"  # work\n")
    );
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn default_key_signs_and_signer_wins() {
    let env = Env::new();
    let a = env.generate(&["--email", "a@example.org"]);
    let b = env.generate(&["--email", "b@example.org"]);
    let pw = env.passphrase_file();
    env.write("m.txt", "hello\n");
    // Two secret keys and no default: which one?
    env.zpgp()
        .arg("--passphrase-file")
        .arg(&pw)
        .args(["sign", "--detached", "m.txt"])
        .assert()
        .code(73)
        .stdout(is_empty())
        .stderr(has(&[
            "which one should sign?",
            "hint: name one with --signer QUERY, or choose your default: zpgp config set default-key QUERY",
        ]));

    env.zpgp()
        .args(["config", "set", "default-key", &b])
        .assert()
        .code(0);
    env.zpgp()
        .arg("--passphrase-file")
        .arg(&pw)
        .args(["sign", "--detached", "-o", "b.sig", "m.txt"])
        .assert()
        .code(0)
        .stdout(is_empty());
    assert_eq!(good_signers(&env, "b.sig", "m.txt"), vec![b.clone()]);

    env.zpgp()
        .arg("--passphrase-file")
        .arg(&pw)
        .args([
            "sign",
            "--detached",
            "--signer",
            "a@example.org",
            "-o",
            "a.sig",
            "m.txt",
        ])
        .assert()
        .code(0)
        .stdout(is_empty());
    assert_eq!(good_signers(&env, "a.sig", "m.txt"), vec![a]);
}

#[test]
fn default_key_is_encrypted_to_when_you_hold_several() {
    let env = Env::new();
    let a = env.generate(&["--email", "a@example.org"]);
    let b = env.generate(&["--email", "b@example.org"]);
    let carol = make_cert("Carol <carol@example.org>").strip_secret_key_material();
    let c = format!("{:X}", carol.fingerprint());
    env.zpgp()
        .arg("import")
        .write_stdin(armored(&carol))
        .assert()
        .code(0);
    env.write("m.txt", "hello\n");
    let pw = env.passphrase_file();

    env.zpgp()
        .args([
            "encrypt",
            "-r",
            "carol@example.org",
            "-o",
            "none.pgp",
            "m.txt",
        ])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&[
            "zpgp: note: not encrypting to yourself: you hold several secret keys",
            "zpgp config set default-key QUERY",
        ]));
    assert_eq!(recipients(&env, "none.pgp"), vec![c.clone()]);

    env.zpgp()
        .args(["config", "set", "default-key", "b@example.org"])
        .assert()
        .code(0);
    env.zpgp()
        .args(["encrypt", "-r", "carol@example.org", "-o", "b.pgp", "m.txt"])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&[]).and(contains("not encrypting to yourself").not()));
    let mut want = vec![b.clone(), c.clone()];
    want.sort();
    assert_eq!(recipients(&env, "b.pgp"), want);
    env.zpgp()
        .arg("--passphrase-file")
        .arg(&pw)
        .args(["decrypt", "-o", "-", "b.pgp"])
        .assert()
        .code(0)
        .stdout("hello\n");

    // --signer wins: the message goes to the signer, not the default.
    env.zpgp()
        .arg("--passphrase-file")
        .arg(&pw)
        .args([
            "encrypt",
            "--signer",
            &a,
            "-r",
            "carol@example.org",
            "-o",
            "a.pgp",
            "m.txt",
        ])
        .assert()
        .code(0)
        .stdout(is_empty());
    let mut want = vec![a, c];
    want.sort();
    assert_eq!(recipients(&env, "a.pgp"), want);
}

#[test]
fn default_key_no_longer_on_file_is_an_error() {
    let env = Env::new();
    let a = env.generate(&["--email", "a@example.org"]);
    let b = env.generate(&["--email", "b@example.org"]);
    let path = config_path(&env);
    std::fs::write(&path, format!("# mine\ndefault-key = \"{a}\"\n")).unwrap();
    env.write("m.txt", "hello\n");
    let pw = env.passphrase_file();
    let fix = "hint: choose another with 'zpgp config set default-key QUERY', \
               or remove it with 'zpgp config unset default-key'";

    // The secret key is gone, the certificate is still there.
    std::fs::remove_file(secret_file(&env, &a)).unwrap();
    env.zpgp()
        .arg("--passphrase-file")
        .arg(&pw)
        .args(["sign", "--detached", "m.txt"])
        .assert()
        .code(4)
        .stdout(is_empty())
        .stderr(has(&[
            &format!(
                "zpgp: error: you do not hold the secret key of the default key <a@example.org> ({a}) ({} line 2)",
                path.display()
            ),
            fix,
        ]));

    // The certificate is gone too.
    env.zpgp().args(["delete", &a]).assert().code(0);
    let gone = format!(
        "zpgp: error: the default key {a} ({} line 2) is not in the keyring",
        path.display()
    );
    env.zpgp()
        .arg("--passphrase-file")
        .arg(&pw)
        .args(["sign", "--detached", "m.txt"])
        .assert()
        .code(4)
        .stdout(is_empty())
        .stderr(has(&[&gone, fix]));
    // Encrypt-to-self needs it as well, and fails before writing anything.
    env.zpgp()
        .args(["encrypt", "-r", "b@example.org", "-o", "m.pgp", "m.txt"])
        .assert()
        .code(4)
        .stdout(is_empty())
        .stderr(has(&[&gone]));
    assert!(!env.path("m.pgp").exists());
    assert!(!env.path("m.txt.sig").exists());
    // --signer does not need the default key.
    env.zpgp()
        .arg("--passphrase-file")
        .arg(&pw)
        .args(["sign", "--detached", "--signer", &b, "m.txt"])
        .assert()
        .code(0);
    // The fix the hint names works.
    env.zpgp()
        .args(["config", "unset", "default-key"])
        .assert()
        .code(0);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
    env.zpgp()
        .args(["encrypt", "-r", "b@example.org", "-o", "m.pgp", "m.txt"])
        .assert()
        .code(0);
}
