//! Web Key Directory: looking up an address on its own domain, and the
//! directory tree a domain serves.

use std::path::PathBuf;

use anyhow::Result;
use openpgp::Cert;
use sequoia_net::wkd::{Url as WkdUrl, Variant};
use sequoia_openpgp as openpgp;

use super::{Answer, Http};
use crate::error::{Error, Failure};

/// Which of the two URL forms answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// `https://openpgpkey.DOMAIN/.well-known/openpgpkey/DOMAIN/hu/…`
    Advanced,
    /// `https://DOMAIN/.well-known/openpgpkey/hu/…`
    Direct,
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Method::Advanced => "advanced",
            Method::Direct => "direct",
        })
    }
}

fn wkd_url(email: &str) -> Result<WkdUrl> {
    WkdUrl::from(email).map_err(|e| {
        Error::new(
            Failure::Usage,
            format!("{email:?} is not an email address WKD can look up: {e}"),
        )
        .into()
    })
}

/// The address's domain, lowercased.
pub fn domain_of(email: &str) -> Option<String> {
    email
        .rsplit_once('@')
        .map(|(_, d)| d.to_ascii_lowercase())
        .filter(|d| !d.is_empty())
}

/// Looks `email` up by the advanced method and, when that fails, the
/// direct one, as the draft asks.  When both fail the error names both;
/// its exit code is the more telling one (a network failure over "not
/// found").
pub async fn lookup(http: &Http, email: &str) -> Result<(Answer, Method)> {
    let u = wkd_url(email)?;
    let mut errors = Vec::new();
    for method in [Method::Advanced, Method::Direct] {
        let variant = match method {
            Method::Advanced => Variant::Advanced,
            Method::Direct => Variant::Direct,
        };
        let url = u.to_url(variant)?;
        match http.get(&url).await {
            Ok(body) => {
                let where_ = format!("WKD ({method}) {}", super::origin(&url));
                return Ok((Answer::parse(where_, &body)?, method));
            }
            Err(e) => errors.push((method, e)),
        }
    }
    // A domain DNS does not know has no directory: that is "not found",
    // not a network failure.
    let failure = errors
        .iter()
        .filter(|(_, e)| !super::is_no_such_host(e))
        .filter_map(|(_, e)| crate::error::failure_of(e))
        .find(|f| *f != Failure::KeyNotFound)
        .unwrap_or(Failure::KeyNotFound);
    let words: Vec<String> = errors
        .iter()
        .map(|(m, e)| format!("{m} method: {}", crate::error::chain_text(e)))
        .collect();
    Err(Error::new(
        failure,
        format!("WKD has no key for {email} ({})", words.join("; ")),
    )
    .into())
}

/// What WKD may vouch for: the certificate with only the user IDs of the
/// address's domain (the domain answers for its own addresses, nothing
/// else), or why it is refused: it does not carry the address asked for.
pub fn accept(cert: Cert, email: &str) -> std::result::Result<Cert, String> {
    let want = email.to_ascii_lowercase();
    let Some(domain) = domain_of(&want) else {
        return Err(format!("{email} is not an email address"));
    };
    let address =
        |u: &openpgp::packet::UserID| -> Option<String> { u.email_normalized().ok().flatten() };
    if !cert
        .userids()
        .any(|u| address(u.userid()).as_deref() == Some(&want))
    {
        return Err(format!(
            "the directory of {domain} answered with {:X}, which has no user ID for {email}",
            cert.fingerprint()
        ));
    }
    let cert = cert
        .retain_userids(|u| {
            address(u.userid())
                .and_then(|a| domain_of(&a))
                .is_some_and(|d| d == domain)
        })
        .retain_user_attributes(|_| false);
    Ok(cert)
}

/// Where the file for `email` goes in a directory tree for the domain's
/// web server (the advanced layout's document root is that of
/// `openpgpkey.DOMAIN`; the direct one's that of `DOMAIN`).
pub fn file_path(email: &str, direct: bool) -> Result<PathBuf> {
    let variant = if direct {
        Variant::Direct
    } else {
        Variant::Advanced
    };
    wkd_url(email)?.to_file_path(variant)
}
