use anyhow::Result;
use sequoia_openpgp::crypto::Password;

use crate::cli::EncryptArgs;
use std::path::Path;

use crate::commands::batch::Done;
use crate::commands::common;
use crate::context::Context;
use crate::display::Safe;
use crate::error::{Error, Failure};
use crate::ops::{self, EncryptOptions, MessageFormat};
use crate::output::{Content, Output};
use crate::passphrase::Secret;

pub fn run(ctx: &Context, args: EncryptArgs) -> Result<()> {
    if args.recipients.is_empty() && args.recipient_file.is_empty() && !args.password {
        return Err(Error::new(
            Failure::MissingArg,
            "no recipient and no password: nobody could read the message",
        )
        .hint("name recipients with -r QUERY or --recipient-file FILE, or use --password")
        .into());
    }
    // Before any passphrase or password is asked for.
    let inputs = super::batch::inputs(&args.inputs, args.output.as_deref(), "encrypt")?;
    if args.wipe {
        // Every file is checked before the first is encrypted: a refusal
        // leaves all of them as they were.
        for input in &inputs {
            let victim = super::wipe::open(input.as_deref())?;
            victim.check_output(output_path(&args, input.as_deref()).as_deref())?;
        }
    }
    let sign = args.sign || args.signer.is_some();
    // Recipients from files alone need no keyring: a deploy script
    // encrypting to a key kept in its repository leaves no home behind.
    let keyring = if args.recipients.is_empty() && !sign {
        None
    } else {
        Some(ctx.keyring()?)
    };
    let time = Some(ctx.time);

    // Everything is checked before the output is opened, so a bad
    // recipient leaves no file behind.
    let mut recipients: Vec<sequoia_openpgp::Cert> = Vec::new();
    if keyring.is_some() && !args.recipients.is_empty() {
        let trust = super::auth::trust(ctx)?;
        let require = super::auth::required(ctx, args.require_auth);
        for q in &args.recipients {
            let cert = super::auth::recipient(ctx, &trust, q, require)?;
            ops::recipient_keys(&cert, &ctx.policy, time)?;
            recipients.push(cert);
        }
    }
    for cert in super::keyfiles::certs(&args.recipient_file)? {
        ops::recipient_keys(&cert, &ctx.policy, time)?;
        if !recipients
            .iter()
            .any(|r| r.fingerprint() == cert.fingerprint())
        {
            recipients.push(cert);
        }
    }

    let signer_certs = if sign {
        common::signer_certs(ctx, args.signer.as_slice())?
    } else {
        Vec::new()
    };

    if let Some(keyring) = keyring.filter(|_| !args.no_self && !recipients.is_empty()) {
        let own = match signer_certs.first() {
            Some(c) => Some(c.clone()),
            None => match common::default_key(ctx)? {
                Some(c) => Some(c),
                None => {
                    let secret = keyring.secret_fingerprints()?;
                    match secret.as_slice() {
                        // Your only key is a recipient already: nothing to
                        // add, and no need to read its certificate again.
                        [fpr] if recipients.iter().any(|r| r.fingerprint() == *fpr) => None,
                        _ => {
                            let mut own = common::certs_on_file(ctx, &secret)?;
                            if own.len() > 1 {
                                ctx.info(
                                "zpgp: note: not encrypting to yourself: you hold several secret keys \
                                 (add yours with -r, or choose your default: zpgp config set default-key QUERY)",
                            );
                            }
                            (own.len() == 1).then(|| own.remove(0))
                        }
                    }
                }
            },
        };
        if let Some(own) = own {
            let fpr = own.fingerprint();
            if recipients.iter().any(|r| r.fingerprint() == fpr) {
                // Already a recipient.
            } else if ops::recipient_keys(&own, &ctx.policy, time).is_ok() {
                ctx.debug(format!("also encrypting to your own key {fpr:X}"));
                recipients.push(own);
            } else {
                ctx.info(format!(
                    "zpgp: note: not encrypting to yourself: your key {fpr:X} cannot encrypt"
                ));
            }
        }
    }

    let mut passwords = Vec::new();
    if args.password {
        // The recipients' and signers' names and addresses are the first
        // guesses of anyone who sees who the message is for.
        let inputs = crate::passphrase::user_inputs(
            recipients
                .iter()
                .chain(&signer_certs)
                .flat_map(|c| c.userids())
                .filter_map(|u| std::str::from_utf8(u.userid().value()).ok()),
        );
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        // As message_password decides: typed unless a file gives it.
        let typed = ctx.password_file.is_none() && (ctx.passphrase_file.is_none() || sign);
        let pw =
            ctx.checked_new_secret("the message password", typed, ctx.json, &inputs, || {
                message_password(ctx, sign)
            })?;
        if pw.map(|p| p.is_empty()) {
            return Err(Error::new(Failure::MissingArg, "the password is empty").into());
        }
        passwords.push(pw);
    }

    let mut signers = Vec::new();
    for c in &signer_certs {
        signers.push(common::unlock_signer(ctx, c)?);
    }

    let mut opts = EncryptOptions::new(&ctx.policy);
    opts.time = time;
    opts.recipients = recipients;
    opts.passwords = passwords;
    opts.signers = signers;
    opts.armor = args.armor;
    opts.format = MessageFormat::Auto;
    if args.text {
        opts.text = true;
        // 't', as PGP 2 and gpg --textmode write it: text need not be
        // UTF-8.
        #[allow(deprecated)]
        {
            opts.text_format = sequoia_openpgp::types::DataFormat::Text;
        }
    }
    if args.for_your_eyes_only {
        opts.file_name = Some(ops::report::EYES_ONLY_NAME.to_string());
    }
    // Said before anything is written; in the --json report with it.
    let explanation = if args.explain || ctx.verbose {
        let e = ops::explain(&opts)?;
        if !ctx.json {
            print_explanation(ctx, &e);
        }
        Some(e)
    } else {
        None
    };
    let exp = explanation.as_ref();
    if let [input] = inputs.as_slice() {
        return one(ctx, &args, &opts, exp, input.as_deref(), false).map(drop);
    }
    super::batch::run_each(ctx, &inputs, |input| {
        one(ctx, &args, &opts, exp, input, true)
    })
}

