//! `zpgp fetch`: contacts' keys from WKD and keyservers, imported.

use anyhow::Result;
use openpgp::{Cert, Fingerprint, KeyID};
use sequoia_openpgp as openpgp;

use super::import::{self, Row};
use super::network;
use crate::cli::{FetchArgs, NetSource};
use crate::context::Context;
use crate::display::Safe;
use crate::error::{Error, Failure, Reported};
use crate::net::{self, Answer, Http, Keyserver};
use crate::query::Query;

/// What a query asks the network for.
enum Want {
    Email(String),
    Fingerprint(Fingerprint),
    KeyId(KeyID),
}

/// The certificates a query found (each with where from), and those
/// refused.
#[derive(Default)]
struct Found {
    certs: Vec<(Cert, String)>,
    refused: Vec<Row>,
}

pub fn run(ctx: &Context, args: FetchArgs) -> Result<()> {
    let wkd = network::allows(&args.from, NetSource::Wkd);
    let keyservers = network::allows(&args.from, NetSource::Keyserver);
    let mut wants = Vec::new();
    for q in &args.queries {
        let want = match Query::parse(q) {
            Ok(Query::Email(e)) => Want::Email(e),
            Ok(Query::Fingerprint(f)) => Want::Fingerprint(f),
            Ok(Query::KeyId(k)) => Want::KeyId(k),
            _ => {
                return Err(Error::new(
                    Failure::Usage,
                    format!(
                        "fetch looks up an email address, a fingerprint or a key ID; \"{}\" is none of these",
                        Safe(q)
                    ),
                )
                .into());
            }
        };
        if !keyservers && !matches!(want, Want::Email(_)) {
            return Err(Error::new(
                Failure::Usage,
                format!(
                    "{q}: WKD is looked up by email address only; drop --from wkd to ask the keyservers"
                ),
            )
            .into());
        }
        wants.push((q.clone(), want));
    }
    let (net, servers) = network::open(ctx, &args.net)?;

    let mut found = Found::default();
    let mut failures = Vec::new();
    for (q, want) in &wants {
        match net.block_on(fetch_one(ctx, &net.http, &servers, want, wkd, keyservers)) {
            Ok(f) => {
                found.certs.extend(f.certs);
                found.refused.extend(f.refused);
            }
            Err(e) => failures.push((q.clone(), e)),
        }
    }

    if args.dry_run {
        for r in &found.refused {
            ctx.say(format_args!(
                "would refuse {}: {}",
                r.fingerprint.as_deref().unwrap_or("data"),
                Safe(r.reason.as_deref().unwrap_or(""))
            ));
        }
        let keyring = if ctx.home.exists() {
            Some(ctx.keyring()?)
        } else {
            None
        };
        import::dry_run_certs(ctx, keyring, found.certs, true)?;
    } else if !found.certs.is_empty() || !found.refused.is_empty() {
        let mut rows = found.refused;
        rows.extend(import::import_named(ctx, found.certs)?);
        let note = (rows.iter().any(|r| r.status != "rejected")).then_some(
            "zpgp: fetched keys are not authenticated by being fetched: compare a key's \
             fingerprint with its owner, then certify it (zpgp certify FINGERPRINT)",
        );
        import::conclude(ctx, &rows, true, note)?;
        if failures.is_empty() {
            return import::all_rejected(&rows);
        }
    }
    match failures.len() {
        0 => Ok(()),
        1 if wants.len() == 1 => Err(failures.pop().expect("one failure").1),
        _ => {
            let mut first = None;
            for (q, e) in &failures {
                first.get_or_insert(crate::error::failure_of(e));
                ctx.say(format_args!(
                    "cannot fetch {}: {}",
                    Safe(q),
                    Safe(&crate::error::chain_text(e))
                ));
            }
            Err(Reported(first.flatten()).into())
        }
    }
}

