//! The fuzz targets (`zpgp::fuzz`) as ordinary tests: a deterministic
//! mutation fuzzer over the seed corpus, since cargo-fuzz needs a nightly
//! toolchain this machine does not have.
//!
//! For each target: the seeds in `fuzz/corpus/<target>/`, freshly made
//! messages, and the saved regressions in `fuzz/regressions/<target>/`
//! run first; then mutations of them (bit flips, byte sets, inserts,
//! deletes, truncations, splices, length-field stomps) from a fixed seed,
//! until the target's execution budget is spent.  Budgets are counts, not
//! seconds, so what a run covers does not depend on the machine's speed;
//! each is sized to take about 15 s on the 2-core CI machine.  A panic is caught and
//! the input that caused it saved under `target/fuzz-findings/`; an
//! execution slower than the hang limit fails too.  Each target prints
//! its execution count.
//!
//! `ZPGP_FUZZ_EXECS` sets every target's budget for a longer run;
//! `ZPGP_FUZZ_SEED` changes the seed.

use std::io::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use openpgp::cert::prelude::*;
use openpgp::parse::Parse;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::Serialize;
use sequoia_openpgp as openpgp;

use zpgp::fuzz;
use zpgp::ops;

/// splitmix64: small, fast, and the same sequence everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One to four stacked mutations of `input`, using `other` for splices.
pub fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut d = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = d.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                d[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                d[i] = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe][rng.below(6)];
            }
            2 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(8);
                for _ in 0..n {
                    d.insert(i, rng.next() as u8);
                }
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(16));
                d.drain(i..i + n);
            }
            4 if len > 0 => d.truncate(rng.below(len)),
            5 if !other.is_empty() => {
                // Splice: our head, the other's tail.
                let i = rng.below(len + 1);
                let j = rng.below(other.len());
                d.truncate(i);
                d.extend_from_slice(&other[j..]);
            }
            6 if len > 0 => {
                // Duplicate a chunk (repeated packets, nested lengths).
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                let chunk = d[i..i + n].to_vec();
                let at = rng.below(len + 1);
                d.splice(at..at, chunk);
            }
            7 if len > 0 => {
                // Stomp what may be a length field with a big value.
                let i = rng.below(len);
                let big: [u8; 5] = [0xff, 0xff, 0xff, 0xff, 0xfe];
                for (k, b) in big.iter().enumerate().take(1 + rng.below(5)) {
                    if i + k < d.len() {
                        d[i + k] = *b;
                    }
                }
            }
            _ if len > 0 => {
                let i = rng.below(len);
                d[i] = rng.next() as u8;
            }
            _ => d.push(rng.next() as u8),
        }
    }
    d
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_dir_files(dir: &Path) -> Vec<Vec<u8>> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .filter(|p| p.is_file())
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs one input, catching a panic; returns how long it took.
fn run_one(name: &str, target: fn(&[u8]), input: &[u8], findings: &mut Vec<PathBuf>) -> Duration {
    let start = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| target(input)));
    let took = start.elapsed();
    let hang = took > Duration::from_secs(10);
    if result.is_err() || hang {
        let dir = repo().join("target").join("fuzz-findings");
        std::fs::create_dir_all(&dir).unwrap();
        let kind = if hang { "hang" } else { "crash" };
        let path = dir.join(format!("{name}-{kind}-{:016x}", fnv(input)));
        std::fs::write(&path, input).unwrap();
        findings.push(path);
    }
    took
}

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// Fuzzes one target for `execs` executions (seeds and regressions
/// included); returns (executions, seeds).
fn fuzz_target(name: &str, target: fn(&[u8]), fresh: Vec<Vec<u8>>, execs: u64) -> (u64, usize) {
    let mut corpus = read_dir_files(&repo().join("fuzz/corpus").join(name));
    corpus.extend(fresh);
    let regressions = read_dir_files(&repo().join("fuzz/regressions").join(name));
    assert!(!corpus.is_empty(), "no seeds for the fuzz target {name}");

    let max_execs = env_num("ZPGP_FUZZ_EXECS", execs);
    let mut rng = Rng::new(env_num("ZPGP_FUZZ_SEED", 0x5eed) ^ fnv(name.as_bytes()));
    let mut findings = Vec::new();
    let start = Instant::now();
    let mut execs = 0;
    let mut slowest = Duration::ZERO;
    for input in regressions.iter().chain(corpus.iter()) {
        slowest = slowest.max(run_one(name, target, input, &mut findings));
        execs += 1;
    }
    while execs < max_execs {
        let a = &corpus[rng.below(corpus.len())];
        let b = &corpus[rng.below(corpus.len())];
        let input = mutate(&mut rng, a, b);
        slowest = slowest.max(run_one(name, target, &input, &mut findings));
        execs += 1;
    }
    // Straight to stderr, past the test harness's capture, so the figures
    // show in every run.
    let _ = writeln!(
        std::io::stderr(),
        "fuzz {name}: {execs} executions ({} seeds, {} regressions) in {:.1} s, slowest {} ms, {} findings",
        corpus.len(),
        regressions.len(),
        start.elapsed().as_secs_f64(),
        slowest.as_millis(),
        findings.len()
    );
    assert!(
        findings.is_empty(),
        "fuzz target {name} crashed or hung on: {findings:?} (replay: copy into fuzz/regressions/{name}/)"
    );
    (execs, corpus.len())
}

