//! Encryption to certificates and passwords, optionally signed.

use std::io::{BufWriter, Read, Write};
use std::time::SystemTime;

use anyhow::{Context, Result};
use sequoia_openpgp as openpgp;

use openpgp::Cert;
use openpgp::cert::Preferences;
use openpgp::cert::amalgamation::key::ValidErasedKeyAmalgamation;
use openpgp::cert::amalgamation::{ValidAmalgamation, ValidateAmalgamation};
use openpgp::crypto::{Password, SessionKey};
use openpgp::packet::key::PublicParts;
use openpgp::policy::Policy;
use openpgp::serialize::stream::{Armorer, Encryptor, LiteralWriter, Message, Recipient, Signer};
use openpgp::types::{AEADAlgorithm, DataFormat, RevocationStatus, SymmetricAlgorithm};
use serde::Serialize;

use super::keys::{cert_label, cert_short_name};
use super::sign::{pick_hash, preferred_hashes, signature_template};
use crate::error::{Error, Failure};

/// Which encryption container to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageFormat {
    /// SEIPDv2 (AEAD, OCB) when every recipient advertises it and there is
    /// at least one recipient; SEIPDv1 otherwise (also for password-only
    /// messages, which any implementation can read).
    #[default]
    Auto,
    /// SEIPDv1 with MDC (RFC 4880), readable by GnuPG.
    SeipdV1,
    /// SEIPDv2 with AEAD/OCB (RFC 9580).
    SeipdV2,
    /// LibrePGP's OCB Encrypted Data packet (GnuPG 2.3+), which zpgp
    /// reads but never writes: asked to encrypt with it, zpgp writes
    /// SEIPDv1, which the same GnuPG reads.
    LibrepgpAead,
}

/// What to encrypt for, and how.
pub struct EncryptOptions<'a> {
    pub policy: &'a dyn Policy,
    /// Reference time for key validity and the signature time; `None` is now.
    pub time: Option<SystemTime>,
    pub recipients: Vec<Cert>,
    /// Passwords for SKESK packets.
    pub passwords: Vec<Password>,
    /// Unlocked signing keys: when given, the message is also signed.
    pub signers: Vec<super::SigningKey>,
    pub armor: bool,
    pub format: MessageFormat,
    /// The file name for the literal data packet (none by default).
    pub file_name: Option<String>,
    /// Mark the data as UTF-8 text (literal format `u`, text signatures).
    pub text: bool,
    /// The literal format of text: `u` by default, or `t` (see
    /// [`super::SignOptions::text_format`]).
    pub text_format: DataFormat,
    /// Put the session key into the report (`ALGO:HEX`, SOP
    /// `--session-key-out`).
    pub export_session_key: bool,
}

impl<'a> EncryptOptions<'a> {
    pub fn new(policy: &'a dyn Policy) -> Self {
        EncryptOptions {
            policy,
            time: None,
            recipients: Vec::new(),
            passwords: Vec::new(),
            signers: Vec::new(),
            armor: false,
            format: MessageFormat::Auto,
            file_name: None,
            text: false,
            text_format: DataFormat::Unicode,
            export_session_key: false,
        }
    }
}

/// One recipient key the message was encrypted to.
#[derive(Debug, Clone, Serialize)]
pub struct RecipientReport {
    pub cert_fingerprint: String,
    pub key_fingerprint: String,
}

/// What [`encrypt`] did.
#[derive(Debug, Clone, Serialize)]
pub struct EncryptReport {
    /// `seipd_v1` or `seipd_v2`.
    pub format: MessageFormat,
    pub symmetric_algo: String,
    pub aead_algo: Option<String>,
    pub recipients: Vec<RecipientReport>,
    pub passwords: usize,
    /// Fingerprints of the keys that signed the message.
    pub signers: Vec<String>,
    pub hash_algo: Option<String>,
    /// Plaintext bytes read.
    pub bytes_in: u64,
    /// `ALGO:HEX` (the SOP format), only if asked for.
    pub session_key: Option<String>,
    /// What `--explain` said, when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
}

