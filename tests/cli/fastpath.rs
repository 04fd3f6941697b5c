//! What any SEIPDv1 (MDC) or SEIPDv2 (AEAD) encryption and decryption code
//! must keep, pinned through the binary, so that a hand-written fast path
//! cannot get framing, chunking, integrity checks or interoperability
//! wrong unnoticed:
//!
//! - round trips at plaintext sizes around every framing boundary (CFB
//!   blocks, the 18-byte v1 prefix, the 22-byte MDC packet, 4 KiB AEAD
//!   chunks, 512-byte partial bodies, the 1 MiB hold-back, the 4 MiB
//!   partial-body buffer), binary and armored, through files and pipes,
//!   for v4 keys (SEIPDv1), v6 keys (SEIPDv2) and passwords;
//! - GnuPG interop both ways (v4 keys and passwords), with and without
//!   compression, in each cipher gpg offers, and signed;
//! - tampered large messages: the exit code, the message, no output file
//!   and no temporary file, and on standard output nothing beyond what the
//!   hold-back lets out;
//! - wrong keys, passphrases and passwords on large messages;
//! - SOP encrypt and decrypt, with session keys.
//!
//! Messages re-framed with other (still valid) packet headers, and larger
//! than the encryptor's 4 MiB buffer, are read by `ops::decrypt` in the
//! fast path's unit tests (`src/ops/fast/tests.rs`): the binary adds
//! nothing to what they check.
//!
//! Plaintext is reproducible noise (`harness::noise`), so nothing
//! compresses and every byte matters.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

use crate::harness::{Env, Gpg, PASSPHRASE, gpg_status, json, noise, part_files, seipd_version};
use crate::packets::seipd;

const MIB: usize = 1 << 20;

/// Plaintext sizes around the framing boundaries.
const SIZES: [usize; 26] = [
    0,
    1,
    15,
    16,
    17,
    18,
    21,
    22,
    23,
    511,
    512,
    513,
    4095,
    4096,
    4097,
    65535,
    65536,
    65537,
    262_143,
    262_144,
    262_145,
    MIB - 1,
    MIB,
    MIB + 1,
    2 * MIB + 7,
    3 * MIB + 1,
];

/// The sizes of the GnuPG interop tests.
const GPG_SIZES: [usize; 7] = [0, 1, 17, 4097, MIB, MIB + 1, 3 * MIB + 1];

/// How much plaintext decryption checks before releasing any of it
/// (`ops::DEFAULT_BUFFER_SIZE`): a message no larger is checked in full
/// before the first byte is written, and of a larger one the last MiB is
/// held back until the integrity check at the end.
const HOLD_BACK: usize = MIB;

/// Slack on [`HOLD_BACK`] for a tampered large message written to
/// standard output: the hold-back may count decrypted packet bytes
/// (literal packet header, MDC packet) or whole cipher blocks and chunks
/// rather than plaintext, so where exactly the written part ends is not
/// pinned, only that about the last MiB never gets out.
const HOLD_BACK_SLACK: usize = 4096;

/// The message password of the password-encrypted messages.
const MSG_PASSWORD: &str = "fast path message password";

/// A marker packet ("PGP"), which a reader must ignore wherever it is.
const MARKER: [u8; 5] = [0xca, 0x03, b'P', b'G', b'P'];

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 test path")
}

/// Panics with the lengths and the first differing offset (never with
/// megabytes of bytes) unless `got == want`.
#[track_caller]
fn assert_same(got: &[u8], want: &[u8], what: &str) {
    if got != want {
        let at = got
            .iter()
            .zip(want)
            .position(|(a, b)| a != b)
            .unwrap_or(got.len().min(want.len()));
        panic!(
            "{what}: {} bytes, expected {}; first difference at byte {at}",
            got.len(),
            want.len()
        );
    }
}

/// The JSON report that `--json` prints on stderr (before any "decrypted
/// to" line).
fn json_report(stderr: &str) -> Value {
    let start = stderr
        .find('{')
        .unwrap_or_else(|| panic!("no JSON report: {stderr}"));
    let end = stderr.rfind('}').expect("end of the JSON report") + 1;
    json(&stderr.as_bytes()[start..end])
}

/// No panic, no error, no warning.
fn clean(stderr: &str) -> bool {
    !stderr.contains("panicked") && !stderr.contains("error") && !stderr.contains("warning")
}

/// What one zpgp run did.
struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    /// Exit 0 and a clean stderr.
    #[track_caller]
    fn ok(&self, what: &str) {
        assert_eq!(self.code, Some(0), "{what}: {}", self.stderr);
        assert!(clean(&self.stderr), "{what}: {}", self.stderr);
    }
}

/// Runs `cmd`, with `stdin` piped in when given, and logs the outcome.
fn run(what: &str, mut cmd: Command, stdin: Option<&[u8]>) -> Run {
    if let Some(data) = stdin {
        cmd.write_stdin(data.to_vec());
    }
    let out = cmd.output().expect("run zpgp");
    let r = Run {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: text(&out.stderr),
    };
    eprintln!(
        "{what}: exit {:?}, {} bytes on stdout\n{}",
        r.code,
        r.stdout.len(),
        r.stderr
    );
    r
}

/// Binary OpenPGP data, dearmored if armored.
fn binary(data: &[u8]) -> Vec<u8> {
    use sequoia_openpgp::armor::{Kind as ArmorKind, Reader, ReaderMode};
    use std::io::Read as _;
    if !data.starts_with(b"-----BEGIN PGP") {
        return data.to_vec();
    }
    let mut out = Vec::new();
    Reader::from_bytes(data, ReaderMode::Tolerant(Some(ArmorKind::Message)))
        .read_to_end(&mut out)
        .expect("dearmor");
    out
}

/// Whether `data` is an armored message: it starts and ends with the
/// armor lines.
fn is_armored(data: &[u8]) -> bool {
    let t = text(data);
    t.starts_with("-----BEGIN PGP MESSAGE-----")
        && t.trim_end().ends_with("-----END PGP MESSAGE-----")
}

// Who encrypts and decrypts ----------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A v4 key of `zpgp generate`'s default profile: SEIPDv1.
    V4,
    /// A v6 key (`--profile rfc9580`): SEIPDv2 (OCB).
    V6,
    /// A password only: SEIPDv1.
    Password,
    /// A v6 key and a password, opened with the password in a home
    /// without keys: SEIPDv2 through a v6 SKESK.
    V6Password,
}

impl Kind {
    fn seipd_version(self) -> u8 {
        match self {
            Kind::V4 | Kind::Password => 1,
            Kind::V6 | Kind::V6Password => 2,
        }
    }

    fn seed(self) -> u64 {
        match self {
            Kind::V4 => 0x4000,
            Kind::V6 => 0x6000,
            Kind::Password => 0x7000,
            Kind::V6Password => 0x8000,
        }
    }

    /// What a wrong session key reads as (a damaged first block or chunk
    /// included): the error for this kind of reader.
    fn cannot_decrypt_message(self) -> &'static [&'static str] {
        match self {
            Kind::V4 | Kind::V6 => &["the matching secret key could not decrypt it"],
            Kind::Password => &["wrong password for the message"],
            // The message is for a key too, which the reader lacks.
            Kind::V6Password => &["none of their secret keys", "the password is wrong"],
        }
    }
}

