//! Verification of detached, inline and cleartext signatures.
//!
//! [`verify`] reads a signed message (inline or cleartext, detected) and
//! streams the signed content to a writer.  Sequoia holds back up to
//! [`VerifyOptions::buffer_size`] bytes: content no larger than that is
//! verified before the first byte is written; larger content is written
//! as it is read, and the verdict comes at the end.  Either way the
//! verdict is in the report: a caller that must not release unverified
//! content writes to a temporary file and keeps it only if
//! [`VerifyReport::check`] passes.

use std::io::{BufRead, BufWriter, Read, Write};
use std::time::SystemTime;

use anyhow::{Context, Result};
use sequoia_openpgp as openpgp;

use openpgp::parse::stream::{
    DetachedVerifierBuilder, MessageStructure, VerificationHelper, VerifierBuilder,
};
use openpgp::parse::{PacketParser, Parse};
use openpgp::policy::Policy;
use openpgp::{Cert, Fingerprint, KeyHandle, Packet};
use serde::Serialize;

use super::errors::{Stage, classify, damaged, read_error};
use super::report::{LiteralInfo, SignatureReport, SignatureStatus, collect_structure};
use crate::error::{Error, Failure};

/// What to verify against.
pub struct VerifyOptions<'a> {
    pub policy: &'a dyn Policy,
    /// Reference time; `None` is now.
    pub time: Option<SystemTime>,
    /// Certs whose signatures count.
    pub certs: Vec<Cert>,
    /// Looks up more certs by issuer, on top of `certs`.
    pub cert_lookup: Option<&'a super::CertLookup<'a>>,
    /// Signatures made before this are reported as out of range.
    pub not_before: Option<SystemTime>,
    /// Signatures made after this are reported as out of range.
    pub not_after: Option<SystemTime>,
    /// How much content to verify before releasing it
    /// ([`super::DEFAULT_BUFFER_SIZE`]).
    pub buffer_size: usize,
    /// Write an inline-signed message's text-mode data (literal format
    /// `t` or `u`) with LF line endings instead of the CRLF it travels
    /// with, as gpg does; binary data is never touched.
    pub native_line_endings: bool,
    /// Fail with [`Failure::EyesOnly`] before any content is written when
    /// an inline-signed message is marked for display only.
    pub refuse_eyes_only: bool,
}

impl<'a> VerifyOptions<'a> {
    pub fn new(policy: &'a dyn Policy, certs: Vec<Cert>) -> Self {
        VerifyOptions {
            policy,
            time: None,
            certs,
            cert_lookup: None,
            not_before: None,
            not_after: None,
            buffer_size: super::DEFAULT_BUFFER_SIZE,
            native_line_endings: false,
            refuse_eyes_only: false,
        }
    }
}

/// The kind of signed input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignedKind {
    Inline,
    Cleartext,
    Detached,
}

/// Every signature found, and its verdict.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub kind: SignedKind,
    pub signatures: Vec<SignatureReport>,
    /// The literal data packet of an inline message.
    pub literal: Option<LiteralInfo>,
    /// Content bytes written (inline and cleartext), or hashed (detached).
    pub bytes: u64,
    /// Malformed subpackets dropped from signatures' unhashed areas (see
    /// `super::lenient`).
    pub dropped_unhashed_subpackets: usize,
}

impl VerifyReport {
    pub fn good_signatures(&self) -> impl Iterator<Item = &SignatureReport> {
        self.signatures.iter().filter(|s| s.is_good())
    }

    /// At least one good signature?
    pub fn is_good(&self) -> bool {
        self.good_signatures().next().is_some()
    }

    /// Succeeds when there is a good signature and a good signature by
    /// each `required` signer.  Fails with [`Failure::NoSignature`] when
    /// nothing good was found or a required signer is missing (the
    /// specification's "no acceptable signature").
    pub fn check(&self, required: &[RequiredSigner]) -> Result<()> {
        if !self.is_good() {
            let why = if self.signatures.is_empty() {
                "the input has no signature".to_string()
            } else {
                let reasons: Vec<_> = self
                    .signatures
                    .iter()
                    .filter_map(|s| s.reason.clone())
                    .collect();
                format!("no valid signature: {}", reasons.join("; "))
            };
            let mut e = Error::new(Failure::NoSignature, why);
            if self
                .signatures
                .iter()
                .any(|s| s.status == SignatureStatus::UnknownSigner)
            {
                e = e.hint("import the signer's certificate first");
            }
            return Err(e.into());
        }
        check_required(&self.signatures, required)
    }
}

/// A signer the caller insists on: a certificate and, when the caller
/// named one of its subkeys, that very key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredSigner {
    pub cert: Fingerprint,
    pub key: Option<Fingerprint>,
}

impl RequiredSigner {
    /// Any signing key of this certificate.
    pub fn cert(cert: Fingerprint) -> Self {
        RequiredSigner { cert, key: None }
    }

