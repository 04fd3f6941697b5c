//! The secret key store: one file per primary fingerprint in
//! `HOME/secret/`, 0600, encrypted at rest with its passphrase.

use std::cmp::Ordering;
use std::fs::{self, File};
use std::io::{ErrorKind, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use openpgp::crypto::mem::{Protected, secure_cmp};
use openpgp::parse::Parse;
use openpgp::serialize::SerializeInto;
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
        super::sigcache::ready();
        let path = self.secret_path(fpr);
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        // Checked on the open file, so a swap after the check cannot slip
        // another file in.
        let meta = file
            .metadata()
            .with_context(|| format!("cannot read {}", path.display()))?;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(unsafe_mode(&path, mode, "the secret key file", "600"));
        }
        let data = read_protected(&mut file, meta.len())
            .with_context(|| format!("cannot read {}", path.display()))?;
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
        // An unprotected key is plaintext.
        let data = serialize_protected(tsk).context("cannot serialize the secret key")?;
        write_atomic(
            &self.secret_dir,
            &self.secret_path(&tsk.fingerprint()),
            &[&data],
        )
    }
}

/// Whether two keys carry the same secret material (`Cert` equality
/// looks at public data only), compared in constant time.  Keys that do
/// not serialize are not equal.
pub(in crate::keyring) fn secrets_equal(a: &Cert, b: &Cert) -> bool {
    match (serialize_protected(a), serialize_protected(b)) {
        (Ok(a), Ok(b)) => secure_cmp(&a, &b) == Ordering::Equal,
        _ => false,
    }
}

/// `tsk` serialized with its secrets, straight into memory that is zeroed
/// when dropped: an unencrypted secret key is plaintext, and a growing
/// `Vec` would leave copies of it behind in the memory it gives back.
fn serialize_protected(tsk: &Cert) -> Result<Protected> {
    let tsk = tsk.as_tsk();
    let mut buf = Protected::new(tsk.serialized_len());
    let len = tsk.serialize_into(&mut buf)?;
    if len == buf.len() {
        Ok(buf)
    } else {
        // serialized_len may be an upper bound; `buf` is zeroed on drop.
        Ok(Protected::from(&buf[..len]))
    }
}

/// Reads all of `file`, `len` bytes long when opened, straight into
/// memory that is zeroed when dropped, for the same reason.  zpgp only
/// ever replaces a secret key file by rename, so a file that shrinks or
/// grows while read is an error rather than something to follow.
fn read_protected(file: &mut File, len: u64) -> std::io::Result<Protected> {
    let len = usize::try_from(len).map_err(|_| std::io::Error::other("file too large"))?;
    let mut buf = Protected::new(len);
    file.read_exact(&mut buf)?;
    if file.read(&mut [0u8; 1])? != 0 {
        return Err(std::io::Error::other("the file grew while being read"));
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use openpgp::cert::prelude::*;
    use std::io::Write;

    fn tsk() -> Cert {
        CertBuilder::general_purpose(Some("<s@example.org>"))
            .generate()
            .unwrap()
            .0
    }

    #[test]
    fn secrets_equal_sees_the_secret_parts() {
        let a = tsk();
        assert!(secrets_equal(&a, &a.clone()));
        // The same public key, its secret encrypted: not the same secret file.
        let password = openpgp::crypto::Password::from("pw");
        let primary = a.primary_key().key().clone().parts_into_secret().unwrap();
        let locked = primary.encrypt_secret(&password).unwrap();
        let b = a
            .clone()
            .insert_packets(Some(openpgp::Packet::from(locked.role_into_primary())))
            .unwrap()
            .0;
        assert_eq!(a, b, "same public parts");
        assert!(!secrets_equal(&a, &b));
        assert!(!secrets_equal(&a, &a.clone().strip_secret_key_material()));
        assert!(!secrets_equal(&a, &tsk()));
    }

    #[test]
    fn secret_key_files_are_read_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::open(dir.path()).unwrap();
        let a = tsk();
        let out = kr.import(vec![a.clone()]).unwrap();
        assert_eq!(out[0].secret, Some(ImportStatus::New));
        let back = kr.secret(&a.fingerprint()).unwrap().unwrap();
        assert!(secrets_equal(&a, &back));
        let out = kr.import(vec![a.clone()]).unwrap();
        assert_eq!(out[0].secret, Some(ImportStatus::Unchanged));

        let path = dir.path().join("f");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(b"0123456789")
            .unwrap();
        let read = |len| read_protected(&mut File::open(&path).unwrap(), len);
        assert_eq!(&read(10).unwrap()[..], b"0123456789");
        assert_eq!(
            read(11).unwrap_err().kind(),
            std::io::ErrorKind::UnexpectedEof,
            "shrunk"
        );
        assert!(read(9).is_err(), "grew");
        assert!(read(0).is_err(), "grew");
    }
}
