//! Report pieces shared by decrypt and verify: what each signature said,
//! and what the literal data packet claimed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use sequoia_openpgp as openpgp;

use openpgp::cert::amalgamation::ValidAmalgamation;
use openpgp::packet::{Literal, Signature};
use openpgp::parse::stream::{
    MessageLayer, MessageStructure, VerificationError, VerificationResult,
};
use openpgp::policy::Policy;
use openpgp::types::{DataFormat, RevocationStatus};
use openpgp::{Cert, Fingerprint};
use serde::{Serialize, Serializer};

use super::keys::primary_user_id;

/// The verdict on one signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureStatus {
    /// Made by a valid signing key of a given cert, over this data.
    Good,
    /// The signature does not match the data, or is otherwise invalid
    /// (expired, not for us as intended recipient).
    Bad,
    /// No given cert has the issuing key.
    UnknownSigner,
    /// The signature or the signing key is rejected by the policy (e.g.
    /// SHA-1, weak key), or the key is not validly bound to its cert.
    Rejected,
    /// The signing key or its cert was expired when the signature was made.
    KeyExpired,
    /// The signing key or its cert is revoked.
    KeyRevoked,
    /// The key cannot sign, or is unusable for another reason.
    KeyInvalid,
    /// The signature packet cannot be parsed or lacks required parts.
    Malformed,
    /// A good signature made outside the accepted time range.
    OutOfRange,
}

/// One signature found in a message.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureReport {
    pub status: SignatureStatus,
    /// Why the signature is not good; `None` when it is.
    pub reason: Option<String>,
    /// The issuer named by the signature (fingerprint or key ID), if any.
    pub issuer: Option<String>,
    /// Fingerprint of the signer's cert, when the key was found.
    pub cert_fingerprint: Option<String>,
    /// Fingerprint of the (sub)key that made the signature.
    pub key_fingerprint: Option<String>,
    /// The signer's primary user ID (unsanitized: display it through the
    /// sanitizing wrapper).
    pub user_id: Option<String>,
    #[serde(serialize_with = "ser_opt_time")]
    pub creation_time: Option<SystemTime>,
    /// `binary` or `text`.
    pub signature_type: String,
    pub hash_algo: String,
    /// Whether the signer's user ID is authenticated, as the caller
    /// judged it (the ops know nothing of the web of trust).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication: Option<serde_json::Value>,
    /// The signature packet did not parse at all (which
    /// `super::lenient` may repair).
    #[serde(skip)]
    pub(crate) unparsed: bool,
}

impl SignatureReport {
    pub fn is_good(&self) -> bool {
        self.status == SignatureStatus::Good
    }

    fn from_sig(sig: &Signature, status: SignatureStatus, reason: Option<String>) -> Self {
        SignatureReport {
            status,
            reason,
            issuer: sig.get_issuers().first().map(|h| format!("{h:X}")),
            cert_fingerprint: None,
            key_fingerprint: None,
            user_id: None,
            authentication: None,
            unparsed: false,
            creation_time: sig.signature_creation_time(),
            signature_type: match sig.typ() {
                openpgp::types::SignatureType::Binary => "binary".into(),
                openpgp::types::SignatureType::Text => "text".into(),
                t => t.to_string().to_lowercase(),
            },
            hash_algo: sig.hash_algo().to_string(),
        }
    }

    fn with_signer(mut self, cert: &Cert, key: &openpgp::Fingerprint, policy: &dyn Policy) -> Self {
        self.cert_fingerprint = Some(cert.fingerprint().to_hex());
        self.key_fingerprint = Some(key.to_hex());
        self.user_id = primary_user_id(cert, policy, self.creation_time);
        self
    }

    /// Applies a not-before / not-after window to a good signature.
    pub(crate) fn constrain(
        &mut self,
        not_before: Option<SystemTime>,
        not_after: Option<SystemTime>,
    ) {
        if self.status != SignatureStatus::Good {
            return;
        }
        let Some(t) = self.creation_time else { return };
        let reason = match (not_before, not_after) {
            (Some(nb), _) if t < nb => format!(
                "made on {}, before the earliest accepted time {}",
                crate::time::rfc3339(t),
                crate::time::rfc3339(nb)
            ),
            (_, Some(na)) if t > na => format!(
                "made on {}, after the latest accepted time {}",
                crate::time::rfc3339(t),
                crate::time::rfc3339(na)
            ),
            _ => return,
        };
        self.status = SignatureStatus::OutOfRange;
        self.reason = Some(reason);
    }
}

fn has_expired(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<openpgp::Error>(),
            Some(openpgp::Error::Expired(_))
        )
    })
}

fn is_policy(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<openpgp::Error>(),
            Some(openpgp::Error::PolicyViolation(..))
        )
    })
}