/// One recipient key, as `encrypt --explain` describes it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyExplanation {
    pub cert_fingerprint: String,
    /// The certificate's primary user ID, if any (unsanitized).
    pub user_id: Option<String>,
    pub key_fingerprint: String,
    /// 4 or 6.
    pub key_version: u8,
    pub algorithm: String,
    /// ML-KEM-768+X25519 or ML-KEM-1024+X448 (RFC 9980).
    pub post_quantum: bool,
    /// The certificate advertises SEIPDv2 (AEAD) in its features.
    pub advertises_seipdv2: bool,
}

impl KeyExplanation {
    /// Whom the key is for: the primary user ID (unsanitized), else the
    /// certificate's fingerprint.
    pub fn owner(&self) -> &str {
        self.user_id.as_deref().unwrap_or(&self.cert_fingerprint)
    }
}

/// What a message will be, before it is written (`encrypt --explain`).
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub format: MessageFormat,
    pub symmetric_algo: String,
    pub aead_algo: Option<String>,
    pub keys: Vec<KeyExplanation>,
    pub passwords: usize,
    /// Every recipient key is post-quantum (passwords do not count:
    /// symmetric encryption is not what a quantum computer breaks).
    pub post_quantum: bool,
    /// Who will not be able to read it, and why.
    pub cannot_read: Vec<String>,
}

/// Whether `algo` is a post-quantum encryption algorithm (RFC 9980).
pub fn is_post_quantum_encryption(algo: openpgp::types::PublicKeyAlgorithm) -> bool {
    use openpgp::types::PublicKeyAlgorithm as A;
    matches!(algo, A::MLKEM768_X25519 | A::MLKEM1024_X448)
}

/// Says what [`encrypt`] would do with `opts`: the keys, the container,
/// the algorithms, whether the message is post-quantum protected, and who
/// cannot read it.
pub fn explain(opts: &EncryptOptions) -> Result<Explanation> {
    let Plan {
        keys: planned,
        format,
        sym,
        aead,
    } = plan(opts)?;
    let mut keys = Vec::new();
    for (cert, ka) in planned {
        let vc = ka.valid_cert();
        let key = ka.key();
        keys.push(KeyExplanation {
            cert_fingerprint: cert.fingerprint().to_hex(),
            user_id: vc
                .primary_userid()
                .ok()
                .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned()),
            key_fingerprint: key.fingerprint().to_hex(),
            key_version: key.version(),
            algorithm: super::keyinfo::algorithm_name(key),
            post_quantum: is_post_quantum_encryption(key.pk_algo()),
            advertises_seipdv2: vc.features().is_some_and(|f| f.supports_seipdv2()),
        });
    }
    let mut cannot_read = Vec::new();
    if format == MessageFormat::SeipdV2 {
        cannot_read.push(
            "software that reads only RFC 4880 or LibrePGP messages (GnuPG 2.2 and 2.4 among \
             them) cannot read SEIPDv2"
                .to_string(),
        );
        for k in keys.iter().filter(|k| !k.advertises_seipdv2) {
            cannot_read.push(format!(
                "{}: the certificate does not advertise SEIPDv2, so its owner's software may not \
                 read it",
                k.owner()
            ));
        }
    }
    Ok(Explanation {
        format,
        symmetric_algo: sym.to_string(),
        aead_algo: (format == MessageFormat::SeipdV2).then(|| aead.to_string()),
        post_quantum: !keys.is_empty() && keys.iter().all(|k| k.post_quantum),
        keys,
        passwords: opts.passwords.len(),
        cannot_read,
    })
}

fn cannot_encrypt(
    cert: &Cert,
    policy: &dyn Policy,
    time: Option<SystemTime>,
    reason: String,
) -> anyhow::Error {
    Error::new(
        Failure::CertCannotEncrypt,
        format!(
            "cannot encrypt to {}: {reason}",
            cert_label(cert, policy, time)
        ),
    )
    .hint(format!(
        "ask {} for an updated key and import it",
        cert_short_name(cert, policy, time)
    ))
    .into()
}

