//! Several zpgp processes writing one keyring at once lose nothing.

use std::process::{Command, Stdio};

use openpgp::cert::prelude::*;
use openpgp::serialize::Serialize;
use sequoia_openpgp as openpgp;

use crate::harness::{Env, zpgp_bin};

#[test]
fn parallel_imports_and_generates_lose_nothing() {
    let env = Env::new();
    // Create the home first so every process starts from the same state.
    env.zpgp().arg("list").assert().success();

    let batches = 6;
    let per_batch = 15;
    let mut files = Vec::new();
    for b in 0..batches {
        let mut data = Vec::new();
        for i in 0..per_batch {
            let uid = format!("<user{b}x{i}@example.org>");
            let (cert, _) = CertBuilder::general_purpose(Some(uid)).generate().unwrap();
            cert.serialize(&mut data).unwrap();
        }
        files.push(env.write(&format!("batch{b}.pgp"), data));
    }

    let mut children = Vec::new();
    for f in &files {
        children.push(
            Command::new(zpgp_bin())
                .arg("--home")
                .arg(env.home())
                .args(["--batch", "-q", "import"])
                .arg(f)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
    }
    for g in 0..3 {
        children.push(
            Command::new(zpgp_bin())
                .arg("--home")
                .arg(env.home())
                .args(["--batch", "-q", "generate", "--no-passphrase", "--email"])
                .arg(format!("gen{g}@example.org"))
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
    }
    // Readers run while the writers write, and never fail.
    for _ in 0..5 {
        env.zpgp().args(["list", "--json"]).assert().success();
    }
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a writer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let out = env.zpgp().args(["list", "--json"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["keys"].as_array().unwrap().len(),
        batches * per_batch + 3,
        "every certificate is on file"
    );
    for b in 0..batches {
        for i in [0, per_batch - 1] {
            env.zpgp()
                .arg("list")
                .arg(format!("user{b}x{i}@example.org"))
                .assert()
                .code(0)
                .stdout(predicates::str::contains(format!(
                    "user{b}x{i}@example.org"
                )));
        }
    }
    for g in 0..3 {
        env.zpgp()
            .args(["list", "--secret"])
            .arg(format!("gen{g}@example.org"))
            .assert()
            .code(0)
            .stdout(predicates::str::starts_with("sec"));
    }
}
