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

    pub fn hash(hash: &[HashAlgorithm]) -> Prefs {
        Prefs {
            hash: Some(hash.to_vec()),
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
    std::fs::remove_file(s.path("session-key")).unwrap();
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

/// The hash algorithms of the signatures in `data` (a detached signature
/// or a signed message), in order.
pub fn hashes_of(data: &[u8]) -> Vec<HashAlgorithm> {
    let mut out = Vec::new();
    let mut ppr = PacketParser::from_bytes(data).unwrap();
    while let PacketParserResult::Some(pp) = ppr {
        if let Packet::Signature(sig) = &pp.packet {
            out.push(sig.hash_algo());
        }
        ppr = pp.recurse().unwrap().1;
    }
    out
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

/// zpgp-sop signing with a key whose preferences are `prefs`: the hash.
fn zpgp_signs_with(prefs: &Prefs) -> HashAlgorithm {
    let s = Sop::new();
    key_with(&s, "signer", prefs);
    let sig = s.run(&["sign", "signer.key"], DATA).ok();
    s.write("data", DATA);
    s.write("data.sig", &sig);
    s.run(&["verify", "data.sig", "signer.cert"], DATA).ok();
    let hashes = hashes_of(&sig);
    assert_eq!(hashes.len(), 1);
    hashes[0]
}

#[test]
fn signatures_use_the_signers_hash_preference() {
    use HashAlgorithm::*;
    assert_eq!(zpgp_signs_with(&Prefs::hash(&[SHA256, SHA512])), SHA256);
    assert_eq!(zpgp_signs_with(&Prefs::hash(&[SHA384, SHA256])), SHA384);
    assert_eq!(zpgp_signs_with(&Prefs::hash(&[SHA224, SHA256])), SHA224);
    // No preferences: SHA-512.
    assert_eq!(zpgp_signs_with(&Prefs::default()), SHA512);
    // SHA-1 is never used, whatever the key prefers: the next it lists,
    // or SHA-512.
    assert_eq!(zpgp_signs_with(&Prefs::hash(&[SHA1, SHA224])), SHA224);
    assert_eq!(zpgp_signs_with(&Prefs::hash(&[SHA1, MD5])), SHA512);
}

#[test]
fn gpg_accepts_a_sha256_signature_made_for_the_keys_preference() {
    let Some(gpg) = crate::harness::Gpg::new() else {
        return;
    };
    let s = Sop::new();
    key_with(&s, "signer", &Prefs::hash(&[HashAlgorithm::SHA256]));
    let sig = s.run(&["sign", "signer.key"], DATA).ok();
    assert_eq!(hashes_of(&sig), [HashAlgorithm::SHA256]);
    gpg.import(&s.path("signer.cert"));
    let data = s.write("data", DATA);
    let sig = s.write("data.sig", &sig);
    let mut c = gpg.cmd();
    c.arg("--verify").arg(&sig).arg(&data);
    let out = gpg.run(c);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("Good signature"), "{err}");
    assert!(
        err.contains("SHA256") || !err.contains("digest algorithm"),
        "{err}"
    );
}

#[test]
fn signed_and_encrypted_messages_use_the_recipients_hash_preference() {
    use HashAlgorithm::*;
    let case = |signer: Prefs, recipients: &[Prefs]| -> HashAlgorithm {
        let s = Sop::new();
        key_with(&s, "signer", &signer);
        let mut args = vec![
            "encrypt".to_string(),
            "--sign-with".into(),
            "signer.key".into(),
        ];
        for (i, p) in recipients.iter().enumerate() {
            key_with(&s, &format!("r{i}"), p);
            args.push(format!("r{i}.cert"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let ct = s.run(&args, DATA).ok();
        // The signatures are inside: decrypted, the message is inline
        // signed data.
        let pt = s
            .run(
                &[
                    "decrypt",
                    "--verify-with",
                    "signer.cert",
                    "--verifications-out",
                    "v",
                    "r0.key",
                ],
                &ct,
            )
            .ok();
        assert_eq!(pt, DATA);
        assert!(!s.read("v").is_empty(), "the signature verifies");
        let key = openpgp::Cert::from_bytes(&s.read("r0.key")).unwrap();
        let hashes = decrypted_hashes(&ct, &key);
        assert_eq!(hashes.len(), 1);
        hashes[0]
    };
    // The recipient's preference wins over the signer's.
    assert_eq!(
        case(Prefs::hash(&[SHA256]), &[Prefs::hash(&[SHA384, SHA256])]),
        SHA384
    );
    // A recipient without preferences: the signer's.
    assert_eq!(case(Prefs::hash(&[SHA256]), &[Prefs::default()]), SHA256);
    // Two recipients: the first one's order among what both list.
    assert_eq!(
        case(
            Prefs::hash(&[SHA512]),
            &[
                Prefs::hash(&[SHA256, SHA384]),
                Prefs::hash(&[SHA384, SHA256])
            ]
        ),
        SHA256
    );
    // Nothing the recipients share: the signer's.
    assert_eq!(
        case(
            Prefs::hash(&[SHA384]),
            &[Prefs::hash(&[SHA256]), Prefs::hash(&[SHA512])]
        ),
        SHA384
    );
}

/// The hashes of the signatures inside a message encrypted to `key`.
fn decrypted_hashes(ct: &[u8], key: &Cert) -> Vec<HashAlgorithm> {
    use openpgp::crypto::SessionKey;
    use openpgp::parse::stream::*;
    struct H<'a>(&'a Cert, Vec<HashAlgorithm>);
    impl VerificationHelper for H<'_> {
        fn get_certs(&mut self, _: &[openpgp::KeyHandle]) -> openpgp::Result<Vec<Cert>> {
            Ok(Vec::new())
        }
        fn check(&mut self, structure: MessageStructure) -> openpgp::Result<()> {
            for layer in structure {
                if let MessageLayer::SignatureGroup { results } = layer {
                    for r in results {
                        let sig = match &r {
                            Ok(g) => g.sig,
                            Err(VerificationError::MissingKey { sig }) => sig,
                            Err(e) => panic!("{e}"),
                        };
                        self.1.push(sig.hash_algo());
                    }
                }
            }
            Ok(())
        }
    }
    impl DecryptionHelper for H<'_> {
        fn decrypt(
            &mut self,
            pkesks: &[openpgp::packet::PKESK],
            _: &[openpgp::packet::SKESK],
            sym: Option<SymmetricAlgorithm>,
            decrypt: &mut dyn FnMut(Option<SymmetricAlgorithm>, &SessionKey) -> bool,
        ) -> openpgp::Result<Option<Cert>> {
            let policy = openpgp::policy::StandardPolicy::new();
            for ka in self
                .0
                .keys()
                .with_policy(&policy, None)
                .for_transport_encryption()
                .secret()
            {
                let mut pair = ka.key().clone().into_keypair()?;
                for p in pkesks {
                    if let Some((algo, sk)) = p.decrypt(&mut pair, sym) {
                        if decrypt(algo, &sk) {
                            return Ok(None);
                        }
                    }
                }
            }
            Err(anyhow::anyhow!("no key"))
        }
    }
    let policy = openpgp::policy::StandardPolicy::new();
    let mut d = DecryptorBuilder::from_bytes(ct)
        .unwrap()
        .with_policy(&policy, None, H(key, Vec::new()))
        .unwrap();
    std::io::copy(&mut d, &mut std::io::sink()).unwrap();
    d.into_helper().1
}
