//! `zpgp wkd export`: the Web Key Directory tree a domain serves.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::{Context as _, Result};
use openpgp::Cert;
use openpgp::cert::amalgamation::ValidAmalgamation as _;
use openpgp::serialize::Serialize as _;
use openpgp::types::RevocationStatus;
use sequoia_openpgp as openpgp;

use crate::cli::{WkdCommand, WkdExportArgs};
use crate::context::Context;
use crate::display::Safe;
use crate::error::{Error, Failure};
use crate::net::wkd;

pub fn run(ctx: &Context, command: WkdCommand) -> Result<()> {
    match command {
        WkdCommand::Export(args) => export(ctx, args),
    }
}

fn export(ctx: &Context, args: WkdExportArgs) -> Result<()> {
    let domain = args
        .domain
        .trim()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if domain.is_empty()
        || !domain.contains('.')
        || domain
            .chars()
            .any(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
    {
        return Err(Error::new(
            Failure::Usage,
            format!("\"{}\" is not a domain name", Safe(&args.domain)),
        )
        .hint("give the part after the @ of your addresses, e.g. --domain example.org")
        .into());
    }
    let keyring = ctx.keyring()?;
    let certs: Vec<Cert> = if args.queries.is_empty() {
        keyring.certs()?
    } else {
        let mut v = Vec::new();
        for q in &args.queries {
            v.push(keyring.find(q)?);
        }
        v.dedup_by(|a, b| a.fingerprint() == b.fingerprint());
        v
    };

    // Each address's file holds every certificate that has it, with only
    // the domain's user IDs.
    let mut files: BTreeMap<String, Vec<Cert>> = BTreeMap::new();
    for cert in certs {
        let Ok(vc) = cert.with_policy(&ctx.policy, ctx.time) else {
            continue;
        };
        let revoked = matches!(vc.revocation_status(), RevocationStatus::Revoked(_));
        let addresses: Vec<String> = vc
            .userids()
            .filter(|u| revoked || !matches!(u.revocation_status(), RevocationStatus::Revoked(_)))
            .filter_map(|u| u.userid().email_normalized().ok().flatten())
            .filter(|a| wkd::domain_of(a).as_deref() == Some(&domain))
            .collect();
        for address in addresses {
            let Ok(published) = wkd::accept(cert.clone(), &address) else {
                continue;
            };
            let list = files.entry(address).or_default();
            if !list
                .iter()
                .any(|c| c.fingerprint() == published.fingerprint())
            {
                list.push(published);
            }
        }
    }
    if files.is_empty() {
        return Err(Error::new(
            Failure::KeyNotFound,
            format!("no valid certificate on file has an address in {domain}"),
        )
        .hint("import or generate a key with an address in the domain first")
        .into());
    }

    let base = &args.dir;
    let mut written = Vec::new();
    let mut policy_dir = None;
    for (address, certs) in &files {
        let rel = wkd::file_path(address, args.direct)?;
        let path = base.join(&rel);
        let dir = path.parent().expect("a WKD path has a directory");
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut data = Vec::new();
        for c in certs {
            c.export(&mut data)
                .context("cannot serialize a certificate")?;
        }
        write_public(dir, &path, &data)?;
        policy_dir = dir.parent().map(Path::to_path_buf);
        ctx.info(format_args!(
            "zpgp: {} ({} certificate{}) -> {}",
            Safe(address),
            certs.len(),
            if certs.len() == 1 { "" } else { "s" },
            path.display()
        ));
        written.push(serde_json::json!({
            "address": address,
            "path": path.display().to_string(),
            "fingerprints": certs.iter().map(|c| format!("{:X}", c.fingerprint())).collect::<Vec<_>>(),
        }));
    }
    // The draft asks for a policy file; an empty one says "no special
    // policy".  One the owner wrote is kept.
    if let Some(dir) = policy_dir {
        let policy = dir.join("policy");
        if !policy.exists() {
            write_public(&dir, &policy, b"")?;
        }
    }
    let serve = if args.direct {
        format!("https://{domain}/")
    } else {
        format!("https://openpgpkey.{domain}/")
    };
    ctx.info(format_args!(
        "zpgp: wrote {} address{} of {domain}; serve {} as {serve}",
        files.len(),
        if files.len() == 1 { "" } else { "es" },
        base.display()
    ));
    if ctx.json {
        ctx.report(
            crate::printer::ReportTo::Stdout,
            &serde_json::json!({
                "domain": domain,
                "method": if args.direct { "direct" } else { "advanced" },
                "directory": base.display().to_string(),
                "serve_as": serve,
                "addresses": written,
            }),
        )?;
    }
    Ok(())
}

/// Replaces `path` atomically with a file a web server can read (0644).
fn write_public(dir: &Path, path: &Path, data: &[u8]) -> Result<()> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    tmp.write_all(data)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
