//! Issue 19, the outputs: file names in errors cannot drive the terminal.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use predicates::str::{contains, is_empty};

use crate::harness::{Env, zpgp_bin, zpgp_sop};

const PLAINTEXT: &str = "attack at dawn\n";

const TIMEOUT: Duration = Duration::from_secs(60);

/// A home with one key and a small message to it.
struct Setup {
    env: Env,
    msg: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let env = Env::new();
        let fpr = env.generate(&["--email", "alice@example.org"]);
        let plain = env.write("plain.txt", PLAINTEXT);
        let msg = env.path("msg.pgp");
        env.zpgp()
            .args(["encrypt", "-r", &fpr, "-o"])
            .arg(&msg)
            .arg(&plain)
            .assert()
            .success();
        Setup { env, msg }
    }

    /// `zpgp --passphrase-file F decrypt [ARGS…] -o OUT MSG`.
    fn decrypt(&self, out: &Path, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = self.env.zpgp();
        cmd.arg("--passphrase-file")
            .arg(self.env.passphrase_file())
            .arg("decrypt")
            .args(args)
            .arg("-o")
            .arg(out)
            .arg(&self.msg)
            .timeout(TIMEOUT);
        cmd
    }
}

/// A pseudo-terminal's device path, with its master end (kept open so the
/// device stays usable).
fn pseudo_terminal() -> (std::fs::File, PathBuf) {
    use std::os::fd::FromRawFd;
    // SAFETY: plain calls on a fresh descriptor; ptsname's buffer is copied
    // at once.
    unsafe {
        let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(fd >= 0, "posix_openpt");
        assert_eq!(libc::grantpt(fd), 0);
        assert_eq!(libc::unlockpt(fd), 0);
        let name = std::ffi::CStr::from_ptr(libc::ptsname(fd))
            .to_string_lossy()
            .into_owned();
        (std::fs::File::from_raw_fd(fd), PathBuf::from(name))
    }
}

/// What was written to a pseudo-terminal whose other ends are closed.
fn read_terminal(master: &mut std::fs::File) -> String {
    let mut shown = Vec::new();
    let mut buf = [0u8; 4096];
    // The master end reads EIO once no slave end is open and all is read.
    while let Ok(n) = master.read(&mut buf) {
        if n == 0 {
            break;
        }
        shown.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&shown).into_owned()
}

// Item 11: file names in errors --------------------------------------------

fn assert_no_raw_controls(stderr: &[u8]) {
    assert!(
        !stderr.iter().any(|&b| b == 0x1b || b == 0x07),
        "raw escape in {:?}",
        String::from_utf8_lossy(stderr)
    );
}

#[test]
fn hostile_file_names_in_errors_are_escaped() {
    let s = Setup::new();
    for (name, shown) in [
        ("out\x1b]0;pwned\x07", "out\\u{1b}]0;pwned\\u{7}"),
        ("cls\x1b[2J", "cls\\u{1b}[2J"),
    ] {
        s.env.write(name, "x");
        let out = s
            .decrypt(Path::new(name), &[])
            .assert()
            .code(59)
            .stdout(is_empty())
            .stderr(contains(format!("zpgp: error: {shown} exists already")))
            .stderr(contains("hint: use --force"))
            .get_output()
            .clone();
        assert_no_raw_controls(&out.stderr);
    }
    // A cause from the system: the directory does not exist.
    let out = s
        .decrypt(Path::new("no\x1b[2Jdir/x"), &[])
        .assert()
        .code(1)
        .stderr(contains("cannot create a file in no\\u{1b}[2Jdir"))
        .stderr(contains("  because: No such file or directory"))
        .get_output()
        .clone();
    assert_no_raw_controls(&out.stderr);
    // clap's own messages quote the argument: escaped in a pipe, and on a
    // terminal, where clap colours them, too.
    let hostile = "bash\x1b]0;pwned\x07";
    let out = s
        .env
        .zpgp()
        .args(["completions", hostile])
        .assert()
        .code(2)
        .stdout(is_empty())
        .stderr(contains("invalid value 'bash\\u{1b}]0;pwned\\u{7}'"))
        .get_output()
        .clone();
    assert_no_raw_controls(&out.stderr);
    let (mut master, tty) = pseudo_terminal();
    let status = Command::new(zpgp_bin())
        .args(["completions", hostile])
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::OpenOptions::new().write(true).open(&tty).unwrap())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
    let shown = read_terminal(&mut master);
    assert!(
        shown.contains("bash\\u{1b}]0;pwned\\u{7}") && !shown.contains("\x1b]0;pwned"),
        "{shown:?}"
    );
    // And the SOP binary's one-line errors.
    let out = zpgp_sop(s.env.dir.path())
        .args(["encrypt", "cert\x1b]0;pwned\x07.asc"])
        .write_stdin(PLAINTEXT)
        .assert()
        .code(61)
        .stdout(is_empty())
        .stderr(contains("cert\\u{1b}]0;pwned\\u{7}.asc"))
        .get_output()
        .clone();
    assert_no_raw_controls(&out.stderr);
}

#[test]
fn ambiguous_query_error_keeps_its_lines() {
    let env = Env::new();
    env.generate(&["--name", "Alice One", "--email", "alice1@example.org"]);
    env.generate(&["--name", "Alice Two", "--email", "alice2@example.org"]);
    let out = env
        .zpgp()
        .args(["export", "Alice"])
        .assert()
        .code(73)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Alice One <alice1@example.org>"))
            && lines
                .iter()
                .any(|l| l.contains("Alice Two <alice2@example.org>")),
        "candidates one per line: {stderr}"
    );
    assert!(!stderr.contains("\\u{a}"), "{stderr}");
}
