//! What the commands share about authentication: the user's own keys as
//! the roots, the notes and failures for keys that are not authenticated,
//! and `--require-auth`.

use anyhow::Result;
use sequoia_openpgp as openpgp;

use openpgp::{Cert, Fingerprint};

use crate::context::Context;
use crate::display::Safe;
use crate::error::{Error, Failure};
use crate::ops::{SignatureReport, SignatureStatus};
use crate::trust::{Authentication, Level, Trust};

/// The user's own keys: those whose secret key is held, and the default
/// key.
pub fn roots(ctx: &Context) -> Result<Vec<Fingerprint>> {
    let mut roots = ctx.keyring()?.secret_fingerprints()?;
    if let Ok(config) = ctx.config() {
        if let Some((fpr, _)) = config.default_key() {
            if !roots.contains(fpr) {
                roots.push(fpr.clone());
            }
        }
    }
    Ok(roots)
}

/// Authentication over the keyring, rooted in the user's own keys.
pub fn trust(ctx: &Context) -> Result<Trust<'_>> {
    Trust::new(ctx.keyring()?, roots(ctx)?, &ctx.policy, ctx.time)
}

/// Whether failing authentication is an error: `--require-auth`, or
/// `require-authentication = true` in the config file.
pub fn required(ctx: &Context, flag: bool) -> bool {
    flag || ctx
        .config()
        .ok()
        .is_some_and(|c| c.flag("require-authentication"))
}

/// The fix for a key that is not authenticated.
pub fn fix(fpr: &Fingerprint) -> String {
    format!(
        "compare the fingerprint {} with the one its owner gives you (in person, or over a \
         channel you trust), then: zpgp certify {fpr:X}",
        super::certify::grouped(fpr)
    )
}

/// The report's JSON for an authentication.
pub fn json(a: &Authentication) -> serde_json::Value {
    serde_json::json!({ "level": a.level, "amount": a.amount, "paths": a.paths })
}

/// Judges the signers of good signatures: each report gets its
/// authentication (and, when one of its user IDs is authenticated, that
/// user ID).  Nothing when the command was not to read the keyring
/// (certificates or keys from files only).
pub fn judge_signatures(ctx: &Context, sigs: &mut [SignatureReport], keyring_used: bool) {
    if !keyring_used || sigs.iter().all(|s| !s.is_good()) {
        return;
    }
    let Ok(trust) = trust(ctx) else { return };
    for s in sigs.iter_mut().filter(|s| s.is_good()) {
        let Some(fpr) = s
            .cert_fingerprint
            .as_deref()
            .and_then(|f| f.parse::<Fingerprint>().ok())
        else {
            continue;
        };
        let cert = ctx.keyring().ok().and_then(|k| k.get(&fpr).ok().flatten());
        let Some(cert) = cert else { continue };
        let Some((uid, a)) = trust.best(&cert, &ctx.policy, ctx.time) else {
            s.authentication = Some(json(&Authentication {
                level: Level::None,
                amount: 0,
                paths: Vec::new(),
            }));
            continue;
        };
        if a.level != Level::None {
            s.user_id = Some(String::from_utf8_lossy(uid.value()).into_owned());
        }
        s.authentication = Some(json(&a));
    }
}

/// The level a judged signature report carries.
pub fn level_of(s: &SignatureReport) -> Option<Level> {
    let level = s.authentication.as_ref()?.get("level")?.as_str()?;
    Some(match level {
        "own" => Level::Own,
        "full" => Level::Full,
        "partial" => Level::Partial,
        _ => Level::None,
    })
}

/// The words after a good signature's line: nothing for an authenticated
/// signer, else what is missing and the fix.
pub fn signature_note(s: &SignatureReport) -> Option<String> {
    if s.status != SignatureStatus::Good {
        return None;
    }
    let level = level_of(s)?;
    if level.is_authenticated() {
        return None;
    }
    let fpr = s.cert_fingerprint.as_deref()?.parse::<Fingerprint>().ok()?;
    Some(format!(
        "the signer's key is {}: anyone can make a key with any name; {}",
        level.word(),
        fix(&fpr)
    ))
}

