//! Reading the user's GnuPG keyring through `gpg` itself (its formats are
//! GnuPG's to know): certificates, secret keys, and ownertrust.

use std::process::{Command, Stdio};

use anyhow::Result;
use openpgp::Fingerprint;
use sequoia_openpgp as openpgp;

use crate::context::Context;
use crate::display::Safe;
use crate::error::{Error, Failure};

/// What `gpg --export-ownertrust` says of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownertrust {
    Ultimate,
    Full,
    Marginal,
    /// Unknown, undefined or never: nothing to carry over.
    Other,
}

/// GnuPG's keyring, as its own tool exports it.
pub struct Export {
    pub public: Vec<u8>,
    pub secret: Option<Vec<u8>>,
    pub ownertrust: Vec<(Fingerprint, Ownertrust)>,
}

/// Runs `gpg ARGS…` and returns its standard output.
fn gpg(ctx: &Context, args: &[&str], interactive: bool) -> Result<Vec<u8>> {
    let mut c = Command::new("gpg");
    c.args(["--no-tty", "--quiet"]);
    if !interactive || ctx.batch {
        // GnuPG must not ask on our behalf where zpgp itself would not.
        c.args(["--batch", "--pinentry-mode", "error"]);
    }
    c.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = c.output().map_err(|e| -> anyhow::Error {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::new(
                Failure::MissingInput,
                "GnuPG (gpg) is not installed, so there is no GnuPG keyring to read",
            )
            .into()
        } else {
            anyhow::Error::from(e).context("cannot run gpg")
        }
    })?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr);
        return Err(Error::new(
            Failure::BadData,
            format!(
                "gpg {} failed ({}): {}",
                args.join(" "),
                out.status,
                Safe(said.trim())
            ),
        )
        .into());
    }
    Ok(out.stdout)
}

/// Exports the keyring of `$GNUPGHOME` (or `~/.gnupg`): every certificate,
/// with `secret` every secret key (GnuPG asks for passphrases through its
/// agent when it must, unless --batch), and the ownertrust.
pub fn export(ctx: &Context, secret: bool) -> Result<Export> {
    let public = gpg(ctx, &["--export"], false)?;
    let secret = if secret {
        Some(gpg(ctx, &["--export-secret-keys"], true)?)
    } else {
        None
    };
    // A GnuPG home that never computed trust has no trust database, and
    // then no ownertrust to carry over.
    let ownertrust = match gpg(ctx, &["--export-ownertrust"], false) {
        Ok(trust) => parse_ownertrust(&String::from_utf8_lossy(&trust)),
        Err(e) => {
            ctx.debug(format_args!("no ownertrust from GnuPG: {e}"));
            Vec::new()
        }
    };
    Ok(Export {
        public,
        secret,
        ownertrust,
    })
}

impl Export {
    /// The certificates, each with its secret key merged in when exported,
    /// as one keyring (transferable secret keys where there is a secret).
    pub fn keyring(&self) -> Result<Vec<u8>> {
        use openpgp::Cert;
        use openpgp::cert::CertParser;
        use openpgp::parse::Parse;
        use openpgp::serialize::Serialize;
        let mut certs: std::collections::BTreeMap<Fingerprint, Cert> = Default::default();
        for data in std::iter::once(&self.public).chain(self.secret.as_ref()) {
            if data.is_empty() {
                continue;
            }
            for c in CertParser::from_bytes(data)? {
                let c = c?;
                let merged = match certs.remove(&c.fingerprint()) {
                    Some(old) => old.merge_public_and_secret(c)?,
                    None => c,
                };
                certs.insert(merged.fingerprint(), merged);
            }
        }
        let mut out = Vec::new();
        for c in certs.values() {
            c.as_tsk().serialize(&mut out)?;
        }
        Ok(out)
    }
}

/// `FINGERPRINT:LEVEL:` lines (comments start with `#`); the level's low
/// bits are the trust (6 ultimate, 5 full, 4 marginal), the high bits flags.
fn parse_ownertrust(text: &str) -> Vec<(Fingerprint, Ownertrust)> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut parts = l.split(':');
            let fpr: Fingerprint = parts.next()?.parse().ok()?;
            let level: u32 = parts.next()?.trim().parse().ok()?;
            let trust = match level & 0x0f {
                6 => Ownertrust::Ultimate,
                5 => Ownertrust::Full,
                4 => Ownertrust::Marginal,
                _ => Ownertrust::Other,
            };
            Some((fpr, trust))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ownertrust_lines() {
        let text = "# List of assigned trustvalues\n\
                    C2FDC53EDBAD3D452716BBDDA7DD57FA1861741A:6:\n\
                    16A8DE036E322FDB90DE12EE0C99EA5977B1566F:5:\n\
                    963FD9FAFF284BDF795108FBD78934721464A7C8:4:\n\
                    0F9C2FE94CA7D58308EAB9C6986EA63AFA4C82DF:3:\n\
                    not a line\n";
        let got = parse_ownertrust(text);
        let levels: Vec<Ownertrust> = got.iter().map(|(_, t)| *t).collect();
        assert_eq!(
            levels,
            [
                Ownertrust::Ultimate,
                Ownertrust::Full,
                Ownertrust::Marginal,
                Ownertrust::Other
            ]
        );
    }
}
