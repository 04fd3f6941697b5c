//! Decryption with secret keys, passwords or session keys, verifying any
//! signatures inside.
//!
//! **Unauthenticated output.**  Plaintext is streamed to the caller's
//! writer.  A message no larger than [`DecryptOptions::buffer_size`] (as
//! given: armored or binary) is checked in full before the first byte is
//! written, however far it decompresses: past that size its plaintext
//! waits in an unlinked temporary file (see [`DecryptOptions::hold_back`]).
//! A larger message is written as it is decrypted, and its integrity
//! verdict (MDC or the final AEAD tag) comes only at the end.  When
//! [`decrypt`] fails, every byte already written is unauthenticated: the
//! caller must discard it (write to a temporary file, and rename it into
//! place only on success).
//!
//! **Password hashing.**  A password packet (SKESK) chooses its own S2K,
//! and Argon2's costs are the sender's to pick: m = 31 asks for 2 TiB.
//! Packets over [`PasswordLimits`] are not tried, and a message with more
//! password packets than the limit is not tried with passwords at all;
//! keys still open it.

use std::collections::HashMap;
use std::io::{BufWriter, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use anyhow::{Context, Result};
use sequoia_openpgp as openpgp;

use openpgp::crypto::{Decryptor, Password, S2K, SessionKey};
use openpgp::packet::key::{PublicParts, SecretParts, UnspecifiedRole};
use openpgp::packet::{Key, PKESK, SKESK};
use openpgp::parse::stream::{
    DecryptionHelper, DecryptorBuilder, MessageStructure, VerificationHelper,
};
use openpgp::parse::{PacketParser, Parse};
use openpgp::policy::Policy;
use openpgp::types::SymmetricAlgorithm;
use openpgp::{Cert, Fingerprint, KeyHandle, Packet};
use serde::Serialize;

use super::encrypt::MessageFormat;
use super::errors::{Stage, classify, damaged, read_error};
use super::keys::{DecryptionKey, Unlocked, cert_label, unlock};
use super::report::{LiteralInfo, SignatureReport, collect_structure};
use crate::error::{Error, Failure, Reason};

/// Asks for the passphrase of a locked secret key.  Called with the cert
/// (to name it: "passphrase for key X (Alice <a@x>)"), the key, and the
/// number of wrong tries so far.  Return `Ok(None)` to give up on the key.
pub type KeyPassphraseFn<'a> =
    dyn FnMut(&Cert, &Key<PublicParts, UnspecifiedRole>, usize) -> Result<Option<Password>> + 'a;

/// Asks for a message password (SKESK), with the number of wrong tries so
/// far.  Return `Ok(None)` to give up.
pub type PasswordFn<'a> = dyn FnMut(usize) -> Result<Option<Password>> + 'a;

/// Everything that may open a message.
pub struct DecryptOptions<'a> {
    pub policy: &'a dyn Policy,
    /// Reference time for signature verification; `None` is now.
    pub time: Option<SystemTime>,
    /// Secret keys (TSKs) to try, also on anonymous (wildcard) recipients.
    /// Their secrets may be passphrase-protected.
    pub secret_keys: Vec<Cert>,
    /// Passphrases tried on every locked key before asking.
    pub key_passwords: Vec<Password>,
    /// Asks for the passphrase of a locked key (see [`KeyPassphraseFn`]).
    pub key_passphrase: Option<Box<KeyPassphraseFn<'a>>>,
    /// Keeps keys unlocked between runs (the agent): keys it holds are
    /// used without asking, and the passphrases that unlock a key go to
    /// it.
    pub key_store: Option<Box<dyn super::KeyStore + 'a>>,
    /// Message passwords to try on SKESK packets.
    pub passwords: Vec<Password>,
    /// Asks for a message password when no key works, or when the message
    /// is for passwords only.
    pub message_password: Option<Box<PasswordFn<'a>>>,
    /// Session keys to try first (SOP `--with-session-key`).
    pub session_keys: Vec<(Option<SymmetricAlgorithm>, SessionKey)>,
    /// Certs to verify signatures in the message with.
    pub verify_certs: Vec<Cert>,
    /// Looks up more certs by issuer, on top of `verify_certs`.
    pub cert_lookup: Option<&'a super::CertLookup<'a>>,
    /// Put the session key into the report (`ALGO:HEX`).
    pub export_session_key: bool,
    /// How much plaintext to check before releasing it
    /// ([`super::DEFAULT_BUFFER_SIZE`]).
    pub buffer_size: usize,
    /// Whether a message of at most `buffer_size` bytes is checked in full
    /// before any plaintext is written, however much it decompresses to
    /// (true by default).  A caller that writes to a temporary file and
    /// renames it into place only on success may turn it off, and so keep
    /// a compressed message's plaintext out of the temporary directory.
    pub hold_back: bool,
    /// The password hashing a message's password packets may ask for.
    pub password_limits: PasswordLimits,
    /// Fail with [`Failure::EyesOnly`] before any plaintext is written
    /// when the message is marked for display only (the caller writes to
    /// a file or a pipe).
    pub refuse_eyes_only: bool,
    /// Write text-mode data (literal format `t` or `u`) with the LF line
    /// endings of Unix text instead of the CRLF it travels with, as gpg
    /// does; binary data is never touched.
    pub native_line_endings: bool,
    /// Set once the literal data turns out to be text to convert.
    convert_text: Arc<AtomicBool>,
}

/// The most memory a password packet's Argon2 hashing may take: 2 GiB,
/// RFC 9580's first recommended setting (m = 21, one pass).  A message may
/// ask for up to 2 TiB; the review that found this measured m = 22 at
/// 4.2 GB and 14.5 s.
pub const DEFAULT_MAX_ARGON2_MEMORY: u64 = 2 << 30;

/// The most Argon2 work (passes × memory) per password packet: two passes
/// at the memory limit, or 64 at RFC 9580's second setting (64 MiB, where
/// it recommends three).  Time grows with it: the review's figure is
/// about 3.5 s per GiB.
pub const DEFAULT_MAX_ARGON2_WORK: u64 = 2 * DEFAULT_MAX_ARGON2_MEMORY;

