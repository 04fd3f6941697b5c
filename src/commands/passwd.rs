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

    // Unlock every secret (sub)key; keys may have different passphrases
    // (GnuPG allows it), so ask again when the first does not fit.
    let mut known: Vec<Password> = Vec::new();
    let mut unlocked = Vec::new();
    for ka in tsk.keys().secret() {
        let key = ka.key().clone();
        if key.has_unencrypted_secret() {
            unlocked.push(key);
            continue;
        }
        let mut done = None;
        for pw in &known {
            if let Ok(k) = key.clone().decrypt_secret(pw) {
                done = Some(k);
                break;
            }
        }
        let what = format!("Current passphrase for {fpr:X}");
        let mut attempt = 0;
        while done.is_none() {
            let Some(pw) = super::common::next_passphrase(ctx, &what, attempt)? else {
                break;
            };
            if let Ok(k) = key.clone().decrypt_secret(&pw) {
                known.push(pw);
                done = Some(k);
            }
            attempt += 1;
        }
        match done {
            Some(k) => unlocked.push(k),
            None => {
                return Err(Error::new(
                    Failure::KeyIsProtected,
                    format!("wrong passphrase for the secret key {fpr:X}"),
                )
                .hint(super::common::wrong_passphrase_hint(ctx))
                .into());
            }
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

    let mut packets: Vec<openpgp::Packet> = Vec::new();
    for key in unlocked {
        let is_primary = key.fingerprint() == fpr;
        let key = match &new {
            Some(pw) => key
                .encrypt_secret(pw)
                .context("cannot encrypt the secret key")?,
            None => key,
        };
        packets.push(if is_primary {
            openpgp::Packet::from(key.role_into_primary())
        } else {
            openpgp::Packet::from(key.role_into_subordinate())
        });
    }
    let (updated, _) = tsk.insert_packets(packets)?;
    keyring.replace_secret(&updated)?;
    ctx.info(match new {
        Some(_) => format!("zpgp: the passphrase of {fpr:X} is changed"),
        None => format!("zpgp: the secret key {fpr:X} is now stored WITHOUT a passphrase"),
    });
    Ok(())
}
