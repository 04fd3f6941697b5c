//! Issue 12: authentication.  Alice (the user, her key in her zpgp home)
//! and the people she meets, whose certificates and certifications are
//! made here with sequoia so that each scenario says exactly which
//! signatures exist.

use std::time::{Duration, SystemTime};

use predicates::str::contains;
use sequoia_openpgp as openpgp;

use openpgp::cert::prelude::*;
use openpgp::crypto::KeyPair;
use openpgp::packet::signature::SignatureBuilder;
use openpgp::packet::{Packet, UserID};
use openpgp::parse::Parse;
use openpgp::serialize::Serialize;
use openpgp::types::{ReasonForRevocation, SignatureType};

use crate::harness::{Gpg, PASSPHRASE, User, error_has, has, json};

/// A person whose certificate is made here (no passphrase).
struct Person {
    cert: Cert,
}

impl Person {
    fn new(uid: &str) -> Person {
        let (cert, _) = CertBuilder::general_purpose(Some(uid))
            .set_creation_time(SystemTime::now() - Duration::from_secs(3600))
            .generate()
            .unwrap();
        Person { cert }
    }

    fn signer(&self) -> KeyPair {
        self.cert
            .primary_key()
            .key()
            .clone()
            .parts_into_secret()
            .unwrap()
            .into_keypair()
            .unwrap()
    }

    fn fpr(&self) -> String {
        self.cert.fingerprint().to_hex()
    }
}

/// Alice's own signer, from her zpgp home.
fn alice_signer(alice: &User) -> KeyPair {
    let out = alice
        .zpgp()
        .args(["export", "--secret", &alice.fpr])
        .output()
        .unwrap();
    assert!(out.status.success());
    let tsk = Cert::from_bytes(&out.stdout).unwrap();
    tsk.primary_key()
        .key()
        .clone()
        .parts_into_secret()
        .unwrap()
        .decrypt_secret(&PASSPHRASE.into())
        .unwrap()
        .into_keypair()
        .unwrap()
}

/// How a certification is made.
#[derive(Default, Clone)]
struct How {
    /// (depth, amount): a trust signature (a trusted introducer).
    trust: Option<(u8, u8)>,
    regex: Option<String>,
    /// Valid for one second only (the caller waits it out).
    expired: bool,
}

impl How {
    /// A trusted introducer (a trust signature of this depth and amount).
    fn introducer(depth: u8, amount: u8) -> How {
        How {
            trust: Some((depth, amount)),
            ..How::default()
        }
    }
}

/// `target` with a certification of `uid` by `signer`.
fn certify(signer: &mut KeyPair, target: &Cert, uid: &str, how: How) -> Cert {
    let uid = UserID::from(uid);
    let mut b = SignatureBuilder::new(SignatureType::GenericCertification);
    if let Some((depth, amount)) = how.trust {
        b = b.set_trust_signature(depth, amount).unwrap();
    }
    if let Some(re) = &how.regex {
        b = b.set_regular_expression(re.as_bytes()).unwrap();
    }
    // Made now: Alice's key is only seconds old, and a certification
    // older than its issuer would not count.
    if how.expired {
        b = b
            .set_signature_validity_period(Duration::from_secs(1))
            .unwrap();
    }
    let sig = uid.bind(signer, target, b).unwrap();
    target
        .clone()
        .insert_packets(vec![Packet::from(uid), sig.into()])
        .unwrap()
        .0
}

/// `target` with `signer`'s certification of `uid` revoked.
fn revoke_certification(signer: &mut KeyPair, target: &Cert, uid: &str) -> Cert {
    let uid = UserID::from(uid);
    let sig = SignatureBuilder::new(SignatureType::CertificationRevocation)
        .set_reason_for_revocation(ReasonForRevocation::UIDRetired, b"")
        .unwrap()
        .sign_userid_binding(signer, target.primary_key().key(), &uid)
        .unwrap();
    target
        .clone()
        .insert_packets(vec![Packet::from(uid), sig.into()])
        .unwrap()
        .0
}

fn import(alice: &User, certs: &[&Cert]) -> assert_cmd::assert::Assert {
    let mut data = Vec::new();
    for c in certs {
        c.serialize(&mut data).unwrap();
    }
    let file = alice.write("import.pgp", data);
    alice
        .zpgp()
        .args(["import", file.to_str().unwrap()])
        .assert()
}

