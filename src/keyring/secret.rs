//! The secret key store: one file per primary fingerprint in
//! `HOME/secret/`, 0600, encrypted at rest with its passphrase.

use std::fs::{self, File};
use std::io::{ErrorKind, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use openpgp::parse::Parse;
use openpgp::serialize::{Serialize, SerializeInto};
use openpgp::{Cert, Fingerprint};
use sequoia_openpgp as openpgp;

use super::files::{unsafe_mode, write_atomic};
use super::import::ImportStatus;
use super::{Keyring, WriteLock};

impl Keyring {
    /// Whether a secret key is held for this primary fingerprint.
    pub fn has_secret(&self, fpr: &Fingerprint) -> bool {
        self.secret_path(fpr).exists()
    }

    /// Fingerprints of every secret key held.
    pub fn secret_fingerprints(&self) -> Result<Vec<Fingerprint>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.secret_dir)
            .with_context(|| format!("cannot read {}", self.secret_dir.display()))?
        {
            let name = entry?.file_name();
            if let Some(fpr) = name.to_str().and_then(|n| n.parse::<Fingerprint>().ok()) {
                out.push(fpr);
            }
        }
        out.sort();
        Ok(out)
    }

    /// The transferable secret key for this primary fingerprint, if held.
    pub fn secret(&self, fpr: &Fingerprint) -> Result<Option<Cert>> {
        let path = self.secret_path(fpr);
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        // Checked on the open file, so a swap after the check cannot slip
        // another file in.
        let mode = file
            .metadata()
            .with_context(|| format!("cannot read {}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(unsafe_mode(&path, mode, "the secret key file", "600"));
        }
        let mut data = Vec::new();
        file.read_to_end(&mut data)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let data = openpgp::crypto::mem::Protected::from(data);
        Ok(Some(Cert::from_bytes(&data[..]).with_context(|| {
            format!("the secret key file {} is damaged", path.display())
        })?))
    }

    pub(in crate::keyring) fn secret_path(&self, fpr: &Fingerprint) -> PathBuf {
        self.secret_dir.join(format!("{fpr:X}"))
    }

    /// Replaces a held secret key with `tsk` (same fingerprint), e.g. after
    /// a passphrase change.  The old file stays until the new one is whole.
    pub fn replace_secret(&self, tsk: &Cert) -> Result<()> {
        let lock = self.lock()?;
        self.write_secret(&lock, tsk)
    }

    pub(in crate::keyring) fn merge_secret(
        &self,
        lock: &WriteLock,
        tsk: Cert,
    ) -> Result<ImportStatus> {
        let fpr = tsk.fingerprint();
        match self.secret(&fpr)? {
            None => {
                self.write_secret(lock, &tsk)?;
                Ok(ImportStatus::New)
            }
            Some(old) => {
                let merged = old.clone().merge_public_and_secret(tsk)?;
                if merged == old && secrets_equal(&merged, &old) {
                    Ok(ImportStatus::Unchanged)
                } else {
                    self.write_secret(lock, &merged)?;
                    Ok(ImportStatus::Updated)
                }
            }
        }
    }

    pub(in crate::keyring) fn write_secret(&self, _lock: &WriteLock, tsk: &Cert) -> Result<()> {
        // Sized up front so no reallocation leaves a copy behind; the
        // buffer is zeroed when dropped (an unprotected key is plaintext).
        let mut data = Vec::with_capacity(tsk.as_tsk().serialized_len());
        tsk.as_tsk()
            .serialize(&mut data)
            .context("cannot serialize the secret key")?;
        let data = openpgp::crypto::mem::Protected::from(data);
        write_atomic(
            &self.secret_dir,
            &self.secret_path(&tsk.fingerprint()),
            &[&data],
        )
    }
}

/// Whether two keys carry the same secret material (`Cert` equality
/// looks at public data only).
pub(in crate::keyring) fn secrets_equal(a: &Cert, b: &Cert) -> bool {
    a.as_tsk().to_vec().ok() == b.as_tsk().to_vec().ok()
}
