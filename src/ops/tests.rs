//! Round-trip tests of the operations with freshly generated Cv25519 keys,
//! in both the v4 (RFC 4880) and v6 (RFC 9580) profiles.

use std::cell::Cell;
use std::time::{Duration, SystemTime};

use sequoia_openpgp as openpgp;

use openpgp::Profile;
use openpgp::cert::prelude::*;
use openpgp::crypto::Password;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::Serialize as _;
use openpgp::types::Features;

use super::*;
use crate::error::{Failure, failure_of};

static P: StandardPolicy = StandardPolicy::new();

/// Which kind of cert to make.
#[derive(Clone, Copy)]
enum Kind {
    /// v6, advertises SEIPDv2.
    V6,
    /// v4, advertises SEIPDv2 (sequoia's default features).
    V4,
    /// v4 advertising SEIPDv1 only, like a GnuPG 2.2 key.
    V4Legacy,
}

fn builder(uid: &str, kind: Kind) -> CertBuilder<'static> {
    let b = CertBuilder::general_purpose(Some(uid)).set_cipher_suite(CipherSuite::Cv25519);
    match kind {
        Kind::V6 => b.set_profile(Profile::RFC9580).unwrap(),
        Kind::V4 => b.set_profile(Profile::RFC4880).unwrap(),
        Kind::V4Legacy => b
            .set_profile(Profile::RFC4880)
            .unwrap()
            .set_features(Features::empty().set_seipdv1())
            .unwrap(),
    }
}

fn make(uid: &str, kind: Kind) -> Cert {
    builder(uid, kind).generate().unwrap().0
}

fn make_locked(uid: &str, kind: Kind, pw: &str) -> Cert {
    builder(uid, kind)
        .set_password(Some(pw.into()))
        .generate()
        .unwrap()
        .0
}

fn public(cert: &Cert) -> Cert {
    cert.clone().strip_secret_key_material()
}

fn signer(cert: &Cert) -> super::SigningKey {
    let key = signing_key(cert, &P, None).unwrap();
    unlock(&key, None).unwrap().into()
}

fn encrypt_to(data: &[u8], opts: &EncryptOptions) -> (Vec<u8>, EncryptReport) {
    let mut out = Vec::new();
    let report = encrypt(data, &mut out, opts).unwrap();
    (out, report)
}

fn decrypt_with(ct: &[u8], opts: &mut DecryptOptions) -> anyhow::Result<(Vec<u8>, DecryptReport)> {
    let mut out = Vec::new();
    let report = decrypt(ct, &mut out, opts)?;
    Ok((out, report))
}

fn key_opts(keys: &[&Cert]) -> DecryptOptions<'static> {
    let mut o = DecryptOptions::new(&P);
    o.secret_keys = keys.iter().map(|c| (*c).clone()).collect();
    o
}

fn failure<T>(r: anyhow::Result<T>) -> (Failure, String) {
    let Err(e) = r else {
        panic!("expected an error")
    };
    let f = failure_of(&e).unwrap_or_else(|| panic!("no failure kind in {e:?}"));
    (f, format!("{e:#}"))
}

const DATA: &[u8] = b"Hello, World!\nA second line.\n";

#[test]
fn several_recipients_each_decrypt() {
    for (kinds, want) in [
        ([Kind::V6, Kind::V6, Kind::V4], MessageFormat::SeipdV2),
        ([Kind::V6, Kind::V4Legacy, Kind::V4], MessageFormat::SeipdV1),
    ] {
        let keys: Vec<Cert> = kinds
            .iter()
            .enumerate()
            .map(|(i, k)| make(&format!("R{i} <r{i}@example.org>"), *k))
            .collect();
        let mut opts = EncryptOptions::new(&P);
        opts.recipients = keys.iter().map(public).collect();
        opts.armor = true;
        let (ct, report) = encrypt_to(DATA, &opts);
        assert!(ct.starts_with(b"-----BEGIN PGP MESSAGE-----"));
        assert_eq!(report.format, want);
        assert_eq!(report.recipients.len(), 3);
        assert_eq!(report.aead_algo.is_some(), want == MessageFormat::SeipdV2);
        for k in &keys {
            let (pt, r) = decrypt_with(&ct, &mut key_opts(&[k])).unwrap();
            assert_eq!(pt, DATA);
            assert_eq!(r.format, Some(want));
            assert_eq!(r.recipients.len(), 3);
            assert!(
                matches!(r.decrypted_with, Some(DecryptedWith::Key { ref cert_fingerprint, .. })
                if *cert_fingerprint == k.fingerprint().to_hex())
            );
            let lit = r.literal.unwrap();
            assert_eq!(lit.format, "binary");
            assert_eq!(lit.file_name, None);
        }
    }
}

