//! `zpgp import`: armored and binary, files and stdin, keyrings, merges,
//! secret keys, revocations, and every kind of bad input (which must leave
//! the keyring as it was).

use super::*;

/// A home holding one generated key, and its armored export in `file`.
fn exported(file: &str, email: &str) -> (Env, String, PathBuf) {
    let env = Env::new();
    let fpr = env.generate(&["--name", "Exported", "--email", email]);
    let path = env.path(file);
    env.zpgp()
        .args(["export", "-o"])
        .arg(&path)
        .arg(&fpr)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(is_empty());
    (env, fpr, path)
}

#[test]
fn import_armored_from_file_and_stdin() {
    let (_a, fpr, file) = exported("a.asc", "a@example.org");
    let b = Env::new();
    b.zpgp()
        .arg("import")
        .arg(&file)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&[
            &format!("zpgp: new       {fpr} Exported <a@example.org>"),
            "1 certificate processed: 1 new, 0 updated, 0 unchanged, 0 rejected",
        ]));
    assert_eq!(listed(&b), std::slice::from_ref(&fpr));
    assert_eq!(list_json(&b, &[])["keys"][0]["secret"], false);

    for how in [None, Some("-")] {
        let c = Env::new();
        c.zpgp()
            .arg("import")
            .args(how)
            .pipe_stdin(&file)
            .unwrap()
            .assert()
            .code(0)
            .stdout(is_empty())
            .stderr(has(&["1 new"]));
        assert_eq!(listed(&c), std::slice::from_ref(&fpr));
    }
}

#[test]
fn import_binary() {
    let a = Env::new();
    let fpr = a.generate(&["--email", "bin@example.org"]);
    let out = a
        .zpgp()
        .args(["export", "--binary", &fpr])
        .assert()
        .code(0)
        .stderr(is_empty());
    let bytes = out.get_output().stdout.clone();
    assert!(bytes[0] & 0x80 != 0, "not binary OpenPGP");
    let b = Env::new();
    b.zpgp()
        .arg("import")
        .write_stdin(bytes)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&["1 new"]));
    assert_eq!(listed(&b), [fpr]);
}

#[test]
fn import_several_files() {
    let (_a, fa, a) = exported("a.asc", "a@example.org");
    let (_b, fb, b) = exported("b.asc", "b@example.org");
    let c = Env::new();
    c.zpgp()
        .arg("import")
        .arg(&a)
        .arg(&b)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&["2 certificates processed: 2 new"]));
    let mut want = vec![fa, fb];
    want.sort();
    assert_eq!(listed(&c), want);
}

#[test]
fn import_keyring_of_several_certs_in_one_file() {
    let certs: Vec<Cert> = (0..3)
        .map(|i| make_cert(&format!("Ring {i} <ring{i}@example.org>")))
        .collect();
    let mut data = Vec::new();
    for c in &certs {
        c.serialize(&mut data).unwrap();
    }
    let env = Env::new();
    let file = env.write("ring.pgp", &data);
    env.zpgp()
        .arg("import")
        .arg(&file)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&["3 certificates processed: 3 new"]));
    let mut want: Vec<String> = certs
        .iter()
        .map(|c| format!("{:X}", c.fingerprint()))
        .collect();
    want.sort();
    assert_eq!(listed(&env), want);
    // Armored, the same keyring gives the same answer: all unchanged.
    let mut armored_ring = Vec::new();
    {
        let mut w = openpgp::armor::Writer::new(&mut armored_ring, openpgp::armor::Kind::PublicKey)
            .unwrap();
        w.write_all_certs(&certs);
        w.finalize().unwrap();
    }
    env.zpgp()
        .arg("import")
        .write_stdin(armored_ring)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&["0 new, 0 updated, 3 unchanged"]));
}

trait WriteAll {
    fn write_all_certs(&mut self, certs: &[Cert]);
}

impl<W: std::io::Write> WriteAll for W {
    fn write_all_certs(&mut self, certs: &[Cert]) {
        for c in certs {
            c.serialize(self).unwrap();
        }
    }
}

#[test]
fn import_again_is_unchanged() {
    let (_a, fpr, file) = exported("a.asc", "a@example.org");
    let b = Env::new();
    b.zpgp().arg("import").arg(&file).assert().code(0);
    b.zpgp()
        .arg("import")
        .arg(&file)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&[
            &format!("zpgp: unchanged {fpr}"),
            "0 new, 0 updated, 1 unchanged, 0 rejected",
        ]));
    assert_eq!(listed(&b), [fpr]);
}

/// `cert` with one more user ID, bound by its own primary key.
pub fn with_userid(cert: &Cert, uid: &str) -> Cert {
    let mut signer = cert
        .primary_key()
        .key()
        .clone()
        .parts_into_secret()
        .unwrap()
        .into_keypair()
        .unwrap();
    let uid = openpgp::packet::UserID::from(uid);
    let sig = uid
        .bind(
            &mut signer,
            cert,
            openpgp::packet::signature::SignatureBuilder::new(
                openpgp::types::SignatureType::PositiveCertification,
            ),
        )
        .unwrap();
    cert.clone()
        .insert_packets(vec![openpgp::Packet::from(uid), sig.into()])
        .unwrap()
        .0
}

