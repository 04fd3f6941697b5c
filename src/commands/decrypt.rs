use std::cell::RefCell;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Result;
use sequoia_openpgp as openpgp;

use crate::cli::DecryptArgs;
use crate::commands::batch::Done;
use crate::commands::common;
use crate::context::Context;
use crate::display::Safe;
use crate::error::{Error, Failure};
use crate::ops::{self, DecryptOptions};
use crate::output::{Content, Output};
use crate::passphrase::Secret;
use openpgp::crypto::Password;

pub fn run(ctx: &Context, args: DecryptArgs) -> Result<()> {
    // With --key-file, the keys (and --cert-file certificates) given are
    // all there is: the keyring is not opened.
    let (keyring, secret_keys, file_certs) = if args.key_file.is_empty() {
        (Some(ctx.keyring()?), Vec::new(), Vec::new())
    } else {
        let keys = super::keyfiles::secret_keys(ctx, &args.key_file)?;
        let mut certs = super::keyfiles::certs(&args.cert_file)?;
        certs.extend(keys.iter().map(|k| k.clone().strip_secret_key_material()));
        (None, keys, certs)
    };
    let required = match keyring {
        Some(_) => common::required_signers(ctx, &args.signer)?,
        None => {
            let find = |q: &str| super::keyfiles::find(ctx, &file_certs, q);
            common::required_signers_by(ctx, &args.signer, &find)?
        }
    };

    let inputs = super::batch::inputs(&args.inputs, args.output.as_deref(), "decrypt")?;

    let mut secret_keys = secret_keys;
    if let Some(keyring) = keyring {
        for fpr in keyring.secret_fingerprints()? {
            secret_keys.extend(keyring.secret(&fpr)?);
        }
    }
    let lookup =
        |ids: &[openpgp::KeyHandle]| keyring.map(|k| k.certs_by_handles(ids)).unwrap_or_default();
    let shared = Shared {
        args: &args,
        secret_keys,
        file_certs,
        lookup: keyring.is_some().then_some(&lookup),
        required,
        remembered: RefCell::new(Vec::new()),
        remembered_passwords: RefCell::new(Vec::new()),
    };
    if let [input] = inputs.as_slice() {
        return one(ctx, &shared, input.as_deref(), false).map(drop);
    }
    super::batch::run_each(ctx, &inputs, |input| one(ctx, &shared, input, true))
}

/// What every file of a run shares.
struct Shared<'a> {
    args: &'a DecryptArgs,
    secret_keys: Vec<openpgp::Cert>,
    file_certs: Vec<openpgp::Cert>,
    lookup: Option<&'a ops::CertLookup<'a>>,
    required: Vec<ops::RequiredSigner>,
    /// Key passphrases that opened a message of this run: tried first on
    /// the next one, so that each key is asked for once.
    remembered: RefCell<Vec<Password>>,
    /// The same for message passwords (`encrypt --password` of several
    /// files gives them one password).  They are only ever tried as
    /// message passwords, never on a key.
    remembered_passwords: RefCell<Vec<Password>>,
}

