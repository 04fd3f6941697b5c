//! LibrePGP's OCB Encrypted Data packet (tag 20) and its version 5
//! password packet, as GnuPG 2.3+ and rnp write them: made here with rnp
//! (symmetric and to a key, OCB and EAX), plus the sample message of
//! draft-koch-librepgp-03 (appendix "Complete OCB encrypted packet
//! sequence"; password "password", plaintext "Hello, world!\n").

use std::path::{Path, PathBuf};
use std::process::Command as Std;

use predicates::prelude::*;
use predicates::str::contains;

use crate::harness::*;

const PASSWORD: &str = "librepgp password";

/// The draft's sample: a v5 SKESK (AES-128, OCB, iterated S2K) and an OCB
/// Encrypted Data packet with a chunk size octet of 14.
const DRAFT_SAMPLE: &str = "
    c33d0507 0203089f 0b7da3e5 ea647790 99e326e5 400a9093 6cefb4e8 eba08c67
    73716d1f 2714540a 38fcac52 9949dac5 29d3de31 e15b4aeb 729e3300 33dbed
    d4490107 020e5ed2 bc1e470a be8f1d64 4c7a6c8a 567b0f77 01196611 a154ba9c
    2574cd05 6284a8ef 68035c62 3d93cc70 8a43211b b6eaf2b2 7f7c18d5 71bcd83b
    20add3a0 8b73af15 b9a098";

