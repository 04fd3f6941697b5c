//! `--verify SIG -`: a detached signature over standard input, as git
//! checks a commit or tag, answered with the status lines git parses
//! (NEWSIG, then one of GOODSIG, BADSIG, ERRSIG, EXPKEYSIG, REVKEYSIG;
//! VALIDSIG and TRUST_* for a good one) and gpg's human lines on stderr,
//! which `git log --show-signature` and `git verify-commit` show.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use sequoia_openpgp as openpgp;

use openpgp::packet::Signature;
use openpgp::parse::{PacketParser, PacketParserResult, Parse};
use openpgp::{Fingerprint, KeyHandle, KeyID, Packet};

use super::args::Invocation;
use super::status::{StatusFd, escape};
use crate::commands::{auth, common};
use crate::context::Context;
use crate::display::Safe;
use crate::ops::{self, SignatureReport, SignatureStatus, VerifyOptions};
use crate::trust::Level;

pub fn run(
    ctx: &Context,
    inv: &Invocation,
    signature: &Path,
    data: Option<&Path>,
) -> Result<ExitCode> {
    let mut status = StatusFd::open(inv.status_fd)?;
    let sig_bytes = std::fs::read(signature).map_err(|e| crate::error::unreadable(signature, e))?;
    let keyring = ctx.keyring()?;
    let lookup = |ids: &[KeyHandle]| keyring.certs_by_handles(ids);
    let mut opts = VerifyOptions::new(&ctx.policy, Vec::new());
    opts.cert_lookup = Some(&lookup);
    opts.time = Some(ctx.time);
    let data: Box<dyn Read + Send + Sync> = match data {
        Some(p) => common::open_input(Some(p))?,
        None => Box::new(std::io::stdin()),
    };
    let mut report = match ops::verify_detached(std::io::Cursor::new(&sig_bytes), data, &opts) {
        Ok(r) => r,
        Err(e) => {
            // DETAILS: NODATA 3, "invalid packet found".
            status.line("NODATA", "3");
            return Err(e);
        }
    };
    auth::judge_signatures(ctx, &mut report.signatures, true);

    let packets = signature_packets(&sig_bytes);
    let mut all_good = !report.signatures.is_empty();
    let mut any_bad = false;
    for (i, s) in report.signatures.iter().enumerate() {
        let packet = packets.get(i);
        one(ctx, &mut status, s, packet);
        all_good &= s.is_good();
        any_bad |= s.status == SignatureStatus::Bad;
    }
    // gpg's codes: 0 all good, 1 a bad signature, 2 anything else.
    Ok(ExitCode::from(if all_good {
        0
    } else if any_bad {
        1
    } else {
        2
    }))
}

/// The signature packets of a detached signature, in order (the report
/// lists its verdicts in the same order).
fn signature_packets(bytes: &[u8]) -> Vec<Signature> {
    let mut sigs = Vec::new();
    let Ok(mut ppr) = PacketParser::from_bytes(bytes) else {
        return sigs;
    };
    while let PacketParserResult::Some(pp) = ppr {
        let Ok((packet, next)) = pp.next() else { break };
        if let Packet::Signature(s) = packet {
            sigs.push(s);
        }
        ppr = next;
    }
    sigs
}