    /// Whether `sig` is a good signature by this signer.  A signature
    /// counts for the certificate sequoia checked it with, never for one
    /// that merely carries the same key packet.
    pub fn is_met_by(&self, sig: &SignatureReport) -> bool {
        sig.is_good()
            && sig.cert_fingerprint.as_deref() == Some(&self.cert.to_hex())
            && self
                .key
                .as_ref()
                .is_none_or(|k| sig.key_fingerprint.as_deref() == Some(&k.to_hex()))
    }
}

impl std::fmt::Display for RequiredSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.key {
            Some(k) => write!(f, "the key {k:X} of {:X}", self.cert),
            None => write!(f, "{:X}", self.cert),
        }
    }
}

/// Succeeds when every required signer made one of the good `signatures`;
/// fails with [`Failure::NoSignature`] naming those who did not.
pub fn check_required(signatures: &[SignatureReport], required: &[RequiredSigner]) -> Result<()> {
    let missing: Vec<String> = required
        .iter()
        .filter(|r| !signatures.iter().any(|s| r.is_met_by(s)))
        .map(|r| r.to_string())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::new(
        Failure::NoSignature,
        format!("no valid signature by {}", missing.join(", ")),
    )
    .into())
}

struct Helper<'h> {
    certs: &'h [Cert],
    lookup: Option<&'h super::CertLookup<'h>>,
    policy: &'h dyn Policy,
    signatures: Vec<SignatureReport>,
    literal: Option<LiteralInfo>,
    /// A signature packet did not parse (see `super::lenient`).
    unparsed_signature: bool,
}

impl<'h> Helper<'h> {
    fn new(opts: &'h VerifyOptions) -> Self {
        Helper {
            certs: &opts.certs,
            lookup: opts.cert_lookup,
            policy: opts.policy,
            signatures: Vec::new(),
            literal: None,
            unparsed_signature: false,
        }
    }
}

impl VerificationHelper for Helper<'_> {
    fn inspect(&mut self, pp: &PacketParser) -> openpgp::Result<()> {
        match &pp.packet {
            Packet::Literal(l) => self.literal = Some(l.into()),
            Packet::Unknown(u) if u.tag() == openpgp::packet::Tag::Signature => {
                self.unparsed_signature = true;
            }
            Packet::PKESK(_) | Packet::SKESK(_) | Packet::SEIP(_) => {
                return Err(
                    Error::new(Failure::BadData, "the input is an encrypted message")
                        .hint("use decrypt, with the certs to verify with")
                        .into(),
                );
            }
            _ => {}
        }
        Ok(())
    }

    fn get_certs(&mut self, ids: &[KeyHandle]) -> openpgp::Result<Vec<Cert>> {
        let mut certs = self.certs.to_vec();
        if let Some(lookup) = self.lookup {
            certs.extend(lookup(ids));
        }
        Ok(certs)
    }

    fn check(&mut self, structure: MessageStructure) -> openpgp::Result<()> {
        collect_structure(structure, self.policy, &mut self.signatures);
        Ok(())
    }
}

fn finish(helper: Helper, kind: SignedKind, bytes: u64, opts: &VerifyOptions) -> VerifyReport {
    let mut signatures = helper.signatures;
    for s in &mut signatures {
        s.constrain(opts.not_before, opts.not_after);
    }
    VerifyReport {
        kind,
        signatures,
        literal: helper.literal,
        bytes,
        dropped_unhashed_subpackets: 0,
    }
}

/// Verifies an inline-signed or cleartext-signed message (armored or not,
/// detected) and streams its content to `output`.
///
/// Bad, unknown or missing signatures are not errors: they are in the
/// report, and [`VerifyReport::check`] decides.  Errors are for input that
/// is not a signed message or is damaged ([`Failure::BadData`]).
pub fn verify(
    input: impl Read + Send + Sync,
    output: impl Write,
    opts: &VerifyOptions,
) -> Result<VerifyReport> {
    super::guard_parser(move || verify_unguarded(input, output, opts))
}

fn verify_unguarded(
    input: impl Read + Send + Sync,
    output: impl Write,
    opts: &VerifyOptions,
) -> Result<VerifyReport> {
    let helper = Helper::new(opts);
    let mut copy = Some(Vec::new());
    let input = super::lenient::Capture {
        inner: input,
        copy: &mut copy,
    };
    let mut input = std::io::BufReader::with_capacity(super::IO_BUFFER_SIZE, input);
    super::errors::check_looks_like_openpgp(&mut input)?;
    let mut verifier = VerifierBuilder::from_reader(input)
        .map_err(|e| damaged(classify(e, Stage::Verify)))?
        .buffer_size(opts.buffer_size)
        .with_policy(opts.policy, opts.time, helper)
        .map_err(|e| damaged(classify(e, Stage::Verify)))?;
    let kind = if verifier.processing_csf_message() == Some(true) {
        SignedKind::Cleartext
    } else {
        SignedKind::Inline
    };
    // The literal data's header has been read by now.
    let literal = verifier.helper_ref().literal.as_ref();
    if opts.refuse_eyes_only && literal.is_some_and(|l| l.eyes_only) {
        return Err(Error::new(
            Failure::EyesOnly,
            "the message is marked for your eyes only: it is shown on a terminal, never \
             written to a file or a pipe",
        )
        .into());
    }
    let text = kind == SignedKind::Inline
        && opts.native_line_endings
        && literal.is_some_and(LiteralInfo::is_text);
    let output = super::text::FromCrlf::new(
        output,
        std::sync::Arc::new(std::sync::atomic::AtomicBool::new(text)),
    );
    let mut out = BufWriter::with_capacity(super::IO_BUFFER_SIZE, output);
    let n = super::copy(&mut verifier, &mut out, read_error(Stage::Verify))?;
    if !verifier.message_processed() {
        return Err(Error::new(Failure::BadData, "the message ended before its signatures").into());
    }
    out.flush().context("writing output")?;
    let helper = verifier.into_helper();
    let unparsed = helper.unparsed_signature;
    let mut report = finish(helper, kind, n, opts);
    if unparsed {
        report.dropped_unhashed_subpackets =
            repair_unparsed(copy, None, opts, &mut report.signatures);
    }
    Ok(report)
}

