use anyhow::{Context as _, Result};
use openpgp::crypto::Password;
use sequoia_openpgp as openpgp;

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

    // Find a passphrase for every secret (sub)key; keys may have
    // different passphrases (GnuPG allows it), so ask again when none
    // known so far fits.
    let mut known: Vec<Password> = Vec::new();
    for ka in tsk.keys().secret() {
        let key = ka.key();
        let fits = |pw: &Password| key.clone().decrypt_secret(pw).is_ok();
        if key.has_unencrypted_secret() || known.iter().any(fits) {
            continue;
        }
        let what = format!("Current passphrase for {fpr:X}");
        let mut attempt = 0;
        let mut found = false;
        while let Some(pw) = super::common::next_passphrase(ctx, &what, attempt)? {
            if fits(&pw) {
                known.push(pw);
                found = true;
                break;
            }
            attempt += 1;
        }
        if !found {
            return Err(Error::new(
                Failure::KeyIsProtected,
                format!("wrong passphrase for the secret key {fpr:X}"),
            )
            .hint(super::common::wrong_passphrase_hint(ctx))
            .into());
        }
    }

    let new = if args.no_passphrase {
        None
    } else {
        // --new-passphrase-file was resolved with the global options (an
        // @FD:N must be taken before the keyring is opened).
        let pw = ctx.new_passphrase(&format!("New passphrase for {fpr:X}"))?;
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
    ctx.info(match new {
        Some(_) => format!("zpgp: the passphrase of {fpr:X} is changed"),
        None => format!("zpgp: the secret key {fpr:X} is now stored WITHOUT a passphrase"),
    });
    Ok(())
}
