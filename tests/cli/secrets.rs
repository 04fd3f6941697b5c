//! Secrets stay secret: private modes on disk, a refusal (exit 1, with the
//! chmod that fixes it) when others may read secrets or write the keyring,
//! and no passphrase or secret key material in any output.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use openpgp::parse::Parse;
use sequoia_openpgp as openpgp;

use crate::harness::{Env, PASSPHRASE};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

fn chmod(p: &Path, m: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

fn secret_file(env: &Env, fpr: &str) -> std::path::PathBuf {
    env.home().join("secret").join(fpr)
}

#[test]
fn keyring_files_are_private() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "alice@example.org"]);
    assert_eq!(mode(&env.home()), 0o700, "the home");
    assert_eq!(mode(&env.home().join("secret")), 0o700, "secret/");
    assert_eq!(mode(&secret_file(&env, &fpr)), 0o600, "the secret key file");
    assert_eq!(mode(&env.home().join("pgp.cert.d")) & 0o022, 0);
    // Exported secret keys too, whatever the umask allows for other files.
    let out = env.path("alice-secret.asc");
    env.zpgp()
        .args(["export", "--secret", "-o"])
        .arg(&out)
        .arg(&fpr)
        .assert()
        .success();
    assert_eq!(mode(&out), 0o600, "an exported secret key");
    // A passwd rewrite keeps the mode.
    let new = env.write("new.txt", "another passphrase\n");
    env.zpgp()
        .arg("passwd")
        .arg("--passphrase-file")
        .arg(env.passphrase_file())
        .arg("--new-passphrase-file")
        .arg(&new)
        .arg(&fpr)
        .assert()
        .success();
    assert_eq!(mode(&secret_file(&env, &fpr)), 0o600);
}

/// Runs `zpgp ARGS` and checks it is refused with exit 1, naming `path`
/// and the chmod that fixes it.
fn assert_refused(env: &Env, args: &[&str], path: &Path, fix: &str) {
    let out = env.zpgp().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(stderr.contains("refusing to use"), "{stderr}");
    let hint = format!("hint: make it private: chmod {fix} {}", path.display());
    assert!(stderr.contains(&hint), "{stderr} lacks {hint}");
    assert!(out.stdout.is_empty());
}

#[test]
fn refuses_a_keyring_others_can_write_or_read_secrets_in() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "alice@example.org"]);
    let home = env.home();

    // Readable by others is fine for the home; writable is not.
    chmod(&home, 0o755);
    env.zpgp().arg("list").assert().success();
    chmod(&home, 0o775);
    assert_refused(&env, &["list"], &home, "go-w");
    chmod(&home, 0o700);

    let certd = home.join("pgp.cert.d");
    chmod(&certd, 0o777);
    assert_refused(&env, &["list"], &certd, "go-w");
    chmod(&certd, 0o700);

    let secret = home.join("secret");
    chmod(&secret, 0o750);
    assert_refused(&env, &["list"], &secret, "700");
    chmod(&secret, 0o700);

    // A readable secret key file: every command that reads it refuses;
    // the keyring itself still opens.
    let file = secret_file(&env, &fpr);
    chmod(&file, 0o644);
    env.write("m.txt", "hello\n");
    let pw = env.passphrase_file();
    let pw = pw.to_str().unwrap();
    assert_refused(
        &env,
        &["sign", "--passphrase-file", pw, "-o", "m.sig", "m.txt"],
        &file,
        "600",
    );
    assert!(!env.path("m.sig").exists());
    env.zpgp().arg("list").assert().success();
    chmod(&file, 0o600);
    env.zpgp()
        .args(["sign", "--passphrase-file", pw, "-o", "m.sig", "m.txt"])
        .assert()
        .success();
}

