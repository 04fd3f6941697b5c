//! `zpgp refresh`: the certificates on file, updated from keyservers and
//! WKD, with what changed.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::Result;
use futures_util::StreamExt;
use openpgp::Cert;
use openpgp::types::{ReasonForRevocation, RevocationStatus};
use sequoia_openpgp as openpgp;
use serde::Serialize;

use super::network;
use crate::cli::{NetSource, RefreshArgs};
use crate::context::Context;
use crate::display::Safe;
use crate::error::{Failure, Reported};
use crate::net::{self, Keyserver};

/// Merged certificates go to the keyring in batches of this many, or
/// after this long: an interrupted refresh keeps nearly all it merged,
/// without rewriting the index once per certificate.
const BATCH: usize = 32;
const BATCH_TIME: Duration = Duration::from_millis(500);

/// One thing that changed in a certificate, in the order reports list
/// them: revocations first.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
struct Change {
    kind: Kind,
    detail: String,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Revoked,
    SubkeyRevoked,
    UseridRevoked,
    NewSubkey,
    Expiry,
    NewUserid,
    NewSignatures,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Revoked => "revoked",
            Kind::SubkeyRevoked => "subkey revoked",
            Kind::UseridRevoked => "user ID revoked",
            Kind::NewSubkey => "new subkey",
            Kind::Expiry => "new expiry",
            Kind::NewUserid => "new user ID",
            Kind::NewSignatures => "updated",
        }
    }
}

/// What happened to one certificate.
#[derive(Debug, Serialize)]
struct Outcome {
    fingerprint: String,
    userid: Option<String>,
    /// "updated", "unchanged", "not_found" or "failed".
    status: &'static str,
    changes: Vec<Change>,
    /// Where its updates came from.
    sources: Vec<String>,
    /// Other keys that WKD offers for its addresses, and what failed.
    notes: Vec<String>,
    errors: Vec<String>,
}

/// One request: a certificate (by index) at one source.
enum Job {
    Keyserver(usize),
    Wkd(String),
}

