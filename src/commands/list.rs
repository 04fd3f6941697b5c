use std::io::Write;

use anyhow::Result;

use crate::cli::ListArgs;
use crate::context::Context;
use crate::display::Safe;
use crate::ops::keyinfo::{self, CertInfo, capability_letters};
use crate::trust::{Authentication, Trust};
use sequoia_openpgp as openpgp;

use openpgp::Cert;
use openpgp::cert::amalgamation::UserIDAmalgamation;
use openpgp::packet::{Signature, UserID};
use openpgp::types::SignatureType;

use super::auth;

pub fn run(ctx: &Context, args: ListArgs) -> Result<()> {
    let keyring = ctx.keyring()?;
    let certs = match &args.query {
        Some(q) => {
            let parsed = crate::query::Query::parse(q)
                .map_err(|e| crate::error::Error::new(crate::error::Failure::KeyNotFound, e))?;
            let fprs = keyring.lookup(&parsed)?;
            if fprs.is_empty() {
                // Same error, hint and exit code as every other lookup.
                keyring.find(q)?;
            }
            let mut certs = Vec::new();
            for f in fprs {
                certs.extend(keyring.get(&f)?);
            }
            certs
        }
        None => keyring.certs()?,
    };
    let trust = super::auth::trust(ctx)?;
    let mut infos: Vec<CertInfo> = Vec::new();
    let mut auths: Vec<Vec<Option<Authentication>>> = Vec::new();
    let mut listed: Vec<&Cert> = Vec::new();
    for cert in &certs {
        let mut info = keyinfo::describe(cert, &ctx.policy, ctx.time);
        info.secret = keyring.has_secret(&cert.fingerprint());
        if args.secret && !info.secret {
            continue;
        }
        if !ctx.verbose {
            // Anyone can append a user ID or a key to a certificate; what
            // its owner did not bind is shown only on request.
            info.userids.retain(|u| u.state != "unbound");
            info.subkeys.retain(|k| k.state != "unbound");
        }
        auths.push(authentications(&trust, cert, &info));
        infos.push(info);
        listed.push(cert);
    }

    if ctx.json {
        let mut keys = serde_json::to_value(&infos)?;
        if let Some(keys) = keys.as_array_mut() {
            for (key, auths) in keys.iter_mut().zip(&auths) {
                let Some(uids) = key.get_mut("userids").and_then(|u| u.as_array_mut()) else {
                    continue;
                };
                for (uid, a) in uids.iter_mut().zip(auths) {
                    uid["authentication"] = a.as_ref().map_or(serde_json::Value::Null, auth::json);
                }
            }
        }
        return ctx.report(
            crate::printer::ReportTo::Stdout,
            &serde_json::json!({ "keys": keys }),
        );
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (i, ((info, auths), cert)) in infos.iter().zip(&auths).zip(listed).enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        // With -v, who certified each user ID.
        let sigs = if ctx.verbose {
            certifications(ctx, cert, info)
        } else {
            Vec::new()
        };
        print_cert(&mut out, info, Some(auths), &sigs)?;
    }
    out.flush()?;
    Ok(())
}

/// The authentication of each listed user ID (in `info`'s order); none for
/// user IDs that are not valid, or on a certificate that is not.
fn authentications(trust: &Trust, cert: &Cert, info: &CertInfo) -> Vec<Option<Authentication>> {
    info.userids
        .iter()
        .map(|u| {
            if u.state != "valid" || info.state != "valid" {
                return None;
            }
            let uid = listed_userid(cert, &u.userid)?;
            Some(trust.authenticate(cert, uid.userid()))
        })
        .collect()
}

/// The user ID of `cert` that the listing shows as `text`.
fn listed_userid<'c>(cert: &'c Cert, text: &str) -> Option<UserIDAmalgamation<'c>> {
    cert.userids()
        .find(|ua| String::from_utf8_lossy(ua.userid().value()) == text)
}

/// The third-party certifications of each listed user ID, one line each:
/// who made it (or "an unknown key"), when, and what it says.
fn certifications(ctx: &Context, cert: &Cert, info: &CertInfo) -> Vec<Vec<String>> {
    let Ok(keyring) = ctx.keyring() else {
        return Vec::new();
    };
    info.userids
        .iter()
        .map(|u| {
            let Some(ua) = listed_userid(cert, &u.userid) else {
                return Vec::new();
            };
            ua.certifications()
                .chain(ua.other_revocations())
                .map(|sig| certification_line(ctx, keyring, cert, ua.userid(), sig))
                .collect()
        })
        .collect()
}

