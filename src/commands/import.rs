use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use openpgp::cert::prelude::*;
use openpgp::parse::Parse;
use openpgp::types::{RevocationStatus, SignatureType};
use openpgp::{Packet, PacketPile};
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
struct Row {
    fingerprint: Option<String>,
    userid: Option<String>,
    /// "new", "updated", "unchanged" or "rejected".
    status: String,
    secret: Option<ImportStatus>,
    reason: Option<String>,
    source: String,
}

pub fn run(ctx: &Context, args: ImportArgs) -> Result<()> {
    let sources: Vec<Option<PathBuf>> = if args.files.is_empty() {
        vec![None]
    } else {
        args.files
            .into_iter()
            .map(|p| (p.as_os_str() != "-").then_some(p))
            .collect()
    };

    // Everything is read and parsed before anything is written, so a bad
    // file changes nothing.
    let mut certs = Vec::new();
    let mut revocations = Vec::new();
    let mut rows = Vec::new();
    for source in &sources {
        let name = source
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "standard input".into());
        let data = read_source(source.as_ref())?;
        let parsed = parse(&data, &name)?;
        for cert in parsed.certs {
            match cert.with_policy(&ctx.policy, ctx.time) {
                Ok(_) => certs.push((cert, name.clone())),
                Err(e) => rows.push(Row {
                    fingerprint: Some(format!("{:X}", cert.fingerprint())),
                    userid: primary_userid(&cert),
                    status: "rejected".into(),
                    secret: None,
                    reason: Some(format!("no valid self-signature: {e}")),
                    source: name.clone(),
                }),
            }
        }
        revocations.extend(parsed.revocations.into_iter().map(|s| (s, name.clone())));
    }

    let keyring = ctx.keyring()?;
    for (sig, name) in revocations {
        match apply_revocation(ctx, keyring, sig) {
            Ok(cert) => certs.push((cert, name)),
            Err(e) => rows.push(Row {
                fingerprint: None,
                userid: None,
                status: "rejected".into(),
                secret: None,
                reason: Some(format!("revocation certificate: {e}")),
                source: name,
            }),
        }
    }

    let names: Vec<String> = certs.iter().map(|(_, n)| n.clone()).collect();
    let unprotected: Vec<bool> = certs
        .iter()
        .map(|(c, _)| c.keys().secret().any(|k| k.key().has_unencrypted_secret()))
        .collect();
    let outcomes = keyring.import(certs.into_iter().map(|(c, _)| c).collect())?;
    for ((o, name), unprotected) in outcomes.iter().zip(names).zip(unprotected) {
        if unprotected {
            eprintln!(
                "zpgp: warning: the secret key {:X} has no passphrase; protect it with: zpgp passwd {:X}",
                o.fingerprint, o.fingerprint
            );
        }
        rows.push(Row {
            fingerprint: Some(format!("{:X}", o.fingerprint)),
            userid: primary_userid(&o.cert),
            status: o.public.to_string(),
            secret: o.secret,
            reason: None,
            source: name,
        });
    }

    report(ctx, &rows)?;
    if !rows.is_empty() && rows.iter().all(|r| r.status == "rejected") {
        return Err(Error::new(
            Failure::BadData,
            "nothing was imported: every certificate was rejected",
        )
        .into());
    }
    Ok(())
}

