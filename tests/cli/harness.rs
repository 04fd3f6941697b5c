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
        assert!(out.status.success(), "generate failed: {}", String::from_utf8_lossy(&out.stderr));
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
