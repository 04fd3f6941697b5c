use anyhow::Result;
use openpgp::Fingerprint;
use openpgp::cert::prelude::*;
use sequoia_openpgp as openpgp;

use super::upkeep::{self, OwnKey};
use crate::cli::ExpireArgs;
use crate::context::Context;
use crate::error::{Error, Failure};

pub fn run(ctx: &Context, args: ExpireArgs) -> Result<()> {
    let when = crate::time::parse_when(&args.when, ctx.time).map_err(|e| {
        Error::new(Failure::Usage, e).hint("for example: zpgp expire alice@example.org 2y")
    })?;
    if when.is_some_and(|t| t <= ctx.time) && !args.force {
        return Err(Error::new(
            Failure::Usage,
            format!(
                "{} is in the past: the key would expire at once",
                args.when.trim()
            ),
        )
        .hint(format!(
            "to retire the key that way, say so: zpgp expire --force {} {}",
            shell_word(&args.query),
            shell_word(args.when.trim())
        ))
        .into());
    }
    let own = upkeep::own_key(ctx, &args.query)?;
    let (primary, subkeys, signing) = targets(ctx, &own, &args.subkey)?;
    let passwords = upkeep::primary_passphrases(ctx, &own, &signing)?;
    upkeep::wait_to_sign(ctx, &own);
    let updated = crate::ops::upkeep::set_expiration(
        &own.tsk,
        &ctx.policy,
        ctx.time,
        &passwords,
        primary,
        &subkeys,
        when,
    )?;
    let cert = upkeep::store(ctx, updated)?;

    // As of now: the new signatures are younger than the start of the
    // command.
    let info = crate::ops::keyinfo::describe(&cert, &ctx.policy, std::time::SystemTime::now());
    let until = |e: &Option<String>| match e {
        Some(t) if when.is_some_and(|w| w <= ctx.time) => {
            format!("has expired (as of {})", &t[..10])
        }
        Some(t) => format!("now expires {}", &t[..10]),
        None => "now never expires".to_string(),
    };
    if primary {
        ctx.info(format_args!(
            "zpgp: the key {} {}",
            own.label,
            until(&info.expires)
        ));
    }
    for k in info
        .subkeys
        .iter()
        .filter(|k| subkeys.iter().any(|f| format!("{f:X}") == k.fingerprint))
    {
        ctx.info(format_args!(
            "zpgp: the subkey {} [{}] {}",
            k.fingerprint,
            crate::ops::keyinfo::capability_letters(&k.capabilities),
            until(&k.expires)
        ));
    }
    upkeep::share_hint(ctx, &own.fpr);
    Ok(())
}

/// Whether the primary key changes, and which subkeys: those named, or
/// else every subkey that is not revoked; and which of those sign (their
/// new binding needs their own signature, so their passphrase too).
fn targets(
    ctx: &Context,
    own: &OwnKey,
    named: &[String],
) -> Result<(bool, Vec<Fingerprint>, Vec<Fingerprint>)> {
    let vc = own.tsk.with_policy(&ctx.policy, ctx.time).map_err(|e| {
        Error::new(
            Failure::PrimaryKeyBad,
            format!("the key {} is not valid under the policy: {e}", own.label),
        )
    })?;
    if named.is_empty() {
        let all: Vec<Fingerprint> = vc
            .keys()
            .subkeys()
            .revoked(false)
            .map(|k| k.key().fingerprint())
            .collect();
        let signing = signing_among(&vc, &all);
        return Ok((true, all, signing));
    }
    let mut out = Vec::new();
    for q in named {
        let fpr = upkeep::find_subkey(ctx, &own.tsk, q)?;
        let Some(ka) = vc.keys().subkeys().find(|k| k.key().fingerprint() == fpr) else {
            return Err(Error::new(
                Failure::PrimaryKeyBad,
                format!("the subkey {fpr:X} is not validly bound under the policy"),
            )
            .into());
        };
        if matches!(
            ka.revocation_status(),
            openpgp::types::RevocationStatus::Revoked(_)
        ) {
            return Err(Error::new(
                Failure::PrimaryKeyBad,
                format!("the subkey {fpr:X} is revoked; its expiry no longer matters"),
            )
            .into());
        }
        if !out.contains(&fpr) {
            out.push(fpr);
        }
    }
    let signing = signing_among(&vc, &out);
    Ok((false, out, signing))
}

fn signing_among(vc: &ValidCert<'_>, subkeys: &[Fingerprint]) -> Vec<Fingerprint> {
    vc.keys()
        .subkeys()
        .for_signing()
        .map(|k| k.key().fingerprint())
        .filter(|f| subkeys.contains(f))
        .collect()
}

/// `s`, quoted for a shell when it needs it (for hints).
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "@.-_+:/=".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
