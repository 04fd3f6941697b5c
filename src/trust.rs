//! Authentication: whether a user ID on a certificate belongs to that
//! key as far as the user's own keys vouch for it, through certifications
//! and trusted introducers (the web of trust, computed by sequoia-wot).
//!
//! The user's own keys (those whose secret key is held, and the default
//! key) are the roots.  A binding is authenticated in full when 120 worth
//! of trust flows from them to it, partially when some does.  The search
//! runs backwards from the binding in question: only the certificates that
//! certified it, those that certified them, and so on up to the roots are
//! read from the keyring, never the whole network, so authentication costs
//! a keyring of 100,000 certificates no more than one of ten.
//!
//! Knows the keyring, not the CLI.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use anyhow::Result;
use sequoia_openpgp as openpgp;
use sequoia_wot as wot;
use serde::Serialize;

use openpgp::packet::UserID;
use openpgp::policy::Policy;
use openpgp::{Cert, Fingerprint, KeyHandle, KeyID};
use wot::sequoia_cert_store::store::{StoreError, UserIDQueryParams};
use wot::sequoia_cert_store::{LazyCert, Store};

use crate::keyring::Keyring;
use crate::query::Query;

/// Full authentication: what one fully trusted path carries.
pub const FULL: usize = 120;

/// How far a user ID is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// One of the user's own keys.
    Own,
    Full,
    Partial,
    None,
}

impl Level {
    /// gpg's column in `list`: `[  full  ]`, `[ partial]`, …
    pub fn column(self) -> &'static str {
        match self {
            Level::Own => "[  own   ]",
            Level::Full => "[  full  ]",
            Level::Partial => "[ partial]",
            Level::None => "[unknown ]",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Level::Own => "your own key",
            Level::Full => "authenticated",
            Level::Partial => "partially authenticated",
            Level::None => "not authenticated",
        }
    }

    pub fn is_authenticated(self) -> bool {
        matches!(self, Level::Own | Level::Full)
    }
}

/// A user ID's authentication, with the paths that carry it (each a list
/// of fingerprints from one of the user's keys to the certificate).
#[derive(Debug, Clone, Serialize)]
pub struct Authentication {
    pub level: Level,
    /// The trust that flows to the binding, at most 120.
    pub amount: usize,
    pub paths: Vec<Vec<String>>,
}

impl Authentication {
    fn own() -> Self {
        Authentication {
            level: Level::Own,
            amount: FULL,
            paths: Vec::new(),
        }
    }
}

/// The keyring as sequoia-wot reads it: certificates by fingerprint and
/// by key handle, fetched on demand and kept for the run.
struct KeyringStore<'k> {
    keyring: &'k Keyring,
    cache: Mutex<HashMap<Fingerprint, Arc<LazyCert<'static>>>>,
    /// The issuer fingerprints named by the certifications on the
    /// certificates read so far, by their key IDs.  sequoia-wot looks a
    /// certification's issuer up by key ID only (it drops the fingerprint
    /// when both are given), and the index answers a key ID only by
    /// scanning every line, which costs milliseconds per step of a path at
    /// 100,000 certificates; a fingerprint is a file lookup.
    issuers: Mutex<HashMap<KeyID, Vec<Fingerprint>>>,
}

impl KeyringStore<'_> {
    fn fetch(&self, fpr: &Fingerprint) -> Option<Arc<LazyCert<'static>>> {
        if let Some(c) = self.lock().get(fpr) {
            return Some(c.clone());
        }
        let cert = self.keyring.get(fpr).ok().flatten()?;
        {
            let mut issuers = self.issuers.lock().unwrap_or_else(PoisonError::into_inner);
            for ua in cert.userids() {
                for f in ua.certifications().flat_map(|s| s.issuer_fingerprints()) {
                    let known = issuers.entry(KeyID::from(f)).or_default();
                    if !known.contains(f) {
                        known.push(f.clone());
                    }
                }
            }
        }
        let lazy = Arc::new(LazyCert::from(cert));
        self.lock().insert(fpr.clone(), lazy.clone());
        Some(lazy)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Fingerprint, Arc<LazyCert<'static>>>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The certificates holding `kh` as their primary key or a bound
    /// subkey (the index knows only bound ones).  A key ID that a
    /// certification read so far names with its fingerprint is looked up
    /// by that fingerprint: only that key can have made the certification
    /// (sequoia-wot still checks the signature), and another certificate
    /// that merely shares the 64-bit key ID is then not a candidate.
    fn holders(&self, kh: &KeyHandle) -> Vec<Fingerprint> {
        let q = match kh {
            KeyHandle::Fingerprint(f) => Query::Fingerprint(f.clone()),
            KeyHandle::KeyID(k) => {
                let named = self
                    .issuers
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get(k)
                    .cloned()
                    .unwrap_or_default();
                // When every one is on file under that fingerprint (a
                // primary key); a subkey or an unknown issuer is searched
                // for by key ID, as before.
                if !named.is_empty() && named.iter().all(|f| self.fetch(f).is_some()) {
                    return named;
                }
                Query::KeyId(k.clone())
            }
        };
        self.keyring.lookup(&q).unwrap_or_default()
    }
}

