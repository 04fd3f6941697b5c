use anyhow::Result;

use crate::cli::SignArgs;
use crate::commands::common::{self, real_path};
use crate::context::Context;
use crate::ops::{self, SignMode, SignOptions};
use crate::output::{Content, Output};
use crate::printer::ReportTo;

pub fn run(ctx: &Context, args: SignArgs) -> Result<()> {
    let mode = if args.detached {
        SignMode::Detached
    } else if args.clear {
        SignMode::Cleartext
    } else {
        SignMode::Inline
    };
    // With --key-file, the keys given sign (those --signer names, else
    // all), and the keyring is not opened.
    let keys = if args.key_file.is_empty() {
        None
    } else {
        let keys = super::keyfiles::secret_keys(ctx, &args.key_file)?;
        Some(if args.signer.is_empty() {
            keys
        } else {
            args.signer
                .iter()
                .map(|q| super::keyfiles::find(ctx, &keys, q))
                .collect::<Result<Vec<_>>>()?
        })
    };
    let certs = match &keys {
        Some(keys) => keys.clone(),
        None => common::signer_certs(ctx, &args.signer)?,
    };

    let input_path = real_path(&args.input);
    let output_path = match (&args.output, input_path) {
        (Some(o), _) => Some(o.clone()),
        (None, Some(i)) => Some(common::with_extension(
            i,
            match mode {
                SignMode::Detached => "sig",
                SignMode::Cleartext => "asc",
                SignMode::Inline if args.armor => "asc",
                SignMode::Inline => "pgp",
            },
        )),
        (None, None) => None,
    };
    if let Some(p) = output_path.as_deref().filter(|p| p.as_os_str() != "-") {
        crate::output::check_writable(p, args.force)?;
    }
    let mut signers = Vec::new();
    for c in &certs {
        signers.push(match &keys {
            Some(_) => common::unlock_signing_key(ctx, c, c)?,
            None => common::unlock_signer(ctx, c)?,
        });
    }
    let input = common::open_input_progress(ctx, input_path)?;
    let armored = args.armor || mode == SignMode::Cleartext;
    let content = if armored {
        Content::Text
    } else {
        Content::Binary
    };
    let mut out = Output::open(output_path.as_deref(), args.force, content)?;

    let mut opts = SignOptions::new(mode, signers);
    opts.armor = armored;
    opts.text = mode == SignMode::Cleartext;
    opts.time = Some(ctx.time);
    let report = ops::sign(input, &mut out, &opts)?;
    out.finish()?;
    if ctx.json {
        ctx.report(ReportTo::Stderr, &report)?;
    }
    Ok(())
}