#[test]
fn password_only() {
    for format in [MessageFormat::Auto, MessageFormat::SeipdV2] {
        let mut opts = EncryptOptions::new(&P);
        opts.passwords = vec!["correct horse".into()];
        opts.format = format;
        let (ct, report) = encrypt_to(DATA, &opts);
        let want = if format == MessageFormat::Auto {
            MessageFormat::SeipdV1
        } else {
            MessageFormat::SeipdV2
        };
        assert_eq!(report.format, want);

        let mut d = DecryptOptions::new(&P);
        d.passwords = vec!["correct horse".into()];
        let (pt, r) = decrypt_with(&ct, &mut d).unwrap();
        assert_eq!(pt, DATA);
        assert!(matches!(r.decrypted_with, Some(DecryptedWith::Password)));
        assert_eq!(r.password_packets, 1);

        // Asking: a wrong answer first, then the right one.
        let asked = Cell::new(0);
        let mut d = DecryptOptions::new(&P);
        d.message_password = Some(Box::new(|attempt| {
            asked.set(asked.get() + 1);
            Ok(Some(
                if attempt == 0 {
                    "wrong"
                } else {
                    "correct horse"
                }
                .into(),
            ))
        }));
        let (pt, _) = decrypt_with(&ct, &mut d).unwrap();
        assert_eq!(pt, DATA);
        drop(d);
        assert_eq!(asked.get(), 2);

        // Wrong password, then giving up.
        let mut d = DecryptOptions::new(&P);
        d.passwords = vec!["wrong".into()];
        let (f, msg) = failure(decrypt_with(&ct, &mut d));
        assert_eq!(f, Failure::CannotDecrypt);
        assert!(msg.contains("wrong password"), "{msg}");

        // No password at all.
        let (f, msg) = failure(decrypt_with(&ct, &mut DecryptOptions::new(&P)));
        assert_eq!(f, Failure::CannotDecrypt);
        assert!(msg.contains("none was given"), "{msg}");
    }
}

#[test]
fn password_and_key() {
    let alice = make("Alice <alice@example.org>", Kind::V6);
    let mut opts = EncryptOptions::new(&P);
    opts.recipients = vec![public(&alice)];
    opts.passwords = vec!["pw".into()];
    let (ct, report) = encrypt_to(DATA, &opts);
    assert_eq!(report.format, MessageFormat::SeipdV2);

    let (pt, r) = decrypt_with(&ct, &mut key_opts(&[&alice])).unwrap();
    assert_eq!(pt, DATA);
    assert!(matches!(r.decrypted_with, Some(DecryptedWith::Key { .. })));

    let mut d = DecryptOptions::new(&P);
    d.passwords = vec!["pw".into()];
    let (pt, r) = decrypt_with(&ct, &mut d).unwrap();
    assert_eq!(pt, DATA);
    assert!(matches!(r.decrypted_with, Some(DecryptedWith::Password)));

    // A wrong key, and no password: the message names its recipient.
    let bob = make("Bob <bob@example.org>", Kind::V4);
    let (f, msg) = failure(decrypt_with(&ct, &mut key_opts(&[&bob])));
    assert_eq!(f, Failure::CannotDecrypt);
    assert!(msg.contains("no password was given"), "{msg}");
}

