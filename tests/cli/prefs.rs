//! Algorithm preferences (issue 14): the cipher and AEAD mode chosen from
//! the recipients' preferences, the hash from the signer's.  The keys are
//! made here with sequoia, their user ID binding re-signed with exactly
//! the preferences a case needs; the message's choice is read back from
//! its packets (SEIPDv2) or from the session key zpgp-sop exports on
//! decryption (SEIPDv1, where the cipher is inside the key packet).

use std::time::{Duration, SystemTime};

use openpgp::cert::prelude::*;
use openpgp::packet::SEIP;
use openpgp::packet::signature::SignatureBuilder;
use openpgp::packet::signature::subpacket::SubpacketTag;
use openpgp::parse::{PacketParser, PacketParserResult, Parse};
use openpgp::serialize::SerializeInto;
use openpgp::types::{
    AEADAlgorithm, Features, HashAlgorithm, KeyFlags, SignatureType, SymmetricAlgorithm,
};
use openpgp::{Cert, Packet};
use sequoia_openpgp as openpgp;

use crate::harness::Sop;

use AEADAlgorithm::{GCM, OCB};
use SymmetricAlgorithm::{AES128, AES192, AES256};

pub const DATA: &[u8] = b"Preferences decide.\n";

/// What a test key's user ID binding says (`None`: no such subpacket).
#[derive(Default, Clone)]
pub struct Prefs {
    pub sym: Option<Vec<SymmetricAlgorithm>>,
    pub hash: Option<Vec<HashAlgorithm>>,
    pub suites: Option<Vec<(SymmetricAlgorithm, AEADAlgorithm)>>,
    /// Advertise SEIPDv2 in the features subpacket (a v4 key).
    pub seipdv2: bool,
}

impl Prefs {
    pub fn sym(sym: &[SymmetricAlgorithm]) -> Prefs {
        Prefs {
            sym: Some(sym.to_vec()),
            ..Prefs::default()
        }
    }
}

/// Writes NAME.key and NAME.cert (v4, Cv25519/Ed25519) with `prefs` into
/// the SOP directory.
pub fn key_with(s: &Sop, name: &str, prefs: &Prefs) {
    let t0 = SystemTime::now() - Duration::from_secs(3600);
    let features = if prefs.seipdv2 {
        Features::empty().set_seipdv1().set_seipdv2()
    } else {
        Features::empty().set_seipdv1()
    };
    let (cert, _) = CertBuilder::new()
        .set_profile(openpgp::Profile::RFC4880)
        .unwrap()
        .set_creation_time(t0)
        .set_features(features)
        .unwrap()
        .add_userid(format!("{name} <{name}@example.org>"))
        .add_signing_subkey()
        .add_subkey(
            KeyFlags::empty()
                .set_transport_encryption()
                .set_storage_encryption(),
            None,
            None,
        )
        .generate()
        .unwrap();
    let mut signer = cert
        .primary_key()
        .key()
        .clone()
        .parts_into_secret()
        .unwrap()
        .into_keypair()
        .unwrap();
    let uid = cert.userids().next().unwrap();
    let old = uid.self_signatures().next().unwrap().clone();
    let mut b = SignatureBuilder::from(old)
        .set_signature_creation_time(t0 + Duration::from_secs(60))
        .unwrap()
        .modify_hashed_area(|mut a| {
            a.remove_all(SubpacketTag::PreferredSymmetricAlgorithms);
            a.remove_all(SubpacketTag::PreferredHashAlgorithms);
            a.remove_all(SubpacketTag::PreferredAEADCiphersuites);
            Ok(a)
        })
        .unwrap();
    if let Some(v) = &prefs.sym {
        b = b.set_preferred_symmetric_algorithms(v.clone()).unwrap();
    }
    if let Some(v) = &prefs.hash {
        b = b.set_preferred_hash_algorithms(v.clone()).unwrap();
    }
    if let Some(v) = &prefs.suites {
        b = b.set_preferred_aead_ciphersuites(v.clone()).unwrap();
    }
    let binding = uid.userid().bind(&mut signer, &cert, b).unwrap();
    // Only the new binding speaks for the user ID, and no direct-key
    // signature offers preferences of its own.
    let packets: Vec<Packet> = cert
        .into_tsk()
        .into_packets()
        .filter(|p| match p {
            Packet::Signature(s) => !matches!(
                s.typ(),
                SignatureType::DirectKey | SignatureType::PositiveCertification
            ),
            _ => true,
        })
        .collect();
    let mut packets = packets;
    let at = packets
        .iter()
        .position(|p| matches!(p, Packet::UserID(_)))
        .unwrap();
    packets.insert(at + 1, binding.into());
    let cert = Cert::from_packets(packets.into_iter()).unwrap();
    s.write(
        &format!("{name}.key"),
        cert.as_tsk().armored().to_vec().unwrap(),
    );
    s.write(&format!("{name}.cert"), cert.armored().to_vec().unwrap());
}

/// The cipher of a message for `key`: from its SEIPDv2 header, else from
/// the session key zpgp-sop exports when `key` decrypts it.
pub fn cipher_of(
    s: &Sop,
    message: &[u8],
    key: &str,
) -> (SymmetricAlgorithm, Option<AEADAlgorithm>) {
    if let Some((sym, aead)) = seipdv2(message) {
        return (sym, Some(aead));
    }
    s.run(
        &["decrypt", "--session-key-out", "session-key", key],
        message,
    )
    .ok();
    let sk = String::from_utf8(s.read("session-key")).unwrap();
    let algo: u8 = sk.split(':').next().unwrap().trim().parse().unwrap();
    (SymmetricAlgorithm::from(algo), None)
}