pub fn run(ctx: &Context, args: RefreshArgs) -> Result<()> {
    let keyring = ctx.keyring()?;
    let certs: Vec<Cert> = if args.queries.is_empty() {
        keyring.certs()?
    } else {
        let mut v: Vec<Cert> = Vec::new();
        for q in &args.queries {
            let c = keyring.find(q)?;
            if !v.iter().any(|x| x.fingerprint() == c.fingerprint()) {
                v.push(c);
            }
        }
        v
    };
    if certs.is_empty() {
        ctx.info("zpgp: the keyring is empty; nothing to refresh");
        return Ok(());
    }
    let use_wkd = network::allows(&args.from, NetSource::Wkd);
    let use_ks = network::allows(&args.from, NetSource::Keyserver);
    let (net, servers) = network::open(ctx, &args.net)?;

    let mut jobs: Vec<(usize, Job)> = Vec::new();
    let mut pending = vec![0usize; certs.len()];
    for (i, cert) in certs.iter().enumerate() {
        if use_ks {
            for s in 0..servers.len() {
                jobs.push((i, Job::Keyserver(s)));
                pending[i] += 1;
            }
        }
        if use_wkd {
            for email in addresses(ctx, cert) {
                jobs.push((i, Job::Wkd(email)));
                pending[i] += 1;
            }
        }
    }

    let bar = progress(ctx, certs.len() as u64);
    let mut updates: Vec<Option<Cert>> = vec![None; certs.len()];
    let mut outcomes: Vec<Outcome> = certs
        .iter()
        .map(|c| Outcome {
            fingerprint: format!("{:X}", c.fingerprint()),
            userid: crate::ops::keys::primary_user_id(c, &ctx.policy, Some(ctx.time)),
            status: "unchanged",
            changes: Vec::new(),
            sources: Vec::new(),
            notes: Vec::new(),
            errors: Vec::new(),
        })
        .collect();
    let mut found = vec![false; certs.len()];
    let mut batch: Vec<usize> = Vec::new();
    let mut last_flush = Instant::now();

    // Certificates with nothing to ask are done at once.
    for (i, n) in pending.iter().enumerate() {
        if *n == 0 {
            outcomes[i].status = "not_found";
            outcomes[i]
                .notes
                .push("no source to ask (no address for WKD)".into());
            bar.inc(1);
        }
    }

    let http = net.http.clone();
    let requests = futures_util::stream::iter(jobs.into_iter().map(|(i, job)| {
        let http = http.clone();
        let servers: &[Keyserver] = &servers;
        let fpr = certs[i].fingerprint();
        async move {
            match job {
                Job::Keyserver(s) => {
                    let r = servers[s].by_handle(fpr.into()).await;
                    (i, servers[s].name(), None, r)
                }
                Job::Wkd(email) => {
                    let r = net::wkd::lookup(&http, &email).await.map(|(a, _)| a);
                    (i, format!("WKD {email}"), Some(email), r)
                }
            }
        }
    }))
    .buffer_unordered(net::PARALLEL);

    let mut merge_error = None;
    net.block_on(async {
        let mut requests = std::pin::pin!(requests);
        loop {
            // A finished certificate waits at most BATCH_TIME for others
            // to join its batch, even while the rest are slow to answer.
            let next = if batch.is_empty() {
                requests.next().await
            } else {
                let wait = BATCH_TIME.saturating_sub(last_flush.elapsed());
                match tokio::time::timeout(wait, requests.next()).await {
                    Ok(next) => next,
                    Err(_) => {
                        if let Err(e) =
                            flush(ctx, &certs, &mut updates, &mut outcomes, &found, &mut batch)
                        {
                            merge_error = Some(e);
                            return;
                        }
                        last_flush = Instant::now();
                        continue;
                    }
                }
            };
            let Some((i, source, wkd_email, result)) = next else {
                break;
            };
            let fpr = certs[i].fingerprint();
            match result {
                Ok(answer) => {
                    let mut took = false;
                    for c in answer.certs {
                        if c.fingerprint() != fpr {
                            let other = format!("{:X}", c.fingerprint());
                            outcomes[i].notes.push(match &wkd_email {
                                Some(e) => format!(
                                    "WKD offers another key for {e}: {other} (zpgp fetch {e} brings it)"
                                ),
                                None => format!("{source} answered with another key, {other}: ignored"),
                            });
                            continue;
                        }
                        let c = match &wkd_email {
                            Some(e) => match net::wkd::accept(c, e) {
                                Ok(c) => c,
                                Err(why) => {
                                    outcomes[i].notes.push(why);
                                    continue;
                                }
                            },
                            None => c.strip_secret_key_material(),
                        };
                        let base = updates[i].take().unwrap_or_else(|| certs[i].clone());
                        match base.clone().merge_public(c) {
                            Ok(m) => updates[i] = Some(m),
                            Err(e) => {
                                updates[i] = Some(base);
                                outcomes[i].errors.push(format!("{source}: {e}"));
                                continue;
                            }
                        }
                        took = true;
                    }
                    for why in answer.unreadable {
                        outcomes[i].notes.push(format!("{source}: {why}"));
                    }
                    if took {
                        found[i] = true;
                        outcomes[i].sources.push(source);
                    }
                }
                Err(e) if crate::error::failure_of(&e) == Some(Failure::KeyNotFound) => {}
                Err(e) => outcomes[i]
                    .errors
                    .push(crate::error::chain_text(&e)),
            }
            pending[i] -= 1;
            if pending[i] == 0 {
                bar.inc(1);
                batch.push(i);
            }
            if batch.len() >= BATCH || (!batch.is_empty() && last_flush.elapsed() >= BATCH_TIME) {
                if let Err(e) = flush(ctx, &certs, &mut updates, &mut outcomes, &found, &mut batch) {
                    merge_error = Some(e);
                    return;
                }
                last_flush = Instant::now();
            }
        }
    });
    if let Some(e) = merge_error {
        bar.finish_and_clear();
        return Err(e);
    }
    flush(ctx, &certs, &mut updates, &mut outcomes, &found, &mut batch)?;
    bar.finish_and_clear();
    report(ctx, &outcomes)
}

