//! PGP 2's habits (issue 15): `encrypt --wipe`, `--for-your-eyes-only`
//! and `--text`, with gpg on the other side where it has a say.

use std::io::Read;
use std::path::Path;
use std::process::Stdio;

use predicates::prelude::*;
use predicates::str::{contains, is_empty};

use crate::harness::{Gpg, User, error_has, gpg_status, has, json, no_panic};

/// `IncompatibleOptions`: what every --wipe refusal exits with.
const REFUSED: i32 = 83;
/// `EyesOnly`.
const EYES_ONLY: i32 = 9;

const SECRET: &[u8] = b"the launch code is 0000\n";

// --wipe ---------------------------------------------------------------------

/// The plaintext goes once the ciphertext is on disk, and its old
/// contents cannot be read back through a descriptor opened before: what
/// the file's blocks held was overwritten, not just unlinked.
#[test]
fn wipe_overwrites_then_removes_the_plaintext() {
    let alice = User::new("Alice");
    let body = SECRET.repeat(5000);
    let plain = alice.write("plan.txt", &body);
    let mut held = std::fs::File::open(&plain).unwrap();
    alice
        .zpgp()
        .args(["encrypt", "-r", &alice.email(), "--wipe"])
        .arg(&plain)
        .assert()
        .success()
        .stdout(is_empty())
        .stderr(has(&["wiped", "plan.txt", "plan.txt.pgp"]));
    assert!(!plain.exists(), "the plaintext is gone");

    let mut old = Vec::new();
    held.read_to_end(&mut old).unwrap();
    assert_eq!(old.len(), body.len(), "overwritten over its whole length");
    assert!(
        !old.windows(SECRET.len()).any(|w| w == SECRET),
        "the old contents are still readable"
    );
    assert!(old.iter().any(|&b| b != 0), "random bytes, not a hole");

    // What was encrypted is what the file held.
    decrypts_to(&alice, alice.path("plan.txt.pgp"), body);
}

/// Standard output redirected to a regular file can be synced, so it
/// may hold the ciphertext of a wiped file.
#[test]
fn wipe_with_standard_output_in_a_file() {
    let alice = User::new("Alice");
    let plain = alice.write("plan.txt", SECRET);
    let out = std::fs::File::create(alice.path("out.pgp")).unwrap();
    let status = std::process::Command::new(crate::harness::zpgp_bin())
        .env("ZPGP_NO_AGENT", "1")
        .arg("--home")
        .arg(alice.env.home())
        .args([
            "--batch",
            "encrypt",
            "-r",
            &alice.email(),
            "--wipe",
            "-o",
            "-",
        ])
        .arg(&plain)
        .stdout(out)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(!plain.exists());
    alice
        .zpgp_pw()
        .arg("decrypt")
        .arg(alice.path("out.pgp"))
        .args(["-o", "-"])
        .assert()
        .success()
        .stdout(predicate::eq(SECRET));
}

fn refused(alice: &User, args: &[&str], why: &[&str]) {
    alice
        .zpgp()
        .args(["encrypt", "-r", &alice.email(), "--wipe"])
        .args(args)
        .assert()
        .code(REFUSED)
        .stdout(is_empty())
        .stderr(error_has(why));
}

#[test]
fn wipe_refuses_standard_input() {
    let alice = User::new("Alice");
    alice
        .zpgp()
        .args(["encrypt", "-r", &alice.email(), "--wipe"])
        .write_stdin(SECRET)
        .assert()
        .code(REFUSED)
        .stdout(is_empty())
        .stderr(error_has(&["standard input cannot be wiped"]));
    refused(&alice, &["-"], &["standard input cannot be wiped"]);
}

#[test]
fn wipe_refuses_a_file_with_other_hard_links() {
    let alice = User::new("Alice");
    let plain = alice.write("plan.txt", SECRET);
    let link = alice.path("also-plan.txt");
    std::fs::hard_link(&plain, &link).unwrap();
    refused(
        &alice,
        &[plain.to_str().unwrap()],
        &["1 other name (hard links)"],
    );
    assert_eq!(std::fs::read(&plain).unwrap(), SECRET);
    assert_eq!(std::fs::read(&link).unwrap(), SECRET);
    assert!(!alice.path("plan.txt.pgp").exists(), "nothing encrypted");
}

