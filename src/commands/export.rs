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
            certs.push(tsk);
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
        write_certs(&mut out, &certs, args.secret)?;
    } else {
        let headers: Vec<(String, String)> = if certs.len() == 1 {
            certs[0]
                .userids()
                .map(|u| {
                    (
                        "Comment".to_string(),
                        String::from_utf8_lossy(u.userid().value()).into_owned(),
                    )
                })
                .take(3)
                .chain(Some((
                    "Comment".into(),
                    format!("{:X}", certs[0].fingerprint()),
                )))
                .collect()
        } else {
            vec![("Comment".into(), format!("{} certificates", certs.len()))]
        };
        let mut w = armor::Writer::with_headers(&mut out, kind, headers)?;
        write_certs(&mut w, &certs, args.secret)?;
        w.finalize()?;
    }
    out.finish()?;
    for c in &certs {
        ctx.debug(format!("exported {:X}", c.fingerprint()));
    }
    Ok(())
}

fn write_certs(w: &mut dyn Write, certs: &[openpgp::Cert], secret: bool) -> Result<()> {
    for c in certs {
        if secret {
            c.as_tsk().serialize(w)
        } else {
            c.serialize(w)
        }
        .context("cannot write the key")?;
    }
    Ok(())
}
