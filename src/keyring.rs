//! The local keyring: public certificates in a shared certificate directory,
//! secret keys one file per fingerprint, and a lookup index.
//!
//! ```text
//! HOME/pgp.cert.d/    certificates (openpgp-cert-d format)
//! HOME/secret/FPR     transferable secret keys, encrypted at rest, 0600
//! HOME/index          one line per certificate, for fast lookups
//! HOME/lock           serializes every write
//! ```
//!
//! Every write happens under `HOME/lock` and replaces files by rename, so a
//! crash or a concurrent process never sees half a certificate.  The index
//! is derived data: it records the certificate directory's tag, and is
//! brought up to date whenever that tag differs.
//!
//! ```text
//! zpgp-index 4 TAG N          header: the cert-d tag, the length N of:
//! FPR \t TAG \t …             one line per certificate (see index::make_entry),
//! …                           in fingerprint order (N bytes), then
//! HASH OFFSET                 per email address and certificate, the
//! …                           address's hash and where the certificate's
//!                             line starts, sorted: lookups by address
//!                             are a binary search, not a scan
//! ```
//!
//! The rooms: `files` (private directories, modes, owners, atomic writes),
//! `lock` (the write lock), `secret` (the secret key store), `import`
//! (merging, deleting), `index` (the lookup index: its format, building and
//! reading it, and searching it), `resolve` (a user's query to one
//! certificate, or the ambiguous and not-found errors).

mod files;
mod health;
mod import;
mod index;
mod lock;
mod resolve;
mod secret;
mod sigcache;
#[cfg(test)]
mod testing;

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use openpgp::parse::Parse;
use openpgp::{Cert, Fingerprint};
use openpgp_cert_d::CertD;
use sequoia_openpgp as openpgp;

use crate::error::{Error, Failure};
use crate::query::Query;

use files::{check_mode, check_owner};
pub use files::{create_private_dir, shell_quote, write_atomic};
pub use health::{HomeProblem, IndexState, home_problems};
pub use import::{ImportOutcome, ImportStatus};
use index::search_index;
pub use lock::WriteLock;

/// How many parsed certificates [`Keyring::get`] keeps.
const PARSED_KEPT: usize = 32;

pub struct Keyring {
    home: PathBuf,
    certd: CertD,
    secret_dir: PathBuf,
    /// What the caller should tell the user (a damaged file skipped); the
    /// keyring never prints.
    warnings: std::sync::Mutex<Vec<String>>,
    /// Certificates parsed in this process, with the bytes they came from.
    parsed: std::sync::Mutex<std::collections::HashMap<Fingerprint, (Vec<u8>, Cert)>>,
}

impl Drop for Keyring {
    fn drop(&mut self) {
        sigcache::save(&self.home);
    }
}