#[test]
fn import_merges_an_updated_cert() {
    let cert = make_cert("Merge <merge@example.org>");
    let fpr = format!("{:X}", cert.fingerprint());
    let env = Env::new();
    env.zpgp()
        .arg("import")
        .write_stdin(armored(&cert))
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&["1 new"]));
    env.zpgp()
        .args(["list", "merge2@example.org"])
        .assert()
        .code(4)
        .stdout(is_empty())
        .stderr(has(&["no key in the keyring matches <merge2@example.org>"]));

    let updated = with_userid(&cert, "Merge Two <merge2@example.org>");
    env.zpgp()
        .arg("import")
        .write_stdin(armored(&updated))
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&[
            &format!("zpgp: updated   {fpr}"),
            "0 new, 1 updated, 0 unchanged",
        ]));
    // Both user IDs on file, and the new one is found.
    env.zpgp()
        .args(["list", "merge2@example.org"])
        .assert()
        .code(0)
        .stdout(
            contains("uid   [unknown ] Merge <merge@example.org>\n").and(contains(
                "uid   [unknown ] Merge Two <merge2@example.org>\n",
            )),
        )
        .stderr(is_empty());
    // Importing the old cert again loses nothing.
    env.zpgp()
        .arg("import")
        .write_stdin(armored(&cert))
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&["1 unchanged"]));
    assert_eq!(
        list_json(&env, &[])["keys"][0]["userids"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn import_secret_key() {
    let a = Env::new();
    let fpr = a.generate(&["--email", "sec@example.org"]);
    let file = a.path("sec.asc");
    a.zpgp()
        .args(["export", "--secret", "-o"])
        .arg(&file)
        .arg(&fpr)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(is_empty());
    assert_eq!(mode(&file), 0o600);

    let b = Env::new();
    b.zpgp()
        .arg("import")
        .arg(&file)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(
            has(&["(secret key: new)", "1 new", "; 1 secret key"])
                .and(contains("no passphrase").not()),
        );
    b.zpgp()
        .args(["list", "--secret"])
        .assert()
        .code(0)
        .stdout(is_match(format!(r"\Asec   ed25519 .*\n      {fpr}\n")).unwrap())
        .stderr(is_empty());
    let s = secret_file(&b, &fpr);
    assert_eq!(mode(&s), 0o600);
    assert!(unlocks(&s, PASSPHRASE));
    // Again: unchanged, secret too.
    b.zpgp()
        .arg("import")
        .arg(&file)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&["(secret key: unchanged)", "1 unchanged"]));
}

#[test]
fn import_unprotected_secret_key_warns() {
    let cert = make_cert("Bare <bare@example.org>");
    let fpr = format!("{:X}", cert.fingerprint());
    let env = Env::new();
    env.zpgp()
        .arg("import")
        .write_stdin(cert.as_tsk().armored().to_vec().unwrap())
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&[
            &format!("warning: the secret key {fpr} has no passphrase"),
            &format!("zpgp passwd {fpr}"),
        ]));
    assert_eq!(list_json(&env, &["--secret"])["keys"][0]["secret"], true);
}

#[test]
fn import_revocation_certificate_revokes() {
    let env = Env::new();
    let fpr = env.generate(&["--email", "revoke-me@example.org"]);
    let rev = env.home().join("revocations").join(format!("{fpr}.rev"));
    env.zpgp()
        .arg("import")
        .arg(&rev)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&[&format!("zpgp: updated   {fpr}"), "1 updated"]));
    env.zpgp()
        .arg("list")
        .assert()
        .code(0)
        .stdout(is_match(r"\Asec   ed25519 \S+ \[C\] expires \S+ \[revoked").unwrap())
        .stderr(is_empty());
    let v = list_json(&env, &[]);
    assert_eq!(v["keys"][0]["state"], "revoked");
    // The state says "revoked"; the reason says why, without repeating it.
    let reason = v["keys"][0]["reason"].as_str().unwrap();
    assert!(
        !reason.is_empty() && !reason.contains("revoked: revoked"),
        "{reason}"
    );
}

#[test]
fn import_bare_revocation_signature_revokes() {
    // A revocation as other tools export it: only the signature packet.
    let env = Env::new();
    let (cert, rev) = CertBuilder::general_purpose(Some("<bare-rev@example.org>"))
        .generate()
        .unwrap();
    let fpr = format!("{:X}", cert.fingerprint());
    env.zpgp()
        .arg("import")
        .write_stdin(armored(&cert))
        .assert()
        .code(0);
    let sig = openpgp::Packet::from(rev).to_vec().unwrap();
    env.zpgp()
        .arg("import")
        .write_stdin(sig.clone())
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(has(&[&format!("updated   {fpr}")]));
    assert_eq!(list_json(&env, &[])["keys"][0]["state"], "revoked");

    // For a key that is not on file, it is rejected.
    let other = Env::new();
    other
        .zpgp()
        .arg("import")
        .write_stdin(sig)
        .assert()
        .code(41)
        .stdout(is_empty())
        .stderr(has(&["rejected", "revokes no key in the keyring"]));
}