/// A home that encrypts (holding the key, if any), and the home that
/// decrypts (the same one, except for `V6Password`).
struct Party {
    kind: Kind,
    env: Env,
    reader: Option<Env>,
    key_pw: PathBuf,
    msg_pw: PathBuf,
}

const EMAIL: &str = "fay@example.org";

impl Party {
    fn new(kind: Kind) -> Party {
        let env = Env::new();
        match kind {
            Kind::V4 => {
                // The default profile, v4.
                let fpr = env.generate(&["--name", "Fay", "--email", EMAIL]);
                assert_eq!(fpr.len(), 40, "a v4 fingerprint: {fpr}");
            }
            Kind::V6 | Kind::V6Password => {
                let fpr =
                    env.generate(&["--name", "Fay", "--email", EMAIL, "--profile", "rfc9580"]);
                assert_eq!(fpr.len(), 64, "a v6 fingerprint: {fpr}");
            }
            Kind::Password => {}
        }
        let key_pw = env.passphrase_file();
        let msg_pw = env.write("message-password.txt", format!("{MSG_PASSWORD}\n"));
        let reader = (kind == Kind::V6Password).then(Env::new);
        Party {
            kind,
            env,
            reader,
            key_pw,
            msg_pw,
        }
    }

    /// The home that decrypts.
    fn reader(&self) -> &Env {
        self.reader.as_ref().unwrap_or(&self.env)
    }

    /// `zpgp encrypt` for this kind, before the I/O arguments.
    fn encrypt(&self) -> Command {
        let mut c = self.env.zpgp();
        c.arg("encrypt");
        match self.kind {
            Kind::V4 | Kind::V6 => {
                c.args(["-r", EMAIL]);
            }
            Kind::Password => {
                c.arg("--password")
                    .arg("--passphrase-file")
                    .arg(&self.msg_pw);
            }
            Kind::V6Password => {
                c.args(["-r", EMAIL, "--password", "--passphrase-file"])
                    .arg(&self.msg_pw);
            }
        }
        c
    }

    /// `zpgp decrypt` in the reader's home, with the key passphrase or
    /// the message password.
    fn decrypt(&self) -> Command {
        let mut c = self.reader().zpgp();
        c.arg("decrypt");
        match self.kind {
            Kind::V4 | Kind::V6 => c.arg("--passphrase-file").arg(&self.key_pw),
            Kind::Password | Kind::V6Password => c.arg("--password-file").arg(&self.msg_pw),
        };
        c
    }

    /// Encrypts the file `plain` into `name` (binary or armored) and
    /// returns the ciphertext.
    fn encrypt_file(&self, plain: &Path, name: &str, armor: bool) -> Vec<u8> {
        let out = self.env.path(name);
        let mut c = self.encrypt();
        if armor {
            c.arg("--armor");
        }
        c.arg("--force").arg("-o").arg(&out).arg(plain);
        let r = run(&format!("{:?} encrypt -o {name}", self.kind), c, None);
        r.ok(name);
        assert!(r.stdout.is_empty(), "{name}: output on stdout");
        assert!(r.stderr.contains("encrypted to"), "{name}: {}", r.stderr);
        std::fs::read(&out).expect("read the ciphertext")
    }

    /// Encrypts `data` from standard input to standard output.
    fn encrypt_pipe(&self, data: &[u8], armor: bool, what: &str) -> Vec<u8> {
        let mut c = self.encrypt();
        if armor {
            c.arg("--armor");
        }
        let r = run(&format!("{:?} encrypt | {what}", self.kind), c, Some(data));
        r.ok(what);
        r.stdout
    }

    /// Decrypts `ct` from standard input; must succeed.
    fn decrypt_pipe(&self, ct: &[u8], what: &str) -> Vec<u8> {
        let r = run(
            &format!("{:?} decrypt | {what}", self.kind),
            self.decrypt(),
            Some(ct),
        );
        r.ok(what);
        r.stdout
    }

    /// Decrypts the file holding `ct` into a file; must succeed.
    fn decrypt_file(&self, ct: &[u8], name: &str, what: &str) -> Vec<u8> {
        let env = self.reader();
        let input = env.write(name, ct);
        let out = env.path(&format!("{name}.out"));
        let mut c = self.decrypt();
        c.arg("-o").arg(&out).arg(&input);
        let r = run(&format!("{:?} decrypt -o {what}", self.kind), c, None);
        r.ok(what);
        assert!(r.stdout.is_empty(), "{what}: output on stdout");
        assert!(r.stderr.contains("decrypted to"), "{what}: {}", r.stderr);
        let got = std::fs::read(&out).expect("read the plaintext");
        std::fs::remove_file(&out).unwrap();
        std::fs::remove_file(&input).unwrap();
        got
    }

    /// Checks the version of the SEIPD packet of `ct` (armored or not).
    #[track_caller]
    fn check_format(&self, ct: &[u8], what: &str) {
        assert_eq!(
            seipd_version(&binary(ct)),
            self.kind.seipd_version(),
            "{what}: SEIPD version"
        );
    }
}

// 1. Round trips at the framing boundaries ------------------------------------

/// Every size of [`SIZES`] two ways: (A) encrypted from a file to a file,
/// decrypted from standard input to standard output; (B) encrypted
/// through a pipe, decrypted from a file to a file.  Armor alternates, so
/// each size is seen binary and armored.
fn round_trips(kind: Kind) {
    let party = Party::new(kind);
    for (i, &size) in SIZES.iter().enumerate() {
        let data = noise(size, kind.seed() + i as u64);
        let armor_a = i % 2 == 1;

        // A: file -> file, then stdin -> stdout.
        let what = format!("{kind:?} {size} bytes, file, armor {armor_a}");
        let plain = party.env.write(&format!("plain-{size}.bin"), &data);
        let ct = party.encrypt_file(&plain, &format!("a-{size}.pgp"), armor_a);
        assert_eq!(is_armored(&ct), armor_a, "{what}: armor");
        party.check_format(&ct, &what);
        assert_same(&party.decrypt_pipe(&ct, &what), &data, &what);

        // B: stdin -> stdout, then file -> file.
        let what = format!("{kind:?} {size} bytes, pipe, armor {}", !armor_a);
        let ct = party.encrypt_pipe(&data, !armor_a, &what);
        assert_eq!(is_armored(&ct), !armor_a, "{what}: armor");
        party.check_format(&ct, &what);
        let got = party.decrypt_file(&ct, &format!("b-{size}.pgp"), &what);
        assert_same(&got, &data, &what);
        std::fs::remove_file(&plain).unwrap();
    }
    assert!(part_files(party.env.dir.path()).is_empty());
}

#[test]
fn round_trips_v4_seipdv1_at_framing_boundaries() {
    round_trips(Kind::V4);
}

#[test]
fn round_trips_v6_seipdv2_at_framing_boundaries() {
    round_trips(Kind::V6);
}

#[test]
fn round_trips_password_at_framing_boundaries() {
    round_trips(Kind::Password);
}