static P: StandardPolicy = StandardPolicy::new();

fn fuzz_signers() -> Vec<ops::SigningKey> {
    fuzz::keys()[..2]
        .iter()
        .map(|c| {
            ops::unlock(&ops::signing_key(c, &P, None).unwrap(), None)
                .unwrap()
                .into()
        })
        .collect()
}

fn sign(mode: ops::SignMode, armor: bool, data: &[u8]) -> Vec<u8> {
    let mut opts = ops::SignOptions::new(mode, fuzz_signers());
    opts.armor = armor;
    let mut out = Vec::new();
    ops::sign(data, &mut out, &opts).unwrap();
    out
}

/// Messages for the fuzz keys made now, so the fuzzer starts from
/// current output as well as the committed seeds.
fn fresh_messages() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let keys = fuzz::keys();
    for (recipients, password, signed, armor) in [
        (vec![keys[0].clone()], false, false, false),
        (vec![keys[1].clone()], false, true, false),
        (keys[..2].to_vec(), true, true, true),
        (Vec::new(), true, false, false),
    ] {
        let mut opts = ops::EncryptOptions::new(&P);
        opts.recipients = recipients;
        if password {
            opts.passwords = vec![fuzz::PASSWORD.into()];
        }
        if signed {
            opts.signers = fuzz_signers();
        }
        opts.armor = armor;
        let mut ct = Vec::new();
        ops::encrypt(&b"fresh message\n"[..], &mut ct, &opts).unwrap();
        out.push(ct);
    }
    out.push(fresh_pq().0);
    out
}

/// A post-quantum key (RFC 9980), made once: its large key material and
/// signatures, cut and mutated, are what the targets must survive too.
fn pq_key() -> &'static openpgp::Cert {
    static KEY: std::sync::OnceLock<openpgp::Cert> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        CertBuilder::general_purpose(Some("PQ <pq@example.org>"))
            .set_profile(openpgp::Profile::RFC9580)
            .unwrap()
            .set_cipher_suite(openpgp::cert::CipherSuite::MLDSA65_Ed25519)
            .generate()
            .unwrap()
            .0
    })
}

/// A message to the post-quantum key, signed by it, and a detached
/// signature by it over the detached-signature data.
fn fresh_pq() -> (Vec<u8>, Vec<u8>) {
    let pq = pq_key();
    let signer: ops::SigningKey = ops::unlock(&ops::signing_key(pq, &P, None).unwrap(), None)
        .unwrap()
        .into();
    let mut opts = ops::EncryptOptions::new(&P);
    opts.recipients = vec![pq.clone()];
    opts.signers = vec![signer.clone()];
    let mut ct = Vec::new();
    ops::encrypt(&b"fresh pq message\n"[..], &mut ct, &opts).unwrap();
    let sopts = ops::SignOptions::new(ops::SignMode::Detached, vec![signer]);
    let mut sig = Vec::new();
    ops::sign(fuzz::DETACHED_DATA, &mut sig, &sopts).unwrap();
    (ct, sig)
}

