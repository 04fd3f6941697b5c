//! `zpgp doctor`: checks the home, the index, your keys and the config
//! file, and prints each problem with the command that fixes it.  What it
//! can put right without asking (a stale index) it does, and says so.

use anyhow::Result;
use sequoia_openpgp as openpgp;
use serde::Serialize;

use openpgp::Cert;
use openpgp::types::{HashAlgorithm, PublicKeyAlgorithm, RevocationStatus};

use crate::cli::DoctorArgs;
use crate::context::Context;
use crate::display::Safe;
use crate::error::{Failure, Reported};
use crate::keyring::{IndexState, shell_quote};
use crate::ops::keyinfo::Part;
use crate::printer::ReportTo;

/// Keys that expire within this many days are a problem.
const SOON_DAYS: u32 = 30;

/// One finding of `zpgp doctor --json` (documented in the README).
#[derive(Debug, Serialize)]
struct Finding {
    /// "home", "index", "key" or "config".
    area: &'static str,
    /// The key concerned, for the "key" area.
    key: Option<String>,
    problem: String,
    /// The command that fixes it, when there is one.
    fix: Option<String>,
}

#[derive(Debug, Serialize)]
struct Fixed {
    area: &'static str,
    what: String,
}

#[derive(Default, Serialize)]
struct Report {
    problems: Vec<Finding>,
    fixed: Vec<Fixed>,
}

impl Report {
    fn problem(
        &mut self,
        area: &'static str,
        key: Option<String>,
        problem: String,
        fix: Option<String>,
    ) {
        // A fix that names a zpgp command must name one the parser
        // accepts, as hints must.
        #[cfg(debug_assertions)]
        if let Some(f) = &fix {
            crate::cli::check::assert_hint_parses(f);
        }
        self.problems.push(Finding {
            area,
            key,
            problem,
            fix,
        });
    }
}

pub fn run(ctx: &Context, _args: DoctorArgs) -> Result<()> {
    if !ctx.home.exists() {
        ctx.info(format!(
            "zpgp: there is no keyring at {} yet: nothing to check",
            ctx.home.display()
        ));
        return Ok(());
    }
    let mut report = Report::default();
    let mut checked = Vec::new();

    for p in crate::keyring::home_problems(&ctx.home) {
        report.problem("home", None, p.problem, Some(p.fix));
    }
    checked.push("the home".to_string());
    match ctx.keyring() {
        Ok(_) => {
            check_index(ctx, &mut report)?;
            checked.push(check_keys(ctx, &mut report)?);
        }
        Err(e) => {
            // The keyring refuses an unsafe home; what it refused is among
            // the findings above, unless it is something else.
            if report.problems.is_empty() {
                let (text, hint) = crate::error::text_and_hint(&e);
                report.problem("home", None, text, hint);
            }
            report.problem(
                "home",
                None,
                "your keys were not checked: the keyring cannot be opened until the home is fixed"
                    .into(),
                None,
            );
        }
    }
    check_config(ctx, &mut report);
    checked.push("the config file".into());

    if ctx.json {
        ctx.report(ReportTo::Stdout, &report)?;
    } else {
        for f in &report.fixed {
            println!("fixed: {}", f.what);
        }
        for p in &report.problems {
            println!("problem: {}", p.problem);
            if let Some(fix) = &p.fix {
                println!("    fix: {fix}");
            }
        }
    }
    let n = report.problems.len();
    if n == 0 {
        ctx.info(format!("zpgp: all is well: checked {}", checked.join(", ")));
        return Ok(());
    }
    ctx.info(format!(
        "zpgp: {n} problem{} found",
        if n == 1 { "" } else { "s" }
    ));
    Err(Reported(Some(Failure::ProblemsFound)).into())
}

fn check_index(ctx: &Context, report: &mut Report) -> Result<()> {
    let keyring = ctx.keyring()?;
    let why = match keyring.check_index()? {
        IndexState::Current => return Ok(()),
        IndexState::Missing => "was missing",
        IndexState::Unreadable => "was damaged or of an older version",
        IndexState::Stale => "was older than the certificates",
        IndexState::Inconsistent => "did not agree with the certificates",
    };
    let n = keyring.rebuild_index()?;
    report.fixed.push(Fixed {
        area: "index",
        what: format!(
            "the keyring index {why}; rebuilt it from {n} certificate{}",
            if n == 1 { "" } else { "s" }
        ),
    });
    Ok(())
}