// 2. GnuPG ---------------------------------------------------------------------

/// A v4 key made by `zpgp generate` (default profile) whose secret key
/// gpg has imported too, so both can encrypt, decrypt and sign with it.
struct Shared {
    g: Gpg,
    env: Env,
    fpr: String,
    key_pw: PathBuf,
}

fn shared_key() -> Option<Shared> {
    let g = Gpg::new()?;
    let env = Env::new();
    let fpr = env.generate(&["--name", "Gus", "--email", "gus@example.org"]);
    let secret = env.path("gus-secret.asc");
    let r = run(
        "export --secret",
        {
            let mut c = env.zpgp();
            c.args(["export", "--secret", "-o", p(&secret), &fpr]);
            c
        },
        None,
    );
    r.ok("export --secret");
    let mut c = g.cmd_pw(PASSPHRASE);
    c.arg("--import").arg(&secret);
    let out = g.ok(c);
    assert!(
        text(&out.stderr).contains("secret keys imported: 1"),
        "{}",
        text(&out.stderr)
    );
    let key_pw = env.passphrase_file();
    Some(Shared {
        g,
        env,
        fpr,
        key_pw,
    })
}

/// The status line starting with `keyword`, if any.
fn status_line<'a>(status: &'a [String], keyword: &str) -> Option<&'a str> {
    status
        .iter()
        .map(String::as_str)
        .find(|l| l.split(' ').next() == Some(keyword))
}

impl Shared {
    /// `gpg --decrypt FILE` with the key's passphrase: the plaintext and
    /// gpg's status lines; gpg must succeed with an intact MDC.
    fn gpg_decrypt(&self, file: &Path, passphrase: &str) -> (Vec<u8>, Vec<String>) {
        let dec = self.env.path("gpg-decrypted.bin");
        let _ = std::fs::remove_file(&dec);
        let mut c = self.g.cmd_pw(passphrase);
        c.args(["--status-fd", "1", "--output"])
            .arg(&dec)
            .arg("--decrypt")
            .arg(file);
        let out = self.g.ok(c);
        let status = gpg_status(&out.stdout);
        assert!(
            status_line(&status, "DECRYPTION_OKAY").is_some(),
            "{status:#?}"
        );
        assert!(status_line(&status, "GOODMDC").is_some(), "{status:#?}");
        assert!(
            status_line(&status, "DECRYPTION_FAILED").is_none(),
            "{status:#?}"
        );
        let got = std::fs::read(&dec).expect("gpg wrote the plaintext");
        (got, status)
    }

    /// `zpgp decrypt`, from the file to a file or from standard input to
    /// standard output; must succeed.
    fn zpgp_decrypt(&self, ct: &Path, via_pipe: bool, extra: &[&str], what: &str) -> Run {
        let mut c = self.env.zpgp();
        c.args(extra)
            .arg("decrypt")
            .arg("--passphrase-file")
            .arg(&self.key_pw);
        if via_pipe {
            let data = std::fs::read(ct).unwrap();
            let r = run(what, c, Some(&data));
            assert_eq!(r.code, Some(0), "{what}: {}", r.stderr);
            r
        } else {
            let out = self.env.path("zpgp-decrypted.bin");
            let _ = std::fs::remove_file(&out);
            c.arg("-o").arg(&out).arg(ct);
            let mut r = run(what, c, None);
            assert_eq!(r.code, Some(0), "{what}: {}", r.stderr);
            assert!(r.stdout.is_empty(), "{what}");
            r.stdout = std::fs::read(&out).unwrap();
            r
        }
    }
}

/// zpgp encrypts to its v4 key (SEIPDv1), binary and armored, from files
/// and pipes, and with a password; gpg decrypts every size byte-exactly
/// with an intact MDC.
#[test]
fn gpg_decrypts_what_zpgp_encrypts() {
    let Some(s) = shared_key() else { return };
    for (i, &size) in GPG_SIZES.iter().enumerate() {
        let data = noise(size, 0x9000 + i as u64);
        let armor = i % 2 == 1;
        let what = format!("zpgp -> gpg, {size} bytes, armor {armor}");
        let ct = s.env.path("to-gpg.pgp");
        if i % 3 == 2 {
            // Through a pipe.
            let mut c = s.env.zpgp();
            c.args(["encrypt", "-r", &s.fpr]);
            if armor {
                c.arg("--armor");
            }
            let r = run(&what, c, Some(&data));
            r.ok(&what);
            std::fs::write(&ct, &r.stdout).unwrap();
        } else {
            let plain = s.env.write("plain.bin", &data);
            let mut c = s.env.zpgp();
            c.args(["encrypt", "--force", "-r", &s.fpr, "-o", p(&ct), p(&plain)]);
            if armor {
                c.arg("--armor");
            }
            run(&what, c, None).ok(&what);
        }
        let bytes = std::fs::read(&ct).unwrap();
        assert_eq!(is_armored(&bytes), armor, "{what}");
        assert_eq!(seipd_version(&binary(&bytes)), 1, "{what}");
        let (got, _) = s.gpg_decrypt(&ct, PASSPHRASE);
        assert_same(&got, &data, &what);
    }

    // Password-only messages.
    let pw = s.env.write("msg-pw.txt", format!("{MSG_PASSWORD}\n"));
    for (i, size) in [1, MIB + 1].into_iter().enumerate() {
        let data = noise(size, 0x9100 + i as u64);
        let what = format!("zpgp --password -> gpg, {size} bytes");
        let plain = s.env.write("plain.bin", &data);
        let ct = s.env.path("pw-to-gpg.pgp");
        let mut c = s.env.zpgp();
        c.args(["encrypt", "--force", "--password", "--passphrase-file"])
            .arg(&pw)
            .args(["-o", p(&ct), p(&plain)]);
        run(&what, c, None).ok(&what);
        let (got, _) = s.gpg_decrypt(&ct, MSG_PASSWORD);
        assert_same(&got, &data, &what);
    }
}

/// gpg encrypts to the zpgp key: uncompressed and with gpg's default
/// compression (ZIP for this key), binary and armored, from a file
/// (definite lengths where gpg knows the size) and from standard input
/// (8 KiB partial bodies); zpgp decrypts every one byte-exactly, from
/// files and pipes.
#[test]
fn zpgp_decrypts_what_gpg_encrypts() {
    let Some(s) = shared_key() else { return };
    for (i, &size) in GPG_SIZES.iter().enumerate() {
        let data = noise(size, 0x9200 + i as u64);
        let plain = s.env.write("plain.bin", &data);
        for v in 0..4 {
            let compress = v >= 2;
            let armor = v % 2 == 1;
            let from_stdin = (i + v) % 2 == 1;
            let what = format!(
                "gpg -> zpgp, {size} bytes, compressed {compress}, armor {armor}, gpg stdin {from_stdin}"
            );
            let ct = s.env.path("from-gpg.gpg");
            let _ = std::fs::remove_file(&ct);
            let mut c = s.g.cmd();
            c.args(["--encrypt", "--recipient", &s.fpr, "--output"])
                .arg(&ct);
            if !compress {
                c.args(["--compress-algo", "none"]);
            }
            if armor {
                c.arg("--armor");
            }
            if from_stdin {
                c.stdin(std::fs::File::open(&plain).unwrap());
            } else {
                c.arg(&plain);
            }
            s.g.ok(c);
            let r = s.zpgp_decrypt(&ct, v % 2 == 0, &[], &what);
            assert!(clean(&r.stderr), "{what}: {}", r.stderr);
            assert_same(&r.stdout, &data, &what);
        }
    }
}