fn not_found(kh: &KeyHandle) -> anyhow::Error {
    StoreError::NotFound(kh.clone()).into()
}

impl<'k> Store<'static> for KeyringStore<'k> {
    fn lookup_by_cert(&self, kh: &KeyHandle) -> Result<Vec<Arc<LazyCert<'static>>>> {
        let found: Vec<_> = self
            .holders(kh)
            .iter()
            .filter(|f| kh.aliases(KeyHandle::from((*f).clone())))
            .filter_map(|f| self.fetch(f))
            .collect();
        if found.is_empty() {
            Err(not_found(kh))
        } else {
            Ok(found)
        }
    }

    fn lookup_by_cert_or_subkey(&self, kh: &KeyHandle) -> Result<Vec<Arc<LazyCert<'static>>>> {
        let found: Vec<_> = self
            .holders(kh)
            .iter()
            .filter_map(|f| self.fetch(f))
            .collect();
        if found.is_empty() {
            Err(not_found(kh))
        } else {
            Ok(found)
        }
    }

    fn select_userid(
        &self,
        query: &UserIDQueryParams,
        pattern: &str,
    ) -> Result<Vec<Arc<LazyCert<'static>>>> {
        // The index finds candidates by address or name; the query's own
        // rule decides.
        let candidates = Query::parse(pattern)
            .ok()
            .map(|q| self.keyring.lookup(&q).unwrap_or_default())
            .unwrap_or_default();
        let found: Vec<_> = candidates
            .iter()
            .filter_map(|f| self.fetch(f))
            .filter(|c| query.check_lazy_cert(c, pattern))
            .collect();
        if found.is_empty() {
            Err(StoreError::NoMatches(pattern.into()).into())
        } else {
            Ok(found)
        }
    }

    fn fingerprints<'b>(&'b self) -> Box<dyn Iterator<Item = Fingerprint> + 'b> {
        Box::new(self.keyring.fingerprints().into_iter())
    }
}

/// Authentication over one keyring, for one run: build it once, ask for
/// as many bindings as needed.
pub struct Trust<'k> {
    roots: Vec<Fingerprint>,
    network: wot::Network<wot::store::CertStore<'static, 'k, KeyringStore<'k>>>,
}

impl<'k> Trust<'k> {
    /// `roots`: the user's own keys.
    pub fn new(
        keyring: &'k Keyring,
        roots: Vec<Fingerprint>,
        policy: &'k dyn Policy,
        time: SystemTime,
    ) -> Result<Self> {
        let store = KeyringStore {
            keyring,
            cache: Mutex::new(HashMap::new()),
            issuers: Mutex::new(HashMap::new()),
        };
        let store = wot::store::CertStore::from_store(store, policy, time);
        let network = wot::Network::new(store, &roots[..])?;
        Ok(Trust { roots, network })
    }

    /// Whether `cert` is one of the user's own keys.
    pub fn is_own(&self, cert: &Cert) -> bool {
        self.roots.contains(&cert.fingerprint())
    }

    /// How far `userid` on `cert` is authenticated.
    pub fn authenticate(&self, cert: &Cert, userid: &UserID) -> Authentication {
        if self.is_own(cert) {
            return Authentication::own();
        }
        let paths = self.network.authenticate(userid, cert.fingerprint(), FULL);
        let amount = paths.amount().min(FULL);
        let level = match amount {
            0 => Level::None,
            a if a >= FULL => Level::Full,
            _ => Level::Partial,
        };
        Authentication {
            level,
            amount,
            paths: paths
                .iter()
                .map(|(p, _)| p.certificates().map(|c| c.fingerprint().to_hex()).collect())
                .collect(),
        }
    }

    /// The best authentication among `cert`'s user IDs (for a signer or a
    /// recipient named by fingerprint), with that user ID.
    pub fn best(
        &self,
        cert: &Cert,
        policy: &dyn Policy,
        time: SystemTime,
    ) -> Option<(UserID, Authentication)> {
        let vc = cert.with_policy(policy, time).ok()?;
        vc.userids()
            .map(|u| {
                let a = self.authenticate(cert, u.userid());
                (u.userid().clone(), a)
            })
            .max_by_key(|(_, a)| (a.level == Level::Own, a.amount))
    }
}
