//! What `zpgp doctor` asks of the keyring: whether the home is safe to
//! use, and whether the lookup index agrees with the certificates.
//! Problems are returned, never printed, with the shell command that
//! fixes each.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use anyhow::{Context as _, Result};
use openpgp::Cert;
use openpgp::parse::Parse;
use openpgp_cert_d::Tag;
use sequoia_openpgp as openpgp;

use super::Keyring;
use super::files::shell_quote;
use super::index::{Entry, index_layout, index_text, make_entry};

/// Something wrong in the home, and the command that puts it right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeProblem {
    pub problem: String,
    pub fix: String,
}

/// The home's problems, found without opening the keyring (which refuses
/// an unsafe home, where doctor must still say what is wrong): the owner
/// and modes of the home, `pgp.cert.d`, `secret/` and its files,
/// `revocations/` and the lock file.
pub fn home_problems(home: &Path) -> Vec<HomeProblem> {
    let me = crate::sys::effective_uid();
    let mut out = Vec::new();
    // (path, what, forbidden mode bits, the chmod that fixes them, must be
    // the user's own)
    let mut checks = vec![
        (home.to_path_buf(), "the keyring home", 0o022, "go-w", true),
        (
            home.join("pgp.cert.d"),
            "the certificate directory",
            0o022,
            "go-w",
            false,
        ),
        (
            home.join("secret"),
            "the secret key directory",
            0o077,
            "700",
            true,
        ),
        // Anyone who reads a revocation certificate can revoke the key.
        (
            home.join("revocations"),
            "the revocation certificates' directory",
            0o077,
            "700",
            false,
        ),
        (home.join("lock"), "the lock file", 0o022, "600", false),
    ];
    if let Ok(entries) = fs::read_dir(home.join("secret")) {
        let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            checks.push((f, "the secret key file", 0o077, "600", false));
        }
    }
    for (path, what, forbidden, chmod, own) in checks {
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        let quoted = shell_quote(&path);
        if own && meta.uid() != me {
            out.push(HomeProblem {
                problem: format!(
                    "{what} {} belongs to user {}, not to you (user {me})",
                    path.display(),
                    meta.uid()
                ),
                fix: format!("chown {me} {quoted}"),
            });
        }
        let mode = meta.permissions().mode();
        if mode & forbidden != 0 {
            let may = if mode & 0o022 != 0 {
                "write to"
            } else {
                "read"
            };
            out.push(HomeProblem {
                problem: format!(
                    "other users may {may} {what} {} (mode {:04o})",
                    path.display(),
                    mode & 0o7777
                ),
                fix: format!("chmod {chmod} {quoted}"),
            });
        }
        if what == "the lock file" && !meta.is_file() {
            out.push(HomeProblem {
                problem: format!("the lock file {} is not a plain file", path.display()),
                fix: format!("rm -r {quoted}"),
            });
        }
    }
    out
}

/// How the index stands against the certificates on file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexState {
    /// It lists exactly what the certificates say.
    Current,
    /// There is no index file (it is made on the next lookup).
    Missing,
    /// The file is not an index of this version: damaged, or old.
    Unreadable,
    /// The certificates changed since it was written (another tool, or a
    /// write that was interrupted); the next lookup would update it.
    Stale,
    /// It records the current state but its entries differ from the
    /// certificates: damaged in place.
    Inconsistent,
}

impl Keyring {
    /// Compares the index with an index built afresh from every
    /// certificate, under the lock so no writer changes either meanwhile.
    pub fn check_index(&self) -> Result<IndexState> {
        let lock = self.lock()?;
        let bytes = match fs::read(self.index_path()) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(IndexState::Missing);
            }
            Err(e) => return Err(e).context("cannot read the keyring index"),
        };
        let Some((tag, _, _)) = index_layout(&bytes) else {
            return Ok(IndexState::Unreadable);
        };
        let current = self.certd.tag().0;
        if tag != current {
            return Ok(IndexState::Stale);
        }
        let fresh = self.fresh_entries()?;
        drop(lock);
        let expected = index_text(current, &fresh).concat();
        Ok(if expected.as_bytes() == bytes.as_slice() {
            IndexState::Current
        } else {
            IndexState::Inconsistent
        })
    }

    /// Writes the index anew from every certificate, keeping nothing of the
    /// old one; returns how many certificates it lists.
    pub fn rebuild_index(&self) -> Result<usize> {
        let lock = self.lock()?;
        let fresh = self.fresh_entries()?;
        self.write_index(&lock, &fresh)?;
        Ok(fresh.len())
    }

    /// Every certificate's index entry, each parsed from its file.
    fn fresh_entries(&self) -> Result<BTreeMap<String, Entry>> {
        super::sigcache::ready();
        let mut out = BTreeMap::new();
        for item in self.certd.iter_files() {
            let (name, file) = item.context("cannot read the certificate directory")?;
            let tag = Tag::try_from(&file)?.0;
            let mut data = Vec::new();
            (&file).read_to_end(&mut data)?;
            match Cert::from_bytes(&data) {
                Ok(cert) => {
                    out.insert(name.to_uppercase(), make_entry(&cert, tag));
                }
                Err(e) => self.warn(format!("skipping damaged certificate {name}: {e}")),
            }
        }
        Ok(out)
    }
}
