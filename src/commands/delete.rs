use anyhow::Result;

use crate::cli::DeleteArgs;
use crate::context::Context;
use crate::display::Safe;
use crate::error::{Error, Failure};

pub fn run(ctx: &Context, args: DeleteArgs) -> Result<()> {
    let keyring = ctx.keyring()?;
    let cert = keyring.find(&args.query)?;
    let fpr = cert.fingerprint();
    let uid =
        crate::ops::keys::primary_user_id(&cert, &ctx.policy, Some(ctx.time)).unwrap_or_default();
    let has_secret = keyring.has_secret(&fpr);
    if has_secret && !args.secret {
        return Err(Error::new(
            Failure::IncompatibleOptions,
            format!(
                "the secret key of {fpr:X} is held; deleting only its certificate would orphan it"
            ),
        )
        .hint(format!("to delete both, run: zpgp delete --secret {fpr:X}"))
        .into());
    }
    if args.secret && has_secret && !args.yes {
        if ctx.batch {
            return Err(Error::new(
                Failure::MissingArg,
                "deleting a secret key needs confirmation, and --batch forbids asking",
            )
            .hint("add --yes to confirm")
            .into());
        }
        ctx.say(format_args!(
            "about to delete the SECRET key {fpr:X} {}",
            Safe(&uid)
        ));
        ctx.say("without a backup, what was encrypted to it can never be read again.");
        if !crate::passphrase::confirm("Delete the secret key?")? {
            return Err(Error::new(Failure::MissingArg, "not deleted: not confirmed").into());
        }
    }
    keyring.delete(&fpr, args.secret)?;
    if args.secret && has_secret {
        super::keystore::forget(ctx, &cert);
    }
    ctx.info(format!(
        "zpgp: deleted {}{fpr:X} {}",
        if args.secret && has_secret {
            "the secret key and certificate "
        } else {
            ""
        },
        Safe(&uid)
    ));
    Ok(())
}
