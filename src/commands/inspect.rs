//! `zpgp inspect`: what a file is, named from the keyring where known,
//! without asking for any secret.

use std::io::Write;

use anyhow::Result;
use sequoia_openpgp::KeyHandle;

use super::common::{open_input, real_path};
use crate::cli::InspectArgs;
use crate::context::Context;
use crate::display::Safe;
use crate::ops::inspect::{self, FileKind, InspectReport, Naming, SignatureInfo};

pub fn run(ctx: &Context, args: InspectArgs) -> Result<()> {
    let path = real_path(&args.input);
    let input = open_input(path)?;
    // Names come from the keyring when it can be opened; inspect works
    // without one.
    // An absent home is not created just to look a name up.
    let keyring = if ctx.home.exists() {
        ctx.keyring().ok()
    } else {
        None
    };
    let lookup = |handles: &[KeyHandle]| match keyring {
        Some(k) => k.certs_by_handles(handles),
        None => Vec::new(),
    };
    let naming = Naming {
        lookup: Some(&lookup),
        policy: &ctx.policy,
        time: ctx.time,
    };
    let report = inspect::inspect(input, &naming)?;

    if ctx.json {
        return ctx.report(crate::printer::ReportTo::Stdout, &report);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let name = path
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "<stdin>".into());
    print_report(&mut out, &Safe(&name).to_string(), &report)?;
    out.flush()?;
    Ok(())
}

fn print_report(out: &mut dyn Write, name: &str, r: &InspectReport) -> Result<()> {
    let what = match (r.kind, r.certs.len()) {
        (FileKind::Certificate, n) if n > 1 => format!("{n} certificates (public keys)"),
        (FileKind::SecretKey, n) if n > 1 => format!("{n} keys, with secret keys"),
        (k, _) => k.describe().to_string(),
    };
    let form = if r.armored { "ASCII-armored" } else { "binary" };
    writeln!(out, "{name}: {what}, {form}")?;

    for c in &r.certs {
        writeln!(out)?;
        super::list::print_cert(out, &c.info, None, &[])?;
        if !c.secret_keys.is_empty() {
            let total = 1 + c.info.subkeys.len();
            let protected = c.secret_keys.iter().filter(|k| k.protected).count();
            let how = match (protected, c.secret_keys.len()) {
                (0, _) => "unprotected".to_string(),
                (p, n) if p == n => "protected by a passphrase".to_string(),
                (p, _) => format!("{p} protected by a passphrase, the others unprotected"),
            };
            writeln!(
                out,
                "secret parts of {} of {total} keys in the file, {how}",
                c.secret_keys.len()
            )?;
        }
    }

    if let Some(e) = &r.encryption {
        let mut format = e.format.clone();
        let details: Vec<String> = [e.cipher.clone(), e.aead.clone()]
            .into_iter()
            .flatten()
            .chain(e.chunk_size.map(chunk))
            .collect();
        if !details.is_empty() {
            format.push_str(&format!(" ({})", details.join(", ")));
        }
        if !e.integrity_protected {
            format.push_str(", NOT integrity protected: do not trust its content");
        }
        writeln!(out, "  format:      {format}")?;
        for p in &e.recipients {
            let key = match &p.key {
                Some(k) => format!("key {k}"),
                None => "a hidden recipient".to_string(),
            };
            let who = match (&p.user_id, &p.cert_fingerprint) {
                (Some(u), Some(f)) => format!(": {} ({f})", Safe(u)),
                (None, Some(f)) => format!(": {f}"),
                _ if p.key.is_some() => ", not in the keyring".to_string(),
                _ => String::new(),
            };
            writeln!(out, "  recipient:   {key} ({}){who}", p.algorithm)?;
        }
        for p in &e.passwords {
            let aead = p
                .aead
                .as_deref()
                .map(|a| format!(", {a}"))
                .unwrap_or_default();
            writeln!(
                out,
                "  password:    {}{aead}, key derived by {} S2K",
                p.cipher, p.s2k
            )?;
        }
        writeln!(
            out,
            "  signed:      cannot tell without decrypting (signatures are inside the encryption)"
        )?;
    }

    if let Some(c) = &r.compression {
        writeln!(out, "  compressed:  {c}")?;
    }
    if let Some(l) = &r.literal {
        let file = l
            .file_name
            .as_deref()
            .map(|f| format!(", file name \"{}\"", Safe(f)))
            .unwrap_or_default();
        let date = l
            .date
            .map(|d| format!(", dated {}", crate::time::rfc3339(d)))
            .unwrap_or_default();
        writeln!(out, "  content:     {}{file}{date}", l.format)?;
        if l.eyes_only {
            writeln!(
                out,
                "  eyes only:   yes (the sender asked that it be shown, not stored)"
            )?;
        }
    }
    if r.literal.is_some() && r.signatures.is_empty() {
        writeln!(out, "  signed:      no")?;
    }
    for s in &r.signatures {
        writeln!(out, "  signature:   {}", signature_line(s))?;
    }
    if !r.signatures.is_empty() {
        writeln!(out, "  (signatures are not checked here; use zpgp verify)")?;
    }
    Ok(())
}

fn signature_line(s: &SignatureInfo) -> String {
    let by = s.issuer.as_deref().unwrap_or("an unnamed key");
    let who = match (&s.user_id, &s.cert_fingerprint) {
        (Some(u), Some(f)) => format!(": {} ({f})", Safe(u)),
        (None, Some(f)) => format!(": {f}"),
        _ => ", not in the keyring".to_string(),
    };
    let made = s
        .created
        .as_deref()
        .map(|c| format!(", made {c}"))
        .unwrap_or_default();
    let typ = s.signature_type.replace('_', " ");
    format!(
        "{typ} by {by} ({}, {}){made}{who}",
        s.algorithm, s.hash_algo
    )
}

fn chunk(size: u64) -> String {
    if size >= 1024 && size % 1024 == 0 {
        format!("{} KiB chunks", size / 1024)
    } else {
        format!("{size}-byte chunks")
    }
}
