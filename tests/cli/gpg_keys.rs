//! GnuPG interoperability of the key commands: keys made by gpg import into
//! zpgp, and certificates, secret keys and revocations written by zpgp
//! import into gpg.
//!
//! gpg always runs with `--homedir` of a fresh temporary directory (short,
//! because gpg-agent's socket path is limited to about 107 bytes) and its
//! daemons are killed when the test ends.  Without gpg on PATH these tests
//! skip with a message, except under CI (env var `CI` set), where they fail.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::harness::{Env, Gpg, PASSPHRASE};

// ---------------------------------------------------------------------------
// The shared throwaway GnuPG home, with what the key tests add to it.

fn gpg() -> Option<Gpg> {
    Gpg::new()
}

trait GpgKeys {
    fn generate_with_subkey(
        &self,
        userid: &str,
        algo: &str,
        subkey: Option<&str>,
        passphrase: &str,
    ) -> String;
    fn import_output(&self, file: &Path) -> Output;
    fn keys(&self, secret: bool, query: &str) -> Vec<Vec<String>>;
}

impl GpgKeys for Gpg {
    /// Makes a key with `--quick-gen-key USERID ALGO` (and `--quick-add-key
    /// FPR SUBALGO` when given), and returns the primary fingerprint.
    fn generate_with_subkey(
        &self,
        userid: &str,
        algo: &str,
        subkey: Option<&str>,
        passphrase: &str,
    ) -> String {
        let fpr = self.generate(userid, algo, passphrase);
        if let Some(sub) = subkey {
            let mut c = self.cmd_pw(passphrase);
            c.args(["--quick-add-key", &fpr, sub]);
            self.ok(c);
        }
        fpr
    }

    /// `gpg --import FILE`, whatever its outcome.
    fn import_output(&self, file: &Path) -> Output {
        let mut c = self.cmd();
        c.arg("--import").arg(file);
        self.run(c)
    }

    /// `--with-colons --list-keys` (or `--list-secret-keys`) as rows of
    /// fields; empty when gpg finds nothing.
    fn keys(&self, secret: bool, query: &str) -> Vec<Vec<String>> {
        let mut c = self.cmd();
        c.args(["--with-colons", "--fixed-list-mode"])
            .arg(if secret {
                "--list-secret-keys"
            } else {
                "--list-keys"
            })
            .arg(query);
        let out = self.run(c);
        colons(&out.stdout)
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn colons(out: &[u8]) -> Vec<Vec<String>> {
    text(out)
        .lines()
        .map(|l| l.split(':').map(str::to_string).collect())
        .collect()
}

/// The first row of `kind` (e.g. "pub"), and the "fpr" row right after it.
fn row<'a>(rows: &'a [Vec<String>], kind: &str) -> (&'a [String], &'a str) {
    let i = rows
        .iter()
        .position(|r| r[0] == kind)
        .unwrap_or_else(|| panic!("no {kind} line in gpg's listing: {rows:?}"));
    let fpr = rows
        .get(i + 1)
        .filter(|r| r[0] == "fpr")
        .map(|r| r[9].as_str())
        .expect("fpr line after the key line");
    (&rows[i], fpr)
}

// ---------------------------------------------------------------------------
// zpgp helpers.

/// `zpgp list --json QUERY` (with `--secret` if asked): the single key.
fn zpgp_list_one(env: &Env, query: &str, secret: bool) -> Value {
    let mut c = env.zpgp();
    c.args(["--json", "list"]);
    if secret {
        c.arg("--secret");
    }
    let out = c.arg(query).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "zpgp list {query}: {}",
        text(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("list --json is JSON");
    let keys = v["keys"].as_array().expect("keys array");
    assert_eq!(keys.len(), 1, "one key for {query}: {v:#}");
    keys[0].clone()
}

fn zpgp_import(env: &Env, file: &Path) -> Output {
    let out = env.zpgp().arg("import").arg(file).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "zpgp import: {}",
        text(&out.stderr)
    );
    out
}

fn zpgp_export(env: &Env, fpr: &str, secret: bool) -> PathBuf {
    let file = env.path(if secret { "secret.asc" } else { "cert.asc" });
    let mut c = env.zpgp();
    c.arg("export");
    if secret {
        c.arg("--secret");
    }
    let out = c.arg("-o").arg(&file).arg(fpr).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "zpgp export: {}",
        text(&out.stderr)
    );
    let data = std::fs::read_to_string(&file).expect("exported file");
    let header = if secret {
        "-----BEGIN PGP PRIVATE KEY BLOCK-----"
    } else {
        "-----BEGIN PGP PUBLIC KEY BLOCK-----"
    };
    assert!(data.starts_with(header), "armored export: {data}");
    file
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("array expected: {v}"))
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect()
}

