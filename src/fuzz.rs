//! Fuzz entry points: every place where zpgp parses data from outside.
//!
//! Each target takes arbitrary bytes, runs the real ops and keyring code
//! on them, and must never panic, hang or abort, whatever the bytes are.
//! Errors are the expected outcome for most inputs and are dropped.
//!
//! The cargo-fuzz crate under `fuzz/` calls these (for anyone with a
//! nightly toolchain); the test suite runs them as a deterministic
//! mutation fuzzer over `fuzz/corpus/<target>/` (tests/cli/fuzz.rs).
//!
//! The targets decrypt and verify with fixed test keys (`fuzz/keys/`,
//! unprotected, never used for anything else), so mutated messages made
//! for those keys get past the session-key step into the parser and the
//! integrity checks.  Targets that need a keyring use one temporary home
//! per thread, kept for the thread's life, so imports also exercise
//! merging with what is on file.

use std::cell::RefCell;
use std::io::{self, Write as _};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use sequoia_openpgp as openpgp;

use openpgp::Cert;
use openpgp::crypto::Password;
use openpgp::parse::Parse;
use openpgp::policy::StandardPolicy;

use crate::display::Safe;
use crate::keyring::Keyring;
use crate::ops;
use crate::query::Query;

/// The fixed secret keys (v4 Cv25519 with SEIPDv1, v6 with SEIPDv2).
pub const KEY_V4: &[u8] = include_bytes!("../fuzz/keys/fuzz-v4.pgp");
pub const KEY_V6: &[u8] = include_bytes!("../fuzz/keys/fuzz-v6.pgp");
/// The RFC 9580 sample secret key (A.4), for the RFC's sample messages.
pub const KEY_RFC9580: &[u8] = include_bytes!("../tests/data/rfc9580/a4-v6-secret-key.asc");
/// The message password the decrypt target tries (that of the RFC 9580
/// test vectors too).
pub const PASSWORD: &str = "password";
/// The data every detached-signature seed signs.
pub const DETACHED_DATA: &[u8] = b"fuzz data\n";

/// A fuzz target: any bytes in, never a panic.
pub type Target = fn(&[u8]);

/// Every target, by the name of its corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("import", import),
    ("decrypt", decrypt),
    ("verify_detached", verify_detached),
    ("verify_inline", verify_inline),
    ("verify_cleartext", verify_inline),
    ("dearmor", dearmor),
    ("cert_info", cert_info),
    ("query", query),
];

static POLICY: StandardPolicy<'static> = StandardPolicy::new();

/// The fuzz keys, parsed once.
pub fn keys() -> &'static [Cert] {
    static KEYS: OnceLock<Vec<Cert>> = OnceLock::new();
    KEYS.get_or_init(|| {
        [KEY_V4, KEY_V6, KEY_RFC9580]
            .iter()
            .map(|k| Cert::from_bytes(k).expect("the fuzz keys parse"))
            .collect()
    })
}

/// A fixed reference time (2030), so results do not drift with the clock
/// but the keys made for the corpus are valid.
fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000)
}

/// Output is thrown away, but written, so the whole stream is read.
fn sink() -> io::Sink {
    io::sink()
}

struct Home {
    _dir: tempfile::TempDir,
    keyring: Keyring,
}

thread_local! {
    static IMPORT_HOME: RefCell<Option<Home>> = const { RefCell::new(None) };
    static QUERY_HOME: RefCell<Option<Home>> = const { RefCell::new(None) };
}

fn with_home<T>(
    which: &'static std::thread::LocalKey<RefCell<Option<Home>>>,
    seed: bool,
    f: impl FnOnce(&Keyring) -> T,
) -> Option<T> {
    which.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let dir = tempfile::tempdir().ok()?;
            let keyring = Keyring::open(dir.path()).ok()?;
            if seed {
                let mut certs: Vec<Cert> = keys().to_vec();
                for (i, name) in ["Alice Lovelace", "Bob", "alice again"].iter().enumerate() {
                    if let Ok((c, _)) = openpgp::cert::CertBuilder::general_purpose(Some(format!(
                        "{name} <user{i}@example.org>"
                    )))
                    .generate()
                    {
                        certs.push(c.strip_secret_key_material());
                    }
                }
                keyring.import(certs).ok()?;
            }
            *slot = Some(Home { _dir: dir, keyring });
        }
        slot.as_ref().map(|h| f(&h.keyring))
    })
}

