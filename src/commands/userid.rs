use anyhow::Result;
use openpgp::cert::amalgamation::ValidAmalgamation;
use openpgp::packet::UserID;
use openpgp::types::ReasonForRevocation;
use sequoia_openpgp as openpgp;

use super::upkeep;
use crate::cli::{UseridAddArgs, UseridArgs, UseridCommand, UseridRevocationReason};
use crate::context::Context;
use crate::display::Safe;
use crate::error::{Error, Failure};
use crate::ops::upkeep::Target;

pub fn run(ctx: &Context, args: UseridArgs) -> Result<()> {
    match args.command {
        UseridCommand::Add(a) => add(ctx, a),
        UseridCommand::Revoke(a) => {
            let own = upkeep::own_key(ctx, &a.query)?;
            let uid = upkeep::find_userid(&own.tsk, &a.userid)?;
            let reason = match a.reason {
                UseridRevocationReason::Retired => ReasonForRevocation::UIDRetired,
                UseridRevocationReason::Unspecified => ReasonForRevocation::Unspecified,
            };
            super::revoke::revoke(
                ctx,
                &own,
                &[Target::UserId(&uid)],
                reason,
                a.message.as_deref().unwrap_or(""),
                a.yes,
            )
        }
    }
}

fn add(ctx: &Context, args: UseridAddArgs) -> Result<()> {
    let text = new_userid(&args)?;
    let own = upkeep::own_key(ctx, &args.query)?;
    let uid = UserID::from(text.as_str());
    if let Some(u) = own.tsk.userids().find(|u| u.userid() == &uid) {
        let revoked = own
            .tsk
            .with_policy(&ctx.policy, ctx.time)
            .ok()
            .and_then(|vc| {
                vc.userids()
                    .find(|v| v.userid() == u.userid())
                    .map(|v| v.revocation_status())
            });
        if matches!(revoked, Some(openpgp::types::RevocationStatus::Revoked(_))) {
            // Binding it anew would not undo the revocation for peers
            // that have both: a revocation of a user ID is for good.
            return Err(Error::new(
                Failure::IncompatibleOptions,
                format!(
                    "the user ID {} of {:X} was revoked, and a revocation is for good",
                    Safe(&text),
                    own.fpr
                ),
            )
            .into());
        }
        if u.self_signatures().next().is_some() {
            ctx.info(format_args!(
                "zpgp: {:X} already has the user ID {}; nothing to do",
                own.fpr,
                Safe(&text)
            ));
            return Ok(());
        }
    }
    let passwords = upkeep::primary_passphrases(ctx, &own, &[])?;
    upkeep::wait_to_sign(ctx, &own);
    let updated = crate::ops::upkeep::add_userid(&own.tsk, &ctx.policy, ctx.time, &passwords, uid)?;
    upkeep::store(ctx, updated)?;
    ctx.info(format_args!(
        "zpgp: added the user ID {} to {}",
        Safe(&text),
        own.label
    ));
    upkeep::share_hint(ctx, &own.fpr);
    Ok(())
}

/// The new user ID's text, checked as `generate` checks its parts.
fn new_userid(args: &UseridAddArgs) -> Result<String> {
    let bad = |what: &str| -> anyhow::Error { Error::new(Failure::Usage, what.to_string()).into() };
    if let Some(u) = &args.userid {
        let u = u.trim();
        if u.is_empty() || u.contains(['\n', '\r']) {
            return Err(bad("the user ID is empty or contains a line break"));
        }
        return Ok(u.to_string());
    }
    let name = args.name.as_deref().map(str::trim);
    if name.is_some_and(|n| !super::generate::plausible_name(n)) {
        return Err(bad(
            "the name is empty or contains '<', '>' or a line break",
        ));
    }
    let email = args.email.as_deref().map(str::trim);
    if let Some(e) = email.filter(|e| !super::generate::plausible_email(e)) {
        return Err(bad(&format!("{e:?} is not an email address")));
    }
    Ok(match (name, email) {
        (Some(n), Some(e)) => format!("{n} <{e}>"),
        (Some(n), None) => n.to_string(),
        (None, Some(e)) => format!("<{e}>"),
        (None, None) => return Err(bad("give a USERID, or --name and/or --email")),
    })
}
