//! Malformed subpackets in a signature's unhashed area (issue 14, item 4):
//! the area is not signed, so junk there must not make a good signature
//! unusable; junk in the hashed area must.  The packets are edited here
//! byte by byte.

use openpgp::Packet;
use openpgp::parse::Parse;
use openpgp::serialize::Serialize;
use openpgp::types::SignatureType;
use predicates::prelude::*;
use predicates::str::contains;
use sequoia_openpgp as openpgp;

use crate::harness::*;

const DATA: &[u8] = b"signed, then decorated\n";

/// Malformed unhashed subpackets, by what is wrong with them.
const JUNK: [(&str, &[u8]); 4] = [
    // An issuer (type 16) of 3 bytes instead of 8.
    ("a short issuer", &[4, 16, 1, 2, 3]),
    // A creation time (type 2) of 2 bytes instead of 4.
    ("a short creation time", &[3, 2, 1, 2]),
    // A length running past the end of the area.
    ("a subpacket past the area", &[40, 16, 1, 2, 3]),
    // An issuer fingerprint of an unknown version, then a short issuer.
    (
        "an unknown fingerprint version",
        &[
            22, 33, 99, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 4,
            16, 1, 2, 3,
        ],
    ),
];

/// A v4 signature packet (new format, any length) with its unhashed area
/// replaced by `area`, or with `hashed` appended to its hashed area.
fn edit(sig: &openpgp::packet::Signature, area: Option<&[u8]>, hashed: &[u8]) -> Vec<u8> {
    let mut full = Vec::new();
    Packet::from(sig.clone()).serialize(&mut full).unwrap();
    // Skip the header to the body.
    let body_at = match full[1] {
        0..=191 => 2,
        192..=223 => 3,
        _ => 6,
    };
    let body = &full[body_at..];
    assert_eq!(body[0], 4, "a v4 signature");
    let hl = u16::from_be_bytes([body[4], body[5]]) as usize;
    let ul_at = 6 + hl;
    let ul = u16::from_be_bytes([body[ul_at], body[ul_at + 1]]) as usize;
    let mut new = body[..6].to_vec();
    let new_hl = hl + hashed.len();
    new[4..6].copy_from_slice(&(new_hl as u16).to_be_bytes());
    new.extend_from_slice(&body[6..6 + hl]);
    new.extend_from_slice(hashed);
    let unhashed = area.unwrap_or(&body[ul_at + 2..ul_at + 2 + ul]);
    new.extend_from_slice(&(unhashed.len() as u16).to_be_bytes());
    new.extend_from_slice(unhashed);
    new.extend_from_slice(&body[ul_at + 2 + ul..]);
    let mut out = vec![0xC2];
    let n = new.len();
    if n < 192 {
        out.push(n as u8);
    } else {
        let m = n - 192;
        out.extend_from_slice(&[(m >> 8) as u8 + 192, m as u8]);
    }
    out.extend_from_slice(&new);
    out
}

fn signature_of(bytes: &[u8]) -> openpgp::packet::Signature {
    match Packet::from_bytes(bytes).unwrap() {
        Packet::Signature(s) => s,
        p => panic!("not a signature: {p:?}"),
    }
}