/// Checks every key whose secret you hold; returns what was checked.
fn check_keys(ctx: &Context, report: &mut Report) -> Result<String> {
    let keyring = ctx.keyring()?;
    let (own_fprs, own) = super::common::keys_to_check(ctx, false)?;
    for fpr in &own_fprs {
        if !own.iter().any(|c| c.fingerprint() == *fpr) {
            let path = keyring.home().join("secret").join(format!("{fpr:X}"));
            report.problem(
                "key",
                Some(format!("{fpr:X}")),
                format!("the secret key {fpr:X} has no certificate on file"),
                Some(format!("zpgp import {}", shell_quote(&path))),
            );
        }
    }
    for e in super::watch::expiring(ctx, &own, &own_fprs, SOON_DAYS) {
        let what = match e.part {
            Part::Key => "expires",
            Part::Encryption => "can encrypt until",
            Part::Signing => "can sign until",
        };
        let what = match (e.expired, e.part) {
            (true, Part::Key) => "expired on",
            (true, Part::Encryption) => "could encrypt until",
            (true, Part::Signing) => "could sign until",
            (false, _) => what,
        };
        report.problem(
            "key",
            Some(e.fingerprint.clone()),
            format!(
                "your key {} ({}) {what} {}",
                e.fingerprint,
                e.userid
                    .as_deref()
                    .map(Safe)
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                &e.expires[..10]
            ),
            Some(format!("zpgp expire {} 2y", e.fingerprint)),
        );
    }
    for cert in &own {
        check_key(ctx, cert, report);
    }
    Ok(format!(
        "the index, {} key{} of yours",
        own.len(),
        if own.len() == 1 { "" } else { "s" }
    ))
}

/// A key's lasting problems: no way to revoke it when it is lost, weak
/// algorithms, no way to encrypt to it.
fn check_key(ctx: &Context, cert: &Cert, report: &mut Report) {
    let fpr = format!("{:X}", cert.fingerprint());
    let vc = cert.with_policy(&ctx.policy, ctx.time);
    if let Ok(vc) = &vc {
        if let RevocationStatus::Revoked(_) = vc.revocation_status() {
            // A revoked key needs nothing more.
            return;
        }
    }
    check_revocation_certificate(ctx, &fpr, report);
    // Judged on the certificate as it is, not through the policy: the
    // policy hides a weak subkey from zpgp, but other tools may still
    // encrypt to it.
    check_weak_algorithms(ctx, cert, &fpr, report);
    let vc = match vc {
        Ok(vc) => vc,
        Err(e) => {
            report.problem(
                "key",
                Some(fpr.clone()),
                format!(
                    "your key {fpr} is rejected by the policy: {}",
                    crate::ops::keyinfo::rejection_reason(cert, &ctx.policy, ctx.time, &e)
                ),
                Some(format!(
                    "make a new key (zpgp generate --name NAME --email EMAIL), then retire \
                     this one: zpgp revoke {fpr} --reason superseded"
                )),
            );
            return;
        }
    };
    let can_encrypt = vc.keys().alive().revoked(false).any(|k| {
        k.key_flags()
            .is_some_and(|f| f.for_transport_encryption() || f.for_storage_encryption())
    });
    // An expired key is reported as such; this is about keys that never
    // could, or no longer can, receive messages while valid.
    if !can_encrypt && vc.alive().is_ok() {
        report.problem(
            "key",
            Some(fpr.clone()),
            format!("your key {fpr} has no valid encryption subkey: nobody can encrypt to it"),
            Some(format!("zpgp subkey add {fpr} --for encrypt")),
        );
    }
}

fn check_revocation_certificate(ctx: &Context, fpr: &str, report: &mut Report) {
    let rev = ctx.home.join("revocations").join(format!("{fpr}.rev"));
    if rev.exists() {
        return;
    }
    let key_file = ctx.home.join(format!("{fpr}.key"));
    report.problem(
        "key",
        Some(fpr.to_string()),
        format!(
            "no revocation certificate for your key {fpr} at {}: if the secret key is \
             lost, you cannot revoke it",
            rev.display()
        ),
        Some(format!(
            "zpgp export --secret -o {k} {fpr} && zpgp sop revoke-key \
             --with-key-password PASSFILE < {k} > {r}; rm {k}",
            k = shell_quote(&key_file),
            r = shell_quote(&rev),
        )),
    );
}

