//! The fast paths against sequoia's own: messages written by one are read
//! by the other, byte for byte, at the sizes where framing, blocks and
//! chunks change; and the primitives against libcrypto's plain modes.

use std::io::{Read, Write};

use sequoia_openpgp as openpgp;

use openpgp::Cert;
use openpgp::cert::prelude::*;
use openpgp::crypto::{Password, SessionKey};
use openpgp::packet::{PKESK, SKESK};
use openpgp::parse::Parse;
use openpgp::parse::stream::{
    DecryptionHelper, DecryptorBuilder, MessageStructure, VerificationHelper,
};
use openpgp::policy::StandardPolicy;
use openpgp::serialize::stream::{Encryptor, LiteralWriter, Message, Recipient};
use openpgp::types::{AEADAlgorithm, SymmetricAlgorithm};

use super::crypto::{Aead, CfbDecryptor, MdcHasher};
use crate::ops::{DecryptOptions, EncryptOptions, MessageFormat};

static P: StandardPolicy = StandardPolicy::new();

const SIZES: &[usize] = &[
    0,
    1,
    15,
    16,
    17,
    22,
    23,
    4095,
    4096,
    4097,
    (1 << 18) - 1,
    1 << 18,
    (1 << 18) + 1,
    (1 << 20) - 19,
    (1 << 20) - 18,
    (1 << 20) - 1,
    1 << 20,
    (1 << 20) + 1,
    (2 << 20) + 40,
    (3 << 20) + 7,
];

fn data(n: usize, seed: u8) -> Vec<u8> {
    let mut x = 0x9e37_79b9_u32 ^ seed as u32;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// A v4 cert advertises SEIPDv1 only, as zpgp's and GnuPG's do.
fn cert(profile: openpgp::Profile) -> Cert {
    let mut b = CertBuilder::general_purpose(Some("Fast <fast@example.org>"))
        .set_cipher_suite(CipherSuite::Cv25519)
        .set_profile(profile)
        .unwrap();
    if profile == openpgp::Profile::RFC4880 {
        b = b
            .set_features(openpgp::types::Features::empty().set_seipdv1())
            .unwrap();
    }
    b.generate().unwrap().0
}

/// Sequoia's stock decryptor, with a key or a password.
struct Stock<'a> {
    key: Option<&'a Cert>,
    password: Option<Password>,
}

impl VerificationHelper for Stock<'_> {
    fn get_certs(&mut self, _: &[openpgp::KeyHandle]) -> openpgp::Result<Vec<Cert>> {
        Ok(Vec::new())
    }
    fn check(&mut self, _: MessageStructure) -> openpgp::Result<()> {
        Ok(())
    }
}

impl DecryptionHelper for Stock<'_> {
    fn decrypt(
        &mut self,
        pkesks: &[PKESK],
        skesks: &[SKESK],
        sym: Option<SymmetricAlgorithm>,
        decrypt: &mut dyn FnMut(Option<SymmetricAlgorithm>, &SessionKey) -> bool,
    ) -> openpgp::Result<Option<Cert>> {
        if let Some(cert) = self.key {
            for ka in cert
                .keys()
                .secret()
                .with_policy(&P, None)
                .for_transport_encryption()
            {
                let mut kp = ka.key().clone().into_keypair()?;
                for p in pkesks {
                    if let Some((algo, sk)) = p.decrypt(&mut kp, sym) {
                        if decrypt(algo, &sk) {
                            return Ok(None);
                        }
                    }
                }
            }
        }
        if let Some(pw) = &self.password {
            for s in skesks {
                if let Ok((algo, sk)) = s.decrypt(pw) {
                    if decrypt(algo, &sk) {
                        return Ok(None);
                    }
                }
            }
        }
        Err(anyhow::anyhow!("no key"))
    }
}

fn stock_decrypt(ct: &[u8], key: Option<&Cert>, password: Option<&str>) -> Vec<u8> {
    let helper = Stock {
        key,
        password: password.map(Password::from),
    };
    let mut d = DecryptorBuilder::from_bytes(ct)
        .unwrap()
        .with_policy(&P, None, helper)
        .unwrap();
    let mut out = Vec::new();
    d.read_to_end(&mut out).unwrap();
    out
}

