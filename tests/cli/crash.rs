//! Crash safety: `zpgp import` and `zpgp passwd` killed with SIGKILL at
//! random moments (fixed seed) leave a keyring that opens, holds only
//! whole certificates, and a secret key that opens with the old or the
//! new passphrase, never neither.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use openpgp::cert::prelude::*;
use openpgp::crypto::Password;
use openpgp::parse::Parse;
use openpgp::serialize::Serialize;
use sequoia_openpgp as openpgp;

use crate::fuzz::Rng;
use crate::harness::{Env, zpgp_bin};

/// Every certificate file on file parses; returns how many there are.
fn certs_on_file_are_whole(home: &Path) -> usize {
    let mut n = 0;
    let mut dirs = vec![home.join("pgp.cert.d")];
    while let Some(dir) = dirs.pop() {
        // Killed before the keyring was made: nothing on file.
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let path = e.path();
            if path.is_dir() {
                dirs.push(path);
            } else if name.len() == 38 && name.chars().all(|c| c.is_ascii_hexdigit()) {
                // <2 hex>/<38 hex>: a certificate.  Temporary files of an
                // interrupted write have other names and are ignored.
                Cert::from_file(&path)
                    .unwrap_or_else(|e| panic!("{} is not whole: {e}", path.display()));
                n += 1;
            }
        }
    }
    n
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// `zpgp list --json` succeeds without warnings; returns the cert count.
fn keyring_opens(env: &Env) -> usize {
    let out = env.zpgp().args(["list", "--json"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "list failed after a kill: {stderr}");
    assert!(!stderr.contains("damaged"), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["keys"].as_array().unwrap().len()
}

fn spawn(env: &Env, args: &[&str]) -> std::process::Child {
    Command::new(zpgp_bin())
        .arg("--home")
        .arg(env.home())
        .arg("--batch")
        .arg("-q")
        .args(args)
        .current_dir(env.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Runs `args`, kills it after `delay` unless it ended; returns whether the
/// kill landed (the process was still running).
fn run_and_kill(env: &Env, args: &[&str], delay: Duration) -> bool {
    let mut child = spawn(env, args);
    let start = Instant::now();
    while start.elapsed() < delay {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let landed = child.try_wait().unwrap().is_none();
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    landed
}

#[test]
fn killed_imports_leave_whole_certificates_and_resume() {
    const CERTS: usize = 300;
    let env = Env::new();
    let mut data = Vec::new();
    for i in 0..CERTS {
        let (c, _) = CertBuilder::general_purpose(Some(format!("<k{i}@example.org>")))
            .generate()
            .unwrap();
        c.serialize(&mut data).unwrap();
    }
    let file = env.write("big.pgp", &data);
    let file = file.to_str().unwrap();

    // How long a whole import takes here, in a home of its own.
    let probe = Env::new();
    let start = Instant::now();
    assert!(
        spawn(&probe, &["import", file]).wait().unwrap().success(),
        "a full import"
    );
    let full = start.elapsed();

    let mut rng = Rng::new(0x00c4_a511);
    let rounds = 6;
    let mut landed = 0;
    for round in 0..rounds {
        let _ = std::fs::remove_dir_all(env.home());
        let delay = full.mul_f64((1 + rng.below(95)) as f64 / 100.0);
        if run_and_kill(&env, &["import", file], delay) {
            landed += 1;
        }
        let on_file = certs_on_file_are_whole(&env.home());
        assert_eq!(keyring_opens(&env), on_file, "round {round}");
        // Running the import again completes it.
        assert!(spawn(&env, &["import", file]).wait().unwrap().success());
        assert_eq!(certs_on_file_are_whole(&env.home()), CERTS);
        assert_eq!(keyring_opens(&env), CERTS);
        for i in [0, CERTS / 2, CERTS - 1] {
            env.zpgp()
                .args(["list", &format!("k{i}@example.org")])
                .assert()
                .success();
        }
    }
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "crash: {rounds} imports of {CERTS} certs killed at random moments of a {} ms run ({landed} while running); each keyring whole and the import resumable",
        full.as_millis()
    );
    assert!(landed >= rounds / 2, "too few kills landed: {landed}");
}

#[test]
fn killed_passwd_leaves_the_old_or_the_new_passphrase() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "alice@example.org"]);
    let a = env.passphrase_file();
    let b = env.write("b.txt", "the second passphrase\n");
    let pw_a = Password::from(crate::harness::PASSPHRASE);
    let pw_b = Password::from("the second passphrase");
    let secret = env.home().join("secret").join(&fpr);

    let args = |from: &Path, to: &Path| -> Vec<String> {
        vec![
            "passwd".into(),
            "--passphrase-file".into(),
            from.to_str().unwrap().into(),
            "--new-passphrase-file".into(),
            to.to_str().unwrap().into(),
            fpr.clone(),
        ]
    };
    // How long one passwd takes.
    let start = Instant::now();
    let a_to_b = args(&a, &b);
    let b_to_a = args(&b, &a);
    assert!(spawn(&env, &refs(&a_to_b)).wait().unwrap().success());
    assert!(spawn(&env, &refs(&b_to_a)).wait().unwrap().success());
    let full = start.elapsed() / 2;

    let mut rng = Rng::new(0x009a_553d);
    let mut current_is_a = true;
    let (mut kills, mut landed, mut changed) = (0, 0, 0);
    for _ in 0..24 {
        let run = if current_is_a { &a_to_b } else { &b_to_a };
        let delay = full.mul_f64(rng.below(120) as f64 / 100.0);
        kills += 1;
        if run_and_kill(&env, &refs(run), delay) {
            landed += 1;
        }
        // Every secret key opens with one passphrase, the same for all.
        let tsk = Cert::from_file(&secret).expect("the secret key file is whole");
        let opens = |pw: &Password| {
            tsk.keys()
                .secret()
                .all(|k| k.key().clone().decrypt_secret(pw).is_ok())
        };
        let (with_a, with_b) = (opens(&pw_a), opens(&pw_b));
        assert!(with_a != with_b, "opens with a: {with_a}, with b: {with_b}");
        if with_a != current_is_a {
            changed += 1;
        }
        current_is_a = with_a;
    }
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "crash: {kills} passwd runs killed at random moments of a {} ms run ({landed} while running, {changed} had changed the passphrase); the key always opened with exactly one of the two",
        full.as_millis()
    );
}

