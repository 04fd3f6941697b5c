//! Making a new key.

use std::time::{Duration, SystemTime};

use anyhow::{Context as _, Result};
use openpgp::cert::prelude::*;
use openpgp::crypto::Password;
use openpgp::packet::{Signature, UserID};
use openpgp::types::{Features, KeyFlags};
use sequoia_openpgp as openpgp;

use crate::error::{Failure, fail};

pub use openpgp::Profile;
pub use openpgp::cert::CipherSuite;

pub struct GenerateOptions {
    pub userids: Vec<UserID>,
    pub profile: Profile,
    pub cipher_suite: CipherSuite,
    /// How long the key is valid; `None` for no expiry.
    pub validity: Option<Duration>,
    /// Protects the secret key at rest; `None` stores it unprotected.
    pub password: Option<Password>,
    /// Use [`creation_time`] to get one that peers accept.
    pub creation_time: SystemTime,
}

/// A creation time for a key made now: whole seconds (what OpenPGP
/// stores), and a second in the past, so a signature made right away is
/// not "from the future" on a peer whose clock lags a little.
pub fn creation_time(now: SystemTime) -> SystemTime {
    let secs = now
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(1);
    std::time::UNIX_EPOCH + Duration::from_secs(secs.saturating_sub(1))
}

/// Generates a key: a certification-only primary key, a signing subkey and
/// an encryption subkey (for data in transit and at rest, as GnuPG makes
/// them).  Keeping the primary key for certification alone means the
/// everyday subkeys can be rotated without losing the identity.
///
/// Returns the key and its revocation certificate.
pub fn generate(opts: GenerateOptions) -> Result<(Cert, Signature)> {
    if opts.userids.is_empty() {
        return Err(fail(
            Failure::MissingArg,
            "a new key needs at least one user ID",
        ));
    }
    generate_key(opts, true)
}

/// Like [`generate`], but a key without user IDs is allowed (SOP
/// `generate-key` with none), and without `encryption` the key gets no
/// encryption subkey (SOP `generate-key --signing-only`).
pub fn generate_key(opts: GenerateOptions, encryption: bool) -> Result<(Cert, Signature)> {
    opts.cipher_suite.is_supported().map_err(|e| {
        fail(
            Failure::UnsupportedAsymmetricAlgo,
            format!("this build cannot make {:?} keys: {e}", opts.cipher_suite),
        )
    })?;
    let mut builder = CertBuilder::new()
        .set_profile(opts.profile)?
        .set_cipher_suite(opts.cipher_suite)
        .set_creation_time(opts.creation_time)
        .set_validity_period(opts.validity)
        .set_primary_key_flags(KeyFlags::empty().set_certification())
        .add_signing_subkey()
        .set_password(opts.password);
    if encryption {
        builder = builder.add_subkey(
            KeyFlags::empty()
                .set_transport_encryption()
                .set_storage_encryption(),
            None,
            None,
        );
    }
    if opts.profile == Profile::RFC4880 {
        // Sequoia advertises SEIPDv2 on v4 keys too; peers would then send
        // AEAD messages that GnuPG 2.2, the v4 audience, cannot read when
        // the key is shared with it.
        builder = builder.set_features(Features::empty().set_seipdv1())?;
    }
    for uid in opts.userids {
        builder = builder.add_userid(uid);
    }
    builder.generate().context("cannot generate the key")
}
