use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Result;
use sequoia_openpgp as openpgp;

use crate::cli::VerifyArgs;
use crate::commands::batch::Done;
use crate::commands::common::{self, real_path};
use crate::context::Context;
use crate::display::Safe;
use crate::error::{Error, Failure};
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
    opts.native_line_endings = true;
    opts.refuse_eyes_only = !args.force && !common::shown_on_terminal(args.output.as_deref());
    if keyring.is_some() {
        opts.cert_lookup = Some(&lookup);
    }
    opts.time = Some(ctx.time);

    if args.signature.is_some() {
        if args.inputs.len() > 1 {
            return Err(Error::new(
                Failure::IncompatibleOptions,
                "--signature SIG checks one file, and several were given",
            )
            .hint("check each file on its own: zpgp verify --signature SIG FILE")
            .into());
        }
        let inputs = super::batch::inputs(&args.inputs, None, "verify")?;
        return one(
            ctx,
            &args,
            &opts,
            &required,
            Form::Detached {
                sig: args.signature.clone(),
                data: inputs[0].clone(),
            },
            false,
        )
        .map(drop);
    }
    let inputs = super::batch::inputs(&args.inputs, args.output.as_deref(), "verify")?;
    match form(ctx, &inputs)? {
        Forms::One(form) => one(ctx, &args, &opts, &required, form, false).map(drop),
        Forms::Several(sigs) => super::batch::run_each(ctx, &sigs, |sig| {
            let Some(sig) = sig else {
                return Err(Error::new(
                    Failure::IncompatibleOptions,
                    "standard input is not beside any file: it cannot be one of several \
                     detached signatures",
                )
                .hint("give the signature on standard input with its data: zpgp verify - FILE")
                .into());
            };
            // A pipe cannot be looked at first: it is read as what it
            // must be here, a detached signature.
            if sniff(ctx, sig)? == Sniff::Other {
                return Err(Error::new(
                    Failure::BadData,
                    format!("{} is not a detached signature", sig.display()),
                )
                .hint("verify a signed message on its own: zpgp verify FILE")
                .into());
            }
            let data = signed_file(sig)?;
            one(
                ctx,
                &args,
                &opts,
                &required,
                Form::Detached {
                    sig: Some(sig.to_path_buf()),
                    data: Some(data),
                },
                true,
            )
        }),
    }
}

/// What one verification checks.
enum Form {
    /// A signed message, inline or cleartext (`None`: standard input).
    Message(Option<PathBuf>),
    /// A detached signature and the data it signs.
    Detached {
        sig: Option<PathBuf>,
        data: Option<PathBuf>,
    },
}

enum Forms {
    One(Form),
    /// Detached signatures, each of the file beside it.
    Several(Vec<Option<PathBuf>>),
}

/// Tells the forms apart by what the files hold, as gpg --verify does:
/// `SIG FILE`, `FILE.sig` alone, a signed message alone, or several
/// detached signatures.
fn form(ctx: &Context, inputs: &[Option<PathBuf>]) -> Result<Forms> {
    match inputs {
        [None] => Ok(Forms::One(Form::Message(None))),
        [Some(file)] => {
            if sniff(ctx, file)? != Sniff::Detached {
                return Ok(Forms::One(Form::Message(Some(file.clone()))));
            }
            // Only FILE.sig and FILE.asc say which file they sign; the
            // name of any other is not guessed at.
            if !has_signature_extension(file) {
                return Err(Error::new(
                    Failure::BadData,
                    format!(
                        "{} holds a signature but no signed data (a detached signature?), \
                         and its name does not say which file it signs",
                        file.display()
                    ),
                )
                .hint("give the signed file after the signature: zpgp verify SIG FILE")
                .into());
            }
            let data = signed_file(file)?;
            ctx.info(format!(
                "zpgp: {} is a detached signature; checking {}",
                Safe(&file.display().to_string()),
                Safe(&data.display().to_string())
            ));
            Ok(Forms::One(Form::Detached {
                sig: Some(file.clone()),
                data: Some(data),
            }))
        }
        // A signature on standard input cannot be looked at twice: taken
        // for what gpg means by it.
        [None, data] => Ok(Forms::One(Form::Detached {
            sig: None,
            data: data.clone(),
        })),
        [Some(first), second] => {
            let second_detached = match second {
                Some(p) => matches!(sniff(ctx, p), Ok(Sniff::Detached)),
                None => false,
            };
            let first_is = sniff(ctx, first)?;
            if second_detached && first_is == Sniff::Detached {
                return Ok(Forms::Several(inputs.to_vec()));
            }
            // A pipe first (`zpgp verify <(curl …) FILE`) is taken for
            // what gpg takes it for: the signature.
            if first_is != Sniff::Other {
                return Ok(Forms::One(Form::Detached {
                    sig: Some(first.clone()),
                    data: second.clone(),
                }));
            }
            let msg = if second_detached {
                format!(
                    "{} is not a signature, and {} is: the signature comes first",
                    first.display(),
                    second
                        .as_deref()
                        .map_or("-".into(), |p| p.display().to_string()),
                )
            } else {
                format!(
                    "{} is not a detached signature, so it has no data file to go with it",
                    first.display()
                )
            };
            Err(Error::new(Failure::AmbiguousInput, msg)
                .hint(
                    "give a detached signature and its data (zpgp verify SIG FILE), \
                     or a signed message alone (zpgp verify FILE)",
                )
                .into())
        }
        _ => Ok(Forms::Several(inputs.to_vec())),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sniff {
    Detached,
    Other,
    /// Not a regular file: what was read to look would be gone.
    Unknown,
}

/// Whether `path` holds a detached signature, by what it holds (the
/// name proves nothing).  Only the start is read: a signature is small,
/// and a large file that begins otherwise is data or a message.
fn sniff(ctx: &Context, path: &Path) -> Result<Sniff> {
    const SNIFF_LIMIT: u64 = 1 << 20;
    // Checked before opening: a pipe opened and closed again may take
    // its writer down with it.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return Ok(Sniff::Unknown);
    }
    let input = common::open_input(Some(path))?;
    let naming = ops::inspect::Naming {
        lookup: None,
        policy: &ctx.policy,
        time: ctx.time,
    };
    let detached = ops::inspect::inspect(input.take(SNIFF_LIMIT), &naming)
        .is_ok_and(|r| r.kind == ops::inspect::FileKind::DetachedSignature);
    Ok(if detached {
        Sniff::Detached
    } else {
        Sniff::Other
    })
}

fn has_signature_extension(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("sig" | "asc")
    )
}