/// For a message with a signature packet that did not parse: reads
/// `message` (the copy `super::lenient::Capture` kept, `None` when it was
/// too large; with the `session_key` that opened it, if encrypted) again
/// for the signatures `super::lenient` can repair, and puts their verdicts
/// in place of the "unparsable" reports in `signatures`.  Returns how many
/// unhashed subpackets were dropped.
pub(crate) fn repair_unparsed(
    message: Option<Vec<u8>>,
    session_key: Option<(
        Option<openpgp::types::SymmetricAlgorithm>,
        &openpgp::crypto::SessionKey,
    )>,
    opts: &VerifyOptions,
    signatures: &mut Vec<SignatureReport>,
) -> usize {
    let Some(found) = message.and_then(|m| super::lenient::inline_signatures(&m, session_key))
    else {
        return 0;
    };
    super::report::replace_unparsed(signatures, check_repaired(&found, opts));
    found.dropped
}

/// The verdicts on signatures that `super::lenient` repaired, over the
/// content they were found with.
fn check_repaired(found: &super::lenient::Repaired, opts: &VerifyOptions) -> Vec<SignatureReport> {
    let helper = Helper::new(opts);
    let verified = DetachedVerifierBuilder::from_bytes(&found.packets)
        .and_then(|b| b.with_policy(opts.policy, opts.time, helper))
        .and_then(|mut v| {
            v.verify_bytes(&found.content)?;
            Ok(v.into_helper())
        });
    let mut signatures = match verified {
        Ok(helper) => helper.signatures,
        Err(_) => return Vec::new(),
    };
    for s in &mut signatures {
        s.constrain(opts.not_before, opts.not_after);
    }
    signatures
}

/// Verifies detached signatures (`signature`, armored or not) over `data`.
pub fn verify_detached(
    signature: impl Read + Send + Sync,
    data: impl Read + Send + Sync,
    opts: &VerifyOptions,
) -> Result<VerifyReport> {
    super::guard_parser(move || verify_detached_unguarded(signature, data, opts))
}

fn verify_detached_unguarded(
    signature: impl Read + Send + Sync,
    mut data: impl Read + Send + Sync,
    opts: &VerifyOptions,
) -> Result<VerifyReport> {
    let helper = Helper::new(opts);
    let mut signature = std::io::BufReader::new(signature);
    super::errors::check_looks_like_openpgp(&mut signature)?;
    // Signature files are small; a larger one is read as it comes.
    let limit = super::lenient::MAX_REPAIR_SIZE as u64;
    let (head, dropped) = super::lenient::repair_reader((&mut signature).take(limit))
        .map_err(|e| anyhow::Error::from(e).context("reading the signature"))?;
    // Read whole (nearly always), the signature and short signed data are
    // parsed from memory: sequoia's reader would zero a 96 KiB buffer for
    // each, the largest cost in page faults of verifying a short message.
    let whole = signature
        .fill_buf()
        .map_err(read_error(Stage::Verify))?
        .is_empty();
    let builder = if whole {
        DetachedVerifierBuilder::from_bytes(&head)
    } else {
        DetachedVerifierBuilder::from_reader(std::io::Cursor::new(&head[..]).chain(signature))
    };
    let mut verifier = builder
        .map_err(|e| damaged(classify(e, Stage::Verify)))?
        .with_policy(opts.policy, opts.time, helper)
        .map_err(|e| damaged(classify(e, Stage::Verify)))?;
    let (start, whole) =
        super::read_start(&mut data, IN_MEMORY).map_err(read_error(Stage::Verify))?;
    let n = if whole {
        verifier.verify_bytes(&start).map(|()| start.len() as u64)
    } else {
        let mut counted = Counting {
            inner: std::io::Cursor::new(&start[..]).chain(data),
            n: 0,
        };
        verifier.verify_reader(&mut counted).map(|()| counted.n)
    }
    .map_err(|e| damaged(classify(e, Stage::Verify)))?;
    let mut report = finish(verifier.into_helper(), SignedKind::Detached, n, opts);
    report.dropped_unhashed_subpackets = dropped;
    Ok(report)
}

/// Signed data up to this size is read into memory before it is hashed.
const IN_MEMORY: usize = 64 << 10;

/// Counts the bytes read through it.
struct Counting<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}
