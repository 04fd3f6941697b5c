//! Issue 12, certifying: `zpgp certify` (plain, local, introducer,
//! revoke), what `export` does with local certifications, the refusals,
//! and GnuPG both ways at the signature level.

use openpgp::packet::Signature;
use openpgp::parse::Parse;
use openpgp::types::SignatureType;
use openpgp::{Cert, KeyHandle};
use predicates::str::is_empty;
use sequoia_openpgp as openpgp;

use crate::harness::{Gpg, PASSPHRASE, User, error_has, has};

/// Bob's certificate as `user`'s keyring exports it, with `extra` options.
fn exported(user: &User, fpr: &str, extra: &[&str]) -> Cert {
    let out = user
        .zpgp()
        .arg("export")
        .args(extra)
        .arg(fpr)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "export: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Cert::from_bytes(&out.stdout).expect("an exported certificate")
}

fn issued_by(sig: &Signature, fpr: &str) -> bool {
    let h: KeyHandle = fpr.parse().unwrap();
    sig.get_issuers().iter().any(|i| i.aliases(&h))
}

/// The certifications on `cert`'s user IDs issued by the key `fpr`.
fn certifications(cert: &Cert, fpr: &str) -> Vec<Signature> {
    cert.userids()
        .flat_map(|u| u.certifications())
        .filter(|s| issued_by(s, fpr))
        .cloned()
        .collect()
}

/// The certification revocations on `cert`'s user IDs by the key `fpr`.
fn revocations(cert: &Cert, fpr: &str) -> Vec<Signature> {
    cert.userids()
        .flat_map(|u| u.other_revocations())
        .filter(|s| issued_by(s, fpr) && s.typ() == SignatureType::CertificationRevocation)
        .cloned()
        .collect()
}

/// `alice` certifies `bob` with `extra` options, answering with the
/// fingerprint on the command line.
/// Alice and Bob, each holding the other's certificate, neither certified
/// yet: these tests make every certification themselves.
fn alice_and_bob() -> (User, User) {
    let alice = User::new("Alice");
    let bob = User::new("Bob");
    alice.has_certs_of(&[&bob]);
    bob.has_certs_of(&[&alice]);
    (alice, bob)
}

fn certify(alice: &User, bob: &User, extra: &[&str]) {
    alice
        .zpgp_pw()
        .arg("certify")
        .args(extra)
        .args(["--fingerprint", &bob.fpr, &bob.email()])
        .assert()
        .success()
        .stdout(is_empty());
}

#[test]
fn certify_with_the_fingerprint_signs_every_valid_userid() {
    let (alice, bob) = alice_and_bob();
    let spaced: String = bob
        .fpr
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    alice
        .zpgp_pw()
        .args(["certify", "--fingerprint", &spaced.to_lowercase(), "bob"])
        .assert()
        .success()
        .stdout(is_empty())
        .stderr(has(&[
            "certified Bob <bob@example.org>",
            "Bob <bob@example.org>",
            &format!("{}  {}", &spaced[..24], &spaced[25..]),
            &format!("zpgp export {} > {}.asc", bob.fpr, bob.fpr),
        ]));
    let cert = exported(&alice, &bob.fpr, &[]);
    let sigs = certifications(&cert, &alice.fpr);
    assert_eq!(sigs.len(), 1, "one certification by Alice");
    assert_eq!(sigs[0].typ(), SignatureType::GenericCertification);
    assert!(sigs[0].exportable().is_ok());
    assert_eq!(sigs[0].trust_signature(), None);
    assert_eq!(sigs[0].signature_validity_period(), None);
    // It verifies with Alice's primary key.
    let alice_cert = exported(&alice, &alice.fpr, &[]);
    let uid = cert.userids().next().unwrap();
    sigs[0]
        .verify_userid_binding(
            alice_cert.primary_key().key(),
            cert.primary_key().key(),
            uid.userid(),
        )
        .expect("a good certification by Alice's primary key");
}