/// Merges the finished certificates of `batch` into the keyring and
/// notes what changed.
fn flush(
    ctx: &Context,
    certs: &[Cert],
    updates: &mut [Option<Cert>],
    outcomes: &mut [Outcome],
    found: &[bool],
    batch: &mut Vec<usize>,
) -> Result<()> {
    let mut merging = Vec::new();
    for i in batch.drain(..) {
        let o = &mut outcomes[i];
        match updates[i].take() {
            Some(u) => merging.push((i, u)),
            None if !o.errors.is_empty() => o.status = "failed",
            None if !found[i] => o.status = "not_found",
            None => {}
        }
    }
    if merging.is_empty() {
        return Ok(());
    }
    let keyring = ctx.keyring()?;
    let mut merged = Vec::new();
    keyring.import_each(merging.iter().map(|(_, c)| c.clone()), |o| merged.push(o))?;
    for ((i, _), o) in merging.iter().zip(merged) {
        let out = &mut outcomes[*i];
        if o.public == crate::keyring::ImportStatus::Unchanged {
            continue;
        }
        out.status = "updated";
        out.changes = changes(ctx, &certs[*i], &o.cert);
        out.userid = crate::ops::keys::primary_user_id(&o.cert, &ctx.policy, Some(ctx.time));
    }
    Ok(())
}

/// The addresses of a certificate's valid user IDs.
fn addresses(ctx: &Context, cert: &Cert) -> Vec<String> {
    let Ok(vc) = cert.with_policy(&ctx.policy, ctx.time) else {
        return Vec::new();
    };
    let set: BTreeSet<String> = vc
        .userids()
        .filter_map(|u| u.userid().email_normalized().ok().flatten())
        .collect();
    set.into_iter().collect()
}

fn revoked(status: &RevocationStatus) -> bool {
    matches!(status, RevocationStatus::Revoked(_))
}

fn reason(status: &RevocationStatus) -> String {
    let RevocationStatus::Revoked(sigs) = status else {
        return String::new();
    };
    match sigs.first().and_then(|s| s.reason_for_revocation()) {
        Some((code, msg)) => {
            let text = String::from_utf8_lossy(msg);
            let what = match code {
                ReasonForRevocation::KeyCompromised => "compromised".to_string(),
                ReasonForRevocation::KeySuperseded => "superseded".to_string(),
                ReasonForRevocation::KeyRetired => "retired".to_string(),
                ReasonForRevocation::UIDRetired => "no longer used".to_string(),
                other => other.to_string(),
            };
            if text.trim().is_empty() {
                format!(" ({what})")
            } else {
                format!(" ({what}: {})", text.trim())
            }
        }
        None => String::new(),
    }
}

