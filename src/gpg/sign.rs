//! `-bsau KEY`: a detached signature of standard input, as git makes a
//! signed commit, tag or push certificate.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use sequoia_openpgp as openpgp;

use openpgp::Packet;
use openpgp::parse::Parse;

use super::args::Invocation;
use super::status::StatusFd;
use crate::commands::common;
use crate::context::Context;
use crate::ops::{self, SignMode, SignOptions};

pub fn run(ctx: &Context, inv: &Invocation, key: &Option<String>, armor: bool) -> Result<ExitCode> {
    let mut status = StatusFd::open(inv.status_fd)?;
    let queries: Vec<String> = key.iter().map(|k| query_of(k)).collect();
    let certs = common::signer_certs(ctx, &queries)?;
    let cert = certs.first().context("no signing key")?;
    status.line(
        "KEY_CONSIDERED",
        &format!("{} 0", cert.fingerprint().to_hex()),
    );
    let signer = common::unlock_signer(ctx, cert).map_err(passphrase_hint)?;

    let mut opts = SignOptions::new(SignMode::Detached, vec![signer]);
    opts.armor = armor;
    opts.time = Some(ctx.time);
    // Held until complete: git must get a whole signature or none.
    let mut signature = Vec::new();
    let report = ops::sign(std::io::stdin(), &mut signature, &opts)?;

    let Ok(Packet::Signature(sig)) = Packet::from_bytes(&signature) else {
        anyhow::bail!("the signature just made does not parse");
    };
    status.line("BEGIN_SIGNING", &format!("H{}", u8::from(sig.hash_algo())));
    let mut out = std::io::stdout().lock();
    out.write_all(&signature)
        .and_then(|()| out.flush())
        .context("cannot write the signature to standard output")?;
    let created = sig
        .signature_creation_time()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    status.line(
        "SIG_CREATED",
        &format!(
            "D {} {} {:02X} {created} {}",
            u8::from(sig.pk_algo()),
            u8::from(sig.hash_algo()),
            u8::from(sig.typ()),
            report.signers.first().map_or("", String::as_str),
        ),
    );
    Ok(ExitCode::SUCCESS)
}

/// git cannot pass --passphrase-file: say what works instead.
fn passphrase_hint(mut e: anyhow::Error) -> anyhow::Error {
    if let Some(err) = e.downcast_mut::<crate::error::Error>() {
        if err.failure == crate::error::Failure::KeyIsProtected {
            let hint = "zpgp-gpg asks on the terminal git runs in, or uses the key agent: \
                        unlock the key there first by signing anything with it, e.g. \
                        zpgp sign --detached FILE";
            #[cfg(debug_assertions)]
            crate::cli::check::assert_hint_parses(hint);
            err.hint = Some(hint.into());
        }
    }
    e
}

/// A zpgp query for what git names the key by: user.signingkey as the
/// user wrote it for gpg (`0x` key IDs, `FPR!` for exactly that key), or
/// without one, the committer's `Name <email>`, of which the address is
/// what identifies a key.
fn query_of(key: &str) -> String {
    let key = key.trim();
    if let (Some(open), Some(close)) = (key.rfind('<'), key.rfind('>')) {
        if open < close {
            return key[open + 1..close].to_string();
        }
    }
    let key = key.strip_suffix('!').unwrap_or(key);
    let hex = key
        .strip_prefix("0x")
        .or_else(|| key.strip_prefix("0X"))
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()));
    hex.unwrap_or(key).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn git_key_names_become_queries() {
        for (given, query) in [
            ("Alice Example <alice@example.org>", "alice@example.org"),
            ("0xA9EFAA4DA44A8810", "A9EFAA4DA44A8810"),
            ("A9EFAA4DA44A8810!", "A9EFAA4DA44A8810"),
            ("alice@example.org", "alice@example.org"),
            ("Alice", "Alice"),
        ] {
            assert_eq!(super::query_of(given), query);
        }
    }
}