/// Whether every user ID bound to the certificate (as judged at the
/// signature's time, which is when `vc` is valid) was revoked then.
/// Sequoia still accepts a key whose only user ID is revoked; zpgp treats
/// its signatures from that time as made by a revoked key, since no
/// identity was bound to it then.  A revocation with an expiration time
/// has stopped applying once it expired, as sequoia already judges.  A
/// certificate with no user ID at all (a bare key with a direct-key
/// signature) is not affected.
fn every_userid_revoked(vc: &openpgp::cert::ValidCert<'_>) -> bool {
    use openpgp::cert::amalgamation::ValidAmalgamation as _;
    let mut any = false;
    for u in vc.userids() {
        if !matches!(u.revocation_status(), RevocationStatus::Revoked(_)) {
            return false;
        }
        any = true;
    }
    any
}

/// Turns sequoia's verdict on one signature into a report entry.
pub(crate) fn signature_report(r: &VerificationResult, policy: &dyn Policy) -> SignatureReport {
    use SignatureStatus as S;
    match r {
        Ok(good) => {
            let (status, reason) = if every_userid_revoked(good.ka.valid_cert()) {
                (
                    S::KeyRevoked,
                    Some(
                        "the signer's user IDs were all revoked when the signature was made"
                            .to_string(),
                    ),
                )
            } else {
                (S::Good, None)
            };
            SignatureReport::from_sig(good.sig, status, reason).with_signer(
                good.ka.cert(),
                &good.ka.key().fingerprint(),
                policy,
            )
        }
        Err(VerificationError::MissingKey { sig }) => {
            let issuer = sig.get_issuers().first().map(|h| format!("{h:X}"));
            let reason = match &issuer {
                Some(i) => format!("no certificate for the signing key {i} was given"),
                None => "the signature names no issuer, and no given certificate made it".into(),
            };
            SignatureReport::from_sig(sig, S::UnknownSigner, Some(reason))
        }
        Err(VerificationError::UnboundKey { sig, cert, error }) => {
            let key = issuing_key(sig, cert);
            let status = if is_policy(error) {
                S::Rejected
            } else {
                S::KeyInvalid
            };
            let reason = format!(
                "the signing key is not valid: {}",
                crate::error::chain_text(error)
            );
            SignatureReport::from_sig(sig, status, Some(reason)).with_signer(cert, &key, policy)
        }
        Err(VerificationError::BadKey { sig, ka, error }) => {
            let revoked = matches!(
                ka.valid_cert().revocation_status(),
                RevocationStatus::Revoked(_)
            );
            let (status, reason) = bad_key_verdict(error, revoked);
            SignatureReport::from_sig(sig, status, Some(reason)).with_signer(
                ka.cert(),
                &ka.key().fingerprint(),
                policy,
            )
        }
        Err(VerificationError::BadSignature { sig, ka, error }) => {
            let text = crate::error::chain_text(error);
            let (status, reason) = if is_policy(error) {
                (
                    S::Rejected,
                    format!("the signature was rejected by the policy: {text}"),
                )
            } else {
                (S::Bad, format!("bad signature: {text}"))
            };
            SignatureReport::from_sig(sig, status, Some(reason)).with_signer(
                ka.cert(),
                &ka.key().fingerprint(),
                policy,
            )
        }
        Err(VerificationError::MalformedSignature { sig, error }) => SignatureReport::from_sig(
            sig,
            S::Malformed,
            Some(format!(
                "malformed signature: {}",
                crate::error::chain_text(error)
            )),
        ),
        Err(VerificationError::UnknownSignature { sig }) => SignatureReport {
            unparsed: true,
            ..unreadable(format!("unparsable signature: {}", sig.error()))
        },
        Err(e) => unreadable(e.to_string()),
    }
}

/// The key of `cert` that the signature names as its issuer, or the
/// certificate's primary key when it names none of them.
fn issuing_key(sig: &Signature, cert: &Cert) -> Fingerprint {
    sig.get_issuers()
        .iter()
        .find_map(|h| {
            cert.keys()
                .key_handle(h.clone())
                .next()
                .map(|k| k.key().fingerprint())
        })
        .unwrap_or_else(|| cert.fingerprint())
}

/// Why a signing key that is bound to its certificate could not vouch for
/// the signature: expired, revoked (as the error says, or the
/// certificate), rejected by the policy, or otherwise unusable.
fn bad_key_verdict(error: &anyhow::Error, cert_revoked: bool) -> (SignatureStatus, String) {
    use SignatureStatus as S;
    let text = crate::error::chain_text(error);
    if has_expired(error) {
        (
            S::KeyExpired,
            format!("the signing key had expired: {text}"),
        )
    } else if text.contains("revoked") || cert_revoked {
        (S::KeyRevoked, format!("the signing key is revoked: {text}"))
    } else if is_policy(error) {
        (
            S::Rejected,
            format!("the signing key was rejected by the policy: {text}"),
        )
    } else {
        (
            S::KeyInvalid,
            format!("the signing key is not usable: {text}"),
        )
    }
}

