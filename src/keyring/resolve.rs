//! A user's query to the one certificate it names, or the errors that
//! say none or several match.

use anyhow::Result;
use openpgp::Cert;
use sequoia_openpgp as openpgp;

use crate::error::{Error, Failure};
use crate::query::Query;

use super::Keyring;
use super::index::POLICY;

impl Keyring {
    /// The one certificate `query` names: an error when none or several
    /// match.
    pub fn find(&self, query: &str) -> Result<Cert> {
        let parsed = Query::parse(query).map_err(|e| Error::new(Failure::KeyNotFound, e))?;
        let mut found = self.lookup(&parsed)?;
        match found.len() {
            0 => Err(Error::new(
                Failure::KeyNotFound,
                format!("no key in the keyring matches {parsed}"),
            )
            .hint(
                "see the keys on file with 'zpgp list', or import the key first: zpgp import FILE",
            )
            .into()),
            1 => {
                let fpr = found.pop().expect("one");
                self.get(&fpr)?.ok_or_else(|| {
                    Error::new(
                        Failure::KeyNotFound,
                        format!("the key {fpr:X} vanished from the keyring"),
                    )
                    .into()
                })
            }
            _ => {
                let mut msg = format!("{parsed} matches {} keys:", found.len());
                for fpr in &found {
                    let uid = self
                        .get(fpr)
                        .ok()
                        .flatten()
                        .and_then(|c| crate::ops::keys::primary_user_id(&c, &POLICY, None))
                        .unwrap_or_default();
                    msg.push_str(&format!("\n  {fpr:X} {}", crate::display::Safe(&uid)));
                }
                Err(Error::new(Failure::AmbiguousInput, msg)
                    .hint("name one key by its full fingerprint")
                    .into())
            }
        }
    }
}
