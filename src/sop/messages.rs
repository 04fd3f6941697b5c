//! SOP message subcommands over the same ops as `zpgp encrypt`, `decrypt`,
//! `sign` and `verify`.

use std::io::Write;

use anyhow::Result;
use sequoia_openpgp as openpgp;

use openpgp::Cert;
use openpgp::crypto::{Password, SessionKey};
use openpgp::policy::StandardPolicy;
use openpgp::types::SymmetricAlgorithm;

use super::cli::{self, InlineSignAs, SignAs};
use super::io::{self, Gate, OutTarget};
use crate::error::{Error, Failure, fail};
use crate::ops::{self, SignMode, SignatureReport, text::Utf8Checked};
use crate::passphrase::Fds;

/// Unlocks the signing key of every key given.
fn signers(
    keys: &[Cert],
    passwords: &[Password],
    policy: &StandardPolicy,
) -> Result<Vec<ops::SigningKey>> {
    keys.iter()
        .map(|k| {
            let key = ops::signing_key(k, policy, None)?;
            let hashes = ops::preferred_hashes(k, policy, None);
            ops::certs::unlock_any(&key, passwords)
                .map(|pair| ops::SigningKey::from(pair).with_preferred_hashes(hashes))
        })
        .collect()
}

/// Checks an optional indirect output before any work is done.
fn target(spec: Option<&str>, fds: &Fds) -> Result<Option<OutTarget>> {
    spec.map(|spec| io::out_target(spec, fds)).transpose()
}

fn dates(nb: Option<&str>, na: Option<&str>) -> Result<DateRange> {
    Ok(DateRange {
        not_before: nb.map(io::parse_date).transpose()?.flatten(),
        not_after: na.map(io::parse_date).transpose()?.flatten(),
    })
}

struct DateRange {
    not_before: Option<std::time::SystemTime>,
    not_after: Option<std::time::SystemTime>,
}

/// The draft's VERIFICATIONS lines, one per good signature: time,
/// signing (sub)key, certificate, `mode:`, and a JSON object naming the
/// CERTS arguments that held the signer.  (No leading keyword: the draft
/// has none, and sqop, gosop and pgpainless-cli write none.)
fn verification_lines(sigs: &[SignatureReport], certs: &[(Cert, String)]) -> String {
    let mut out = String::new();
    for s in sigs.iter().filter(|s| s.is_good()) {
        let cert = s.cert_fingerprint.clone().unwrap_or_default();
        let mut signers: Vec<&str> = certs
            .iter()
            .filter(|(c, _)| c.fingerprint().to_hex() == cert)
            .map(|(_, n)| n.as_str())
            .collect();
        signers.dedup();
        let json = serde_json::json!({ "signers": signers });
        out.push_str(&format!(
            "{} {} {} mode:{} {}\n",
            s.creation_time
                .map(crate::time::rfc3339)
                .unwrap_or_default(),
            s.key_fingerprint.as_deref().unwrap_or_default(),
            cert,
            if s.signature_type == "text" {
                "text"
            } else {
                "binary"
            },
            json
        ));
    }
    out
}

/// Fails with NO_SIGNATURE when no signature is good, saying why.
fn require_good(sigs: &[SignatureReport]) -> Result<()> {
    if sigs.iter().any(|s| s.is_good()) {
        return Ok(());
    }
    let why: Vec<String> = sigs.iter().filter_map(|s| s.reason.clone()).collect();
    Err(fail(
        Failure::NoSignature,
        if why.is_empty() {
            "no signature found".to_string()
        } else {
            format!("no valid signature: {}", why.join("; "))
        },
    ))
}

fn sign_as(
    mode: SignMode,
    text: bool,
    armor: bool,
    keys: &[String],
    key_passwords: &[String],
    fds: &Fds,
    policy: &StandardPolicy,
) -> Result<(Gate, ops::SignReport)> {
    let passwords = io::passwords_to_try(key_passwords, fds)?;
    let keys = io::read_keys(keys, fds)?;
    let mut opts = ops::SignOptions::new(mode, signers(&keys, &passwords, policy)?);
    opts.armor = armor;
    opts.text = text;
    let mut gate = Gate::new();
    let stdin = std::io::stdin();
    let report = if text || mode == SignMode::Cleartext {
        let (input, verdict) = Utf8Checked::new(stdin);
        ops::sign(input, &mut gate, &opts).map_err(|e| verdict.map(e))?
    } else {
        ops::sign(stdin, &mut gate, &opts)?
    };
    Ok((gate, report))
}

