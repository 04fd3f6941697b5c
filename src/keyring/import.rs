//! Importing (merging with what is on file) and deleting certificates.

use std::fs;
use std::io::ErrorKind;

use anyhow::{Context as _, Result};
use openpgp::parse::Parse;
use openpgp::serialize::SerializeInto;
use openpgp::{Cert, Fingerprint};
use openpgp_cert_d::{MergeResult, Tag};
use sequoia_openpgp as openpgp;

use super::Keyring;
use super::files::sync_dir;
use super::index::make_entry;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    New,
    Updated,
    Unchanged,
}

impl std::fmt::Display for ImportStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ImportStatus::New => "new",
            ImportStatus::Updated => "updated",
            ImportStatus::Unchanged => "unchanged",
        })
    }
}

/// What importing one certificate changed.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub fingerprint: Fingerprint,
    pub public: ImportStatus,
    /// Set when the import carried secret key material.
    pub secret: Option<ImportStatus>,
    /// The certificate as now on file.
    pub cert: Cert,
}

impl Keyring {
    /// Imports certificates and secret keys, merging each with what is on
    /// file.  Secret key material goes to the secret store, the public
    /// part to the certificate directory.
    pub fn import(&self, certs: Vec<Cert>) -> Result<Vec<ImportOutcome>> {
        let mut outcomes = Vec::with_capacity(certs.len());
        self.import_each(certs, |o| outcomes.push(o))?;
        Ok(outcomes)
    }

    /// Like [`Keyring::import`], one certificate at a time: each outcome
    /// goes to `on_outcome` and is dropped, so a keyring of any size
    /// imports in bounded memory.  The index is written once, at the end.
    pub fn import_each<I>(&self, certs: I, mut on_outcome: impl FnMut(ImportOutcome)) -> Result<()>
    where
        I: IntoIterator<Item = Cert>,
    {
        let lock = self.lock()?;
        let mut index = self.entries_for_update(&lock)?;
        for cert in certs {
            let fpr = cert.fingerprint();
            let secret = if cert.is_tsk() {
                Some(self.merge_secret(&lock, cert.clone())?)
            } else {
                None
            };
            let (public, merged, tag) = self.merge_public(cert.strip_secret_key_material())?;
            index.insert(format!("{fpr:X}"), make_entry(&merged, tag.0));
            on_outcome(ImportOutcome {
                fingerprint: fpr,
                public,
                secret,
                cert: merged,
            });
        }
        self.write_index(&lock, &index)
    }

    /// Removes a certificate, and with `secret` its secret key.
    pub fn delete(&self, fpr: &Fingerprint, secret: bool) -> Result<()> {
        let lock = self.lock()?;
        let mut index = self.entries_for_update(&lock)?;
        if secret {
            let path = self.secret_path(fpr);
            match fs::remove_file(&path) {
                Ok(()) => sync_dir(&self.secret_dir)?,
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot remove {}", path.display()));
                }
            }
        }
        let path = self.certd.get_path(&format!("{fpr:x}"))?;
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", path.display())),
        }
        index.remove(&format!("{fpr:X}"));
        self.write_index(&lock, &index)
    }

    /// Merges `cert` into the certificate directory; returns what changed,
    /// the certificate as now on file, and its file's tag.
    pub(in crate::keyring) fn merge_public(&self, cert: Cert) -> Result<(ImportStatus, Cert, Tag)> {
        super::sigcache::ready();
        let fpr = cert.fingerprint();
        let mut status = ImportStatus::New;
        let mut result = None;
        let (tag, _) = self
            .certd
            .insert(&format!("{fpr:x}"), cert, false, |new, old| {
                let merged = match old {
                    None => new,
                    Some(old) => {
                        let old = Cert::from_bytes(old).map_err(to_certd_error)?;
                        let merged = old.clone().merge_public(new).map_err(to_certd_error)?;
                        if merged == old {
                            status = ImportStatus::Unchanged;
                            result = Some(old);
                            return Ok(MergeResult::Keep);
                        }
                        status = ImportStatus::Updated;
                        merged
                    }
                };
                let bytes = merged.to_vec().map_err(to_certd_error)?;
                result = Some(merged);
                Ok(MergeResult::Data(bytes))
            })
            .with_context(|| format!("cannot store the certificate {fpr:X}"))?;
        Ok((status, result.expect("set by the merge callback"), tag))
    }
}

pub(in crate::keyring) fn to_certd_error(e: anyhow::Error) -> openpgp_cert_d::Error {
    openpgp_cert_d::Error::IoError(std::io::Error::other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Query;

    use crate::keyring::testing::cert;

    #[test]
    fn reimport_is_unchanged_and_merge_adds_userids() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::open(dir.path()).unwrap();
        let a = cert("<a@example.org>");
        let pub_a = a.clone().strip_secret_key_material();
        let out = kr.import(vec![pub_a.clone()]).unwrap();
        assert_eq!(out[0].public, ImportStatus::New);
        let out = kr.import(vec![pub_a]).unwrap();
        assert_eq!(out[0].public, ImportStatus::Unchanged);

        let mut signer = a
            .primary_key()
            .key()
            .clone()
            .parts_into_secret()
            .unwrap()
            .into_keypair()
            .unwrap();
        let uid = openpgp::packet::UserID::from("<a2@example.org>");
        let sig = uid
            .bind(
                &mut signer,
                &a,
                openpgp::packet::signature::SignatureBuilder::new(
                    openpgp::types::SignatureType::PositiveCertification,
                ),
            )
            .unwrap();
        let a2 = a
            .insert_packets(vec![openpgp::Packet::from(uid), sig.into()])
            .unwrap()
            .0;
        let out = kr.import(vec![a2.strip_secret_key_material()]).unwrap();
        assert_eq!(out[0].public, ImportStatus::Updated);
        assert_eq!(out[0].cert.userids().count(), 2);
        let q = |s: &str| kr.lookup(&Query::parse(s).unwrap()).unwrap();
        assert_eq!(q("a2@example.org").len(), 1);
    }
}