/// The most Argon2 lanes per password packet; RFC 9580 recommends 4.
pub const DEFAULT_MAX_ARGON2_LANES: u8 = 16;

/// The most password packets a message may have to be tried with a
/// password.  Each is tried with every password, so the count multiplies
/// the hashing; senders write one per password (GnuPG one in all), and 8
/// keeps the worst case a few times one packet's.
pub const DEFAULT_MAX_PASSWORD_PACKETS: usize = 8;

/// Limits on the password hashing (S2K) a message may demand.  Iterated
/// and salted S2K needs none: its format caps it at 65,011,712 bytes of
/// hashing, a fraction of a second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordLimits {
    /// Argon2 memory per packet, in bytes.
    pub max_argon2_memory: u64,
    /// Argon2 passes × memory per packet, in bytes.
    pub max_argon2_work: u64,
    /// Argon2 lanes (parallelism) per packet.
    pub max_argon2_lanes: u8,
    /// Password packets per message.
    pub max_password_packets: usize,
}

impl Default for PasswordLimits {
    fn default() -> Self {
        PasswordLimits {
            max_argon2_memory: DEFAULT_MAX_ARGON2_MEMORY,
            max_argon2_work: DEFAULT_MAX_ARGON2_WORK,
            max_argon2_lanes: DEFAULT_MAX_ARGON2_LANES,
            max_password_packets: DEFAULT_MAX_PASSWORD_PACKETS,
        }
    }
}

impl PasswordLimits {
    /// Why `skesk`'s password hashing is over the limits, if it is.
    pub fn refusal(&self, skesk: &SKESK) -> Option<String> {
        let s2k = match skesk {
            SKESK::V4(s) => s.s2k(),
            SKESK::V6(s) => s.s2k(),
            _ => return None,
        };
        let S2K::Argon2 { t, p, m, .. } = s2k else {
            return None;
        };
        // 2^m KiB; None when it does not even fit in 64 bits.
        let memory = 1u64.checked_shl(u32::from(*m) + 10);
        let what = format!(
            "Argon2 password hashing with {} of memory (m={m}), {t} pass{} and {p} lane{}",
            memory.map_or_else(|| format!("2^{m} KiB"), size),
            if *t == 1 { "" } else { "es" },
            if *p == 1 { "" } else { "s" },
        );
        if memory.is_none_or(|mem| mem > self.max_argon2_memory) {
            return Some(format!(
                "{what}: more memory than the limit of {}",
                size(self.max_argon2_memory)
            ));
        }
        let work = memory.and_then(|mem| mem.checked_mul(u64::from(*t)));
        if work.is_none_or(|w| w > self.max_argon2_work) {
            return Some(format!(
                "{what}: {} of memory work (passes × memory), more than the limit of {}",
                work.map_or_else(|| "too much".into(), size),
                size(self.max_argon2_work)
            ));
        }
        if *p > self.max_argon2_lanes {
            return Some(format!(
                "{what}: more lanes than the limit of {}",
                self.max_argon2_lanes
            ));
        }
        None
    }
}

/// A size in bytes, as the largest whole binary unit that fits.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut n = bytes;
    let mut unit = 0;
    while n >= 1024 && n % 1024 == 0 && unit + 1 < UNITS.len() {
        n /= 1024;
        unit += 1;
    }
    format!("{n} {}", UNITS[unit])
}

