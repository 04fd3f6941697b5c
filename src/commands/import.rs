use std::io::Read;
use std::path::PathBuf;

use anyhow::Result;
use openpgp::Packet;
use openpgp::cert::prelude::*;
use openpgp::parse::{PacketParser, PacketParserResult, Parse};
use openpgp::types::{RevocationStatus, SignatureType};
use sequoia_openpgp as openpgp;
use serde::Serialize;

use crate::cli::ImportArgs;
use crate::context::Context;
use crate::display::Safe;
use crate::error::{Error, Failure};
use crate::keyring::ImportStatus;

/// One line of the import report (`--json`: an array of these under
/// "certificates").
#[derive(Serialize)]
pub(crate) struct Row {
    pub fingerprint: Option<String>,
    pub userid: Option<String>,
    /// "new", "updated", "unchanged" or "rejected".
    pub status: String,
    pub secret: Option<ImportStatus>,
    /// Whether the certificate is usable under the policy; one that is not
    /// is stored all the same (a later update may make it usable).
    pub valid: bool,
    /// Why it was rejected, or why it is stored but not valid.
    pub reason: Option<String>,
    pub source: String,
}

impl Row {
    /// A certificate (or a piece of data) that was not imported, and why.
    pub(crate) fn rejected(
        fingerprint: Option<String>,
        reason: String,
        source: impl Into<String>,
    ) -> Row {
        Row {
            fingerprint,
            userid: None,
            status: "rejected".into(),
            secret: None,
            valid: false,
            reason: Some(reason),
            source: source.into(),
        }
    }
}

pub fn run(ctx: &Context, args: ImportArgs) -> Result<()> {
    let gnupg = if args.from_gnupg {
        Some(super::gnupg::export(ctx, args.secret)?)
    } else {
        None
    };
    let raw: Vec<(Vec<u8>, String)> = match &gnupg {
        Some(g) => {
            let data = g.keyring()?;
            // An empty GnuPG keyring is not an error: there is just
            // nothing to move.
            if data.is_empty() {
                ctx.info("zpgp: GnuPG's keyring holds no keys; nothing to import");
                return Ok(());
            }
            vec![(data, "GnuPG's keyring".to_string())]
        }
        None => {
            let sources: Vec<Option<PathBuf>> = if args.files.is_empty() {
                vec![None]
            } else {
                args.files
                    .iter()
                    .map(|p| (p.as_os_str() != "-").then(|| p.clone()))
                    .collect()
            };
            let mut v = Vec::new();
            for source in &sources {
                let name = source
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "standard input".into());
                v.push((read_source(source.as_ref())?, name));
            }
            v
        }
    };

    // Every file is read and checked whole before anything is written, so
    // a bad file changes nothing.  Certificates are then parsed a second
    // time while importing, one at a time, so memory stays bounded by the
    // files' bytes rather than by their parsed certificates.
    let mut inputs = Vec::new();
    let mut revocations = Vec::new();
    for (data, name) in raw {
        // Junk in binding signatures' unhashed areas is dropped, not the
        // bindings (see `ops::lenient`).
        let data = match crate::ops::lenient::repair(&data) {
            Some((fixed, n)) => {
                ctx.debug(format!(
                    "{name}: dropped {n} malformed subpacket(s) from the unprotected (unhashed) \
                     area of signatures"
                ));
                fixed
            }
            None => data,
        };
        match check(&data, &name)? {
            Checked::Certs => inputs.push((data, name)),
            Checked::Revocations(sigs) => {
                revocations.extend(sigs.into_iter().map(|s| (s, name.clone())))
            }
        }
    }
    if args.dry_run {
        return dry_run(ctx, &inputs, gnupg.as_ref());
    }

    let keyring = ctx.keyring()?;
    let mut rejected = Vec::new();
    let mut revoked = Vec::new();
    for (sig, name) in revocations {
        match apply_revocation(ctx, keyring, sig) {
            Ok(cert) => revoked.push((cert, name)),
            Err(e) => rejected.push(Row::rejected(
                None,
                format!("revocation certificate: {e}"),
                name,
            )),
        }
    }

    let mut unprotected = Vec::new();
    let certs = inputs
        .iter()
        .flat_map(|(data, name)| {
            CertParser::from_bytes(data)
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
                .map(move |c| (c, name.clone()))
        })
        .chain(revoked)
        .filter(
            |(cert, name)| match crate::ops::keyinfo::post_quantum_misuse(cert) {
                Some(why) => {
                    rejected.push(Row::rejected(
                        Some(cert.fingerprint().to_hex()),
                        why,
                        name.clone(),
                    ));
                    false
                }
                None => true,
            },
        )
        .map(|(cert, name)| {
            // What the policy refuses (SHA-1 self-signatures, a weak key)
            // is stored all the same, but not valid: only parse errors
            // reject a certificate.  The index then lists it by its
            // primary fingerprint alone, so no address finds it, and no
            // operation uses it.
            if cert
                .keys()
                .secret()
                .any(|k| k.key().has_unencrypted_secret())
            {
                unprotected.push(cert.fingerprint());
            }
            (cert, name)
        });
    let imported = import_named(ctx, certs)?;
    for fpr in unprotected {
        ctx.warn(format_args!(
            "the secret key {fpr:X} has no passphrase; protect it with: zpgp passwd {fpr:X}"
        ));
    }
    let mut rows = rejected;
    rows.extend(imported);
    conclude(ctx, &rows, false, None)?;
    if let Some(g) = &gnupg {
        report_ownertrust(ctx, g, false)?;
    }
    all_rejected(&rows)
}

