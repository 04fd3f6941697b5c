//! Issue 2: the keyring and key management commands, one submodule per
//! command, with the helpers they share.
//!
//! Fixtures that the CLI cannot make (expired keys, updated certificates,
//! whole keyrings) are built in-process with sequoia-openpgp.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use openpgp::Cert;
use openpgp::cert::prelude::*;
use openpgp::parse::Parse;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::{Serialize, SerializeInto};
use predicates::prelude::*;
use predicates::str::{contains, is_empty, is_match};
use sequoia_openpgp as openpgp;

use crate::harness::{Env, PASSPHRASE, has, no_panic, zpgp_bin};

mod config;
mod delete;
mod doctor;
mod export;
mod generate;
mod home;
mod import;
mod list;
mod passwd;
mod upkeep;
mod watch;

const DAY: u64 = 24 * 60 * 60;

// Helpers shared by the submodules -----------------------------------------

/// stdout of a v4 `generate`: the fingerprint on a line of its own.
pub fn v4_fpr_line() -> impl Predicate<str> {
    is_match(r"\A[0-9A-F]{40}\n\z").unwrap()
}

pub fn stdout_of(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(a.get_output().stdout.clone()).expect("UTF-8 stdout")
}

/// `zpgp list --json`, parsed.
pub fn list_json(env: &Env, args: &[&str]) -> serde_json::Value {
    let a = env
        .zpgp()
        .arg("--json")
        .arg("list")
        .args(args)
        .assert()
        .success()
        .stderr(is_empty());
    serde_json::from_str(&stdout_of(&a)).expect("list --json prints JSON")
}

/// The fingerprints `zpgp list` shows, in order.
pub fn listed(env: &Env) -> Vec<String> {
    list_json(env, &[])["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["fingerprint"].as_str().unwrap().to_string())
        .collect()
}

/// The secret key file of `fpr` in the home (the disk layout is part of the
/// issue: `HOME/secret/FPR`).
pub fn secret_file(env: &Env, fpr: &str) -> PathBuf {
    env.home().join("secret").join(fpr)
}

/// Whether every secret (sub)key in `path` is encrypted and unlocks with
/// `pw`.
pub fn unlocks(path: &Path, pw: &str) -> bool {
    let tsk = Cert::from_file(path).expect("secret key file parses");
    let mut n = 0;
    for ka in tsk.keys().secret() {
        n += 1;
        let key = ka.key().clone();
        if key.has_unencrypted_secret()
            || key
                .decrypt_secret(&openpgp::crypto::Password::from(pw))
                .is_err()
        {
            return false;
        }
    }
    n > 0
}

/// Whether every secret (sub)key in `path` is stored without a passphrase.
pub fn unprotected(path: &Path) -> bool {
    let tsk = Cert::from_file(path).expect("secret key file parses");
    tsk.keys().secret().count() > 0
        && tsk
            .keys()
            .secret()
            .all(|ka| ka.key().has_unencrypted_secret())
}

/// Every file under `dir` with its contents, to show that a failed command
/// changed nothing.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.insert(p.clone(), Vec::new());
                walk(&p, out);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &mut out);
    out
}

/// A Cv25519 certificate made with sequoia (secret parts included).
pub fn make_cert(uid: &str) -> Cert {
    CertBuilder::general_purpose(Some(uid))
        .generate()
        .expect("generate fixture")
        .0
}

pub fn armored(cert: &Cert) -> Vec<u8> {
    cert.armored().to_vec().unwrap()
}

pub fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Years since 1970, roughly: enough to name a date that is surely ahead.
fn this_year() -> u64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    1970 + secs * 10_000 / (DAY * 3_652_425)
}

fn parse_cert(bytes: &[u8]) -> Cert {
    Cert::from_bytes(bytes).expect("output parses as a certificate")
}