/// The expiry of the primary key as `list --json` reads it (the keyring
/// must open and name the key).
fn expiry_on_file(env: &Env, fpr: &str) -> (String, String) {
    let out = env.zpgp().args(["--json", "list", fpr]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let k = &v["keys"][0];
    let expires = k["expires"].as_str().unwrap_or("never");
    (
        expires[..10.min(expires.len())].to_string(),
        k["state"].as_str().unwrap().to_string(),
    )
}

#[test]
fn killed_expire_and_revoke_leave_the_old_key_or_the_new() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "up@example.org", "--expires", "2y"]);
    let pw = env.passphrase_file();
    let pw = pw.to_str().unwrap();
    let secret = env.home().join("secret").join(&fpr);
    let dates = ["2030-01-01", "2031-01-01"];
    let expire = |d: &str| -> Vec<String> {
        ["--passphrase-file", pw, "expire", &fpr, d]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    // How long one expire takes.
    let start = Instant::now();
    assert!(
        spawn(&env, &refs(&expire(dates[0])))
            .wait()
            .unwrap()
            .success()
    );
    let full = start.elapsed();

    let mut rng = Rng::new(0x00e7_1e55);
    let (mut landed, mut seen) = (0, std::collections::BTreeSet::new());
    for round in 0..16 {
        // Not the date on file, so that a finished run shows.
        let want = dates[(round + 1) % 2];
        // A run stamps its signatures with the current second; one in the
        // same second as the last could tie with it.
        std::thread::sleep(Duration::from_millis(1000));
        let delay = full.mul_f64(rng.below(120) as f64 / 100.0);
        if run_and_kill(&env, &refs(&expire(want)), delay) {
            landed += 1;
        }
        Cert::from_file(&secret).expect("the secret key file is whole");
        let (date, state) = expiry_on_file(&env, &fpr);
        assert_eq!(state, "valid");
        assert!(dates.contains(&date.as_str()), "round {round}: {date}");
        seen.insert(date);
        // Whatever the kill left, the next run completes.
        assert!(spawn(&env, &refs(&expire(want))).wait().unwrap().success());
        assert_eq!(expiry_on_file(&env, &fpr).0, want);
    }

    // A killed revocation: the key is revoked or not, and whole either way.
    let revoke: Vec<String> = ["--passphrase-file", pw, "revoke", &fpr, "--yes"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut revoked_after = None;
    for round in 0..8 {
        let delay = full.mul_f64(rng.below(100) as f64 / 100.0);
        if run_and_kill(&env, &refs(&revoke), delay) {
            landed += 1;
        }
        Cert::from_file(&secret).expect("the secret key file is whole");
        let (_, state) = expiry_on_file(&env, &fpr);
        assert!(state == "valid" || state == "revoked", "{state}");
        if state == "revoked" {
            revoked_after.get_or_insert(round);
            break;
        }
    }
    assert!(spawn(&env, &refs(&revoke)).wait().unwrap().success());
    assert_eq!(expiry_on_file(&env, &fpr).1, "revoked");
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "crash: expire and revoke killed at random moments of a {} ms run ({landed} kills while running; dates seen {seen:?}; revoked after round {revoked_after:?}); the key was always whole, old or new",
        full.as_millis()
    );
}
