//! Issue 19: only what a certificate's owner bound may be found by a
//! query.  Anyone can append a key packet or a user ID packet to a
//! certificate, or bind someone else's key as a subkey without its
//! back-signature; none of that may make a query select the certificate.
//! Also: export's armor comments, import's handling of compressed data,
//! and the owner of the keyring home.

use std::io::Write;
use std::path::Path;

use openpgp::Packet;
use openpgp::cert::prelude::*;
use openpgp::packet::key::{PublicParts, SecretParts, SubordinateRole, UnspecifiedRole};
use openpgp::packet::signature::SignatureBuilder;
use openpgp::packet::{Key, UserID};
use openpgp::serialize::SerializeInto;
use openpgp::serialize::stream::{LiteralWriter, Message, Signer};
use openpgp::types::{KeyFlags, SignatureType};
use predicates::prelude::*;
use predicates::str::{contains, is_empty};
use sequoia_openpgp as openpgp;

use crate::harness::Env;

fn cert(uid: &str) -> Cert {
    CertBuilder::general_purpose(Some(uid))
        .generate()
        .unwrap()
        .0
}

fn armored(cert: &Cert) -> Vec<u8> {
    cert.armored().to_vec().unwrap()
}

/// An inline-signed message made with `key`.
fn signed_by(key: &Key<SecretParts, UnspecifiedRole>, text: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let m = Message::new(&mut out);
    let m = Signer::new(m, key.clone().into_keypair().unwrap())
        .unwrap()
        .build()
        .unwrap();
    let mut w = LiteralWriter::new(m).build().unwrap();
    w.write_all(text).unwrap();
    w.finalize().unwrap();
    out
}

/// The secret signing subkey of a general-purpose cert.
fn signing_key(cert: &Cert) -> Key<SecretParts, UnspecifiedRole> {
    let p = openpgp::policy::StandardPolicy::new();
    cert.with_policy(&p, None)
        .unwrap()
        .keys()
        .for_signing()
        .secret()
        .next()
        .unwrap()
        .key()
        .clone()
        .role_into_unspecified()
}

/// Alice's primary key as a subkey packet.
fn as_subkey(cert: &Cert) -> Key<PublicParts, SubordinateRole> {
    cert.primary_key().key().clone().role_into_subordinate()
}

/// Mallory's certificate carrying Alice's primary key: with no binding
/// signature at all, or bound by Mallory as a signing key without the
/// back-signature only Alice could make.
fn mallory_with(alice: &Cert, bound: bool) -> Cert {
    let mallory = cert("Mallory <mallory@example.org>");
    let subkey = as_subkey(alice);
    let mut packets = vec![Packet::from(subkey.clone())];
    if bound {
        let mut signer = mallory
            .primary_key()
            .key()
            .clone()
            .parts_into_secret()
            .unwrap()
            .into_keypair()
            .unwrap();
        let sig = SignatureBuilder::new(SignatureType::SubkeyBinding)
            .set_key_flags(KeyFlags::empty().set_signing())
            .unwrap()
            .sign_subkey_binding(&mut signer, mallory.primary_key().key(), &subkey)
            .unwrap();
        packets.push(sig.into());
    }
    mallory.insert_packets(packets).unwrap().0
}

fn import(env: &Env, name: &str, data: &[u8]) {
    let f = env.write(name, data);
    env.zpgp()
        .arg("import")
        .arg(&f)
        .assert()
        .code(0)
        .stderr(contains("1 new"));
}

#[test]
fn a_key_that_another_cert_carries_unbound_selects_nothing() {
    let alice = cert("Alice <alice@example.org>");
    for bound in [false, true] {
        let env = Env::new();
        let mallory = mallory_with(&alice, bound);
        import(&env, "mallory.asc", &armored(&mallory));
        let signed = env.write("signed.pgp", signed_by(&signing_key(&mallory), b"hi\n"));
        let alice_fpr = format!("{:X}", alice.fingerprint());
        let alice_id = format!("{:X}", alice.keyid());
        for query in [&alice_fpr, &alice_id] {
            env.zpgp()
                .args(["verify", "--signer", query])
                .arg(&signed)
                .assert()
                .code(4)
                .stdout(is_empty())
                .stderr(contains("no key in the keyring matches"));
            env.zpgp()
                .args(["encrypt", "--no-self", "-r", query, "-o", "m.pgp"])
                .write_stdin("secret\n")
                .assert()
                .code(4)
                .stderr(contains("no key in the keyring matches"));
            assert!(!env.path("m.pgp").exists());
            env.zpgp()
                .args(["list", query])
                .assert()
                .code(4)
                .stdout(is_empty());
        }
        // Mallory's own key still verifies as Mallory.
        env.zpgp()
            .args(["verify", "--signer", "mallory@example.org"])
            .arg(&signed)
            .assert()
            .code(0)
            .stdout("hi\n");
        // The key he carries is shown only with -v, and as unbound.
        env.zpgp()
            .arg("list")
            .assert()
            .code(0)
            .stdout(contains(&alice_fpr).not());
        env.zpgp()
            .args(["-v", "list"])
            .assert()
            .code(0)
            .stdout(contains(&alice_fpr).and(contains("[unbound")));
    }
}