#[test]
fn sign_and_encrypt_reports_good_signature() {
    for kind in [Kind::V6, Kind::V4Legacy] {
        let alice = make("Alice <alice@example.org>", kind);
        let bob = make("Bob <bob@example.org>", kind);
        let mut opts = EncryptOptions::new(&P);
        opts.recipients = vec![public(&bob)];
        opts.signers = vec![signer(&alice)];
        let (ct, report) = encrypt_to(DATA, &opts);
        assert_eq!(report.signers.len(), 1);

        let mut d = key_opts(&[&bob]);
        d.verify_certs = vec![public(&alice)];
        let (pt, r) = decrypt_with(&ct, &mut d).unwrap();
        assert_eq!(pt, DATA);
        assert_eq!(r.signatures.len(), 1);
        let s = &r.signatures[0];
        assert_eq!(s.status, SignatureStatus::Good, "{s:?}");
        assert_eq!(s.cert_fingerprint, Some(alice.fingerprint().to_hex()));
        assert_eq!(s.user_id.as_deref(), Some("Alice <alice@example.org>"));
        assert!(s.creation_time.is_some());
        assert!(s.key_fingerprint.is_some());
        assert!(r.symmetric_algo.is_some());
        assert_eq!(r.good_signatures().count(), 1);

        // Without the signer's cert: unknown signer.
        let (_, r) = decrypt_with(&ct, &mut key_opts(&[&bob])).unwrap();
        assert_eq!(r.signatures[0].status, SignatureStatus::UnknownSigner);
        assert!(r.signatures[0].issuer.is_some());
        // The report serializes.
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"status\":\"unknown_signer\""), "{json}");
    }
}

#[test]
fn locked_keys() {
    let bob = make_locked("Bob <bob@example.org>", Kind::V6, "bob's secret");
    let mut opts = EncryptOptions::new(&P);
    opts.recipients = vec![public(&bob)];
    let (ct, _) = encrypt_to(DATA, &opts);

    // Wrong passphrase, then giving up.
    let asked = Cell::new(0);
    let mut d = key_opts(&[&bob]);
    d.key_passphrase = Some(Box::new(|cert, _key, attempt| {
        assert_eq!(cert.fingerprint(), bob.fingerprint());
        asked.set(asked.get() + 1);
        Ok((attempt < 2).then(|| "wrong".into()))
    }));
    let (f, msg) = failure(decrypt_with(&ct, &mut d));
    drop(d);
    assert_eq!(f, Failure::KeyIsProtected);
    assert!(msg.contains("Bob <bob@example.org>"), "{msg}");
    assert_eq!(asked.get(), 3);

    // No way to ask at all.
    let (f, _) = failure(decrypt_with(&ct, &mut key_opts(&[&bob])));
    assert_eq!(f, Failure::KeyIsProtected);

    // A known passphrase.
    let mut d = key_opts(&[&bob]);
    d.key_passwords = vec!["nope".into(), "bob's secret".into()];
    let (pt, _) = decrypt_with(&ct, &mut d).unwrap();
    assert_eq!(pt, DATA);

    // Asked, right on the second try.
    let mut d = key_opts(&[&bob]);
    d.key_passphrase = Some(Box::new(|_, _, attempt| {
        Ok(Some(
            if attempt == 0 {
                "wrong"
            } else {
                "bob's secret"
            }
            .into(),
        ))
    }));
    let (pt, _) = decrypt_with(&ct, &mut d).unwrap();
    assert_eq!(pt, DATA);

    // The unlock helper alone.
    let key = signing_key(&bob, &P, None).unwrap();
    let (f, msg) = failure(unlock(&key, Some(&Password::from("wrong"))));
    assert_eq!(f, Failure::KeyIsProtected);
    assert!(msg.contains("wrong passphrase"), "{msg}");
    assert_eq!(failure(unlock(&key, None)).0, Failure::KeyIsProtected);
    assert!(unlock(&key, Some(&"bob's secret".into())).is_ok());
}

#[test]
fn wrong_passphrase_but_password_works() {
    let bob = make_locked("Bob <bob@example.org>", Kind::V4, "secret");
    let mut opts = EncryptOptions::new(&P);
    opts.recipients = vec![public(&bob)];
    opts.passwords = vec!["pw".into()];
    let (ct, _) = encrypt_to(DATA, &opts);
    let mut d = key_opts(&[&bob]);
    d.key_passwords = vec!["wrong".into()];
    d.message_password = Some(Box::new(|_| Ok(Some("pw".into()))));
    let (pt, r) = decrypt_with(&ct, &mut d).unwrap();
    assert_eq!(pt, DATA);
    assert!(matches!(r.decrypted_with, Some(DecryptedWith::Password)));
}

