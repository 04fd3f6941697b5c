//! `zpgp doctor`: each problem with its fix, exit 6 until all is well, and
//! the index rebuilt when it does not match the certificates.

use super::*;

use crate::harness::year_old_cert;

fn set_mode(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `zpgp doctor` in a home where all is well.
fn assert_clean(env: &Env) {
    env.zpgp()
        .arg("doctor")
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(is_match(r"\Azpgp: all is well: checked the home, the index, \d+ keys? of yours, the config file\n\z").unwrap());
}

#[test]
fn doctor_is_quiet_on_a_clean_home() {
    let env = Env::new();
    env.generate(&["--email", "me@example.org"]);
    env.zpgp()
        .arg("doctor")
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(
            "zpgp: all is well: checked the home, the index, 1 key of yours, the config file\n",
        );
    env.zpgp()
        .args(["-q", "doctor"])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(is_empty());
    let a = env.zpgp().args(["--json", "doctor"]).assert().code(0);
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert_eq!(v, serde_json::json!({"problems": [], "fixed": []}));
}

#[test]
fn doctor_reports_modes_with_the_chmod_that_fixes_them() {
    let env = Env::new();
    env.generate(&["--email", "me@example.org"]);
    let secret = env.home().join("secret");
    set_mode(&secret, 0o750);
    env.zpgp()
        .arg("doctor")
        .assert()
        .code(6)
        .stdout(format!(
            "problem: other users may read the secret key directory {s} (mode 0750)\n    \
             fix: chmod 700 {s}\n\
             problem: your keys were not checked: the keyring cannot be opened until the home is fixed\n",
            s = secret.display()
        ))
        .stderr("zpgp: 2 problems found\n");
    set_mode(&secret, 0o700);

    let revocations = env.home().join("revocations");
    set_mode(&revocations, 0o755);
    env.zpgp()
        .arg("doctor")
        .assert()
        .code(6)
        .stdout(format!(
            "problem: other users may read the revocation certificates' directory {r} (mode 0755)\n    \
             fix: chmod 700 {r}\n",
            r = revocations.display()
        ))
        .stderr("zpgp: 1 problem found\n");
    set_mode(&revocations, 0o700);
    assert_clean(&env);
}

#[test]
fn doctor_reports_a_missing_revocation_certificate_and_its_fix_works() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "me@example.org"]);
    let rev = env.home().join("revocations").join(format!("{fpr}.rev"));
    std::fs::remove_file(&rev).unwrap();
    let a = env
        .zpgp()
        .arg("doctor")
        .assert()
        .code(6)
        .stderr("zpgp: 1 problem found\n");
    let out = stdout_of(&a);
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!(
            "problem: no revocation certificate for your key {fpr} at {}: if the secret key \
             is lost, you cannot revoke it",
            rev.display()
        )
    );
    let fix = lines.next().unwrap().strip_prefix("    fix: ").unwrap();
    assert!(fix.starts_with("zpgp export --secret -o "), "{fix}");
    assert!(lines.next().is_none(), "{out}");

    // The fix, run as the user would (their home is the default one).
    let bin = zpgp_bin();
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let fix = fix.replace("PASSFILE", &env.passphrase_file().display().to_string());
    let status = std::process::Command::new("sh")
        .args(["-c", &fix])
        .env("PATH", path)
        .env("ZPGP_HOME", env.home())
        .current_dir(env.dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(rev.exists());
    assert_clean(&env);
    // What it wrote revokes the key.
    let revoked = Cert::from_file(&rev).unwrap();
    assert_eq!(format!("{:X}", revoked.fingerprint()), fpr);
    assert!(matches!(
        revoked.revocation_status(&StandardPolicy::new(), None),
        openpgp::types::RevocationStatus::Revoked(_)
    ));
    assert_eq!(listed(&env), vec![fpr]);
}