/// The keys of `cert` to encrypt to: alive, not revoked, encryption-capable
/// (transport or storage) subkeys that the policy accepts, with a supported
/// algorithm.
///
/// Fails with [`Failure::CertCannotEncrypt`] naming the cert and the reason
/// (expired on a date, revoked, no encryption subkey, rejected by policy),
/// so commands can check recipients before opening output files.
pub fn recipient_keys<'c>(
    cert: &'c Cert,
    policy: &'c dyn Policy,
    time: Option<SystemTime>,
) -> Result<Vec<ValidErasedKeyAmalgamation<'c, PublicParts>>> {
    let err = |reason: String| cannot_encrypt(cert, policy, time, reason);
    let vc = cert.with_policy(policy, time).map_err(|e| {
        err(format!(
            "the certificate is not valid under the policy: {}",
            super::keyinfo::rejection_reason(
                cert,
                policy,
                time.unwrap_or_else(SystemTime::now),
                &e
            )
        ))
    })?;
    if let Some(r) = super::keyinfo::revocation_info(&vc.revocation_status()) {
        let why = format!(" ({})", r.text());
        return Err(err(format!("the certificate is revoked{why}")));
    }
    if vc.alive().is_err() {
        return Err(err(expiry_reason(
            "the certificate",
            vc.primary_key().key_expiration_time(),
        )));
    }
    let keys: Vec<_> = vc
        .keys()
        .supported()
        .alive()
        .revoked(false)
        .for_transport_encryption()
        .for_storage_encryption()
        .collect();
    if !keys.is_empty() {
        return Ok(keys);
    }

    // Say why nothing is left.
    let capable: Vec<_> = vc
        .keys()
        .for_transport_encryption()
        .for_storage_encryption()
        .collect();
    if capable.is_empty() {
        // A subkey the policy rejects does not show up in `vc.keys()`.
        let rejected = cert
            .keys()
            .subkeys()
            .find_map(|ka| ka.with_policy(policy, time).err());
        return Err(err(match rejected {
            Some(e) => format!(
                "its subkeys are rejected by the policy: {}",
                crate::error::chain_text(&e)
            ),
            None => "it has no encryption-capable key".into(),
        }));
    }
    if capable
        .iter()
        .all(|ka| matches!(ka.revocation_status(), RevocationStatus::Revoked(_)))
    {
        return Err(err("its encryption subkey is revoked".into()));
    }
    if let Some(ka) = capable.iter().find(|ka| ka.alive().is_err()) {
        return Err(err(expiry_reason(
            "its encryption subkey",
            ka.key_expiration_time(),
        )));
    }
    let algo = capable[0].key().pk_algo();
    Err(err(format!(
        "its encryption subkey uses an unsupported algorithm ({algo})"
    )))
}

/// The PKESK and SKESK packets for a session key, as sequoia's encryptor
/// writes them.
#[cfg(feature = "crypto-openssl")]
fn key_packets<'k>(
    recipients: impl Iterator<
        Item = &'k openpgp::packet::Key<PublicParts, openpgp::packet::key::UnspecifiedRole>,
    >,
    passwords: &[Password],
    format: MessageFormat,
    sym: SymmetricAlgorithm,
    aead: AEADAlgorithm,
    sk: &SessionKey,
) -> Result<Vec<u8>> {
    use openpgp::packet::{PKESK, SKESK, pkesk, skesk};
    use openpgp::serialize::Serialize as _;
    let v2 = format == MessageFormat::SeipdV2;
    let mut out = Vec::new();
    for key in recipients {
        // SEIPDv2 PKESKs name the full fingerprint, v1 the key ID.
        let pkesk: PKESK = if v2 {
            let mut p = pkesk::PKESK6::for_recipient(sk, key)?;
            p.set_recipient(Some(key.fingerprint()));
            p.into()
        } else {
            let mut p = pkesk::PKESK3::for_recipient(sym, sk, key)?;
            p.set_recipient(Some(key.keyid()));
            p.into()
        };
        openpgp::Packet::from(pkesk).serialize(&mut out)?;
    }
    for pw in passwords {
        let skesk: SKESK = if v2 {
            skesk::SKESK6::with_password(sym, sym, aead, Default::default(), sk, pw)?.into()
        } else {
            skesk::SKESK4::with_password(sym, sym, Default::default(), sk, pw)?.into()
        };
        openpgp::Packet::from(skesk).serialize(&mut out)?;
    }
    Ok(out)
}

fn expiry_reason(what: &str, expiration: Option<SystemTime>) -> String {
    match expiration {
        Some(t) => format!("{what} expired on {}", crate::time::rfc3339(t)),
        None => format!("{what} is not valid yet"),
    }
}

