//! Tampered messages never pass: every kind of message, flipped, truncated
//! and extended at every packet header, the first and last bytes, and
//! random positions (fixed seed), fails to decrypt or verify with the right
//! failure, and never yields a good signature over changed content.
//!
//! The bulk runs through the library ops (the code the binary runs); a
//! representative subset runs through the binary to check exit codes, the
//! absence of "good signature" and that no output file is left behind.
//!
//! A mutation may leave a message's meaning whole: OpenPGP does not
//! protect everything (the unhashed subpacket area of a signature, the
//! literal packet's file name and date in a signed message, armor
//! headers, trailing data after an armored block).  Such a case passes
//! only when the content and the signer are exactly the original ones; it
//! is counted as "meaning unchanged".  Anything encrypted is covered in
//! full by its integrity check, so for decryption no such case is allowed.

use std::collections::BTreeMap;

use openpgp::policy::StandardPolicy;
use sequoia_openpgp as openpgp;

use zpgp::error::{Failure, failure_of};
use zpgp::fuzz;
use zpgp::ops;

use crate::fuzz::Rng;
use crate::harness::Env;

static P: StandardPolicy = StandardPolicy::new();

const PLAINTEXT: &[u8] = b"Meet me at the usual place at ten.\nBring the documents.\n";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    SeipdV1,
    SeipdV2Ocb,
    Password,
    SignedEncrypted,
    Detached,
    Inline,
    Cleartext,
    /// To a post-quantum key (ML-KEM-768+X25519) and signed by it
    /// (ML-DSA-65+Ed25519).
    PqSignedEncrypted,
    /// A detached ML-DSA-65+Ed25519 signature.
    PqDetached,
}

impl Kind {
    fn encrypted(self) -> bool {
        matches!(
            self,
            Kind::SeipdV1
                | Kind::SeipdV2Ocb
                | Kind::Password
                | Kind::SignedEncrypted
                | Kind::PqSignedEncrypted
        )
    }

    fn post_quantum(self) -> bool {
        matches!(self, Kind::PqSignedEncrypted | Kind::PqDetached)
    }

    fn detached(self) -> bool {
        matches!(self, Kind::Detached | Kind::PqDetached)
    }
}

/// A post-quantum key, made once for the whole run.
fn pq() -> &'static openpgp::Cert {
    use openpgp::cert::prelude::*;
    static KEY: std::sync::OnceLock<openpgp::Cert> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        CertBuilder::general_purpose(Some("PQ <pq@example.org>"))
            .set_profile(openpgp::Profile::RFC9580)
            .unwrap()
            .set_cipher_suite(CipherSuite::MLDSA65_Ed25519)
            .generate()
            .unwrap()
            .0
    })
}

/// The fuzz keys and the post-quantum one.
fn all_keys() -> Vec<openpgp::Cert> {
    let mut keys = fuzz::keys().to_vec();
    keys.push(pq().clone());
    keys
}

fn pq_signer() -> openpgp::crypto::KeyPair {
    ops::unlock(&ops::signing_key(pq(), &P, None).unwrap(), None).unwrap()
}

fn signer(i: usize) -> openpgp::crypto::KeyPair {
    let key = ops::signing_key(&fuzz::keys()[i], &P, None).unwrap();
    ops::unlock(&key, None).unwrap()
}

fn make(kind: Kind) -> Vec<u8> {
    let keys = fuzz::keys();
    let mut out = Vec::new();
    if kind.encrypted() {
        let mut o = ops::EncryptOptions::new(&P);
        match kind {
            Kind::SeipdV1 => o.recipients = vec![keys[0].clone()],
            Kind::SeipdV2Ocb => o.recipients = vec![keys[1].clone()],
            Kind::Password => o.passwords = vec![fuzz::PASSWORD.into()],
            Kind::PqSignedEncrypted => {
                o.recipients = vec![pq().clone()];
                o.signers = vec![pq_signer().into()];
            }
            _ => {
                o.recipients = vec![keys[0].clone()];
                o.signers = vec![signer(0).into()];
            }
        }
        let r = ops::encrypt(PLAINTEXT, &mut out, &o).unwrap();
        if matches!(kind, Kind::SeipdV2Ocb | Kind::PqSignedEncrypted) {
            assert_eq!(r.format, ops::MessageFormat::SeipdV2);
        }
    } else {
        let mode = match kind {
            Kind::Detached | Kind::PqDetached => ops::SignMode::Detached,
            Kind::Inline => ops::SignMode::Inline,
            _ => ops::SignMode::Cleartext,
        };
        let signers = if kind.post_quantum() {
            vec![pq_signer().into()]
        } else {
            vec![signer(0).into()]
        };
        ops::sign(PLAINTEXT, &mut out, &ops::SignOptions::new(mode, signers)).unwrap();
    }
    out
}