/// gpg -c (a password, the session key straight from the S2K, no
/// encrypted session key), large, binary and armored: zpgp decrypts; a
/// wrong password, which only the SEIPDv1 quick check can tell, fails
/// with 29 "wrong password" and writes nothing.
#[test]
fn zpgp_decrypts_large_gpg_symmetric_messages() {
    let Some(g) = Gpg::new() else { return };
    let env = Env::new();
    let pw = env.write("pw.txt", format!("{MSG_PASSWORD}\n"));
    let wrong = env.write("wrong.txt", "not the password\n");
    let data = noise(MIB + 1, 0x9300);
    let plain = env.write("plain.bin", &data);
    for armor in [false, true] {
        let what = format!("gpg -c, armor {armor}");
        let ct = env.path(if armor { "sym.asc" } else { "sym.gpg" });
        let mut c = g.cmd_pw(MSG_PASSWORD);
        c.args(["--symmetric", "--compress-algo", "none", "--output"])
            .arg(&ct);
        if armor {
            c.arg("--armor");
        }
        c.stdin(std::fs::File::open(&plain).unwrap());
        g.ok(c);
        let mut c = env.zpgp();
        c.arg("decrypt").arg("--password-file").arg(&pw).arg(&ct);
        c.args(["-o", "-"]);
        let r = run(&what, c, None);
        r.ok(&what);
        assert_same(&r.stdout, &data, &what);

        let what = format!("{what}, wrong password");
        let out = env.path("wrong.out");
        let mut c = env.zpgp();
        c.arg("decrypt")
            .arg("--password-file")
            .arg(&wrong)
            .arg("-o")
            .arg(&out)
            .arg(&ct);
        let r = run(&what, c, None);
        assert_fails(
            &env,
            &r,
            &out,
            29,
            &["wrong password for the message"],
            &what,
        );
        let mut c = env.zpgp();
        c.arg("decrypt").arg("--password-file").arg(&wrong);
        let r = run(&what, c, Some(&std::fs::read(&ct).unwrap()));
        assert_fails(
            &env,
            &r,
            &out,
            29,
            &["wrong password for the message"],
            &what,
        );
    }
}

/// gpg encrypts with each cipher it offers: AES-128/192/256, Camellia
/// and Blowfish (8-byte blocks, a 10-byte prefix) decrypt byte-exactly.
/// With the OpenSSL backend, Twofish cannot be read (exit 29) and IDEA,
/// CAST5 and 3DES are refused by the policy (exit 41); nothing is written
/// either way.
#[test]
fn zpgp_decrypts_gpg_messages_in_each_cipher() {
    let Some(s) = shared_key() else { return };
    let openssl = {
        let mut c = s.env.zpgp();
        c.arg("--version");
        text(&run("--version", c, None).stdout).contains("OpenSSL")
    };
    let data = noise(MIB + 1, 0x9400);
    let plain = s.env.write("plain.bin", &data);
    let cases: [(&str, Option<(i32, &str)>); 10] = [
        ("AES", None),
        ("AES192", None),
        ("AES256", None),
        ("CAMELLIA128", None),
        ("CAMELLIA192", None),
        ("CAMELLIA256", None),
        ("BLOWFISH", None),
        ("TWOFISH", Some((29, "could not decrypt"))),
        ("IDEA", Some((41, "policy"))),
        ("CAST5", Some((41, "policy"))),
    ];
    let mut read = 0;
    for (i, (cipher, failure)) in cases.into_iter().enumerate() {
        let what = format!("gpg --cipher-algo {cipher}");
        let ct = s.env.path(&format!("{cipher}.gpg"));
        let mut c = s.g.cmd();
        c.args([
            "--encrypt",
            "--recipient",
            &s.fpr,
            "--cipher-algo",
            cipher,
            "--compress-algo",
            "none",
            "--output",
        ])
        .arg(&ct);
        if i % 2 == 0 {
            c.stdin(std::fs::File::open(&plain).unwrap());
        } else {
            c.arg(&plain);
        }
        let out = s.g.run(c);
        if !out.status.success() {
            eprintln!("SKIPPED: this gpg cannot encrypt with {cipher}");
            continue;
        }
        let out_file = s.env.path(&format!("{cipher}.out"));
        let mut c = s.env.zpgp();
        c.arg("decrypt")
            .arg("--passphrase-file")
            .arg(&s.key_pw)
            .arg("-o")
            .arg(&out_file)
            .arg(&ct);
        let r = run(&what, c, None);
        match failure {
            None => {
                r.ok(&what);
                assert_same(&std::fs::read(&out_file).unwrap(), &data, &what);
                read += 1;
            }
            Some((code, message)) if openssl => {
                assert_eq!(r.code, Some(code), "{what}: {}", r.stderr);
                assert!(r.stderr.contains(message), "{what}: {}", r.stderr);
                assert!(!out_file.exists(), "{what}: output left");
            }
            Some(_) => eprintln!("{what}: not the OpenSSL backend: exit {:?}", r.code),
        }
    }
    assert!(read >= 3, "AES at least decrypts");
    assert!(part_files(s.env.dir.path()).is_empty());
}

/// Signed and encrypted, 3 MiB + 1, both ways: gpg checks zpgp's
/// signature after the whole stream (GOODSIG, VALIDSIG by the key), and
/// zpgp checks gpg's, also when it is required with --signer.
#[test]
fn signed_and_encrypted_large_both_ways_with_gpg() {
    let Some(s) = shared_key() else { return };
    let data = noise(3 * MIB + 1, 0x9500);
    let plain = s.env.write("plain.bin", &data);

    // zpgp -> gpg.
    let ct = s.env.path("signed.pgp");
    let mut c = s.env.zpgp();
    c.args(["encrypt", "--sign", "-r", &s.fpr, "--passphrase-file"])
        .arg(&s.key_pw)
        .args(["-o", p(&ct), p(&plain)]);
    run("zpgp encrypt --sign", c, None).ok("zpgp encrypt --sign");
    let (got, status) = s.gpg_decrypt(&ct, PASSPHRASE);
    assert_same(&got, &data, "zpgp -> gpg, signed");
    assert!(status_line(&status, "GOODSIG").is_some(), "{status:#?}");
    let valid = status_line(&status, "VALIDSIG").expect("VALIDSIG");
    assert_eq!(
        valid.split(' ').next_back(),
        Some(s.fpr.as_str()),
        "{valid}"
    );
    assert!(status_line(&status, "BADSIG").is_none(), "{status:#?}");

    // gpg -> zpgp, uncompressed binary and compressed armored.
    for (compress, armor) in [(false, false), (true, true)] {
        let what = format!("gpg --sign --encrypt, compressed {compress}, armor {armor}");
        let ct = s.env.path("gpg-signed.gpg");
        let _ = std::fs::remove_file(&ct);
        let mut c = s.g.cmd_pw(PASSPHRASE);
        c.args([
            "--sign",
            "--encrypt",
            "--local-user",
            &s.fpr,
            "--recipient",
            &s.fpr,
            "--output",
        ])
        .arg(&ct);
        if !compress {
            c.args(["--compress-algo", "none"]);
        }
        if armor {
            c.arg("--armor");
        }
        c.arg(&plain);
        s.g.ok(c);
        let r = s.zpgp_decrypt(&ct, armor, &["--json"], &what);
        assert_same(&r.stdout, &data, &what);
        let report = json_report(&r.stderr);
        let sigs = report["signatures"].as_array().expect("signatures");
        assert!(
            sigs.iter()
                .any(|x| x["status"] == "good" && x["cert_fingerprint"] == s.fpr.as_str()),
            "{what}: {report:#}"
        );
        // The human-readable report, the other way in.
        let r = s.zpgp_decrypt(&ct, !armor, &[], &format!("{what}, report"));
        assert!(r.stderr.contains("good signature"), "{}", r.stderr);
        assert_same(&r.stdout, &data, &what);
        // Required with --signer.
        let mut c = s.env.zpgp();
        c.args(["decrypt", "--signer", &s.fpr, "--passphrase-file"])
            .arg(&s.key_pw)
            .args(["-o", "-", p(&ct)]);
        let r = run(&what, c, None);
        r.ok(&what);
        assert_same(&r.stdout, &data, &what);
    }
}