/// Imports certificates, each named by where it came from, and returns
/// the report's rows.
pub(crate) fn import_named(
    ctx: &Context,
    certs: impl IntoIterator<Item = (Cert, String)>,
) -> Result<Vec<Row>> {
    let keyring = ctx.keyring()?;
    let mut names = Vec::new();
    let certs = certs.into_iter().map(|(cert, name)| {
        names.push(name);
        cert
    });
    let mut imported = Vec::new();
    keyring.import_each(certs, |o| {
        // Judged as merged: an update may bring the valid self-signature
        // that a certificate on file lacked.
        let reason = o
            .cert
            .with_policy(&ctx.policy, ctx.time)
            .err()
            .map(|e| crate::ops::keyinfo::rejection_reason(&o.cert, &ctx.policy, ctx.time, &e));
        imported.push(Row {
            fingerprint: Some(format!("{:X}", o.fingerprint)),
            userid: crate::ops::keys::primary_user_id(&o.cert, &ctx.policy, Some(ctx.time)),
            status: o.public.to_string(),
            secret: o.secret,
            valid: reason.is_none(),
            reason,
            source: String::new(),
        })
    })?;
    for (row, name) in imported.iter_mut().zip(names) {
        row.source = name;
    }
    Ok(imported)
}

/// The report of an import, and the key-change alerts.  `note` is said
/// after the summary (fetch: that nothing fetched is authenticated).
pub(crate) fn conclude(
    ctx: &Context,
    rows: &[Row],
    with_source: bool,
    note: Option<&str>,
) -> Result<()> {
    let changes = key_changes(ctx, rows)?;
    report(ctx, rows, &changes, with_source)?;
    if let Some(note) = note {
        ctx.info(note);
    }
    for c in &changes {
        ctx.warn(format_args!(
            "a different key now claims {}: {} (just imported) and {} (on file). Until you \
             authenticate one of them (compare its fingerprint with the person, then zpgp \
             certify FPR) or delete the other, encrypting to {} is refused as ambiguous",
            Safe(&c.email),
            c.new,
            c.on_file.join(", "),
            Safe(&c.email)
        ));
    }
    Ok(())
}

/// An import where every certificate was rejected fails.
pub(crate) fn all_rejected(rows: &[Row]) -> Result<()> {
    if !rows.is_empty() && rows.iter().all(|r| r.status == "rejected") {
        return Err(Error::new(
            Failure::BadData,
            "nothing was imported: every certificate was rejected",
        )
        .into());
    }
    Ok(())
}

/// A new certificate claiming an address that another certificate on
/// file already has: perhaps a key substitution.
#[derive(Serialize)]
struct KeyChange {
    email: String,
    new: String,
    on_file: Vec<String>,
}

/// Imports of more new certificates than this (keyserver dumps, a
/// distribution's keyring) are not checked for key changes: each check is
/// a search of the index.
const KEY_CHANGE_CHECK_MAX: usize = 100;