/// Offsets of the top-level packet headers of binary OpenPGP data (up to
/// the first partial-length packet), or of every line of text.
fn header_offsets(d: &[u8], text: bool) -> Vec<usize> {
    if text {
        let mut v = vec![0];
        v.extend(
            d.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        );
        v.retain(|&i| i < d.len());
        return v;
    }
    let mut offs = Vec::new();
    let mut i = 0;
    let be = |s: &[u8]| s.iter().fold(0usize, |a, b| (a << 8) | *b as usize);
    while i + 1 < d.len() {
        offs.push(i);
        let ctb = d[i];
        let (hdr, len) = if ctb & 0x40 != 0 {
            let b = d[i + 1] as usize;
            match b {
                0..=191 => (2, b),
                192..=223 if i + 2 < d.len() => (3, ((b - 192) << 8) + d[i + 2] as usize + 192),
                255 if i + 5 < d.len() => (6, be(&d[i + 2..i + 6])),
                _ => break,
            }
        } else {
            match ctb & 3 {
                0 => (2, d[i + 1] as usize),
                1 if i + 2 < d.len() => (3, be(&d[i + 1..i + 3])),
                2 if i + 4 < d.len() => (5, be(&d[i + 1..i + 5])),
                _ => break,
            }
        };
        i += hdr + len;
    }
    offs
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Extend(Vec<u8>),
}

impl Mutation {
    fn apply(&self, d: &[u8]) -> Vec<u8> {
        let mut v = d.to_vec();
        match self {
            Mutation::Flip(i, bit) => v[*i] ^= 1 << bit,
            Mutation::Truncate(n) => v.truncate(*n),
            Mutation::Extend(tail) => v.extend_from_slice(tail),
        }
        v
    }
}

fn mutations(d: &[u8], text: bool, rng: &mut Rng) -> Vec<Mutation> {
    let mut m = Vec::new();
    let last = d.len() - 1;
    let mut positions = vec![0, 1, last.saturating_sub(1), last];
    for h in header_offsets(d, text) {
        // The tag byte and the length's first byte(s).
        positions.extend([h, h + 1, h + 2].iter().filter(|&&p| p <= last));
    }
    for _ in 0..24 {
        positions.push(rng.below(d.len()));
    }
    positions.sort_unstable();
    positions.dedup();
    for &p in &positions {
        let bit = if text {
            // Keep text ASCII: flip a low bit.
            rng.below(5) as u8
        } else {
            rng.below(8) as u8
        };
        m.push(Mutation::Flip(p, bit));
        if p > 0 {
            m.push(Mutation::Truncate(p));
        }
    }
    m.push(Mutation::Extend(vec![0]));
    m.push(Mutation::Extend(vec![0xff; 8]));
    m.push(Mutation::Extend(d[d.len() / 2..].to_vec()));
    m.push(Mutation::Extend(d.to_vec()));
    m
}

/// What one tampered input did.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
enum Outcome {
    Failed(i32),
    MeaningUnchanged,
}

