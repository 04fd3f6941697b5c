//! Makes N test certificates for the keyring benchmark
//! (`scripts/bench-keyring.sh`): each an Ed25519 primary key (certify,
//! sign) with a Cv25519 encryption subkey and the user ID
//! `User K <userK@example.org>` (K = 1..=N), created at a fixed time and
//! without expiry, written as one binary keyring.  Public keys only.
//!
//! Usage: cargo run --release --locked --example gen-certs -- N OUT.pgp
//!        [--threads T] [--head M HEAD.pgp] [--certify M DIR]
//!
//! `--head` also writes the first M certificates (users 1..=M) to HEAD.pgp,
//! for a peer that is benchmarked on fewer certificates.
//!
//! `--certify M DIR` also makes an owner key (the benchmark user's own key,
//! `Owner <owner@example.org>`) and M certifications (real signatures, made
//! a day after the keys), and writes to DIR:
//! - `owner.pgp`: the owner's key, with its (unprotected) secret key;
//! - `certified.pgp`: the same N certificates as OUT.pgp, with the M
//!   certifications on them;
//! - `signer.pgp`: the secret key of the `CHAIN` target below, to make a
//!   signature by it;
//! - `targets`: `NAME=K` lines naming one user of each kind below.
//!
//! The web of trust it makes, with the owner as the root:
//! - users 1–3 are trusted introducers certified by the owner (trust
//!   signatures of amount 120: user 1 depth 2, users 2 and 3 depth 1);
//!   user 4 is an introducer (depth 1) certified by user 1 only, so what
//!   user 4 certifies is authenticated through the chain owner → 1 → 4;
//! - users 5–14 are strangers (not authenticated), each certified by the
//!   next (5 by 6, …, 13 by 14), so a search from what they certify walks a
//!   chain of 10 keys that leads nowhere;
//! - the other M − 13 certifications go to users spread evenly over
//!   15..=N, in turn by the owner (`DIRECT`), by user 2 (`INTRODUCED`), by
//!   user 3, by user 4 (`CHAIN`), and by one of the strangers (`PEER`, not
//!   authenticated); `NONE` is a user nobody certified.

use std::io::Write;
use std::time::{Duration, UNIX_EPOCH};

use openpgp::cert::prelude::*;
use openpgp::crypto::KeyPair;
use openpgp::packet::signature::SignatureBuilder;
use openpgp::packet::{Packet, UserID};
use openpgp::serialize::Serialize;
use openpgp::types::{KeyFlags, SignatureType};
use sequoia_openpgp as openpgp;

/// 2024-01-01T00:00:00Z: fixed, so the certificates are valid whatever
/// the clock says (after that date).
const CREATED: u64 = 1_704_067_200;
/// When the certifications are made: a day after the keys.
const CERTIFIED: u64 = CREATED + 86_400;

/// Users 1..=FIXED are the introducers and strangers, made first.
const FIXED: usize = 14;
/// The certifications among them (4 introducers, 9 between strangers).
const FIXED_CERTIFICATIONS: usize = 13;

fn make(name: &str, email: &str) -> openpgp::Result<Cert> {
    let (cert, _rev) = CertBuilder::new()
        .set_cipher_suite(CipherSuite::Cv25519)
        .set_creation_time(UNIX_EPOCH + Duration::from_secs(CREATED))
        .set_validity_period(None)
        .set_primary_key_flags(KeyFlags::empty().set_certification().set_signing())
        .add_subkey(
            KeyFlags::empty()
                .set_transport_encryption()
                .set_storage_encryption(),
            None,
            None,
        )
        .add_userid(format!("{name} <{email}>"))
        .generate()?;
    Ok(cert)
}

fn make_user(k: usize) -> openpgp::Result<Cert> {
    make(&format!("User {k}"), &format!("user{k}@example.org"))
}

/// Who certifies whom.
struct Plan {
    /// Certified users beyond the fixed ones: user `FIXED + 1 + j * stride`
    /// for j in 0..targets.
    targets: usize,
    stride: usize,
}

/// A certification: the signer (0 = the owner, else user K) and, for an
/// introducer, the trust signature's depth.
type Certification = (usize, Option<u8>);