/// The authentication level `list --json` gives `uid` of `fpr`.
fn level(alice: &User, fpr: &str, uid: &str) -> String {
    let out = alice.zpgp().args(["--json", "list", fpr]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out.stdout);
    let uids = v["keys"][0]["userids"].as_array().unwrap();
    let u = uids
        .iter()
        .find(|u| u["userid"] == uid)
        .unwrap_or_else(|| panic!("{uid} not in {v}"));
    u["authentication"]["level"]
        .as_str()
        .unwrap_or("null")
        .to_string()
}

const BOB: &str = "Bob <bob@example.org>";

#[test]
fn a_direct_certification_authenticates_and_list_shows_it() {
    let alice = User::new("Alice");
    let bob = Person::new(BOB);
    import(&alice, &[&bob.cert]).success();
    assert_eq!(level(&alice, &bob.fpr(), BOB), "none");
    alice
        .zpgp()
        .args(["list", &bob.fpr()])
        .assert()
        .success()
        .stdout(contains("uid   [unknown ] Bob <bob@example.org>"));
    // Alice's own user ID is hers.
    alice
        .zpgp()
        .args(["list", "alice"])
        .assert()
        .success()
        .stdout(contains("uid   [  own   ] Alice <alice@example.org>"));

    let certified = certify(&mut alice_signer(&alice), &bob.cert, BOB, How::default());
    import(&alice, &[&certified]).success();
    assert_eq!(level(&alice, &bob.fpr(), BOB), "full");
    alice
        .zpgp()
        .args(["list", "bob@example.org"])
        .assert()
        .success()
        .stdout(contains("uid   [  full  ] Bob <bob@example.org>"));
    let out = alice
        .zpgp()
        .args(["--json", "list", &bob.fpr()])
        .output()
        .unwrap();
    let v = json(&out.stdout);
    let a = &v["keys"][0]["userids"][0]["authentication"];
    assert_eq!(a["amount"], 120, "{v}");
    assert_eq!(a["paths"][0][0], alice.fpr.as_str(), "{v}");
}

#[test]
fn introducers_authenticate_as_deep_as_their_depth_allows() {
    let alice = User::new("Alice");
    let mut me = alice_signer(&alice);
    let carol = Person::new("Carol <carol@example.org>");
    let erin = Person::new("Erin <erin@example.org>");
    let dave = Person::new("Dave <dave@example.org>");
    let frank = Person::new("Frank <frank@example.org>");
    // Carol certifies Dave; Carol makes Erin an introducer; Erin certifies
    // Frank.
    let dave_c = certify(
        &mut carol.signer(),
        &dave.cert,
        "Dave <dave@example.org>",
        How::default(),
    );
    let erin_c = certify(
        &mut carol.signer(),
        &erin.cert,
        "Erin <erin@example.org>",
        How::introducer(1, 120),
    );
    let frank_c = certify(
        &mut erin.signer(),
        &frank.cert,
        "Frank <frank@example.org>",
        How::default(),
    );
    import(&alice, &[&dave_c, &erin_c, &frank_c]).success();
    // Without Alice's word nothing is authenticated.
    assert_eq!(
        level(&alice, &dave.fpr(), "Dave <dave@example.org>"),
        "none"
    );

    // Carol as an introducer of depth 1: Dave (one step) is authenticated,
    // Frank (two steps) is not.
    let carol_1 = certify(
        &mut me,
        &carol.cert,
        "Carol <carol@example.org>",
        How::introducer(1, 120),
    );
    import(&alice, &[&carol_1]).success();
    assert_eq!(
        level(&alice, &carol.fpr(), "Carol <carol@example.org>"),
        "full"
    );
    assert_eq!(
        level(&alice, &dave.fpr(), "Dave <dave@example.org>"),
        "full"
    );
    assert_eq!(
        level(&alice, &frank.fpr(), "Frank <frank@example.org>"),
        "none"
    );

    // Depth 2 in a home of its own: Frank is authenticated too.
    let alice2 = User::new("Alice");
    let carol_2 = certify(
        &mut alice_signer(&alice2),
        &carol.cert,
        "Carol <carol@example.org>",
        How::introducer(2, 120),
    );
    import(&alice2, &[&dave_c, &erin_c, &frank_c, &carol_2]).success();
    assert_eq!(
        level(&alice2, &frank.fpr(), "Frank <frank@example.org>"),
        "full"
    );
}