#[test]
fn expires_sets_the_certifications_validity() {
    let (alice, bob) = alice_and_bob();
    certify(&alice, &bob, &["--expires", "1y"]);
    let sigs = certifications(&exported(&alice, &bob.fpr, &[]), &alice.fpr);
    assert_eq!(sigs.len(), 1);
    let days = sigs[0].signature_validity_period().unwrap().as_secs() / 86400;
    assert!((364..=366).contains(&days), "{days} days");

    alice
        .zpgp_pw()
        .args([
            "certify",
            "--expires",
            "soon",
            "--fingerprint",
            &bob.fpr,
            "bob",
        ])
        .assert()
        .code(2)
        .stderr(error_has(&["soon"]));
}

#[test]
fn a_fingerprint_that_does_not_match_signs_nothing() {
    let (alice, bob) = alice_and_bob();
    alice
        .zpgp_pw()
        .args(["certify", "--fingerprint", &alice.fpr, &bob.email()])
        .assert()
        .code(1)
        .stdout(is_empty())
        .stderr(error_has(&[
            "does not match",
            &alice.fpr,
            &bob.fpr,
            "nothing certified",
        ]));
    assert!(certifications(&exported(&alice, &bob.fpr, &[]), &alice.fpr).is_empty());
}

#[test]
fn batch_without_a_confirmation_is_refused() {
    let (alice, bob) = alice_and_bob();
    // --yes alone is no answer: only the full fingerprint is.
    for extra in [&[][..], &["--yes"][..]] {
        alice
            .zpgp_pw()
            .arg("certify")
            .args(extra)
            .arg(bob.email())
            .assert()
            .code(19)
            .stdout(is_empty())
            .stderr(error_has(&["--batch", "zpgp certify --fingerprint"]));
    }
    assert!(certifications(&exported(&alice, &bob.fpr, &[]), &alice.fpr).is_empty());

    // The full fingerprint as the query, with --yes, is.
    alice
        .zpgp_pw()
        .args(["certify", "--yes", &bob.fpr])
        .assert()
        .success()
        .stderr(has(&["certified"]));
    assert_eq!(
        certifications(&exported(&alice, &bob.fpr, &[]), &alice.fpr).len(),
        1
    );
}

#[test]
fn a_wrong_passphrase_exits_67() {
    let (alice, bob) = alice_and_bob();
    let wrong = alice.write("wrong.txt", "not it\n");
    alice
        .zpgp()
        .arg("--passphrase-file")
        .arg(&wrong)
        .args(["certify", "--fingerprint", &bob.fpr, "bob"])
        .assert()
        .code(67)
        .stderr(error_has(&["wrong passphrase"]));
    assert!(certifications(&exported(&alice, &bob.fpr, &[]), &alice.fpr).is_empty());
}

#[test]
fn your_own_key_is_refused() {
    let alice = User::new("Alice");
    alice
        .zpgp_pw()
        .args(["certify", "--yes", &alice.fpr])
        .assert()
        .code(2)
        .stderr(error_has(&["your own key", "already yours"]));
}

#[test]
fn a_revoked_or_expired_key_is_refused() {
    let (alice, bob) = alice_and_bob();
    let carol = User::new("Carol");
    carol
        .zpgp_pw()
        .args([
            "revoke",
            "--yes",
            "--reason",
            "retired",
            "--message",
            "gone",
        ])
        .arg(&carol.fpr)
        .assert()
        .success();
    bob.zpgp_pw()
        .args(["expire", "--force", &bob.fpr, "2020-01-01"])
        .assert()
        .success();
    let bob_cert = bob.path("bob-expired.asc");
    bob.zpgp()
        .args(["export", "-o"])
        .arg(&bob_cert)
        .arg(&bob.fpr)
        .assert()
        .success();
    alice.import(&bob_cert);
    alice.import(&carol.cert());

    alice
        .zpgp_pw()
        .args(["certify", "--fingerprint", &carol.fpr, &carol.fpr])
        .assert()
        .code(101)
        .stderr(error_has(&["revoked", "gone"]));
    alice
        .zpgp_pw()
        .args(["certify", "--fingerprint", &bob.fpr, &bob.fpr])
        .assert()
        .code(101)
        .stderr(error_has(&["expired"]));
    assert!(certifications(&exported(&alice, &bob.fpr, &[]), &alice.fpr).is_empty());
}