fn key_changes(ctx: &Context, rows: &[Row]) -> Result<Vec<KeyChange>> {
    let new: Vec<&Row> = rows
        .iter()
        .filter(|r| r.status == "new" && r.valid)
        .collect();
    if new.is_empty() || new.len() > KEY_CHANGE_CHECK_MAX {
        return Ok(Vec::new());
    }
    let keyring = ctx.keyring()?;
    let mut changes = Vec::new();
    for row in new {
        let Some(fpr) = row
            .fingerprint
            .as_deref()
            .and_then(|f| f.parse::<openpgp::Fingerprint>().ok())
        else {
            continue;
        };
        let Some(cert) = keyring.get(&fpr)? else {
            continue;
        };
        let Ok(vc) = cert.with_policy(&ctx.policy, ctx.time) else {
            continue;
        };
        let mut emails: Vec<String> = vc
            .userids()
            .filter_map(|u| u.userid().email_normalized().ok().flatten())
            .collect();
        emails.sort();
        emails.dedup();
        for email in emails {
            let others: Vec<String> = keyring
                .lookup(&crate::query::Query::Email(email.clone()))?
                .into_iter()
                .filter(|f| *f != fpr)
                .map(|f| format!("{f:X}"))
                .collect();
            if !others.is_empty() {
                changes.push(KeyChange {
                    email,
                    new: format!("{fpr:X}"),
                    on_file: others,
                });
            }
        }
    }
    Ok(changes)
}

