//! The keyring's write lock: every write to the home happens under it.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;

use anyhow::{Context as _, Result};

use crate::error::{Error, Failure};

use super::Keyring;

/// Held while writing; the lock is released when this is dropped.
pub struct WriteLock {
    _file: File,
}

impl Keyring {
    /// Takes the keyring's write lock, waiting for other writers.
    pub fn lock(&self) -> Result<WriteLock> {
        let path = self.home.join("lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| {
                anyhow::Error::from(
                    Error::new(
                        Failure::MissingInput,
                        format!(
                            "cannot write to the keyring at {}: {e}",
                            self.home.display()
                        ),
                    )
                    .hint("check the permissions of the keyring home, or use --home DIR"),
                )
            })?;
        crate::sys::lock_exclusive(&file)
            .with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(WriteLock { _file: file })
    }
}
