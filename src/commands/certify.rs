//! `zpgp certify`: vouch for a contact's key with yours, make it a trusted
//! introducer, or withdraw that.

use anyhow::Result;
use openpgp::packet::UserID;
use openpgp::{Cert, Fingerprint};
use sequoia_openpgp as openpgp;

use super::common;
use super::upkeep;
use crate::cli::{CertifyArgs, TrustAmount};
use crate::context::Context;
use crate::display::Safe;
use crate::error::{Error, Failure};
use crate::ops::certify::{self as op, CertifyOptions, Introducer};

pub fn run(ctx: &Context, args: CertifyArgs) -> Result<()> {
    // Everything that can be judged from the words alone is, before a
    // passphrase is asked for.
    let options = options(ctx, &args)?;
    let keyring = ctx.keyring()?;
    let target = keyring.find(&args.query)?;
    let fpr = target.fingerprint();
    let label = crate::ops::cert_label(&target, &ctx.policy, Some(ctx.time));
    if keyring.has_secret(&fpr) {
        return Err(Error::new(
            Failure::Usage,
            format!("{label} is your own key: it is already yours, and needs no certification"),
        )
        .hint("certify your contacts' keys, e.g.: zpgp certify bob@example.org")
        .into());
    }
    let signer = signer(ctx, args.signer.as_deref())?;
    // Before any question: a key that cannot certify need not be unlocked.
    op::check_certifier(&signer, &ctx.policy, ctx.time)?;

    if args.revoke {
        return revoke(ctx, &args, target, &label, &signer);
    }

    op::check_target(&target, &ctx.policy, ctx.time)?;
    let valid = op::certifiable_userids(&target, &ctx.policy, ctx.time);
    if valid.is_empty() {
        return Err(Error::new(
            Failure::CertUserIdNoMatch,
            format!("{label} has no valid user ID to certify"),
        )
        .into());
    }
    let userids = chosen(&target, &valid, &args.userid, &args.email, "valid user IDs")?;
    confirm(ctx, &args, &target, &userids)?;

    let own = upkeep::own_key(ctx, &format!("{:X}", signer.fingerprint()))?;
    let passwords = upkeep::primary_passphrases(ctx, &own, &[])?;
    let mut certifier = op::certifier(&own.tsk, &passwords, &ctx.policy, ctx.time)?;
    wait(ctx, &target, &own.fpr);
    let certified = op::certify(
        &mut certifier,
        target,
        &userids,
        &options,
        std::time::SystemTime::now(),
    )?;
    upkeep::store(ctx, certified)?;

    let what = match &options.introducer {
        Some(i) => format!(
            "made {label} a {} introducer (depth {}{}){}",
            if i.amount == op::FULL_TRUST {
                "fully trusted"
            } else {
                "partially trusted"
            },
            i.depth,
            if i.domains.is_empty() {
                String::new()
            } else {
                format!(", for {}", i.domains.join(", "))
            },
            if options.exportable { "" } else { ", locally" },
        ),
        None => format!(
            "certified {label}{}",
            if options.exportable { "" } else { " locally" }
        ),
    };
    ctx.info(format_args!(
        "zpgp: {what} with your key {}, on:{}",
        own.label,
        list(&userids)
    ));
    if options.exportable {
        ctx.info(format_args!(
            "zpgp: give the certification to its owner: zpgp export {fpr:X} > {fpr:X}.asc"
        ));
    } else {
        ctx.info("zpgp: it stays in your keyring: exports leave it out unless --with-local");
    }
    Ok(())
}