/// Decrypts one message.  Alone (`!several`) it speaks as it always has;
/// one of several, its report and result line go to `batch`.
fn one(ctx: &Context, shared: &Shared, input: Option<&Path>, several: bool) -> Result<Done> {
    let args = shared.args;
    let output_path: Option<PathBuf> = match (&args.output, input) {
        (Some(o), _) => Some(o.clone()),
        (None, Some(i)) => match i.extension().and_then(|e| e.to_str()) {
            Some("pgp" | "gpg" | "asc") => Some(i.with_extension("")),
            _ => None,
        },
        (None, None) => None,
    };
    let to_file = output_path.as_deref().filter(|p| p.as_os_str() != "-");
    if let Some(p) = to_file {
        crate::output::check_writable(p, args.force)?;
    }
    let input = common::open_input_progress(ctx, input)?;

    let policy = &ctx.policy;
    let time = ctx.time;
    // The last passphrase given for each key: if the message opens, that
    // one worked.
    let asked: RefCell<Vec<(openpgp::Fingerprint, Password)>> = RefCell::new(Vec::new());
    let asked_password: RefCell<Option<Password>> = RefCell::new(None);
    let mut opts = DecryptOptions::new(&ctx.policy);
    opts.time = Some(ctx.time);
    opts.secret_keys = shared.secret_keys.clone();
    opts.verify_certs = shared.file_certs.clone();
    opts.cert_lookup = shared.lookup;
    opts.key_passwords = shared.remembered.borrow().clone();
    // Keys from --key-file are never handed to the agent.
    if shared.args.key_file.is_empty() {
        opts.key_store = super::keystore::AgentStore::for_command(ctx);
    }
    opts.passwords = shared.remembered_passwords.borrow().clone();
    // A file output is a temporary file, renamed into place only once the
    // message checked out: nothing needs holding back on the way there.
    // Devices and pipes named by path (-o /dev/stdout) are written in
    // place, like standard output.
    let renamed_into_place =
        to_file.is_some_and(|p| std::fs::metadata(p).map_or(true, |m| m.is_file()));
    opts.hold_back = !renamed_into_place;
    // An eyes-only message may be shown, never stored: only a terminal
    // on standard output gets it without --force.
    opts.refuse_eyes_only = !args.force && !common::shown_on_terminal(output_path.as_deref());
    opts.native_line_endings = true;
    // Key passphrases and the message password come from their own
    // sources: a passphrase is never tried on a message's password packets
    // (whoever made the message would learn whether it fits).
    opts.key_passphrase = Some(Box::new(|cert, key, attempt| {
        let label = ops::cert_label(cert, policy, Some(time));
        let pw = common::next_passphrase(ctx, &format!("Passphrase for {label}"), attempt)?;
        if let Some(pw) = &pw {
            let mut asked = asked.borrow_mut();
            asked.retain(|(f, _)| *f != key.fingerprint());
            asked.push((key.fingerprint(), pw.clone()));
        }
        Ok(pw)
    }));
    let password_from_file = ctx.password_file.is_some();
    let asked_password_ref = &asked_password;
    opts.message_password = Some(Box::new(move |attempt| {
        if !common::may_try(ctx, attempt, password_from_file, "password") {
            return Ok(None);
        }
        if !password_from_file && ctx.batch {
            return Err(no_message_password(ctx));
        }
        let pw = ctx.password("Password for the message", false, Secret::MessagePassword)?;
        *asked_password_ref.borrow_mut() = Some(pw.clone());
        Ok(Some(pw))
    }));

    // A file output is renamed into place only after the integrity check
    // (and any required signature) passed; on failure it is dropped,
    // which removes it.
    let mut out = Output::open(output_path.as_deref(), args.force, Content::Plaintext)?;
    let result = ops::decrypt(input, &mut out, &mut opts);
    drop(opts);
    let mut report =
        result.map_err(|e| common::eyes_only_hint(common::with_passphrase_hint(ctx, e)))?;
    if !ctx.json && report.literal.as_ref().is_some_and(|l| l.eyes_only) {
        ctx.info("zpgp: note: the sender marked this message for your eyes only");
    }
    common::note_dropped_subpackets(ctx, report.dropped_unhashed_subpackets);
    super::auth::judge_signatures(ctx, &mut report.signatures, shared.lookup.is_some());
    shared
        .remembered
        .borrow_mut()
        .extend(asked.into_inner().into_iter().map(|(_, pw)| pw));
    shared
        .remembered_passwords
        .borrow_mut()
        .extend(asked_password.into_inner());

    let mut json = None;
    if ctx.json && several {
        json = Some(serde_json::to_value(&report)?);
    } else if ctx.json {
        ctx.report(crate::printer::ReportTo::Stderr, &report)?;
    }
    // Of several files, the JSON array comes only at the end: the
    // signature lines are shown as they come.
    if !ctx.json || several {
        common::print_signatures(ctx, &report.signatures);
    }
    let checked = ops::check_required(&report.signatures, &shared.required).and_then(|()| {
        if super::auth::required(ctx, args.require_auth) {
            super::auth::require_signatures(&report.signatures)
        } else {
            Ok(())
        }
    });
    if let Err(mut e) = checked {
        if to_file.is_some() {
            if let Some(err) = e.downcast_mut::<Error>() {
                err.hint = Some("the output file was not written".into());
            }
        }
        return Err(e);
    }
    out.finish()?;
    let line = match to_file {
        Some(p) => format!("decrypted to {}", Safe(&p.display().to_string())),
        None => "decrypted to standard output".to_string(),
    };
    if let (Some(p), false) = (to_file, several) {
        // Someone piping `zpgp decrypt m.pgp | less` may expect the
        // plaintext on the pipe: say where it went, and how to get that.
        let hint = if args.output.is_none() && !std::io::stdout().is_terminal() {
            " (-o - writes to standard output)"
        } else {
            ""
        };
        ctx.info(format!(
            "zpgp: decrypted to {}{hint}",
            Safe(&p.display().to_string())
        ));
    }
    Ok(Done {
        line,
        output: to_file.map(Path::to_path_buf),
        report: json,
    })
}

/// Why a message password cannot be had in --batch without
/// --password-file.  A script that used to give the password with
/// --passphrase-file learns where it goes now.
fn no_message_password(ctx: &Context) -> anyhow::Error {
    let hint = "give the message password with --password-file FILE (or @ENV:NAME, @FD:N)";
    if ctx.passphrase_file.is_some() {
        Error::new(
            Failure::CannotDecrypt,
            "the message is encrypted with a password; --passphrase-file is for key \
             passphrases only",
        )
        .hint(hint)
        .into()
    } else {
        Error::new(
            Failure::CannotDecrypt,
            "the message is encrypted with a password, and --batch forbids asking for it",
        )
        .hint(hint)
        .into()
    }
}