/// Runs one tampered input through the library; panics (failing the
/// test) when tampering went through.
fn check(kind: Kind, input: &[u8], what: &str) -> Outcome {
    let keys = all_keys();
    let signer_fpr = if kind.post_quantum() {
        pq().fingerprint().to_hex()
    } else {
        keys[0].fingerprint().to_hex()
    };
    let mut out = Vec::new();
    let result: anyhow::Result<Vec<ops::SignatureReport>> = if kind.encrypted() {
        let mut o = ops::DecryptOptions::new(&P);
        o.secret_keys = keys.to_vec();
        o.passwords = vec![fuzz::PASSWORD.into()];
        o.verify_certs = keys.to_vec();
        ops::decrypt(input, &mut out, &mut o).map(|r| r.signatures)
    } else {
        let o = ops::VerifyOptions::new(&P, keys.to_vec());
        let r = if kind.detached() {
            out = PLAINTEXT.to_vec();
            ops::verify_detached(input, PLAINTEXT, &o)
        } else {
            ops::verify(input, &mut out, &o)
        };
        r.and_then(|r| r.check(&[]).map(|_| r.signatures))
    };
    match result {
        Err(e) => {
            let f = failure_of(&e);
            let allowed: &[Failure] = if kind.encrypted() {
                &[Failure::BadData, Failure::CannotDecrypt]
            } else {
                &[Failure::BadData, Failure::NoSignature]
            };
            assert!(
                f.is_some_and(|f| allowed.contains(&f)),
                "{kind:?} {what}: failed with {f:?}, not one of {allowed:?}: {e:#}"
            );
            Outcome::Failed(f.unwrap().exit_code())
        }
        Ok(sigs) => {
            assert!(
                !kind.encrypted(),
                "{kind:?} {what}: a tampered encrypted message decrypted"
            );
            assert_eq!(out, PLAINTEXT, "{kind:?} {what}: changed content verified");
            let good: Vec<_> = sigs.iter().filter(|s| s.is_good()).collect();
            assert!(
                !good.is_empty()
                    && good
                        .iter()
                        .all(|s| s.cert_fingerprint.as_deref() == Some(&signer_fpr)),
                "{kind:?} {what}: a good signature by someone else"
            );
            Outcome::MeaningUnchanged
        }
    }
}

const KINDS: [Kind; 7] = [
    Kind::SeipdV1,
    Kind::SeipdV2Ocb,
    Kind::Password,
    Kind::SignedEncrypted,
    Kind::Detached,
    Kind::Inline,
    Kind::Cleartext,
];

#[test]
fn tampered_messages_never_pass() {
    let mut rng = Rng::new(0x7a3e_5eed);
    let mut total = 0;
    let mut summary = String::new();
    let mut failures = Vec::new();
    for kind in KINDS
        .into_iter()
        .chain([Kind::PqSignedEncrypted, Kind::PqDetached])
    {
        let msg = make(kind);
        // The untouched message passes.
        assert_eq!(check_ok(kind, &msg), (), "{kind:?} untouched");
        let mut counts: BTreeMap<Outcome, usize> = BTreeMap::new();
        let ms = mutations(&msg, kind == Kind::Cleartext, &mut rng);
        for m in &ms {
            let input = m.apply(&msg);
            let what = format!("{m:?}");
            match std::panic::catch_unwind(|| check(kind, &input, &what)) {
                Ok(o) => *counts.entry(o).or_default() += 1,
                Err(_) => failures.push(format!("{kind:?} {what}")),
            }
        }
        total += ms.len();
        summary.push_str(&format!("\n  {kind:?}: {} cases: {counts:?}", ms.len()));
    }
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "tamper (library): {total} cases, none passed with changed content:{summary}"
    );
    assert!(
        failures.is_empty(),
        "tampering not caught right: {failures:#?}"
    );
}

fn check_ok(kind: Kind, msg: &[u8]) {
    let keys = all_keys();
    let mut out = Vec::new();
    if kind.encrypted() {
        let mut o = ops::DecryptOptions::new(&P);
        o.secret_keys = keys.to_vec();
        o.passwords = vec![fuzz::PASSWORD.into()];
        o.verify_certs = keys.to_vec();
        let r = ops::decrypt(msg, &mut out, &mut o).unwrap();
        if matches!(kind, Kind::SignedEncrypted | Kind::PqSignedEncrypted) {
            assert!(r.good_signatures().next().is_some());
        }
    } else {
        let o = ops::VerifyOptions::new(&P, keys.to_vec());
        let r = if kind.detached() {
            out = PLAINTEXT.to_vec();
            ops::verify_detached(msg, PLAINTEXT, &o).unwrap()
        } else {
            ops::verify(msg, &mut out, &o).unwrap()
        };
        r.check(&[]).unwrap();
    }
    assert_eq!(out, PLAINTEXT);
}