// 3. Tampering -----------------------------------------------------------------

/// What a mutation must lead to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Exit 41 (bad data), naming the damage.
    Damaged,
    /// Exit 41 for bytes after the message.  The current binary says "the
    /// message was modified or damaged (Malformed packet: Truncated
    /// packet)" for a large message and "the message is not valid OpenPGP
    /// data: …" for the same junk after a small one; either wording does.
    Trailing,
    /// Exit 29: in SEIPDv1 the 18-byte prefix, whose last two bytes repeat
    /// the two before them (the "quick check"), is what tells a right
    /// session key from a wrong one, so damage there reads as a key or
    /// password that cannot decrypt, as for gpg.
    CannotDecrypt,
    /// Damage to the first AEAD chunk of SEIPDv2: the current binary
    /// (sequoia tries each session key on the first chunk) fails with 29
    /// like a wrong key; 41 (damaged) is as right, since a v6 PKESK or
    /// SKESK has an integrity check of its own.  Either, with its message.
    FirstChunk,
    /// Decrypts to the original: the change is not part of the message.
    Ignored,
}

/// Damage messages: the integrity check failed, or the message is cut.
fn names_damage(stderr: &str) -> bool {
    stderr.contains("modified or damaged") || stderr.contains("truncated")
}

/// Whether exit `code` with `stderr` is what `expect` allows; the reason
/// if not.
fn verdict(party: &Party, expect: Expect, code: Option<i32>, stderr: &str) -> Result<(), String> {
    let cannot = || {
        party
            .kind
            .cannot_decrypt_message()
            .iter()
            .all(|m| stderr.contains(m))
    };
    let ok = match (expect, code) {
        (_, _) if stderr.contains("panicked") => false,
        (Expect::Ignored, Some(0)) => clean(stderr),
        (Expect::Ignored, _) => false,
        (_, _) if !stderr.contains("zpgp: error:") => false,
        (Expect::Damaged, Some(41)) => names_damage(stderr),
        (Expect::Trailing, Some(41)) => {
            names_damage(stderr) || stderr.contains("not valid OpenPGP data")
        }
        (Expect::CannotDecrypt | Expect::FirstChunk, Some(29)) => cannot(),
        (Expect::FirstChunk, Some(41)) => names_damage(stderr),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "exit {code:?}, not what {expect:?} allows: {stderr}"
        ))
    }
}

/// Decrypts `input` into `out/plain.bin` and, if `stdout`, through a pipe
/// too, and checks the outcome against `expect`: the exit code and
/// message, no output file and no temporary file on failure; on standard
/// output the same exit code, and of what got out before the failure
/// never the last MiB (the hold-back, give or take [`HOLD_BACK_SLACK`]),
/// and from an AEAD message
/// only authenticated plaintext.
fn check_tampered(
    party: &Party,
    input: &[u8],
    data: &[u8],
    expect: Expect,
    stdout: bool,
    what: &str,
) {
    let env = party.reader();
    let out_dir = env.path("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let out = out_dir.join("plain.bin");
    let file = env.write("tampered.pgp", input);
    let mut c = party.decrypt();
    c.arg("-o").arg(&out).arg(&file);
    let r = run(what, c, None);
    if let Err(e) = verdict(party, expect, r.code, &r.stderr) {
        panic!("{what}: {e}");
    }
    assert!(r.stdout.is_empty(), "{what}: output on stdout");
    if expect == Expect::Ignored {
        assert_same(&std::fs::read(&out).unwrap(), data, what);
        std::fs::remove_file(&out).unwrap();
    }
    let left: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        left.is_empty(),
        "{what}: left in the output directory: {left:?}"
    );
    assert!(part_files(env.dir.path()).is_empty(), "{what}");
    if !stdout {
        return;
    }

    let file_code = r.code;
    let r = run(&format!("{what} | stdout"), party.decrypt(), Some(input));
    assert_eq!(r.code, file_code, "{what}, stdout: {}", r.stderr);
    if let Err(e) = verdict(party, expect, r.code, &r.stderr) {
        panic!("{what}, stdout: {e}");
    }
    match (expect, r.code) {
        (Expect::Ignored, _) => assert_same(&r.stdout, data, what),
        (Expect::CannotDecrypt, _) | (Expect::FirstChunk, _) => {
            assert!(r.stdout.is_empty(), "{what}: output on stdout")
        }
        _ => {
            assert!(
                r.stdout.len() + HOLD_BACK <= data.len() + HOLD_BACK_SLACK,
                "{what}: {} of {} bytes written before the failure: the last MiB must be held back",
                r.stdout.len(),
                data.len()
            );
            if party.kind.seipd_version() == 2 {
                assert!(
                    data.starts_with(&r.stdout),
                    "{what}: unauthenticated plaintext written from an AEAD message"
                );
            }
        }
    }
}

