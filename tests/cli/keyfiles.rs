//! Issue 20.1: keys and certificates from files, for scripts — the
//! keyring is neither read nor written, and a home that does not exist
//! stays absent.

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use predicates::str::{contains, is_empty};

use crate::harness::{Env, Gpg};

/// `zpgp --home DIR/absent-home --batch ARGS…`: a home nobody made.
fn no_home(env: &Env) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("zpgp").unwrap();
    c.env_remove("ZPGP_HOME")
        .arg("--home")
        .arg(absent(env))
        .arg("--batch")
        .current_dir(env.dir.path());
    c
}

fn absent(env: &Env) -> PathBuf {
    env.path("absent-home")
}

/// A key made in `env`'s keyring: its fingerprint, its certificate file
/// and its secret key file.
fn key_files(env: &Env, email: &str) -> (String, PathBuf, PathBuf) {
    let fpr = env.generate(&["--email", email]);
    let cert = env.path(&format!("{email}.asc"));
    let key = env.path(&format!("{email}.key"));
    env.zpgp()
        .args(["export", "-o"])
        .arg(&cert)
        .arg(&fpr)
        .assert()
        .code(0);
    env.zpgp()
        .args(["export", "--secret", "-o"])
        .arg(&key)
        .arg(&fpr)
        .assert()
        .code(0);
    (fpr, cert, key)
}

/// The Debian archive keyring and a signed InRelease file of this
/// machine's apt lists, when both are there.
fn debian_release() -> Option<(PathBuf, PathBuf)> {
    let keyring = PathBuf::from("/usr/share/keyrings/debian-archive-keyring.gpg");
    let release = std::fs::read_dir("/var/lib/apt/lists")
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("_InRelease"))?;
    keyring.exists().then_some((keyring, release))
}

#[test]
fn verify_cert_file_checks_a_release_as_apt_does() {
    let env = Env::new();
    // The real thing where the machine has it, else a release file signed
    // the same way (cleartext) by a key made here.
    let (keyring, release) = match debian_release() {
        Some(found) => found,
        None => {
            eprintln!("NOTE: no Debian archive keyring or apt lists; using a generated release");
            let (_, cert, _) = key_files(&env, "archive@example.org");
            let release = env.write("InRelease.txt", "Origin: Example\nSuite: stable\n");
            env.zpgp()
                .arg("--passphrase-file")
                .arg(env.passphrase_file())
                .args(["sign", "--clear", "-o"])
                .arg(env.path("InRelease"))
                .arg(&release)
                .assert()
                .code(0);
            (cert, env.path("InRelease"))
        }
    };
    let out = env.path("Release");
    no_home(&env)
        .args(["verify", "--cert-file"])
        .arg(&keyring)
        .arg("-o")
        .arg(&out)
        .arg(&release)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(contains("good signature from ").and(contains("zpgp: error").not()));
    assert!(std::fs::metadata(&out).unwrap().len() > 0);
    assert!(!absent(&env).exists(), "the keyring home was created");

    // The wrong key file: no acceptable signature, and no output.
    let (_, other, _) = key_files(&env, "other@example.org");
    let out2 = env.path("Release2");
    no_home(&env)
        .args(["verify", "--cert-file"])
        .arg(&other)
        .arg("-o")
        .arg(&out2)
        .arg(&release)
        .assert()
        .code(3)
        .stdout(is_empty())
        .stderr(
            contains("good signature")
                .not()
                .and(contains("zpgp: error:")),
        );
    assert!(!out2.exists());
    assert!(!absent(&env).exists());
}