#[test]
fn wipe_refuses_a_directory_a_symlink_and_a_device() {
    let alice = User::new("Alice");
    let dir = alice.path("papers");
    std::fs::create_dir(&dir).unwrap();
    refused(&alice, &[dir.to_str().unwrap()], &["is a directory"]);

    let plain = alice.write("plan.txt", SECRET);
    let link = alice.path("link.txt");
    std::os::unix::fs::symlink(&plain, &link).unwrap();
    refused(&alice, &[link.to_str().unwrap()], &["symbolic link"]);
    assert_eq!(std::fs::read(&plain).unwrap(), SECRET);
    assert!(std::fs::symlink_metadata(&link).is_ok());

    refused(
        &alice,
        &["/dev/null", "-o", alice.path("null.pgp").to_str().unwrap()],
        &["only regular files are wiped"],
    );
}

/// The plaintext stays whenever its ciphertext is not safely on disk.
#[test]
fn wipe_refuses_output_that_cannot_be_written_or_synced() {
    let alice = User::new("Alice");
    let plain = alice.write("plan.txt", SECRET);
    let p = plain.to_str().unwrap();
    // A directory that does not exist: the encryption itself fails.
    alice
        .zpgp()
        .args(["encrypt", "-r", &alice.email(), "--wipe", p, "-o"])
        .arg(alice.path("nowhere/plan.pgp"))
        .assert()
        .code(1)
        .stderr(error_has(&["cannot create a file in"]));
    // Devices and pipes keep nothing that could be synced.
    refused(&alice, &[p, "-o", "/dev/null"], &["not one"]);
    refused(&alice, &[p, "--force", "-o", "/dev/full"], &["not one"]);
    refused(&alice, &[p, "-o", "-"], &["standard output is a pipe"]);
    // The output would replace the file it is the only copy of.
    refused(&alice, &[p, "--force", "-o", p], &["the file it wipes"]);
    assert_eq!(std::fs::read(&plain).unwrap(), SECRET);
}

// --for-your-eyes-only -------------------------------------------------------

fn gpg_with(user: &User) -> Option<Gpg> {
    let g = Gpg::new()?;
    g.import(&user.cert());
    Some(g)
}

/// gpg's own key, known to zpgp, for messages gpg signs.
fn gpg_key(g: &Gpg, user: &User) -> String {
    let fpr = g.generate("Gus <gus@example.org>", "future-default", "");
    let cert = user.path("gus.asc");
    g.export(&fpr, &cert);
    user.import(&cert);
    fpr
}

