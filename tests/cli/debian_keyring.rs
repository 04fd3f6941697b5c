//! Issue 20.2 on a real keyring: the Debian developers' keyring (package
//! debian-keyring, installed by `scripts/deps.sh --test`) imports whole;
//! what the policy refuses is stored, not valid, and counted as such.

use openpgp::cert::CertParser;
use openpgp::parse::Parse;
use openpgp::policy::StandardPolicy;
use predicates::prelude::*;
use sequoia_openpgp as openpgp;

use crate::harness::Env;

const KEYRING: &str = "/usr/share/keyrings/debian-keyring.gpg";

#[test]
fn the_debian_keyring_imports_whole() {
    if !std::path::Path::new(KEYRING).exists() {
        if std::env::var_os("CI").is_some() {
            panic!("{KEYRING} is missing, and CI is set: scripts/deps.sh --test installs it");
        }
        eprintln!("SKIPPED: {KEYRING} is missing (package debian-keyring)");
        return;
    }
    // What to expect, judged here with sequoia's standard policy itself.
    let policy = StandardPolicy::new();
    let certs: Vec<openpgp::Cert> = CertParser::from_file(KEYRING)
        .unwrap()
        .map(|c| c.expect("the Debian keyring parses"))
        .collect();
    let invalid: Vec<&openpgp::Cert> = certs
        .iter()
        .filter(|c| c.with_policy(&policy, None).is_err())
        .collect();
    assert!(
        !invalid.is_empty(),
        "the keyring has SHA-1-only certificates"
    );

    let env = Env::new();
    let out = env
        .zpgp()
        .args(["--json", "import", KEYRING])
        .assert()
        .code(0);
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["new"], certs.len(), "{}", v["new"]);
    assert_eq!(v["rejected"], 0);
    assert_eq!(v["stored_invalid"], invalid.len());
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(stderr.contains("stored, not valid: "), "{stderr}");

    // One of them: found by its fingerprint and listed invalid with the
    // reason; not found by its address.
    let weak = invalid[0];
    let fpr = weak.fingerprint().to_hex();
    env.zpgp()
        .args(["list", &fpr])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("[invalid: "));
    if let Some(email) = weak
        .userids()
        .find_map(|u| u.userid().email_normalized().ok().flatten())
    {
        // Unless a valid certificate has the same address.
        let shared = certs.iter().any(|c| {
            c.fingerprint() != weak.fingerprint()
                && c.with_policy(&policy, None).is_ok_and(|vc| {
                    vc.userids().any(|u| {
                        u.userid().email_normalized().ok().flatten().as_deref() == Some(&email)
                    })
                })
        });
        if !shared {
            env.zpgp().args(["list", &email]).assert().code(4);
        }
    }
    // Every valid one is found by its fingerprint as valid.
    let good = certs
        .iter()
        .find(|c| c.with_policy(&policy, None).is_ok())
        .unwrap();
    env.zpgp()
        .args(["list", &good.fingerprint().to_hex()])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("[invalid").not());
}