pub fn sign(a: cli::SignArgs, fds: &Fds, policy: &StandardPolicy) -> Result<()> {
    let micalg = target(a.micalg_out.as_deref(), fds)?;
    let (gate, report) = sign_as(
        SignMode::Detached,
        a.as_ == SignAs::Text,
        !a.no_armor,
        &a.keys,
        &a.with_key_password,
        fds,
        policy,
    )?;
    if let Some(t) = micalg {
        t.write(report.micalg.as_bytes())?;
    }
    gate.commit()
}

pub fn inline_sign(a: cli::InlineSignArgs, fds: &Fds, policy: &StandardPolicy) -> Result<()> {
    if a.as_ == InlineSignAs::Clearsigned && a.no_armor {
        return Err(fail(
            Failure::IncompatibleOptions,
            "--as=clearsigned is always armored: it cannot go with --no-armor",
        ));
    }
    let mode = if a.as_ == InlineSignAs::Clearsigned {
        SignMode::Cleartext
    } else {
        SignMode::Inline
    };
    let (gate, _) = sign_as(
        mode,
        a.as_ != InlineSignAs::Binary,
        !a.no_armor,
        &a.keys,
        &a.with_key_password,
        fds,
        policy,
    )?;
    gate.commit()
}

pub fn verify(a: cli::VerifyArgs, fds: &Fds, policy: &StandardPolicy) -> Result<()> {
    let range = dates(a.not_before.as_deref(), a.not_after.as_deref())?;
    let signatures = io::read_input(&a.signatures, fds)?;
    let certs = io::read_certs_named(&a.certs, fds)?;
    let mut opts = ops::VerifyOptions::new(policy, certs.iter().map(|c| c.0.clone()).collect());
    opts.not_before = range.not_before;
    opts.not_after = range.not_after;
    let report = ops::verify_detached(&signatures[..], std::io::stdin(), &opts)?;
    require_good(&report.signatures)?;
    let mut gate = Gate::new();
    gate.write_all(verification_lines(&report.signatures, &certs).as_bytes())?;
    gate.commit()
}

pub fn inline_verify(a: cli::InlineVerifyArgs, fds: &Fds, policy: &StandardPolicy) -> Result<()> {
    let out = target(a.verifications_out.as_deref(), fds)?;
    let range = dates(a.not_before.as_deref(), a.not_after.as_deref())?;
    let certs = io::read_certs_named(&a.certs, fds)?;
    let mut opts = ops::VerifyOptions::new(policy, certs.iter().map(|c| c.0.clone()).collect());
    opts.not_before = range.not_before;
    opts.not_after = range.not_after;
    let mut gate = Gate::new();
    let report = ops::verify(std::io::stdin(), &mut gate, &opts)?;
    require_good(&report.signatures)?;
    if let Some(t) = out {
        t.write(verification_lines(&report.signatures, &certs).as_bytes())?;
    }
    gate.commit()
}

pub fn inline_detach(a: cli::InlineDetachArgs, fds: &Fds) -> Result<()> {
    let out = io::out_target(&a.signatures_out, fds)?;
    let mut gate = Gate::new();
    let sigs = ops::detach::inline_detach(std::io::stdin(), &mut gate)?;
    out.write(&ops::detach::write_signatures(&sigs, !a.no_armor)?)?;
    gate.commit()
}

