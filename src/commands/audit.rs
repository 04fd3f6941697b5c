//! `zpgp audit [--contacts]`: what is weak or ageing in your keys (and
//! your contacts' certificates), each finding with the command that fixes
//! it.  The judging is `ops::audit`'s; here the fixes are named, since
//! they depend on whose key it is.  The keyring is only read.

use anyhow::Result;
use sequoia_openpgp as openpgp;
use serde::Serialize;

use openpgp::Cert;

use crate::cli::AuditArgs;
use crate::context::Context;
use crate::display::{Safe, SafeText};
use crate::error::{Failure, Reported};
use crate::keyring::shell_quote;
use crate::ops::audit::{self, Problem, Usage, Which};
use crate::printer::ReportTo;

/// `zpgp --json audit` (documented in the README).
#[derive(Serialize)]
struct Report<'a> {
    keys: &'a [KeyReport],
}

#[derive(Serialize)]
struct KeyReport {
    fingerprint: String,
    userid: Option<String>,
    /// "own" (you hold its secret key) or "contact".
    kind: &'static str,
    version: u8,
    revoked: bool,
    findings: Vec<Finding>,
}

#[derive(Serialize)]
struct Finding {
    /// Stable: revoked, rejected, not-checked, rsa-under-3072, dsa, elgamal,
    /// sha1-binding, no-pq-encryption, no-seipdv2, expired, expires-soon,
    /// no-expiry.
    id: &'static str,
    /// "high", "medium" or "low".
    severity: &'static str,
    text: String,
    /// The command that fixes it (for a contact's key: the one that picks
    /// up their fix), when there is one.
    fix: Option<String>,
    /// Further steps, in order, when one command is not the whole fix.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    then: Vec<String>,
}

