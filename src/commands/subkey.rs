use std::time::SystemTime;

use anyhow::Result;
use openpgp::Fingerprint;
use sequoia_openpgp as openpgp;

use super::upkeep::{self, OwnKey};
use crate::cli::{self, SubkeyArgs, SubkeyCommand};
use crate::context::Context;
use crate::error::{Error, Failure};
use crate::ops::upkeep::SubkeyUse;

pub fn run(ctx: &Context, args: SubkeyArgs) -> Result<()> {
    match args.command {
        SubkeyCommand::Add(a) => {
            let own = upkeep::own_key(ctx, &a.query)?;
            let passwords = upkeep::primary_passphrases(ctx, &own, &[])?;
            let usage = usage(a.usage);
            let (tsk, new) = add(
                ctx,
                &own,
                usage,
                a.cipher_suite,
                a.expires.as_deref(),
                &passwords,
            )?;
            let cert = upkeep::store(ctx, tsk)?;
            say_new(ctx, &own, &cert, &new);
            upkeep::share_hint(ctx, &own.fpr);
            Ok(())
        }
        SubkeyCommand::Rotate(a) => rotate(ctx, a),
    }
}

fn usage(u: cli::SubkeyUse) -> SubkeyUse {
    match u {
        cli::SubkeyUse::Encrypt => SubkeyUse::Encrypt,
        cli::SubkeyUse::Sign => SubkeyUse::Sign,
        cli::SubkeyUse::Authenticate => SubkeyUse::Authenticate,
    }
}

fn usage_name(u: SubkeyUse) -> &'static str {
    match u {
        SubkeyUse::Encrypt => "encryption",
        SubkeyUse::Sign => "signing",
        SubkeyUse::Authenticate => "authentication",
    }
}

/// `own` with a new subkey for `usage`, and the new subkey's fingerprint.
fn add(
    ctx: &Context,
    own: &OwnKey,
    usage: SubkeyUse,
    suite: Option<cli::CipherSuite>,
    expires: Option<&str>,
    passwords: &[openpgp::crypto::Password],
) -> Result<(openpgp::Cert, Fingerprint)> {
    let vc = own.tsk.with_policy(&ctx.policy, ctx.time).map_err(|e| {
        Error::new(
            Failure::PrimaryKeyBad,
            format!("the key {} is not valid under the policy: {e}", own.label),
        )
    })?;
    let suite = match suite {
        Some(s) => super::generate::cipher_suite(s),
        None => crate::ops::upkeep::suite_of_primary(&own.tsk).ok_or_else(|| {
            Error::new(
                Failure::UnsupportedAsymmetricAlgo,
                format!(
                    "zpgp cannot make a subkey of the primary key's kind ({})",
                    crate::ops::keyinfo::algorithm_name(own.tsk.primary_key().key())
                ),
            )
            .hint(format!(
                "choose an algorithm: zpgp subkey add {:X} --for encrypt --cipher-suite cv25519",
                own.fpr
            ))
        })?,
    };
    let expiration = match expires {
        None => vc.primary_key().key_expiration_time(),
        Some(w) => future(ctx, w)?,
    };
    // A new secret is protected as the primary key's is: with the
    // passphrase that unlocked it, or not at all.
    let primary_protected = own
        .tsk
        .primary_key()
        .key()
        .clone()
        .parts_into_secret()
        .is_ok_and(|k| k.secret().is_encrypted());
    let password = if primary_protected {
        passwords.first().cloned()
    } else {
        None
    };
    crate::ops::upkeep::add_subkey(
        &own.tsk,
        &ctx.policy,
        ctx.time,
        passwords,
        usage,
        suite,
        expiration,
        password,
        crate::ops::generate::creation_time(SystemTime::now()),
    )
}

/// An expiry that must be in the future (exit 2 otherwise).
fn future(ctx: &Context, when: &str) -> Result<Option<SystemTime>> {
    let t = crate::time::parse_when(when, ctx.time).map_err(|e| Error::new(Failure::Usage, e))?;
    if t.is_some_and(|t| t <= ctx.time) {
        return Err(Error::new(
            Failure::Usage,
            format!(
                "{} is in the past: a new subkey must outlive today",
                when.trim()
            ),
        )
        .into());
    }
    Ok(t)
}

fn rotate(ctx: &Context, a: cli::SubkeyRotateArgs) -> Result<()> {
    let usage = usage(a.usage);
    let grace = future(ctx, &a.grace)?.ok_or_else(|| {
        Error::new(
            Failure::Usage,
            "the grace period cannot be 'never': the old subkeys would stay forever",
        )
    })?;
    let own = upkeep::own_key(ctx, &a.query)?;
    // The subkeys in use now for this purpose, and how long each still has.
    let old: Vec<(Fingerprint, bool)> = {
        let vc = own.tsk.with_policy(&ctx.policy, ctx.time)?;
        vc.keys()
            .subkeys()
            .alive()
            .revoked(false)
            .filter(|k| k.key_flags().is_some_and(|f| usage.matches(&f)))
            .filter(|k| k.key_expiration_time().is_none_or(|t| t > grace))
            .map(|k| (k.key().fingerprint(), k.for_signing()))
            .collect()
    };
    let signing: Vec<Fingerprint> = old.iter().filter(|o| o.1).map(|o| o.0.clone()).collect();
    let passwords = upkeep::primary_passphrases(ctx, &own, &signing)?;
    upkeep::wait_to_sign(ctx, &own);
    let (tsk, new) = add(
        ctx,
        &own,
        usage,
        a.cipher_suite,
        a.expires.as_deref(),
        &passwords,
    )?;
    let old: Vec<Fingerprint> = old.into_iter().map(|o| o.0).collect();
    let tsk = if old.is_empty() {
        tsk
    } else {
        crate::ops::upkeep::set_expiration(
            &tsk,
            &ctx.policy,
            ctx.time,
            &passwords,
            false,
            &old,
            Some(grace),
        )?
    };
    let cert = upkeep::store(ctx, tsk)?;
    say_new(ctx, &own, &cert, &new);
    if old.is_empty() {
        ctx.info(format_args!(
            "zpgp: no other {} subkey in use would outlive the grace period; none changed",
            usage_name(usage)
        ));
    }
    for f in &old {
        ctx.info(format_args!(
            "zpgp: the old {} subkey {f:X} now expires {} (after the grace period)",
            usage_name(usage),
            crate::time::date(grace)
        ));
    }
    upkeep::share_hint(ctx, &own.fpr);
    Ok(())
}

fn say_new(ctx: &Context, own: &OwnKey, cert: &openpgp::Cert, new: &Fingerprint) {
    let info = crate::ops::keyinfo::describe(cert, &ctx.policy, SystemTime::now());
    let fpr = format!("{new:X}");
    if let Some(k) = info.subkeys.iter().find(|k| k.fingerprint == fpr) {
        ctx.info(format_args!(
            "zpgp: added the subkey {} [{}] {}, {}, to {}",
            k.fingerprint,
            crate::ops::keyinfo::capability_letters(&k.capabilities),
            k.algorithm,
            match &k.expires {
                Some(e) => format!("expires {}", &e[..10]),
                None => "never expires".to_string(),
            },
            own.label
        ));
    }
}
