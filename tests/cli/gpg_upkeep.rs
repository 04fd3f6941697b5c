//! Issue 11, against the real GnuPG: each upkeep change made by zpgp is
//! exported, imported into gpg (a throwaway GNUPGHOME) and checked in
//! `gpg --with-colons --list-keys`; and changes gpg made import into zpgp
//! and list the same.  Without gpg these skip loudly, except under CI.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::harness::{Env, Gpg, PASSPHRASE};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs `zpgp --passphrase-file PW ARGS…`, which must succeed.
fn zpgp_ok(env: &Env, args: &[&str]) -> String {
    let out = env
        .zpgp()
        .arg("--passphrase-file")
        .arg(env.passphrase_file())
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "zpgp {args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn zpgp_key(env: &Env, fpr: &str) -> Value {
    let v: Value = serde_json::from_str(&zpgp_ok(env, &["--json", "list", fpr])).unwrap();
    v["keys"][0].clone()
}

/// zpgp's certificate of `fpr`, exported to a file.
fn export(env: &Env, fpr: &str, name: &str) -> PathBuf {
    let file = env.path(name);
    zpgp_ok(env, &["export", "-o", file.to_str().unwrap(), fpr]);
    file
}

/// gpg's colon listing of `fpr` as rows of fields.
fn gpg_rows(g: &Gpg, fpr: &str) -> Vec<Vec<String>> {
    let mut c = g.cmd();
    c.args(["--with-colons", "--fixed-list-mode", "--list-keys", fpr]);
    let out = g.ok(c);
    text(&out.stdout)
        .lines()
        .map(|l| l.split(':').map(str::to_string).collect())
        .collect()
}

/// The rows of `kind` ("pub", "sub", "uid") with the fingerprint of each key
/// row (uid rows get the user ID instead).
fn gpg_of(rows: &[Vec<String>], kind: &str) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if r[0] != kind {
            continue;
        }
        let name = if kind == "uid" {
            r[9].clone()
        } else {
            rows[i + 1][9].clone()
        };
        out.push((r.clone(), name));
    }
    out
}