#[test]
fn data_signatures_with_unhashed_junk_still_verify() {
    let s = Sop::new();
    s.key("alice", &[]);
    let sig = s.run(&["sign", "--no-armor", "alice.key"], DATA).ok();
    let sig = signature_of(&sig);
    for (what, junk) in JUNK {
        let edited = edit(&sig, Some(junk), &[]);
        s.write("edited.sig", &edited);
        let out = s.run(&["verify", "edited.sig", "alice.cert"], DATA).ok();
        assert!(
            String::from_utf8_lossy(&out).contains(r#""signers":["alice.cert"]"#),
            "{what}"
        );
        // Over other data it is still a bad signature.
        s.run(&["verify", "edited.sig", "alice.cert"], b"other data")
            .fails(3);
    }
    // Junk in the hashed area: no valid signature.
    let edited = edit(&sig, None, &[4, 16, 1, 2, 3]);
    s.write("hashed.sig", &edited);
    s.run(&["verify", "hashed.sig", "alice.cert"], DATA)
        .fails(3);
}

#[test]
fn verify_says_so_with_verbose() {
    let alice = User::new("Alice");
    let data = alice.write("data.txt", DATA);
    let sig = alice.sign(&["--detached"], DATA);
    let sig = match openpgp::PacketPile::from_bytes(&sig)
        .unwrap()
        .into_children()
        .next()
        .unwrap()
    {
        Packet::Signature(s) => s,
        p => panic!("{p:?}"),
    };
    let edited = alice.write("data.txt.sig", edit(&sig, Some(JUNK[0].1), &[]));
    alice
        .zpgp()
        .args(["-v", "verify"])
        .arg(&edited)
        .arg(&data)
        .assert()
        .success()
        .stderr(contains("dropped 1 malformed subpacket(s)"))
        .stderr(contains("Good signature").or(contains("good signature")));
    alice
        .zpgp()
        .arg("verify")
        .arg(&edited)
        .arg(&data)
        .assert()
        .success()
        .stderr(contains("malformed").not());
}

/// Alice's certificate with the unhashed area of her user ID binding or
/// of her encryption subkey's binding replaced by junk.
fn cert_with_junk(cert: &[u8], typ: SignatureType, junk: &[u8]) -> Vec<u8> {
    let cert = openpgp::Cert::from_bytes(cert).unwrap();
    let mut out = Vec::new();
    let mut edited = 0;
    for p in cert.into_packets() {
        match &p {
            Packet::Signature(s)
                if s.typ() == typ && edited == 0 && {
                    // The encryption subkey's binding, not the signing one's.
                    typ != SignatureType::SubkeyBinding
                        || s.key_flags().is_some_and(|f| f.for_storage_encryption())
                } =>
            {
                edited += 1;
                out.extend_from_slice(&edit(s, Some(junk), &[]));
            }
            _ => p.serialize(&mut out).unwrap(),
        }
    }
    assert_eq!(edited, 1);
    out
}

#[test]
fn bindings_with_unhashed_junk_still_bind() {
    let s = Sop::new();
    s.key("alice", &[]);
    let cert = s.read("alice.cert");
    for typ in [
        SignatureType::PositiveCertification,
        SignatureType::SubkeyBinding,
    ] {
        for (what, junk) in JUNK {
            let edited = cert_with_junk(&cert, typ, junk);
            s.write("edited.cert", &edited);
            // Encrypting needs both: a bound user ID (or the cert is
            // without a valid self-signature) and a bound encryption
            // subkey.
            let ct = s.run(&["encrypt", "edited.cert"], DATA).ok();
            assert_eq!(
                s.run(&["decrypt", "alice.key"], &ct).ok(),
                DATA,
                "{typ:?}, {what}"
            );
        }
    }
}

#[test]
fn import_keeps_bindings_with_unhashed_junk() {
    let (alice, bob) = (User::new("Alice"), User::new("Bob"));
    let cert = std::fs::read(bob.cert()).unwrap();
    let edited = cert_with_junk(&cert, SignatureType::SubkeyBinding, JUNK[0].1);
    let file = alice.write("bob-edited.pgp", edited);
    alice
        .zpgp()
        .args(["-v", "import"])
        .arg(&file)
        .assert()
        .success()
        .stderr(contains("dropped 1 malformed subpacket(s)"));
    // Bob's encryption subkey is bound: encrypting to him works, and he
    // reads it.
    let ct = alice.encrypt(&["-r", &bob.fpr, "--no-self"], DATA);
    bob.zpgp_pw()
        .arg("decrypt")
        .write_stdin(ct)
        .assert()
        .success()
        .stdout(DATA);
}

/// The packets of a signed message, out of any compressed container, with
/// its signature's unhashed area replaced by `junk` (or `hashed` added to
/// its hashed area).
fn flat_with_junk(signed: &[u8], junk: Option<&[u8]>, hashed: &[u8]) -> Vec<u8> {
    let pile = openpgp::PacketPile::from_bytes(signed).unwrap();
    let mut out = Vec::new();
    let mut edited = 0;
    for p in pile.descendants() {
        match p {
            Packet::CompressedData(_) => {}
            Packet::Signature(s) => {
                edited += 1;
                out.extend_from_slice(&edit(s, junk, hashed));
            }
            p => p.serialize(&mut out).unwrap(),
        }
    }
    assert_eq!(edited, 1);
    out
}

/// `packets` in a compressed container.
fn compressed(packets: &[u8]) -> Vec<u8> {
    use openpgp::serialize::stream::{Compressor, Message};
    use std::io::Write;
    let mut out = Vec::new();
    let message = Message::new(&mut out);
    let mut w = Compressor::new(message).build().unwrap();
    w.write_all(packets).unwrap();
    w.finalize().unwrap();
    out
}

/// `packets` encrypted (SEIPDv1) to the certificate in `cert`.
fn encrypted(packets: &[u8], cert: &std::path::Path) -> Vec<u8> {
    use openpgp::policy::StandardPolicy;
    use openpgp::serialize::stream::{Encryptor, Message};
    use std::io::Write;
    let cert = openpgp::Cert::from_file(cert).unwrap();
    let policy = StandardPolicy::new();
    let recipients = cert
        .keys()
        .with_policy(&policy, None)
        .supported()
        .for_transport_encryption();
    let mut out = Vec::new();
    let message = Message::new(&mut out);
    let mut w = Encryptor::for_recipients(message, recipients)
        .build()
        .unwrap();
    w.write_all(packets).unwrap();
    w.finalize().unwrap();
    out
}

#[test]
fn inline_signatures_with_unhashed_junk_still_verify() {
    let (alice, bob) = alice_and_bob();
    let signed = alice.sign(&[], DATA);
    for (what, junk) in JUNK {
        let flat = flat_with_junk(&signed, Some(junk), &[]);
        for (form, message) in [("plain", flat.clone()), ("compressed", compressed(&flat))] {
            let out = bob
                .zpgp()
                .args(["-v", "verify"])
                .write_stdin(message)
                .assert()
                .success()
                .stdout(DATA)
                .stderr(contains("malformed subpacket(s)"));
            let err = String::from_utf8_lossy(&out.get_output().stderr).to_lowercase();
            assert!(err.contains("good signature"), "{what}, {form}: {err}");
        }
    }
    // Junk in the hashed area: the signature is not good.
    let flat = flat_with_junk(&signed, None, &[4, 16, 1, 2, 3]);
    let out = bob
        .zpgp()
        .arg("verify")
        .write_stdin(flat)
        .assert()
        .failure();
    assert_eq!(out.get_output().status.code(), Some(3), "hashed junk");
}

#[test]
fn signatures_inside_encrypted_messages_with_unhashed_junk_still_verify() {
    let (alice, bob) = alice_and_bob();
    let signed = alice.sign(&[], DATA);
    for (what, junk) in JUNK {
        let flat = flat_with_junk(&signed, Some(junk), &[]);
        for inner in [flat.clone(), compressed(&flat)] {
            let message = encrypted(&inner, &bob.cert());
            let out = bob
                .zpgp_pw()
                .args(["-v", "decrypt", "--signer", &alice.fpr])
                .write_stdin(message)
                .assert()
                .success()
                .stdout(DATA)
                .stderr(contains("malformed subpacket(s)"));
            let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
            assert!(
                err.to_lowercase().contains("good signature"),
                "{what}: {err}"
            );
        }
    }
    // Over other content (the literal data changed, the signature
    // repaired) it is a bad signature: the repair does not excuse the
    // data.
    let other = alice.sign(&[], b"other data\n");
    let mut spliced = Vec::new();
    let pile = openpgp::PacketPile::from_bytes(&other).unwrap();
    for p in pile.descendants() {
        match p {
            Packet::CompressedData(_) | Packet::Signature(_) => {}
            p => p.serialize(&mut spliced).unwrap(),
        }
    }
    let orig = openpgp::PacketPile::from_bytes(&signed).unwrap();
    let sig = orig
        .descendants()
        .find_map(|p| match p {
            Packet::Signature(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap();
    spliced.extend_from_slice(&edit(&sig, Some(JUNK[0].1), &[]));
    let message = encrypted(&spliced, &bob.cert());
    let out = bob
        .zpgp_pw()
        .args(["decrypt", "--signer", &alice.fpr])
        .write_stdin(message)
        .assert()
        .failure();
    assert_eq!(out.get_output().status.code(), Some(3), "other data");
}