impl Keyring {
    /// Opens the keyring at `home`, creating it (mode 0700) when missing.
    pub fn open(home: &Path) -> Result<Keyring> {
        create_private_dir(home).map_err(|e| {
            let hint = if e.kind() == ErrorKind::PermissionDenied {
                "choose a home you can write to with --home DIR or ZPGP_HOME"
            } else {
                "check the path, or choose another home with --home DIR"
            };
            anyhow::Error::from(
                Error::new(
                    Failure::MissingInput,
                    format!("cannot create the keyring home {}: {e}", home.display()),
                )
                .hint(hint),
            )
        })?;
        if !home.is_dir() {
            return Err(Error::new(
                Failure::MissingInput,
                format!("the keyring home {} is not a directory", home.display()),
            )
            .into());
        }
        let certd_dir = home.join("pgp.cert.d");
        let secret_dir = home.join("secret");
        for dir in [&certd_dir, &secret_dir] {
            create_private_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        // Another user who owns or may write here could swap
        // certificates or plant keys; one who may read secret/ learns
        // which keys are held and gets their encrypted secrets to attack
        // offline.
        check_owner(home, "the keyring home")?;
        check_owner(&secret_dir, "the secret key directory")?;
        check_mode(home, 0o022, "the keyring home", "go-w")?;
        check_mode(&certd_dir, 0o022, "the certificate directory", "go-w")?;
        check_mode(&secret_dir, 0o077, "the secret key directory", "700")?;
        let certd = CertD::with_base_dir(&certd_dir)
            .with_context(|| format!("cannot open {}", certd_dir.display()))?;
        static CACHE_LOADED: std::sync::Once = std::sync::Once::new();
        CACHE_LOADED.call_once(|| sigcache::load(home));
        Ok(Keyring {
            home: home.to_path_buf(),
            certd,
            secret_dir,
            warnings: Default::default(),
            parsed: Default::default(),
        })
    }

    /// The warnings gathered since the last call, for the caller to show.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn warn(&self, message: String) {
        self.warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(message);
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The certificate with this primary fingerprint, if on file.
    pub fn get(&self, fpr: &Fingerprint) -> Result<Option<Cert>> {
        sigcache::ready();
        let name = format!("{fpr:x}");
        match self.certd.get(&name) {
            Ok(Some((_, data))) => {
                // The same bytes parse to the same certificate: a command
                // that asks twice (to verify, then to name the signer)
                // parses once.  Changed bytes are parsed again; a command
                // that walks thousands of certificates keeps only the
                // first few.
                let mut parsed = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((bytes, cert)) = parsed.get(fpr) {
                    if *bytes == data {
                        return Ok(Some(cert.clone()));
                    }
                }
                let cert = Cert::from_bytes(&data)
                    .with_context(|| format!("the certificate {fpr:X} on file is damaged"))?;
                if parsed.len() < PARSED_KEPT {
                    parsed.insert(fpr.clone(), (data, cert.clone()));
                }
                Ok(Some(cert))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(anyhow::Error::from(e).context(format!("cannot read {fpr:X}"))),
        }
    }

    /// Every certificate on file, in fingerprint order.  A damaged file is
    /// reported on stderr and skipped, so one bad file does not hide the
    /// rest.
    pub fn certs(&self) -> Result<Vec<Cert>> {
        sigcache::ready();
        let mut certs = Vec::new();
        for item in self.certd.iter() {
            let (fpr, _, data) = item.context("cannot read the certificate directory")?;
            match Cert::from_bytes(&data) {
                Ok(c) => certs.push(c),
                Err(e) => self.warn(format!("skipping damaged certificate {fpr}: {e}")),
            }
        }
        certs.sort_by_key(|c| c.fingerprint());
        Ok(certs)
    }

    /// The fingerprints of every certificate on file (damaged names are
    /// passed over).
    pub fn fingerprints(&self) -> Vec<Fingerprint> {
        self.certd
            .fingerprints()
            .filter_map(|f| f.ok()?.parse().ok())
            .collect()
    }

    /// Fingerprints of the certificates matching `query`.
    pub fn lookup(&self, query: &Query) -> Result<Vec<Fingerprint>> {
        if let Query::Fingerprint(fp) = query {
            if self.certd.get_file(&format!("{fp:x}"))?.is_some() {
                return Ok(vec![fp.clone()]);
            }
        }
        let index = self.current_index()?;
        Ok(search_index(&index, query))
    }

    /// The certificates holding any of these keys (primary or subkey), for
    /// checking signatures by issuer.  Lookup failures count as not found.
    pub fn certs_by_handles(&self, handles: &[openpgp::KeyHandle]) -> Vec<Cert> {
        let mut fprs: Vec<Fingerprint> = Vec::new();
        for h in handles {
            let q = match h {
                openpgp::KeyHandle::Fingerprint(f) => Query::Fingerprint(f.clone()),
                openpgp::KeyHandle::KeyID(k) => Query::KeyId(k.clone()),
            };
            for f in self.lookup(&q).unwrap_or_default() {
                if !fprs.contains(&f) {
                    fprs.push(f);
                }
            }
        }
        fprs.iter()
            .filter_map(|f| self.get(f).ok().flatten())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::keyring::testing::cert;

    #[test]
    fn index_finds_by_every_query_kind() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::open(dir.path()).unwrap();
        let a = cert("Alice Lovelace <alice@example.org>");
        let b = cert("Bob <bob@example.org>");
        kr.import(vec![a.clone().strip_secret_key_material(), b.clone()])
            .unwrap();
        let q = |s: &str| kr.lookup(&Query::parse(s).unwrap()).unwrap();
        assert_eq!(q("alice@example.org"), vec![a.fingerprint()]);
        assert_eq!(q("<BOB@example.org>"), vec![b.fingerprint()]);
        assert_eq!(q("lovelace"), vec![a.fingerprint()]);
        assert_eq!(q("example.org").len(), 2);
        let sub = a.keys().subkeys().next().unwrap().key().fingerprint();
        assert_eq!(q(&format!("{sub:X}")), vec![a.fingerprint()]);
        assert_eq!(q(&format!("{:X}", a.keyid())), vec![a.fingerprint()]);
        assert!(q("carol@example.org").is_empty());
        assert!(kr.has_secret(&b.fingerprint()));
        assert!(!kr.has_secret(&a.fingerprint()));
    }
}
