//! Makes N test certificates for the keyring benchmark
//! (`scripts/bench-keyring.sh`): each an Ed25519 primary key (certify,
//! sign) with a Cv25519 encryption subkey and the user ID
//! `User K <userK@example.org>` (K = 1..=N), created at a fixed time and
//! without expiry, written as one binary keyring.  Public keys only.
//!
//! Usage: cargo run --release --locked --example gen-certs -- N OUT.pgp
//!        [--threads T] [--head M HEAD.pgp]
//!
//! `--head` also writes the first M certificates (users 1..=M) to HEAD.pgp,
//! for a peer that is benchmarked on fewer certificates.

use std::io::Write;
use std::time::{Duration, UNIX_EPOCH};

use openpgp::cert::prelude::*;
use openpgp::serialize::Serialize;
use openpgp::types::KeyFlags;
use sequoia_openpgp as openpgp;

/// 2024-01-01T00:00:00Z: fixed, so the certificates are valid whatever
/// the clock says (after that date).
const CREATED: u64 = 1_704_067_200;

fn make(k: usize) -> openpgp::Result<Cert> {
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
        .add_userid(format!("User {k} <user{k}@example.org>"))
        .generate()?;
    Ok(cert)
}

fn main() -> openpgp::Result<()> {
    let usage = || -> ! {
        eprintln!("usage: gen-certs N OUT.pgp [--threads T] [--head M HEAD.pgp]");
        std::process::exit(2);
    };
    let mut args = std::env::args().skip(1);
    let (Some(n), Some(out)) = (args.next(), args.next()) else {
        usage()
    };
    let n: usize = n.parse()?;
    let mut threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    let mut head: Option<(usize, String)> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => threads = args.next().unwrap_or_else(|| usage()).parse()?,
            "--head" => {
                let m: usize = args.next().unwrap_or_else(|| usage()).parse()?;
                head = Some((m.min(n), args.next().unwrap_or_else(|| usage())));
            }
            _ => usage(),
        }
    }
    let threads = threads.clamp(1, n.max(1));

    // Each thread makes a contiguous range; the ranges are written in order,
    // so certificate K is the K-th in the file whatever the thread count.
    let chunk = n.div_ceil(threads);
    let parts: Vec<Vec<Vec<u8>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || -> openpgp::Result<Vec<Vec<u8>>> {
                    let start = t * chunk + 1;
                    let end = ((t + 1) * chunk).min(n);
                    (start..=end)
                        .map(|k| {
                            let mut buf = Vec::with_capacity(800);
                            make(k)?.serialize(&mut buf)?;
                            Ok(buf)
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("generator thread panicked"))
            .collect::<openpgp::Result<_>>()
    })?;
    let certs: Vec<&Vec<u8>> = parts.iter().flatten().collect();
    assert_eq!(certs.len(), n);

    let write = |path: &str, certs: &[&Vec<u8>]| -> std::io::Result<()> {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
        for c in certs {
            f.write_all(c)?;
        }
        f.flush()
    };
    write(&out, &certs)?;
    eprintln!("gen-certs: wrote {n} certificates to {out} using {threads} thread(s)");
    if let Some((m, path)) = head {
        write(&path, &certs[..m])?;
        eprintln!("gen-certs: wrote the first {m} of them to {path}");
    }
    Ok(())
}