fn check_weak_algorithms(ctx: &Context, cert: &Cert, fpr: &str, report: &mut Report) {
    #[allow(deprecated)]
    let weak_algo = |algo: PublicKeyAlgorithm, bits: Option<usize>| {
        use PublicKeyAlgorithm::*;
        matches!(
            algo,
            RSAEncryptSign | RSAEncrypt | RSASign | DSA | ElGamalEncrypt | ElGamalEncryptSign
        ) && bits.is_some_and(|b| b < 2048)
    };
    let weak_hash = |h: HashAlgorithm| matches!(h, HashAlgorithm::SHA1 | HashAlgorithm::MD5);

    let primary = cert.primary_key();
    let name = |k: &openpgp::packet::Key<_, _>| crate::ops::keyinfo::algorithm_name(k);
    if weak_algo(primary.key().pk_algo(), primary.key().mpis().bits()) {
        report.problem(
            "key",
            Some(fpr.to_string()),
            format!(
                "the primary key of your key {fpr} is {}, under 2048 bits",
                name(primary.key().role_as_unspecified())
            ),
            Some(format!(
                "make a new key (zpgp generate --name NAME --email EMAIL), then retire \
                 this one: zpgp revoke {fpr} --reason superseded"
            )),
        );
    }
    // The newest self-signature of each part is the one that counts.
    let mut weak_sigs: Vec<String> = Vec::new();
    if let Some(sig) = primary
        .self_signatures()
        .next()
        .filter(|s| weak_hash(s.hash_algo()))
    {
        weak_sigs.push(format!("its primary key's ({})", sig.hash_algo()));
    }
    for u in cert.userids() {
        if let Some(sig) = u
            .self_signatures()
            .next()
            .filter(|s| weak_hash(s.hash_algo()))
        {
            weak_sigs.push(format!(
                "user ID {}'s ({})",
                Safe(&String::from_utf8_lossy(u.userid().value())),
                sig.hash_algo()
            ));
        }
    }
    for ka in cert.keys().subkeys() {
        if ka.self_revocations().next().is_some() {
            continue;
        }
        let Some(binding) = ka.self_signatures().next() else {
            continue;
        };
        let key = ka.key();
        if weak_hash(binding.hash_algo()) {
            weak_sigs.push(format!(
                "subkey {:X}'s ({})",
                key.fingerprint(),
                binding.hash_algo()
            ));
        }
        if weak_algo(key.pk_algo(), key.mpis().bits()) {
            let flags = binding
                .key_flags()
                .unwrap_or_else(openpgp::types::KeyFlags::empty);
            report.problem(
                "key",
                Some(fpr.to_string()),
                format!(
                    "the subkey {:X} of your key {fpr} is {}, under 2048 bits",
                    key.fingerprint(),
                    name(key.role_as_unspecified())
                ),
                Some(if flags.for_signing() {
                    format!("zpgp subkey rotate {fpr} --for sign")
                } else {
                    format!("zpgp subkey rotate {fpr} --for encrypt")
                }),
            );
        }
    }
    if !weak_sigs.is_empty() {
        let k = shell_quote(&ctx.home.join(format!("{fpr}.key")));
        let n = shell_quote(&ctx.home.join(format!("{fpr}.new")));
        report.problem(
            "key",
            Some(fpr.to_string()),
            format!(
                "your key {fpr} is bound by weak self-signatures, which other tools reject: {}",
                weak_sigs.join(", ")
            ),
            Some(format!(
                "zpgp export --secret -o {k} {fpr} && zpgp sop update-key \
                 --with-key-password PASSFILE < {k} > {n} && zpgp import {n}; rm {k} {n}"
            )),
        );
    }
}

fn check_config(ctx: &Context, report: &mut Report) {
    let path = ctx.home.join(crate::config::FILE_NAME);
    if let Ok(meta) = std::fs::metadata(&path) {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        // Whoever may write it chooses which of your keys signs.
        if mode & 0o022 != 0 {
            report.problem(
                "config",
                None,
                format!(
                    "other users may write to the config file {} (mode {:04o})",
                    path.display(),
                    mode & 0o7777
                ),
                Some(format!("chmod 600 {}", shell_quote(&path))),
            );
        }
    }
    let failed = match ctx.config() {
        Err(e) => Some(e),
        Ok(_) if ctx.keyring().is_err() => None,
        Ok(_) => super::common::default_key(ctx).err(),
    };
    if let Some(e) = failed {
        let (text, hint) = crate::error::text_and_hint(&e);
        report.problem("config", None, text, hint);
    }
}
