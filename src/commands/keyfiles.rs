//! Keys and certificates from files, for scripts: the keyring is neither
//! read nor written (`verify --cert-file`, `decrypt --key-file`, …).

use std::path::PathBuf;

use anyhow::Result;
use openpgp::Cert;
use openpgp::parse::Parse;
use sequoia_openpgp as openpgp;

use crate::context::Context;
use crate::error::{Error, Failure};
use crate::query::Query;

/// A keyring of secret keys is small; this bounds a mistaken file.
const MAX_KEY_FILE: usize = 16 << 20;

/// The certificates in each file (armored or binary), public parts only.
pub fn certs(files: &[PathBuf]) -> Result<Vec<Cert>> {
    let mut out = Vec::new();
    for f in files {
        let file = std::fs::File::open(f).map_err(|e| crate::error::unreadable(f, e))?;
        let what = format!("the certificate file {}", f.display());
        out.extend(
            crate::ops::certs::read_certs(file, &what)?
                .into_iter()
                .map(Cert::strip_secret_key_material),
        );
    }
    Ok(out)
}

/// The secret keys in each --key-file (a path, @ENV:NAME or @FD:N).
pub fn secret_keys(ctx: &Context, specs: &[String]) -> Result<Vec<Cert>> {
    let mut out = Vec::new();
    for spec in specs {
        let data = ctx.read_indirect(spec, MAX_KEY_FILE)?;
        let what = format!("the key file {spec}");
        let bad = |e: anyhow::Error| Error::new(Failure::BadData, format!("{what}: {e}"));
        let keys: Vec<Cert> = openpgp::cert::CertParser::from_bytes(&data[..])
            .map_err(bad)?
            .collect::<Result<_>>()
            .map_err(bad)?;
        if keys.is_empty() {
            return Err(Error::new(Failure::BadData, format!("{what} holds no key")).into());
        }
        crate::ops::certs::require_secret(&keys, &what)?;
        out.extend(keys);
    }
    Ok(out)
}

/// The one certificate among `certs` that `query` names: a fingerprint or
/// key ID (of the certificate or one of its bound subkeys), an email
/// address or part of a name in a valid user ID.  Exit 4 when none does,
/// 73 when several do.
pub fn find(ctx: &Context, certs: &[Cert], query: &str) -> Result<Cert> {
    let parsed = Query::parse(query).map_err(|e| Error::new(Failure::KeyNotFound, e))?;
    let mut matches: Vec<&Cert> = certs
        .iter()
        .filter(|c| matches_query(ctx, c, &parsed))
        .collect();
    // The same certificate may come twice (a key file and a certificate
    // file): it is one match.
    matches.sort_by_key(|c| c.fingerprint());
    matches.dedup_by_key(|c| c.fingerprint());
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Error::new(
            Failure::KeyNotFound,
            format!(
                "no certificate in the given files matches {}",
                crate::display::Safe(query)
            ),
        )
        .into()),
        several => {
            let mut msg = format!(
                "{} matches several certificates in the given files:",
                crate::display::Safe(query)
            );
            for c in several {
                msg.push_str("\n  ");
                msg.push_str(&crate::ops::cert_label(c, &ctx.policy, Some(ctx.time)));
            }
            Err(Error::new(Failure::AmbiguousInput, msg)
                .hint("name one by its fingerprint")
                .into())
        }
    }
}

fn matches_query(ctx: &Context, cert: &Cert, query: &Query) -> bool {
    use openpgp::KeyHandle;
    // What the owner bound, as the keyring's index does.
    let Ok(vc) = cert.with_policy(&ctx.policy, ctx.time) else {
        return match query {
            Query::Fingerprint(f) => cert.fingerprint() == *f,
            _ => false,
        };
    };
    if let Some(h) = query.key_handle() {
        return vc
            .keys()
            .any(|k| h.aliases(KeyHandle::from(k.key().fingerprint())));
    }
    vc.userids().any(|u| query.matches_userid(u.userid()))
}