/// A large message (2 MiB + 7, past the 1 MiB hold-back) flipped in its
/// first ciphertext byte, right after the first checked block or chunk,
/// in the middle and in each of its last 24 bytes (the MDC packet of v1;
/// the last chunk's tag and the final tag of v2), truncated by 1, 16, 22
/// and 23 bytes and to half, and extended by junk, by a second copy of
/// itself and by a marker packet; armored, with a changed letter and with
/// text after the armor.  Each is decrypted to a file; all but 16 of the
/// 24 flips at the end are decrypted to standard output too.  Unless
/// `full`, only a sample runs: the first two flips, the middle, the last
/// byte and the 17th from the end, a truncation, junk, and the marker.
fn tamper_suite(kind: Kind, full: bool) {
    let party = Party::new(kind);
    let size = 2 * MIB + 7;
    let data = noise(size, kind.seed() + 300);
    let plain = party.env.write("plain.bin", &data);
    let ct = party.encrypt_file(&plain, "msg.pgp", false);
    party.check_format(&ct, "untampered");
    assert_same(&party.decrypt_pipe(&ct, "untampered"), &data, "untampered");

    let seipd = seipd(&ct);
    let body = seipd.body(&ct);
    let n = body.len();
    // Body offsets of the first ciphertext byte, and of the first one after
    // what a wrong session key fails on: the 18-byte prefix (AES) whose
    // last two bytes repeat the two before them (v1), or the first chunk
    // and its tag (v2).
    let (first, after_check) = match body[0] {
        1 => (1, 1 + 18),
        2 => {
            // Version, cipher, AEAD mode, chunk size octet, 32-byte salt.
            let chunk = 1usize << (body[3] + 6);
            (36, 36 + chunk + 16)
        }
        v => panic!("SEIPD version {v}"),
    };
    assert!(after_check < n / 2);

    let flip = |body_at: usize, what: String| -> (String, Vec<u8>) {
        let mut v = ct.clone();
        v[seipd.at(body_at)] ^= 1 << (body_at % 8);
        (what, v)
    };
    let mut cases: Vec<(String, Vec<u8>, Expect)> = Vec::new();
    let (w, v) = flip(first, "first ciphertext byte flipped".into());
    let first_expect = match kind.seipd_version() {
        1 => Expect::CannotDecrypt,
        _ => Expect::FirstChunk,
    };
    cases.push((w, v, first_expect));
    let (w, v) = flip(after_check, format!("body byte {after_check} flipped"));
    cases.push((w, v, Expect::Damaged));
    let (w, v) = flip(n / 2, "middle byte flipped".into());
    cases.push((w, v, Expect::Damaged));
    for k in 1..=24 {
        let (w, v) = flip(n - k, format!("byte {k} from the end flipped"));
        cases.push((w, v, Expect::Damaged));
    }
    // The flips at the end that also go to standard output: the last
    // byte, both tags' edges (v2), the MDC packet's header and hash edge
    // (v1), and the plaintext just before it.
    let stdout_too = |what: &str| {
        !what.contains("from the end")
            || [1, 16, 17, 20, 21, 22, 23, 24]
                .iter()
                .any(|k| what.starts_with(&format!("byte {k} from the end")))
    };
    for cut in [1, 16, 22, 23] {
        cases.push((
            format!("truncated by {cut}"),
            ct[..ct.len() - cut].to_vec(),
            Expect::Damaged,
        ));
    }
    cases.push((
        "cut in the middle".into(),
        ct[..ct.len() / 2].to_vec(),
        Expect::Damaged,
    ));
    for (what, tail) in [
        ("a zero byte appended", vec![0u8]),
        ("text appended", b"junk after the message\n".to_vec()),
        ("a second copy appended", ct.clone()),
    ] {
        let mut v = ct.clone();
        v.extend_from_slice(&tail);
        cases.push((what.into(), v, Expect::Trailing));
    }
    let mut v = ct.clone();
    v.extend_from_slice(&MARKER);
    cases.push(("a marker packet appended".into(), v, Expect::Ignored));

    // Armored.
    let asc = party.encrypt_file(&plain, "msg.asc", true);
    let mut v = asc.clone();
    let mut at = v.len() / 2;
    while !v[at].is_ascii_alphanumeric() {
        at += 1;
    }
    v[at] = if v[at] == b'A' { b'B' } else { b'A' };
    cases.push(("armored, a letter changed".into(), v, Expect::Damaged));
    let mut v = asc.clone();
    v.extend_from_slice(b"text after the armor\n");
    cases.push(("armored, text after the armor".into(), v, Expect::Ignored));

    if !full {
        let sample = [
            "first ciphertext byte flipped",
            "body byte",
            "middle byte flipped",
            "byte 1 from the end flipped",
            "byte 17 from the end flipped",
            "truncated by 16",
            "a zero byte appended",
            "a marker packet appended",
        ];
        cases.retain(|(what, _, _)| sample.iter().any(|s| what.starts_with(s)));
        assert_eq!(cases.len(), sample.len());
    }
    for (what, input, expect) in &cases {
        check_tampered(
            &party,
            input,
            &data,
            *expect,
            stdout_too(what),
            &format!("{kind:?} {size} bytes: {what}"),
        );
    }
    eprintln!("{kind:?}: {} tampered inputs checked", cases.len());
}

#[test]
fn tampered_large_v4_messages_fail_and_leave_nothing() {
    tamper_suite(Kind::V4, true);
}

#[test]
fn tampered_large_v6_messages_fail_and_leave_nothing() {
    tamper_suite(Kind::V6, true);
}

#[test]
fn tampered_large_password_messages_fail_and_leave_nothing() {
    tamper_suite(Kind::Password, true);
}

#[test]
fn tampered_large_v6_password_messages_fail_and_leave_nothing() {
    // The AEAD part is V6's; what differs is the v6 SKESK.
    tamper_suite(Kind::V6Password, false);
}

/// A message of up to 1 MiB is checked in full before its first byte is
/// written: exactly 1 MiB, damaged at its end or in its middle, or cut
/// short, nothing reaches standard output.
#[test]
fn tampered_messages_up_to_one_mib_write_nothing_to_stdout() {
    let size = MIB;
    for kind in [Kind::V4, Kind::V6, Kind::Password] {
        let party = Party::new(kind);
        let data = noise(size, kind.seed() + 400);
        let ct = party.encrypt_pipe(&data, false, "small");
        let s = seipd(&ct);
        let n = s.body_len();
        let mut inputs = Vec::new();
        for at in [n - 1, n / 2] {
            let mut v = ct.clone();
            v[s.at(at)] ^= 0x10;
            inputs.push((format!("body byte {at} of {n} flipped"), v));
        }
        inputs.push(("truncated by 1".into(), ct[..ct.len() - 1].to_vec()));
        for (what, input) in inputs {
            let what = format!("{kind:?} {size} bytes: {what}");
            let r = run(&what, party.decrypt(), Some(&input));
            assert_eq!(r.code, Some(41), "{what}: {}", r.stderr);
            assert!(names_damage(&r.stderr), "{what}: {}", r.stderr);
            assert!(
                r.stdout.is_empty(),
                "{what}: {} bytes of unchecked plaintext written",
                r.stdout.len()
            );
        }
    }
}

// 4. Wrong keys, passphrases and passwords ----------------------------------------

/// Asserts a failure with `code`, an error containing each of `parts`,
/// nothing on stdout, and no output file or temporary file.
#[track_caller]
fn assert_fails(env: &Env, r: &Run, out: &Path, code: i32, parts: &[&str], what: &str) {
    assert_eq!(r.code, Some(code), "{what}: {}", r.stderr);
    assert!(r.stdout.is_empty(), "{what}: output on stdout");
    assert!(r.stderr.contains("zpgp: error:"), "{what}: {}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{what}: {}", r.stderr);
    for part in parts {
        assert!(
            r.stderr.contains(part),
            "{what}: no {part:?} in {}",
            r.stderr
        );
    }
    assert!(!out.exists(), "{what}: output file left");
    assert!(part_files(env.dir.path()).is_empty(), "{what}");
}