#[test]
fn zpgp_eyes_only_is_for_your_eyes_only_to_gpg() {
    let alice = User::new("Alice");
    let Some(g) = gpg_with(&alice) else { return };
    let gus = gpg_key(&g, &alice);
    let msg = alice.path("m.pgp");
    alice
        .zpgp()
        .args([
            "encrypt",
            "--for-your-eyes-only",
            "--no-self",
            "-r",
            &gus,
            "-o",
        ])
        .arg(&msg)
        .write_stdin(SECRET)
        .assert()
        .success();
    let mut c = g.cmd_pw("");
    c.args(["--status-fd", "2", "--decrypt"]).arg(&msg);
    let out = g.ok(c);
    assert_eq!(out.stdout, SECRET);
    let status = gpg_status(&out.stderr);
    assert!(
        status
            .iter()
            .any(|l| l.starts_with("PLAINTEXT ") && l.ends_with(" _CONSOLE")),
        "{status:?}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("for-your-eyes-only"));
}

#[test]
fn gpg_eyes_only_is_refused_on_a_file_or_pipe_without_force() {
    let alice = User::new("Alice");
    let Some(g) = gpg_with(&alice) else { return };
    let msg = alice.path("m.gpg");
    let mut c = g.cmd();
    c.args(["--for-your-eyes-only", "-r", &alice.fpr, "-o"])
        .arg(&msg)
        .args(["--encrypt"])
        .arg(alice.write("m.txt", SECRET));
    g.ok(c);

    let out = alice.path("m.out");
    alice
        .zpgp_pw()
        .arg("decrypt")
        .arg(&msg)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(EYES_ONLY)
        .stdout(is_empty())
        .stderr(error_has(&["for your eyes only", "--force"]));
    assert!(!out.exists(), "no output file");
    assert!(crate::harness::part_files(alice.env.dir.path()).is_empty());
    // Standard output here is a pipe: refused too, nothing on it.
    alice
        .zpgp_pw()
        .arg("decrypt")
        .arg(&msg)
        .arg("-o")
        .arg("-")
        .assert()
        .code(EYES_ONLY)
        .stdout(is_empty());
    alice
        .zpgp_pw()
        .args(["decrypt", "-o", "-", "--force"])
        .arg(&msg)
        .assert()
        .success()
        .stdout(predicate::eq(SECRET))
        .stderr(contains("for your eyes only"));
    let a = alice
        .zpgp_pw()
        .args(["--json", "decrypt", "--force", "-o"])
        .arg(&out)
        .arg(&msg)
        .assert()
        .success();
    assert_eq!(std::fs::read(&out).unwrap(), SECRET);
    let stderr = &a.get_output().stderr;
    let start = stderr.iter().position(|&b| b == b'{').unwrap();
    let end = stderr.iter().rposition(|&b| b == b'}').unwrap() + 1;
    let report = json(&stderr[start..end]);
    assert_eq!(report["literal"]["eyes_only"], true);
    assert_eq!(report["literal"]["file_name"], "_CONSOLE");
}

/// On a terminal an eyes-only message is shown: the one place it goes
/// without --force.
#[test]
fn eyes_only_is_shown_on_a_terminal() {
    if !crate::harness::have("script") {
        eprintln!("SKIPPED: script (util-linux) is not installed; no terminal to test with");
        return;
    }
    let alice = User::new("Alice");
    let msg = alice.path("m.pgp");
    alice
        .zpgp()
        .args([
            "encrypt",
            "--for-your-eyes-only",
            "-r",
            &alice.email(),
            "-o",
        ])
        .arg(&msg)
        .write_stdin(SECRET)
        .assert()
        .success();
    let line = format!(
        "'{}' --home '{}' --batch --passphrase-file '{}' decrypt -o - '{}'",
        crate::harness::zpgp_bin().display(),
        alice.env.home().display(),
        alice.env.passphrase_file().display(),
        msg.display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("ZPGP_NO_AGENT", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("the launch code is 0000"), "{shown}");
    assert!(shown.contains("for your eyes only"), "{shown}");
}

/// A signed message marked eyes-only: inspect says so, and verify keeps
/// it off files and pipes like decrypt.
#[test]
fn gpg_eyes_only_signed_message_inspect_and_verify() {
    let alice = User::new("Alice");
    let Some(g) = gpg_with(&alice) else { return };
    gpg_key(&g, &alice);
    let msg = alice.path("s.gpg");
    let mut c = g.cmd_pw("");
    c.args(["--for-your-eyes-only", "-u", "gus@example.org", "-o"])
        .arg(&msg)
        .arg("--sign")
        .arg(alice.write("s.txt", SECRET));
    g.ok(c);
    alice
        .zpgp()
        .arg("inspect")
        .arg(&msg)
        .assert()
        .success()
        .stdout(contains("file name \"_CONSOLE\"").and(contains("eyes only:   yes")));
    alice
        .zpgp()
        .arg("verify")
        .arg(&msg)
        .assert()
        .code(EYES_ONLY)
        .stdout(is_empty());
    alice
        .zpgp()
        .args(["verify", "--force"])
        .arg(&msg)
        .assert()
        .success()
        .stdout(predicate::eq(SECRET));
}

// --text ---------------------------------------------------------------------

const LF: &[u8] = b"Dear Bob,\nthe plan stands.\n\n-- Alice\n";
const CRLF: &[u8] = b"Dear Bob,\r\nthe plan stands.\r\n\r\n-- Alice\r\n";

fn gpg_verifies(g: &Gpg, sig: &Path, data: &Path) {
    let mut c = g.cmd();
    c.args(["--status-fd", "1", "--verify"]).arg(sig).arg(data);
    let out = g.ok(c);
    let status = gpg_status(&out.stdout);
    assert!(
        status.iter().any(|l| l.starts_with("GOODSIG ")),
        "{status:?}"
    );
}

/// One signature for both line endings, as text signatures promise: made
/// by zpgp over LF text, checked by gpg over CRLF, and the other way.
#[test]
fn text_signatures_cross_line_endings_with_gpg() {
    let alice = User::new("Alice");
    let Some(g) = gpg_with(&alice) else { return };
    gpg_key(&g, &alice);
    let lf = alice.write("lf.txt", LF);
    let crlf = alice.write("crlf.txt", CRLF);

    let sig = alice.path("lf.txt.sig");
    alice
        .zpgp_pw()
        .args(["sign", "--detached", "--text"])
        .arg(&lf)
        .assert()
        .success();
    let mut c = g.cmd();
    c.arg("--list-packets").arg(&sig);
    assert!(
        String::from_utf8_lossy(&g.ok(c).stdout).contains("sigclass 0x01"),
        "a text signature"
    );
    gpg_verifies(&g, &sig, &crlf);
    gpg_verifies(&g, &sig, &lf);

    // gpg --textmode over CRLF, checked by zpgp over LF.
    let gsig = alice.path("crlf.txt.sig");
    let mut c = g.cmd_pw("");
    c.args(["--textmode", "-u", "gus@example.org", "--detach-sign", "-o"])
        .arg(&gsig)
        .arg(&crlf);
    g.ok(c);
    for data in [&lf, &crlf] {
        alice
            .zpgp()
            .arg("verify")
            .arg(&gsig)
            .arg(data)
            .assert()
            .success()
            .stderr(contains("good signature from Gus"));
    }
    // Without --text, the signature is over the bytes: LF and CRLF differ.
    alice
        .zpgp_pw()
        .args(["sign", "--detached", "-o"])
        .arg(alice.path("binary.sig"))
        .arg(&lf)
        .assert()
        .success();
    alice
        .zpgp()
        .arg("verify")
        .arg(alice.path("binary.sig"))
        .arg(&crlf)
        .assert()
        .code(3);
}

/// Inline text travels with CRLF in text mode ('t'), and comes out with
/// LF on Unix at either end.
#[test]
fn text_messages_round_trip_with_gpg() {
    let alice = User::new("Alice");
    let Some(g) = gpg_with(&alice) else { return };
    let gus = gpg_key(&g, &alice);
    let lf = alice.write("lf.txt", LF);

    // zpgp sign --text: gpg sees 't', CRLF inside, gives LF.
    let signed = alice.path("lf.txt.pgp");
    alice
        .zpgp_pw()
        .args(["sign", "--text"])
        .arg(&lf)
        .assert()
        .success();
    let mut c = g.cmd();
    c.arg("--list-packets").arg(&signed);
    let packets = String::from_utf8_lossy(&g.ok(c).stdout).into_owned();
    assert!(packets.contains("mode t (74)"), "{packets}");
    assert!(packets.contains("sigclass 0x01"), "{packets}");
    assert!(
        packets.contains(&format!("raw data: {} bytes", CRLF.len())),
        "{packets}"
    );
    let mut c = g.cmd();
    c.arg("--decrypt").arg(&signed);
    assert_eq!(g.ok(c).stdout, LF);
    alice
        .zpgp()
        .args(["verify"])
        .arg(&signed)
        .assert()
        .success()
        .stdout(predicate::eq(LF));

    // zpgp encrypt --text for gpg: the same.
    let msg = alice.path("m.pgp");
    alice
        .zpgp()
        .args(["encrypt", "--text", "--no-self", "-r", &gus, "-o"])
        .arg(&msg)
        .arg(&lf)
        .assert()
        .success();
    let mut c = g.cmd_pw("");
    c.args(["--status-fd", "2", "--decrypt"]).arg(&msg);
    let out = g.ok(c);
    assert_eq!(out.stdout, LF);
    assert!(
        gpg_status(&out.stderr)
            .iter()
            .any(|l| l.starts_with("PLAINTEXT 74 ")),
        "text mode"
    );

    // gpg --textmode to zpgp, encrypted and signed: LF out.
    let gmsg = alice.path("g.gpg");
    let mut c = g.cmd_pw("");
    c.args([
        "--textmode",
        "-u",
        "gus@example.org",
        "-r",
        &alice.fpr,
        "-o",
    ])
    .arg(&gmsg)
    .args(["--sign", "--encrypt"])
    .arg(&lf);
    g.ok(c);
    decrypts_to(&alice, &gmsg, LF).stderr(contains("good signature from Gus").and(no_panic()));

    // zpgp to zpgp: a round trip gives the file back.
    alice
        .zpgp()
        .args(["encrypt", "--text", "-r", &alice.email(), "-o"])
        .arg(alice.path("self.pgp"))
        .arg(&lf)
        .assert()
        .success();
    decrypts_to(&alice, alice.path("self.pgp"), LF);
}

/// `u` decrypts the message file `msg` to standard output, giving `want`.
fn decrypts_to(
    u: &User,
    msg: impl AsRef<std::ffi::OsStr>,
    want: impl AsRef<[u8]>,
) -> assert_cmd::assert::Assert {
    u.zpgp_pw()
        .args(["decrypt", "-o", "-"])
        .arg(msg)
        .assert()
        .success()
        .stdout(predicate::eq(want.as_ref().to_vec()))
}