async fn fetch_one(
    ctx: &Context,
    http: &Http,
    servers: &[Keyserver],
    want: &Want,
    wkd: bool,
    keyservers: bool,
) -> Result<Found> {
    let mut errors = Vec::new();
    let mut found = Found::default();
    if let (Want::Email(email), true) = (want, wkd) {
        match net::wkd::lookup(http, email).await {
            Ok((answer, _)) => {
                take(ctx, &mut found, answer, |c| net::wkd::accept(c, email));
                if !found.certs.is_empty() {
                    return Ok(found);
                }
            }
            Err(e) => errors.push(e),
        }
    }
    // A fingerprint or key ID always goes to the keyservers (run refuses
    // --from wkd for them).
    if keyservers {
        for s in servers {
            let asked = match want {
                Want::Email(email) => s.by_email(email).await,
                Want::Fingerprint(fpr) => s.by_handle(fpr.clone().into()).await,
                Want::KeyId(id) => s.by_handle(id.clone().into()).await,
            };
            match asked {
                Ok(answer) => {
                    take(ctx, &mut found, answer, |c| answers(want, c));
                    if !found.certs.is_empty() {
                        return Ok(found);
                    }
                }
                Err(e) => errors.push(e),
            }
        }
    }
    if !found.refused.is_empty() {
        return Ok(found);
    }
    let what = match want {
        Want::Email(e) => e.clone(),
        Want::Fingerprint(f) => format!("{f:X}"),
        Want::KeyId(k) => format!("{k:X}"),
    };
    Err(network::combine(&what, errors))
}

/// Sorts an answer's certificates into those `check` accepts (and the
/// policy finds valid) and those refused, each with why.
fn take(
    ctx: &Context,
    found: &mut Found,
    answer: Answer,
    check: impl Fn(Cert) -> std::result::Result<Cert, String>,
) {
    for why in answer.unreadable {
        found
            .refused
            .push(Row::rejected(None, why, answer.url.clone()));
    }
    for cert in answer.certs {
        let fpr = format!("{:X}", cert.fingerprint());
        let cert = match check(cert) {
            Ok(c) => c,
            Err(why) => {
                found
                    .refused
                    .push(Row::rejected(Some(fpr), why, answer.url.clone()));
                continue;
            }
        };
        if let Err(e) = cert.with_policy(&ctx.policy, ctx.time) {
            let why = crate::ops::keyinfo::rejection_reason(&cert, &ctx.policy, ctx.time, &e);
            found
                .refused
                .push(Row::rejected(Some(fpr), why, answer.url.clone()));
            continue;
        }
        if cert.is_tsk() {
            // A server has no business sending secret keys; what it sent
            // is not taken for one of ours.
            found
                .certs
                .push((cert.strip_secret_key_material(), answer.url.clone()));
        } else {
            found.certs.push((cert, answer.url.clone()));
        }
    }
}

/// A keyserver's answer must be what was asked for: a certificate with
/// the address, the fingerprint, or a key with the key ID.
fn answers(want: &Want, cert: Cert) -> std::result::Result<Cert, String> {
    let fpr = cert.fingerprint();
    match want {
        Want::Email(email) => {
            let lower = email.to_ascii_lowercase();
            if cert
                .userids()
                .any(|u| u.userid().email_normalized().ok().flatten().as_deref() == Some(&lower))
            {
                Ok(cert)
            } else {
                Err(format!(
                    "the keyserver answered with {fpr:X}, which has no user ID for {email}"
                ))
            }
        }
        Want::Fingerprint(asked) if fpr == *asked => Ok(cert),
        Want::Fingerprint(asked) => Err(format!(
            "the keyserver answered with {fpr:X} when asked for {asked:X}"
        )),
        Want::KeyId(id) if cert.keys().any(|k| k.key().keyid() == *id) => Ok(cert),
        Want::KeyId(id) => Err(format!(
            "the keyserver answered with {fpr:X}, which has no key {id:X}"
        )),
    }
}
