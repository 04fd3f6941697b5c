// Not every test module uses every helper.
#![allow(dead_code)]
//! The shared test harness: a temporary home, and `zpgp` commands that use
//! it with `--batch`, so no test ever touches a real keyring or waits on a
//! prompt.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
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

    /// `zpgp --home HOME --batch ARGS…`, with no ZPGP_HOME from outside.
    pub fn zpgp(&self) -> Command {
        let mut cmd = Command::cargo_bin("zpgp").expect("zpgp binary");
        cmd.env_remove("ZPGP_HOME")
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
        Some(Gpg { dir })
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
        let out = c.output().expect("run gpg");
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