/// Sequoia's stock encryptor; SEIPDv2 when given an AEAD mode.
fn stock_encrypt(
    pt: &[u8],
    cert: Option<&Cert>,
    password: Option<&str>,
    sym: SymmetricAlgorithm,
    aead: Option<AEADAlgorithm>,
) -> Vec<u8> {
    let mut out = Vec::new();
    let message = Message::new(&mut out);
    let recipients: Vec<Recipient> = cert
        .into_iter()
        .flat_map(|c| {
            c.keys()
                .with_policy(&P, None)
                .for_transport_encryption()
                .map(|ka| ka.into())
                .collect::<Vec<_>>()
        })
        .collect();
    let mut e = Encryptor::for_recipients(message, recipients)
        .add_passwords(password.map(Password::from))
        .symmetric_algo(sym);
    if let Some(aead) = aead {
        e = e.aead_algo(aead);
    }
    let message = e.build().unwrap();
    let mut w = LiteralWriter::new(message).build().unwrap();
    w.write_all(pt).unwrap();
    w.finalize().unwrap();
    out
}

fn fast_encrypt(pt: &[u8], cert: Option<&Cert>, password: Option<&str>, armor: bool) -> Vec<u8> {
    let mut opts = EncryptOptions::new(&P);
    opts.recipients = cert.into_iter().cloned().collect();
    opts.passwords = password.into_iter().map(Password::from).collect();
    opts.armor = armor;
    let mut out = Vec::new();
    crate::ops::encrypt(pt, &mut out, &opts).unwrap();
    out
}

fn fast_decrypt(ct: &[u8], key: Option<&Cert>, password: Option<&str>) -> anyhow::Result<Vec<u8>> {
    let mut opts = DecryptOptions::new(&P);
    opts.secret_keys = key.into_iter().cloned().collect();
    opts.passwords = password.into_iter().map(Password::from).collect();
    let mut out = Vec::new();
    crate::ops::decrypt(ct, &mut out, &mut opts)?;
    Ok(out)
}

/// SEIPD version and, for v2, the chunk size octet.
fn container(ct: &[u8]) -> (u8, Option<u8>) {
    use openpgp::parse::{PacketParser, PacketParserResult};
    let mut ppr = PacketParser::from_bytes(ct).unwrap();
    while let PacketParserResult::Some(pp) = ppr {
        if let openpgp::Packet::SEIP(s) = &pp.packet {
            return match s {
                openpgp::packet::SEIP::V1(_) => (1, None),
                openpgp::packet::SEIP::V2(s) => {
                    (2, Some(s.chunk_size().trailing_zeros() as u8 - 6))
                }
                _ => (0, None),
            };
        }
        ppr = pp.next().unwrap().1;
    }
    (0, None)
}

#[test]
fn fast_messages_read_by_sequoia_and_back() {
    // The fast paths even for small messages.
    super::set_min_size_for_this_thread(0);
    let v4 = cert(openpgp::Profile::RFC4880);
    let v6 = cert(openpgp::Profile::RFC9580);
    for (i, &n) in SIZES.iter().enumerate() {
        let pt = data(n, i as u8);
        // v4 key: SEIPDv1; v6 key: SEIPDv2 with 256 KiB chunks.
        for (c, version) in [(&v4, 1), (&v6, 2)] {
            let ct = fast_encrypt(&pt, Some(c), None, i % 3 == 0);
            if i % 3 != 0 {
                let (v, chunk) = container(&ct);
                assert_eq!(v, version, "size {n}");
                if v == 2 {
                    assert_eq!(chunk, Some(12), "size {n}");
                }
            }
            assert_eq!(stock_decrypt(&ct, Some(c), None), pt, "v{version} size {n}");
            assert_eq!(fast_decrypt(&ct, Some(c), None).unwrap(), pt, "size {n}");

            let ct = stock_encrypt(
                &pt,
                Some(c),
                None,
                SymmetricAlgorithm::AES256,
                (version == 2).then_some(AEADAlgorithm::OCB),
            );
            assert_eq!(container(&ct).0, version);
            assert_eq!(
                fast_decrypt(&ct, Some(c), None).unwrap(),
                pt,
                "stock v{version} size {n}"
            );
        }
    }
}