#[test]
fn wrong_key_cannot_decrypt() {
    let alice = make("Alice <alice@example.org>", Kind::V4Legacy);
    let bob = make("Bob <bob@example.org>", Kind::V6);
    let mut opts = EncryptOptions::new(&P);
    opts.recipients = vec![public(&alice)];
    let (ct, _) = encrypt_to(DATA, &opts);
    let (f, msg) = failure(decrypt_with(&ct, &mut key_opts(&[&bob])));
    assert_eq!(f, Failure::CannotDecrypt);
    let keys = recipient_keys(&alice, &P, None).unwrap();
    assert!(
        msg.contains(&format!("0x{}", keys[0].key().keyid().to_hex())),
        "{msg}"
    );
    assert!(msg.contains("none of their secret keys"), "{msg}");
}

#[test]
fn anonymous_recipient() {
    use openpgp::serialize::stream::{Encryptor, LiteralWriter, Message, Recipient};
    use std::io::Write;
    let bob = make("Bob <bob@example.org>", Kind::V4);
    let carol = make("Carol <carol@example.org>", Kind::V4);
    let mut ct = Vec::new();
    let m = Message::new(&mut ct);
    let vc = bob.with_policy(&P, None).unwrap();
    let rs = vc
        .keys()
        .for_transport_encryption()
        .map(|ka| Recipient::new(None, None, ka.key()));
    let m = Encryptor::for_recipients(m, rs).build().unwrap();
    let mut m = LiteralWriter::new(m).build().unwrap();
    m.write_all(DATA).unwrap();
    m.finalize().unwrap();

    let (pt, r) = decrypt_with(&ct, &mut key_opts(&[&carol, &bob])).unwrap();
    assert_eq!(pt, DATA);
    assert_eq!(r.recipients, vec!["anonymous".to_string()]);
}

#[test]
fn session_key_out_and_in() {
    let bob = make("Bob <bob@example.org>", Kind::V6);
    let mut opts = EncryptOptions::new(&P);
    opts.recipients = vec![public(&bob)];
    let (ct, _) = encrypt_to(DATA, &opts);
    let mut d = key_opts(&[&bob]);
    d.export_session_key = true;
    let (_, r) = decrypt_with(&ct, &mut d).unwrap();
    let sk = r.session_key.unwrap();
    let (algo, hex) = sk.split_once(':').unwrap();
    let algo = openpgp::types::SymmetricAlgorithm::from(algo.parse::<u8>().unwrap());
    let key = openpgp::fmt::hex::decode(hex).unwrap();

    let mut d = DecryptOptions::new(&P);
    d.session_keys = vec![(Some(algo), key.into())];
    let (pt, r) = decrypt_with(&ct, &mut d).unwrap();
    assert_eq!(pt, DATA);
    assert!(matches!(r.decrypted_with, Some(DecryptedWith::SessionKey)));
}

#[test]
fn tampering_is_bad_data() {
    let bob = make("Bob <bob@example.org>", Kind::V6);
    let legacy = make("Old <old@example.org>", Kind::V4Legacy);
    let data: Vec<u8> = (0..20_000u32).flat_map(|i| i.to_le_bytes()).collect();
    for (key, want) in [
        (&bob, MessageFormat::SeipdV2),
        (&legacy, MessageFormat::SeipdV1),
    ] {
        let mut opts = EncryptOptions::new(&P);
        opts.recipients = vec![public(key)];
        let (ct, report) = encrypt_to(&data, &opts);
        assert_eq!(report.format, want);
        for pos in [ct.len() / 2, ct.len() - 10] {
            let mut bad = ct.clone();
            bad[pos] ^= 0x01;
            let mut out = Vec::new();
            let r = decrypt(&bad[..], &mut out, &mut key_opts(&[key]));
            let (f, msg) = failure(r);
            assert_eq!(f, Failure::BadData, "{want:?} at {pos}: {msg}");
            assert!(
                msg.contains("modified or damaged") || msg.contains("not valid OpenPGP"),
                "{msg}"
            );
            // The message fits in the buffer: nothing is released.
            assert!(out.is_empty(), "{want:?}: {} bytes released", out.len());
        }
        // Truncated.
        let (f, msg) = failure(decrypt_with(&ct[..ct.len() * 2 / 3], &mut key_opts(&[key])));
        assert_eq!(f, Failure::BadData, "{msg}");
    }
}