#[test]
fn verify_cert_file_with_detached_signatures_and_signer() {
    let env = Env::new();
    let (fpr, cert, _) = key_files(&env, "vendor@example.org");
    let (_, other, _) = key_files(&env, "other@example.org");
    let data = env.write("tool.tar", "release bytes\n");
    env.zpgp()
        .arg("--passphrase-file")
        .arg(env.passphrase_file())
        .args(["sign", "--detached", "--signer", &fpr])
        .arg(&data)
        .assert()
        .code(0);
    let sig = env.path("tool.tar.sig");
    let verify = |files: &[&Path], extra: &[&str]| {
        let mut c = no_home(&env);
        c.arg("verify");
        for f in files {
            c.arg("--cert-file").arg(f);
        }
        c.args(extra).arg("--signature").arg(&sig).arg(&data);
        c.assert()
    };
    verify(&[&cert], &[]).code(0).stderr(contains(format!(
        "good signature from <vendor@example.org> ({fpr})"
    )));
    // Two files; the signer named by address among them.
    verify(&[&other, &cert], &["--signer", "vendor@example.org"]).code(0);
    verify(&[&other, &cert], &["--signer", "other@example.org"])
        .code(3)
        .stderr(contains("zpgp: error:"));
    verify(&[&other], &["--signer", "nobody@example.org"])
        .code(4)
        .stderr(contains(
            "no certificate in the given files matches nobody@example.org",
        ));
    // A file that is not a certificate, or is missing.
    verify(&[&sig], &[]).code(41);
    verify(&[&env.path("missing.asc")], &[]).code(61);
    assert!(!absent(&env).exists());
}

#[test]
fn decrypt_with_a_key_file_from_the_environment() {
    let env = Env::new();
    let (fpr, cert, key) = key_files(&env, "ci@example.org");
    let sealed = env
        .zpgp()
        .args(["encrypt", "--no-self", "-r", &fpr])
        .write_stdin("deploy secret\n")
        .assert()
        .code(0);
    let msg = env.write("secret.pgp", &sealed.get_output().stdout);
    let key_text = std::fs::read_to_string(&key).unwrap();
    no_home(&env)
        .env("CI_KEY", &key_text)
        .arg("--passphrase-file")
        .arg(env.passphrase_file())
        .args(["decrypt", "--key-file", "@ENV:CI_KEY", "-o", "-"])
        .arg(&msg)
        .assert()
        .code(0)
        .stdout("deploy secret\n");
    assert!(
        !absent(&env).exists(),
        "the key must not be stored anywhere"
    );

    // Signed and encrypted: the signer is checked against --cert-file.
    let signed = env
        .zpgp()
        .arg("--passphrase-file")
        .arg(env.passphrase_file())
        .args(["encrypt", "--sign", "-r", &fpr])
        .write_stdin("signed\n")
        .assert()
        .code(0);
    let msg2 = env.write("signed.pgp", &signed.get_output().stdout);
    no_home(&env)
        .env("CI_KEY", &key_text)
        .arg("--passphrase-file")
        .arg(env.passphrase_file())
        .args(["decrypt", "--key-file", "@ENV:CI_KEY", "--cert-file"])
        .arg(&cert)
        .args(["--signer", "ci@example.org", "-o", "-"])
        .arg(&msg2)
        .assert()
        .code(0)
        .stdout("signed\n")
        .stderr(contains("good signature from <ci@example.org>"));

    // A wrong passphrase, a certificate where a key is needed, no such
    // variable: the usual exit codes, and still no home.
    let wrong = env.write("wrong.txt", "nope\n");
    no_home(&env)
        .env("CI_KEY", &key_text)
        .arg("--passphrase-file")
        .arg(&wrong)
        .args(["decrypt", "--key-file", "@ENV:CI_KEY", "-o", "-"])
        .arg(&msg)
        .assert()
        .code(67)
        .stdout(is_empty());
    no_home(&env)
        .args(["decrypt", "--key-file"])
        .arg(&cert)
        .arg(&msg)
        .assert()
        .code(41)
        .stderr(contains("not a secret key"));
    no_home(&env)
        .env_remove("NO_SUCH_KEY")
        .args(["decrypt", "--key-file", "@ENV:NO_SUCH_KEY"])
        .arg(&msg)
        .assert()
        .code(61)
        .stderr(contains("environment variable NO_SUCH_KEY is not set"));
    assert!(!absent(&env).exists());
}

