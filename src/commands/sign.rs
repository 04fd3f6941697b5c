use anyhow::Result;

use crate::cli::SignArgs;
use std::path::Path;

use crate::commands::batch::Done;
use crate::commands::common;
use crate::context::Context;
use crate::display::Safe;
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

    let inputs = super::batch::inputs(&args.inputs, args.output.as_deref(), "sign")?;
    let output_for = |input: Option<&Path>| match (&args.output, input) {
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
    // One file is checked before its passphrase is asked for; of several,
    // each is checked on its turn, as one taken does not stop the others.
    if let [input] = inputs.as_slice() {
        if let Some(p) = output_for(input.as_deref()).filter(|p| p.as_os_str() != "-") {
            crate::output::check_writable(&p, args.force)?;
        }
    }
    // Each key is unlocked once for the whole run.
    let mut signers = Vec::new();
    for c in &certs {
        signers.push(match &keys {
            Some(_) => common::unlock_signing_key(ctx, c, c)?,
            None => common::unlock_signer(ctx, c)?,
        });
    }
    let armored = args.armor || mode == SignMode::Cleartext;
    let mut opts = SignOptions::new(mode, signers);
    opts.armor = armored;
    opts.text = args.text || mode == SignMode::Cleartext;
    // 't', as gpg --textmode writes it: text need not be UTF-8.
    #[allow(deprecated)]
    {
        opts.text_format = sequoia_openpgp::types::DataFormat::Text;
    }
    opts.time = Some(ctx.time);

    let one = |input_path: Option<&Path>, several: bool| -> Result<Done> {
        let output_path = output_for(input_path);
        let to_file = output_path.as_deref().filter(|p| p.as_os_str() != "-");
        if let Some(p) = to_file {
            crate::output::check_writable(p, args.force)?;
        }
        let mut input = common::open_input_progress(ctx, input_path)?;
        // A text signature is made over CRLF line endings whatever the
        // file has; inline, the text itself travels with them too.
        if args.text && mode == SignMode::Inline {
            input = Box::new(ops::text::ToCrlf::new(input));
        }
        let content = if armored {
            Content::Text
        } else {
            Content::Binary
        };
        let mut out = Output::open(output_path.as_deref(), args.force, content)?;
        let report = ops::sign(input, &mut out, &opts)?;
        out.finish()?;
        let mut json = None;
        if ctx.json && several {
            json = Some(serde_json::to_value(&report)?);
        } else if ctx.json {
            ctx.report(ReportTo::Stderr, &report)?;
        }
        Ok(Done {
            line: match to_file {
                Some(p) => format!("signed → {}", Safe(&p.display().to_string())),
                None => "signed → standard output".to_string(),
            },
            output: to_file.map(Path::to_path_buf),
            report: json,
        })
    };
    if let [input] = inputs.as_slice() {
        return one(input.as_deref(), false).map(drop);
    }
    super::batch::run_each(ctx, &inputs, |input| one(input, true))
}