/// Large (2 MiB + 7) messages: someone else's key or no key at all (29,
/// naming the recipient), a wrong or missing key passphrase (67), a wrong
/// or missing message password (29); through a file with -o and
/// through a pipe.
#[test]
fn wrong_key_passphrase_or_password_on_large_messages() {
    let size = 2 * MIB + 7;
    for kind in [Kind::V4, Kind::V6] {
        let party = Party::new(kind);
        let data = noise(size, kind.seed() + 500);
        let mut c = party.env.zpgp();
        c.args(["--json", "encrypt", "-r", EMAIL]);
        let r = run("encrypt --json", c, Some(&data));
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        let report: Value = json_report(&r.stderr);
        let subkey = report["recipients"][0]["key_fingerprint"]
            .as_str()
            .expect("recipient key")
            .to_string();
        // A v4 PKESK names the key ID; a v6 PKESK the fingerprint.
        let named = match kind {
            Kind::V4 => subkey[subkey.len() - 16..].to_string(),
            _ => subkey.clone(),
        };
        let ct = r.stdout;

        // Someone else, with a key of their own, and a home with no key.
        let other = Env::new();
        other.generate(&["--name", "Olly", "--email", "olly@example.org"]);
        let empty = Env::new();
        for (who, env) in [("another key", &other), ("no key", &empty)] {
            let what = format!("{kind:?}: {who}");
            let file = env.write("msg.pgp", &ct);
            let out = env.path("out.bin");
            let mut c = env.zpgp();
            c.arg("decrypt")
                .arg("--passphrase-file")
                .arg(env.passphrase_file())
                .arg("-o")
                .arg(&out)
                .arg(&file);
            let r = run(&what, c, None);
            assert_fails(env, &r, &out, 29, &[&named], &what);
            let mut c = env.zpgp();
            c.arg("decrypt")
                .arg("--passphrase-file")
                .arg(env.passphrase_file());
            let r = run(&what, c, Some(&ct));
            assert_fails(env, &r, &out, 29, &[&named], &what);
        }
        let r = run(
            "no key",
            {
                let mut c = empty.zpgp();
                c.arg("decrypt");
                c
            },
            Some(&ct),
        );
        assert_fails(
            &empty,
            &r,
            &empty.path("out.bin"),
            29,
            &["none of their secret keys"],
            "no key",
        );

        // The right key, a wrong passphrase, or none in --batch.
        let wrong = party.env.write("wrong.txt", "not the passphrase\n");
        let file = party.env.write("msg.pgp", &ct);
        let out = party.env.path("out.bin");
        let what = format!("{kind:?}: wrong passphrase");
        let mut c = party.env.zpgp();
        c.arg("decrypt")
            .arg("--passphrase-file")
            .arg(&wrong)
            .arg("-o")
            .arg(&out)
            .arg(&file);
        let r = run(&what, c, None);
        assert_fails(&party.env, &r, &out, 67, &["passphrase is wrong"], &what);
        let what = format!("{kind:?}: no passphrase");
        let mut c = party.env.zpgp();
        c.arg("decrypt");
        let r = run(&what, c, Some(&ct));
        assert_fails(
            &party.env,
            &r,
            &out,
            67,
            &["--batch", "hint:", "--passphrase-file"],
            &what,
        );
        // And the right one still works.
        assert_same(&party.decrypt_pipe(&ct, "right passphrase"), &data, "right");
    }

    for kind in [Kind::Password, Kind::V6Password] {
        let party = Party::new(kind);
        let data = noise(size, kind.seed() + 600);
        let ct = party.encrypt_pipe(&data, false, "password message");
        party.check_format(&ct, "password message");
        let reader = Env::new();
        let wrong = reader.write("wrong.txt", "not the password\n");
        let file = reader.write("msg.pgp", &ct);
        let out = reader.path("out.bin");
        let what = format!("{kind:?}: wrong password");
        let mut c = reader.zpgp();
        c.arg("decrypt")
            .arg("--password-file")
            .arg(&wrong)
            .arg("-o")
            .arg(&out)
            .arg(&file);
        let r = run(&what, c, None);
        let wrong_password = kind.cannot_decrypt_message();
        assert_fails(&reader, &r, &out, 29, wrong_password, &what);
        let mut c = reader.zpgp();
        c.arg("decrypt").arg("--password-file").arg(&wrong);
        let r = run(&what, c, Some(&ct));
        assert_fails(&reader, &r, &out, 29, wrong_password, &what);
        let what = format!("{kind:?}: no password");
        let mut c = reader.zpgp();
        c.args(["decrypt", "-o"]).arg(&out).arg(&file);
        let r = run(&what, c, None);
        assert_fails(
            &reader,
            &r,
            &out,
            29,
            &["--batch", "hint:", "--password-file"],
            &what,
        );
        assert_same(&party.decrypt_pipe(&ct, "right password"), &data, "right");
    }
}

// 5. A key and a password --------------------------------------------------------

/// One message to a key and a password (v4 key: SEIPDv1; v6 key:
/// SEIPDv2) opens with either: the key in its home, the password in a
/// home with no keys; small and large.
#[test]
fn key_and_password_recipients_each_open_the_message() {
    for (kind, format) in [(Kind::V4, "seipd_v1"), (Kind::V6, "seipd_v2")] {
        let party = Party::new(kind);
        let stranger = Env::new();
        for size in [1, 2 * MIB + 7] {
            let data = noise(size, kind.seed() + 700);
            let what = format!("{kind:?} key + password, {size} bytes");
            let mut c = party.env.zpgp();
            c.args([
                "--json",
                "encrypt",
                "-r",
                EMAIL,
                "--password",
                "--passphrase-file",
            ])
            .arg(&party.msg_pw);
            let r = run(&what, c, Some(&data));
            assert_eq!(r.code, Some(0), "{what}: {}", r.stderr);
            let report = json_report(&r.stderr);
            assert_eq!(report["format"], format, "{report:#}");
            assert_eq!(report["passwords"], 1, "{report:#}");
            assert_eq!(
                report["recipients"].as_array().map(Vec::len),
                Some(1),
                "{report:#}"
            );
            let ct = r.stdout;

            let mut c = party.env.zpgp();
            c.args(["--json", "decrypt", "--passphrase-file"])
                .arg(&party.key_pw);
            let r = run(&what, c, Some(&ct));
            assert_eq!(r.code, Some(0), "{what}: {}", r.stderr);
            assert_same(&r.stdout, &data, &what);
            let report = json_report(&r.stderr);
            assert_eq!(report["decrypted_with"]["method"], "key", "{report:#}");
            assert_eq!(report["password_packets"], 1, "{report:#}");
            assert_eq!(report["bytes_out"], size, "{report:#}");

            let file = stranger.write("msg.pgp", &ct);
            let out = stranger.path("out.bin");
            let _ = std::fs::remove_file(&out);
            let mut c = stranger.zpgp();
            c.args(["--json", "decrypt", "--password-file"])
                .arg(&party.msg_pw)
                .arg("-o")
                .arg(&out)
                .arg(&file);
            let r = run(&what, c, None);
            assert_eq!(r.code, Some(0), "{what}: {}", r.stderr);
            assert_same(&std::fs::read(&out).unwrap(), &data, &what);
            let report = json_report(&r.stderr);
            assert_eq!(report["decrypted_with"]["method"], "password", "{report:#}");
        }
    }
}