#[test]
fn a_userid_the_key_lacks_is_an_error_listing_the_valid_ones() {
    let (alice, bob) = alice_and_bob();
    for (opt, value) in [("--email", "nobody@example.org"), ("--userid", "Bob")] {
        alice
            .zpgp_pw()
            .args(["certify", opt, value, "--fingerprint", &bob.fpr, "bob"])
            .assert()
            .code(103)
            .stderr(error_has(&[value, "Bob <bob@example.org>"]));
    }
    // Named by its address, it is certified.
    certify(&alice, &bob, &["--email", "BOB@example.org"]);
    assert_eq!(
        certifications(&exported(&alice, &bob.fpr, &[]), &alice.fpr).len(),
        1
    );
}

#[test]
fn local_certifications_stay_home_unless_with_local() {
    let (alice, bob) = alice_and_bob();
    certify(&alice, &bob, &["--local"]);
    assert!(certifications(&exported(&alice, &bob.fpr, &[]), &alice.fpr).is_empty());
    let kept = certifications(&exported(&alice, &bob.fpr, &["--with-local"]), &alice.fpr);
    assert_eq!(kept.len(), 1);
    assert!(kept[0].exportable().is_err(), "marked non-exportable");

    // On a key of your own (Bob holding Alice's local certification of his
    // key, say from a backup), export --secret follows the same rule.
    let backup = alice.path("bob-with-local.asc");
    alice
        .zpgp()
        .args(["export", "--with-local", "-o"])
        .arg(&backup)
        .arg(&bob.fpr)
        .assert()
        .success();
    bob.import(&backup);
    let secret = exported(&bob, &bob.fpr, &["--secret"]);
    assert!(secret.is_tsk());
    assert!(certifications(&secret, &alice.fpr).is_empty());
    let secret = exported(&bob, &bob.fpr, &["--secret", "--with-local"]);
    assert_eq!(certifications(&secret, &alice.fpr).len(), 1);
}

#[test]
fn introducer_makes_a_local_trust_signature_with_depth_and_domain() {
    let (alice, bob) = alice_and_bob();
    alice
        .zpgp_pw()
        .args([
            "certify",
            "--introducer",
            "--depth",
            "2",
            "--domain",
            "example.org",
        ])
        .args(["--fingerprint", &bob.fpr, "bob"])
        .assert()
        .success()
        .stderr(has(&["fully trusted introducer", "depth 2", "example.org"]));
    assert!(certifications(&exported(&alice, &bob.fpr, &[]), &alice.fpr).is_empty());
    let sigs = certifications(&exported(&alice, &bob.fpr, &["--with-local"]), &alice.fpr);
    assert_eq!(sigs.len(), 1);
    assert_eq!(sigs[0].trust_signature(), Some((2, 120)));
    assert_eq!(
        sigs[0].regular_expressions().collect::<Vec<_>>(),
        vec![&br"<[^>]+[@.]example\.org>$"[..]]
    );
}