#[test]
fn large_message_streams_with_a_small_buffer() {
    let bob = make("Bob <bob@example.org>", Kind::V6);
    let legacy = make("Old <old@example.org>", Kind::V4Legacy);
    let data: Vec<u8> = (0..(3u32 << 20) / 4)
        .flat_map(|i| i.to_be_bytes())
        .collect();
    for key in [&bob, &legacy] {
        let mut opts = EncryptOptions::new(&P);
        opts.recipients = vec![public(key)];
        let (ct, _) = encrypt_to(&data, &opts);
        let mut d = key_opts(&[key]);
        d.buffer_size = 64 << 10;
        let (pt, r) = decrypt_with(&ct, &mut d).unwrap();
        assert!(pt == data);
        assert_eq!(r.bytes_out, data.len() as u64);

        // Damage near the end: some plaintext was released, and the
        // error says the message is bad (the caller discards it).
        let mut bad = ct.clone();
        let n = bad.len();
        bad[n - 40] ^= 0x80;
        let mut d = key_opts(&[key]);
        d.buffer_size = 64 << 10;
        let (f, _) = failure(decrypt_with(&bad, &mut d));
        assert_eq!(f, Failure::BadData);
    }
}

#[test]
fn sed_packets_are_refused() {
    // A password-encrypted SEIPDv1 message whose SEIPD packet is relabeled
    // as SED (tag 9): the layout of a message without integrity protection.
    let mut opts = EncryptOptions::new(&P);
    opts.passwords = vec!["pw".into()];
    let (mut ct, _) = encrypt_to(DATA, &opts);
    // SKESK (new CTB, one-octet length), then the SEIPD packet.
    assert_eq!(ct[0], 0xc3);
    let seip = 2 + ct[1] as usize;
    assert_eq!(ct[seip], 0xd2);
    ct[seip] = 0xc9;
    let mut d = DecryptOptions::new(&P);
    d.passwords = vec!["pw".into()];
    let (f, msg) = failure(decrypt_with(&ct, &mut d));
    assert_eq!(f, Failure::BadData, "{msg}");
    assert!(msg.contains("without integrity protection"), "{msg}");
}

#[test]
fn decrypt_refuses_garbage_and_plain_messages() {
    let (f, _) = failure(decrypt_with(
        b"this is not OpenPGP",
        &mut DecryptOptions::new(&P),
    ));
    assert_eq!(f, Failure::BadData);
    let (f, _) = failure(decrypt_with(b"", &mut DecryptOptions::new(&P)));
    assert_eq!(f, Failure::BadData);

    let alice = make("Alice <alice@example.org>", Kind::V4);
    let mut signed = Vec::new();
    sign(
        DATA,
        &mut signed,
        &SignOptions::new(SignMode::Inline, vec![signer(&alice)]),
    )
    .unwrap();
    let (f, msg) = failure(decrypt_with(&signed, &mut key_opts(&[&alice])));
    assert_eq!(f, Failure::BadData);
    assert!(msg.contains("not an encrypted message"), "{msg}");
}

#[test]
fn unusable_recipients_cannot_encrypt() {
    let now = SystemTime::now();
    let day = Duration::from_secs(86400);

    let expired = builder("Eve <eve@example.org>", Kind::V4)
        .set_creation_time(now - 10 * day)
        .set_validity_period(day)
        .generate()
        .unwrap()
        .0;
    let (f, msg) = failure(recipient_keys(&expired, &P, None));
    assert_eq!(f, Failure::CertCannotEncrypt);
    assert!(msg.contains("expired on"), "{msg}");
    assert!(msg.contains("Eve <eve@example.org>"), "{msg}");
    let mut opts = EncryptOptions::new(&P);
    opts.recipients = vec![expired];
    let mut out = Vec::new();
    let e = encrypt(DATA, &mut out, &opts).unwrap_err();
    assert_eq!(failure_of(&e), Some(Failure::CertCannotEncrypt));
    assert!(crate::error::hint_of(&e).unwrap().contains("ask Eve"));
    assert!(out.is_empty());

    let (cert, rev) = builder("Rex <rex@example.org>", Kind::V6)
        .generate()
        .unwrap();
    let revoked = cert.insert_packets(rev).unwrap().0;
    let (f, msg) = failure(recipient_keys(&revoked, &P, None));
    assert_eq!(f, Failure::CertCannotEncrypt);
    assert!(msg.contains("revoked"), "{msg}");

    let sign_only = CertBuilder::new()
        .add_userid("Sig <sig@example.org>")
        .add_signing_subkey()
        .generate()
        .unwrap()
        .0;
    let (f, msg) = failure(recipient_keys(&sign_only, &P, None));
    assert_eq!(f, Failure::CertCannotEncrypt);
    assert!(msg.contains("no encryption-capable key"), "{msg}");

    // Nothing to encrypt to.
    let (f, _) = failure(encrypt(DATA, Vec::new(), &EncryptOptions::new(&P)));
    assert_eq!(f, Failure::MissingArg);
}