fn fresh_certs() -> Vec<Vec<u8>> {
    let (c, _) = CertBuilder::general_purpose(Some("Fresh <fresh@example.org>"))
        .add_userid("Second <second@example.org>")
        .generate()
        .unwrap();
    let mut public = Vec::new();
    c.serialize(&mut public).unwrap();
    let mut secret = Vec::new();
    c.as_tsk().serialize(&mut secret).unwrap();
    vec![public, secret]
}

/// The post-quantum certificate (22 KB, four ML-DSA signatures): for the
/// import target only, as every run of it costs what fifty classical
/// ones do.
fn fresh_pq_cert() -> Vec<u8> {
    let mut public = Vec::new();
    pq_key().serialize(&mut public).unwrap();
    public
}

#[test]
fn fuzz_import() {
    let mut fresh = fresh_certs();
    fresh.push(fresh_pq_cert());
    fuzz_target("import", fuzz::import, fresh, 600);
}

#[test]
fn fuzz_decrypt() {
    fuzz_target("decrypt", fuzz::decrypt, fresh_messages(), 500);
}

#[test]
fn fuzz_verify_detached() {
    let fresh = vec![
        sign(ops::SignMode::Detached, false, fuzz::DETACHED_DATA),
        sign(ops::SignMode::Detached, true, fuzz::DETACHED_DATA),
        fresh_pq().1,
    ];
    fuzz_target("verify_detached", fuzz::verify_detached, fresh, 4000);
}

#[test]
fn fuzz_verify_inline() {
    let fresh = vec![sign(ops::SignMode::Inline, false, b"fresh inline\n")];
    fuzz_target("verify_inline", fuzz::verify_inline, fresh, 5000);
}

#[test]
fn fuzz_verify_cleartext() {
    let fresh = vec![sign(ops::SignMode::Cleartext, true, b"fresh\n-dash\n")];
    fuzz_target("verify_cleartext", fuzz::verify_inline, fresh, 5000);
}

#[test]
fn fuzz_dearmor() {
    fuzz_target("dearmor", fuzz::dearmor, fresh_messages(), 5000);
}

#[test]
fn fuzz_cert_info() {
    fuzz_target("cert_info", fuzz::cert_info, fresh_certs(), 2500);
}

#[test]
fn fuzz_query() {
    let fresh = ["alice", "<user1@example.org>", "0x0123456789ABCDEF"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    fuzz_target("query", fuzz::query, fresh, 5000);
}

/// The inputs that made sequoia's parser panic (a SEIPDv1 message that
/// ends within 40 bytes of its start, once the session key fits) now fail
/// cleanly as damaged data, through the library and through the binary.
#[test]
fn decrypt_regressions_fail_as_bad_data() {
    let dir = repo().join("fuzz/regressions/decrypt");
    let inputs = read_dir_files(&dir);
    assert!(!inputs.is_empty());
    for input in &inputs {
        let mut opts = ops::DecryptOptions::new(&P);
        opts.secret_keys = fuzz::keys().to_vec();
        opts.passwords = vec![fuzz::PASSWORD.into()];
        let err = ops::decrypt(&input[..], std::io::sink(), &mut opts)
            .expect_err("a damaged message must not decrypt");
        assert_eq!(
            zpgp::error::failure_of(&err),
            Some(zpgp::error::Failure::BadData),
            "{err:#}"
        );
    }
    // The binary: exit 41, no panic message, no output file.
    let env = crate::harness::Env::new();
    let key = env.write("k.pgp", fuzz::KEY_V4);
    env.zpgp().arg("import").arg(&key).assert().success();
    let mut opts = ops::EncryptOptions::new(&P);
    opts.recipients = vec![fuzz::keys()[0].clone()];
    let mut ct = Vec::new();
    ops::encrypt(&b"x"[..], &mut ct, &opts).unwrap();
    // Cut the message 30 bytes into the SEIPDv1 packet's body.
    assert_eq!(ct[0], 0xc1, "a PKESK with a one-octet length comes first");
    let seip = 2 + ct[1] as usize;
    assert_eq!(ct[seip], 0xd2, "then the SEIPD packet");
    let short = ct[..seip + 2 + 30].to_vec();
    let msg = env.write("short.pgp", &short);
    let out = env
        .zpgp()
        .args(["decrypt", "-o"])
        .arg(env.path("out.txt"))
        .arg(&msg)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(41), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("the OpenPGP parser failed on it"),
        "{stderr}"
    );
    assert!(!env.path("out.txt").exists());
}