/// Encrypts `input` to the recipients and passwords in `opts`, writing the
/// message to `output`.  The literal data packet is binary (or UTF-8 with
/// `opts.text`) and has no file name unless one is given; nothing is
/// compressed.
pub fn encrypt(
    input: impl Read + Send + Sync,
    output: impl Write + Send + Sync,
    opts: &EncryptOptions,
) -> Result<EncryptReport> {
    if opts.recipients.is_empty() && opts.passwords.is_empty() {
        return Err(Error::new(
            Failure::MissingArg,
            "nothing to encrypt to: give a recipient or a password",
        )
        .into());
    }

    let Plan {
        keys,
        format,
        sym,
        aead,
    } = plan(opts)?;
    let recipient_report = keys
        .iter()
        .map(|(cert, ka)| RecipientReport {
            cert_fingerprint: cert.fingerprint().to_hex(),
            key_fingerprint: ka.key().fingerprint().to_hex(),
        })
        .collect();
    let seal = Seal {
        keys: keys.into_iter().map(|(_, ka)| ka).collect(),
        format,
        sym,
        aead,
        session_key: SessionKey::new(sym.key_size()?)?,
    };
    let (format, sym, aead) = (seal.format, seal.sym, seal.aead);
    let session_key = opts.export_session_key.then(|| {
        format!(
            "{}:{}",
            u8::from(sym),
            openpgp::fmt::hex::encode(&seal.session_key)
        )
    });
    let signers: Vec<String> = opts
        .signers
        .iter()
        .map(|k| k.public().fingerprint().to_hex())
        .collect();

    let Written {
        bytes_in,
        hash_algo,
    } = encrypt_any(seal, input, output, opts)?;

    Ok(EncryptReport {
        format,
        symmetric_algo: sym.to_string(),
        aead_algo: (format == MessageFormat::SeipdV2).then(|| aead.to_string()),
        recipients: recipient_report,
        passwords: opts.passwords.len(),
        signers,
        hash_algo,
        bytes_in,
        session_key,
        explanation: None,
    })
}

/// What [`encrypt`] and [`explain`] decide alike from `opts`.
struct Plan<'c> {
    /// Each recipient's encryption keys, with the certificate.
    keys: Vec<(&'c Cert, ValidErasedKeyAmalgamation<'c, PublicParts>)>,
    format: MessageFormat,
    sym: SymmetricAlgorithm,
    aead: AEADAlgorithm,
}

/// The recipients' encryption keys, the container and its algorithms.
fn plan<'c>(opts: &'c EncryptOptions) -> Result<Plan<'c>> {
    let mut keys = Vec::new();
    for cert in &opts.recipients {
        for ka in recipient_keys(cert, opts.policy, opts.time)? {
            keys.push((cert, ka));
        }
    }
    let post_quantum = keys
        .iter()
        .any(|(_, ka)| is_post_quantum_encryption(ka.key().pk_algo()));
    let format = message_format(opts, post_quantum);
    let (sym, aead) = algorithms(opts, format);
    Ok(Plan {
        keys,
        format,
        sym,
        aead,
    })
}

/// The container `opts.format` asks for; for `Auto`, SEIPDv2 when there
/// are recipients and every one of them advertises it, or when one of the
/// keys is post-quantum (`post_quantum`): those are v6 keys, whose
/// messages are SEIPDv2 (RFC 9980).
fn message_format(opts: &EncryptOptions, post_quantum: bool) -> MessageFormat {
    match opts.format {
        MessageFormat::Auto if post_quantum => MessageFormat::SeipdV2,
        MessageFormat::Auto => {
            let all_v2 = opts.recipients.iter().all(|c| {
                c.with_policy(opts.policy, opts.time)
                    .ok()
                    .and_then(|vc| vc.features())
                    .is_some_and(|f| f.supports_seipdv2())
            });
            if !opts.recipients.is_empty() && all_v2 {
                MessageFormat::SeipdV2
            } else {
                MessageFormat::SeipdV1
            }
        }
        MessageFormat::LibrepgpAead => MessageFormat::SeipdV1,
        f => f,
    }
}