#[test]
fn partial_introducer_has_amount_60_and_may_be_exported() {
    let (alice, bob) = alice_and_bob();
    certify(
        &alice,
        &bob,
        &["--introducer", "--amount", "partial", "--exportable"],
    );
    let sigs = certifications(&exported(&alice, &bob.fpr, &[]), &alice.fpr);
    assert_eq!(sigs.len(), 1);
    assert_eq!(sigs[0].trust_signature(), Some((1, 60)));
    assert_eq!(sigs[0].regular_expressions().count(), 0);

    alice
        .zpgp_pw()
        .args(["certify", "--introducer", "--domain", "example.org>$|.*"])
        .args(["--fingerprint", &bob.fpr, "bob"])
        .assert()
        .code(2)
        .stderr(error_has(&["not a mail domain"]));
    alice
        .zpgp_pw()
        .args(["certify", "--depth", "2", "--fingerprint", &bob.fpr, "bob"])
        .assert()
        .code(2);
}

#[test]
fn revoke_withdraws_the_certification() {
    let (alice, bob) = alice_and_bob();
    alice
        .zpgp_pw()
        .args(["certify", "--revoke", "bob"])
        .assert()
        .code(103)
        .stderr(error_has(&["has not certified"]));
    certify(&alice, &bob, &[]);
    alice
        .zpgp_pw()
        .args(["certify", "--revoke", "bob"])
        .assert()
        .success()
        .stdout(is_empty())
        .stderr(has(&["withdrew", "Bob <bob@example.org>"]));
    let cert = exported(&alice, &bob.fpr, &[]);
    let revs = revocations(&cert, &alice.fpr);
    assert_eq!(revs.len(), 1);
    assert!(revs[0].exportable().is_ok());
    let cert_time = certifications(&cert, &alice.fpr)[0].signature_creation_time();
    assert!(revs[0].signature_creation_time() > cert_time);
    // Nothing is left to withdraw.
    alice
        .zpgp_pw()
        .args(["certify", "--revoke", "bob"])
        .assert()
        .code(103);
}

#[test]
fn several_secret_keys_without_a_default_are_ambiguous() {
    let (alice, bob) = alice_and_bob();
    alice
        .env
        .generate(&["--name", "Alice Two", "--email", "a2@example.org"]);
    alice
        .zpgp_pw()
        .args(["certify", "--fingerprint", &bob.fpr, "bob"])
        .assert()
        .code(73)
        .stderr(error_has(&["--signer"]));
    alice
        .zpgp_pw()
        .args([
            "certify",
            "--signer",
            "a2@example.org",
            "--fingerprint",
            &bob.fpr,
            "bob",
        ])
        .assert()
        .success();
}

// GnuPG ----------------------------------------------------------------------

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn gpg_checks_zpgps_certification_as_good() {
    let Some(g) = Gpg::new() else { return };
    let (alice, bob) = alice_and_bob();
    certify(&alice, &bob, &[]);
    // A second one, a scoped trust signature (gpg --tsign-key's kind).
    certify(
        &alice,
        &bob,
        &["--introducer", "--exportable", "--domain", "example.org"],
    );
    let both = alice.path("both.asc");
    let out = alice
        .zpgp()
        .args(["export", &alice.fpr, &bob.fpr])
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::write(&both, out.stdout).unwrap();
    g.import(&both);
    let mut c = g.cmd();
    c.args(["--keyid-format", "long", "--check-sigs", &bob.fpr]);
    let listing = text(&g.ok(c).stdout);
    let key_id = &alice.fpr[24..];
    let good = listing
        .lines()
        .filter(|l| l.starts_with("sig!") && l.contains(key_id))
        .count();
    assert_eq!(good, 2, "two good certifications by {key_id}:\n{listing}");
    assert!(!listing.contains("sig-"), "a bad signature:\n{listing}");

    // gpg reads the trust signature's level, amount and scope.
    let mut c = g.cmd();
    c.args(["--with-colons", "--check-sigs", &bob.fpr]);
    let colons = text(&g.ok(c).stdout);
    assert!(
        colons.lines().any(|l| {
            let f: Vec<&str> = l.split(':').collect();
            f.len() > 8
                && f[0] == "sig"
                && f[1] == "!"
                && f[4] == key_id
                && f[7] == "1 120"
                && f[8] == r"<[^>]+[@.]example\x5c.org>$"
        }),
        "{colons}"
    );
}

