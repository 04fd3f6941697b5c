use anyhow::Result;
use sequoia_openpgp as openpgp;

use crate::cli::VerifyArgs;
use crate::commands::common::{self, real_path};
use crate::context::Context;
use crate::ops::{self, VerifyOptions};
use crate::output::{Content, Output};
use crate::printer::ReportTo;

pub fn run(ctx: &Context, args: VerifyArgs) -> Result<()> {
    // With --cert-file, those certificates alone count, and the keyring is
    // not even opened (a home that does not exist stays absent).
    let (required, file_certs, keyring) = if args.cert_file.is_empty() {
        let required = common::required_signers(ctx, &args.signer)?;
        (required, Vec::new(), Some(ctx.keyring()?))
    } else {
        let certs = super::keyfiles::certs(&args.cert_file)?;
        let find = |q: &str| super::keyfiles::find(ctx, &certs, q);
        let required = common::required_signers_by(ctx, &args.signer, &find)?;
        (required, certs, None)
    };
    let lookup =
        |ids: &[openpgp::KeyHandle]| keyring.map(|k| k.certs_by_handles(ids)).unwrap_or_default();
    let mut opts = VerifyOptions::new(&ctx.policy, file_certs);
    if keyring.is_some() {
        opts.cert_lookup = Some(&lookup);
    }
    opts.time = Some(ctx.time);

    let input_path = real_path(&args.input);
    let (report, out) = match &args.signature {
        Some(sig) => {
            let sig = common::open_input(Some(sig))?;
            let data = common::open_input_progress(ctx, input_path)?;
            (ops::verify_detached(sig, data, &opts)?, None)
        }
        None => {
            if let Some(p) = real_path(&args.output) {
                crate::output::check_writable(p, args.force)?;
            }
            let input = common::open_input_progress(ctx, input_path)?;
            // A file output appears only if the signatures check out.
            let mut out = Output::open(args.output.as_deref(), args.force, Content::Plaintext)?;
            let report = ops::verify(input, &mut out, &opts)?;
            (report, Some(out))
        }
    };

    if ctx.json {
        ctx.report(ReportTo::Stderr, &report)?;
    } else {
        common::print_signatures(ctx, &report.signatures);
    }
    report.check(&required)?;
    if let Some(out) = out {
        out.finish()?;
    }
    Ok(())
}
