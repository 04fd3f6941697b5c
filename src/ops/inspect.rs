//! What a file is, told without any secret: certificates and secret keys,
//! encrypted messages (recipients, packet format), signed messages,
//! detached and cleartext signatures.
//!
//! The walk streams: an encrypted message is read only up to the header of
//! its encrypted container, and the body of a signed message is skipped,
//! not held, on the way to its signatures.

use std::io::Read;
use std::time::SystemTime;

use anyhow::Result;
use openpgp::cert::CertParser;
use openpgp::crypto::S2K;
use openpgp::packet::key::SecretKeyMaterial;
use openpgp::packet::{PKESK, Packet, SEIP, SKESK, Signature, Tag};
use openpgp::parse::{PacketParser, PacketParserBuilder, PacketParserResult, Parse};
use openpgp::policy::Policy;
use openpgp::types::SignatureType;
use openpgp::{Cert, KeyHandle};
use sequoia_openpgp as openpgp;
use serde::Serialize;

use super::armor::first_tag;
use super::errors::{Stage, classify};
use super::keyinfo::{self, CertInfo};
use super::report::LiteralInfo;
use crate::error::{Error, Failure, failure_of};
use crate::time::rfc3339;

/// What kind of OpenPGP data a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// One or more certificates (public keys).
    Certificate,
    /// One or more secret keys (with or without further certificates).
    SecretKey,
    /// An encrypted message (to keys and/or a password).
    EncryptedMessage,
    /// An inline-signed message.
    SignedMessage,
    /// Text signed with the cleartext signature framework.
    CleartextSigned,
    /// Signatures without the data they sign.
    DetachedSignature,
    /// A key revocation signature alone.
    RevocationCertificate,
    /// A literal data packet, neither signed nor encrypted.
    PlainMessage,
}

impl FileKind {
    /// A phrase for people.
    pub fn describe(self) -> &'static str {
        match self {
            FileKind::Certificate => "certificate (public key)",
            FileKind::SecretKey => "secret key",
            FileKind::EncryptedMessage => "encrypted message",
            FileKind::SignedMessage => "signed message",
            FileKind::CleartextSigned => "cleartext-signed text",
            FileKind::DetachedSignature => "detached signature",
            FileKind::RevocationCertificate => "revocation certificate",
            FileKind::PlainMessage => "OpenPGP message, neither signed nor encrypted",
        }
    }
}