#[test]
fn doctor_rebuilds_an_index_that_does_not_match() {
    let env = Env::new();
    env.generate(&["--email", "me@example.org"]);
    let index = env.home().join("index");
    env.zpgp().args(["list", "me@example.org"]).assert().code(0);
    let good = std::fs::read(&index).unwrap();
    assert_clean(&env);

    for why in [
        "was missing",
        "was damaged or of an older version",
        // Same length, same header: only a comparison with the
        // certificates shows it.
        "did not agree with the certificates",
    ] {
        match why {
            "was missing" => std::fs::remove_file(&index).unwrap(),
            "was damaged or of an older version" => std::fs::write(&index, "garbage\n").unwrap(),
            _ => {
                let text = String::from_utf8(good.clone()).unwrap();
                std::fs::write(&index, text.replace("me@example.org", "xx@example.org")).unwrap()
            }
        }
        env.zpgp()
            .arg("doctor")
            .assert()
            .code(0)
            .stdout(format!(
                "fixed: the keyring index {why}; rebuilt it from 1 certificate\n"
            ))
            .stderr(has(&["zpgp: all is well"]));
        assert_eq!(std::fs::read(&index).unwrap(), good, "{why}");
        assert_clean(&env);
    }
}

#[test]
fn doctor_reports_config_problems() {
    let env = Env::new();
    env.generate(&["--email", "me@example.org"]);
    let path = env.home().join("config.toml");
    let fix_config = "correct or remove that line; the settings zpgp knows: default-key (";

    std::fs::write(&path, "# mine\ncolour = \"blue\"\n").unwrap();
    env.zpgp()
        .arg("doctor")
        .assert()
        .code(6)
        .stdout(
            contains(format!(
                "problem: the config file {} line 2: unknown setting \"colour\"\n    fix: {fix_config}",
                path.display()
            ))
            .and(is_match(r"\Aproblem: [^\n]*\n    fix: [^\n]*\n\z").unwrap()),
        )
        .stderr("zpgp: 1 problem found\n");

    let gone = "0123456789ABCDEF0123456789ABCDEF01234567";
    std::fs::write(&path, format!("default-key = \"{gone}\"\n")).unwrap();
    set_mode(&path, 0o666);
    env.zpgp()
        .arg("doctor")
        .assert()
        .code(6)
        .stdout(format!(
            "problem: other users may write to the config file {p} (mode 0666)\n    \
             fix: chmod 600 {p}\n\
             problem: the default key {gone} ({p} line 1) is not in the keyring\n    \
             fix: choose another with 'zpgp config set default-key QUERY', or remove it with \
             'zpgp config unset default-key'\n",
            p = path.display()
        ))
        .stderr("zpgp: 2 problems found\n");

    env.zpgp()
        .args(["config", "set", "default-key", "me@example.org"])
        .assert()
        .code(0);
    assert_eq!(mode(&path), 0o600);
    assert_clean(&env);
}