/// The options of the certification, checked: the expiry, the domains.
fn options(ctx: &Context, args: &CertifyArgs) -> Result<CertifyOptions> {
    let expiration = match &args.expires {
        None => None,
        Some(w) => {
            let when = crate::time::parse_when(w, ctx.time).map_err(|e| {
                Error::new(Failure::Usage, e)
                    .hint("for example: zpgp certify --expires 2y bob@example.org")
            })?;
            if when.is_some_and(|t| t <= ctx.time) {
                return Err(Error::new(
                    Failure::Usage,
                    format!(
                        "{} is in the past: the certification would expire at once",
                        w.trim()
                    ),
                )
                .into());
            }
            when
        }
    };
    for d in &args.domain {
        if !op::is_domain(d) {
            return Err(Error::new(
                Failure::Usage,
                format!("{} is not a mail domain (such as example.org)", Safe(d)),
            )
            .into());
        }
    }
    let introducer = args.introducer.then(|| Introducer {
        depth: args.depth,
        amount: match args.amount {
            TrustAmount::Full => op::FULL_TRUST,
            TrustAmount::Partial => op::PARTIAL_TRUST,
        },
        domains: args.domain.iter().map(|d| d.to_ascii_lowercase()).collect(),
    });
    // A trust signature says how much you trust someone's judgement,
    // which is between you and your keyring unless you say otherwise.
    let exportable = if args.introducer {
        args.exportable
    } else {
        !args.local
    };
    Ok(CertifyOptions {
        exportable,
        expiration,
        introducer,
    })
}

/// The certificate of the key that certifies: --signer, else the default
/// key, else your only secret key.
fn signer(ctx: &Context, query: Option<&str>) -> Result<Cert> {
    let queries: Vec<String> = query.map(str::to_string).into_iter().collect();
    let cert = common::signer_certs(ctx, &queries)?.remove(0);
    if !ctx.keyring()?.has_secret(&cert.fingerprint()) {
        return Err(Error::new(
            Failure::KeyNotFound,
            format!(
                "you do not hold the secret key of {}, so it cannot certify",
                crate::ops::cert_label(&cert, &ctx.policy, Some(ctx.time))
            ),
        )
        .hint("'zpgp list --secret' shows the keys you can certify with")
        .into());
    }
    Ok(cert)
}

/// The user IDs among `candidates` that --userid and --email name, or all
/// of them when none is named; an error listing the candidates when one
/// named is not among them.
fn chosen(
    cert: &Cert,
    candidates: &[UserID],
    userids: &[String],
    emails: &[String],
    what: &str,
) -> Result<Vec<UserID>> {
    if userids.is_empty() && emails.is_empty() {
        return Ok(candidates.to_vec());
    }
    let missing = |name: &str| -> anyhow::Error {
        Error::new(
            Failure::CertUserIdNoMatch,
            format!(
                "the key {:X} has no user ID {} among its {what}:{}",
                cert.fingerprint(),
                Safe(name),
                list(candidates)
            ),
        )
        .into()
    };
    let mut out: Vec<UserID> = Vec::new();
    let mut add = |u: &UserID| {
        if !out.contains(u) {
            out.push(u.clone());
        }
    };
    for name in userids {
        let u = candidates
            .iter()
            .find(|u| u.value() == name.as_bytes())
            .ok_or_else(|| missing(name))?;
        add(u);
    }
    for email in emails {
        let wanted = email
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_lowercase();
        let found: Vec<&UserID> = candidates
            .iter()
            .filter(|u| u.email_normalized().ok().flatten().as_deref() == Some(wanted.as_str()))
            .collect();
        if found.is_empty() {
            return Err(missing(email));
        }
        found.into_iter().for_each(&mut add);
    }
    Ok(out)
}

/// One indented line per user ID, sanitized.
fn list(userids: &[UserID]) -> String {
    userids
        .iter()
        .map(|u| format!("\n  {}", crate::display::userid(u.value())))
        .collect()
}

/// The fingerprint as people read it out: blocks of four hex digits, with
/// a wider gap in the middle (as gpg prints it).
pub fn grouped(fpr: &Fingerprint) -> String {
    let hex = format!("{fpr:X}");
    let blocks: Vec<&str> = hex
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect();
    let half = blocks.len() / 2;
    format!("{}  {}", blocks[..half].join(" "), blocks[half..].join(" "))
}

/// A fingerprint as typed: without spaces, a 0x, or lower case.
fn normalized(s: &str) -> String {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(&s);
    s.to_uppercase()
}