/// The file a detached signature `FILE.sig` or `FILE.asc` signs: `FILE`,
/// beside it.
fn signed_file(sig: &Path) -> Result<PathBuf> {
    if !has_signature_extension(sig) {
        return Err(Error::new(
            Failure::BadData,
            format!(
                "{} is a detached signature, and its name does not say which file it signs \
                 (only FILE.sig and FILE.asc do)",
                sig.display()
            ),
        )
        .hint("give the signed file after the signature: zpgp verify SIG FILE")
        .into());
    }
    let data = sig.with_extension("");
    if !data.exists() {
        return Err(Error::new(
            Failure::MissingInput,
            format!(
                "{} is a detached signature of {}, which does not exist",
                sig.display(),
                data.display()
            ),
        )
        .hint("give the signed file after the signature: zpgp verify SIG FILE")
        .into());
    }
    Ok(data)
}

/// Checks one signed message or detached signature.  Alone (`!several`)
/// it speaks as it always has; one of several, its report and result line
/// go to `batch`.
fn one(
    ctx: &Context,
    args: &VerifyArgs,
    opts: &VerifyOptions,
    required: &[ops::RequiredSigner],
    form: Form,
    several: bool,
) -> Result<Done> {
    let (mut report, out, line) = match form {
        Form::Detached { sig, data } => {
            let line = format!("verified {}", Safe(&super::batch::name(data.as_deref())));
            let sig = common::open_input(sig.as_deref())?;
            let data = common::open_input_progress(ctx, data.as_deref())?;
            (ops::verify_detached(sig, data, opts)?, None, line)
        }
        Form::Message(input) => {
            if let Some(p) = real_path(&args.output) {
                crate::output::check_writable(p, args.force)?;
            }
            let input = common::open_input_progress(ctx, input.as_deref())?;
            // A file output appears only if the signatures check out.
            let mut out = Output::open(args.output.as_deref(), args.force, Content::Plaintext)?;
            let report = ops::verify(input, &mut out, opts).map_err(common::eyes_only_hint)?;
            (report, Some(out), "verified".to_string())
        }
    };

    common::note_dropped_subpackets(ctx, report.dropped_unhashed_subpackets);
    super::auth::judge_signatures(ctx, &mut report.signatures, opts.cert_lookup.is_some());
    let mut json = None;
    if ctx.json && several {
        json = Some(serde_json::to_value(&report)?);
    } else if ctx.json {
        ctx.report(ReportTo::Stderr, &report)?;
    }
    if !ctx.json || several {
        common::print_signatures(ctx, &report.signatures);
    }
    report.check(required)?;
    if super::auth::required(ctx, args.require_auth) {
        super::auth::require_signatures(&report.signatures)?;
    }
    if let Some(out) = out {
        out.finish()?;
    }
    Ok(Done {
        line,
        output: None,
        report: json,
    })
}
