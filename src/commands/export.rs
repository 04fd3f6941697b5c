use std::io::Write;

use anyhow::{Context as _, Result};
use openpgp::armor;
use openpgp::serialize::Serialize;
use sequoia_openpgp as openpgp;

use crate::cli::ExportArgs;
use crate::context::Context;
use crate::error::{Error, Failure};
use crate::output::{Content, Output};

pub fn run(ctx: &Context, args: ExportArgs) -> Result<()> {
    let keyring = ctx.keyring()?;
    // Resolve every query before opening the output, so a typo leaves no
    // empty file behind.
    let mut certs = Vec::new();
    for q in &args.queries {
        let cert = keyring.find(q)?;
        if args.secret {
            let tsk = keyring.secret(&cert.fingerprint())?.ok_or_else(|| {
                Error::new(
                    Failure::KeyNotFound,
                    format!("no secret key is held for {:X}", cert.fingerprint()),
                )
                .hint("'zpgp list --secret' shows the secret keys on file")
            })?;
            // The certificate on file may know signatures the secret key
            // file lacks (certifications by others, imported since): a
            // backup has them all.
            certs.push(cert.merge_public_and_secret(tsk)?);
        } else {
            certs.push(cert);
        }
    }
    certs.dedup_by(|a, b| a.fingerprint() == b.fingerprint());

    let content = match (args.secret, args.binary) {
        (true, _) => Content::Secret,
        (false, true) => Content::Binary,
        (false, false) => Content::Text,
    };
    let mut out = Output::open(args.output.as_deref(), args.force, content)?;
    let kind = if args.secret {
        armor::Kind::SecretKey
    } else {
        armor::Kind::PublicKey
    };
    if args.binary {
        write_certs(&mut out, &certs, args.secret, args.with_local)?;
    } else {
        let headers: Vec<(String, String)> = if certs.len() == 1 {
            comment_userids(ctx, &certs[0])
                .into_iter()
                .chain(Some(format!("{:X}", certs[0].fingerprint())))
                .map(|c| ("Comment".to_string(), c))
                .collect()
        } else {
            vec![("Comment".into(), format!("{} certificates", certs.len()))]
        };
        let mut w = armor::Writer::with_headers(&mut out, kind, headers)?;
        write_certs(&mut w, &certs, args.secret, args.with_local)?;
        w.finalize()?;
    }
    out.finish()?;
    for c in &certs {
        ctx.debug(format!("exported {:X}", c.fingerprint()));
    }
    Ok(())
}

/// Up to three of the certificate's bound user IDs, made safe for an armor
/// header line.  A user ID is someone else's text: one holding a line break
/// would end the header and could carry a whole second key block that
/// every reader of the file would import.  Only the owner's bound user IDs
/// are named; anything but letters, digits, punctuation and spaces is
/// dropped, as are repeated dashes, and each is cut to 64 characters.
fn comment_userids(ctx: &Context, cert: &openpgp::Cert) -> Vec<String> {
    const MAX_CHARS: usize = 64;
    let Ok(vc) = cert.with_policy(&ctx.policy, ctx.time) else {
        return Vec::new();
    };
    vc.userids()
        .map(|u| {
            let text = String::from_utf8_lossy(u.userid().value());
            let mut safe = String::new();
            for c in text.chars() {
                // No run of dashes either, so no header line can look
                // like an armor boundary to a lenient reader.
                let keep = (c.is_alphanumeric() || c.is_ascii_punctuation() || c == ' ')
                    && !(c == '-' && safe.ends_with('-'));
                if keep {
                    safe.push(c);
                }
                if safe.chars().count() > MAX_CHARS {
                    break;
                }
            }
            if safe.chars().count() > MAX_CHARS {
                safe = safe.chars().take(MAX_CHARS - 1).collect::<String>() + "…";
            }
            safe.trim().to_string()
        })
        .filter(|c| !c.is_empty())
        .take(3)
        .collect()
}

/// Writes the certificates (with `secret`, the secret keys).  Sequoia's
/// `export` leaves out non-exportable signatures (local certifications)
/// and what only they bind, as the standard asks; `with_local` writes
/// everything, for the owner's own backups.
fn write_certs(
    w: &mut dyn Write,
    certs: &[openpgp::Cert],
    secret: bool,
    with_local: bool,
) -> Result<()> {
    for c in certs {
        match (secret, with_local) {
            (true, true) => c.as_tsk().serialize(w),
            (true, false) => c.as_tsk().export(w),
            (false, true) => c.serialize(w),
            (false, false) => c.export(w),
        }
        .context("cannot write the key")?;
    }
    Ok(())
}