/// Seconds since 1970 of midnight UTC of a date.
fn epoch(date: &str) -> u64 {
    zpgp::time::parse_date(date)
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn zpgp_expiry_changes_reach_gpg() {
    let Some(g) = Gpg::new() else { return };
    let env = Env::new();
    let fpr = env.generate(&["--email", "gexp@example.org", "--expires", "1y"]);
    zpgp_ok(&env, &["expire", &fpr, "2030-06-30"]);
    g.import(&export(&env, &fpr, "c1.asc"));
    let rows = gpg_rows(&g, &fpr);
    let want = epoch("2030-06-30").to_string();
    let (pub_, _) = &gpg_of(&rows, "pub")[0];
    assert_eq!(pub_[6], want, "field 7 of pub: {pub_:?}");
    for (sub, f) in gpg_of(&rows, "sub") {
        assert_eq!(sub[6], want, "field 7 of sub {f}: {sub:?}");
    }

    // One subkey only, then 'never' for the whole key.
    let enc = zpgp_key(&env, &fpr)["subkeys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["capabilities"][0] == "encrypt")
        .unwrap()["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    zpgp_ok(&env, &["expire", &fpr, "2029-01-01", "--subkey", &enc]);
    g.import(&export(&env, &fpr, "c2.asc"));
    let rows = gpg_rows(&g, &fpr);
    for (sub, f) in gpg_of(&rows, "sub") {
        let want = if f == enc { "2029-01-01" } else { "2030-06-30" };
        assert_eq!(sub[6], epoch(want).to_string(), "sub {f}: {sub:?}");
    }
    zpgp_ok(&env, &["expire", &fpr, "never"]);
    g.import(&export(&env, &fpr, "c3.asc"));
    let rows = gpg_rows(&g, &fpr);
    assert_eq!(gpg_of(&rows, "pub")[0].0[6], "", "no expiry: {rows:?}");
    assert!(
        gpg_of(&rows, "sub").iter().all(|(s, _)| s[6].is_empty()),
        "{rows:?}"
    );
}

#[test]
fn zpgp_revocations_reach_gpg() {
    let Some(g) = Gpg::new() else { return };
    let env = Env::new();
    let fpr = env.generate(&[
        "--name",
        "Gina",
        "--email",
        "gina@example.org",
        "--email",
        "gina@old.example",
    ]);
    let sign = zpgp_key(&env, &fpr)["subkeys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["capabilities"][0] == "sign")
        .unwrap()["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    zpgp_ok(
        &env,
        &[
            "revoke",
            &fpr,
            "--subkey",
            &sign,
            "--reason",
            "compromised",
            "--yes",
        ],
    );
    zpgp_ok(
        &env,
        &["userid", "revoke", &fpr, "gina@old.example", "--yes"],
    );
    g.import(&export(&env, &fpr, "r1.asc"));
    let rows = gpg_rows(&g, &fpr);
    assert_ne!(gpg_of(&rows, "pub")[0].0[1], "r", "{rows:?}");
    for (sub, f) in gpg_of(&rows, "sub") {
        assert_eq!(sub[1] == "r", f == sign, "sub {f}: {sub:?}");
    }
    for (uid, u) in gpg_of(&rows, "uid") {
        assert_eq!(uid[1] == "r", u.contains("old.example"), "uid {u}: {uid:?}");
    }

    zpgp_ok(&env, &["revoke", &fpr, "--reason", "retired", "--yes"]);
    g.import(&export(&env, &fpr, "r2.asc"));
    let rows = gpg_rows(&g, &fpr);
    assert_eq!(gpg_of(&rows, "pub")[0].0[1], "r", "revoked key: {rows:?}");
}

#[test]
fn zpgp_new_subkey_and_user_id_are_used_by_gpg() {
    let Some(g) = Gpg::new() else { return };
    let env = Env::new();
    let fpr = env.generate(&["--email", "gnew@example.org"]);
    // gpg encrypts to the newest encryption subkey: make sure it is newer
    // by a second at least.
    std::thread::sleep(Duration::from_millis(1100));
    zpgp_ok(&env, &["subkey", "rotate", &fpr, "--for", "encrypt"]);
    zpgp_ok(&env, &["userid", "add", &fpr, "G New <gnew@example.net>"]);
    let k = zpgp_key(&env, &fpr);
    let new_enc = k["subkeys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["capabilities"][0] == "encrypt")
        .max_by_key(|s| s["created"].as_str().unwrap().to_string())
        .unwrap()["keyid"]
        .as_str()
        .unwrap()
        .to_string();
    g.import(&export(&env, &fpr, "n.asc"));
    let rows = gpg_rows(&g, &fpr);
    assert!(
        gpg_of(&rows, "uid")
            .iter()
            .any(|(r, u)| u == "G New <gnew@example.net>" && r[1] != "r"),
        "{rows:?}"
    );
    assert_eq!(gpg_of(&rows, "sub").len(), 3, "{rows:?}");

    // gpg writes to the new address, with the new subkey; zpgp reads it.
    let plain = env.write("p.txt", "to the new subkey\n");
    let sealed = env.path("p.txt.gpg");
    let mut c = g.cmd();
    c.args(["--encrypt", "-r", "gnew@example.net", "-o"])
        .arg(&sealed)
        .arg(&plain);
    g.ok(c);
    let mut c = g.cmd();
    c.args(["--list-packets"]).arg(&sealed);
    let packets = text(&g.run(c).stdout);
    assert!(
        packets.to_uppercase().contains(&format!("KEYID {new_enc}")),
        "gpg encrypted to {new_enc}? {packets}"
    );
    let out = env.path("p.out");
    zpgp_ok(
        &env,
        &[
            "decrypt",
            sealed.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(std::fs::read_to_string(out).unwrap(), "to the new subkey\n");
}

#[test]
fn gpg_expiry_and_revocations_import_into_zpgp() {
    let Some(g) = Gpg::new() else { return };
    let env = Env::new();
    let fpr = g.generate("Gus <gus@example.org>", "future-default", "");
    let mut c = g.cmd_pw("");
    c.args(["--quick-set-expire", &fpr, "2031-01-01"]);
    g.ok(c);
    let mut c = g.cmd_pw("");
    c.args(["--quick-add-uid", &fpr, "Gus <gus@old.example>"]);
    g.ok(c);
    // A user ID revocation in the same second as the binding it revokes
    // does not count for sequoia (it must be newer); gpg counts it.  A
    // person takes longer than a second between the two.
    std::thread::sleep(Duration::from_millis(1100));
    let mut c = g.cmd_pw("");
    c.args(["--quick-revoke-uid", &fpr, "Gus <gus@old.example>"]);
    g.ok(c);
    let file = env.path("gus.asc");
    g.export(&fpr, &file);
    zpgp_ok(&env, &["import", file.to_str().unwrap()]);
    let k = zpgp_key(&env, &fpr);
    // gpg sets the expiry at the time of day it runs, not midnight.
    assert!(
        k["expires"].as_str().unwrap().starts_with("2031-01-0"),
        "{k:#}"
    );
    let old = k["userids"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "gus@old.example")
        .unwrap()
        .clone();
    assert_eq!(old["state"], "revoked", "{k:#}");

    // gpg's own revocation certificate (written at generation), armored
    // behind a ':' that keeps it from being imported by accident.
    let rev = g.home().join("openpgp-revocs.d").join(format!("{fpr}.rev"));
    let body = std::fs::read_to_string(&rev)
        .unwrap()
        .replace(":-----BEGIN", "-----BEGIN");
    let rev = env.write("gus.rev", body);
    zpgp_ok(&env, &["import", rev.to_str().unwrap()]);
    assert_eq!(zpgp_key(&env, &fpr)["state"], "revoked");
}

#[test]
fn gpg_secret_key_gets_its_upkeep_in_zpgp() {
    let Some(g) = Gpg::new() else { return };
    let env = Env::new();
    let fpr = g.generate("Gail <gail@example.org>", "future-default", PASSPHRASE);
    let mut c = g.cmd_pw(PASSPHRASE);
    c.args(["--armor", "--export-secret-keys", &fpr]);
    let out = g.ok(c);
    let file = env.write("gail-secret.asc", &out.stdout);
    zpgp_ok(&env, &["import", file.to_str().unwrap()]);

    zpgp_ok(&env, &["expire", &fpr, "2032-02-02"]);
    zpgp_ok(&env, &["subkey", "add", &fpr, "--for", "sign"]);
    zpgp_ok(&env, &["userid", "add", &fpr, "Gail <gail@example.net>"]);
    let k = zpgp_key(&env, &fpr);
    assert_eq!(&k["expires"].as_str().unwrap()[..10], "2032-02-02");
    // The imported key still signs, with its new subkey or its old.
    let doc = env.write("d.txt", "signed after upkeep\n");
    zpgp_ok(&env, &["sign", "--detached", doc.to_str().unwrap()]);

    g.import(&export(&env, &fpr, "gail.asc"));
    let rows = gpg_rows(&g, &fpr);
    assert_eq!(
        gpg_of(&rows, "pub")[0].0[6],
        epoch("2032-02-02").to_string(),
        "{rows:?}"
    );
    assert!(
        gpg_of(&rows, "uid")
            .iter()
            .any(|(_, u)| u == "Gail <gail@example.net>")
    );
    let mut c = g.cmd();
    c.arg("--verify").arg(env.path("d.txt.sig")).arg(&doc);
    let out = g.ok(c);
    assert!(
        text(&out.stderr).contains("Good signature"),
        "{}",
        text(&out.stderr)
    );
}