/// `zpgp import`: certificates (or else bare revocations, as the command
/// also accepts) read, checked against the policy, merged into a keyring,
/// read back and described.
pub fn import(data: &[u8]) {
    let certs = match ops::certs::read_certs(data, "fuzz input") {
        Ok(certs) => certs,
        Err(_) => {
            if let Ok(pile) = openpgp::PacketPile::from_bytes(data) {
                let _ = pile.into_children().count();
            }
            return;
        }
    };
    let certs: Vec<Cert> = certs
        .into_iter()
        .filter(|c| c.with_policy(&POLICY, now()).is_ok())
        .collect();
    let _ = with_home(&IMPORT_HOME, false, |kr| {
        if let Ok(outcomes) = kr.import(certs) {
            for o in outcomes {
                show(&o.cert);
                let _ = kr.secret(&o.fingerprint);
            }
        }
        // The merged files must read back.
        let _ = kr.certs();
    });
}

/// `zpgp decrypt` with the fuzz keys and password, verifying signatures
/// by the fuzz keys.
pub fn decrypt(data: &[u8]) {
    let mut opts = ops::DecryptOptions::new(&POLICY);
    opts.time = Some(now());
    opts.secret_keys = keys().to_vec();
    opts.passwords = vec![Password::from(PASSWORD)];
    opts.verify_certs = keys().to_vec();
    if let Ok(report) = ops::decrypt(data, sink(), &mut opts) {
        report_text(&report.signatures, report.literal.as_ref());
    }
}

/// `zpgp verify --signature SIG`: `data` is the signature, over
/// [`DETACHED_DATA`].
pub fn verify_detached(data: &[u8]) {
    let opts = verify_opts();
    if let Ok(report) = ops::verify_detached(data, DETACHED_DATA, &opts) {
        report_text(&report.signatures, None);
        let _ = report.check(&[]);
    }
}

/// `zpgp verify`: an inline-signed or cleartext-signed message.
pub fn verify_inline(data: &[u8]) {
    let opts = verify_opts();
    if let Ok(report) = ops::verify(data, sink(), &opts) {
        report_text(&report.signatures, report.literal.as_ref());
        let _ = report.check(&[]);
    }
}

/// `zpgp dearmor`.
pub fn dearmor(data: &[u8]) {
    let _ = ops::dearmor(data, sink());
}

/// What `list` shows of a cert file: every cert described and printed.
pub fn cert_info(data: &[u8]) {
    if let Ok(certs) = ops::certs::read_certs(data, "fuzz input") {
        for c in &certs {
            show(c);
        }
    }
}

/// A query, as typed by the user, looked up in a small keyring (and
/// resolved to one key, as every command that takes a query does).
pub fn query(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(q) = Query::parse(&text) else { return };
    let _ = q.to_string();
    let _ = with_home(&QUERY_HOME, true, |kr| {
        let _ = kr.lookup(&q);
        if let Err(e) = kr.find(&text) {
            let _ = format!("{e:#}");
        }
    });
}

fn verify_opts() -> ops::VerifyOptions<'static> {
    let mut opts = ops::VerifyOptions::new(&POLICY, keys().to_vec());
    opts.time = Some(now());
    opts
}

/// Formats a cert as `list` and `list --json` do, into nothing.
fn show(cert: &Cert) {
    let info = ops::keyinfo::describe(cert, &POLICY, now());
    let mut out = io::sink();
    for u in &info.userids {
        let _ = writeln!(out, "uid {}", Safe(&u.userid));
    }
    if let Some(r) = &info.reason {
        let _ = writeln!(out, "{}", Safe(r));
    }
    let _ = serde_json::to_writer(&mut out, &info);
    let _ = ops::cert_label(cert, &POLICY, Some(now()));
}

/// Formats signature reports and the literal packet as the commands do.
fn report_text(sigs: &[ops::SignatureReport], literal: Option<&ops::LiteralInfo>) {
    let mut out = io::sink();
    for s in sigs {
        if let Some(u) = &s.user_id {
            let _ = write!(out, "{}", Safe(u));
        }
        if let Some(r) = &s.reason {
            let _ = write!(out, "{}", Safe(r));
        }
    }
    let _ = serde_json::to_writer(&mut out, sigs);
    if let Some(l) = literal {
        let _ = serde_json::to_writer(&mut out, l);
    }
}