/// A gpg key that certifies Bob's, in a gpg home that holds Bob's
/// certificate; its fingerprint.
fn gpg_certifier(g: &Gpg, name: &str, bob: &User, lsign: bool) -> String {
    let fpr = g.generate(
        &format!("{name} <{}@example.org>", name.to_lowercase()),
        "future-default",
        PASSPHRASE,
    );
    let mut c = g.cmd_pw(PASSPHRASE);
    c.args(["--local-user", &fpr]);
    c.arg(if lsign {
        "--quick-lsign-key"
    } else {
        "--quick-sign-key"
    });
    c.arg(&bob.fpr);
    g.ok(c);
    fpr
}

#[test]
fn gpgs_certifications_are_kept_by_zpgp() {
    let Some(g) = Gpg::new() else { return };
    let (alice, bob) = alice_and_bob();
    g.import(&bob.cert());
    let carol = gpg_certifier(&g, "Carol", &bob, false);
    let dave = gpg_certifier(&g, "Dave", &bob, true);
    let file = alice.path("bob-from-gpg.asc");
    let mut c = g.cmd();
    c.args([
        "--export",
        "--armor",
        "--export-options",
        "export-local-sigs",
        &bob.fpr,
    ]);
    std::fs::write(&file, g.ok(c).stdout).unwrap();
    alice.import(&file);

    let public = exported(&alice, &bob.fpr, &[]);
    assert_eq!(certifications(&public, &carol).len(), 1, "gpg --sign-key");
    assert!(certifications(&public, &dave).is_empty(), "local, left out");
    let all = exported(&alice, &bob.fpr, &["--with-local"]);
    let local = certifications(&all, &dave);
    assert_eq!(local.len(), 1, "gpg --lsign-key, kept");
    assert!(local[0].exportable().is_err());
}

#[test]
fn hostile_user_ids_are_shown_escaped() {
    use openpgp::cert::prelude::*;
    use openpgp::serialize::Serialize;
    let alice = User::new("Alice");
    let (mallory, _) = CertBuilder::new()
        .add_userid("Evil \x1b[2J\x1b[1;31mBob\x1b]0;pwned\x07 <evil@example.org>")
        .add_userid("\u{202E}gro.elpmaxe@bob\u{202C} <rlo@example.org>")
        .generate()
        .unwrap();
    let fpr = format!("{:X}", mallory.fingerprint());
    let mut bytes = Vec::new();
    mallory
        .strip_secret_key_material()
        .serialize(&mut bytes)
        .unwrap();
    alice.import(&alice.write("mallory.pgp", bytes));
    let clean = |out: &std::process::Output| {
        let text = text(&out.stderr);
        for bad in ["\x1b", "\x07", "\u{202E}"] {
            assert!(!text.contains(bad), "raw {bad:?} in:\n{text}");
        }
        text
    };
    let out = alice
        .zpgp_pw()
        .args([
            "certify",
            "--email",
            "nobody@example.org",
            "--fingerprint",
            &fpr,
            &fpr,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(103));
    assert!(clean(&out).contains("evil@example.org"));
    let out = alice
        .zpgp_pw()
        .args(["certify", "--fingerprint", &fpr, &fpr])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(clean(&out).contains("rlo@example.org"));
    assert_eq!(
        certifications(&exported(&alice, &fpr, &[]), &alice.fpr).len(),
        2
    );
}

#[test]
fn an_expired_key_of_yours_cannot_certify() {
    let (alice, bob) = alice_and_bob();
    alice
        .zpgp_pw()
        .args(["expire", "--force", &alice.fpr, "2020-01-01"])
        .assert()
        .success();
    // Refused before any passphrase is needed.
    alice
        .zpgp()
        .args(["certify", "--fingerprint", &bob.fpr, "bob"])
        .assert()
        .code(107)
        .stderr(error_has(&["cannot certify", "expired"]));
}