fn one(ctx: &Context, status: &mut StatusFd, s: &SignatureReport, packet: Option<&Signature>) {
    let say = |line: String| ctx.info(format!("zpgp-gpg: {line}"));
    let key_fpr: Option<Fingerprint> = s.key_fingerprint.as_deref().and_then(|f| f.parse().ok());
    let issuer: Option<KeyHandle> = s.issuer.as_deref().and_then(|i| i.parse().ok());
    let keyid = key_fpr
        .clone()
        .map(KeyID::from)
        .or_else(|| issuer.clone().map(KeyID::from))
        .map_or_else(|| "0000000000000000".to_string(), |k| k.to_hex());
    let uid = s.user_id.clone().unwrap_or_else(|| format!("[{keyid}]"));
    let (pk, hash, class, version) = packet.map_or((0, 0, 0, 4), |p| {
        (
            u8::from(p.pk_algo()),
            u8::from(p.hash_algo()),
            u8::from(p.typ()),
            p.version(),
        )
    });
    let created = s.creation_time;
    let timestamp = created
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());

    status.line("NEWSIG", "");
    if let Some(t) = created {
        say(format!("Signature made {}", crate::time::rfc3339(t)));
    }
    let algo = packet.map(|p| p.pk_algo().to_string()).unwrap_or_default();
    let by = key_fpr
        .as_ref()
        .map(|f| f.to_hex())
        .or_else(|| s.issuer.clone())
        .unwrap_or_default();
    say(format!("               using {algo} key {by}"));

    let level = auth::level_of(s).unwrap_or(Level::None);
    let (trust_status, trust_word) = match level {
        Level::Own => ("TRUST_ULTIMATE", "ultimate"),
        Level::Full => ("TRUST_FULLY", "full"),
        Level::Partial => ("TRUST_MARGINAL", "marginal"),
        Level::None => ("TRUST_UNDEFINED", "unknown"),
    };
    let args = format!("{keyid} {}", escape(&uid));
    let why = s.reason.as_deref().map(Safe).map(|r| r.to_string());
    match s.status {
        SignatureStatus::Good => {
            status.line("GOODSIG", &args);
            let date = created
                .map(|t| crate::time::rfc3339(t)[..10].to_string())
                .unwrap_or_default();
            status.line(
                "VALIDSIG",
                &format!(
                    "{} {date} {timestamp} 0 {version} 0 {pk} {hash} {class:02X} {}",
                    key_fpr.map(|f| f.to_hex()).unwrap_or_default(),
                    s.cert_fingerprint.as_deref().unwrap_or_default(),
                ),
            );
            status.line(trust_status, "0 pgp");
            say(format!(
                "Good signature from \"{}\" [{trust_word}]",
                Safe(&uid)
            ));
            if let Some(note) = auth::signature_note(s) {
                say(format!("note: {note}"));
            }
        }
        SignatureStatus::Bad => {
            status.line("BADSIG", &args);
            say(format!(
                "BAD signature from \"{}\" [{trust_word}]",
                Safe(&uid)
            ));
        }
        SignatureStatus::KeyExpired => {
            status.line("EXPKEYSIG", &args);
            say(format!(
                "Signature from \"{}\" by an expired key{}",
                Safe(&uid),
                why.map(|w| format!(": {w}")).unwrap_or_default()
            ));
        }
        SignatureStatus::KeyRevoked => {
            status.line("REVKEYSIG", &args);
            say(format!(
                "Signature from \"{}\" by a revoked key{}",
                Safe(&uid),
                why.map(|w| format!(": {w}")).unwrap_or_default()
            ));
        }
        SignatureStatus::UnknownSigner => {
            let fpr = packet
                .and_then(|p| p.issuer_fingerprints().next().map(|f| f.to_hex()))
                .unwrap_or_else(|| "-".into());
            // DETAILS: rc 9, the public key is missing.
            status.line(
                "ERRSIG",
                &format!("{keyid} {pk} {hash} {class:02X} {timestamp} 9 {fpr}"),
            );
            status.line("NO_PUBKEY", &keyid);
            say("Can't check signature: No public key".into());
            say(format!(
                "note: the key {by} is not on file; import the signer's certificate with \
                 'zpgp import FILE'"
            ));
        }
        SignatureStatus::Rejected
        | SignatureStatus::KeyInvalid
        | SignatureStatus::Malformed
        | SignatureStatus::OutOfRange => {
            // DETAILS: rc 4, an algorithm or key not usable.
            status.line(
                "ERRSIG",
                &format!("{keyid} {pk} {hash} {class:02X} {timestamp} 4 -"),
            );
            say(format!(
                "Can't check signature: {}",
                why.unwrap_or_else(|| "not acceptable".into())
            ));
        }
    }
}