fn report(ctx: &Context, rows: &[Row]) -> Result<()> {
    let count = |s: &str| rows.iter().filter(|r| r.status == s).count();
    let secrets = rows.iter().filter(|r| r.secret.is_some()).count();
    if ctx.json {
        let doc = serde_json::json!({
            "certificates": rows,
            "new": count("new"),
            "updated": count("updated"),
            "unchanged": count("unchanged"),
            "rejected": count("rejected"),
            "secret_keys": secrets,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    }
    for r in rows {
        let who = match (&r.fingerprint, &r.userid) {
            (Some(f), Some(u)) => format!("{f} {}", Safe(u)),
            (Some(f), None) => f.clone(),
            (None, _) => format!("in {}", r.source),
        };
        let secret = match r.secret {
            Some(s) => format!(" (secret key: {s})"),
            None => String::new(),
        };
        match &r.reason {
            Some(why) => eprintln!("zpgp: rejected  {who}: {}", Safe(why)),
            None => ctx.info(format!("zpgp: {:<9} {who}{secret}", r.status)),
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
    Ok(())
}

fn primary_userid(cert: &Cert) -> Option<String> {
    cert.userids()
        .next()
        .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
}

fn read_source(source: Option<&PathBuf>) -> Result<Vec<u8>> {
    let mut data = Vec::new();
    match source {
        None => {
            std::io::stdin()
                .lock()
                .read_to_end(&mut data)
                .context("cannot read standard input")?;
        }
        Some(path) => {
            if path.is_dir() {
                return Err(Error::new(
                    Failure::BadData,
                    format!("{} is a directory", path.display()),
                )
                .into());
            }
            data = std::fs::read(path).map_err(|e| {
                let failure = if e.kind() == std::io::ErrorKind::NotFound {
                    Failure::MissingInput
                } else {
                    Failure::BadData
                };
                Error::new(failure, format!("cannot read {}: {e}", path.display()))
            })?;
        }
    }
    Ok(data)
}

struct Parsed {
    certs: Vec<Cert>,
    revocations: Vec<openpgp::packet::Signature>,
}

/// Certificates, or else bare key revocation signatures (as `generate`
/// writes them, or as other tools export them).
fn parse(data: &[u8], name: &str) -> Result<Parsed> {
    let not_openpgp = || {
        Error::new(Failure::BadData, format!("{name} is not OpenPGP key data")).hint(format!(
            "expected a certificate or key, armored or binary{}",
            sniff(data)
        ))
    };
    if data.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::new(Failure::BadData, format!("{name} is empty")).into());
    }
    let items: Vec<Result<Cert>> = match CertParser::from_bytes(data) {
        Ok(p) => p.collect(),
        Err(_) => return Err(not_openpgp().into()),
    };
    let (certs, errors): (Vec<_>, Vec<_>) = items.into_iter().partition(|c| c.is_ok());
    let certs: Vec<Cert> = certs.into_iter().filter_map(Result::ok).collect();
    let first_error = errors.into_iter().find_map(Result::err);
    if let Some(e) = &first_error {
        if !certs.is_empty() {
            // A truncated or corrupted file would otherwise import the
            // pieces before the damage as if they were whole.
            return Err(Error::new(
                Failure::BadData,
                format!("{name} is damaged (truncated or corrupted): {e}"),
            )
            .hint("nothing was imported; get a fresh copy of the file")
            .into());
        }
    } else if !certs.is_empty() {
        return Ok(Parsed {
            certs,
            revocations: Vec::new(),
        });
    }
    if let Ok(pile) = PacketPile::from_bytes(data) {
        let sigs: Vec<_> = pile
            .into_children()
            .filter_map(|p| match p {
                Packet::Signature(s) if s.typ() == SignatureType::KeyRevocation => Some(s),
                _ => None,
            })
            .collect();
        if !sigs.is_empty() {
            return Ok(Parsed {
                certs: Vec::new(),
                revocations: sigs,
            });
        }
    }
    match first_error {
        Some(e) if data.starts_with(b"-----BEGIN PGP") => {
            Err(anyhow::Error::from(not_openpgp()).context(format!("{e}")))
        }
        _ => Err(not_openpgp().into()),
    }
}

/// Says what the data looks like when it is not OpenPGP.
fn sniff(data: &[u8]) -> &'static str {
    if data.starts_with(&[0x1f, 0x8b]) {
        "; this looks like a gzip file"
    } else if data.starts_with(b"PK\x03\x04") {
        "; this looks like a zip file"
    } else if data.starts_with(b"-----BEGIN PGP MESSAGE") {
        "; this is an encrypted or signed message: use zpgp decrypt or zpgp verify"
    } else if data.starts_with(b"-----BEGIN PGP SIGNATURE")
        || data.starts_with(b"-----BEGIN PGP SIGNED")
    {
        "; this is a signature: use zpgp verify"
    } else if data.starts_with(b"-----BEGIN") {
        "; this is PEM data, not OpenPGP"
    } else if data.starts_with(b"ssh-") {
        "; this is an SSH key, not OpenPGP"
    } else {
        ""
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