#[test]
fn a_domain_scoped_introducer_vouches_for_its_domain_only() {
    let alice = User::new("Alice");
    let carol = Person::new("Carol <carol@example.org>");
    let bob = Person::new(BOB);
    let evil = Person::new("Bob <bob@evil.example>");
    let bob_c = certify(&mut carol.signer(), &bob.cert, BOB, How::default());
    let evil_c = certify(
        &mut carol.signer(),
        &evil.cert,
        "Bob <bob@evil.example>",
        How::default(),
    );
    let carol_c = certify(
        &mut alice_signer(&alice),
        &carol.cert,
        "Carol <carol@example.org>",
        How {
            trust: Some((1, 120)),
            regex: Some(r"<[^>]+[@.]example\.org>$".into()),
            ..How::default()
        },
    );
    import(&alice, &[&bob_c, &evil_c, &carol_c]).success();
    assert_eq!(level(&alice, &bob.fpr(), BOB), "full");
    assert_eq!(level(&alice, &evil.fpr(), "Bob <bob@evil.example>"), "none");
}

#[test]
fn two_partial_introducers_make_one_full() {
    let alice = User::new("Alice");
    let mut me = alice_signer(&alice);
    let carol = Person::new("Carol <carol@example.org>");
    let dan = Person::new("Dan <dan@example.org>");
    let bob = Person::new(BOB);
    let partial = How::introducer(1, 60);
    let carol_c = certify(
        &mut me,
        &carol.cert,
        "Carol <carol@example.org>",
        partial.clone(),
    );
    let dan_c = certify(&mut me, &dan.cert, "Dan <dan@example.org>", partial);
    let bob_by_carol = certify(&mut carol.signer(), &bob.cert, BOB, How::default());
    import(&alice, &[&carol_c, &dan_c, &bob_by_carol]).success();
    assert_eq!(level(&alice, &bob.fpr(), BOB), "partial");
    alice
        .zpgp()
        .args(["list", &bob.fpr()])
        .assert()
        .stdout(contains("uid   [ partial] Bob <bob@example.org>"));
    let bob_by_dan = certify(&mut dan.signer(), &bob.cert, BOB, How::default());
    import(&alice, &[&bob_by_dan]).success();
    assert_eq!(level(&alice, &bob.fpr(), BOB), "full");
}

#[test]
fn expired_and_revoked_certifications_and_a_revoked_introducer_count_for_nothing() {
    let alice = User::new("Alice");
    let mut me = alice_signer(&alice);
    let bob = Person::new(BOB);
    let expired = certify(
        &mut me,
        &bob.cert,
        BOB,
        How {
            expired: true,
            ..How::default()
        },
    );
    import(&alice, &[&expired]).success();
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(level(&alice, &bob.fpr(), BOB), "none");

    let erin = Person::new("Erin <erin@example.org>");
    let certified = certify(
        &mut me,
        &erin.cert,
        "Erin <erin@example.org>",
        How::default(),
    );
    import(&alice, &[&certified]).success();
    assert_eq!(
        level(&alice, &erin.fpr(), "Erin <erin@example.org>"),
        "full"
    );
    std::thread::sleep(Duration::from_millis(1100));
    let withdrawn = revoke_certification(&mut me, &certified, "Erin <erin@example.org>");
    import(&alice, &[&withdrawn]).success();
    assert_eq!(
        level(&alice, &erin.fpr(), "Erin <erin@example.org>"),
        "none"
    );

    // An introducer whose key is revoked introduces no one.
    let carol = Person::new("Carol <carol@example.org>");
    let dave = Person::new("Dave <dave@example.org>");
    let carol_c = certify(
        &mut me,
        &carol.cert,
        "Carol <carol@example.org>",
        How::introducer(1, 120),
    );
    let dave_c = certify(
        &mut carol.signer(),
        &dave.cert,
        "Dave <dave@example.org>",
        How::default(),
    );
    import(&alice, &[&carol_c, &dave_c]).success();
    assert_eq!(
        level(&alice, &dave.fpr(), "Dave <dave@example.org>"),
        "full"
    );
    let rev = carol
        .cert
        .revoke(
            &mut carol.signer(),
            ReasonForRevocation::KeyCompromised,
            b"lost",
        )
        .unwrap();
    let carol_revoked = carol_c.insert_packets(vec![rev]).unwrap().0;
    import(&alice, &[&carol_revoked]).success();
    assert_eq!(
        level(&alice, &dave.fpr(), "Dave <dave@example.org>"),
        "none"
    );
}