#[test]
fn password_messages_both_ways() {
    // The fast paths even for small messages.
    super::set_min_size_for_this_thread(0);
    for (i, &n) in [0usize, 17, 1 << 20, (1 << 20) + 5].iter().enumerate() {
        let pt = data(n, 40 + i as u8);
        let ct = fast_encrypt(&pt, None, Some("secret"), false);
        assert_eq!(container(&ct).0, 1);
        assert_eq!(stock_decrypt(&ct, None, Some("secret")), pt);
        assert_eq!(fast_decrypt(&ct, None, Some("secret")).unwrap(), pt);
        for aead in [None, Some(AEADAlgorithm::OCB)] {
            let ct = stock_encrypt(&pt, None, Some("secret"), SymmetricAlgorithm::AES256, aead);
            assert_eq!(fast_decrypt(&ct, None, Some("secret")).unwrap(), pt);
        }
    }
}

/// Every single-bit flip in the container body and every truncation of a
/// two-buffer message fails, whichever buffer or chunk it hits.
#[test]
fn damage_anywhere_fails() {
    // The fast paths even for small messages.
    super::set_min_size_for_this_thread(0);
    let v4 = cert(openpgp::Profile::RFC4880);
    let v6 = cert(openpgp::Profile::RFC9580);
    let pt = data((2 << 20) + 333, 7);
    for c in [&v4, &v6] {
        let ct = fast_encrypt(&pt, Some(c), None, false);
        let len = ct.len();
        let mut spots: Vec<usize> = vec![len - 1, len - 16, len - 17, len - 21, len - 22, len - 23];
        spots.extend([len / 2, len / 3, 300, 1 << 20, (1 << 20) + 1, (1 << 20) + 6]);
        for at in spots {
            let mut bad = ct.clone();
            bad[at] ^= 0x01;
            assert!(
                fast_decrypt(&bad, Some(c), None).is_err(),
                "flip at {at} of {len}"
            );
        }
        for keep in [
            len - 1,
            len - 16,
            len - 22,
            len - 23,
            len / 2,
            (1 << 20) + 3,
        ] {
            assert!(
                fast_decrypt(&ct[..keep], Some(c), None).is_err(),
                "cut to {keep} of {len}"
            );
        }
        let mut longer = ct.clone();
        longer.extend_from_slice(&[0xc0 | 11, 1, b'x']);
        assert!(
            fast_decrypt(&longer, Some(c), None).is_err(),
            "appended packet"
        );
    }
}

#[test]
fn gcm_messages_decrypt() {
    // The fast paths even for small messages.
    super::set_min_size_for_this_thread(0);
    let v6 = cert(openpgp::Profile::RFC9580);
    let pt = data(300_000, 9);
    let out = stock_encrypt(
        &pt,
        Some(&v6),
        None,
        SymmetricAlgorithm::AES128,
        Some(AEADAlgorithm::GCM),
    );
    assert_eq!(fast_decrypt(&out, Some(&v6), None).unwrap(), pt);
}

#[test]
fn other_ciphers_take_the_stock_path() {
    // The fast paths even for small messages.
    super::set_min_size_for_this_thread(0);
    let v4 = cert(openpgp::Profile::RFC4880);
    let pt = data(5000, 3);
    let out = stock_encrypt(&pt, Some(&v4), None, SymmetricAlgorithm::Camellia256, None);
    let mut opts = DecryptOptions::new(&P);
    opts.secret_keys = vec![v4.clone()];
    let mut got = Vec::new();
    let report = crate::ops::decrypt(&out[..], &mut got, &mut opts).unwrap();
    assert_eq!(got, pt);
    assert_eq!(report.format, Some(MessageFormat::SeipdV1));
    assert!(matches!(
        report.decrypted_with,
        Some(crate::ops::DecryptedWith::Key { .. })
    ));
}