/// `encrypt --explain`, on standard error.
fn print_explanation(ctx: &Context, e: &ops::Explanation) {
    let container = match (e.format, &e.aead_algo) {
        (MessageFormat::SeipdV2, Some(aead)) => {
            format!("SEIPDv2 ({} with {aead})", e.symmetric_algo)
        }
        _ => format!("SEIPDv1 ({} with MDC)", e.symmetric_algo),
    };
    ctx.info(format!("zpgp: the message: {container}"));
    for k in &e.keys {
        ctx.info(format!(
            "      to {}: v{} key {}, subkey {} ({}{})",
            Safe(k.owner()),
            k.key_version,
            k.cert_fingerprint,
            k.key_fingerprint,
            k.algorithm,
            if k.post_quantum {
                ", post-quantum"
            } else {
                ", not post-quantum"
            }
        ));
    }
    if e.passwords > 0 {
        ctx.info(format!(
            "      and {} password{} ({}: as strong as the password; symmetric encryption is not \
             what a quantum computer breaks)",
            e.passwords,
            if e.passwords == 1 { "" } else { "s" },
            e.symmetric_algo
        ));
    }
    for c in &e.cannot_read {
        ctx.info(format!("      cannot read it: {}", Safe(c)));
    }
    if e.post_quantum {
        ctx.info("zpgp: post-quantum protected: every recipient key is post-quantum (RFC 9980)");
    } else if e.keys.is_empty() {
        ctx.info("zpgp: not post-quantum protected by any key: the message is for passwords only");
    } else {
        let classical: Vec<String> = e
            .keys
            .iter()
            .filter(|k| !k.post_quantum)
            .map(|k| Safe(k.owner()).to_string())
            .collect();
        ctx.info(format!(
            "zpgp: NOT post-quantum protected: the message is only as strong as its weakest \
             recipient key, and {} {} not post-quantum (recorded today, it could be decrypted \
             with a future quantum computer)",
            classical.join(", "),
            if classical.len() == 1 { "is" } else { "are" }
        ));
    }
}