/// The binary, on a few tampered copies of each kind: a failing exit code
/// (41 damaged, 29 cannot decrypt, 3 no valid signature), no "good
/// signature", no output file and no temporary file left.
#[test]
fn tampered_messages_leave_no_output_file() {
    let env = Env::new();
    for (i, k) in [fuzz::KEY_V4, fuzz::KEY_V6].iter().enumerate() {
        let f = env.write(&format!("key{i}.pgp"), k);
        env.zpgp().arg("import").arg(&f).assert().success();
    }
    let pw = env.write("pw.txt", format!("{}\n", fuzz::PASSWORD));
    let data = env.write("data.txt", PLAINTEXT);
    let mut cases = 0;
    for kind in KINDS {
        let msg = make(kind);
        let mid = msg.len() / 2;
        let last_header = *header_offsets(&msg, kind == Kind::Cleartext)
            .last()
            .unwrap();
        let bit = if kind == Kind::Cleartext { 1 } else { 7 };
        for m in [
            Mutation::Flip(mid, bit),
            Mutation::Flip(msg.len() - 30, bit),
            Mutation::Flip(last_header + 2, bit),
            Mutation::Truncate(msg.len() - 10),
            Mutation::Extend(vec![0xc0, 0x01]),
        ] {
            let input = m.apply(&msg);
            if check(kind, &input, "binary subset") == Outcome::MeaningUnchanged {
                continue;
            }
            let file = env.write("tampered.pgp", &input);
            let out_path = env.path("out.txt");
            let mut cmd = env.zpgp();
            match kind {
                k if k.encrypted() => {
                    cmd.arg("decrypt")
                        .arg("--passphrase-file")
                        .arg(&pw)
                        .arg("-o")
                        .arg(&out_path)
                        .arg(&file);
                }
                Kind::Detached => {
                    cmd.arg("verify").arg("--signature").arg(&file).arg(&data);
                }
                _ => {
                    cmd.arg("verify").arg("-o").arg(&out_path).arg(&file);
                }
            }
            let out = cmd.output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            let code = out.status.code();
            let expected: &[i32] = if kind.encrypted() {
                &[41, 29]
            } else {
                &[41, 3]
            };
            assert!(
                code.is_some_and(|c| expected.contains(&c)),
                "{kind:?} {m:?}: exit {code:?}: {stderr}"
            );
            assert!(
                !stderr.contains("good signature"),
                "{kind:?} {m:?}: {stderr}"
            );
            assert!(!stderr.contains("panicked"), "{kind:?} {m:?}: {stderr}");
            assert!(!out_path.exists(), "{kind:?} {m:?}: output file left");
            assert!(out.stdout.is_empty(), "{kind:?} {m:?}: output on stdout");
            let leftovers: Vec<_> = std::fs::read_dir(env.dir.path())
                .unwrap()
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
                .collect();
            assert!(leftovers.is_empty(), "{kind:?} {m:?}: {leftovers:?}");
            cases += 1;
        }
    }
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "tamper (binary): {cases} cases, each failed with no output file"
    );
    assert!(cases >= 28);
}

/// Regression: a signed message cut after its one-pass signature packet,
/// or with a damaged signature subpacket, failed with exit 1 ("Unrecognized
/// EOF found at 1", "Unknown kind of fingerprint") instead of 41.
#[test]
fn damaged_signed_messages_are_bad_data() {
    let env = Env::new();
    let key = env.write("key.pgp", fuzz::KEY_V4);
    env.zpgp().arg("import").arg(&key).assert().success();
    let inline = make(Kind::Inline);
    let cut = header_offsets(&inline, false)[1];
    let file = env.write("cut.pgp", &inline[..cut]);
    env.zpgp().arg("verify").arg(&file).assert().code(41);
    // Cut inside the signature packet.
    let file = env.write("cut2.pgp", Mutation::Truncate(79).apply(&inline));
    env.zpgp().arg("verify").arg(&file).assert().code(41);
    let detached = make(Kind::Detached);
    let bad = Mutation::Flip(98, 6).apply(&detached);
    let sig = env.write("bad.sig", &bad);
    let data = env.write("data.txt", PLAINTEXT);
    let out = env
        .zpgp()
        .arg("verify")
        .arg("--signature")
        .arg(&sig)
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(41 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