#[test]
fn cfb_decryption_matches_libcrypto() {
    use openssl::symm::{Cipher, decrypt};
    let key = data(32, 1);
    let ct = data(1000, 2);
    let want = decrypt(Cipher::aes_256_cfb128(), &key, Some(&[0u8; 16]), &ct).unwrap();
    let mut dec = CfbDecryptor::new(SymmetricAlgorithm::AES256, &key).unwrap();
    let mut got = Vec::new();
    let mut prev = [0u8; 16];
    // Pieces of whole blocks, then a partial one.
    for piece in [&ct[..480], &ct[480..992], &ct[992..]] {
        let mut shifted = prev.to_vec();
        shifted.extend_from_slice(piece);
        let mut out = vec![0u8; piece.len().div_ceil(16) * 16 + 16];
        dec.decrypt(&shifted, piece.len(), &mut out).unwrap();
        got.extend_from_slice(&out[..piece.len()]);
        if piece.len() >= 16 {
            prev.copy_from_slice(&piece[piece.len() - 16..]);
        }
    }
    assert_eq!(got, want);
}

#[test]
fn mdc_hasher_holds_back_the_digest() {
    let stream = data(1000, 5);
    for split in [0usize, 1, 19, 20, 21, 500, 980, 999] {
        let mut h = MdcHasher::new();
        h.update(&stream[..split]);
        for b in stream[split..].chunks(7) {
            h.update(b);
        }
        let (digest, held) = h.finish();
        assert_eq!(held, &stream[980..]);
        assert_eq!(digest, openssl::sha::sha1(&stream[..980]), "split {split}");
    }
}

#[test]
fn aead_chunks_match_a_fresh_context() {
    let key = data(32, 8);
    let iv = data(7, 9);
    let ad = [0xd2, 2, 9, 2, 12];
    let mut seal = Aead::new(
        SymmetricAlgorithm::AES256,
        AEADAlgorithm::OCB,
        &key,
        &iv,
        &ad,
        true,
    )
    .unwrap();
    let mut open = Aead::new(
        SymmetricAlgorithm::AES256,
        AEADAlgorithm::OCB,
        &key,
        &iv,
        &ad,
        false,
    )
    .unwrap();
    for (i, n) in [1usize, 15, 16, 17, 4096, 4097].into_iter().enumerate() {
        let pt = data(n, i as u8);
        let mut ct = vec![0u8; n + 16];
        seal.seal(i as u64, &pt, &mut ct).unwrap();
        // The same chunk through a new context, as sequoia does it.
        let mut nonce = iv.clone();
        nonce.extend_from_slice(&(i as u64).to_be_bytes());
        let mut tag = [0u8; 16];
        let want = openssl::symm::encrypt_aead(
            openssl::symm::Cipher::aes_256_ocb(),
            &key,
            Some(&nonce),
            &ad,
            &pt,
            &mut tag,
        )
        .unwrap();
        assert_eq!(&ct[..n], &want[..]);
        assert_eq!(&ct[n..], &tag[..]);
        let mut back = vec![0u8; n + 16];
        assert_eq!(open.open(i as u64, &ct, &mut back).unwrap(), n);
        assert_eq!(&back[..n], &pt[..]);
        ct[n / 2] ^= 1;
        assert!(open.open(i as u64, &ct, &mut back).is_err());
    }
}

#[test]
fn small_messages_take_sequoias_path() {
    let v6 = cert(openpgp::Profile::RFC9580);
    for n in [0, 4096, super::FAST_MIN_SIZE - 1] {
        let pt = data(n, 11);
        let ct = fast_encrypt(&pt, Some(&v6), None, false);
        // Sequoia writes 4 KiB chunks, the fast path 256 KiB.
        assert_eq!(container(&ct), (2, Some(6)), "size {n}");
        assert_eq!(fast_decrypt(&ct, Some(&v6), None).unwrap(), pt);
    }
    let pt = data(super::FAST_MIN_SIZE, 12);
    let ct = fast_encrypt(&pt, Some(&v6), None, false);
    assert_eq!(container(&ct), (2, Some(12)));
    assert_eq!(stock_decrypt(&ct, Some(&v6), None), pt);
}