#[test]
fn signing_key_needs_secret_and_capability() {
    let alice = make("Alice <alice@example.org>", Kind::V6);
    assert!(signing_key(&alice, &P, None).is_ok());
    let (f, msg) = failure(signing_key(&public(&alice), &P, None));
    assert_eq!(f, Failure::KeyCannotSign);
    assert!(msg.contains("Alice"), "{msg}");
    let enc_only = CertBuilder::new()
        .add_userid("Enc <enc@example.org>")
        .add_transport_encryption_subkey()
        .set_primary_key_flags(openpgp::types::KeyFlags::empty())
        .generate()
        .unwrap()
        .0;
    let (f, _) = failure(signing_key(&enc_only, &P, None));
    assert_eq!(f, Failure::KeyCannotSign);
}

fn sign_with(data: &[u8], mode: SignMode, armor: bool, text: bool, keys: &[&Cert]) -> Vec<u8> {
    let mut opts = SignOptions::new(mode, keys.iter().map(|c| signer(c)).collect());
    opts.armor = armor;
    opts.text = text;
    let mut out = Vec::new();
    let r = sign(data, &mut out, &opts).unwrap();
    assert_eq!(r.signers.len(), keys.len());
    assert!(r.micalg.starts_with("pgp-sha"));
    out
}

#[test]
fn sign_and_verify_all_modes() {
    let alice = make("Alice <alice@example.org>", Kind::V6);
    let bob = make("Bob <bob@example.org>", Kind::V4);
    let certs = vec![public(&alice), public(&bob)];
    for armor in [false, true] {
        for mode in [SignMode::Inline, SignMode::Detached, SignMode::Cleartext] {
            for text in [false, true] {
                let sig = sign_with(DATA, mode, armor, text, &[&alice, &bob]);
                if armor || mode == SignMode::Cleartext {
                    assert!(sig.starts_with(b"-----BEGIN PGP"));
                }
                let opts = VerifyOptions::new(&P, certs.clone());
                let report = if mode == SignMode::Detached {
                    verify_detached(&sig[..], DATA, &opts).unwrap()
                } else {
                    let mut out = Vec::new();
                    let r = verify(&sig[..], &mut out, &opts).unwrap();
                    assert_eq!(out, DATA, "{mode:?}");
                    r
                };
                assert_eq!(report.signatures.len(), 2, "{mode:?} {report:?}");
                assert!(report.signatures.iter().all(|s| s.is_good()), "{report:?}");
                report
                    .check(&[
                        RequiredSigner::cert(alice.fingerprint()),
                        RequiredSigner::cert(bob.fingerprint()),
                    ])
                    .unwrap();
                let want_kind = match mode {
                    SignMode::Inline => verify::SignedKind::Inline,
                    SignMode::Detached => verify::SignedKind::Detached,
                    SignMode::Cleartext => verify::SignedKind::Cleartext,
                };
                assert_eq!(report.kind, want_kind);
                if text || mode == SignMode::Cleartext {
                    assert_eq!(report.signatures[0].signature_type, "text");
                }
            }
        }
    }
}

#[test]
fn text_signature_ignores_line_endings() {
    let alice = make("Alice <alice@example.org>", Kind::V4);
    let sig = sign_with(DATA, SignMode::Detached, true, true, &[&alice]);
    let crlf = String::from_utf8_lossy(DATA).replace('\n', "\r\n");
    let opts = VerifyOptions::new(&P, vec![public(&alice)]);
    let r = verify_detached(&sig[..], crlf.as_bytes(), &opts).unwrap();
    assert!(r.is_good(), "{r:?}");
}