/// Exports `fpr` from gpg into a file in `env`.
fn gpg_export(g: &Gpg, env: &Env, fpr: &str, secret_passphrase: Option<&str>) -> PathBuf {
    let (mut c, name) = match secret_passphrase {
        Some(pw) => {
            let mut c = g.cmd_pw(pw);
            c.arg("--export-secret-keys");
            (c, "gpg-secret.asc")
        }
        None => {
            let mut c = g.cmd();
            c.arg("--export");
            (c, "gpg-cert.asc")
        }
    };
    let out = g.ok({
        c.args(["--armor", fpr]);
        c
    });
    assert!(!out.stdout.is_empty(), "gpg exported nothing for {fpr}");
    env.write(name, &out.stdout)
}

// ---------------------------------------------------------------------------
// gpg -> zpgp

#[test]
fn gpg_rsa3072_cert_imports_into_zpgp() {
    let Some(g) = gpg() else { return };
    let env = Env::new();
    let uid = "Rsa Gnupg <rsa@example.org>";
    let fpr = g.generate_with_subkey(uid, "rsa3072", Some("rsa3072"), "");
    let file = gpg_export(&g, &env, &fpr, None);

    let out = zpgp_import(&env, &file);
    let err = text(&out.stderr);
    assert!(err.contains("1 new"), "import report: {err}");

    let k = zpgp_list_one(&env, &fpr, false);
    assert_eq!(k["fingerprint"], fpr.as_str());
    assert_eq!(k["version"], 4);
    assert_eq!(k["algorithm"], "rsa3072");
    assert_eq!(k["bits"], 3072);
    assert_eq!(k["state"], "valid", "{k:#}");
    assert_eq!(k["expires"], Value::Null);
    assert_eq!(k["secret"], false);
    assert_eq!(strs(&k["capabilities"]), ["certify", "sign"]);
    assert_eq!(k["userids"][0]["userid"], uid);
    assert_eq!(k["userids"][0]["email"], "rsa@example.org");
    assert_eq!(k["userids"][0]["state"], "valid");
    let subs = k["subkeys"].as_array().unwrap();
    assert_eq!(subs.len(), 1, "{k:#}");
    assert_eq!(subs[0]["algorithm"], "rsa3072");
    assert_eq!(subs[0]["state"], "valid");
    assert_eq!(strs(&subs[0]["capabilities"]), ["encrypt"]);

    // The same key by email and by key ID.
    let by_email = zpgp_list_one(&env, "rsa@example.org", false);
    assert_eq!(by_email["fingerprint"], fpr.as_str());
    let by_keyid = zpgp_list_one(&env, &fpr[24..], false);
    assert_eq!(by_keyid["fingerprint"], fpr.as_str());

    // The human listing agrees.
    let out = env.zpgp().args(["list", &fpr]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let listing = text(&out.stdout);
    assert!(listing.starts_with("pub   rsa3072 "), "{listing}");
    assert!(listing.contains("[CS]"), "{listing}");
    assert!(listing.contains(&fpr), "{listing}");
    assert!(
        listing.contains(&format!("uid   [unknown ] {uid}")),
        "{listing}"
    );
    assert!(listing.contains("sub   rsa3072 "), "{listing}");

    // Importing it again changes nothing.
    let out = zpgp_import(&env, &file);
    let err = text(&out.stderr);
    assert!(err.contains("1 unchanged"), "second import: {err}");
}

#[test]
fn gpg_ed25519_cv25519_cert_imports_into_zpgp() {
    let Some(g) = gpg() else { return };
    let env = Env::new();
    let uid = "Ed Gnupg <ed@example.org>";
    let fpr = g.generate_with_subkey(uid, "ed25519", Some("cv25519"), "");
    let file = gpg_export(&g, &env, &fpr, None);

    // From standard input, as `gpg --export | zpgp import` would.
    let out = env
        .zpgp()
        .arg("import")
        .pipe_stdin(&file)
        .unwrap()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("1 new"), "{}", text(&out.stderr));

    let k = zpgp_list_one(&env, "ed@example.org", false);
    assert_eq!(k["fingerprint"], fpr.as_str());
    assert_eq!(k["keyid"], &fpr[24..]);
    assert_eq!(k["version"], 4);
    assert_eq!(k["algorithm"], "ed25519");
    assert_eq!(k["state"], "valid", "{k:#}");
    assert_eq!(strs(&k["capabilities"]), ["certify", "sign"]);
    assert_eq!(k["userids"][0]["userid"], uid);
    assert_eq!(k["userids"][0]["state"], "valid");
    let subs = k["subkeys"].as_array().unwrap();
    assert_eq!(subs.len(), 1, "{k:#}");
    assert_eq!(subs[0]["algorithm"], "cv25519");
    assert_eq!(subs[0]["state"], "valid");
    assert_eq!(strs(&subs[0]["capabilities"]), ["encrypt"]);
    // The subkey's fingerprint is the one gpg shows.
    let rows = g.keys(false, &fpr);
    let (_, sub_fpr) = row(&rows, "sub");
    assert_eq!(subs[0]["fingerprint"], sub_fpr);

    // The subkey's key ID finds the certificate too.
    let by_sub = zpgp_list_one(&env, &sub_fpr[24..], false);
    assert_eq!(by_sub["fingerprint"], fpr.as_str());
}