pub fn run(ctx: &Context, args: AuditArgs) -> Result<()> {
    if !ctx.home.exists() {
        // Opening the keyring would create it; audit only reads.
        ctx.info(format!(
            "zpgp: there is no keyring at {} yet: nothing to audit",
            ctx.home.display()
        ));
        return Ok(());
    }
    let (own, certs) = super::common::keys_to_check(ctx, args.contacts)?;
    // Yours first, then the contacts, each in fingerprint order.
    let mut keys: Vec<KeyReport> = Vec::new();
    for mine in [true, false] {
        for cert in certs
            .iter()
            .filter(|c| own.contains(&c.fingerprint()) == mine)
        {
            keys.push(key_report(ctx, cert, mine));
        }
    }

    if ctx.json {
        ctx.report(ReportTo::Stdout, &Report { keys: &keys })?;
    } else {
        print_human(&keys);
    }

    let n_own = keys.iter().filter(|k| k.kind == "own").count();
    let n_contacts = keys.len() - n_own;
    let audited = if args.contacts {
        format!(
            "{n_own} key{} of yours and {n_contacts} contact{}",
            plural(n_own),
            plural(n_contacts)
        )
    } else {
        format!("{n_own} key{} of yours", plural(n_own))
    };
    let findings: usize = keys.iter().map(|k| k.findings.len()).sum();
    if findings == 0 {
        ctx.info(format!("zpgp: nothing to report: audited {audited}"));
        return Ok(());
    }
    let with = keys.iter().filter(|k| !k.findings.is_empty()).count();
    ctx.info(format!(
        "zpgp: {findings} finding{} in {with} key{}: audited {audited}",
        plural(findings),
        plural(with)
    ));
    Err(Reported(Some(Failure::ProblemsFound)).into())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn print_human(keys: &[KeyReport]) {
    for k in keys.iter().filter(|k| !k.findings.is_empty()) {
        println!(
            "{} key {}{}",
            if k.kind == "own" { "your" } else { "contact's" },
            k.fingerprint,
            k.userid
                .as_deref()
                .map(|u| format!(" {}", Safe(u)))
                .unwrap_or_default()
        );
        let mut plans: Vec<&Vec<String>> = Vec::new();
        for f in &k.findings {
            println!("  {:<6}  {}", f.severity, SafeText(&f.text));
            if let Some(fix) = &f.fix {
                println!("          fix: {}", SafeText(fix));
            }
            // The same transition to a new key is spelt out once.
            if plans.contains(&&f.then) {
                println!("          then: the same steps as above");
                continue;
            }
            for step in &f.then {
                println!("          then: {}", SafeText(step));
            }
            if !f.then.is_empty() {
                plans.push(&f.then);
            }
        }
    }
}

fn key_report(ctx: &Context, cert: &Cert, mine: bool) -> KeyReport {
    let a = audit::audit(cert, &ctx.policy, ctx.time);
    let fpr = format!("{:X}", cert.fingerprint());
    let findings = a
        .problems
        .iter()
        .map(|p| {
            let (fix, then) = if mine {
                own_fix(ctx, &fpr, &a, p)
            } else {
                contact_fix(&fpr, &a, p)
            };
            #[cfg(debug_assertions)]
            for t in fix.iter().chain(&then) {
                crate::cli::check::assert_hint_parses(t);
            }
            Finding {
                id: p.id(),
                severity: p.severity().name(),
                text: text(p, mine, ctx),
                fix,
                then,
            }
        })
        .collect();
    KeyReport {
        fingerprint: fpr,
        userid: a.userid.clone(),
        kind: if mine { "own" } else { "contact" },
        version: a.version,
        revoked: a.revoked,
        findings,
    }
}

fn text(p: &Problem, mine: bool, ctx: &Context) -> String {
    let t = p.text(ctx.time);
    if mine {
        return t;
    }
    match p {
        Problem::WeakKey {
            which: Which::Primary,
            ..
        }
        | Problem::NoPqEncryption { version: 4 } => format!("{t}; ask them for a new key"),
        Problem::WeakKey { .. }
        | Problem::WeakBindings { .. }
        | Problem::NoPqEncryption { .. }
        | Problem::NoSeipdv2 { .. }
        | Problem::Expired { .. }
        | Problem::ExpiresSoon { .. }
        | Problem::NoExpiry => format!("{t}; ask them to update their key"),
        Problem::Revoked { .. } | Problem::Rejected { .. } | Problem::NotChecked { .. } => t,
    }
}

/// The name and the email address of the user ID, shell-quoted, else
/// the placeholders NAME and EMAIL.
fn name_and_email(a: &audit::Audit) -> (String, String) {
    let uid = a
        .userid
        .as_deref()
        .map(|u| openpgp::packet::UserID::from(u.to_string()));
    let name = uid.as_ref().and_then(|u| u.name().ok().flatten());
    let email = uid.as_ref().and_then(|u| u.email().ok().flatten());
    let q = |s: &str| shell_quote(std::path::Path::new(s));
    (
        name.map(q).unwrap_or_else(|| "NAME".into()),
        email.map(q).unwrap_or_else(|| "EMAIL".into()),
    )
}

/// How to move to a new key `NEW` over time, keeping the old one `fpr`
/// for the mail already sent to it.
fn transition(fpr: &str) -> Vec<String> {
    vec![
        "publish the new key (NEW: the fingerprint generate printed): zpgp publish NEW".into(),
        format!("vouch for it with the old one: zpgp certify NEW --signer {fpr}"),
        "keep the old secret key: it decrypts the mail already sent to it".into(),
        format!("let the old key expire after a transition of 3 months: zpgp expire {fpr} 3m"),
    ]
}

fn own_fix(
    ctx: &Context,
    fpr: &str,
    a: &audit::Audit,
    p: &Problem,
) -> (Option<String>, Vec<String>) {
    let (name, email) = name_and_email(a);
    // A v6 key: SEIPDv2, and room for what RFC 9580 brings.
    let new_key = || {
        (
            Some(format!(
                "zpgp generate --profile rfc9580 --name {name} --email {email}"
            )),
            transition(fpr),
        )
    };
    match p {
        // No fix but removal; the secret still decrypts old mail.
        Problem::Revoked { .. } => (Some(format!("zpgp delete {fpr} --secret")), Vec::new()),
        Problem::Rejected { .. } => new_key(),
        // Nothing wrong with the key; this zpgp cannot tell.
        Problem::NotChecked { .. } => (None, Vec::new()),
        Problem::WeakKey {
            which: Which::Primary,
            ..
        } => new_key(),
        Problem::WeakKey {
            which: Which::Subkey { usage, .. },
            ..
        } => {
            // Literal per use, so that the test of suggested commands
            // parses each.
            let fix = match usage {
                Usage::Encrypt => {
                    format!("zpgp subkey rotate {fpr} --for encrypt --cipher-suite cv25519")
                }
                Usage::Sign => {
                    format!("zpgp subkey rotate {fpr} --for sign --cipher-suite cv25519")
                }
                Usage::Authenticate => {
                    format!("zpgp subkey rotate {fpr} --for authenticate --cipher-suite cv25519")
                }
                // Nothing to rotate it for: a new key is the clean way.
                Usage::Other => return new_key(),
            };
            (Some(fix), Vec::new())
        }
        // `sop update-key` re-signs exactly the weak self-signatures with
        // SHA-512 (expire re-signs too, but only bindings the policy
        // accepts, so never a SHA-1 one).
        Problem::WeakBindings { .. } => {
            let k = shell_quote(&ctx.home.join(format!("{fpr}.key")));
            let n = shell_quote(&ctx.home.join(format!("{fpr}.new")));
            (
                Some(format!(
                    "zpgp export --secret -o {k} {fpr} && zpgp sop update-key \
                     --with-key-password PASSFILE < {k} > {n} && zpgp import {n}; rm {k} {n}"
                )),
                Vec::new(),
            )
        }
        Problem::NoPqEncryption { version: 6 } => (
            Some(format!(
                "zpgp subkey add {fpr} --for encrypt --cipher-suite mlkem768-x25519"
            )),
            Vec::new(),
        ),
        // A post-quantum subkey needs a v6 primary key (RFC 9980).
        Problem::NoPqEncryption { .. } => (
            Some(format!(
                "zpgp generate --profile pqc --name {name} --email {email}"
            )),
            transition(fpr),
        ),
        // Nothing re-signs with new features: expire and sop update-key
        // keep the old subpackets.
        Problem::NoSeipdv2 { .. } => new_key(),
        Problem::Expired { .. } | Problem::ExpiresSoon { .. } | Problem::NoExpiry => {
            (Some(format!("zpgp expire {fpr} 2y")), Vec::new())
        }
    }
}

fn contact_fix(fpr: &str, a: &audit::Audit, p: &Problem) -> (Option<String>, Vec<String>) {
    let email = a
        .userid
        .as_deref()
        .map(|u| openpgp::packet::UserID::from(u.to_string()))
        .and_then(|u| u.email().ok().flatten().map(str::to_string));
    let fetch_new = || {
        email
            .as_deref()
            .map(|e| format!("zpgp fetch {}", shell_quote(std::path::Path::new(e))))
    };
    let fix = match p {
        Problem::Revoked { .. } => Some(format!("zpgp delete {fpr}")),
        Problem::NotChecked { .. } => None,
        Problem::WeakKey {
            which: Which::Primary,
            ..
        }
        | Problem::NoPqEncryption { version: 4 } => fetch_new(),
        Problem::Rejected { .. }
        | Problem::WeakKey { .. }
        | Problem::WeakBindings { .. }
        | Problem::NoPqEncryption { .. }
        | Problem::NoSeipdv2 { .. }
        | Problem::Expired { .. }
        | Problem::ExpiresSoon { .. }
        | Problem::NoExpiry => Some(format!("zpgp refresh {fpr}")),
    };
    (fix, Vec::new())
}