#[test]
fn encrypt_to_a_recipient_file_that_gpg_decrypts() {
    let Some(g) = Gpg::new() else { return };
    let env = Env::new();
    let gfpr = g.generate("Deploy <deploy@example.org>", "future-default", "");
    let cert = env.path("deploy.asc");
    g.export(&gfpr, &cert);
    let plain = env.write("config.env", "TOKEN=s3cret\n");
    no_home(&env)
        .args(["encrypt", "--recipient-file"])
        .arg(&cert)
        .arg(&plain)
        .assert()
        .code(0)
        .stdout(is_empty());
    assert!(!absent(&env).exists(), "the keyring home was created");
    let sealed = env.path("config.env.pgp");
    let mut c = g.cmd();
    c.arg("--decrypt").arg(&sealed);
    let out = g.ok(c);
    assert_eq!(out.stdout, b"TOKEN=s3cret\n");

    // Mixed with -r: both can read it, and so can you (encrypt-to-self
    // comes with the keyring).
    let (fpr, _, _) = key_files(&env, "me@example.org");
    let out = env
        .zpgp()
        .args(["--json", "encrypt", "-r", &fpr, "--recipient-file"])
        .arg(&cert)
        .args(["-o", "-"])
        .arg(&plain)
        .assert()
        .code(0);
    let msg = env.write("mixed.pgp", &out.get_output().stdout);
    let inspect = env
        .zpgp()
        .args(["--json", "inspect"])
        .arg(&msg)
        .assert()
        .code(0);
    let v: serde_json::Value = serde_json::from_slice(&inspect.get_output().stdout).unwrap();
    let recipients = v["encryption"]["recipients"].as_array().unwrap();
    assert_eq!(recipients.len(), 2, "{v:#}");
    assert!(
        recipients
            .iter()
            .any(|r| r["cert_fingerprint"] == fpr.as_str()),
        "{v:#}"
    );
    let mut c = g.cmd();
    c.arg("--decrypt").arg(&msg);
    assert_eq!(g.ok(c).stdout, b"TOKEN=s3cret\n");

    // A file with no usable certificate: exit 41 (not OpenPGP) or 17.
    no_home(&env)
        .args(["encrypt", "--recipient-file"])
        .arg(&plain)
        .arg(&plain)
        .assert()
        .code(41);
    assert!(!absent(&env).exists());
}

#[test]
fn sign_with_a_key_file() {
    let env = Env::new();
    let (fpr, cert, key) = key_files(&env, "release@example.org");
    let (_, _, other_key) = key_files(&env, "other@example.org");
    let data = env.write("tool.tar", "bytes\n");
    no_home(&env)
        .arg("--passphrase-file")
        .arg(env.passphrase_file())
        .args(["sign", "--detached", "--key-file"])
        .arg(&key)
        .arg("--key-file")
        .arg(&other_key)
        .args(["--signer", "release@example.org"])
        .arg(&data)
        .assert()
        .code(0)
        .stdout(is_empty());
    assert!(!absent(&env).exists());
    no_home(&env)
        .args(["--json", "verify", "--cert-file"])
        .arg(&cert)
        .arg("--signature")
        .arg(env.path("tool.tar.sig"))
        .arg(&data)
        .assert()
        .code(0)
        .stderr(contains(&fpr));
    // A wrong passphrase: exit 67, no signature written.
    let wrong = env.write("wrong.txt", "nope\n");
    no_home(&env)
        .arg("--passphrase-file")
        .arg(&wrong)
        .args(["sign", "--key-file"])
        .arg(&key)
        .args(["-o"])
        .arg(env.path("x.pgp"))
        .arg(&data)
        .assert()
        .code(67);
    assert!(!env.path("x.pgp").exists());
}