#[test]
fn doctor_reports_expiring_keys_and_keys_nobody_can_encrypt_to() {
    let env = Env::new();
    let soon = env.generate(&["--email", "soon@example.org", "--expires", "10d"]);
    // A signing-only key of mine, imported (so without a revocation
    // certificate on file).
    let (signer, _) = CertBuilder::new()
        .add_userid("Signer <signer@example.org>")
        .add_signing_subkey()
        .generate()
        .unwrap();
    env.zpgp()
        .arg("import")
        .write_stdin(signer.as_tsk().armored().to_vec().unwrap())
        .assert()
        .code(0);
    let signer = format!("{:X}", signer.fingerprint());

    let a = env
        .zpgp()
        .args(["--json", "doctor"])
        .assert()
        .code(6)
        .stderr("zpgp: 3 problems found\n");
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert_eq!(v["fixed"], serde_json::json!([]));
    let problems = v["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 3, "{v:#}");
    assert!(problems.iter().all(|p| p["area"] == "key"), "{v:#}");
    let find = |fpr: &str, start: &str| {
        problems
            .iter()
            .find(|p| p["key"] == fpr && p["problem"].as_str().unwrap().starts_with(start))
            .unwrap_or_else(|| panic!("no {start:?} for {fpr}: {v:#}"))
    };
    let p = find(
        &soon,
        &format!("your key {soon} (<soon@example.org>) expires "),
    );
    assert_eq!(p["fix"], format!("zpgp expire {soon} 2y"));
    let p = find(
        &signer,
        &format!("your key {signer} has no valid encryption subkey"),
    );
    assert_eq!(p["fix"], format!("zpgp subkey add {signer} --for encrypt"));
    let p = find(&signer, "no revocation certificate for your key");
    assert!(p["fix"].as_str().unwrap().contains("zpgp sop revoke-key"));
}

/// Puts `cert` in the home the way another tool sharing `pgp.cert.d`
/// would, past zpgp's import (which refuses weak material), with a secret
/// key file so that it counts as yours.
fn plant_own(env: &Env, cert: &Cert) -> String {
    let certd = openpgp_cert_d::CertD::with_base_dir(env.home().join("pgp.cert.d")).unwrap();
    let data = cert.to_vec().unwrap();
    certd
        .insert_data(&data, false, |new, _| {
            Ok(openpgp_cert_d::MergeResult::DataRef(new))
        })
        .unwrap();
    let fpr = format!("{:X}", cert.fingerprint());
    let secret = env.home().join("secret").join(&fpr);
    std::fs::write(&secret, cert.as_tsk().to_vec().unwrap()).unwrap();
    set_mode(&secret, 0o600);
    fpr
}

fn old_key(
    mut key: openpgp::packet::key::Key4<
        openpgp::packet::key::SecretParts,
        openpgp::packet::key::PrimaryRole,
    >,
) -> openpgp::packet::Key<openpgp::packet::key::SecretParts, openpgp::packet::key::PrimaryRole> {
    key.set_creation_time(SystemTime::now() - Duration::from_secs(366 * DAY))
        .unwrap();
    key.into()
}

#[test]
fn doctor_reports_weak_keys_that_another_tool_put_on_file() {
    use openpgp::packet::key::Key4;
    use openpgp::types::HashAlgorithm;
    let env = Env::new();
    env.generate(&["--email", "me@example.org"]);
    let sha1 = plant_own(
        &env,
        &year_old_cert(
            old_key(Key4::generate_ed25519().unwrap()),
            HashAlgorithm::SHA1,
            "<sha1@example.org>",
        ),
    );
    let rsa = plant_own(
        &env,
        &year_old_cert(
            old_key(Key4::generate_rsa(1024).unwrap()),
            HashAlgorithm::SHA256,
            "<rsa1024@example.org>",
        ),
    );

    let a = env
        .zpgp()
        .args(["--json", "doctor"])
        .assert()
        .code(6)
        .stderr("zpgp: 6 problems found\n");
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    // The certificate directory changed behind zpgp's index.
    assert_eq!(
        v["fixed"],
        serde_json::json!([{
            "area": "index",
            "what": "the keyring index was older than the certificates; rebuilt it from 3 certificates"
        }])
    );
    let problems: Vec<(String, String, String)> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["key"].as_str().unwrap().to_string(),
                p["problem"].as_str().unwrap().to_string(),
                p["fix"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(problems.len(), 6, "{v:#}");
    let has = |fpr: &str, problem: &str, fix: &str| {
        assert!(
            problems
                .iter()
                .any(|(k, p, f)| k == fpr && p.starts_with(problem) && f.starts_with(fix)),
            "no {problem:?} / {fix:?} for {fpr}: {v:#}"
        )
    };
    for fpr in [&sha1, &rsa] {
        has(
            fpr,
            "no revocation certificate for your key",
            "zpgp export --secret",
        );
        has(
            fpr,
            &format!("your key {fpr} is rejected by the policy: "),
            "make a new key (zpgp generate --name NAME --email EMAIL), then retire this one: ",
        );
    }
    has(
        &sha1,
        &format!(
            "your key {sha1} is bound by weak self-signatures, which other tools reject: \
             user ID <sha1@example.org>'s (SHA1)"
        ),
        "zpgp export --secret",
    );
    has(
        &rsa,
        &format!("the primary key of your key {rsa} is rsa1024, under 2048 bits"),
        &format!(
            "make a new key (zpgp generate --name NAME --email EMAIL), then retire this one: zpgp revoke {rsa} --reason superseded"
        ),
    );
}
