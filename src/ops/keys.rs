//! Small helpers about keys shared by the operations: naming a cert in a
//! message, unlocking a secret key, formatting times.

use std::time::SystemTime;

use anyhow::Result;
use sequoia_openpgp as openpgp;

use std::sync::{Arc, Mutex, PoisonError};

use openpgp::Cert;
use openpgp::crypto::{Decryptor, KeyPair, Password, Signer, mpi};
use openpgp::packet::Key;
use openpgp::packet::key::{KeyRole, PublicParts, SecretParts, UnspecifiedRole};
use openpgp::policy::Policy;
use openpgp::types::HashAlgorithm;

use crate::error::{Error, Failure, Reason};

/// The primary user ID of `cert` as text: the policy's view if the cert
/// is valid (none when no user ID is bound), else the first user ID at all
/// (the cert is then shown as invalid anyway).  Not sanitized.
///
/// A valid cert's unbound user IDs are never used: anyone can append a
/// user ID packet to someone else's certificate.
pub fn primary_user_id(
    cert: &Cert,
    policy: &dyn Policy,
    time: Option<SystemTime>,
) -> Option<String> {
    let bytes = match cert.with_policy(policy, time) {
        Ok(vc) => vc.primary_userid().ok()?.userid().value().to_vec(),
        Err(_) => cert.userids().next()?.userid().value().to_vec(),
    };
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Names a cert for a message: `Alice <alice@example.org> (FINGERPRINT)`,
/// or just the fingerprint when it has no user ID.  Control characters in
/// the user ID are escaped so a hostile key cannot forge output.
pub fn cert_label(cert: &Cert, policy: &dyn Policy, time: Option<SystemTime>) -> String {
    match primary_user_id(cert, policy, time) {
        Some(uid) => format!("{} ({})", sanitize(&uid), cert.fingerprint()),
        None => cert.fingerprint().to_string(),
    }
}

/// A short name for hints: the user ID's name part, else the fingerprint.
pub(crate) fn cert_short_name(
    cert: &Cert,
    policy: &dyn Policy,
    time: Option<SystemTime>,
) -> String {
    match primary_user_id(cert, policy, time) {
        Some(uid) => {
            let name = uid.split('<').next().unwrap_or("").trim();
            sanitize(if name.is_empty() { &uid } else { name })
        }
        None => cert.fingerprint().to_string(),
    }
}

/// Escapes control characters (terminal escapes, newlines) in text that
/// comes from other people's keys or messages.
pub(crate) fn sanitize(s: &str) -> String {
    // The one sanitizing display: control characters, terminal escapes,
    // bidi overrides and overlong text, all handled alike everywhere.
    crate::display::Safe(s).to_string()
}

/// Makes a signing or decryption key pair out of a secret key, decrypting
/// the secret with `password` if it is protected.
///
/// Fails with [`Failure::KeyIsProtected`] when the passphrase is wrong, or
/// when the key is protected and no passphrase was given.
pub fn unlock<R: KeyRole + Clone>(
    key: &Key<SecretParts, R>,
    password: Option<&Password>,
) -> Result<KeyPair> {
    // Not `role_into_unspecified`: it forgets whether this is a subkey,
    // and sequoia needs that to decrypt an AEAD-protected (v6) secret.
    let key = key.role_as_unspecified().clone();
    if key.has_unencrypted_secret() {
        return key.into_keypair();
    }
    let fpr = key.fingerprint();
    let Some(password) = password else {
        return Err(Error::new(
            Failure::KeyIsProtected,
            format!("key {fpr} is protected by a passphrase, and none was given"),
        )
        .hint("give the key's passphrase")
        .reason(Reason::GenericPassphraseHint)
        .into());
    };
    match key.decrypt_secret(password) {
        Ok(key) => key.into_keypair(),
        Err(_) => Err(Error::new(
            Failure::KeyIsProtected,
            format!("wrong passphrase for key {fpr}"),
        )
        .into()),
    }
}

/// A key ready to sign, here or elsewhere (the agent): cheap to clone,
/// so one key signs each file of a run.
#[derive(Clone)]
pub struct SigningKey {
    public: Key<PublicParts, UnspecifiedRole>,
    signer: Arc<Mutex<Box<dyn Signer + Send + Sync>>>,
    /// The hash algorithms its certificate prefers (none known: empty).
    preferred_hashes: Vec<HashAlgorithm>,
}

impl SigningKey {
    pub fn new(signer: impl Signer + Send + Sync + 'static) -> Self {
        SigningKey {
            public: signer.public().clone(),
            signer: Arc::new(Mutex::new(Box::new(signer))),
            preferred_hashes: Vec::new(),
        }
    }

    pub fn public(&self) -> &Key<PublicParts, UnspecifiedRole> {
        &self.public
    }

    /// Signs with the first of `hashes` that fits (see
    /// [`super::sign::preferred_hashes`]).
    pub fn with_preferred_hashes(mut self, hashes: Vec<HashAlgorithm>) -> Self {
        self.preferred_hashes = hashes;
        self
    }

    pub fn preferred_hashes(&self) -> &[HashAlgorithm] {
        &self.preferred_hashes
    }
}

impl From<KeyPair> for SigningKey {
    fn from(pair: KeyPair) -> Self {
        SigningKey::new(pair)
    }
}

impl Signer for SigningKey {
    fn public(&self) -> &Key<PublicParts, UnspecifiedRole> {
        &self.public
    }

    fn sign(&mut self, hash_algo: HashAlgorithm, digest: &[u8]) -> Result<mpi::Signature> {
        self.signer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .sign(hash_algo, digest)
    }
}

/// A decryption key ready to use, here or in the agent.
pub type DecryptionKey = Box<dyn Decryptor + Send + Sync>;

/// What a [`KeyStore`] made of a passphrase.
pub enum Unlocked {
    Key(DecryptionKey),
    WrongPassphrase,
    /// The store could not be asked; unlock the key here instead.
    Unavailable,
}

/// Somewhere that keeps secret keys unlocked between runs (the agent):
/// asked before a locked key's passphrase is, and handed the passphrases
/// that unlock keys.
pub trait KeyStore {
    /// `key` of `cert`, if the store holds it unlocked.
    fn unlocked(
        &mut self,
        cert: &Cert,
        key: &Key<SecretParts, UnspecifiedRole>,
    ) -> Option<DecryptionKey>;

    /// Unlocks `key` of `cert` in the store with `password`.
    fn unlock(
        &mut self,
        cert: &Cert,
        key: &Key<SecretParts, UnspecifiedRole>,
        password: &Password,
    ) -> Unlocked;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes_control_characters() {
        assert_eq!(sanitize("a\x1b[2Jb\nc"), "a\\u{1b}[2Jb\\u{a}c");
        // Bidi overrides and overlong user IDs too, as in every display.
        assert_eq!(sanitize("\u{202E}x"), "\\u{202e}x");
        assert!(sanitize(&"a".repeat(5000)).chars().count() < 300);
    }
}