#[test]
fn every_target_has_a_test_and_a_corpus() {
    let src = include_str!("fuzz.rs");
    for (name, _) in fuzz::TARGETS {
        assert!(
            src.contains(&format!("fuzz_target(\"{name}\"")),
            "no test runs the fuzz target {name}"
        );
        assert!(
            repo().join("fuzz/corpus").join(name).is_dir(),
            "no corpus for {name}"
        );
        assert!(
            repo()
                .join("fuzz/fuzz_targets")
                .join(format!("{name}.rs"))
                .is_file(),
            "no cargo-fuzz target for {name}"
        );
    }
}

/// Writes the seed corpus: `cargo test --test cli write_fuzz_corpus --
/// --ignored`.  Seeds come from tests/data and from messages made now for
/// the fuzz keys.
#[test]
#[ignore]
fn write_fuzz_corpus() {
    let base = repo().join("fuzz/corpus");
    let put = |target: &str, name: &str, data: &[u8]| {
        let dir = base.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), data).unwrap();
    };
    let data_dir = repo().join("tests/data/rfc9580");
    for entry in std::fs::read_dir(&data_dir).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&p).unwrap();
        if name.ends_with(".md") || name.ends_with(".txt") {
            continue;
        }
        let target = if name.contains("certificate") || name.contains("secret-key") {
            "cert_info"
        } else if name.contains("cleartext") {
            "verify_cleartext"
        } else if name.contains("inline") {
            "verify_inline"
        } else if name.contains("detached") {
            "verify_detached"
        } else if name.starts_with("a12") || name.contains("eax") {
            // Argon2 with 2 GiB per try, and EAX that OpenSSL lacks: too
            // slow, or a dead end, for a mutation fuzzer.
            "dearmor"
        } else {
            "decrypt"
        };
        put(target, &name, &bytes);
        if target == "cert_info" {
            put("import", &name, &bytes);
        }
        put("dearmor", &name, &bytes);
    }
    for (i, m) in fresh_messages().iter().enumerate() {
        put("decrypt", &format!("fuzz-keys-{i}.pgp"), m);
    }
    for (i, k) in [fuzz::KEY_V4, fuzz::KEY_V6].iter().enumerate() {
        let c = openpgp::Cert::from_bytes(k).unwrap();
        let mut public = Vec::new();
        c.armored().serialize(&mut public).unwrap();
        put("import", &format!("fuzz-key-{i}.asc"), &public);
        put("import", &format!("fuzz-key-{i}-secret.pgp"), k);
        put("cert_info", &format!("fuzz-key-{i}.asc"), &public);
    }
    put(
        "verify_detached",
        "fuzz-keys.sig",
        &sign(ops::SignMode::Detached, false, fuzz::DETACHED_DATA),
    );
    put(
        "verify_detached",
        "fuzz-keys.asc",
        &sign(ops::SignMode::Detached, true, fuzz::DETACHED_DATA),
    );
    put(
        "verify_inline",
        "fuzz-keys.pgp",
        &sign(ops::SignMode::Inline, false, b"signed inline\n"),
    );
    put(
        "verify_cleartext",
        "fuzz-keys.asc",
        &sign(ops::SignMode::Cleartext, true, b"signed\n- dashed\nlast\n"),
    );
    for (i, q) in [
        "Alice",
        "alice@example.org",
        "<User1@Example.org>",
        "0xA4EB129AA6697AF992D1FDD89D47D4F88BB16E21",
        "A4EB 129A A669 7AF9 92D1  FDD8 9D47 D4F8 8BB1 6E21",
        "9D47D4F88BB16E21",
        "01F8342129225AD47E3513480DCF8D0A8136A911CD1342E3089C9FC5FC225961",
        "example.org",
    ]
    .iter()
    .enumerate()
    {
        put("query", &format!("q{i}"), q.as_bytes());
    }
}
