use anyhow::{Context as _, Result};

use crate::cli::PasswdArgs;
use crate::context::Context;
use crate::error::{Error, Failure};

pub fn run(ctx: &Context, args: PasswdArgs) -> Result<()> {
    let keyring = ctx.keyring()?;
    let cert = keyring.find(&args.query)?;
    let fpr = cert.fingerprint();
    let tsk = keyring.secret(&fpr)?.ok_or_else(|| {
        Error::new(
            Failure::KeyNotFound,
            format!("no secret key is held for {fpr:X}"),
        )
        .hint("'zpgp list --secret' shows the secret keys on file")
    })?;

    let keys: Vec<_> = tsk.keys().secret().map(|ka| ka.key().clone()).collect();
    let known = super::upkeep::passphrases_for(ctx, "Current passphrase for", &fpr, &keys)?;

    let new = if args.no_passphrase {
        None
    } else {
        // --new-passphrase-file was resolved with the global options (an
        // @FD:N must be taken before the keyring is opened).
        let inputs = crate::passphrase::user_inputs(
            cert.userids()
                .filter_map(|u| std::str::from_utf8(u.userid().value()).ok()),
        );
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let typed = ctx.new_passphrase_file.is_none();
        let pw = ctx.checked_new_secret("the new passphrase", typed, false, &inputs, || {
            ctx.new_passphrase(&format!("New passphrase for {fpr:X}"))
        })?;
        if pw.map(|p| p.is_empty()) {
            return Err(
                Error::new(Failure::MissingArg, "the new passphrase is empty")
                    .hint("to store the key unprotected, say so with --no-passphrase")
                    .into(),
            );
        }
        Some(pw)
    };

    let updated = crate::ops::certs::change_password(tsk, &known, new.as_ref())
        .context("cannot protect the secret key again")?;
    keyring.replace_secret(&updated)?;
    // The old passphrase must not go on working through the agent.
    super::keystore::forget(ctx, &updated);
    ctx.info(match new {
        Some(_) => format!("zpgp: the passphrase of {fpr:X} is changed"),
        None => format!("zpgp: the secret key {fpr:X} is now stored WITHOUT a passphrase"),
    });
    Ok(())
}