/// `repaired`, the verdicts on signatures that did not parse until
/// `super::lenient` dropped their malformed unhashed subpackets, in place
/// of the reports that they did not parse.
pub(crate) fn replace_unparsed(reports: &mut Vec<SignatureReport>, repaired: Vec<SignatureReport>) {
    let mut n = repaired.len();
    reports.retain(|r| {
        let drop = n > 0 && r.unparsed;
        n -= usize::from(drop);
        !drop
    });
    reports.extend(repaired);
}

/// The report on a signature too broken to say who made it, or how.
fn unreadable(reason: String) -> SignatureReport {
    SignatureReport {
        status: SignatureStatus::Malformed,
        reason: Some(reason),
        issuer: None,
        cert_fingerprint: None,
        key_fingerprint: None,
        user_id: None,
        authentication: None,
        unparsed: false,
        creation_time: None,
        signature_type: "unknown".into(),
        hash_algo: "unknown".into(),
    }
}

/// What a message's encryption layer used.
#[derive(Debug, Clone, Default)]
pub(crate) struct EncryptionLayer {
    pub sym_algo: String,
    pub aead_algo: Option<String>,
}

/// Good signatures over messages verified in this process and not yet
/// taken by [`take_good_message_signatures`].
static GOOD_MESSAGE_SIGNATURES: AtomicUsize = AtomicUsize::new(0);

/// How many good signatures over messages were verified since the last
/// call: the keyring's signature cache does not keep those alone.
pub fn take_good_message_signatures() -> usize {
    GOOD_MESSAGE_SIGNATURES.swap(0, Ordering::Relaxed)
}

/// Collects the signature verdicts (and the encryption layer) of a
/// message structure.
pub(crate) fn collect_structure(
    structure: MessageStructure,
    policy: &dyn Policy,
    sigs: &mut Vec<SignatureReport>,
) -> Option<EncryptionLayer> {
    let mut enc = None;
    for layer in structure.into_iter() {
        match layer {
            MessageLayer::SignatureGroup { results } => {
                GOOD_MESSAGE_SIGNATURES.fetch_add(
                    results.iter().filter(|r| r.is_ok()).count(),
                    Ordering::Relaxed,
                );
                sigs.extend(results.iter().map(|r| signature_report(r, policy)));
            }
            MessageLayer::Encryption {
                sym_algo,
                aead_algo,
            } => {
                enc = Some(EncryptionLayer {
                    sym_algo: sym_algo.to_string(),
                    aead_algo: aead_algo.map(|a| a.to_string()),
                });
            }
            MessageLayer::Compression { .. } => {}
        }
    }
    enc
}

/// What the literal data packet says about the content.  These fields are
/// not covered by signatures in OpenPGP; treat them as hints only.
#[derive(Debug, Clone, Serialize)]
pub struct LiteralInfo {
    /// `binary`, `text`, `utf8`, or `mime`.
    pub format: String,
    /// The file name in the packet, if any (unsanitized).
    pub file_name: Option<String>,
    #[serde(serialize_with = "ser_opt_time")]
    pub date: Option<SystemTime>,
    /// The sender asked that the content be shown, never stored: the
    /// file name is `_CONSOLE` (PGP 2's `-m`, gpg's
    /// `--for-your-eyes-only`).
    pub eyes_only: bool,
}

/// The literal data file name that marks a message for display only.
pub const EYES_ONLY_NAME: &str = "_CONSOLE";

impl LiteralInfo {
    /// Whether the data is text, whose line endings travel as CRLF.
    pub fn is_text(&self) -> bool {
        self.format == "text" || self.format == "utf8"
    }
}

impl From<&Literal> for LiteralInfo {
    fn from(l: &Literal) -> Self {
        #[allow(deprecated)] // DataFormat::Text: still sent by others.
        LiteralInfo {
            format: match l.format() {
                DataFormat::Binary => "binary".into(),
                DataFormat::Text => "text".into(),
                DataFormat::Unicode => "utf8".into(),
                f => f.to_string().to_lowercase(),
            },
            file_name: l
                .filename()
                .filter(|f| !f.is_empty())
                .map(|f| String::from_utf8_lossy(f).into_owned()),
            date: l.date(),
            eyes_only: l.filename() == Some(EYES_ONLY_NAME.as_bytes()),
        }
    }
}

/// Serializes an optional time as ISO 8601 UTC.
pub(crate) fn ser_opt_time<S: Serializer>(t: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&crate::time::rfc3339(*t)),
        None => s.serialize_none(),
    }
}