/// With `--require-auth`: an error unless some good signature's signer is
/// authenticated (exit 3).
pub fn require_signatures(sigs: &[SignatureReport]) -> Result<()> {
    if sigs
        .iter()
        .any(|s| s.is_good() && level_of(s).is_some_and(Level::is_authenticated))
    {
        return Ok(());
    }
    let Some(s) = sigs.iter().find(|s| s.is_good()) else {
        return Ok(());
    };
    let who = s
        .user_id
        .as_deref()
        .map(|u| Safe(u).to_string())
        .unwrap_or_default();
    let fpr = s
        .cert_fingerprint
        .as_deref()
        .and_then(|f| f.parse::<Fingerprint>().ok());
    let mut e = Error::new(
        Failure::NoSignature,
        format!(
            "the signature is good, but the signer's key {} {who} is not authenticated, and \
             --require-auth asks for an authenticated signer",
            s.cert_fingerprint.as_deref().unwrap_or("?")
        ),
    );
    if let Some(fpr) = fpr {
        e = e.hint(fix(&fpr));
    }
    Err(e.into())
}

/// The recipient `query` names, judged: among several certificates for
/// one address or name, the one authenticated for it; none or several
/// authenticated is the ambiguous-query error (73), listing them.  A
/// recipient that is not authenticated gets a note on stderr, or with
/// `require` an error (17).
pub fn recipient(ctx: &Context, trust: &Trust, query: &str, require: bool) -> Result<Cert> {
    let keyring = ctx.keyring()?;
    let parsed =
        crate::query::Query::parse(query).map_err(|e| Error::new(Failure::KeyNotFound, e))?;
    let found = keyring.lookup(&parsed)?;
    let judge = |cert: &Cert| -> Option<Authentication> {
        let vc = cert.with_policy(&ctx.policy, ctx.time).ok()?;
        vc.userids()
            .filter(|u| parsed.key_handle().is_some() || parsed.matches_userid(u.userid()))
            .map(|u| trust.authenticate(cert, u.userid()))
            .max_by_key(|a| (a.level == Level::Own, a.amount))
    };
    // Several keys for one address: the one authenticated for it.  A name
    // or other text is looser, and stays the plain ambiguous query.
    let by_address = matches!(parsed, crate::query::Query::Email(_));
    let cert = if found.len() > 1 && by_address {
        let certs: Vec<Cert> = found
            .iter()
            .filter_map(|f| keyring.get(f).ok().flatten())
            .collect();
        let judged: Vec<(Cert, Option<Authentication>)> =
            certs.into_iter().map(|c| (c.clone(), judge(&c))).collect();
        let good: Vec<&Cert> = judged
            .iter()
            .filter(|(_, a)| a.as_ref().is_some_and(|a| a.level.is_authenticated()))
            .map(|(c, _)| c)
            .collect();
        if let [one] = good.as_slice() {
            (*one).clone()
        } else {
            let mut msg = format!(
                "{parsed} matches {} keys, and {} of them is authenticated for it:",
                judged.len(),
                if good.is_empty() {
                    "none"
                } else {
                    "more than one"
                }
            );
            for (c, a) in &judged {
                let uid = crate::ops::keys::primary_user_id(c, &ctx.policy, Some(ctx.time))
                    .unwrap_or_default();
                let level = a.as_ref().map_or(Level::None, |a| a.level);
                msg.push_str(&format!(
                    "\n  {:X} {} {}",
                    c.fingerprint(),
                    level.column(),
                    Safe(&uid)
                ));
            }
            return Err(Error::new(Failure::AmbiguousInput, msg)
                .hint(
                    "a different key claiming the same address may be a substitution: ask the \
                     person which fingerprint is theirs (and delete the other key), then: zpgp \
                     certify FINGERPRINT",
                )
                .into());
        }
    } else {
        keyring.find(query)?
    };
    let level = judge(&cert).map_or(Level::None, |a| a.level);
    if !level.is_authenticated() {
        let what = format!(
            "the key {:X} for {parsed} is {}",
            cert.fingerprint(),
            level.word()
        );
        if require {
            return Err(Error::new(
                Failure::CertCannotEncrypt,
                format!("{what}, and --require-auth asks for authenticated recipients"),
            )
            .hint(fix(&cert.fingerprint()))
            .into());
        }
        // A --json report on stderr stays pure JSON.
        if !ctx.json {
            ctx.info(format!("zpgp: note: {what}; {}", fix(&cert.fingerprint())));
        }
    }
    Ok(cert)
}
