use std::io::Write;

use anyhow::Result;

use crate::cli::ListArgs;
use crate::context::Context;
use crate::display::Safe;
use crate::ops::keyinfo::{self, CertInfo, capability_letters};
use crate::trust::{Authentication, Trust};
use sequoia_openpgp::Cert;

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
    for (i, (info, auths)) in infos.iter().zip(&auths).enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        print_cert(&mut out, info, Some(auths))?;
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
            let uid = cert
                .userids()
                .map(|ua| ua.userid())
                .find(|id| String::from_utf8_lossy(id.value()) == u.userid)?;
            Some(trust.authenticate(cert, uid))
        })
        .collect()
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