/// Makes sure the user compared the fingerprint with its owner: given on
/// the command line (--fingerprint, or the full fingerprint as the query
/// with --yes), or confirmed on the terminal.
fn confirm(ctx: &Context, args: &CertifyArgs, target: &Cert, userids: &[UserID]) -> Result<()> {
    let fpr = format!("{:X}", target.fingerprint());
    if let Some(given) = &args.fingerprint {
        let given = normalized(given);
        if given != fpr {
            return Err(anyhow::anyhow!(
                "the fingerprint you gave, {}, does not match the key's, {} ({}): nothing certified; \
                 ask its owner again, over a channel you trust",
                Safe(&given),
                fpr,
                crate::ops::cert_label(target, &ctx.policy, Some(ctx.time))
            ));
        }
    }
    let answered = args.fingerprint.is_some() || (args.yes && normalized(&args.query) == fpr);
    let show = format!(
        "Key {}:{}\n  fingerprint: {}",
        crate::ops::cert_label(target, &ctx.policy, Some(ctx.time)),
        list(userids),
        grouped(&target.fingerprint())
    );
    if answered {
        ctx.info(show);
        return Ok(());
    }
    if ctx.batch {
        return Err(Error::new(
            Failure::MissingArg,
            format!(
                "certifying needs you to confirm that the fingerprint {} is the one its owner \
                 gave you, and --batch forbids asking",
                grouped(&target.fingerprint())
            ),
        )
        .hint(format!(
            "compare it with its owner, then: zpgp certify --fingerprint {fpr} {fpr}"
        ))
        .into());
    }
    ctx.say(show);
    let name = userids
        .iter()
        .find_map(|u| u.name().ok().flatten().map(str::to_string))
        .or_else(|| {
            userids
                .first()
                .map(|u| String::from_utf8_lossy(u.value()).into_owned())
        })
        .unwrap_or_else(|| "its owner".into());
    let question = format!(
        "Does this fingerprint match what {} gave you in person or over a channel you trust?",
        Safe(&name)
    );
    if !crate::passphrase::confirm(&question)? {
        return Err(Error::new(Failure::MissingArg, "nothing certified: not confirmed").into());
    }
    Ok(())
}

/// Waits, if need be, until a new signature by `certifier` on `target`
/// cannot tie with the newest one on file.
fn wait(ctx: &Context, target: &Cert, certifier: &Fingerprint) {
    let wait = op::wait_before_certifying(target, certifier, std::time::SystemTime::now());
    if !wait.is_zero() {
        ctx.debug(format_args!(
            "waiting {} ms so the new signature is newer than your last one on this key",
            wait.as_millis()
        ));
        std::thread::sleep(wait);
    }
}

fn revoke(
    ctx: &Context,
    args: &CertifyArgs,
    target: Cert,
    label: &str,
    signer: &Cert,
) -> Result<()> {
    let key = signer.primary_key().key().clone().role_into_unspecified();
    let certified: Vec<UserID> = target
        .userids()
        .filter(|u| op::standing_certification(&target, u.userid(), &key).is_some())
        .map(|u| u.userid().clone())
        .collect();
    let signer_label = crate::ops::cert_label(signer, &ctx.policy, Some(ctx.time));
    if certified.is_empty() {
        return Err(Error::new(
            Failure::CertUserIdNoMatch,
            format!("your key {signer_label} has not certified {label}: nothing to withdraw"),
        )
        .into());
    }
    let userids = chosen(
        &target,
        &certified,
        &args.userid,
        &args.email,
        "user IDs you certified",
    )?;
    let own = upkeep::own_key(ctx, &format!("{:X}", signer.fingerprint()))?;
    let passwords = upkeep::primary_passphrases(ctx, &own, &[])?;
    let mut certifier = op::certifier(&own.tsk, &passwords, &ctx.policy, ctx.time)?;
    wait(ctx, &target, &own.fpr);
    let revoked = op::revoke_certifications(
        &mut certifier,
        target,
        &userids,
        std::time::SystemTime::now(),
    )?;
    let fpr = revoked.fingerprint();
    upkeep::store(ctx, revoked)?;
    ctx.info(format_args!(
        "zpgp: withdrew the certification of {label} by your key {}, on:{}",
        own.label,
        list(&userids)
    ));
    ctx.info(format_args!(
        "zpgp: if you gave it out, give out the withdrawal too: zpgp export {fpr:X} > {fpr:X}.asc"
    ));
    Ok(())
}