/// A home with one key in it, and a snapshot of its files.
fn populated() -> (Env, BTreeMap<PathBuf, Vec<u8>>) {
    let env = Env::new();
    env.generate(&["--email", "keep@example.org"]);
    // Let list settle the index first, so the snapshot is stable.
    listed(&env);
    let snap = snapshot(&env.home());
    (env, snap)
}

#[test]
fn import_garbage_changes_nothing() {
    let (env, before) = populated();
    let garbage = env.write("garbage.asc", b"\x00\x01 this is not a key, just noise\n");
    env.zpgp()
        .arg("import")
        .arg(&garbage)
        .assert()
        .code(41)
        .stdout(is_empty())
        .stderr(has(&[
            "zpgp: error: ",
            "garbage.asc is not OpenPGP key data",
        ]));
    assert_eq!(snapshot(&env.home()), before);
}

#[test]
fn import_gzip_says_gzip() {
    let (env, before) = populated();
    let gz = env.write("keys.gz", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03junk");
    env.zpgp()
        .arg("import")
        .arg(&gz)
        .assert()
        .code(41)
        .stdout(is_empty())
        .stderr(has(&["keys.gz is not OpenPGP key data", "gzip"]));
    assert_eq!(snapshot(&env.home()), before);
}

/// An armored key cut short: `keep` characters of its base64 body.
fn cut_armor(cert: &Cert, keep: usize) -> Vec<u8> {
    let text = armored(cert);
    let body = text.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    text[..body + keep].to_vec()
}

#[test]
fn import_armor_cut_inside_the_primary_key_fails() {
    let (env, before) = populated();
    let cut = env.write("cut.asc", cut_armor(&make_cert("<cut@example.org>"), 40));
    env.zpgp()
        .arg("import")
        .arg(&cut)
        .assert()
        .code(41)
        .stdout(is_empty())
        .stderr(has(&["cut.asc", "zpgp: error: "]));
    assert_eq!(snapshot(&env.home()), before);
}

#[test]

fn import_armor_cut_after_the_userid_fails() {
    let (env, before) = populated();
    let cert = make_cert("<cut@example.org>");
    let half = armored(&cert).len() / 2;
    let cut = env.write("cut.asc", cut_armor(&cert, half - 150));
    env.zpgp()
        .arg("import")
        .arg(&cut)
        .assert()
        .code(41)
        .stdout(is_empty())
        .stderr(has(&["cut.asc", "zpgp: error: "]).and(contains("new").not()));
    assert_eq!(snapshot(&env.home()), before);
}

#[test]
fn import_directory_fails() {
    let (env, before) = populated();
    let dir = env.path("adir");
    std::fs::create_dir(&dir).unwrap();
    env.zpgp()
        .arg("import")
        .arg(&dir)
        .assert()
        .code(41)
        .stdout(is_empty())
        .stderr(has(&["adir is a directory"]));
    assert_eq!(snapshot(&env.home()), before);
}

#[test]
fn import_missing_file_fails() {
    let (env, before) = populated();
    env.zpgp()
        .args(["import", "no-such-file.asc"])
        .assert()
        .code(61)
        .stdout(is_empty())
        .stderr(has(&["cannot read no-such-file.asc"]));
    assert_eq!(snapshot(&env.home()), before);
}

#[test]
fn import_empty_file_or_stdin_fails() {
    let (env, before) = populated();
    let empty = env.write("empty.asc", "");
    env.zpgp()
        .arg("import")
        .arg(&empty)
        .assert()
        .code(41)
        .stdout(is_empty())
        .stderr(has(&["empty.asc is empty"]));
    env.zpgp()
        .arg("import")
        .write_stdin("  \n")
        .assert()
        .code(41)
        .stdout(is_empty())
        .stderr(has(&["standard input is empty"]));
    assert_eq!(snapshot(&env.home()), before);
}

#[test]
fn import_good_and_garbage_imports_nothing() {
    let (env, before) = populated();
    let good = env.write("good.asc", armored(&make_cert("<good@example.org>")));
    let bad = env.write("bad.asc", "not a key\n");
    for order in [[&good, &bad], [&bad, &good]] {
        env.zpgp()
            .arg("import")
            .args(order)
            .assert()
            .code(41)
            .stdout(is_empty())
            .stderr(has(&["bad.asc is not OpenPGP key data"]).and(contains("new").not()));
        assert_eq!(snapshot(&env.home()), before);
    }
}

#[test]
fn import_json_report() {
    let cert = make_cert("Jay <jay@example.org>");
    let env = Env::new();
    let a = env
        .zpgp()
        .args(["--json", "import"])
        .write_stdin(armored(&cert))
        .assert()
        .code(0)
        .stderr(has(&["1 new"]));
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert_eq!(v["new"], 1);
    assert_eq!(v["rejected"], 0);
    assert_eq!(
        v["certificates"][0]["fingerprint"],
        format!("{:X}", cert.fingerprint())
    );
    assert_eq!(v["certificates"][0]["status"], "new");
}