#[test]
fn signatures_say_whether_the_signer_is_authenticated() {
    let alice = User::new("Alice");
    let bob = Person::new(BOB);
    import(&alice, &[&bob.cert]).success();
    // Bob signs a file (with sequoia: his key has no zpgp home).
    let data = alice.write("note.txt", "from bob\n");
    let mut sig = Vec::new();
    {
        use openpgp::serialize::stream::{Message, Signer};
        let signing = bob
            .cert
            .keys()
            .with_policy(&openpgp::policy::StandardPolicy::new(), None)
            .for_signing()
            .next()
            .unwrap()
            .key()
            .clone()
            .parts_into_secret()
            .unwrap()
            .into_keypair()
            .unwrap();
        let m = Message::new(&mut sig);
        let mut s = Signer::new(m, signing).unwrap().detached().build().unwrap();
        std::io::Write::write_all(&mut s, b"from bob\n").unwrap();
        s.finalize().unwrap();
    }
    let sig_path = alice.write("note.txt.sig", sig);
    let (sig_s, data_s) = (sig_path.to_str().unwrap(), data.to_str().unwrap());
    alice
        .zpgp()
        .args(["verify", sig_s, data_s])
        .assert()
        .success()
        .stderr(has(&[
            "good signature from Bob <bob@example.org>",
            "(not authenticated)",
            "note: the signer's key is not authenticated",
            &format!("zpgp certify {}", bob.fpr()),
        ]));
    let out = alice
        .zpgp()
        .args(["--json", "verify", sig_s, data_s])
        .output()
        .unwrap();
    let v = json(&out.stderr);
    assert_eq!(v["signatures"][0]["authentication"]["level"], "none", "{v}");
    // --require-auth: a good signature by an unauthenticated key fails.
    alice
        .zpgp()
        .args(["verify", "--require-auth", sig_s, data_s])
        .assert()
        .code(3)
        .stderr(error_has(&["not authenticated", "zpgp certify"]));
    alice
        .zpgp()
        .args(["config", "set", "require-authentication", "true"])
        .assert()
        .success();
    alice
        .zpgp()
        .args(["verify", sig_s, data_s])
        .assert()
        .code(3);

    // Once Alice certifies Bob, all is well.
    let certified = certify(&mut alice_signer(&alice), &bob.cert, BOB, How::default());
    import(&alice, &[&certified]).success();
    alice
        .zpgp()
        .args(["verify", "--require-auth", sig_s, data_s])
        .assert()
        .success()
        .stderr(has(&["good signature from Bob", "(authenticated)"]))
        .stderr(contains("note:").not());
}

use predicates::prelude::PredicateBooleanExt;

#[test]
fn encryption_to_an_unauthenticated_key_is_noted_or_refused() {
    let alice = User::new("Alice");
    let bob = Person::new(BOB);
    import(&alice, &[&bob.cert]).success();
    alice.write("m.txt", "hi\n");
    alice
        .zpgp()
        .args(["encrypt", "-r", "bob@example.org", "m.txt"])
        .assert()
        .success()
        .stdout("")
        .stderr(has(&[
            "note: the key",
            "is not authenticated",
            "zpgp certify",
        ]));
    alice
        .zpgp()
        .args([
            "encrypt",
            "--require-auth",
            "-r",
            "bob@example.org",
            "m.txt",
            "-o",
            "m2.pgp",
        ])
        .assert()
        .code(17)
        .stderr(error_has(&["--require-auth", "zpgp certify"]));
    assert!(!alice.path("m2.pgp").exists());
}