/// Encrypts one file.  Alone (`!several`) it speaks as it always has; one
/// of several, its report and result line go to `batch`.
fn one(
    ctx: &Context,
    args: &EncryptArgs,
    opts: &EncryptOptions,
    explanation: Option<&ops::Explanation>,
    input_path: Option<&Path>,
    several: bool,
) -> Result<Done> {
    let output_path = output_path(args, input_path);
    let to_file = output_path.as_deref().filter(|p| p.as_os_str() != "-");
    if let Some(p) = to_file {
        crate::output::check_writable(p, args.force)?;
    }
    let victim = if args.wipe {
        let victim = super::wipe::open(input_path)?;
        victim.check_output(output_path.as_deref())?;
        Some(victim)
    } else {
        None
    };
    let mut input = match &victim {
        Some(v) => {
            let (file, len) = v.reader()?;
            common::with_progress(ctx, file, false, len)
        }
        None => common::open_input_progress(ctx, input_path)?,
    };
    if args.text {
        input = Box::new(ops::text::ToCrlf::new(input));
    }
    let content = if args.armor {
        Content::Text
    } else {
        Content::Binary
    };
    let mut out = Output::open(output_path.as_deref(), args.force, content)?;
    let mut report = ops::encrypt(input, &mut out, opts)?;
    report.explanation = explanation.cloned();
    match victim {
        Some(victim) => {
            out.finish_durable()?;
            victim.wipe()?;
            if let (Some(p), false) = (input_path, several) {
                ctx.info(format!(
                    "zpgp: wiped {} (overwritten once, then removed)",
                    Safe(&p.display().to_string())
                ));
            }
        }
        None => out.finish()?,
    }

    let what = format!(
        "encrypted to {} recipient{}{}",
        opts.recipients.len(),
        if opts.recipients.len() == 1 { "" } else { "s" },
        if opts.passwords.is_empty() {
            ""
        } else {
            " and a password"
        },
    );
    let line = match to_file {
        Some(p) => format!("{what} → {}", Safe(&p.display().to_string())),
        None => format!("{what} → standard output"),
    };
    let mut json = None;
    if ctx.json && several {
        json = Some(serde_json::to_value(&report)?);
    } else if ctx.json {
        ctx.report(crate::printer::ReportTo::Stderr, &report)?;
    } else {
        for r in &report.recipients {
            ctx.debug(format!(
                "encrypted to {} (key {})",
                r.cert_fingerprint, r.key_fingerprint
            ));
        }
        if let (Some(_), false) = (to_file, several) {
            ctx.info(format!("zpgp: {line}"));
        }
    }
    Ok(Done {
        line,
        output: to_file.map(Path::to_path_buf),
        report: json,
    })
}

/// Where one input's ciphertext goes: -o, else INPUT.pgp (INPUT.asc with
/// --armor), else standard output for standard input.
fn output_path(args: &EncryptArgs, input: Option<&Path>) -> Option<std::path::PathBuf> {
    match (&args.output, input) {
        (Some(o), _) => Some(o.clone()),
        (None, Some(i)) => Some(common::with_extension(
            i,
            if args.armor { "asc" } else { "pgp" },
        )),
        (None, None) => None,
    }
}

/// The password for the message: from --password-file, else the terminal.
///
/// Whoever gets the message gets its password, so it must never be the
/// secret that unlocks the signing key.  Only without --sign, when no key
/// is involved, does --passphrase-file alone still give it, as it did
/// before --password-file existed.
fn message_password(ctx: &Context, sign: bool) -> Result<Password> {
    const WHAT: &str = "Password for the message";
    let only_passphrase_file = ctx.password_file.is_none() && ctx.passphrase_file.is_some();
    if !only_passphrase_file {
        return ctx.password(WHAT, true, Secret::NewMessagePassword);
    }
    if !sign {
        return ctx.passphrase(WHAT, true);
    }
    let refusal = || {
        Error::new(
            Failure::MissingArg,
            "encrypt --sign --password needs its own message password: --passphrase-file \
             unlocks the signing key, and is never used as the message password (whoever \
             reads the message would learn your key's passphrase)",
        )
        .hint("give the message password with --password-file FILE (or @ENV:NAME, @FD:N)")
    };
    if ctx.batch {
        return Err(refusal().into());
    }
    // A person at a terminal may type the password; without one, say
    // what the script must give instead.
    ctx.password(WHAT, true, Secret::NewMessagePassword)
        .map_err(|e| match crate::error::failure_of(&e) {
            Some(Failure::MissingArg) => refusal().into(),
            _ => e,
        })
}