/// The cipher (and for SEIPDv2 the AEAD mode) the recipients' preferences
/// agree on: the first in the first recipient's list that every other
/// recipient lists too and that the policy and the backend accept.  A
/// recipient without preferences constrains nothing; recipients who share
/// nothing, and messages for passwords only, get AES-256.
fn algorithms(opts: &EncryptOptions, format: MessageFormat) -> (SymmetricAlgorithm, AEADAlgorithm) {
    let certs: Vec<_> = opts
        .recipients
        .iter()
        .filter_map(|c| c.with_policy(opts.policy, opts.time).ok())
        .collect();
    let usable =
        |s: SymmetricAlgorithm| s.is_supported() && opts.policy.symmetric_algorithm(s).is_ok();
    let lists: Vec<&[SymmetricAlgorithm]> = certs
        .iter()
        .filter_map(|vc| vc.preferred_symmetric_algorithms())
        .collect();
    let sym = first_common(&lists, |s| usable(*s)).unwrap_or(SymmetricAlgorithm::AES256);
    if format != MessageFormat::SeipdV2 {
        return (sym, AEADAlgorithm::default());
    }
    // SEIPDv2 pairs a cipher with a mode (RFC 9580's AEAD ciphersuites).
    let suites: Vec<&[(SymmetricAlgorithm, AEADAlgorithm)]> = certs
        .iter()
        .filter_map(|vc| vc.preferred_aead_ciphersuites())
        .collect();
    let works = |s: SymmetricAlgorithm, a: AEADAlgorithm| {
        usable(s) && opts.policy.aead_algorithm(a).is_ok() && aead_available(s, a)
    };
    if let Some(suite) = first_common(&suites, |(s, a)| works(*s, *a)) {
        return suite;
    }
    // OCB is the mode every SEIPDv2 implementation must have.
    if works(sym, AEADAlgorithm::OCB) {
        (sym, AEADAlgorithm::OCB)
    } else {
        (sym, AEADAlgorithm::default())
    }
}

/// The first item of the first list that `ok` accepts and every list has.
fn first_common<T: Copy + PartialEq>(lists: &[&[T]], ok: impl Fn(&T) -> bool) -> Option<T> {
    lists
        .first()?
        .iter()
        .find(|t| ok(t) && lists.iter().all(|l| l.contains(t)))
        .copied()
}

/// Whether the backend has `aead` for `sym` (OpenSSL has OCB only with
/// AES, and no EAX).
fn aead_available(sym: SymmetricAlgorithm, aead: AEADAlgorithm) -> bool {
    let Ok(size) = sym.key_size() else {
        return false;
    };
    let Ok(nonce) = aead.nonce_size() else {
        return false;
    };
    let key: SessionKey = vec![0u8; size].into();
    aead.context(sym, &key, &[], &vec![0u8; nonce])
        .and_then(|b| b.for_encryption())
        .is_ok()
}

/// What both paths encrypt with: the container, its algorithms, the
/// session key and the recipients' encryption keys.
struct Seal<'c> {
    keys: Vec<ValidErasedKeyAmalgamation<'c, PublicParts>>,
    format: MessageFormat,
    sym: SymmetricAlgorithm,
    aead: AEADAlgorithm,
    session_key: SessionKey,
}

/// What writing the inner packets took and made.
struct Written {
    bytes_in: u64,
    /// The signatures' hash algorithm, when signed.
    hash_algo: Option<String>,
}

/// Picks the path: a small message takes sequoia's (see
/// `buffers::FAST_MIN_SIZE`), and the first megabyte of input tells.
fn encrypt_any(
    seal: Seal<'_>,
    input: impl Read + Send + Sync,
    output: impl Write + Send + Sync,
    opts: &EncryptOptions,
) -> Result<Written> {
    #[cfg(feature = "crypto-openssl")]
    {
        let mut input = input;
        let min = super::fast::min_size();
        let mut head = Vec::new();
        (&mut input)
            .take(min as u64)
            .read_to_end(&mut head)
            .context("reading the input")?;
        let fast = head.len() >= min
            && super::fast::can_write(seal.format == MessageFormat::SeipdV2, seal.sym, seal.aead);
        let mut input = std::io::Cursor::new(head).chain(input);
        if fast {
            encrypt_fast(seal, &mut input, output, opts)
        } else {
            encrypt_stock(seal, &mut input, output, opts)
        }
    }
    #[cfg(not(feature = "crypto-openssl"))]
    {
        let mut input = input;
        encrypt_stock(seal, &mut input, output, opts)
    }
}