#[test]
fn modified_data_and_unknown_signers() {
    let alice = make("Alice <alice@example.org>", Kind::V6);
    let mallory = make("Mallory <m@example.org>", Kind::V4);
    let opts = VerifyOptions::new(&P, vec![public(&alice)]);

    let sig = sign_with(DATA, SignMode::Detached, false, false, &[&alice]);
    let r = verify_detached(&sig[..], &b"Hello, World?\nA second line.\n"[..], &opts).unwrap();
    assert_eq!(r.signatures[0].status, SignatureStatus::Bad);
    assert!(!r.is_good());
    let (f, _) = failure(r.check(&[]));
    assert_eq!(f, Failure::NoSignature);

    // Inline message with its content changed (same length).
    let mut signed = sign_with(DATA, SignMode::Inline, false, false, &[&alice]);
    let pos = signed.windows(5).position(|w| w == b"Hello").unwrap();
    signed[pos] = b'J';
    let mut out = Vec::new();
    let r = verify(&signed[..], &mut out, &opts).unwrap();
    assert_eq!(r.signatures[0].status, SignatureStatus::Bad);

    // Cleartext with the text changed.
    let ct = sign_with(DATA, SignMode::Cleartext, true, false, &[&alice]);
    let ct = String::from_utf8(ct).unwrap().replace("second", "third");
    let r = verify(ct.as_bytes(), Vec::new(), &opts).unwrap();
    assert_eq!(r.signatures[0].status, SignatureStatus::Bad);

    // Unknown signer.
    let sig = sign_with(DATA, SignMode::Detached, false, false, &[&mallory]);
    let r = verify_detached(&sig[..], DATA, &opts).unwrap();
    assert_eq!(r.signatures[0].status, SignatureStatus::UnknownSigner);
    let (f, msg) = failure(r.check(&[]));
    assert_eq!(f, Failure::NoSignature);
    assert!(msg.contains("no certificate for the signing key"), "{msg}");

    // One good and one unknown: good enough, unless Mallory is required.
    let sig = sign_with(DATA, SignMode::Detached, false, false, &[&alice, &mallory]);
    let r = verify_detached(&sig[..], DATA, &opts).unwrap();
    assert!(r.is_good());
    r.check(&[RequiredSigner::cert(alice.fingerprint())])
        .unwrap();
    let (f, _) = failure(r.check(&[
        RequiredSigner::cert(alice.fingerprint()),
        RequiredSigner::cert(mallory.fingerprint()),
    ]));
    assert_eq!(f, Failure::NoSignature);
}

#[test]
fn time_window() {
    let alice = make("Alice <alice@example.org>", Kind::V6);
    let sig = sign_with(DATA, SignMode::Detached, false, false, &[&alice]);
    let mut opts = VerifyOptions::new(&P, vec![public(&alice)]);
    opts.not_before = Some(SystemTime::now() + Duration::from_secs(3600));
    let r = verify_detached(&sig[..], DATA, &opts).unwrap();
    assert_eq!(r.signatures[0].status, SignatureStatus::OutOfRange);
    assert!(!r.is_good());
    opts.not_before = None;
    opts.not_after = Some(SystemTime::now() - Duration::from_secs(3600));
    let r = verify_detached(&sig[..], DATA, &opts).unwrap();
    assert_eq!(r.signatures[0].status, SignatureStatus::OutOfRange);
}

#[test]
fn verify_rejects_garbage() {
    let opts = VerifyOptions::new(&P, vec![]);
    let (f, _) = failure(verify(&b"garbage"[..], Vec::new(), &opts));
    assert_eq!(f, Failure::BadData);
    let (f, _) = failure(verify_detached(&b"garbage"[..], DATA, &opts));
    assert_eq!(f, Failure::BadData);
}