#[test]
fn decrypt_signer_is_not_satisfied_by_a_carried_key() {
    let alice = cert("Alice <alice@example.org>");
    let mallory = mallory_with(&alice, false);
    // Bob receives a message that Mallory signed.
    let bob = Env::new();
    let bob_fpr = bob.generate(&["--name", "Bob", "--email", "bob@example.org"]);
    let bob_cert = bob
        .zpgp()
        .args(["export", &bob_fpr])
        .output()
        .unwrap()
        .stdout;
    let sender = Env::new();
    import(&sender, "bob.asc", &bob_cert);
    let tsk = sender.write("mallory.key", mallory.as_tsk().armored().to_vec().unwrap());
    sender.zpgp().arg("import").arg(&tsk).assert().code(0);
    sender
        .zpgp()
        .args(["encrypt", "--sign", "--no-self", "-r", "bob@example.org"])
        .args(["-o", "m.pgp"])
        .write_stdin("from mallory\n")
        .assert()
        .code(0);
    let msg = std::fs::read(sender.path("m.pgp")).unwrap();
    let msg = bob.write("m.pgp", msg);
    import(&bob, "mallory.asc", &armored(&mallory));
    let pw = bob.passphrase_file();
    bob.zpgp()
        .arg("--passphrase-file")
        .arg(&pw)
        .args(["decrypt", "--signer", &format!("{:X}", alice.fingerprint())])
        .args(["-o", "out.txt"])
        .arg(&msg)
        .assert()
        .code(4)
        .stderr(contains("no key in the keyring matches"));
    assert!(!bob.path("out.txt").exists());
    bob.zpgp()
        .arg("--passphrase-file")
        .arg(&pw)
        .args(["decrypt", "--signer", "mallory@example.org", "-o", "-"])
        .arg(&msg)
        .assert()
        .code(0)
        .stdout("from mallory\n");
}

#[test]
fn a_signer_named_by_subkey_must_have_made_the_signature_with_that_key() {
    let (carol, _) = CertBuilder::new()
        .add_userid("Carol <carol@example.org>")
        .add_signing_subkey()
        .add_signing_subkey()
        .generate()
        .unwrap();
    let env = Env::new();
    import(
        &env,
        "carol.asc",
        &armored(&carol.clone().strip_secret_key_material()),
    );
    let subkeys: Vec<Key<SecretParts, UnspecifiedRole>> = carol
        .keys()
        .subkeys()
        .secret()
        .map(|k| k.key().clone().role_into_unspecified())
        .collect();
    let signed = env.write("signed.pgp", signed_by(&subkeys[0], b"carol\n"));
    let by_first = [
        format!("{:X}", subkeys[0].fingerprint()),
        format!("{:X}", subkeys[0].keyid()),
        format!("{:X}", carol.fingerprint()),
        "carol@example.org".to_string(),
    ];
    for q in &by_first {
        env.zpgp()
            .args(["verify", "--signer", q])
            .arg(&signed)
            .assert()
            .code(0)
            .stdout("carol\n");
    }
    for q in [
        format!("{:X}", subkeys[1].fingerprint()),
        format!("{:X}", subkeys[1].keyid()),
    ] {
        env.zpgp()
            .args(["verify", "--signer", &q, "-o", "out.txt"])
            .arg(&signed)
            .assert()
            .code(3)
            .stderr(contains(format!(
                "no valid signature by the key {:X} of {:X}",
                subkeys[1].fingerprint(),
                carol.fingerprint()
            )));
        assert!(!env.path("out.txt").exists());
    }
}

#[test]
fn an_unsigned_user_id_is_not_searchable() {
    let alice = cert("Alice <alice@example.org>");
    let forged = alice
        .clone()
        .strip_secret_key_material()
        .insert_packets(vec![Packet::from(UserID::from("Bob <bob@example.org>"))])
        .unwrap()
        .0;
    let env = Env::new();
    import(&env, "alice.asc", &armored(&forged));
    let signed = env.write("signed.pgp", signed_by(&signing_key(&alice), b"a\n"));
    for query in ["bob@example.org", "Bob"] {
        env.zpgp()
            .args(["encrypt", "--no-self", "-r", query, "-o", "m.pgp"])
            .write_stdin("for bob\n")
            .assert()
            .code(4)
            .stderr(contains("no key in the keyring matches"));
        env.zpgp()
            .args(["verify", "--signer", query])
            .arg(&signed)
            .assert()
            .code(4)
            .stdout(is_empty());
    }
    env.zpgp()
        .arg("list")
        .assert()
        .code(0)
        .stdout(contains("Alice <alice@example.org>").and(contains("bob@example.org").not()));
    env.zpgp()
        .args(["-v", "list"])
        .assert()
        .code(0)
        .stdout(contains("uid   [unbound ] Bob <bob@example.org>"));
    let json = env.zpgp().args(["--json", "list"]).output().unwrap().stdout;
    assert!(!String::from_utf8_lossy(&json).contains("bob@example.org"));

    // Bob's real key then is the one and only match for his address.
    let bob = cert("Bob <bob@example.org>");
    import(&env, "bob.asc", &armored(&bob));
    env.zpgp()
        .args(["list", "bob@example.org"])
        .assert()
        .code(0)
        .stdout(contains(format!("{:X}", bob.fingerprint())).and(contains("Alice").not()));
    env.zpgp()
        .args([
            "encrypt",
            "--no-self",
            "-r",
            "bob@example.org",
            "-o",
            "m.pgp",
        ])
        .write_stdin("for bob\n")
        .assert()
        .code(0);
}