pub fn encrypt(a: cli::EncryptArgs, fds: &Fds, policy: &StandardPolicy) -> Result<()> {
    let profile = super::profile("encrypt", a.profile.as_deref())?;
    let sk_out = target(a.session_key_out.as_deref(), fds)?;
    let mut opts = ops::EncryptOptions::new(policy);
    for spec in &a.certs {
        opts.recipients.extend(io::read_certs(spec, fds)?);
    }
    for spec in &a.with_password {
        opts.passwords.push(io::new_password(spec, fds)?);
    }
    let key_passwords = io::passwords_to_try(&a.with_key_password, fds)?;
    let keys = io::read_keys(&a.sign_with, fds)?;
    opts.signers = signers(&keys, &key_passwords, policy)?;
    opts.armor = !a.no_armor;
    opts.text = a.as_ == SignAs::Text;
    opts.export_session_key = sk_out.is_some();
    opts.format = match profile {
        super::Profile::Rfc4880 => ops::MessageFormat::Auto,
        super::Profile::Rfc9580 | super::Profile::Rfc9980 => ops::MessageFormat::SeipdV2,
    };
    let mut gate = Gate::new();
    let stdin = std::io::stdin();
    let report = if opts.text {
        let (input, verdict) = Utf8Checked::new(stdin);
        ops::encrypt(input, &mut gate, &opts).map_err(|e| verdict.map(e))?
    } else {
        ops::encrypt(stdin, &mut gate, &opts)?
    };
    if let (Some(t), Some(sk)) = (sk_out, report.session_key) {
        t.write(format!("{sk}\n").as_bytes())?;
    }
    gate.commit()
}

/// Reads a session key: `ALGO:HEX`, ALGO the decimal cipher number.
fn session_key(spec: &str, fds: &Fds) -> Result<(Option<SymmetricAlgorithm>, SessionKey)> {
    let data = io::read_input(spec, fds)?;
    let text = String::from_utf8_lossy(&data);
    let bad = || {
        fail(
            Failure::BadData,
            format!("{spec} does not hold a session key of the form ALGO:HEX"),
        )
    };
    let (algo, hex) = text.trim().split_once(':').ok_or_else(bad)?;
    let algo = if algo.is_empty() {
        None
    } else {
        Some(SymmetricAlgorithm::from(
            algo.parse::<u8>().map_err(|_| bad())?,
        ))
    };
    let bytes = openpgp::fmt::hex::decode(hex).map_err(|_| bad())?;
    Ok((algo, SessionKey::from(bytes)))
}

pub fn decrypt(a: cli::DecryptArgs, fds: &Fds, policy: &StandardPolicy) -> Result<()> {
    if a.verify_with.is_empty() != a.verifications_out.is_none() {
        return Err(fail(
            Failure::IncompleteVerification,
            "--verify-with and --verifications-out go together",
        ));
    }
    let sk_out = target(a.session_key_out.as_deref(), fds)?;
    let ver_out = target(a.verifications_out.as_deref(), fds)?;
    let range = dates(
        a.verify_not_before.as_deref(),
        a.verify_not_after.as_deref(),
    )?;
    if a.keys.is_empty() && a.with_password.is_empty() && a.with_session_key.is_empty() {
        return Err(fail(
            Failure::MissingArg,
            "nothing to decrypt with: give KEYS, --with-password or --with-session-key",
        ));
    }
    let mut opts = ops::DecryptOptions::new(policy);
    opts.secret_keys = io::read_keys(&a.keys, fds)?;
    opts.key_passwords = io::passwords_to_try(&a.with_key_password, fds)?;
    opts.passwords = io::passwords_to_try(&a.with_password, fds)?;
    opts.session_keys = a
        .with_session_key
        .iter()
        .map(|s| session_key(s, fds))
        .collect::<Result<_>>()?;
    let certs = io::read_certs_named(&a.verify_with, fds)?;
    opts.verify_certs = certs.iter().map(|c| c.0.clone()).collect();
    opts.export_session_key = sk_out.is_some();
    let mut gate = Gate::new();
    let mut report = ops::decrypt(std::io::stdin(), &mut gate, &mut opts)?;
    for s in &mut report.signatures {
        s.constrain(range.not_before, range.not_after);
    }
    if let Some(t) = sk_out {
        let sk = report.session_key.clone().ok_or_else(|| {
            Error::new(
                Failure::CannotDecrypt,
                "the session key of this message is not known",
            )
        })?;
        t.write(format!("{sk}\n").as_bytes())?;
    }
    if let Some(t) = ver_out {
        t.write(verification_lines(&report.signatures, &certs).as_bytes())?;
    }
    gate.commit()
}

pub fn armor() -> Result<()> {
    let mut gate = Gate::new();
    ops::armor(std::io::stdin(), &mut gate, None)?;
    gate.commit()
}

pub fn dearmor() -> Result<()> {
    let mut gate = Gate::new();
    ops::dearmor(std::io::stdin(), &mut gate)?;
    gate.commit()
}