impl Plan {
    fn new(n: usize, m: usize) -> Result<Plan, String> {
        if m <= FIXED_CERTIFICATIONS + 5 || n <= FIXED + 1 {
            return Err(format!(
                "--certify needs M > {} and N > {FIXED}",
                FIXED_CERTIFICATIONS + 5
            ));
        }
        let targets = m - FIXED_CERTIFICATIONS;
        let stride = (n - FIXED) / targets;
        if stride < 2 {
            return Err(format!(
                "M = {m} certifications need N of at least {}",
                FIXED + 2 * targets
            ));
        }
        Ok(Plan { targets, stride })
    }

    fn user(&self, j: usize) -> usize {
        FIXED + 1 + j * self.stride
    }

    /// The certification on user `k`, if any.
    fn certification(&self, k: usize) -> Option<Certification> {
        match k {
            1 => Some((0, Some(2))),
            2 | 3 => Some((0, Some(1))),
            4 => Some((1, Some(1))),
            5..=13 => Some((k + 1, None)),
            14 => None,
            _ => {
                let d = k - FIXED - 1;
                if d % self.stride != 0 || d / self.stride >= self.targets {
                    return None;
                }
                let j = d / self.stride;
                Some(match j % 5 {
                    0 => (0, None),
                    1 => (2, None),
                    2 => (3, None),
                    3 => (4, None),
                    _ => (5 + (j / 5) % 10, None),
                })
            }
        }
    }

    /// One user of each kind, from the middle of the range.
    fn examples(&self) -> [(&'static str, usize); 5] {
        let j = self.targets / 2 / 5 * 5;
        [
            ("DIRECT", self.user(j)),
            ("INTRODUCED", self.user(j + 1)),
            ("CHAIN", self.user(j + 3)),
            ("PEER", self.user(j + 4)),
            ("NONE", self.user(j) + 1),
        ]
    }
}

fn keypair(cert: &Cert) -> openpgp::Result<KeyPair> {
    cert.primary_key()
        .key()
        .clone()
        .parts_into_secret()?
        .into_keypair()
}

/// `cert` with its user ID certified by `signer` (as an introducer of
/// that depth, amount 120, when `depth` is given).
fn certify(signer: &mut KeyPair, cert: Cert, depth: Option<u8>) -> openpgp::Result<Cert> {
    let userid: UserID = cert.userids().next().expect("one user ID").userid().clone();
    let mut builder = SignatureBuilder::new(SignatureType::GenericCertification)
        .set_signature_creation_time(UNIX_EPOCH + Duration::from_secs(CERTIFIED))?;
    if let Some(depth) = depth {
        builder = builder.set_trust_signature(depth, 120)?;
    }
    let sig = userid.bind(signer, &cert, builder)?;
    Ok(cert
        .insert_packets(vec![Packet::from(userid), sig.into()])?
        .0)
}

fn bytes(cert: &Cert) -> openpgp::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(800);
    cert.serialize(&mut buf)?;
    Ok(buf)
}

/// One generated user: the certificate as in OUT.pgp, and as in
/// certified.pgp when it differs.
struct Made {
    plain: Vec<u8>,
    certified: Option<Vec<u8>>,
}

