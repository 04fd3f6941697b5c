//! What the keyring's unit tests share.

use sequoia_openpgp::Cert;
use sequoia_openpgp::cert::CertBuilder;

/// A general-purpose certificate (with its secrets) for `uid`.
pub(super) fn cert(uid: &str) -> Cert {
    CertBuilder::general_purpose(Some(uid))
        .generate()
        .unwrap()
        .0
}