/// The RFC 9580 sample messages (A.8 with the A.4 key, A.10 OCB and A.11
/// GCM with their password) through the fast path.
#[test]
fn rfc9580_vectors_through_the_fast_path() {
    super::set_min_size_for_this_thread(0);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rfc9580");
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    let key = Cert::from_bytes(&read("a4-v6-secret-key.asc")).unwrap();
    let hello = b"Hello, world!";
    assert_eq!(
        fast_decrypt(&read("a8-x25519-aead-ocb.asc"), Some(&key), None).unwrap(),
        hello
    );
    for name in ["a10-aead-ocb.asc", "a11-aead-gcm.asc"] {
        assert_eq!(
            fast_decrypt(&read(name), None, Some("password")).unwrap(),
            hello,
            "{name}"
        );
    }
}

// The packet reader and re-framer the CLI tests use too.
#[path = "../../../tests/cli/packets.rs"]
mod packets;

/// Framing a reader must accept however the writer chose it: messages
/// re-framed with old-format session-key packets and the SEIPD body in
/// partial bodies (512 bytes first, then down to 1-byte pieces and up to
/// 1 MiB; 512-byte pieces, then the rest in ever smaller ones down to one
/// byte, and an empty last piece), at a size sequoia's path reads and one
/// the fast path reads; for a v4 key (SEIPDv1), a v6 key (SEIPDv2), a
/// password (SEIPDv1), and a v6 key and a password opened with the
/// password alone (SEIPDv2 through a v6 SKESK).  And messages larger than
/// the encryptor's 4 MiB buffer, which stream out in partial bodies.
#[test]
fn other_framings_decrypt() {
    use packets::{reframe, seipd};
    let v4 = cert(openpgp::Profile::RFC4880);
    let v6 = cert(openpgp::Profile::RFC9580);
    let pw = Some("fast path message password");
    // (what, encrypt to, opened by, SEIPD version)
    let kinds = [
        ("v4", (Some(&v4), None), (Some(&v4), None), 1),
        ("v6", (Some(&v6), None), (Some(&v6), None), 2),
        ("password", (None, pw), (None, pw), 1),
        ("v6 and password", (Some(&v6), pw), (None, pw), 2),
    ];
    let patterns = [
        (&[9, 0, 1, 13, 16, 20][..], false),
        (&[9][..], true),
        (&[12, 10][..], false),
    ];
    for (k, (kind, (to, to_pw), (key, key_pw), version)) in kinds.into_iter().enumerate() {
        for size in [4097, super::FAST_MIN_SIZE + 1] {
            let pt = data(size, 60 + k as u8);
            let ct = fast_encrypt(&pt, to, to_pw, false);
            assert_eq!(container(&ct).0, version, "{kind} {size}");
            let body = seipd(&ct).body(&ct);
            for (exponents, empty_last) in patterns {
                let what = format!(
                    "{kind} {size} bytes in partial bodies {exponents:?}, empty last {empty_last}"
                );
                let framed = reframe(&ct, exponents, empty_last);
                // Same body bytes, other packet headers.
                assert_eq!(seipd(&framed).body(&framed), body, "{what}");
                let pieces = seipd(&framed).pieces;
                assert!(pieces.len() > 1, "{what}");
                assert!(!empty_last || pieces.last().unwrap().1 == 0, "{what}");
                assert!(fast_decrypt(&framed, key, key_pw).unwrap() == pt, "{what}");
            }
        }
    }

    for (c, version) in [(&v4, 1), (&v6, 2)] {
        let pt = data((4 << 20) + 5, 70 + version);
        let ct = fast_encrypt(&pt, Some(c), None, false);
        assert_eq!(container(&ct).0, version, "v{version} 4 MiB + 5 bytes");
        assert!(
            fast_decrypt(&ct, Some(c), None).unwrap() == pt,
            "v{version} 4 MiB + 5 bytes"
        );
    }
}