/// Every output of a representative run of commands that handle the test
/// passphrases and secret keys, including their failures.
fn outputs_of_a_session(env: &Env, fpr: &str, unprotected: &str) -> Vec<(String, Vec<u8>)> {
    let pw = env.passphrase_file();
    let other = env.write("other.txt", "Tr0ub4dor&3 second secret\n");
    let wrong = env.write("wrong.txt", "not the passphrase\n");
    env.write("m.txt", "a message\n");
    let p = |f: &Path| f.to_str().unwrap().to_string();
    let runs: Vec<Vec<String>> = vec![
        vec!["-v", "list", "--json", "--secret"],
        vec![
            "-v",
            "sign",
            "--passphrase-file",
            &p(&wrong),
            "-o",
            "bad.sig",
            "m.txt",
        ],
        vec![
            "-v",
            "sign",
            "--passphrase-file",
            &p(&pw),
            "-o",
            "m.sig",
            "m.txt",
        ],
        vec!["-v", "--json", "verify", "m.sig"],
        vec!["-v", "encrypt", "-r", fpr, "-o", "m.pgp", "m.txt"],
        vec![
            "-v",
            "--json",
            "decrypt",
            "--passphrase-file",
            &p(&wrong),
            "-o",
            "x1",
            "m.pgp",
        ],
        vec![
            "-v",
            "--json",
            "decrypt",
            "--passphrase-file",
            &p(&pw),
            "-o",
            "x2",
            "m.pgp",
        ],
        vec![
            "-v",
            "encrypt",
            "--password",
            "--passphrase-file",
            &p(&other),
            "-o",
            "pw.pgp",
            "m.txt",
        ],
        vec![
            "-v",
            "decrypt",
            "--passphrase-file",
            &p(&wrong),
            "-o",
            "x3",
            "pw.pgp",
        ],
        vec![
            "-v",
            "decrypt",
            "--passphrase-file",
            &p(&other),
            "-o",
            "x4",
            "pw.pgp",
        ],
        vec![
            "-v",
            "passwd",
            "--passphrase-file",
            &p(&wrong),
            "--new-passphrase-file",
            &p(&other),
            fpr,
        ],
        vec![
            "-v",
            "passwd",
            "--passphrase-file",
            &p(&pw),
            "--new-passphrase-file",
            &p(&other),
            fpr,
        ],
        vec![
            "-v",
            "passwd",
            "--passphrase-file",
            &p(&other),
            "--new-passphrase-file",
            &p(&pw),
            fpr,
        ],
        vec!["-v", "export", "--secret", fpr],
        vec!["-v", "export", "--secret", unprotected],
        vec!["-v", "--json", "list", unprotected],
        vec![
            "-v",
            "passwd",
            "--passphrase-file",
            "@ENV:ZPGP_TEST_PW",
            "--new-passphrase-file",
            &p(&other),
            fpr,
        ],
        vec!["-v", "sign", "--passphrase-file", "@FD:9", "m.txt"],
    ]
    .into_iter()
    .map(|r| r.into_iter().map(String::from).collect())
    .collect();
    let mut outputs = Vec::new();
    for args in runs {
        let out = env
            .zpgp()
            .env("ZPGP_TEST_PW", "wrong environment passphrase")
            .args(&args)
            .output()
            .unwrap();
        let name = args.join(" ");
        outputs.push((format!("{name} (stdout)"), out.stdout));
        outputs.push((format!("{name} (stderr)"), out.stderr));
    }
    outputs
}

#[test]
fn no_output_shows_a_passphrase_or_secret_key_material() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "alice@example.org"]);
    let out = env
        .zpgp()
        .args(["generate", "--no-passphrase", "--email", "bare@example.org"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let unprotected = String::from_utf8(out.stdout).unwrap().trim().to_string();

    // The unprotected key's secret scalars, to look for in the outputs.
    let tsk = openpgp::Cert::from_file(secret_file(&env, &unprotected)).unwrap();
    let mut secrets: Vec<Vec<u8>> = Vec::new();
    for ka in tsk.keys().secret() {
        if let openpgp::packet::key::SecretKeyMaterial::Unencrypted(u) = ka.key().secret() {
            u.map(|m| {
                let mut v = Vec::new();
                openpgp::serialize::Marshal::serialize(m, &mut v).unwrap();
                // Skip the MPI length prefix; 16 bytes are proof enough.
                secrets.push(v[2..18].to_vec());
            });
        }
    }
    assert!(!secrets.is_empty());

    let outputs = outputs_of_a_session(&env, &fpr, &unprotected);
    let needles: Vec<Vec<u8>> = [
        PASSPHRASE,
        "Tr0ub4dor&3",
        "not the passphrase",
        "wrong environment",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let mut checked = 0;
    for (name, bytes) in &outputs {
        for n in &needles {
            assert!(
                !contains(bytes, n),
                "{name} shows the passphrase {:?}",
                String::from_utf8_lossy(n)
            );
        }
        let hex = hex_upper(bytes);
        for s in &secrets {
            // Raw, and as hex (upper or lower case) in case of a debug dump.
            assert!(!contains(bytes, s), "{name} shows secret key bytes");
            let h = hex_upper(s);
            assert!(
                !contains(&hex, &h) && !contains(&bytes.to_ascii_uppercase(), &h),
                "{name} shows secret key bytes in hex"
            );
        }
        assert!(!contains(bytes, b"panicked"), "{name} panicked");
        checked += 1;
    }
    eprintln!(
        "secrets: {checked} outputs of {} runs checked",
        outputs.len() / 2
    );
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

fn hex_upper(b: &[u8]) -> Vec<u8> {
    b.iter()
        .flat_map(|x| format!("{x:02X}").into_bytes())
        .collect()
}