/// What differs between a certificate before and after the merge.
fn changes(ctx: &Context, old: &Cert, new: &Cert) -> Vec<Change> {
    let (p, t) = (&ctx.policy, Some(ctx.time));
    let mut out = Vec::new();
    let mut push = |kind, detail: String| out.push(Change { kind, detail });

    let new_status = new.revocation_status(p, t);
    if revoked(&new_status) && !revoked(&old.revocation_status(p, t)) {
        push(
            Kind::Revoked,
            format!("the key is revoked{}", reason(&new_status)),
        );
    }
    let new_vc = new.with_policy(p, t).ok();
    for sk in new.keys().subkeys() {
        let fpr = sk.key().fingerprint();
        let status = sk.bundle().revocation_status(p, t);
        match old.keys().subkeys().find(|o| o.key().fingerprint() == fpr) {
            Some(o) => {
                if revoked(&status) && !revoked(&o.bundle().revocation_status(p, t)) {
                    push(Kind::SubkeyRevoked, format!("{fpr:X}{}", reason(&status)));
                }
            }
            None => {
                let usable = new_vc
                    .as_ref()
                    .is_some_and(|vc| vc.keys().subkeys().any(|k| k.key().fingerprint() == fpr));
                push(
                    Kind::NewSubkey,
                    format!(
                        "{fpr:X}{}",
                        if usable {
                            ""
                        } else {
                            " (not valid under the policy)"
                        }
                    ),
                );
            }
        }
    }
    for u in new.userids() {
        let text = String::from_utf8_lossy(u.userid().value()).into_owned();
        let status = u.revocation_status(p, t);
        match old.userids().find(|o| o.userid() == u.userid()) {
            Some(o) => {
                if revoked(&status) && !revoked(&o.revocation_status(p, t)) {
                    push(
                        Kind::UseridRevoked,
                        format!("{}{}", Safe(&text), reason(&status)),
                    );
                }
            }
            None => push(Kind::NewUserid, Safe(&text).to_string()),
        }
    }
    let before = old
        .with_policy(p, t)
        .ok()
        .map(|vc| vc.primary_key().key_expiration_time());
    let after = new_vc
        .as_ref()
        .map(|vc| vc.primary_key().key_expiration_time());
    if before != after {
        let show = |e: Option<Option<std::time::SystemTime>>| match e {
            None => "not valid".to_string(),
            Some(None) => "never".to_string(),
            Some(Some(t)) => crate::time::date(t),
        };
        push(Kind::Expiry, format!("{} -> {}", show(before), show(after)));
    }
    if out.is_empty() {
        out.push(Change {
            kind: Kind::NewSignatures,
            detail: "new signatures (certifications or renewed bindings)".into(),
        });
    }
    out.sort();
    out
}

fn progress(ctx: &Context, len: u64) -> indicatif::ProgressBar {
    if !ctx.printer().may_draw() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template("refreshing {bar:40} {pos}/{len} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

fn report(ctx: &Context, outcomes: &[Outcome]) -> Result<()> {
    let count = |s: &str| outcomes.iter().filter(|o| o.status == s).count();
    let mut order: Vec<&Outcome> = outcomes.iter().filter(|o| !o.changes.is_empty()).collect();
    order.sort_by(|a, b| a.changes.first().cmp(&b.changes.first()));
    if ctx.json {
        ctx.report(
            crate::printer::ReportTo::Stdout,
            &serde_json::json!({
                "certificates": outcomes,
                "checked": outcomes.len(),
                "updated": count("updated"),
                "unchanged": count("unchanged"),
                "not_found": count("not_found"),
                "failed": count("failed"),
            }),
        )?;
    }
    for o in &order {
        let who = match &o.userid {
            Some(u) => format!("{} {}", o.fingerprint, Safe(u)),
            None => o.fingerprint.clone(),
        };
        for c in &o.changes {
            ctx.say(format_args!("{:<15} {who}: {}", c.kind.label(), c.detail));
        }
    }
    for o in outcomes {
        for n in &o.notes {
            ctx.info(format_args!("zpgp: {}: {}", o.fingerprint, Safe(n)));
        }
        for e in &o.errors {
            ctx.say(format_args!(
                "cannot refresh {}: {}",
                o.fingerprint,
                Safe(e)
            ));
        }
    }
    ctx.info(format_args!(
        "zpgp: {} certificate{} checked: {} updated, {} unchanged, {} not found, {} failed",
        outcomes.len(),
        if outcomes.len() == 1 { "" } else { "s" },
        count("updated"),
        count("unchanged"),
        count("not_found"),
        count("failed"),
    ));
    if count("failed") > 0 {
        return Err(Reported(Some(Failure::Network)).into());
    }
    Ok(())
}