fn main() -> openpgp::Result<()> {
    let usage = || -> ! {
        eprintln!("usage: gen-certs N OUT.pgp [--threads T] [--head M HEAD.pgp] [--certify M DIR]");
        std::process::exit(2);
    };
    let mut args = std::env::args().skip(1);
    let (Some(n), Some(out)) = (args.next(), args.next()) else {
        usage()
    };
    let n: usize = n.parse()?;
    let mut threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    let mut head: Option<(usize, String)> = None;
    let mut certify_into: Option<(usize, String)> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => threads = args.next().unwrap_or_else(|| usage()).parse()?,
            "--head" => {
                let m: usize = args.next().unwrap_or_else(|| usage()).parse()?;
                head = Some((m.min(n), args.next().unwrap_or_else(|| usage())));
            }
            "--certify" => {
                let m: usize = args.next().unwrap_or_else(|| usage()).parse()?;
                certify_into = Some((m, args.next().unwrap_or_else(|| usage())));
            }
            _ => usage(),
        }
    }
    let threads = threads.clamp(1, n.max(1));
    let plan = certify_into.as_ref().map(|(m, _)| {
        Plan::new(n, *m).unwrap_or_else(|e| {
            eprintln!("gen-certs: {e}");
            std::process::exit(2)
        })
    });

    // The owner and the signers among the users (1..=FIXED) are made
    // first, so that every thread can certify with them.  signers[0] is the
    // owner, signers[K] user K.
    let signers: Vec<Cert> = match &plan {
        Some(_) => std::iter::once(make("Owner", "owner@example.org"))
            .chain((1..=FIXED).map(make_user))
            .collect::<openpgp::Result<_>>()?,
        None => Vec::new(),
    };
    let chain = plan.as_ref().map(|p| p.examples()[2].1).unwrap_or_default();

    // Each thread makes a contiguous range; the ranges are written in order,
    // so certificate K is the K-th in the file whatever the thread count.
    let chunk = n.div_ceil(threads);
    type Part = (Vec<Made>, Option<Vec<u8>>);
    let parts: Vec<Part> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (plan, signers) = (plan.as_ref(), &signers);
                s.spawn(move || -> openpgp::Result<Part> {
                    let mut keypairs: Vec<KeyPair> = signers
                        .iter()
                        .map(keypair)
                        .collect::<openpgp::Result<_>>()?;
                    let mut tsk = None;
                    let start = t * chunk + 1;
                    let end = ((t + 1) * chunk).min(n);
                    let made = (start..=end)
                        .map(|k| {
                            let cert = match signers.get(k) {
                                Some(c) => c.clone(),
                                None => make_user(k)?,
                            };
                            let plain = bytes(&cert)?;
                            let Some((by, depth)) = plan.and_then(|p| p.certification(k)) else {
                                return Ok(Made {
                                    plain,
                                    certified: None,
                                });
                            };
                            if k == chain {
                                let mut buf = Vec::new();
                                cert.as_tsk().serialize(&mut buf)?;
                                tsk = Some(buf);
                            }
                            let cert = certify(&mut keypairs[by], cert, depth)?;
                            Ok(Made {
                                plain,
                                certified: Some(bytes(&cert)?),
                            })
                        })
                        .collect::<openpgp::Result<_>>()?;
                    Ok((made, tsk))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("generator thread panicked"))
            .collect::<openpgp::Result<_>>()
    })?;
    let made: Vec<&Made> = parts.iter().flat_map(|(m, _)| m).collect();
    assert_eq!(made.len(), n);

    let write = |path: &str, certs: &mut dyn Iterator<Item = &[u8]>| -> std::io::Result<()> {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
        for c in certs {
            f.write_all(c)?;
        }
        f.flush()
    };
    write(&out, &mut made.iter().map(|m| &m.plain[..]))?;
    eprintln!("gen-certs: wrote {n} certificates to {out} using {threads} thread(s)");
    if let Some((m, path)) = head {
        write(&path, &mut made[..m].iter().map(|m| &m.plain[..]))?;
        eprintln!("gen-certs: wrote the first {m} of them to {path}");
    }
    if let (Some((m, dir)), Some(plan)) = (certify_into, plan) {
        std::fs::create_dir_all(&dir)?;
        let mut f = std::fs::File::create(format!("{dir}/owner.pgp"))?;
        signers[0].as_tsk().serialize(&mut f)?;
        write(
            &format!("{dir}/certified.pgp"),
            &mut made
                .iter()
                .map(|m| m.certified.as_deref().unwrap_or(&m.plain[..])),
        )?;
        let certified = made.iter().filter(|m| m.certified.is_some()).count();
        assert_eq!(certified, m);
        let tsk = parts
            .iter()
            .find_map(|(_, t)| t.as_ref())
            .expect("the chain target was made");
        std::fs::write(format!("{dir}/signer.pgp"), tsk)?;
        let mut targets = String::new();
        for (name, k) in plan.examples() {
            targets.push_str(&format!("{name}={k}\n"));
        }
        std::fs::write(format!("{dir}/targets"), &targets)?;
        eprintln!(
            "gen-certs: wrote the owner's key and {m} certifications on {} to {dir} \
             (users {}..={} every {}); {}",
            n,
            FIXED + 1,
            plan.user(plan.targets - 1),
            plan.stride,
            targets.trim_end().replace('\n', " ")
        );
    }
    Ok(())
}