#[test]
fn a_second_key_for_an_address_is_announced_and_never_used_silently() {
    let alice = User::new("Alice");
    let bob = Person::new(BOB);
    let mallory = Person::new("Bob <bob@example.org>");
    import(&alice, &[&bob.cert]).success();
    let mut data = Vec::new();
    mallory.cert.serialize(&mut data).unwrap();
    let file = alice.write("mallory.pgp", data);
    let out = alice
        .zpgp()
        .args(["--json", "import", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: a different key now claims bob@example.org")
            && stderr.contains(&mallory.fpr())
            && stderr.contains(&bob.fpr()),
        "{stderr}"
    );
    let v = json(&out.stdout);
    assert_eq!(v["key_changes"][0]["email"], "bob@example.org", "{v}");
    assert_eq!(v["key_changes"][0]["new"], mallory.fpr().as_str());

    alice.write("m.txt", "hi\n");
    alice
        .zpgp()
        .args(["encrypt", "-r", "bob@example.org", "m.txt"])
        .assert()
        .code(73)
        .stderr(error_has(&[
            &bob.fpr(),
            &mallory.fpr(),
            "[unknown ]",
            "none of them",
        ]));
    // Alice checks with Bob and certifies his real key: that one is used.
    let certified = certify(&mut alice_signer(&alice), &bob.cert, BOB, How::default());
    import(&alice, &[&certified]).success();
    alice
        .zpgp()
        .args(["--json", "encrypt", "-r", "bob@example.org", "m.txt"])
        .assert()
        .success();
    alice
        .zpgp()
        .args(["inspect", "m.txt.pgp"])
        .assert()
        .success()
        .stdout(contains(bob.fpr()).and(contains(mallory.fpr()).not()));
}

#[test]
fn gnupg_certifications_count_as_zpgps_own() {
    let Some(gpg) = Gpg::new() else { return };
    let alice = User::new("Alice");
    let bob = Person::new(BOB);
    // Alice's key in gpg, Bob's certificate too; gpg certifies Bob.
    let secret = alice.path("alice-secret.asc");
    alice
        .zpgp()
        .args([
            "export",
            "--secret",
            &alice.fpr,
            "-o",
            secret.to_str().unwrap(),
        ])
        .assert()
        .success();
    let pw = alice.env.passphrase_file();
    gpg.cmd()
        .args([
            "--pinentry-mode",
            "loopback",
            "--passphrase-file",
            pw.to_str().unwrap(),
        ])
        .args(["--import", secret.to_str().unwrap()])
        .output()
        .unwrap();
    let mut data = Vec::new();
    bob.cert.serialize(&mut data).unwrap();
    let bob_file = alice.write("bob.pgp", data);
    assert!(
        gpg.cmd()
            .args(["--import", bob_file.to_str().unwrap()])
            .output()
            .unwrap()
            .status
            .success()
    );
    let out = gpg
        .cmd()
        .args([
            "--pinentry-mode",
            "loopback",
            "--passphrase-file",
            pw.to_str().unwrap(),
        ])
        .args(["-u", &alice.fpr, "--quick-sign-key", &bob.fpr()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = gpg.cmd().args(["--export", &bob.fpr()]).output().unwrap();
    let signed = alice.write("bob-signed.pgp", out.stdout);
    alice
        .zpgp()
        .args(["import", signed.to_str().unwrap()])
        .assert()
        .success();
    assert_eq!(level(&alice, &bob.fpr(), BOB), "full");
}

#[test]
fn unknown_certifiers_bad_regexes_loops_and_long_chains() {
    let alice = User::new("Alice");
    let mut me = alice_signer(&alice);
    // A certification by a key that is not on file counts for nothing and
    // says so with -v.
    let stranger = Person::new("Stranger <s@example.net>");
    let bob = Person::new(BOB);
    let bob_c = certify(&mut stranger.signer(), &bob.cert, BOB, How::default());
    import(&alice, &[&bob_c]).success();
    assert_eq!(level(&alice, &bob.fpr(), BOB), "none");
    alice
        .zpgp()
        .args(["-v", "list", &bob.fpr()])
        .assert()
        .success()
        .stdout(has(&[
            "      sig ",
            &format!("by an unknown key {}", stranger.fpr()),
            "not counted",
        ]));

    // An introducer whose regular expression does not compile introduces
    // no one, and -v says why.
    let carol = Person::new("Carol <carol@example.org>");
    let dave = Person::new("Dave <dave@example.org>");
    let carol_c = certify(
        &mut me,
        &carol.cert,
        "Carol <carol@example.org>",
        How {
            trust: Some((1, 120)),
            regex: Some("([unclosed".into()),
            ..How::default()
        },
    );
    let dave_c = certify(
        &mut carol.signer(),
        &dave.cert,
        "Dave <dave@example.org>",
        How::default(),
    );
    import(&alice, &[&carol_c, &dave_c]).success();
    assert_eq!(
        level(&alice, &dave.fpr(), "Dave <dave@example.org>"),
        "none"
    );
    alice
        .zpgp()
        .args(["-v", "list", &carol.fpr()])
        .assert()
        .success()
        .stdout(has(&[
            "introducer: depth 1, amount 120",
            "does not compile",
        ]));

    // A loop of introducers and a chain of 24 of them: bounded, no hang.
    let people: Vec<Person> = (0..24)
        .map(|i| Person::new(&format!("Link {i} <link{i}@example.org>")))
        .collect();
    let deep = How::introducer(255, 120);
    let mut certs = Vec::new();
    for i in 0..people.len() {
        let next = (i + 1) % people.len();
        let uid = format!("Link {next} <link{next}@example.org>");
        // Link i certifies link i+1, and the last certifies the first.
        certs.push(certify(
            &mut people[i].signer(),
            &people[next].cert,
            &uid,
            deep.clone(),
        ));
    }
    certs.push(certify(
        &mut me,
        &people[0].cert,
        "Link 0 <link0@example.org>",
        deep,
    ));
    let refs: Vec<&Cert> = certs.iter().collect();
    import(&alice, &refs).success();
    let last = &people[people.len() - 1];
    let started = std::time::Instant::now();
    assert_eq!(
        level(&alice, &last.fpr(), "Link 23 <link23@example.org>"),
        "full"
    );
    alice
        .zpgp()
        .args(["list"])
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn zpgp_certify_authenticates_directly_and_through_an_introducer() {
    let alice = User::new("Alice");
    let carol = Person::new("Carol <carol@example.org>");
    let bob = Person::new(BOB);
    let bob_c = certify(&mut carol.signer(), &bob.cert, BOB, How::default());
    import(&alice, &[&carol.cert, &bob_c]).success();
    assert_eq!(level(&alice, &bob.fpr(), BOB), "none");
    alice
        .zpgp_pw()
        .args([
            "certify",
            "--introducer",
            "--fingerprint",
            &carol.fpr(),
            "carol",
        ])
        .assert()
        .success();
    assert_eq!(
        level(&alice, &carol.fpr(), "Carol <carol@example.org>"),
        "full"
    );
    assert_eq!(level(&alice, &bob.fpr(), BOB), "full");
    // Withdrawn, the introduction goes with it.
    std::thread::sleep(Duration::from_millis(1100));
    alice
        .zpgp_pw()
        .args(["certify", "--revoke", "carol"])
        .assert()
        .success();
    assert_eq!(level(&alice, &bob.fpr(), BOB), "none");
}

#[test]
fn decrypt_require_auth_fails_for_an_unauthenticated_signer_and_writes_nothing() {
    // Bob signs and encrypts to Alice; Alice has Bob's certificate but
    // never checked it.
    let alice = User::new("Alice");
    let bob = User::new("Bob");
    alice.has_certs_of(&[&bob]);
    bob.knows(&[&alice]);
    bob.write("m.txt", "from bob\n");
    bob.zpgp_pw()
        .args([
            "encrypt",
            "--sign",
            "-r",
            "alice@example.org",
            "m.txt",
            "-o",
            "m.pgp",
        ])
        .assert()
        .success();
    let msg = alice.write("m.pgp", std::fs::read(bob.path("m.pgp")).unwrap());
    alice
        .zpgp_pw()
        .args(["decrypt", msg.to_str().unwrap(), "-o", "out.txt"])
        .assert()
        .success()
        .stderr(has(&[
            "good signature from Bob",
            "(not authenticated)",
            "note:",
        ]));
    std::fs::remove_file(alice.path("out.txt")).unwrap();
    alice
        .zpgp_pw()
        .args([
            "decrypt",
            "--require-auth",
            msg.to_str().unwrap(),
            "-o",
            "out.txt",
        ])
        .assert()
        .code(3)
        .stderr(error_has(&["not authenticated", "zpgp certify"]));
    assert!(!alice.path("out.txt").exists());
    // Certified, it passes.
    alice
        .zpgp_pw()
        .args(["certify", "--fingerprint", &bob.fpr, &bob.fpr])
        .assert()
        .success();
    alice
        .zpgp_pw()
        .args([
            "decrypt",
            "--require-auth",
            msg.to_str().unwrap(),
            "-o",
            "out.txt",
        ])
        .assert()
        .success()
        .stderr(has(&["(authenticated)"]));
    assert_eq!(std::fs::read(alice.path("out.txt")).unwrap(), b"from bob\n");
}