/// A user ID that holds line breaks and a whole armored key block.
fn injecting_userid(evil: &Cert) -> String {
    let block = String::from_utf8(armored(evil)).unwrap();
    format!("Alice <alice@example.org>\n\n{block}\n-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n")
}

#[test]
fn export_comments_cannot_inject_a_second_key() {
    let evil = cert("Alice <alice@example.org>");
    // The user ID bound by the certificate's owner (a hostile owner), and
    // the same text appended unbound to an honest certificate.
    let (hostile, _) = CertBuilder::new()
        .add_userid(injecting_userid(&evil).as_str())
        .add_transport_encryption_subkey()
        .generate()
        .unwrap();
    let honest = cert("Dave <dave@example.org>")
        .strip_secret_key_material()
        .insert_packets(vec![Packet::from(UserID::from(
            injecting_userid(&evil).as_str(),
        ))])
        .unwrap()
        .0;
    for (c, bound) in [(hostile.strip_secret_key_material(), true), (honest, false)] {
        let env = Env::new();
        import(&env, "c.asc", &armored(&c));
        let out = env
            .zpgp()
            .args(["export", &format!("{:X}", c.fingerprint())])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text.matches("-----BEGIN").count(), 1, "{text}");
        assert_eq!(text.matches("-----END").count(), 1, "{text}");
        // A bound user ID is named, made harmless; an unbound one not at
        // all.
        assert_eq!(
            text.contains("Comment: Alice <alice@example.org>-BEGIN PGP"),
            bound,
            "{text}"
        );
        assert_eq!(text.contains("Comment: Dave"), !bound, "{text}");
        for line in text.lines().filter(|l| l.starts_with("Comment:")) {
            assert!(line.chars().count() <= "Comment: ".len() + 64, "{line}");
            assert!(!line.chars().any(char::is_control), "{line:?}");
        }
        // What the file holds is that one certificate, for zpgp and gpg.
        let fresh = Env::new();
        let f = fresh.write("export.asc", &text);
        fresh
            .zpgp()
            .arg("import")
            .arg(&f)
            .assert()
            .code(0)
            .stderr(contains("1 certificate processed"));
        fresh
            .zpgp()
            .args(["list", &format!("{:X}", evil.fingerprint())])
            .assert()
            .code(4);
        if let Some(gpg) = crate::harness::Gpg::new() {
            let mut cmd = gpg.cmd();
            cmd.args(["--import", f.to_str().unwrap()]);
            let o = gpg.run(cmd);
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains("Total number processed: 1"), "{err}");
        }
    }
}

#[test]
fn a_compressed_bomb_is_refused_without_expanding_it() {
    // tests/data/hostile/README.md says how the file was made: 1,315
    // bytes that decompress to 1 GiB.  Parsed whole, it took 2.6 GB; the
    // limit below fails any import that expands it.
    let bomb = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hostile/bzip2-bomb-1gib.gpg");
    let env = Env::new();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg("ulimit -v 524288 && exec \"$@\"")
        .arg("bash")
        .arg(crate::harness::zpgp_bin())
        .arg("--home")
        .arg(env.home())
        .args(["--batch", "import"])
        .arg(&bomb)
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(41), "{err}");
    assert!(
        err.contains(
            "is not OpenPGP key data: it holds a message's packet (Compressed Data Packet)"
        ),
        "{err}"
    );
    assert!(err.contains("zpgp decrypt or zpgp verify"), "{err}");
}

#[test]
fn a_home_owned_by_another_user_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    env.zpgp().arg("list").assert().code(0);
    let home = env.home();
    for dir in [home.clone(), home.join("secret")] {
        // Only root can give a directory away; elsewhere this is skipped.
        if std::os::unix::fs::chown(&dir, Some(4242), None).is_err() {
            eprintln!("SKIPPED: cannot chown (not root); home ownership is not tested");
            return;
        }
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        env.zpgp()
            .arg("list")
            .assert()
            .code(1)
            .stdout(is_empty())
            .stderr(
                contains("belongs to user 4242, not to you")
                    .and(contains(dir.display().to_string()))
                    .and(contains("hint: make it yours: chown")),
            );
        let me = std::fs::metadata(env.dir.path()).unwrap();
        std::os::unix::fs::chown(&dir, Some(std::os::unix::fs::MetadataExt::uid(&me)), None)
            .unwrap();
        env.zpgp().arg("list").assert().code(0);
    }
}