fn seipdv2(message: &[u8]) -> Option<(SymmetricAlgorithm, AEADAlgorithm)> {
    let mut ppr = PacketParser::from_bytes(message).unwrap();
    while let PacketParserResult::Some(pp) = ppr {
        if let Packet::SEIP(seip) = &pp.packet {
            return match seip {
                SEIP::V2(v2) => Some((v2.symmetric_algo(), v2.aead())),
                _ => None,
            };
        }
        ppr = pp.next().unwrap().1;
    }
    None
}

/// zpgp-sop encrypting to `certs`: the cipher (and mode) it chose.
fn zpgp_choice(cases: &[(&str, Prefs)]) -> (SymmetricAlgorithm, Option<AEADAlgorithm>) {
    let s = Sop::new();
    for (name, p) in cases {
        key_with(&s, name, p);
    }
    let certs: Vec<String> = cases.iter().map(|(n, _)| format!("{n}.cert")).collect();
    let mut args = vec!["encrypt"];
    args.extend(certs.iter().map(String::as_str));
    let ct = s.run(&args, DATA).ok();
    let first_key = format!("{}.key", cases[0].0);
    let got = cipher_of(&s, &ct, &first_key);
    // Every recipient can read it.
    for (name, _) in cases {
        let pt = s.run(&["decrypt", &format!("{name}.key")], &ct).ok();
        assert_eq!(pt, DATA);
    }
    got
}

#[test]
fn the_cipher_follows_the_recipients_preferences() {
    // Only AES-128: AES-128, as asked.
    assert_eq!(zpgp_choice(&[("a", Prefs::sym(&[AES128]))]), (AES128, None));
    // AES-192 first.
    assert_eq!(
        zpgp_choice(&[("a", Prefs::sym(&[AES192, AES256, AES128]))]),
        (AES192, None)
    );
    // No preferences at all: AES-256.
    assert_eq!(zpgp_choice(&[("a", Prefs::default())]), (AES256, None));
    // Two recipients: the first one's order among what both list.
    assert_eq!(
        zpgp_choice(&[
            ("a", Prefs::sym(&[AES192, AES128])),
            ("b", Prefs::sym(&[AES128, AES192])),
        ]),
        (AES192, None)
    );
    assert_eq!(
        zpgp_choice(&[
            ("a", Prefs::sym(&[AES256, AES128])),
            ("b", Prefs::sym(&[AES128])),
        ]),
        (AES128, None)
    );
    // Disjoint lists: nothing shared, AES-256.
    assert_eq!(
        zpgp_choice(&[("a", Prefs::sym(&[AES128])), ("b", Prefs::sym(&[AES192]))]),
        (AES256, None)
    );
    // A recipient without preferences constrains nothing.
    assert_eq!(
        zpgp_choice(&[("a", Prefs::default()), ("b", Prefs::sym(&[AES128]))]),
        (AES128, None)
    );
}

#[test]
fn v4_recipients_advertising_seipdv2_get_it_with_their_mode() {
    let v2 = |suites: Option<Vec<(SymmetricAlgorithm, AEADAlgorithm)>>,
              sym: &[SymmetricAlgorithm]| Prefs {
        sym: Some(sym.to_vec()),
        suites,
        seipdv2: true,
        ..Prefs::default()
    };
    // A ciphersuite list: its first entry.
    assert_eq!(
        zpgp_choice(&[("a", v2(Some(vec![(AES128, GCM), (AES256, OCB)]), &[AES256]))]),
        (AES128, Some(GCM))
    );
    // Two recipients: the first common suite in the first one's order.
    assert_eq!(
        zpgp_choice(&[
            ("a", v2(Some(vec![(AES256, GCM), (AES128, OCB)]), &[AES256])),
            ("b", v2(Some(vec![(AES128, OCB), (AES256, GCM)]), &[AES256])),
        ]),
        (AES256, Some(GCM))
    );
    // No ciphersuites: the cipher preference with OCB.
    assert_eq!(
        zpgp_choice(&[("a", v2(None, &[AES192]))]),
        (AES192, Some(OCB))
    );
    // One recipient without SEIPDv2: SEIPDv1 for both.
    assert_eq!(
        zpgp_choice(&[
            ("a", v2(Some(vec![(AES128, GCM)]), &[AES128])),
            ("b", Prefs::sym(&[AES128])),
        ]),
        (AES128, None)
    );
}

/// zpgp's v4 keys advertise SEIPDv1 only (GnuPG 2.2, which reads v4 keys,
/// cannot read SEIPDv2), its v6 keys SEIPDv2; so zpgp writes SEIPDv1 to
/// the first and SEIPDv2 to the second.
#[test]
fn zpgp_v4_keys_do_not_advertise_seipdv2() {
    use openpgp::parse::Parse as _;
    let s = Sop::new();
    let policy = openpgp::policy::StandardPolicy::new();
    for (profile, v2) in [("rfc4880", false), ("rfc9580", true)] {
        s.key(profile, &["--profile", profile]);
        let cert = Cert::from_bytes(&s.read(&format!("{profile}.cert"))).unwrap();
        let features = cert.with_policy(&policy, None).unwrap().features().unwrap();
        assert!(features.supports_seipdv1() || v2, "{profile}");
        assert_eq!(features.supports_seipdv2(), v2, "{profile}");
        let ct = s.run(&["encrypt", &format!("{profile}.cert")], DATA).ok();
        assert_eq!(seipdv2(&ct).is_some(), v2, "{profile}");
    }
}