/// Sequoia's own path: every message the fast path does not take.
fn encrypt_stock(
    seal: Seal<'_>,
    input: &mut dyn Read,
    output: impl Write + Send + Sync,
    opts: &EncryptOptions,
) -> Result<Written> {
    let recipients: Vec<Recipient> = seal
        .keys
        .iter()
        .map(|ka| {
            // SEIPDv2 PKESKs name the full fingerprint, v1 the key ID.
            let handle: openpgp::KeyHandle = if seal.format == MessageFormat::SeipdV2 {
                ka.key().fingerprint().into()
            } else {
                ka.key().keyid().into()
            };
            Recipient::new(ka.valid_cert().features(), handle, ka.key())
        })
        .collect();
    let mut out = BufWriter::with_capacity(super::IO_BUFFER_SIZE, output);
    let mut message = Message::new(&mut out);
    if opts.armor {
        message = Armorer::new(message).build()?;
    }
    let mut encryptor = Encryptor::with_session_key(message, seal.sym, seal.session_key)?
        .add_recipients(recipients)
        .add_passwords(opts.passwords.iter().cloned())
        .symmetric_algo(seal.sym);
    if seal.format == MessageFormat::SeipdV2 {
        encryptor = encryptor.aead_algo(seal.aead);
    }
    let message = encryptor.build().context("setting up encryption")?;
    let written = write_inner(message, input, opts)?;
    out.flush().context("writing output")?;
    Ok(written)
}

/// The fast path (see `super::fast`): sequoia writes the key packets and
/// the inner packets, the container is encrypted on a second core.
#[cfg(feature = "crypto-openssl")]
fn encrypt_fast(
    seal: Seal<'_>,
    input: &mut dyn Read,
    output: impl Write + Send + Sync,
    opts: &EncryptOptions,
) -> Result<Written> {
    use super::fast::encrypt as fast;
    let esks = key_packets(
        seal.keys.iter().map(|ka| ka.key()),
        &opts.passwords,
        seal.format,
        seal.sym,
        seal.aead,
        &seal.session_key,
    )?;
    let plan = fast::Plan {
        container: if seal.format == MessageFormat::SeipdV2 {
            fast::v2_container(seal.sym, seal.aead)?
        } else {
            super::fast::Container::V1
        },
        sym: seal.sym,
        session_key: seal.session_key,
        esks,
        armor: opts.armor,
    };
    fast::encrypt(plan, output, |sink| {
        write_inner(Message::new(sink), input, opts)
    })
}

/// Writes the inner packets into the encryptor either path stacked up:
/// the signatures when there are signers, and the literal data.
fn write_inner(
    message: Message<'_>,
    input: &mut dyn Read,
    opts: &EncryptOptions,
) -> Result<Written> {
    let mut message = message;
    let mut hash_algo = None;
    if let Some((first, rest)) = opts.signers.split_first() {
        let mut signer =
            Signer::with_template(message, first.clone(), signature_template(opts.text))?;
        for s in rest {
            signer = signer.add_signer(s.clone())?;
        }
        for cert in &opts.recipients {
            signer = signer.add_intended_recipient(cert);
        }
        let theirs: Vec<_> = opts
            .recipients
            .iter()
            .map(|c| preferred_hashes(c, opts.policy, opts.time))
            .collect();
        let (s, h) = pick_hash(signer, &opts.signers, &theirs)?;
        signer = s;
        hash_algo = Some(h.to_string());
        if let Some(t) = opts.time {
            signer = signer.creation_time(t);
        }
        message = signer.build().context("setting up signing")?;
    }
    let mut literal = LiteralWriter::new(message).format(if opts.text {
        opts.text_format
    } else {
        DataFormat::Binary
    });
    if let Some(name) = &opts.file_name {
        literal = literal.filename(name)?;
    }
    let mut message = literal.build()?;
    let bytes_in = super::copy(input, &mut message, |e| {
        anyhow::Error::from(e).context("reading the input")
    })?;
    message.finalize().context("finishing the message")?;
    Ok(Written {
        bytes_in,
        hash_algo,
    })
}