fn certification_line(
    ctx: &Context,
    keyring: &crate::keyring::Keyring,
    cert: &Cert,
    uid: &UserID,
    sig: &Signature,
) -> String {
    let when = sig
        .signature_creation_time()
        .map(|t| crate::time::rfc3339(t)[..10].to_string())
        .unwrap_or_else(|| "????-??-??".into());
    let issuers = sig.get_issuers();
    // The issuer's certificate, preferring one whose key made this very
    // signature (a key ID may be shared).
    let holders = keyring.certs_by_handles(&issuers);
    let made_by = |c: &Cert| {
        c.keys().any(|k| {
            sig.clone()
                .verify_userid_binding(k.key(), cert.primary_key().key(), uid)
                .is_ok()
        })
    };
    let by = match holders.iter().find(|c| made_by(c)) {
        Some(c) => Some((c.clone(), true)),
        None => holders.first().map(|c| (c.clone(), false)),
    };
    let who = match &by {
        Some((c, good)) => format!(
            "by {:X} {}{}",
            c.fingerprint(),
            Safe(
                &crate::ops::keys::primary_user_id(c, &ctx.policy, Some(ctx.time))
                    .unwrap_or_default()
            ),
            if *good { "" } else { " [bad signature]" }
        ),
        None => format!(
            "by an unknown key {}",
            issuers
                .first()
                .map(|h| format!("{h:X}"))
                .unwrap_or_else(|| "(no issuer)".into())
        ),
    };
    let mut notes = Vec::new();
    if sig.typ() == SignatureType::CertificationRevocation {
        notes.push("revokes an earlier certification".to_string());
    }
    if let Some((depth, amount)) = sig.trust_signature() {
        notes.push(format!("introducer: depth {depth}, amount {amount}"));
    }
    for re in sig.regular_expressions() {
        let text = String::from_utf8_lossy(re).into_owned();
        match openpgp::regex::Regex::new(&text) {
            Ok(_) => notes.push(format!("for {}", Safe(&text))),
            Err(e) => notes.push(format!(
                "regular expression {} does not compile ({e}): the introducer counts for no one",
                Safe(&text)
            )),
        }
    }
    if sig.exportable().is_err() {
        notes.push("local".into());
    }
    if sig
        .signature_alive(ctx.time, std::time::Duration::ZERO)
        .is_err()
    {
        notes.push("expired".into());
    }
    if by.is_none() {
        notes.push("not counted".into());
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" [{}]", notes.join("; "))
    };
    format!("{when} {who}{notes}")
}

/// gpg's column before a user ID: its authentication, or why it has none.
fn column(state: &str, cert_state: &str, a: Option<&Authentication>) -> &'static str {
    match (a, state, cert_state) {
        (Some(a), _, _) => a.level.column(),
        (None, "revoked", _) | (None, _, "revoked") => "[revoked ]",
        (None, _, "expired") => "[expired ]",
        (None, "unbound", _) => "[unbound ]",
        _ => "[invalid ]",
    }
}

pub(super) fn print_cert(
    out: &mut dyn Write,
    c: &CertInfo,
    auths: Option<&[Option<Authentication>]>,
    sigs: &[Vec<String>],
) -> Result<()> {
    writeln!(
        out,
        "{}   {} {} [{}]{}{}{}",
        if c.secret { "sec" } else { "pub" },
        c.algorithm,
        &c.created[..10],
        capability_letters(&c.capabilities),
        expiry(&c.expires, c.state),
        state(c.state, &c.reason),
        if c.version == 6 { " v6" } else { "" },
    )?;
    writeln!(out, "      {}", c.fingerprint)?;
    for (i, u) in c.userids.iter().enumerate() {
        let mark = match (u.state, &u.revocation) {
            ("valid", _) => String::new(),
            ("revoked", Some(r)) => format!(" [revoked: {}]", r.text()),
            ("revoked", None) | ("unbound", _) => String::new(),
            (s, _) => format!(" [{s}]"),
        };
        // Certificates from a file (inspect) are not judged.
        let col = match auths {
            Some(auths) => {
                let a = auths.get(i).and_then(Option::as_ref);
                format!("{} ", column(u.state, c.state, a))
            }
            None => String::new(),
        };
        let mark = if auths.is_none() && mark.is_empty() && u.state != "valid" {
            format!(" [{}]", u.state)
        } else {
            mark
        };
        writeln!(out, "uid   {col}{}{mark}", Safe(&u.userid))?;
        for line in sigs.get(i).into_iter().flatten() {
            writeln!(out, "      sig {line}")?;
        }
    }
    for k in &c.subkeys {
        writeln!(
            out,
            "sub   {} {} [{}]{}{}",
            k.algorithm,
            &k.created[..10],
            capability_letters(&k.capabilities),
            expiry(&k.expires, k.state),
            state(k.state, &k.reason),
        )?;
        writeln!(out, "      {}", k.fingerprint)?;
    }
    Ok(())
}

fn expiry(expires: &Option<String>, state: &str) -> String {
    match expires {
        Some(e) if state == "expired" => format!(" expired {}", &e[..10]),
        Some(e) => format!(" expires {}", &e[..10]),
        None => String::new(),
    }
}

fn state(state: &str, reason: &Option<String>) -> String {
    match (state, reason) {
        ("valid", _) | ("expired", _) => {
            if state == "expired" {
                " [expired]".into()
            } else {
                String::new()
            }
        }
        (s, Some(r)) => format!(" [{s}: {}]", Safe(r)),
        (s, None) => format!(" [{s}]"),
    }
}