#[test]
fn gpg_secret_key_imports_into_zpgp_and_passwd_works() {
    let Some(g) = gpg() else { return };
    let env = Env::new();
    let old = "old gpg passphrase";
    let new = "new zpgp passphrase";
    let old_file = env.write("old.txt", format!("{old}\n"));
    let new_file = env.write("new.txt", format!("{new}\n"));

    let uid = "Sec Gnupg <sec@example.org>";
    let fpr = g.generate_with_subkey(uid, "ed25519", Some("cv25519"), old);
    let file = gpg_export(&g, &env, &fpr, Some(old));
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("-----BEGIN PGP PRIVATE KEY BLOCK-----")
    );

    let out = zpgp_import(&env, &file);
    let err = text(&out.stderr);
    assert!(err.contains("1 secret key"), "import report: {err}");

    let k = zpgp_list_one(&env, &fpr, true);
    assert_eq!(k["secret"], true);
    assert_eq!(k["state"], "valid");
    let out = env.zpgp().args(["list", "--secret"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let listing = text(&out.stdout);
    assert!(listing.starts_with("sec   ed25519 "), "{listing}");
    assert!(listing.contains(&fpr), "{listing}");

    // OLD -> NEW.
    let passwd = |old: &Path, new: &Path| {
        env.zpgp()
            .args(["passwd", "sec@example.org", "--passphrase-file"])
            .arg(old)
            .arg("--new-passphrase-file")
            .arg(new)
            .output()
            .unwrap()
    };
    let out = passwd(&old_file, &new_file);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("is changed"),
        "{}",
        text(&out.stderr)
    );

    // OLD no longer unlocks it: exit 67, and the key is left as it was.
    let out = passwd(&old_file, &new_file);
    assert_eq!(out.status.code(), Some(67), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("wrong passphrase"), "{err}");
    assert!(
        !err.contains(old) && !err.contains(new),
        "passphrase leaked: {err}"
    );

    // NEW does (and sets it to OLD again).
    let out = passwd(&new_file, &old_file);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = passwd(&new_file, &old_file);
    assert_eq!(out.status.code(), Some(67), "{}", text(&out.stderr));

    // It is still a secret key in the listing.
    let k = zpgp_list_one(&env, &fpr, true);
    assert_eq!(k["secret"], true);
}

