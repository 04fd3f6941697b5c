//! The signature cache in HOME/signature-cache (issue 15, item 2): it
//! spares each run the self-signature checks of the certificates it reads,
//! it must never stand in for a signature that changed, and it is not
//! rewritten for every message signature verified.

use openpgp::Packet;
use openpgp::parse::Parse;
use openpgp::serialize::Serialize;
use predicates::str::contains;
use sequoia_openpgp as openpgp;

use crate::harness::*;

const DATA: &[u8] = b"a short message, as git signs them\n";

/// Alice, holding Bob's certificate (not authenticated), and a file of
/// DATA with Bob's detached signature of it beside it.
fn alice_with_a_signature_by_bob() -> (User, User, std::path::PathBuf) {
    let alice = User::new("Alice");
    let bob = User::new("Bob");
    alice.has_certs_of(&[&bob]);
    let data = alice.write("note.txt", DATA);
    alice.write("note.txt.sig", bob.sign(&["--detached"], DATA));
    (alice, bob, data)
}

fn cache(user: &User) -> Option<Vec<u8>> {
    std::fs::read(user.env.home().join("signature-cache")).ok()
}

fn verify(user: &User) -> assert_cmd::assert::Assert {
    user.zpgp()
        .arg("verify")
        .arg(user.path("note.txt.sig"))
        .arg(user.path("note.txt"))
        .assert()
}

#[test]
fn the_cache_keeps_self_signatures_not_every_message_signature() {
    let (alice, bob, _) = alice_with_a_signature_by_bob();
    alice
        .zpgp()
        .arg("list")
        .assert()
        .success()
        .stderr(no_panic());
    let after_list = cache(&alice).expect("a signature cache after reading certificates");
    assert!(
        !after_list.is_empty() && after_list.len() % 32 == 0,
        "{} bytes",
        after_list.len()
    );

    // Each verification checks a new signature over a message: the cache
    // file stays as it was.
    for round in 0..2 {
        alice.write("note.txt.sig", bob.sign(&["--detached"], DATA));
        verify(&alice)
            .success()
            .stderr(contains("good signature from Bob <bob@example.org>"));
        assert_eq!(
            cache(&alice).as_deref(),
            Some(&after_list[..]),
            "round {round}"
        );
    }
}

#[test]
fn a_changed_self_signature_is_checked_again_whatever_the_cache_holds() {
    let (alice, bob, _) = alice_with_a_signature_by_bob();
    verify(&alice)
        .success()
        .stderr(contains("good signature from Bob <bob@example.org>"));
    assert!(cache(&alice).is_some_and(|c| !c.is_empty()));

    // Bob's certificate on file, every signature in it altered in its
    // last byte (the signature value): nothing in it is valid any more.
    let fpr = bob.fpr.to_lowercase();
    let file = alice
        .env
        .home()
        .join("pgp.cert.d")
        .join(&fpr[..2])
        .join(&fpr[2..]);
    let cert = openpgp::Cert::from_file(&file).expect("Bob's certificate on file");
    let mut tampered = Vec::new();
    let mut altered = 0;
    for packet in cert.into_packets() {
        let mut bytes = Vec::new();
        packet.serialize(&mut bytes).expect("serialize");
        if let Packet::Signature(_) = packet {
            *bytes.last_mut().expect("a signature has bytes") ^= 0x01;
            assert!(matches!(
                Packet::from_bytes(&bytes),
                Ok(Packet::Signature(_))
            ));
            altered += 1;
        }
        tampered.extend_from_slice(&bytes);
    }
    assert!(altered >= 3, "{altered} signatures");
    std::fs::write(&file, &tampered).expect("write the altered certificate");

    let out = verify(&alice).failure().stderr(no_panic());
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(!stderr.contains("good signature"), "{stderr}");
}

#[test]
fn a_damaged_cache_is_no_cache() {
    let (alice, _, _) = alice_with_a_signature_by_bob();
    // 33 bytes: not a whole number of entries.
    std::fs::write(alice.env.home().join("signature-cache"), [7u8; 33]).unwrap();
    verify(&alice)
        .success()
        .stderr(contains("good signature from Bob <bob@example.org>"));
    // The certificates' self-signatures were checked and the file made
    // anew from them.
    let c = cache(&alice).expect("a signature cache");
    assert!(!c.is_empty() && c.len() % 32 == 0, "{} bytes", c.len());
}
