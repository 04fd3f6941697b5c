use anyhow::Result;
use openpgp::packet::UserID;
use openpgp::types::ReasonForRevocation;
use openpgp::{Cert, Fingerprint};
use sequoia_openpgp as openpgp;

use super::upkeep::{self, OwnKey};
use crate::cli::{RevocationReason, RevokeArgs};
use crate::context::Context;
use crate::display::Safe;
use crate::error::{Error, Failure};
use crate::ops::keyinfo::reason_name;
use crate::ops::upkeep::Target;

pub fn run(ctx: &Context, args: RevokeArgs) -> Result<()> {
    let own = upkeep::own_key(ctx, &args.query)?;
    let reason = match args.reason {
        RevocationReason::Compromised => ReasonForRevocation::KeyCompromised,
        RevocationReason::Superseded => ReasonForRevocation::KeySuperseded,
        RevocationReason::Retired => ReasonForRevocation::KeyRetired,
        RevocationReason::Unspecified => ReasonForRevocation::Unspecified,
    };
    let reason = if args.userid.is_empty() {
        reason
    } else {
        match args.reason {
            RevocationReason::Retired => ReasonForRevocation::UIDRetired,
            RevocationReason::Unspecified => ReasonForRevocation::Unspecified,
            _ => {
                return Err(Error::new(
                    Failure::Usage,
                    "a user ID is revoked as 'retired' or 'unspecified'; a compromised or superseded key is revoked whole",
                )
                .into());
            }
        }
    };
    let subkeys: Vec<Fingerprint> = args
        .subkey
        .iter()
        .map(|q| upkeep::find_subkey(ctx, &own.tsk, q))
        .collect::<Result<_>>()?;
    let userids: Vec<UserID> = args
        .userid
        .iter()
        .map(|q| upkeep::find_userid(&own.tsk, q))
        .collect::<Result<_>>()?;
    let targets: Vec<Target> = if !subkeys.is_empty() {
        subkeys.iter().map(Target::Subkey).collect()
    } else if !userids.is_empty() {
        userids.iter().map(Target::UserId).collect()
    } else {
        vec![Target::Cert]
    };
    let message = args.message.as_deref().unwrap_or("");
    revoke(ctx, &own, &targets, reason, message, args.yes)
}

/// Revokes each target not revoked yet, after confirmation.
pub(super) fn revoke(
    ctx: &Context,
    own: &OwnKey,
    targets: &[Target],
    reason: ReasonForRevocation,
    message: &str,
    yes: bool,
) -> Result<()> {
    let mut todo = Vec::new();
    for t in targets {
        let done = crate::ops::upkeep::revocations(&own.tsk, &ctx.policy, ctx.time, t)?;
        match done.first() {
            Some(sig) => ctx.info(format_args!(
                "zpgp: {} is already revoked ({}); nothing to do",
                name(own, t),
                reason_text(sig)
            )),
            None => todo.push(t),
        }
    }
    if todo.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = todo.iter().map(|t| name(own, t)).collect();
    if !yes && !ctx.batch {
        for n in &names {
            ctx.say(format_args!(
                "about to revoke {n} ({})",
                reason_name(reason)
            ));
        }
        ctx.say(
            "a revocation cannot be taken back: once your contacts have it, they no longer use what it revokes",
        );
    }
    upkeep::confirm(ctx, yes, "revoking", "Revoke?")?;

    let passwords = upkeep::primary_passphrases(ctx, own, &[])?;
    let mut tsk: Cert = own.tsk.clone();
    for t in &todo {
        tsk = crate::ops::upkeep::revoke(
            &tsk,
            &ctx.policy,
            ctx.time,
            &passwords,
            t,
            reason,
            message,
        )?;
    }
    // A revoked key or subkey is not to go on signing from the agent.
    super::keystore::forget(ctx, &tsk);
    upkeep::store(ctx, tsk)?;
    for n in &names {
        ctx.info(format_args!("zpgp: revoked {n} ({})", reason_name(reason)));
    }
    if todo.iter().any(|t| matches!(t, Target::Cert)) {
        ctx.info(format_args!(
            "zpgp: the revocation certificate that 'zpgp generate' stored in {} is no longer needed",
            ctx.home
                .join("revocations")
                .join(format!("{:X}.rev", own.fpr))
                .display()
        ));
    }
    upkeep::share_hint(ctx, &own.fpr);
    Ok(())
}

fn name(own: &OwnKey, t: &Target) -> String {
    match t {
        Target::Cert => format!("the key {}", own.label),
        Target::Subkey(f) => format!("the subkey {f:X} of {:X}", own.fpr),
        Target::UserId(u) => format!(
            "the user ID {} of {:X}",
            Safe(&String::from_utf8_lossy(u.value())),
            own.fpr
        ),
    }
}

fn reason_text(sig: &openpgp::packet::Signature) -> String {
    match sig.reason_for_revocation() {
        Some((code, text)) if !text.is_empty() => {
            format!(
                "{}: {}",
                reason_name(code),
                Safe(&String::from_utf8_lossy(text))
            )
        }
        Some((code, _)) => reason_name(code).to_string(),
        None => "no reason given".to_string(),
    }
}