#[test]
fn gpg_revocation_certificate_revokes_in_zpgp() {
    let Some(g) = gpg() else { return };
    let env = Env::new();
    let fpr = g.generate_with_subkey(
        "Rev Gnupg <revg@example.org>",
        "ed25519",
        Some("cv25519"),
        "",
    );
    zpgp_import(&env, &gpg_export(&g, &env, &fpr, None));
    assert_eq!(zpgp_list_one(&env, &fpr, false)["state"], "valid");

    // gpg stores one when it makes a key, with a colon before the armor
    // header "to avoid an accidental use"; the user removes it to import.
    let rev = g.home().join("openpgp-revocs.d").join(format!("{fpr}.rev"));
    let rev = std::fs::read_to_string(&rev).expect("gpg's revocation certificate");
    assert!(rev.contains(":-----BEGIN PGP PUBLIC KEY BLOCK-----"));
    let rev = env.write("gpg.rev", rev.replace(":-----BEGIN", "-----BEGIN"));

    zpgp_import(&env, &rev);
    let k = zpgp_list_one(&env, &fpr, false);
    assert_eq!(k["state"], "revoked", "{k:#}");
    let out = env.zpgp().args(["list", &fpr]).output().unwrap();
    assert!(
        text(&out.stdout).contains("[revoked"),
        "{}",
        text(&out.stdout)
    );
}

// ---------------------------------------------------------------------------
// zpgp -> gpg

/// Imports `fpr`'s certificate from zpgp into gpg and checks gpg's view:
/// valid, the user ID, the fingerprint, an encryption subkey.
fn zpgp_cert_valid_in_gpg(generate_args: &[&str], email: &str, algo: &str) {
    let Some(g) = gpg() else { return };
    let env = Env::new();
    let fpr = env.generate(&[&["--name", "Zed Zpgp", "--email", email], generate_args].concat());
    let file = zpgp_export(&env, &fpr, false);

    let out = g.import_output(&file);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("imported: 1"), "{err}");

    let rows = g.keys(false, email);
    let (pub_, pub_fpr) = row(&rows, "pub");
    assert_eq!(pub_fpr, fpr);
    assert!(
        !["e", "r", "i", "n", "d"].contains(&pub_[1].as_str()),
        "gpg's validity of the primary key: {pub_:?}"
    );
    assert_eq!(pub_[3], algo, "gpg's algorithm number: {pub_:?}");
    assert!(pub_[11].contains('E'), "usable for encryption: {pub_:?}");
    assert!(pub_[11].contains('S'), "usable for signing: {pub_:?}");
    assert!(
        rows.iter().any(|r| r[0] == "uid"
            && r[9] == format!("Zed Zpgp <{email}>")
            && !["r", "e", "i"].contains(&r[1].as_str())),
        "uid in gpg's listing: {rows:?}"
    );
    let subs: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "sub").collect();
    assert!(
        subs.iter()
            .any(|r| r[11].contains('e') && !["e", "r", "i"].contains(&r[1].as_str())),
        "valid encryption subkey in gpg's listing: {rows:?}"
    );
    assert!(
        subs.iter().any(|r| r[11].contains('s')),
        "signing subkey in gpg's listing: {rows:?}"
    );

    // gpg can encrypt to it (so it really takes the subkey as usable).
    let mut c = g.cmd();
    c.args([
        "--trust-model",
        "always",
        "--encrypt",
        "--armor",
        "-r",
        &fpr,
    ])
    .arg("-o")
    .arg(env.path("to-zpgp.asc"))
    .arg(env.write("msg.txt", "hello\n"));
    g.ok(c);
}

#[test]
fn zpgp_cv25519_cert_is_valid_in_gpg() {
    zpgp_cert_valid_in_gpg(&[], "cv@example.org", "22");
}

#[test]
fn zpgp_rsa3k_cert_is_valid_in_gpg() {
    zpgp_cert_valid_in_gpg(&["--cipher-suite", "rsa3k"], "rsa3k@example.org", "1");
}