/// The JSON schema of `zpgp inspect --json` (documented in the README).
#[derive(Debug, Clone, Serialize)]
pub struct InspectReport {
    pub kind: FileKind,
    pub armored: bool,
    /// Certificates and secret keys, for key files.
    pub certs: Vec<InspectedCert>,
    /// For encrypted messages.
    pub encryption: Option<EncryptionInfo>,
    /// Whether the message is signed: `null` when the signatures, if any,
    /// are inside the encryption.
    pub signed: Option<bool>,
    /// Signatures, and for signed messages the signers announced by
    /// one-pass signature packets.  Not verified: that is `zpgp verify`.
    pub signatures: Vec<SignatureInfo>,
    /// The compression algorithm of a compressed message.
    pub compression: Option<String>,
    /// The literal data packet of an unencrypted message.
    pub literal: Option<LiteralInfo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InspectedCert {
    #[serde(flatten)]
    pub info: CertInfo,
    /// The keys whose secret part the file holds.
    pub secret_keys: Vec<SecretKeyState>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecretKeyState {
    pub fingerprint: String,
    /// Whether the secret part is encrypted with a passphrase.
    pub protected: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EncryptionInfo {
    /// `SEIPDv1`, `SEIPDv2`, `SED` (no integrity protection) or
    /// `LibrePGP OCB Encrypted Data` (GnuPG 2.3+, tag 20).
    pub format: String,
    pub integrity_protected: bool,
    /// The cipher, where the packet names it (SEIPDv2).
    pub cipher: Option<String>,
    /// The AEAD mode of SEIPDv2: `OCB`, `EAX` or `GCM`.
    pub aead: Option<String>,
    pub chunk_size: Option<u64>,
    pub recipients: Vec<RecipientInfo>,
    pub passwords: Vec<PasswordInfo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecipientInfo {
    /// Version of the PKESK packet (3 or 6).
    pub version: u8,
    /// The recipient key ID or fingerprint; `null` for a hidden recipient.
    pub key: Option<String>,
    pub algorithm: String,
    /// The certificate holding that key, when the caller knows it.
    pub cert_fingerprint: Option<String>,
    /// Its primary user ID (unsanitized: display it through the
    /// sanitizing wrapper).
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PasswordInfo {
    /// Version of the SKESK packet (4 or 6).
    pub version: u8,
    pub cipher: String,
    pub aead: Option<String>,
    /// How the key is derived from the password: `argon2`, `iterated`, …
    pub s2k: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SignatureInfo {
    /// `binary`, `text`, `key_revocation`, …; `one_pass` for a signer
    /// announced by a one-pass signature packet whose signature was not
    /// reached.
    pub signature_type: String,
    /// The issuing key's fingerprint or key ID, as the signature names it.
    pub issuer: Option<String>,
    pub algorithm: String,
    pub hash_algo: String,
    pub created: Option<String>,
    pub cert_fingerprint: Option<String>,
    pub user_id: Option<String>,
}

/// How inspect names keys: the caller's certificates, found by key handle.
pub struct Naming<'a> {
    pub lookup: Option<&'a super::CertLookup<'a>>,
    pub policy: &'a dyn Policy,
    pub time: SystemTime,
}

impl Naming<'_> {
    /// The certificate holding `handle`, and its primary user ID.
    fn name(&self, handle: &KeyHandle) -> (Option<String>, Option<String>) {
        let Some(lookup) = self.lookup else {
            return (None, None);
        };
        let certs = lookup(std::slice::from_ref(handle));
        let Some(cert) = certs
            .iter()
            .find(|c| c.keys().any(|k| k.key().key_handle().aliases(handle)))
        else {
            return (None, None);
        };
        let uid = super::keys::primary_user_id(cert, self.policy, Some(self.time));
        (Some(format!("{:X}", cert.fingerprint())), uid)
    }
}

/// Tells what `input` is.  Never asks for or needs a secret; fails with
/// [`Failure::BadData`] on input that is not OpenPGP, saying what it seems
/// to be instead.
pub fn inspect(mut input: impl Read + Send + Sync, naming: &Naming) -> Result<InspectReport> {
    // An input no longer than its start (nearly every one) is parsed from
    // memory; `zpgp verify` inspects each of its files.
    let (head, whole) = super::read_start(&mut input, super::IO_BUFFER_SIZE)
        .map_err(|e| anyhow::Error::from(e).context("reading the input"))?;
    let head = &head[..];
    if head.is_empty() {
        return Err(Error::new(Failure::BadData, "the input is empty").into());
    }
    // Armor may follow some text (a revocation certificate's note, an
    // email's headers): the armor reader skips it.
    let armor = armor_start(head);
    let armored = armor.is_some();
    let cleartext = armor.is_some_and(|a| a.starts_with(b"-----BEGIN PGP SIGNED MESSAGE-----"));
    if !armored {
        if let Some(what) = super::sniff::looks_like(trim_start(head)) {
            return Err(not_openpgp(&format!("looks like {what}")));
        }
        if first_tag(head[0]).is_none() {
            return Err(not_openpgp("it does not start with an OpenPGP packet"));
        }
    }

    let builder = if whole {
        PacketParserBuilder::from_bytes(head)
    } else {
        PacketParserBuilder::from_reader(std::io::Cursor::new(head).chain(input))
    };
    let ppr = builder
        .and_then(|b| b.automatic_hashing(false).process_csf_message(true).build())
        .map_err(bad)?;
    let first = match &ppr {
        PacketParserResult::Some(pp) => pp.packet.tag(),
        PacketParserResult::EOF(_) => {
            return Err(not_openpgp("it holds no OpenPGP packet"));
        }
    };
    if let PacketParserResult::Some(pp) = &ppr {
        if let Packet::Unknown(u) = &pp.packet {
            // LibrePGP's version 5 password packet, which sequoia does not
            // parse, and signatures with junk in their unhashed area: the
            // walk reads them.
            if u.tag() == Tag::SKESK || u.tag() == Tag::Signature {
                return finish_message(ppr, naming, report_for_message(armored), cleartext);
            }
            return Err(not_openpgp(&format!(
                "its first packet (a {}) cannot be parsed: {}",
                u.tag(),
                u.error()
            )));
        }
    }

    let mut report = report_for_message(armored);

    if matches!(first, Tag::PublicKey | Tag::SecretKey) {
        inspect_certs(ppr, naming, &mut report)?;
        return Ok(report);
    }
    finish_message(ppr, naming, report, cleartext)
}

fn report_for_message(armored: bool) -> InspectReport {
    InspectReport {
        kind: FileKind::PlainMessage,
        armored,
        certs: Vec::new(),
        encryption: None,
        signed: Some(false),
        signatures: Vec::new(),
        compression: None,
        literal: None,
    }
}

fn finish_message(
    ppr: PacketParserResult<'_>,
    naming: &Naming,
    mut report: InspectReport,
    cleartext: bool,
) -> Result<InspectReport> {
    walk_message(ppr, naming, &mut report)?;
    report.kind = message_kind(&mut report, cleartext)?;
    Ok(report)
}

/// Certificates, secret keys and revocation certificates.
fn inspect_certs(
    ppr: PacketParserResult<'_>,
    naming: &Naming,
    report: &mut InspectReport,
) -> Result<()> {
    let mut revocation_only = true;
    for cert in CertParser::from(ppr) {
        let cert = cert.map_err(bad)?;
        // A bare primary key with its revocation: what generate and
        // gpg --gen-revoke write.
        revocation_only &= cert.userids().next().is_none()
            && cert.keys().subkeys().next().is_none()
            && cert.primary_key().self_revocations().next().is_some();
        report.certs.push(inspect_cert(&cert, naming));
    }
    report.kind = if revocation_only {
        FileKind::RevocationCertificate
    } else if report.certs.iter().any(|c| !c.secret_keys.is_empty()) {
        FileKind::SecretKey
    } else {
        FileKind::Certificate
    };
    report.signed = None;
    Ok(())
}

/// What kind of message `walk_message` found, and whether to call it
/// signed: an encrypted message's signatures are out of sight.
fn message_kind(report: &mut InspectReport, cleartext: bool) -> Result<FileKind> {
    Ok(if report.encryption.is_some() {
        report.signed = None;
        FileKind::EncryptedMessage
    } else if report.literal.is_some() {
        report.signed = Some(!report.signatures.is_empty());
        if cleartext {
            FileKind::CleartextSigned
        } else if report.signatures.is_empty() {
            FileKind::PlainMessage
        } else {
            FileKind::SignedMessage
        }
    } else if !report.signatures.is_empty() {
        report.signed = None;
        let revocation = report
            .signatures
            .iter()
            .all(|s| s.signature_type == "key_revocation");
        if revocation {
            FileKind::RevocationCertificate
        } else {
            FileKind::DetachedSignature
        }
    } else {
        return Err(not_openpgp(
            "it holds OpenPGP packets, but neither keys, a message nor signatures",
        ));
    })
}

/// Walks a message's packets; stops at an encrypted container.
fn walk_message(
    mut ppr: PacketParserResult,
    naming: &Naming,
    report: &mut InspectReport,
) -> Result<()> {
    let mut one_pass: Vec<(KeyHandle, SignatureInfo)> = Vec::new();
    let mut issuers: Vec<KeyHandle> = Vec::new();
    while let PacketParserResult::Some(mut pp) = ppr {
        let mut descend = false;
        if matches!(&pp.packet, Packet::Unknown(u) if u.tag() == Tag::Signature) {
            // Into the packet, for `lenient::repaired`: a signature is
            // small.
            pp.buffer_unread_content().map_err(bad)?;
        }
        if let Some(found) = librepgp_packet(&mut pp, report) {
            if found? {
                return Ok(());
            }
            ppr = pp.next().map_err(bad)?.1;
            continue;
        }
        match &pp.packet {
            Packet::PKESK(p) => {
                encryption(report).recipients.push(recipient(p, naming));
            }
            Packet::SKESK(s) => {
                encryption(report).passwords.push(password(s));
            }
            Packet::SEIP(s) => {
                let e = encryption(report);
                e.integrity_protected = true;
                match s {
                    SEIP::V2(s) => {
                        e.format = "SEIPDv2".into();
                        e.cipher = Some(s.symmetric_algo().to_string());
                        e.aead = Some(s.aead().to_string());
                        e.chunk_size = Some(s.chunk_size());
                    }
                    _ => e.format = "SEIPDv1".into(),
                }
                // The container header is all there is to tell without
                // the key: the body is not read.
                return Ok(());
            }
            Packet::Unknown(u) if u.tag() == Tag::SED => {
                encryption(report).format = "SED".into();
                return Ok(());
            }
            Packet::OnePassSig(o) => {
                let handle: KeyHandle = o.issuer().clone();
                let (cert_fingerprint, user_id) = naming.name(&handle);
                one_pass.push((
                    handle.clone(),
                    SignatureInfo {
                        signature_type: "one_pass".into(),
                        issuer: Some(format!("{:X}", &handle)),
                        algorithm: keyinfo::pk_algo_name(o.pk_algo()),
                        hash_algo: o.hash_algo().to_string(),
                        created: None,
                        cert_fingerprint,
                        user_id,
                    },
                ));
            }
            Packet::Signature(s) => {
                issuers.extend(s.get_issuers());
                report.signatures.push(signature(s, naming));
            }
            Packet::Literal(l) => report.literal = Some(l.into()),
            Packet::CompressedData(c) => {
                report.compression = Some(c.algo().to_string());
                descend = true;
            }
            Packet::Unknown(u) if super::lenient::repaired(u).is_some() => {
                let s = super::lenient::repaired(u).expect("repaired");
                issuers.extend(s.get_issuers());
                report.signatures.push(signature(&s, naming));
            }
            Packet::Unknown(u) => {
                return Err(Error::new(
                    Failure::BadData,
                    format!(
                        "damaged OpenPGP data: a {} cannot be parsed: {}",
                        u.tag(),
                        u.error()
                    ),
                )
                .into());
            }
            _ => {}
        }
        ppr = if descend {
            pp.recurse().map_err(bad)?.1
        } else {
            pp.next().map_err(bad)?.1
        };
    }
    // One-pass signers whose signatures never came (a truncated message).
    for (handle, o) in one_pass {
        if !issuers.iter().any(|i| i.aliases(&handle)) {
            report.signatures.push(o);
        }
    }
    Ok(())
}

/// LibrePGP's packets, which sequoia leaves unparsed: a version 5
/// password packet (`Some(Ok(false))`, the walk goes on) or the OCB
/// Encrypted Data container (`Some(Ok(true))`, the walk ends there).
fn librepgp_packet(pp: &mut PacketParser<'_>, report: &mut InspectReport) -> Option<Result<bool>> {
    use openpgp::parse::buffered_reader::BufferedReader;
    let tag = match &pp.packet {
        Packet::Unknown(u) if matches!(u.tag(), Tag::SKESK | Tag::AED) => u.tag(),
        _ => return None,
    };
    if tag == Tag::SKESK {
        let body = match pp.steal_eof() {
            Ok(b) => b,
            Err(e) => return Some(Err(bad(e.into()))),
        };
        let info = match super::librepgp::Skesk5::parse(&body) {
            Ok(s) => PasswordInfo {
                version: 5,
                cipher: s.sym.to_string(),
                aead: Some(s.aead.to_string()),
                s2k: s2k_name(&s.s2k),
            },
            Err(_) => unknown_password(body.first().copied().unwrap_or(0)),
        };
        encryption(report).passwords.push(info);
        return Some(Ok(false));
    }
    let e = encryption(report);
    e.format = "LibrePGP OCB Encrypted Data".into();
    e.integrity_protected = true;
    if let Ok(aed) = super::librepgp::read_header(pp) {
        e.cipher = Some(aed.sym.to_string());
        e.aead = Some(aed.aead.to_string());
        e.chunk_size = Some(aed.chunk_size() as u64);
    }
    Some(Ok(true))
}

fn encryption(report: &mut InspectReport) -> &mut EncryptionInfo {
    report.encryption.get_or_insert_with(|| EncryptionInfo {
        format: "unknown (no encrypted data follows)".into(),
        integrity_protected: false,
        cipher: None,
        aead: None,
        chunk_size: None,
        recipients: Vec::new(),
        passwords: Vec::new(),
    })
}

fn recipient(p: &PKESK, naming: &Naming) -> RecipientInfo {
    let handle = p.recipient();
    let (cert_fingerprint, user_id) = match &handle {
        Some(h) => naming.name(h),
        None => (None, None),
    };
    RecipientInfo {
        version: p.version(),
        key: handle.as_ref().map(|h| format!("{h:X}")),
        algorithm: keyinfo::pk_algo_name(p.pk_algo()),
        cert_fingerprint,
        user_id,
    }
}

fn password(s: &SKESK) -> PasswordInfo {
    let (cipher, aead, s2k) = match s {
        SKESK::V6(s) => (s.symmetric_algo(), Some(s.aead_algo().to_string()), s.s2k()),
        SKESK::V4(s) => (s.symmetric_algo(), None, s.s2k()),
        _ => return unknown_password(s.version()),
    };
    PasswordInfo {
        version: s.version(),
        cipher: cipher.to_string(),
        aead,
        s2k: s2k_name(s2k),
    }
}

fn unknown_password(version: u8) -> PasswordInfo {
    PasswordInfo {
        version,
        cipher: "unknown".into(),
        aead: None,
        s2k: "unknown".into(),
    }
}

#[allow(deprecated)] // Old S2K kinds still have to be named.
fn s2k_name(s2k: &S2K) -> String {
    match s2k {
        S2K::Argon2 { .. } => "argon2".into(),
        S2K::Iterated { .. } => "iterated".into(),
        S2K::Salted { .. } => "salted".into(),
        S2K::Simple { .. } => "simple".into(),
        S2K::Implicit => "implicit".into(),
        other => other.to_string().to_lowercase(),
    }
}

fn signature(s: &Signature, naming: &Naming) -> SignatureInfo {
    let issuers = s.get_issuers();
    // A fingerprint names the key better than a key ID.
    let issuer = issuers
        .iter()
        .find(|h| matches!(h, KeyHandle::Fingerprint(_)))
        .or(issuers.first())
        .cloned();
    let (cert_fingerprint, user_id) = match &issuer {
        Some(h) => naming.name(h),
        None => (None, None),
    };
    SignatureInfo {
        signature_type: signature_type(s.typ()),
        issuer: issuer.as_ref().map(|h| format!("{h:X}")),
        algorithm: keyinfo::pk_algo_name(s.pk_algo()),
        hash_algo: s.hash_algo().to_string(),
        created: s.signature_creation_time().map(rfc3339),
        cert_fingerprint,
        user_id,
    }
}

fn signature_type(t: SignatureType) -> String {
    use SignatureType::*;
    match t {
        Binary => "binary".into(),
        Text => "text".into(),
        Standalone => "standalone".into(),
        KeyRevocation => "key_revocation".into(),
        SubkeyRevocation => "subkey_revocation".into(),
        CertificationRevocation => "certification_revocation".into(),
        DirectKey => "direct_key".into(),
        GenericCertification
        | PersonaCertification
        | CasualCertification
        | PositiveCertification => "certification".into(),
        SubkeyBinding => "subkey_binding".into(),
        PrimaryKeyBinding => "primary_key_binding".into(),
        other => other.to_string().to_lowercase(),
    }
}

fn inspect_cert(cert: &Cert, naming: &Naming) -> InspectedCert {
    let mut info = keyinfo::describe(cert, naming.policy, naming.time);
    let secret_keys: Vec<SecretKeyState> = cert
        .keys()
        .secret()
        .map(|ka| SecretKeyState {
            fingerprint: format!("{:X}", ka.key().fingerprint()),
            protected: matches!(ka.key().secret(), SecretKeyMaterial::Encrypted(_)),
        })
        .collect();
    info.secret = !secret_keys.is_empty();
    InspectedCert { info, secret_keys }
}

/// Where the first armor header line starts, if any.
fn armor_start(buf: &[u8]) -> Option<&[u8]> {
    const HEADER: &[u8] = b"-----BEGIN PGP ";
    let t = trim_start(buf);
    if t.starts_with(HEADER) {
        return Some(t);
    }
    buf.windows(HEADER.len() + 1)
        .position(|w| w[0] == b'\n' && &w[1..] == HEADER)
        .map(|i| &buf[i + 1..])
}

fn trim_start(buf: &[u8]) -> &[u8] {
    let start = buf
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(buf.len());
    &buf[start..]
}

fn not_openpgp(why: &str) -> anyhow::Error {
    Error::new(Failure::BadData, format!("not OpenPGP data: {why}")).into()
}

/// A parse error: damaged or not OpenPGP.  Every failure to parse is bad
/// data here; inspect never decrypts, so nothing else can go wrong.
fn bad(e: anyhow::Error) -> anyhow::Error {
    let e = classify(e, Stage::Parse);
    if failure_of(&e).is_some() {
        return e;
    }
    let msg = format!("the input is not valid OpenPGP data: {e}");
    e.context(Error::new(Failure::BadData, msg))
}