#[test]
fn armor_and_dearmor() {
    let alice = make("Alice <alice@example.org>", Kind::V6);
    let mut cert_bin = Vec::new();
    public(&alice).serialize(&mut cert_bin).unwrap();
    let mut tsk_bin = Vec::new();
    alice.as_tsk().serialize(&mut tsk_bin).unwrap();
    let msg_bin = sign_with(DATA, SignMode::Inline, false, false, &[&alice]);
    let sig_bin = sign_with(DATA, SignMode::Detached, false, false, &[&alice]);

    for (bin, kind, header) in [
        (&cert_bin, ArmorKind::PublicKey, "PUBLIC KEY BLOCK"),
        (&tsk_bin, ArmorKind::SecretKey, "PRIVATE KEY BLOCK"),
        (&msg_bin, ArmorKind::Message, "MESSAGE"),
        (&sig_bin, ArmorKind::Signature, "SIGNATURE"),
    ] {
        let mut armored = Vec::new();
        let r = armor::armor(&bin[..], &mut armored, None).unwrap();
        assert_eq!(r.kind, kind);
        assert!(!r.was_armored);
        assert!(String::from_utf8_lossy(&armored).contains(header));

        // Armoring again keeps the kind and content.
        let mut again = Vec::new();
        let r = armor::armor(&armored[..], &mut again, None).unwrap();
        assert!(r.was_armored);
        assert_eq!(r.kind, kind);

        let mut back = Vec::new();
        dearmor(&again[..], &mut back).unwrap();
        assert_eq!(&back, bin);
        // Binary passes through.
        let mut same = Vec::new();
        dearmor(&bin[..], &mut same).unwrap();
        assert_eq!(&same, bin);
    }
    let (f, _) = failure(armor::armor(&b"plain text"[..], Vec::new(), None));
    assert_eq!(f, Failure::BadData);
    let (f, _) = failure(dearmor(&b"plain text"[..], Vec::new()));
    assert_eq!(f, Failure::BadData);
    let (f, _) = failure(dearmor(
        &b"-----BEGIN PGP MESSAGE-----\n\n!!!!\n"[..],
        Vec::new(),
    ));
    assert_eq!(f, Failure::BadData);
}

/// Peak resident memory of this process, in KiB (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// An endless-looking input of `n` bytes, made on the fly.
struct Generated(u64);

impl std::io::Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.0 as usize);
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = (self.0 as usize + i) as u8;
        }
        self.0 -= n as u64;
        Ok(n)
    }
}

/// Run alone (`cargo test --lib memory_stays_flat -- --ignored`): the
/// peak RSS is process-wide.
#[test]
#[ignore]
fn memory_stays_flat() {
    const SIZE: u64 = 1 << 28;
    let bob = make("Bob <bob@example.org>", Kind::V6);
    let alice = make("Alice <alice@example.org>", Kind::V4Legacy);
    for (key, signer_key) in [(&bob, &alice), (&alice, &bob)] {
        let mut file = tempfile::tempfile().unwrap();
        let mut opts = EncryptOptions::new(&P);
        opts.recipients = vec![public(key)];
        opts.signers = vec![signer(signer_key)];
        let r = encrypt(Generated(SIZE), &mut file, &opts).unwrap();
        assert_eq!(r.bytes_in, SIZE);
        println!("{:?}: encrypted, peak {:?} KiB", r.format, peak_rss_kib());
        use std::io::Seek;
        file.rewind().unwrap();
        let mut d = key_opts(&[key]);
        d.verify_certs = vec![public(signer_key)];
        let r = decrypt(file, std::io::sink(), &mut d).unwrap();
        assert_eq!(r.bytes_out, SIZE);
        assert!(r.signatures[0].is_good());
        println!("decrypted, peak {:?} KiB", peak_rss_kib());
    }
    let mut file = tempfile::tempfile().unwrap();
    sign(
        Generated(SIZE),
        &mut file,
        &SignOptions::new(SignMode::Inline, vec![signer(&bob)]),
    )
    .unwrap();
    use std::io::Seek;
    file.rewind().unwrap();
    let r = verify(
        file,
        std::io::sink(),
        &VerifyOptions::new(&P, vec![public(&bob)]),
    )
    .unwrap();
    assert!(r.is_good());
    println!("signed and verified, peak {:?} KiB", peak_rss_kib());
    assert!(peak_rss_kib().unwrap() < 48 << 10);
}

/// Sequoia and OpenSSL on several threads at once, some long-lived and
/// some made and ended by the dozen, as the agent and the fast paths use
/// them.  With `-C target-feature=+crt-static` the cc crate hands
/// `-static` to OpenSSL's Configure, which then builds OpenSSL without
/// thread support (`disable('static', 'pic', 'threads')`), and this test
/// corrupts the heap in every run (docs/benchmarks.md, "static-pie").
#[test]
fn keys_are_made_on_several_threads_at_once() {
    fn make() {
        let (cert, _) = CertBuilder::general_purpose(Some("thread@example.org"))
            .generate()
            .unwrap();
        assert!(cert.with_policy(&P, None).is_ok());
    }
    let long: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(|| (0..20).for_each(|_| make())))
        .collect();
    for _ in 0..10 {
        let short: Vec<_> = (0..4).map(|_| std::thread::spawn(make)).collect();
        short.into_iter().for_each(|t| t.join().unwrap());
    }
    long.into_iter().for_each(|t| t.join().unwrap());
}