/// gpg 2.2 does not read v6 keys (RFC 9580).  This documents what happens
/// when a user hands one to it: gpg rejects the data and imports nothing.
/// It checks zpgp's side strictly and only reports gpg's side, so a newer
/// gpg that learns v6 does not fail it.
#[test]
fn zpgp_v6_cert_is_refused_by_gpg_2_2() {
    let Some(g) = gpg() else { return };
    let env = Env::new();
    let fpr = env.generate(&["--email", "v6@example.org", "--profile", "rfc9580"]);
    assert_eq!(fpr.len(), 64, "a v6 fingerprint: {fpr}");
    let file = zpgp_export(&env, &fpr, false);

    let out = g.import_output(&file);
    let err = text(&out.stderr);
    let listed = g
        .keys(false, "v6@example.org")
        .iter()
        .any(|r| r[0] == "pub");
    let version = g.ok({
        let mut c = g.cmd();
        c.arg("--version");
        c
    });
    let version = text(&version.stdout);
    eprintln!(
        "NOTE: gpg ({}) on a v6 certificate: exit {:?}, listed afterwards: {listed}\n{err}",
        version.lines().next().unwrap_or("?"),
        out.status.code()
    );
    if version.starts_with("gpg (GnuPG) 2.2.") {
        // What 2.2.40 does: "packet(6) with unknown version 6", "Invalid
        // keyring", exit 2, nothing imported.
        assert!(!out.status.success(), "gpg 2.2 accepted a v6 key? {err}");
        assert!(err.contains("unknown version 6"), "{err}");
        assert!(!listed, "gpg 2.2 lists a v6 key?");
    }
}

#[test]
fn zpgp_secret_key_imports_into_gpg() {
    let Some(g) = gpg() else { return };
    let env = Env::new();
    let fpr = env.generate(&["--name", "Sam Secret", "--email", "sam@example.org"]);
    let file = zpgp_export(&env, &fpr, true);

    let mut c = g.cmd_pw(PASSPHRASE);
    c.arg("--import").arg(&file);
    let out = g.run(c);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("secret keys imported: 1"), "{err}");

    let rows = g.keys(true, &fpr);
    let (sec, sec_fpr) = row(&rows, "sec");
    assert_eq!(sec_fpr, fpr);
    // Field 15: "+" when the secret key is present (not a stub "#").
    assert_eq!(sec[14], "+", "{sec:?}");
    let ssbs: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "ssb").collect();
    assert_eq!(ssbs.len(), 2, "{rows:?}");
    assert!(ssbs.iter().all(|r| r[14] == "+"), "{rows:?}");
    assert!(
        rows.iter()
            .any(|r| r[0] == "uid" && r[9] == "Sam Secret <sam@example.org>"),
        "{rows:?}"
    );

    // gpg can use the secret key: sign with the given passphrase, verify.
    let msg = env.write("msg.txt", "signed by gpg with a zpgp key\n");
    let sig = env.path("msg.sig");
    let mut c = g.cmd_pw(PASSPHRASE);
    c.args(["--local-user", &fpr, "--detach-sign", "-o"])
        .arg(&sig)
        .arg(&msg);
    g.ok(c);
    let mut c = g.cmd();
    c.arg("--verify").arg(&sig).arg(&msg);
    let out = g.ok(c);
    assert!(
        text(&out.stderr).contains("Good signature from \"Sam Secret <sam@example.org>\""),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn zpgp_revocation_certificate_revokes_in_gpg() {
    let Some(g) = gpg() else { return };
    let env = Env::new();
    let fpr = env.generate(&["--email", "rev@example.org"]);
    let out = g.import_output(&zpgp_export(&env, &fpr, false));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows = g.keys(false, &fpr);
    let (pub_, _) = row(&rows, "pub");
    assert_ne!(pub_[1], "r", "revoked before the revocation? {pub_:?}");

    let rev = env.home().join("revocations").join(format!("{fpr}.rev"));
    assert!(
        rev.exists(),
        "zpgp wrote no revocation certificate at {rev:?}"
    );
    let out = g.import_output(&rev);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("revocation certificate added"), "{err}");

    let rows = g.keys(false, &fpr);
    let (pub_, pub_fpr) = row(&rows, "pub");
    assert_eq!(pub_fpr, fpr);
    assert_eq!(pub_[1], "r", "gpg shows the key as revoked: {pub_:?}");

    // And the same file revokes it in zpgp.
    zpgp_import(&env, &rev);
    assert_eq!(zpgp_list_one(&env, &fpr, false)["state"], "revoked");
}
