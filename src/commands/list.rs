use std::io::Write;

use anyhow::Result;

use crate::cli::ListArgs;
use crate::context::Context;
use crate::display::Safe;
use crate::ops::keyinfo::{self, CertInfo, capability_letters};

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
    let mut infos: Vec<CertInfo> = Vec::new();
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
        infos.push(info);
    }

    if ctx.json {
        return ctx.report(
            crate::printer::ReportTo::Stdout,
            &serde_json::json!({ "keys": infos }),
        );
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (i, info) in infos.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        print_cert(&mut out, info)?;
    }
    out.flush()?;
    Ok(())
}

pub(super) fn print_cert(out: &mut dyn Write, c: &CertInfo) -> Result<()> {
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
    for u in &c.userids {
        let mark = match (u.state, &u.revocation) {
            ("valid", _) => String::new(),
            ("revoked", Some(r)) => format!(" [revoked: {}]", r.text()),
            (s, _) => format!(" [{s}]"),
        };
        writeln!(out, "uid   {}{mark}", Safe(&u.userid))?;
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
