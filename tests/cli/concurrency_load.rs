//! Many writers and readers on one home at once: 8 imports of 50
//! certificates each and 4 generates, while `list` and `encrypt` run in a
//! loop.  Every certificate is found afterwards, and no reader ever fails
//! or sees a damaged (half-written) certificate.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use openpgp::cert::prelude::*;
use openpgp::serialize::Serialize;
use sequoia_openpgp as openpgp;

use crate::harness::{Env, zpgp_bin};

#[test]
fn many_writers_and_readers_at_once() {
    const IMPORTS: usize = 8;
    const PER_IMPORT: usize = 50;
    const GENERATES: usize = 4;
    let env = Env::new();
    // A recipient for the readers' encrypt, on file before the writers.
    let (bob, _) = CertBuilder::general_purpose(Some("<bob@example.org>"))
        .generate()
        .unwrap();
    let mut bob_pub = Vec::new();
    bob.serialize(&mut bob_pub).unwrap();
    let bob_file = env.write("bob.pgp", bob_pub);
    env.zpgp().arg("import").arg(&bob_file).assert().success();
    env.write("m.txt", "hello\n");

    let mut files = Vec::new();
    for b in 0..IMPORTS {
        let mut data = Vec::new();
        for i in 0..PER_IMPORT {
            let (c, _) = CertBuilder::general_purpose(Some(format!("<w{b}x{i}@example.org>")))
                .generate()
                .unwrap();
            c.serialize(&mut data).unwrap();
        }
        files.push(env.write(&format!("w{b}.pgp"), data));
    }

    let base = |args: &[&str]| {
        let mut c = Command::new(zpgp_bin());
        c.arg("--home")
            .arg(env.home())
            .args(["--batch", "-q"])
            .args(args)
            .current_dir(env.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    };
    // Readers loop until the writers are done.
    let done = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for r in 0..3 {
        let done = done.clone();
        let home = env.home();
        let dir = env.dir.path().to_path_buf();
        readers.push(std::thread::spawn(move || {
            let mut runs = 0;
            while !done.load(Ordering::SeqCst) || runs < 2 {
                let out_name = format!("r{r}-{runs}.pgp");
                let args: Vec<&str> = if runs % 2 == 0 {
                    vec!["list", "--json"]
                } else {
                    vec!["encrypt", "-r", "bob@example.org", "-o", &out_name, "m.txt"]
                };
                let out = Command::new(zpgp_bin())
                    .arg("--home")
                    .arg(&home)
                    .arg("--batch")
                    .args(&args)
                    .current_dir(&dir)
                    .stdin(Stdio::null())
                    .output()
                    .unwrap();
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(out.status.success(), "reader {args:?} failed: {stderr}");
                assert!(!stderr.contains("damaged"), "reader {args:?}: {stderr}");
                if runs % 2 == 0 {
                    let v: serde_json::Value =
                        serde_json::from_slice(&out.stdout).expect("list --json prints whole JSON");
                    assert!(v["keys"].as_array().is_some_and(|k| !k.is_empty()));
                }
                runs += 1;
            }
            runs
        }));
    }
    let mut writers = Vec::new();
    for f in &files {
        writers.push(base(&["import", f.to_str().unwrap()]).spawn().unwrap());
    }
    for g in 0..GENERATES {
        let email = format!("gen{g}@example.org");
        writers.push(
            base(&["generate", "--no-passphrase", "--email", &email])
                .spawn()
                .unwrap(),
        );
    }

    for w in writers {
        let out = w.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a writer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    done.store(true, Ordering::SeqCst);
    let reads: usize = readers.into_iter().map(|r| r.join().unwrap()).sum();

    // Every certificate is on file and found by its address.
    let keyring = zpgp::keyring::Keyring::open(&env.home()).unwrap();
    let total = IMPORTS * PER_IMPORT + GENERATES + 1;
    assert_eq!(keyring.certs().unwrap().len(), total);
    let mut found = 0;
    let emails = (0..IMPORTS)
        .flat_map(|b| (0..PER_IMPORT).map(move |i| format!("w{b}x{i}@example.org")))
        .chain((0..GENERATES).map(|g| format!("gen{g}@example.org")));
    for email in emails {
        let q = zpgp::query::Query::parse(&email).unwrap();
        assert_eq!(keyring.lookup(&q).unwrap().len(), 1, "{email} not found");
        found += 1;
    }
    for g in 0..GENERATES {
        let q = zpgp::query::Query::parse(&format!("gen{g}@example.org")).unwrap();
        let fpr = keyring.lookup(&q).unwrap().remove(0);
        assert!(keyring.has_secret(&fpr), "gen{g}'s secret key");
    }
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "concurrency: {IMPORTS} imports x {PER_IMPORT} certs + {GENERATES} generates at once, {reads} reader runs (list, encrypt) without a failure; {found} of {} certificates found",
        IMPORTS * PER_IMPORT + GENERATES
    );
}