impl<'a> DecryptOptions<'a> {
    pub fn new(policy: &'a dyn Policy) -> Self {
        DecryptOptions {
            policy,
            time: None,
            secret_keys: Vec::new(),
            key_passwords: Vec::new(),
            key_passphrase: None,
            key_store: None,
            passwords: Vec::new(),
            message_password: None,
            session_keys: Vec::new(),
            verify_certs: Vec::new(),
            cert_lookup: None,
            export_session_key: false,
            buffer_size: super::DEFAULT_BUFFER_SIZE,
            hold_back: true,
            password_limits: PasswordLimits::default(),
            refuse_eyes_only: false,
            native_line_endings: false,
            convert_text: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// What opened the message.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum DecryptedWith {
    Key {
        cert_fingerprint: String,
        key_fingerprint: String,
    },
    Password,
    SessionKey,
}

/// What [`decrypt`] found.
#[derive(Debug, Clone, Serialize)]
pub struct DecryptReport {
    /// `seipd_v1` or `seipd_v2`.
    pub format: Option<MessageFormat>,
    pub symmetric_algo: Option<String>,
    pub aead_algo: Option<String>,
    /// The recipients named in the message: key IDs or fingerprints in
    /// hex, `anonymous` for wildcard recipients.
    pub recipients: Vec<String>,
    /// How many password (SKESK) packets the message has.
    pub password_packets: usize,
    pub decrypted_with: Option<DecryptedWith>,
    /// `ALGO:HEX` (the SOP format), only if asked for.
    pub session_key: Option<String>,
    pub signatures: Vec<SignatureReport>,
    pub literal: Option<LiteralInfo>,
    /// Plaintext bytes written.
    pub bytes_out: u64,
    /// Malformed subpackets dropped from signatures' unhashed areas (see
    /// `super::lenient`).
    pub dropped_unhashed_subpackets: usize,
}

impl DecryptReport {
    /// Good signatures, if any.
    pub fn good_signatures(&self) -> impl Iterator<Item = &SignatureReport> {
        self.signatures.iter().filter(|s| s.is_good())
    }
}

type Decrypt<'d> = dyn FnMut(Option<SymmetricAlgorithm>, &SessionKey) -> bool + 'd;

struct Helper<'h, 'a> {
    opts: &'h mut DecryptOptions<'a>,
    report: DecryptReport,
    /// Keys unlocked during this run, by fingerprint.
    unlocked: HashMap<Fingerprint, DecryptionKey>,
    /// Locked keys that matched but could not be unlocked (labels).
    locked_failures: Vec<String>,
    /// Whether a message password was tried.
    password_tried: bool,
    /// Why password packets were not tried (over the limits).
    password_refusals: Vec<String>,
    /// Whether some secret key matched a recipient.
    key_matched: bool,
    seen_encryption: bool,
    /// Set once a session key opened the container (shared with
    /// `run_decryptor`, which outlives a helper sequoia drops on error).
    opened: Arc<AtomicBool>,
    /// A signature packet did not parse (see `super::lenient`).
    unparsed_signature: bool,
    /// The session key that opened the message, to read it again for
    /// such signatures.
    session: Option<(Option<SymmetricAlgorithm>, SessionKey)>,
    /// LibrePGP's version 5 password packets, which sequoia does not
    /// parse (see `super::librepgp`).
    skesk5s: Vec<super::librepgp::Skesk5>,
}

fn handle_hex(h: &KeyHandle) -> String {
    match h {
        KeyHandle::Fingerprint(f) => f.to_hex(),
        KeyHandle::KeyID(k) => k.to_hex(),
    }
}

impl Helper<'_, '_> {
    fn record(&mut self, algo: Option<SymmetricAlgorithm>, sk: &SessionKey, with: DecryptedWith) {
        if self.opts.export_session_key {
            if let Some(algo) = algo {
                self.report.session_key = Some(format!(
                    "{}:{}",
                    u8::from(algo),
                    openpgp::fmt::hex::encode(sk)
                ));
            }
        }
        self.report.decrypted_with = Some(with);
        self.session = Some((algo, sk.clone()));
        self.opened.store(true, Ordering::Relaxed);
    }

    /// Secret keys that may decrypt `pkesk`: those it names, or for an
    /// anonymous recipient every key of a matching algorithm.
    fn candidates(&self, pkesk: &PKESK) -> Vec<(usize, Key<SecretParts, UnspecifiedRole>)> {
        let mut out = Vec::new();
        for (i, cert) in self.opts.secret_keys.iter().enumerate() {
            for ka in cert.keys().secret() {
                let key = ka.key();
                let matches = match pkesk.recipient() {
                    Some(h) => h.aliases(KeyHandle::from(key.fingerprint())),
                    None => key.pk_algo() == pkesk.pk_algo(),
                };
                if matches {
                    out.push((i, key.clone()));
                }
            }
        }
        out
    }

    fn try_pkesk(
        &mut self,
        pkesk: &PKESK,
        cert: usize,
        keypair: &mut dyn Decryptor,
        sym_algo: Option<SymmetricAlgorithm>,
        decrypt: &mut Decrypt,
    ) -> Option<Cert> {
        let (algo, sk) = pkesk.decrypt(keypair, sym_algo)?;
        if !decrypt(algo, &sk) {
            return None;
        }
        let cert = self.opts.secret_keys[cert].clone();
        let with = DecryptedWith::Key {
            cert_fingerprint: cert.fingerprint().to_hex(),
            key_fingerprint: keypair.public().fingerprint().to_hex(),
        };
        self.record(algo.or(sym_algo), &sk, with);
        Some(cert)
    }

    fn try_password(
        &mut self,
        skesks: &[SKESK],
        password: &Password,
        decrypt: &mut Decrypt,
    ) -> bool {
        self.password_tried = true;
        for skesk in skesks {
            if let Ok((algo, sk)) = skesk.decrypt(password) {
                if decrypt(algo, &sk) {
                    self.record(algo, &sk, DecryptedWith::Password);
                    return true;
                }
            }
        }
        for i in 0..self.skesk5s.len() {
            if let Ok(sk) = self.skesk5s[i].decrypt(password) {
                let algo = Some(self.skesk5s[i].sym);
                if decrypt(algo, &sk) {
                    self.record(algo, &sk, DecryptedWith::Password);
                    return true;
                }
            }
        }
        false
    }

    /// Unlocks a locked key with the known passphrases, else by asking,
    /// through the key store when there is one; the key is then in
    /// `self.unlocked`.  `false` when it could not be unlocked.
    fn unlock_locked(
        &mut self,
        cert: usize,
        key: &Key<SecretParts, UnspecifiedRole>,
    ) -> Result<bool> {
        let fpr = key.fingerprint();
        if self.unlocked.contains_key(&fpr) {
            return Ok(true);
        }
        let label = format!(
            "{fpr} of {}",
            cert_label(
                &self.opts.secret_keys[cert],
                self.opts.policy,
                self.opts.time
            )
        );
        if self.locked_failures.contains(&label) {
            return Ok(false);
        }
        let mut found = None;
        for i in 0..self.opts.key_passwords.len() {
            let pw = self.opts.key_passwords[i].clone();
            if let Some(k) = self.open(cert, key, &pw) {
                found = Some(k);
                break;
            }
        }
        if found.is_none() && self.opts.key_passphrase.is_some() {
            let public = key.parts_as_public().clone();
            let mut attempt = 0;
            while let Some(ask) = self.opts.key_passphrase.as_mut() {
                let Some(pw) = ask(&self.opts.secret_keys[cert], &public, attempt)? else {
                    break;
                };
                if let Some(k) = self.open(cert, key, &pw) {
                    found = Some(k);
                    break;
                }
                attempt += 1;
            }
        }
        match found {
            Some(k) => {
                self.unlocked.insert(fpr, k);
                Ok(true)
            }
            None => {
                self.locked_failures.push(label);
                Ok(false)
            }
        }
    }

    /// Unlocks `key` with `pw`: in the key store if there is one and it
    /// answers, else here.
    fn open(
        &mut self,
        cert: usize,
        key: &Key<SecretParts, UnspecifiedRole>,
        pw: &Password,
    ) -> Option<DecryptionKey> {
        if let Some(store) = self.opts.key_store.as_mut() {
            match store.unlock(&self.opts.secret_keys[cert], key, pw) {
                Unlocked::Key(k) => return Some(k),
                Unlocked::WrongPassphrase => return None,
                Unlocked::Unavailable => {}
            }
        }
        unlock(key, Some(pw))
            .ok()
            .map(|kp| Box::new(kp) as DecryptionKey)
    }

    /// The password packets worth a password: hashing the sender chose
    /// too costly is never started, so such packets are passed over, and
    /// all of them when there are too many to try; each refusal is noted
    /// for the error message.
    fn skesks_to_try(&mut self, skesks: &[SKESK]) -> Vec<SKESK> {
        let limits = self.opts.password_limits;
        if skesks.len() > limits.max_password_packets {
            self.password_refusals.push(format!(
                "the message has {} password packets, more than the limit of {}, so no \
                 password was tried",
                skesks.len(),
                limits.max_password_packets
            ));
            return Vec::new();
        }
        skesks
            .iter()
            .filter(|skesk| match limits.refusal(skesk) {
                Some(why) => {
                    self.password_refusals
                        .push(format!("a password packet asks for {why}"));
                    false
                }
                None => true,
            })
            .cloned()
            .collect()
    }

    fn failure(&self, pkesks: &[PKESK], has_passwords: bool) -> anyhow::Error {
        if !self.locked_failures.is_empty() {
            let keys = self.locked_failures.join(", ");
            return Error::new(
                Failure::KeyIsProtected,
                format!("cannot unlock the secret key {keys}: the passphrase is wrong or missing"),
            )
            .hint("give the key's passphrase")
            .reason(Reason::GenericPassphraseHint)
            .into();
        }
        let refused = self.password_refusals.join("; ");
        let limits = &self.opts.password_limits;
        let limit_hint = if self.report.password_packets > limits.max_password_packets {
            format!(
                "zpgp limits what a message may demand of memory and time, and every password \
                 packet costs a password hashing; ask the sender to encrypt it for fewer \
                 passwords (at most {})",
                limits.max_password_packets
            )
        } else {
            format!(
                "zpgp limits what a message may demand of memory and time; ask the sender to \
                 encrypt it again with RFC 9580's recommended Argon2 settings (at most {} of \
                 memory)",
                size(limits.max_argon2_memory)
            )
        };
        if pkesks.is_empty() {
            return if !has_passwords && !refused.is_empty() {
                Error::new(
                    Failure::CannotDecrypt,
                    format!("cannot decrypt the message with a password: {refused}"),
                )
                .hint(limit_hint)
            } else if self.password_tried && refused.is_empty() {
                Error::new(Failure::CannotDecrypt, "wrong password for the message")
                    .reason(Reason::WrongPassword)
            } else if self.password_tried {
                Error::new(
                    Failure::CannotDecrypt,
                    format!("wrong password for the message (not tried: {refused})"),
                )
                .reason(Reason::WrongPassword)
            } else {
                Error::new(
                    Failure::CannotDecrypt,
                    "the message is encrypted with a password, and none was given",
                )
                .hint("give the message's password")
            }
            .into();
        }
        // Keys of an algorithm this build lacks (the post-quantum ones on
        // an OpenSSL older than 3.5): say so, not "no key".
        if let Some(algo) = pkesks
            .iter()
            .filter(|p| !p.pk_algo().is_supported() && !self.candidates(p).is_empty())
            .map(|p| p.pk_algo())
            .next()
        {
            let hint = if super::encrypt::is_post_quantum_encryption(algo) {
                "decrypt it with a default build of zpgp, which carries an OpenSSL with the \
                 post-quantum algorithms; this one was linked to an older system OpenSSL \
                 (OPENSSL_NO_VENDOR) or built without them"
            } else {
                "zpgp's crypto backend does not have it; GnuPG can decrypt it (gpg --decrypt), \
                 and the sender can encrypt to a newer key of yours"
            };
            return Error::new(
                Failure::CannotDecrypt,
                format!(
                    "this message uses {}, which this build of zpgp cannot decrypt",
                    super::keyinfo::pk_algo_name(algo)
                ),
            )
            .hint(hint)
            .into();
        }
        let recipients = self
            .report
            .recipients
            .iter()
            .map(|r| {
                if r == "anonymous" {
                    "an anonymous recipient".to_string()
                } else {
                    format!("0x{r}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let mut msg = if self.key_matched {
            format!(
                "this message is for {recipients}; the matching secret key could not decrypt it"
            )
        } else {
            format!("this message is for {recipients}; you have none of their secret keys")
        };
        if has_passwords {
            msg.push_str(if self.password_tried {
                ", and the password is wrong"
            } else {
                ", and no password was given"
            });
        }
        if refused.is_empty() {
            return Error::new(Failure::CannotDecrypt, msg).into();
        }
        msg.push_str("; ");
        msg.push_str(&refused);
        Error::new(Failure::CannotDecrypt, msg)
            .hint(limit_hint)
            .into()
    }
}

impl Helper<'_, '_> {
    /// The literal data's header, read before any of its data is written:
    /// the last moment to refuse it, and to decide how it is written.
    fn literal_seen(&mut self, info: LiteralInfo) -> Result<()> {
        if info.eyes_only && self.opts.refuse_eyes_only {
            return Err(Error::new(
                Failure::EyesOnly,
                "the message is marked for your eyes only: it is shown on a terminal, never \
                 written to a file or a pipe",
            )
            .into());
        }
        if self.opts.native_line_endings && info.is_text() {
            self.opts.convert_text.store(true, Ordering::Release);
        }
        self.report.literal = Some(info);
        Ok(())
    }
}

impl VerificationHelper for Helper<'_, '_> {
    fn inspect(&mut self, pp: &PacketParser) -> openpgp::Result<()> {
        match &pp.packet {
            Packet::SEIP(seip) => {
                self.seen_encryption = true;
                self.report.format = Some(if seip.version() == 2 {
                    MessageFormat::SeipdV2
                } else {
                    MessageFormat::SeipdV1
                });
            }
            Packet::Literal(l) => {
                if !self.seen_encryption {
                    return Err(Error::new(
                        Failure::BadData,
                        "the input is not an encrypted message (it has no encryption container)",
                    )
                    .hint("to check a signed message, use verify")
                    .into());
                }
                self.literal_seen(l.into())?;
            }
            p if p.tag() == openpgp::packet::Tag::SED => {
                return Err(sed_found(self.seen_encryption));
            }
            Packet::Unknown(u) if u.tag() == openpgp::packet::Tag::Signature => {
                self.unparsed_signature = true;
            }
            _ => {}
        }
        Ok(())
    }

    fn get_certs(&mut self, ids: &[KeyHandle]) -> openpgp::Result<Vec<Cert>> {
        let mut certs = self.opts.verify_certs.clone();
        if let Some(lookup) = self.opts.cert_lookup {
            certs.extend(lookup(ids));
        }
        Ok(certs)
    }

    fn check(&mut self, structure: MessageStructure) -> openpgp::Result<()> {
        if let Some(enc) =
            collect_structure(structure, self.opts.policy, &mut self.report.signatures)
        {
            self.report.symmetric_algo = Some(enc.sym_algo);
            self.report.aead_algo = enc.aead_algo;
        }
        Ok(())
    }
}

/// A SED packet: the sender's unprotected format when it is the message,
/// but inside an opened container it is what decrypted garbage can look
/// like (a flipped ciphertext bit): damage, reported as such.
fn sed_found(inside: bool) -> anyhow::Error {
    if inside {
        return Error::new(
            Failure::BadData,
            "the message was modified or damaged (what it decrypts to is not a message)",
        )
        .into();
    }
    Error::new(
        Failure::BadData,
        "the message is encrypted without integrity protection (a SED packet, no MDC); refusing to decrypt it",
    )
    .hint("ask the sender to encrypt it again with current software")
    .into()
}

impl DecryptionHelper for Helper<'_, '_> {
    fn decrypt(
        &mut self,
        pkesks: &[PKESK],
        skesks: &[SKESK],
        sym_algo: Option<SymmetricAlgorithm>,
        decrypt: &mut Decrypt,
    ) -> openpgp::Result<Option<Cert>> {
        self.report.recipients = pkesks
            .iter()
            .map(|p| {
                p.recipient()
                    .map(|h| handle_hex(&h))
                    .unwrap_or_else(|| "anonymous".into())
            })
            .collect();
        self.report.password_packets = skesks.len() + self.skesk5s.len();
        let skesks = self.skesks_to_try(skesks);
        let skesks = &skesks[..];
        let has_passwords = !skesks.is_empty() || !self.skesk5s.is_empty();

        // 1. Session keys given by the caller.
        for i in 0..self.opts.session_keys.len() {
            let (algo, sk) = self.opts.session_keys[i].clone();
            if decrypt(algo.or(sym_algo), &sk) {
                self.record(algo.or(sym_algo), &sk, DecryptedWith::SessionKey);
                return Ok(None);
            }
        }

        // Named recipients before anonymous ones.
        let mut ordered: Vec<&PKESK> = pkesks.iter().filter(|p| p.recipient().is_some()).collect();
        ordered.extend(pkesks.iter().filter(|p| p.recipient().is_none()));

        // 2. Secret keys that need no passphrase, here or in the key
        // store.
        for pkesk in &ordered {
            for (cert, key) in self.candidates(pkesk) {
                self.key_matched = true;
                let mut ready: DecryptionKey = if key.has_unencrypted_secret() {
                    Box::new(key.into_keypair()?)
                } else {
                    let cert_ = &self.opts.secret_keys[cert];
                    match self.opts.key_store.as_mut() {
                        Some(store) => match store.unlocked(cert_, &key) {
                            Some(k) => k,
                            None => continue,
                        },
                        None => continue,
                    }
                };
                if let Some(c) = self.try_pkesk(pkesk, cert, &mut *ready, sym_algo, decrypt) {
                    return Ok(Some(c));
                }
            }
        }

        // 3. Message passwords the caller gave.
        if has_passwords {
            for i in 0..self.opts.passwords.len() {
                let pw = self.opts.passwords[i].clone();
                if self.try_password(skesks, &pw, decrypt) {
                    return Ok(None);
                }
            }
        }

        // 4. Locked secret keys: known passphrases, then asking.
        for pkesk in &ordered {
            for (cert, key) in self.candidates(pkesk) {
                if key.has_unencrypted_secret() {
                    continue;
                }
                if self.unlock_locked(cert, &key)? {
                    let fpr = key.fingerprint();
                    let Some(mut ready) = self.unlocked.remove(&fpr) else {
                        continue;
                    };
                    let opened = self.try_pkesk(pkesk, cert, &mut *ready, sym_algo, decrypt);
                    self.unlocked.insert(fpr, ready);
                    if let Some(c) = opened {
                        return Ok(Some(c));
                    }
                }
            }
        }

        // 5. Ask for the message password.
        if has_passwords {
            let mut attempt = 0;
            while let Some(ask) = self.opts.message_password.as_mut() {
                let pw = match ask(attempt) {
                    Ok(Some(pw)) => pw,
                    Ok(None) => break,
                    // A key that would not unlock explains the failure
                    // better than a password that could not be had.
                    Err(_) if !self.locked_failures.is_empty() => break,
                    Err(e) => return Err(e),
                };
                if self.try_password(skesks, &pw, decrypt) {
                    return Ok(None);
                }
                attempt += 1;
            }
        }

        Err(self.failure(pkesks, has_passwords))
    }
}

/// Decrypts `input` and streams the plaintext to `output`.
///
/// Keys are tried in this order: session keys given, secret keys without a
/// passphrase, message passwords given, locked secret keys (known
/// passphrases, then [`DecryptOptions::key_passphrase`]), and finally
/// [`DecryptOptions::message_password`].
///
/// Failures: no key or password fits → [`Failure::CannotDecrypt`] listing
/// the message's recipients; a matching key could not be unlocked and
/// nothing else worked → [`Failure::KeyIsProtected`]; damaged, truncated
/// or tampered input, unprotected (SED) encryption, or input that is not
/// an encrypted message → [`Failure::BadData`].
///
/// On error, bytes already written to `output` are unauthenticated and
/// must be discarded (see the module documentation).
pub fn decrypt(
    input: impl Read + Send + Sync,
    output: impl Write + Send,
    opts: &mut DecryptOptions<'_>,
) -> Result<DecryptReport> {
    super::guard_parser(move || decrypt_unguarded(input, output, opts))
}

fn decrypt_unguarded(
    input: impl Read + Send + Sync,
    output: impl Write + Send,
    opts: &mut DecryptOptions<'_>,
) -> Result<DecryptReport> {
    opts.convert_text.store(false, Ordering::Release);
    let output = super::text::FromCrlf::new(output, opts.convert_text.clone());
    let mut input = std::io::BufReader::with_capacity(super::IO_BUFFER_SIZE, input);
    super::errors::check_looks_like_openpgp(&mut input)?;
    if !opts.hold_back {
        return decrypt_any(input, output, opts);
    }
    // The hold-back promise is by the size of the message, not of its
    // plaintext: the decryptor holds back `buffer_size` bytes of
    // plaintext, which a compressed message passes long before its end
    // (52 KB of ciphertext wrote 19.9 MB before its MDC failed).
    let mut head = Vec::new();
    (&mut input)
        .take(opts.buffer_size as u64 + 1)
        .read_to_end(&mut head)
        .map_err(read_error(Stage::Decrypt))?;
    if head.len() > opts.buffer_size {
        return decrypt_any(std::io::Cursor::new(head).chain(input), output, opts);
    }
    let mut spool = Spool::new(opts.buffer_size);
    let report = decrypt_any(std::io::Cursor::new(head), &mut spool, opts)?;
    spool.release(output)?;
    Ok(report)
}

fn decrypt_any(
    input: impl Read + Send + Sync,
    output: impl Write + Send,
    opts: &mut DecryptOptions<'_>,
) -> Result<DecryptReport> {
    let (recorder, replay) = super::replay::record(input);
    if let Some(scanned) = super::librepgp::scan(recorder) {
        replay.stop();
        return decrypt_librepgp(scanned, output, opts);
    }
    let input = replay.rewind()?;
    #[cfg(feature = "crypto-openssl")]
    return decrypt_fast(input, output, opts);
    #[cfg(not(feature = "crypto-openssl"))]
    decrypt_stock(input, output, opts)
}

/// LibrePGP's OCB Encrypted Data packet (see `super::librepgp`): sequoia
/// finds the session key in the PKESKs and version 4 SKESKs, this module
/// in the version 5 SKESKs; the container is decrypted here chunk by
/// chunk, and sequoia parses the inner packets.
fn decrypt_librepgp(
    scanned: super::librepgp::Scanned<'_>,
    output: impl Write,
    opts: &mut DecryptOptions<'_>,
) -> Result<DecryptReport> {
    let aed = scanned.aed.clone();
    if !super::librepgp::supported(aed.sym, aed.aead) {
        return Err(Error::new(
            Failure::CannotDecrypt,
            format!(
                "the message is LibrePGP encrypted data ({} with {}), which this build of zpgp \
                 cannot decrypt",
                aed.aead, aed.sym
            ),
        )
        .into());
    }
    let key_size = aed.sym.key_size().ok();
    let mut helper = new_helper(opts);
    helper.skesk5s = scanned.skesk5s.clone();
    let mut found = None;
    helper
        .decrypt(
            &scanned.pkesks,
            &scanned.skesks,
            Some(aed.sym),
            &mut |_, sk| {
                // The key packets authenticate the session key (checksum,
                // AEAD); a chunk that fails later is damage, not a wrong
                // key.
                let fits = key_size == Some(sk.len());
                if fits {
                    found = Some(sk.clone());
                }
                fits
            },
        )
        .map_err(|e| damaged(classify(e, Stage::Decrypt)))?;
    let sk = found.ok_or_else(|| anyhow::anyhow!("no session key was found"))?;
    helper.seen_encryption = true;
    let plaintext = scanned.open(sk);
    let verified = plaintext.verified();
    let mut out = BufWriter::with_capacity(super::IO_BUFFER_SIZE, output);
    let mut report = run_decryptor(plaintext, &mut out, helper)?;
    if !verified.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(unverified_end());
    }
    out.flush().context("writing output")?;
    report.format = Some(MessageFormat::LibrepgpAead);
    report.symmetric_algo = Some(aed.sym.to_string());
    report.aead_algo = Some(aed.aead.to_string());
    Ok(report)
}

/// Plaintext held until the whole message checked out: the first
/// `in_memory` bytes in memory, the rest in an unlinked temporary file, so
/// that a small message that decompresses to gigabytes costs disk, not
/// memory.  Dropped unreleased, it is gone.
struct Spool {
    memory: Vec<u8>,
    in_memory: usize,
    file: Option<std::fs::File>,
}

impl Spool {
    fn new(in_memory: usize) -> Spool {
        Spool {
            memory: Vec::new(),
            in_memory,
            file: None,
        }
    }

    /// Writes everything held to `output`.
    fn release(self, mut output: impl Write) -> Result<()> {
        use std::io::Seek;
        output.write_all(&self.memory).context("writing output")?;
        if let Some(mut file) = self.file {
            file.rewind()
                .and_then(|()| std::io::copy(&mut file, &mut output))
                .context("reading back the plaintext held in a temporary file")?;
        }
        output.flush().context("writing output")
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.file.is_none() && self.memory.len() + buf.len() <= self.in_memory {
            self.memory.extend_from_slice(buf);
            return Ok(buf.len());
        }
        let file = match &mut self.file {
            Some(f) => f,
            None => self.file.insert(tempfile::tempfile().map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "cannot create a temporary file in {} to hold the plaintext until the \
                         message is checked: {e}",
                        std::env::temp_dir().display()
                    ),
                )
            })?),
        };
        file.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn new_helper<'h, 'a>(opts: &'h mut DecryptOptions<'a>) -> Helper<'h, 'a> {
    Helper {
        opts,
        report: DecryptReport {
            format: None,
            symmetric_algo: None,
            aead_algo: None,
            recipients: Vec::new(),
            password_packets: 0,
            decrypted_with: None,
            session_key: None,
            signatures: Vec::new(),
            literal: None,
            bytes_out: 0,
            dropped_unhashed_subpackets: 0,
        },
        unlocked: HashMap::new(),
        locked_failures: Vec::new(),
        password_tried: false,
        password_refusals: Vec::new(),
        key_matched: false,
        seen_encryption: false,
        opened: Arc::new(AtomicBool::new(false)),
        unparsed_signature: false,
        session: None,
        skesk5s: Vec::new(),
    }
}

/// Sequoia's own path: every message the fast path does not take.
fn decrypt_stock(
    input: impl Read + Send + Sync,
    output: impl Write,
    opts: &mut DecryptOptions<'_>,
) -> Result<DecryptReport> {
    let mut out = BufWriter::with_capacity(super::IO_BUFFER_SIZE, output);
    let report = run_decryptor(input, &mut out, new_helper(opts))?;
    out.flush().context("writing output")?;
    Ok(report)
}

/// Runs sequoia's decryptor over `input` (a whole message, or the
/// plaintext of one) into `out`; fails unless it saw the message end.
fn run_decryptor(
    input: impl Read + Send + Sync,
    out: &mut dyn Write,
    helper: Helper<'_, '_>,
) -> Result<DecryptReport> {
    let (policy, time, buffer_size) = (
        helper.opts.policy,
        helper.opts.time,
        helper.opts.buffer_size,
    );
    let mut copy = Some(Vec::new());
    let input = super::lenient::Capture {
        inner: input,
        copy: &mut copy,
    };
    let (inside, opened) = (helper.seen_encryption, helper.opened.clone());
    let mut decryptor = DecryptorBuilder::from_reader(input)
        .map_err(|e| classify(e, Stage::Decrypt))?
        .buffer_size(buffer_size)
        .with_policy(policy, time, helper)
        .map_err(|e| {
            let inside = inside || opened.load(Ordering::Relaxed);
            damaged(classify(sed_check(e, inside), Stage::Decrypt))
        })?;
    let n = super::copy(&mut decryptor, out, read_error(Stage::Decrypt))?;
    if !decryptor.message_processed() {
        return Err(unverified_end());
    }
    let helper = decryptor.into_helper();
    let mut report = helper.report;
    report.bytes_out = n;
    if helper.unparsed_signature {
        let key = helper.session.as_ref().map(|(a, k)| (*a, k));
        let mut verify =
            super::verify::VerifyOptions::new(policy, helper.opts.verify_certs.clone());
        verify.time = time;
        verify.cert_lookup = helper.opts.cert_lookup;
        report.dropped_unhashed_subpackets =
            super::verify::repair_unparsed(copy, key, &verify, &mut report.signatures);
    }
    Ok(report)
}

fn unverified_end() -> anyhow::Error {
    Error::new(
        Failure::BadData,
        "the message ended before its end was verified",
    )
    .into()
}

/// The fast path (see `super::fast`): sequoia finds the session key and
/// parses the inner packets; the container is decrypted on a second core.
/// Messages it does not handle are replayed into [`decrypt_stock`].
#[cfg(feature = "crypto-openssl")]
fn decrypt_fast(
    input: impl Read + Send + Sync,
    output: impl Write + Send,
    opts: &mut DecryptOptions<'_>,
) -> Result<DecryptReport> {
    use super::fast::decrypt as fast;

    let (recorder, replay) = fast::record(input);
    let Some(scanned) = fast::scan(recorder) else {
        return decrypt_stock(replay.rewind()?, output, opts);
    };
    let (format, sym_hint, aead) = match &scanned.container {
        super::fast::Container::V1 => (MessageFormat::SeipdV1, None, None),
        super::fast::Container::V2(v2) => (MessageFormat::SeipdV2, Some(v2.sym), Some(v2.aead)),
    };

    // A SEIPDv2 session key from a key packet is authenticated there (AES
    // key wrap, checksum, or AEAD for passwords), so a first chunk that
    // fails its tag is damage (exit 41), not a wrong key; only session
    // keys given by the caller are checked against the first chunk.
    let given: Vec<SessionKey> = opts.session_keys.iter().map(|(_, k)| k.clone()).collect();
    let v2 = format == MessageFormat::SeipdV2;
    let mut helper = new_helper(opts);
    let mut found = None;
    helper
        .decrypt(
            &scanned.pkesks,
            &scanned.skesks,
            sym_hint,
            &mut |algo, sk| {
                let algo = algo.or(sym_hint);
                let fits = if v2 && !given.iter().any(|g| g == sk) {
                    scanned.key_schedule_ok(sk)
                } else {
                    scanned.key_fits(algo, sk)
                };
                if fits {
                    found = Some((algo, sk.clone()));
                }
                fits
            },
        )
        .map_err(|e| damaged(classify(e, Stage::Decrypt)))?;
    let (algo, sk) = found.ok_or_else(|| anyhow::anyhow!("no session key was found"))?;

    if !scanned.cipher_supported(algo) {
        // An older cipher (say CAST5): sequoia's path, with the key found.
        let decrypted_with = helper.report.decrypted_with.take();
        let session_key = helper.report.session_key.take();
        drop(helper);
        drop(scanned);
        opts.session_keys.insert(0, (algo, sk));
        let result = decrypt_stock(replay.rewind()?, output, opts);
        opts.session_keys.remove(0);
        let mut report = result?;
        report.decrypted_with = decrypted_with;
        report.session_key = session_key;
        return Ok(report);
    }

    replay.stop();
    helper.seen_encryption = true;
    helper.report.format = Some(format);
    std::thread::scope(|scope| {
        let reader = scanned.open(scope, algo, &sk)?;
        let verified = reader.verified();
        let mut out = super::fast::writer::ThreadedWriter::new(scope, output)?;
        let mut report = write_plaintext(reader, &mut out, helper)?;
        if !verified.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(unverified_end());
        }
        out.finish().context("writing output")?;
        report.symmetric_algo = algo.map(|a| a.to_string());
        report.aead_algo = aead.map(|a| a.to_string());
        Ok(report)
    })
}

/// Writes the plaintext of a container the fast path opened: a literal
/// data packet straight through, anything else (compressed, signed)
/// through sequoia's parser.
#[cfg(feature = "crypto-openssl")]
fn write_plaintext(
    mut reader: super::fast::decrypt::PlainReader<'_>,
    out: &mut dyn Write,
    helper: Helper<'_, '_>,
) -> Result<DecryptReport> {
    use super::fast::literal;
    let first = std::io::BufRead::fill_buf(&mut reader)
        .map_err(read_error(Stage::Decrypt))?
        .first()
        .copied();
    if !first.is_some_and(literal::is_literal) {
        return run_decryptor(reader, out, helper);
    }
    let mut helper = helper;
    let mut refused = None;
    let copied = literal::copy(&mut reader, out, &mut |header| {
        helper.literal_seen(header.into()).map_err(|e| {
            refused = Some(e);
            std::io::Error::other("the literal data was refused")
        })
    });
    if let Some(e) = refused {
        return Err(e);
    }
    let (_, n) = copied.map_err(|e| {
        if e.get_ref().is_some_and(|i| i.is::<literal::WriteError>()) {
            anyhow::Error::from(e).context("writing output")
        } else {
            read_error(Stage::Decrypt)(e)
        }
    })?;
    let mut report = helper.report;
    report.bytes_out = n;
    Ok(report)
}

/// Sequoia's parser does not know SED packets: it rejects them by policy
/// or as a malformed message before our helper sees them.  Say what they
/// are.
fn sed_check(err: anyhow::Error, inside: bool) -> anyhow::Error {
    let is_sed = err.chain().any(|c| {
        matches!(
            c.downcast_ref::<openpgp::Error>(),
            Some(openpgp::Error::PolicyViolation(s, _)) if s.contains("SED") || s.contains("Symmetrically Encrypted Data")
        )
    });
    if is_sed { sed_found(inside) } else { err }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use openpgp::crypto::S2K;
    use openpgp::packet::skesk::SKESK6;
    use openpgp::policy::StandardPolicy;
    use openpgp::serialize::stream::{Compressor, Encryptor, LiteralWriter, Message};
    use openpgp::types::{AEADAlgorithm, CompressionAlgorithm};

    use super::*;
    use crate::error::failure_of;

    static P: StandardPolicy = StandardPolicy::new();

    fn skesk(s2k: S2K) -> SKESK {
        SKESK::V6(
            SKESK6::new(
                SymmetricAlgorithm::AES256,
                AEADAlgorithm::OCB,
                s2k,
                vec![0; 15].into(),
                vec![0; 48].into(),
            )
            .unwrap(),
        )
    }

    fn argon2(t: u8, p: u8, m: u8) -> SKESK {
        skesk(S2K::Argon2 {
            salt: [0; 16],
            t,
            p,
            m,
        })
    }

    #[test]
    fn password_limits_allow_the_rfc_settings_and_refuse_more() {
        let limits = PasswordLimits::default();
        // RFC 9580's two recommended settings.
        assert_eq!(limits.refusal(&argon2(1, 4, 21)), None);
        assert_eq!(limits.refusal(&argon2(3, 4, 16)), None);
        assert_eq!(limits.refusal(&argon2(2, 4, 21)), None);
        assert_eq!(
            limits.refusal(&skesk(
                S2K::new_iterated(Default::default(), 0x3e00000).unwrap()
            )),
            None
        );
        let why = |t, p, m| limits.refusal(&argon2(t, p, m)).expect("refused");
        assert!(why(1, 4, 22).contains("4 GiB of memory (m=22)"));
        assert!(why(1, 4, 22).contains("more memory than the limit of 2 GiB"));
        assert!(why(1, 4, 255).contains("2^255 KiB of memory (m=255)"));
        assert!(why(3, 4, 21).contains("6 GiB of memory work"));
        assert!(why(255, 4, 21).contains("more than the limit of 4 GiB"));
        assert!(why(1, 17, 16).contains("17 lanes"));
        // A configured limit is the one applied and named.
        let small = PasswordLimits {
            max_argon2_memory: 64 << 20,
            ..PasswordLimits::default()
        };
        assert!(
            small
                .refusal(&argon2(1, 4, 17))
                .unwrap()
                .contains("the limit of 64 MiB")
        );
        assert_eq!(size(3 << 30), "3 GiB");
        assert_eq!(size(1536), "1536 bytes");
    }

    /// A compressed message of a few kilobytes whose 8 MiB of plaintext
    /// fail the MDC at the end: nothing is written with hold_back (the
    /// default), everything but the end without it.
    #[test]
    fn a_small_compressed_message_releases_nothing_until_checked() {
        let plaintext = vec![b'z'; 8 << 20];
        let mut ct = Vec::new();
        let m = Message::new(&mut ct);
        let m = Encryptor::with_passwords(m, Some("pw")).build().unwrap();
        let m = Compressor::new(m)
            .algo(CompressionAlgorithm::Zip)
            .build()
            .unwrap();
        let mut w = LiteralWriter::new(m).build().unwrap();
        w.write_all(&plaintext).unwrap();
        w.finalize().unwrap();
        assert!(ct.len() < 64 << 10, "{}", ct.len());
        let n = ct.len();
        ct[n - 3] ^= 0x40;
        for hold_back in [true, false] {
            let mut opts = DecryptOptions::new(&P);
            opts.passwords = vec!["pw".into()];
            opts.hold_back = hold_back;
            let mut out = Vec::new();
            let e = decrypt(&ct[..], &mut out, &mut opts).unwrap_err();
            assert_eq!(failure_of(&e), Some(Failure::BadData), "{e:#}");
            if hold_back {
                assert!(out.is_empty(), "{} bytes released", out.len());
            } else {
                assert!(out.len() > 1 << 20, "{} bytes released", out.len());
            }
        }
        // Undamaged, all of it comes out, through the temporary file.
        ct[n - 3] ^= 0x40;
        let mut opts = DecryptOptions::new(&P);
        opts.passwords = vec!["pw".into()];
        let mut out = Vec::new();
        let report = decrypt(&ct[..], &mut out, &mut opts).unwrap();
        assert!(out == plaintext);
        assert_eq!(report.bytes_out, plaintext.len() as u64);
    }

    /// A SED packet is what an integrity protected container can decrypt
    /// to when a bit of it was flipped: damage, not the sender's format
    /// (that case, a SED packet as the message, is
    /// `ops::tests::sed_packets_are_refused`).
    #[test]
    fn a_sed_packet_inside_the_container_is_damage() {
        let mut sed = vec![0xc9, 40];
        sed.extend_from_slice(&[7; 40]);
        let mut ct = Vec::new();
        let m = Message::new(&mut ct);
        let mut m = Encryptor::with_passwords(m, Some("pw")).build().unwrap();
        m.write_all(&sed).unwrap();
        m.finalize().unwrap();
        let mut opts = DecryptOptions::new(&P);
        opts.passwords = vec!["pw".into()];
        let mut out = Vec::new();
        let e = decrypt(&ct[..], &mut out, &mut opts).unwrap_err();
        assert_eq!(failure_of(&e), Some(Failure::BadData), "{e:#}");
        assert!(format!("{e:#}").contains("modified or damaged"), "{e:#}");
        assert!(out.is_empty());
    }
}