fn draft_sample() -> Vec<u8> {
    let hex: String = DRAFT_SAMPLE.split_whitespace().collect();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// Whether rnp is here; under CI its absence is a failure (scripts/deps.sh
/// --test installs it).
fn have_rnp() -> bool {
    if have("rnp") && have("rnpkeys") {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("rnp is not installed, and CI is set: LibrePGP interop tests must not be skipped");
    }
    eprintln!("SKIPPED: rnp is not installed; LibrePGP messages are not tested");
    false
}

fn run(mut c: Std) -> Vec<u8> {
    let out = c.output().expect("run rnp");
    assert!(
        out.status.success(),
        "{c:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// rnp's home, with Alice's secret key imported (for signing) when given.
fn rnp_home(env: &Env, key: Option<&Path>) -> PathBuf {
    let home = env.path("rnp-home");
    std::fs::create_dir_all(&home).unwrap();
    if let Some(key) = key {
        let mut c = Std::new("rnpkeys");
        c.arg("--homedir").arg(&home).arg("--import").arg(key);
        run(c);
    }
    home
}

/// `rnp ARGS --aead=MODE --output OUT IN` in `home`.
fn rnp_encrypt(home: &Path, args: &[&str], mode: &str, input: &Path, out: &Path) {
    let mut c = Std::new("rnp");
    c.arg("--homedir")
        .arg(home)
        .arg("--notty")
        .args(args)
        .arg(format!("--aead={mode}"))
        .arg("--output")
        .arg(out)
        .arg(input);
    run(c);
}

/// A symmetric rnp message with small chunks (64 bytes), so that several
/// chunks and a short last one are read.
fn symmetric(env: &Env, mode: &str, plaintext: &[u8]) -> PathBuf {
    let home = rnp_home(env, None);
    let input = env.write("plain.bin", plaintext);
    let out = env.path(&format!("sym-{mode}.pgp"));
    rnp_encrypt(
        &home,
        &["-c", "--password", PASSWORD, "--aead-chunk-bits=0"],
        mode,
        &input,
        &out,
    );
    out
}

fn decrypt_with_password(env: &Env, msg: &Path, password: &str) -> assert_cmd::assert::Assert {
    let pw = env.write("msg-password.txt", password);
    env.zpgp()
        .args(["decrypt", "--password-file"])
        .arg(pw)
        .arg(msg)
        .args(["-o", "-"])
        .assert()
}

#[test]
fn the_drafts_sample_message_decrypts() {
    let env = Env::new();
    let msg = env.write("sample.pgp", draft_sample());
    decrypt_with_password(&env, &msg, "password")
        .success()
        .stdout("Hello, world!\n");
    env.zpgp()
        .arg("inspect")
        .arg(&msg)
        .assert()
        .success()
        .stdout(contains(
            "LibrePGP OCB Encrypted Data (AES-128, OCB, 1024 KiB chunks)",
        ))
        .stdout(contains(
            "password:    AES-128, OCB, key derived by iterated S2K",
        ));
    // A wrong password is a wrong password, not damage.
    decrypt_with_password(&env, &msg, "drowssap")
        .code(29)
        .stdout("")
        .stderr(contains("wrong password"));
}

#[test]
fn rnp_symmetric_ocb_and_eax_decrypt() {
    if !have_rnp() {
        return;
    }
    let plaintext = noise(5000, 14);
    for mode in ["ocb", "eax"] {
        let env = Env::new();
        let msg = symmetric(&env, mode, &plaintext);
        let a = decrypt_with_password(&env, &msg, PASSWORD).success();
        assert_eq!(a.get_output().stdout, plaintext, "{mode}");
        env.zpgp()
            .arg("inspect")
            .arg(&msg)
            .assert()
            .success()
            .stdout(contains(format!(
                "LibrePGP OCB Encrypted Data (AES-256, {}, 64-byte chunks)",
                mode.to_uppercase()
            )));
        // The SOP interface reads it too.
        let s = Sop::new();
        s.write("pw", PASSWORD);
        let out = s
            .run(
                &["decrypt", "--with-password", "pw"],
                std::fs::read(&msg).unwrap(),
            )
            .ok();
        assert_eq!(out, plaintext, "sop decrypt, {mode}");
    }
}

#[test]
fn rnp_public_key_ocb_and_eax_decrypt_and_verify() {
    if !have_rnp() {
        return;
    }
    let alice = User::new("Alice");
    let secret = alice.path("alice.sec");
    alice
        .zpgp_pw()
        .args(["export", "--secret", "-o"])
        .arg(&secret)
        .arg(alice.email())
        .assert()
        .success();
    let home = rnp_home(&alice.env, Some(&secret));
    let input = alice.write("plain.txt", "to Alice, in LibrePGP\n");
    for mode in ["ocb", "eax"] {
        let out = alice.path(&format!("pk-{mode}.pgp"));
        rnp_encrypt(
            &home,
            &[
                "-e",
                "-s",
                "-r",
                &alice.email(),
                "-u",
                &alice.email(),
                "--password",
                PASSPHRASE,
            ],
            mode,
            &input,
            &out,
        );
        let a = alice
            .zpgp_pw()
            .args(["--json", "decrypt"])
            .arg(&out)
            .args(["-o", "-"])
            .assert()
            .success()
            .stdout("to Alice, in LibrePGP\n");
        let report = json(&a.get_output().stderr);
        assert_eq!(report["format"], "librepgp_aead", "{mode}");
        assert_eq!(report["aead_algo"], mode.to_uppercase());
        assert_eq!(report["decrypted_with"]["method"], "key");
        assert_eq!(report["signatures"][0]["status"], "good");
        assert_eq!(
            report["signatures"][0]["cert_fingerprint"],
            alice.fpr.as_str()
        );
        alice
            .zpgp()
            .arg("inspect")
            .arg(&out)
            .assert()
            .success()
            .stdout(contains("LibrePGP OCB Encrypted Data"))
            .stdout(contains(alice.uid()));
    }
}

#[test]
fn tampered_or_truncated_librepgp_messages_leave_no_output() {
    if !have_rnp() {
        return;
    }
    let plaintext = noise(3000, 15);
    for mode in ["ocb", "eax"] {
        let env = Env::new();
        let msg = std::fs::read(symmetric(&env, mode, &plaintext)).unwrap();
        let n = msg.len();
        let mut flipped = msg.clone();
        flipped[n / 2] ^= 1;
        let mut last_tag = msg.clone();
        last_tag[n - 1] ^= 1;
        let cases: [(&str, Vec<u8>); 5] = [
            ("a flipped bit", flipped),
            ("a flipped final tag", last_tag),
            ("cut in a chunk", msg[..n / 2].to_vec()),
            ("without its final tag", msg[..n - 16].to_vec()),
            ("cut early", msg[..200].to_vec()),
        ];
        for (what, bytes) in cases {
            let input = env.write("bad.pgp", &bytes);
            let out = env.path("out.bin");
            let pw = env.write("msg-password.txt", PASSWORD);
            env.zpgp()
                .args(["decrypt", "--password-file"])
                .arg(&pw)
                .arg(&input)
                .arg("-o")
                .arg(&out)
                .assert()
                .code(41)
                .stderr(contains("zpgp: error:"))
                .stderr(no_panic());
            assert!(!out.exists(), "{mode}, {what}: output left behind");
            assert!(part_files(env.dir.path()).is_empty(), "{mode}, {what}");
        }
    }
}

#[test]
fn an_empty_librepgp_container_is_damage() {
    // The draft sample's key packet, then a container with its header
    // and nothing else: no final tag to check.
    let env = Env::new();
    let sample = draft_sample();
    let mut msg = sample[..0x3f].to_vec();
    msg.extend_from_slice(&[0xd4, 0x13]);
    msg.extend_from_slice(&sample[0x41..0x41 + 0x13]);
    let input = env.write("empty.pgp", &msg);
    decrypt_with_password(&env, &input, "password")
        .code(41)
        .stdout("")
        .stderr(contains("zpgp: error:").and(no_panic()));
}