fn report(ctx: &Context, rows: &[Row], changes: &[KeyChange], with_source: bool) -> Result<()> {
    let count = |s: &str| rows.iter().filter(|r| r.status == s).count();
    let secrets = rows.iter().filter(|r| r.secret.is_some()).count();
    let invalid = rows
        .iter()
        .filter(|r| r.status != "rejected" && !r.valid)
        .count();
    if ctx.json {
        let doc = serde_json::json!({
            "certificates": rows,
            "new": count("new"),
            "updated": count("updated"),
            "unchanged": count("unchanged"),
            "rejected": count("rejected"),
            "stored_invalid": invalid,
            "secret_keys": secrets,
            "key_changes": changes,
        });
        ctx.report(crate::printer::ReportTo::Stdout, &doc)?;
    }
    for r in rows {
        let who = match (&r.fingerprint, &r.userid) {
            (Some(f), Some(u)) => format!("{f} {}", Safe(u)),
            (Some(f), None) => f.clone(),
            (None, _) => format!("in {}", r.source),
        };
        let mut secret = match r.secret {
            Some(s) => format!(" (secret key: {s})"),
            None => String::new(),
        };
        if with_source && r.fingerprint.is_some() {
            secret.push_str(&format!(" from {}", Safe(&r.source)));
        }
        match (&r.reason, r.status.as_str()) {
            (Some(why), "rejected") => ctx.say(format_args!("rejected  {who}: {}", Safe(why))),
            (Some(why), status) => ctx.say(format_args!(
                "{status:<9} {who}{secret}: stored, not valid: {}",
                Safe(why)
            )),
            (None, status) => ctx.info(format!("zpgp: {status:<9} {who}{secret}")),
        }
    }
    ctx.info(format!(
        "zpgp: {} certificate{} processed: {} new, {} updated, {} unchanged, {} rejected{}",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        count("new"),
        count("updated"),
        count("unchanged"),
        count("rejected"),
        if secrets > 0 {
            format!(
                "; {secrets} secret key{}",
                if secrets == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        }
    ));
    if invalid > 0 {
        ctx.info(format_args!(
            "zpgp: {invalid} of them stored but not valid under the policy: not used until an update makes them valid"
        ));
    }
    Ok(())
}

/// What an import would do, without doing it: each certificate as new,
/// updated or unchanged against what is on file.  A home that does not
/// exist is not created.
fn dry_run(
    ctx: &Context,
    inputs: &[(Vec<u8>, String)],
    gnupg: Option<&super::gnupg::Export>,
) -> Result<()> {
    let keyring = if ctx.home.exists() {
        Some(ctx.keyring()?)
    } else {
        None
    };
    let mut certs = Vec::new();
    for (data, name) in inputs {
        for cert in CertParser::from_bytes(data)?.flatten() {
            certs.push((cert, name.clone()));
        }
    }
    dry_run_certs(ctx, keyring, certs, false)?;
    if let Some(g) = gnupg {
        report_ownertrust(ctx, g, true)?;
    }
    Ok(())
}

/// Says what importing `certs` would do; `with_source` names where each
/// came from.
pub(crate) fn dry_run_certs(
    ctx: &Context,
    keyring: Option<&crate::keyring::Keyring>,
    certs: Vec<(Cert, String)>,
    with_source: bool,
) -> Result<()> {
    let (mut new, mut updated, mut unchanged, mut secrets) = (0, 0, 0, 0);
    {
        for (cert, source) in certs {
            let on_file = match keyring {
                Some(k) => k.get(&cert.fingerprint())?,
                None => None,
            };
            let status = match on_file {
                None => "new",
                Some(old) => {
                    if old
                        .clone()
                        .merge_public(cert.clone().strip_secret_key_material())?
                        == old
                    {
                        "unchanged"
                    } else {
                        "updated"
                    }
                }
            };
            match status {
                "new" => new += 1,
                "updated" => updated += 1,
                _ => unchanged += 1,
            }
            let secret = if cert.is_tsk() {
                secrets += 1;
                " (secret key)"
            } else {
                ""
            };
            let uid = crate::ops::keys::primary_user_id(&cert, &ctx.policy, Some(ctx.time))
                .unwrap_or_default();
            let from = if with_source {
                format!(" (from {})", Safe(&source))
            } else {
                String::new()
            };
            ctx.say(format_args!(
                "would import {status:<9} {:X} {}{secret}{from}",
                cert.fingerprint(),
                Safe(&uid)
            ));
        }
    }
    ctx.info(format_args!(
        "zpgp: dry run: {new} new, {updated} updated, {unchanged} unchanged, {secrets} secret keys; nothing was changed"
    ));
    Ok(())
}

/// What GnuPG's ownertrust becomes in zpgp: an ultimately trusted key
/// whose secret key is here is simply your own key; full and marginal
/// trust have no counterpart yet (zpgp has no trusted introducers).
fn report_ownertrust(ctx: &Context, g: &super::gnupg::Export, dry_run: bool) -> Result<()> {
    use super::gnupg::Ownertrust;
    let count = |t: Ownertrust| g.ownertrust.iter().filter(|(_, o)| *o == t).count();
    let ultimate: Vec<&openpgp::Fingerprint> = g
        .ownertrust
        .iter()
        .filter(|(_, o)| *o == Ownertrust::Ultimate)
        .map(|(f, _)| f)
        .collect();
    // Your own keys are those whose secret key zpgp holds (or, in a dry
    // run, would hold).
    let exported_secret: Vec<openpgp::Fingerprint> = match &g.secret {
        Some(data) if !data.is_empty() => CertParser::from_bytes(data)?
            .flatten()
            .map(|c| c.fingerprint())
            .collect(),
        _ => Vec::new(),
    };
    let keyring = if ctx.home.exists() {
        Some(ctx.keyring()?)
    } else {
        None
    };
    let held = ultimate
        .iter()
        .filter(|f| exported_secret.contains(f) || keyring.is_some_and(|k| k.has_secret(f)))
        .count();
    if !ultimate.is_empty() {
        ctx.info(format_args!(
            "zpgp: GnuPG's ultimate trust: {} key{}; {held} of them {} your own keys (their secret keys are here){}",
            ultimate.len(),
            if ultimate.len() == 1 { "" } else { "s" },
            if dry_run { "would be" } else { "are now" },
            if held < ultimate.len() && g.secret.is_none() {
                "; add --secret to bring the secret keys"
            } else {
                ""
            }
        ));
    }
    let (full, marginal) = (count(Ownertrust::Full), count(Ownertrust::Marginal));
    if full + marginal > 0 {
        ctx.info(format_args!(
            "zpgp: GnuPG's full ({full}) and marginal ({marginal}) ownertrust are not carried over: zpgp has no trusted introducers yet"
        ));
    }
    Ok(())
}

fn read_source(source: Option<&PathBuf>) -> Result<Vec<u8>> {
    let mut data = Vec::new();
    super::common::open_input(source.map(PathBuf::as_path))?
        .read_to_end(&mut data)
        .map_err(|e| match source {
            Some(p) => crate::error::unreadable(p, e),
            None => anyhow::Error::from(e).context("cannot read standard input"),
        })?;
    Ok(data)
}

pub(crate) enum Checked {
    Certs,
    Revocations(Vec<openpgp::packet::Signature>),
}

/// Checks that `data` is whole: certificates with no damage anywhere, or
/// else bare key revocation signatures (as `generate` writes them, or as
/// other tools export them).
pub(crate) fn check(data: &[u8], name: &str) -> Result<Checked> {
    let not_openpgp = || {
        Error::new(Failure::BadData, format!("{name} is not OpenPGP key data")).hint(format!(
            "expected a certificate or key, armored or binary{}",
            sniff(data)
        ))
    };
    if data.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::new(Failure::BadData, format!("{name} is empty")).into());
    }
    let outline = outline(data);
    if let Some(tag) = outline.message_packet {
        let what = sniff(data);
        let hint = if what.is_empty() {
            "messages are read with zpgp decrypt or zpgp verify".to_string()
        } else {
            format!("expected a certificate or key, armored or binary{what}")
        };
        return Err(Error::new(
            Failure::BadData,
            format!("{name} is not OpenPGP key data: it holds a message's packet ({tag})"),
        )
        .hint(hint)
        .into());
    }
    let parser = CertParser::from_bytes(data).map_err(|_| not_openpgp())?;
    let mut certs = 0usize;
    let mut first_error = None;
    for item in parser {
        match item {
            Ok(_) => certs += 1,
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match (&first_error, certs) {
        (None, n) if n > 0 => return Ok(Checked::Certs),
        (Some(e), n) if n > 0 => {
            // A truncated or corrupted file would otherwise import the
            // pieces before the damage as if they were whole.
            return Err(Error::new(
                Failure::BadData,
                format!("{name} is damaged (truncated or corrupted): {e}"),
            )
            .hint("nothing was imported; get a fresh copy of the file")
            .into());
        }
        _ => {}
    }
    if !outline.revocations.is_empty() {
        return Ok(Checked::Revocations(outline.revocations));
    }
    match first_error {
        Some(e) if data.starts_with(b"-----BEGIN PGP") => {
            Err(anyhow::Error::from(not_openpgp()).context(format!("{e}")))
        }
        _ => Err(not_openpgp().into()),
    }
}

/// The top level of a key file, read packet by packet without opening
/// any: its key revocation signatures, and the first packet that only a
/// message holds, if any.
#[derive(Default)]
struct Outline {
    revocations: Vec<openpgp::packet::Signature>,
    message_packet: Option<openpgp::packet::Tag>,
}

/// Outlines `data`.  The walk stops at the first message packet, before
/// its body is read: sequoia decompresses a compressed packet's body even
/// to skip it, so a small file that expands to gigabytes must never reach
/// a parser that reads on (1.3 KB of bzip2 held 1 GiB: 19 s and 2.6 GB
/// when it was parsed whole).
fn outline(data: &[u8]) -> Outline {
    use openpgp::packet::Tag;
    let mut outline = Outline::default();
    let Ok(mut ppr) = PacketParser::from_bytes(data) else {
        return outline;
    };
    while let PacketParserResult::Some(pp) = ppr {
        match &pp.packet {
            Packet::Signature(s) if s.typ() == SignatureType::KeyRevocation => {
                outline.revocations.push(s.clone())
            }
            p if matches!(
                p.tag(),
                Tag::CompressedData
                    | Tag::Literal
                    | Tag::SEIP
                    | Tag::SED
                    | Tag::AED
                    | Tag::PKESK
                    | Tag::SKESK
                    | Tag::OnePassSig
            ) =>
            {
                outline.message_packet = Some(p.tag());
                return outline;
            }
            _ => {}
        }
        match pp.next() {
            Ok((_, next)) => ppr = next,
            Err(_) => break,
        }
    }
    outline
}

/// Says what the data is when it is not key data: OpenPGP of another
/// kind, or what the shared table says it looks like.
fn sniff(data: &[u8]) -> String {
    let start = data
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(data.len());
    let data = &data[start..];
    if data.starts_with(b"-----BEGIN PGP MESSAGE") {
        "; this is an encrypted or signed message: use zpgp decrypt or zpgp verify".into()
    } else if data.starts_with(b"-----BEGIN PGP SIGNATURE")
        || data.starts_with(b"-----BEGIN PGP SIGNED")
    {
        "; this is a signature: use zpgp verify".into()
    } else {
        crate::ops::sniff::looks_like(data)
            .map(|what| format!("; this looks like {what}"))
            .unwrap_or_default()
    }
}

fn apply_revocation(
    ctx: &Context,
    keyring: &crate::keyring::Keyring,
    sig: openpgp::packet::Signature,
) -> Result<Cert> {
    let issuers = sig.get_issuers();
    for issuer in &issuers {
        let fprs = keyring.lookup(&match issuer {
            openpgp::KeyHandle::Fingerprint(f) => crate::query::Query::Fingerprint(f.clone()),
            openpgp::KeyHandle::KeyID(k) => crate::query::Query::KeyId(k.clone()),
        })?;
        for fpr in fprs {
            let Some(cert) = keyring.get(&fpr)? else {
                continue;
            };
            let revoked = cert.clone().insert_packets(Some(sig.clone()))?.0;
            if let RevocationStatus::Revoked(_) = revoked.revocation_status(&ctx.policy, ctx.time) {
                return Ok(revoked);
            }
        }
    }
    Err(Error::new(
        Failure::KeyNotFound,
        "it revokes no key in the keyring (or its signature does not verify)",
    )
    .into())
}