/// Signed and encrypted by zpgp, 3 MiB + 1, v4 and v6: the signature is
/// checked after the whole stream, also when required with --signer; a
/// signer who did not sign gets exit 3 and no output file.
#[test]
fn signed_large_messages_verify_after_the_stream() {
    for kind in [Kind::V4, Kind::V6] {
        let party = Party::new(kind);
        let data = noise(3 * MIB + 1, kind.seed() + 800);
        let mut c = party.env.zpgp();
        c.args(["encrypt", "--sign", "-r", EMAIL, "--passphrase-file"])
            .arg(&party.key_pw);
        let r = run("encrypt --sign", c, Some(&data));
        r.ok("encrypt --sign");
        let ct = r.stdout;
        party.check_format(&ct, "signed");
        let file = party.env.write("signed.pgp", &ct);

        let out = party.env.path("signed.out");
        let mut c = party.decrypt();
        c.args(["--signer", EMAIL, "-o"]).arg(&out).arg(&file);
        let r = run("decrypt --signer", c, None);
        r.ok("decrypt --signer");
        assert!(r.stderr.contains("good signature from Fay"), "{}", r.stderr);
        assert_same(&std::fs::read(&out).unwrap(), &data, "signed");

        let r = run("decrypt | signed", party.decrypt(), Some(&ct));
        r.ok("decrypt | signed");
        assert!(r.stderr.contains("good signature from Fay"), "{}", r.stderr);
        assert_same(&r.stdout, &data, "signed, stdout");

        // A required signer who did not sign.
        let other = Env::new();
        let ofpr = other.generate(&["--name", "Olly", "--email", "olly@example.org"]);
        let cert = other.path("olly.asc");
        let mut c = other.zpgp();
        c.args(["export", "-o", p(&cert), &ofpr]);
        run("export", c, None).ok("export");
        let mut c = party.env.zpgp();
        c.arg("import").arg(&cert);
        run("import", c, None).ok("import");
        let out = party.env.path("unsigned-by-olly.out");
        let mut c = party.decrypt();
        c.args(["--signer", "olly@example.org", "-o"])
            .arg(&out)
            .arg(&file);
        let r = run("decrypt --signer olly", c, None);
        assert_fails(
            &party.env,
            &r,
            &out,
            3,
            &["no valid signature", &ofpr],
            "olly",
        );
    }
}

// 6. SOP ---------------------------------------------------------------------------

/// `zpgp sop ARGS` in `dir`.
fn sop(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    let mut c = Command::cargo_bin("zpgp").expect("zpgp binary");
    c.env_remove("ZPGP_HOME")
        .current_dir(dir)
        .arg("sop")
        .args(args);
    run(&format!("sop {args:?}"), c, Some(stdin))
}

/// `zpgp sop encrypt`/`decrypt` with v4 and v6 keys, the default profile
/// and rfc9580, at 0 bytes and 1 MiB + 1: the format follows the profile
/// and the recipient, the key decrypts, the session key from
/// `--session-key-out` decrypts alone (and `decrypt --session-key-out`
/// gives the same one), a wrong session key cannot (29); passwords too.
#[test]
fn sop_encrypt_decrypt_and_session_keys() {
    let env = Env::new();
    let dir = env.dir.path();
    for (name, extra) in [("v4", &[][..]), ("v6", &["--profile", "rfc9580"][..])] {
        let mut args = vec!["generate-key"];
        args.extend_from_slice(extra);
        let uid = format!("{name} <{name}@example.org>");
        args.push(&uid);
        let r = sop(dir, &args, b"");
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        env.write(&format!("{name}.key"), &r.stdout);
        let r = sop(dir, &["extract-cert"], &r.stdout);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        env.write(&format!("{name}.cert"), &r.stdout);
    }
    env.write("pw.txt", MSG_PASSWORD);

    let mut n = 0;
    for size in [0, MIB + 1] {
        let data = noise(size, 0xa000 + size as u64);
        for profile in [None, Some("rfc9580")] {
            for who in ["v4", "v6", "password"] {
                n += 1;
                let armor = n % 2 == 0;
                let what = format!("sop {who}, profile {profile:?}, {size} bytes");
                let sk = format!("sk-{n}");
                let cert = format!("{who}.cert");
                let mut args = vec!["encrypt", "--session-key-out", &sk];
                if !armor {
                    args.push("--no-armor");
                }
                if let Some(p) = profile {
                    args.extend(["--profile", p]);
                }
                if who == "password" {
                    args.extend(["--with-password", "pw.txt"]);
                } else {
                    args.push(&cert);
                }
                let r = sop(dir, &args, &data);
                assert_eq!(r.code, Some(0), "{what}: {}", r.stderr);
                // The session key opens the message: private to its owner.
                let mode = std::os::unix::fs::PermissionsExt::mode(
                    &std::fs::metadata(dir.join(&sk)).unwrap().permissions(),
                );
                assert_eq!(mode & 0o777, 0o600, "{what}");
                let ct = r.stdout;
                assert_eq!(is_armored(&ct), armor, "{what}");
                let want = if profile.is_some() || who == "v6" {
                    2
                } else {
                    1
                };
                assert_eq!(seipd_version(&binary(&ct)), want, "{what}");
                let session_key = std::fs::read_to_string(env.path(&sk)).unwrap();
                assert!(
                    session_key.trim().starts_with("9:"),
                    "{what}: {session_key}"
                );

                let key = format!("{who}.key");
                let args: Vec<&str> = if who == "password" {
                    vec!["decrypt", "--with-password", "pw.txt"]
                } else {
                    vec!["decrypt", &key]
                };
                let r = sop(dir, &args, &ct);
                assert_eq!(r.code, Some(0), "{what}: {}", r.stderr);
                assert_same(&r.stdout, &data, &what);

                let skd = format!("skd-{n}");
                let r = sop(
                    dir,
                    &[
                        "decrypt",
                        "--session-key-out",
                        &skd,
                        "--with-session-key",
                        &sk,
                    ],
                    &ct,
                );
                assert_eq!(r.code, Some(0), "{what}: {}", r.stderr);
                assert_same(&r.stdout, &data, &format!("{what}, session key"));
                assert_eq!(
                    std::fs::read_to_string(env.path(&skd)).unwrap().trim(),
                    session_key.trim(),
                    "{what}"
                );

                // One bit of the session key changed.
                let mut bad = session_key.trim().to_string();
                let last = bad.pop().unwrap();
                bad.push(if last == '0' { '1' } else { '0' });
                let bad_file = format!("bad-{n}");
                env.write(&bad_file, &bad);
                let r = sop(dir, &["decrypt", "--with-session-key", &bad_file], &ct);
                assert_eq!(r.code, Some(29), "{what}, wrong session key: {}", r.stderr);
                assert!(r.stdout.is_empty(), "{what}");
            }
        }
    }
}
