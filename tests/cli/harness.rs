// Not every test module uses every helper.
#![allow(dead_code)]
//! The shared test harness: a temporary home, and `zpgp` commands that use
//! it with `--batch`, so no test ever touches a real keyring or waits on a
//! prompt; people with a key each (`User`), the predicates on what a command
//! printed, and the SOP interface in a temporary directory (`Sop`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use assert_cmd::Command;
use openpgp::Packet;
use openpgp::parse::{PacketParser, PacketParserResult, Parse};
use predicates::BoxPredicate;
use predicates::prelude::*;
use predicates::str::{contains, is_empty};
use sequoia_openpgp as openpgp;
use tempfile::TempDir;

pub const PASSPHRASE: &str = "correct horse battery staple";

pub struct Env {
    pub dir: TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    /// The keyring home inside the temporary directory.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// A path inside the temporary directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file inside the temporary directory and returns its path.
    pub fn write(&self, name: &str, data: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, data).expect("write test file");
        p
    }

    /// `zpgp --home HOME --batch ARGS…`, with no ZPGP_HOME from outside,
    /// and without the key agent: each command unlocks keys itself, as
    /// the tests of passphrases expect (the agent's tests use
    /// [`Env::zpgp_agent`]).
    pub fn zpgp(&self) -> Command {
        let mut cmd = self.zpgp_agent();
        cmd.env("ZPGP_NO_AGENT", "1");
        cmd
    }

    /// `zpgp --home HOME --batch ARGS…` with the key agent as a user has
    /// it, its socket under the home.
    pub fn zpgp_agent(&self) -> Command {
        let mut cmd = Command::cargo_bin("zpgp").expect("zpgp binary");
        cmd.env_remove("ZPGP_HOME")
            .env_remove("ZPGP_NO_AGENT")
            .env_remove("XDG_RUNTIME_DIR")
            .arg("--home")
            .arg(self.home())
            .arg("--batch")
            .current_dir(self.dir.path());
        cmd
    }

    /// A file holding the test passphrase, for --passphrase-file.
    pub fn passphrase_file(&self) -> PathBuf {
        self.write("passphrase.txt", format!("{PASSPHRASE}\n"))
    }

    /// Generates a key (Cv25519, v4 unless `args` say otherwise) protected
    /// by the test passphrase, and returns its fingerprint.
    pub fn generate(&self, args: &[&str]) -> String {
        let pw = self.passphrase_file();
        let out = self
            .zpgp()
            .arg("generate")
            .args(args)
            .arg("--passphrase-file")
            .arg(&pw)
            .output()
            .expect("run zpgp generate");
        assert!(
            out.status.success(),
            "generate failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

/// The binary's path, for tests that spawn it without assert_cmd.
pub fn zpgp_bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("zpgp")
}

/// Whether a program is on PATH (interop tests skip loudly without it, and
/// `.ci/run` installs it so that CI never skips).
pub fn have(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}

/// A throwaway GnuPG home for interoperability tests.
///
/// gpg runs with `--homedir` of a fresh directory under /tmp (short, since
/// gpg-agent's socket path is limited to about 107 bytes), in batch mode,
/// with `--trust-model always` so no trust prompt or "untrusted key" refusal
/// gets in the way, and in the C locale so its messages are stable.  Its
/// daemons are killed when the value is dropped.
pub struct Gpg {
    dir: TempDir,
    /// Held while a gpg command runs: tests that share a home (see
    /// `Shared`) take turns, because gpg 2.2 fails keybox updates made at
    /// the same time ("update failed: Provided object is too large").
    turn: Mutex<()>,
}

impl Gpg {
    /// A fresh gpg home, or `None` (after saying so on stderr) when gpg is
    /// not installed.  Under CI (env var `CI` set) a missing gpg is a
    /// failure, never a skip.
    pub fn new() -> Option<Gpg> {
        use std::os::unix::fs::PermissionsExt;
        if !have("gpg") {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "gpg is not installed, and CI is set: GnuPG interop tests must not be skipped"
                );
            }
            eprintln!("SKIPPED: gpg is not installed; GnuPG interoperability is not tested");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("zg")
            .tempdir_in("/tmp")
            .expect("gpg home directory");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .expect("chmod gpg home");
        Some(Gpg {
            dir,
            turn: Mutex::new(()),
        })
    }

    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    /// `gpg --homedir D --batch --no-tty --trust-model always`, stdin closed.
    pub fn cmd(&self) -> std::process::Command {
        let mut c = std::process::Command::new("gpg");
        c.env_remove("GNUPGHOME")
            .env("LC_ALL", "C")
            .env("LANGUAGE", "C")
            .arg("--homedir")
            .arg(self.home())
            .args(["--batch", "--no-tty", "--trust-model", "always"])
            .stdin(std::process::Stdio::null());
        c
    }

    /// The same, with a loopback passphrase (empty for none).
    pub fn cmd_pw(&self, passphrase: &str) -> std::process::Command {
        let mut c = self.cmd();
        c.args(["--pinentry-mode", "loopback", "--passphrase", passphrase]);
        c
    }

    /// Runs a gpg command, logging its arguments, status and stderr.
    pub fn run(&self, mut c: std::process::Command) -> std::process::Output {
        let out = {
            let _turn = self.turn.lock().unwrap_or_else(PoisonError::into_inner);
            c.output().expect("run gpg")
        };
        eprintln!(
            "gpg {:?}: {}\n{}",
            c.get_args().collect::<Vec<_>>(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Runs a gpg command that must succeed.
    pub fn ok(&self, c: std::process::Command) -> std::process::Output {
        let out = self.run(c);
        assert!(
            out.status.success(),
            "gpg failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Makes a key with `--quick-gen-key USERID ALGO default never` (ALGO
    /// e.g. "default" for RSA-3072 in gpg 2.2, "future-default" for
    /// Ed25519/Cv25519) and returns its primary fingerprint.
    pub fn generate(&self, userid: &str, algo: &str, passphrase: &str) -> String {
        let mut c = self.cmd_pw(passphrase);
        c.args(["--quick-gen-key", userid, algo, "default", "never"]);
        self.ok(c);
        let mut c = self.cmd();
        c.args(["--with-colons", "--list-keys", userid]);
        let out = self.ok(c);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find(|l| l.starts_with("fpr:"))
            .and_then(|l| l.split(':').nth(9))
            .map(str::to_string)
            .expect("fingerprint of the new gpg key")
    }

    /// `gpg --import FILE`, which must succeed.
    pub fn import(&self, file: &Path) {
        let mut c = self.cmd();
        c.arg("--import").arg(file);
        self.ok(c);
    }

    /// `gpg --export --armor QUERY` written to FILE.
    pub fn export(&self, query: &str, file: &Path) {
        let mut c = self.cmd();
        c.args(["--export", "--armor", query]);
        let out = self.ok(c);
        assert!(!out.stdout.is_empty(), "gpg exported nothing for {query}");
        std::fs::write(file, out.stdout).expect("write gpg export");
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = std::process::Command::new("gpgconf")
            .env_remove("GNUPGHOME")
            .arg("--homedir")
            .arg(self.home())
            .args(["--kill", "all"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// What the tests of one module share while any of them runs: a gpg home
/// whose keys took seconds of gpg-agent's S2K work to make, say.  A static
/// is never dropped, and a gpg home must be (its agent killed, its
/// directory removed), so the slot holds the value only weakly: the last
/// test to let go drops it, and a later test makes it again.
pub struct Shared<T>(Mutex<Weak<T>>);

impl<T> Shared<T> {
    pub const fn new() -> Shared<T> {
        Shared(Mutex::new(Weak::new()))
    }

    /// The value in use, or a new one from `make` (`None` passes through,
    /// as from `Gpg::new` without gpg).  Tests that come meanwhile wait
    /// for it rather than make their own.
    pub fn get(&self, make: impl FnOnce() -> Option<T>) -> Option<Arc<T>> {
        // A test that panicked while making it leaves the slot empty, not
        // unusable.
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(v) = slot.upgrade() {
            return Some(v);
        }
        let v = Arc::new(make()?);
        *slot = Arc::downgrade(&v);
        Some(v)
    }
}

/// The `[GNUPG:] KEYWORD …` lines of gpg's `--status-fd` output.
pub fn gpg_status(out: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(out)
        .lines()
        .filter_map(|l| l.strip_prefix("[GNUPG:] "))
        .map(str::to_string)
        .collect()
}

/// `zpgp-sop`, the SOP interface as its own binary, run in `dir`.
pub fn zpgp_sop(dir: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("zpgp-sop"));
    cmd.current_dir(dir);
    cmd
}

// People: a home each, with a key -------------------------------------------

/// One person: a home of their own with one secret key (Cv25519,
/// protected by the harness passphrase).
pub struct User {
    pub env: Env,
    pub name: String,
    pub fpr: String,
}

impl User {
    /// A v4 (rfc4880) key for "Name <name@example.org>".
    pub fn new(name: &str) -> User {
        User::with_profile(name, "rfc4880")
    }

    /// A v6 (rfc9580) key.
    pub fn v6(name: &str) -> User {
        User::with_profile(name, "rfc9580")
    }

    fn with_profile(name: &str, profile: &str) -> User {
        let env = Env::new();
        let email = format!("{}@example.org", name.to_lowercase());
        let fpr = env.generate(&["--name", name, "--email", &email, "--profile", profile]);
        User {
            env,
            name: name.to_string(),
            fpr,
        }
    }

    pub fn email(&self) -> String {
        format!("{}@example.org", self.name.to_lowercase())
    }

    /// The user ID as reports show it.
    pub fn uid(&self) -> String {
        format!("{} <{}>", self.name, self.email())
    }

    /// `zpgp --home THEIRS --batch`.
    pub fn zpgp(&self) -> Command {
        self.env.zpgp()
    }

    /// The same, with the key passphrase in --passphrase-file.
    pub fn zpgp_pw(&self) -> Command {
        let mut cmd = self.env.zpgp();
        cmd.arg("--passphrase-file").arg(self.env.passphrase_file());
        cmd
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.env.path(name)
    }

    pub fn write(&self, name: &str, data: impl AsRef<[u8]>) -> PathBuf {
        self.env.write(name, data)
    }

    /// Their certificate, exported to a file in their directory.
    pub fn cert(&self) -> PathBuf {
        let p = self.path(&format!("{}.cert.asc", self.name.to_lowercase()));
        if !p.exists() {
            self.zpgp()
                .args(["export", &self.email(), "-o"])
                .arg(&p)
                .assert()
                .success()
                .stdout(is_empty())
                .stderr(no_panic());
        }
        p
    }

    pub fn import(&self, file: &Path) {
        self.zpgp()
            .arg("import")
            .arg(file)
            .assert()
            .success()
            .stdout(is_empty())
            .stderr(no_panic());
    }

    /// Imports the others' certificates and, as people who met and
    /// compared fingerprints do, certifies them (locally, so that what is
    /// exported stays as it was made).
    pub fn knows(&self, others: &[&User]) {
        for o in others {
            self.import(&o.cert());
            self.zpgp_pw()
                .args(["certify", "--local", "--fingerprint", &o.fpr, &o.fpr])
                .assert()
                .success()
                .stderr(no_panic());
        }
    }

    /// Imports the others' certificates without authenticating them.
    pub fn has_certs_of(&self, others: &[&User]) {
        for o in others {
            self.import(&o.cert());
        }
    }

    /// `encrypt ARGS` from standard input to standard output; the ciphertext.
    pub fn encrypt(&self, args: &[&str], plaintext: &[u8]) -> Vec<u8> {
        let a = self
            .zpgp_pw()
            .arg("encrypt")
            .args(args)
            .write_stdin(plaintext.to_vec())
            .assert()
            .success()
            .stderr(no_panic());
        a.get_output().stdout.clone()
    }

    /// `sign ARGS` from standard input to standard output.
    pub fn sign(&self, args: &[&str], data: &[u8]) -> Vec<u8> {
        let a = self
            .zpgp_pw()
            .arg("sign")
            .args(args)
            .write_stdin(data.to_vec())
            .assert()
            .success()
            .stderr(is_empty());
        a.get_output().stdout.clone()
    }
}

/// One primary key and one user ID, self-signed with `hash` a year ago,
/// for certification and signing; the secret key material is kept.  The
/// kind of key another tool may have left on file.
pub fn year_old_cert(
    primary: openpgp::packet::Key<
        openpgp::packet::key::SecretParts,
        openpgp::packet::key::PrimaryRole,
    >,
    hash: openpgp::types::HashAlgorithm,
    uid: &str,
) -> openpgp::Cert {
    use openpgp::packet::signature::SignatureBuilder;
    use openpgp::types::{KeyFlags, SignatureType};
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(365 * 86400);
    let mut signer = primary.clone().into_keypair().unwrap();
    let uid = openpgp::packet::UserID::from(uid);
    let sig = SignatureBuilder::new(SignatureType::PositiveCertification)
        .set_hash_algo(hash)
        .set_signature_creation_time(then)
        .unwrap()
        .set_key_flags(KeyFlags::empty().set_certification().set_signing())
        .unwrap()
        .sign_userid_binding(&mut signer, primary.parts_as_public(), &uid)
        .unwrap();
    openpgp::Cert::try_from(vec![Packet::from(primary), uid.into(), sig.into()]).unwrap()
}

/// stderr never shows a panic, whatever else it says.
pub fn no_panic() -> BoxPredicate<str> {
    contains("panicked").not().boxed()
}

/// stderr of a success: no panic, no error, no warning.
pub fn clean() -> BoxPredicate<str> {
    no_panic()
        .and(contains("error").not())
        .and(contains("warning").not())
        .boxed()
}

/// stderr: contains every one of `parts`, and no panic.
pub fn has(parts: &[&str]) -> BoxPredicate<str> {
    let mut p = no_panic();
    for s in parts {
        p = p.and(contains(s.to_string())).boxed();
    }
    p
}

/// stderr of a failure: "zpgp: error:" plus `parts`, no panic.
pub fn error_has(parts: &[&str]) -> BoxPredicate<str> {
    has(parts).and(contains("zpgp: error:")).boxed()
}

pub fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(bytes)
                .chars()
                .take(400)
                .collect::<String>()
        )
    })
}

/// Incompressible, reproducible bytes.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Names of temporary `.part` files left in `dir`.
pub fn part_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".part"))
        .collect()
}

/// The version of the (first) SEIPD packet of a binary message.
pub fn seipd_version(ciphertext: &[u8]) -> u8 {
    let mut ppr = PacketParser::from_bytes(ciphertext).expect("parse message");
    while let PacketParserResult::Some(pp) = ppr {
        if let Packet::SEIP(s) = &pp.packet {
            return s.version();
        }
        ppr = pp.next().expect("next packet").1;
    }
    panic!("no SEIPD packet in the message");
}

/// Alice and Bob, each holding the other's certificate.
pub fn alice_and_bob() -> (User, User) {
    let alice = User::new("Alice");
    let bob = User::new("Bob");
    alice.knows(&[&bob]);
    bob.knows(&[&alice]);
    (alice, bob)
}

// SOP -------------------------------------------------------------------------

/// A temporary directory with SOP helpers.
pub struct Sop {
    pub env: Env,
}

/// What a SOP call produced.
pub struct Out {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Out {
    #[track_caller]
    pub fn ok(self) -> Vec<u8> {
        assert_eq!(self.code, 0, "sop failed: {}", self.stderr);
        self.stdout
    }

    /// Asserts the exit code, a one-line message, and an empty stdout.
    #[track_caller]
    pub fn fails(self, code: i32) {
        assert_eq!(
            self.code, code,
            "expected exit {code}, got {}: {}",
            self.code, self.stderr
        );
        assert!(
            self.stdout.is_empty(),
            "stdout not empty on failure: {:?}",
            String::from_utf8_lossy(&self.stdout)
        );
        assert_eq!(
            self.stderr.trim_end().lines().count(),
            1,
            "not one line: {:?}",
            self.stderr
        );
    }
}

impl Sop {
    pub fn new() -> Sop {
        Sop { env: Env::new() }
    }

    pub fn dir(&self) -> &Path {
        self.env.dir.path()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.env.path(name)
    }

    pub fn write(&self, name: &str, data: impl AsRef<[u8]>) -> PathBuf {
        self.env.write(name, data)
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).expect("read test file")
    }

    pub fn cmd(&self) -> Command {
        zpgp_sop(self.dir())
    }

    /// Runs `zpgp-sop ARGS` with `stdin`.
    pub fn run(&self, args: &[&str], stdin: impl AsRef<[u8]>) -> Out {
        let out = self
            .cmd()
            .args(args)
            .write_stdin(stdin.as_ref().to_vec())
            .output()
            .expect("run zpgp-sop");
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Generates `NAME.key` and `NAME.cert`.
    pub fn key(&self, name: &str, args: &[&str]) {
        let mut a = vec!["generate-key"];
        a.extend_from_slice(args);
        let uid = format!("{name} <{name}@example.org>");
        a.push(&uid);
        let key = self.run(&a, "").ok();
        self.write(&format!("{name}.key"), &key);
        let cert = self.run(&["extract-cert"], &key).ok();
        self.write(&format!("{name}.cert"), cert);
    }
}
