//! SOP key and certificate subcommands over [`crate::ops::generate`] and
//! [`crate::ops::certs`].

use std::time::SystemTime;

use anyhow::Result;
use openpgp::policy::StandardPolicy;
use sequoia_openpgp as openpgp;

use openpgp::packet::UserID;

use super::cli;
use super::io::{self, print_certs};
use crate::error::{Error, Failure};
use crate::ops::certs;
use crate::ops::generate::{self, CipherSuite, GenerateOptions};
use crate::passphrase::Fds;

/// Reads the keys or certs on standard input.
fn stdin_certs(what: &str) -> Result<Vec<openpgp::Cert>> {
    certs::read_certs(std::io::stdin(), what)
}

pub fn generate_key(a: cli::GenerateKeyArgs, fds: &Fds) -> Result<()> {
    let profile = super::profile("generate-key", a.profile.as_deref())?;
    let password = a
        .with_key_password
        .as_deref()
        .map(|spec| io::new_password(spec, fds))
        .transpose()?;
    let (key, _revocation) = generate::generate_key(
        GenerateOptions {
            userids: a.userids.iter().map(|u| UserID::from(u.as_str())).collect(),
            profile: match profile {
                super::Profile::Rfc4880 => generate::Profile::RFC4880,
                super::Profile::Rfc9580 | super::Profile::Rfc9980 => generate::Profile::RFC9580,
            },
            cipher_suite: if profile == super::Profile::Rfc9980 {
                CipherSuite::MLDSA65_Ed25519
            } else {
                CipherSuite::Cv25519
            },
            validity: None,
            password,
            creation_time: generate::creation_time(SystemTime::now()),
        },
        !a.signing_only,
    )?;
    print_certs(&[key], true, !a.no_armor)
}

pub fn extract_cert(a: cli::ArmorOutArgs) -> Result<()> {
    let keys = stdin_certs("standard input")?;
    certs::require_secret(&keys, "standard input")?;
    let certs: Vec<_> = keys
        .into_iter()
        .map(|k| k.strip_secret_key_material())
        .collect();
    print_certs(&certs, false, !a.no_armor)
}

pub fn change_key_password(a: cli::ChangeKeyPasswordArgs, fds: &Fds) -> Result<()> {
    let new = a
        .new_key_password
        .as_deref()
        .map(|spec| io::new_password(spec, fds))
        .transpose()?;
    let old = io::passwords_to_try(&a.old_key_password, fds)?;
    let keys = stdin_certs("standard input")?;
    certs::require_secret(&keys, "standard input")?;
    let keys = keys
        .into_iter()
        .map(|k| certs::change_password(k, &old, new.as_ref()))
        .collect::<Result<Vec<_>>>()?;
    print_certs(&keys, true, !a.no_armor)
}

pub fn revoke_key(a: cli::RevokeKeyArgs, fds: &Fds) -> Result<()> {
    let passwords = io::passwords_to_try(&a.with_key_password, fds)?;
    let keys = stdin_certs("standard input")?;
    certs::require_secret(&keys, "standard input")?;
    let revoked = keys
        .iter()
        .map(|k| certs::revoke(k, &passwords))
        .collect::<Result<Vec<_>>>()?;
    print_certs(&revoked, false, !a.no_armor)
}

pub fn update_key(a: cli::UpdateKeyArgs, fds: &Fds, policy: &StandardPolicy) -> Result<()> {
    // Nothing here adds a capability, so --signing-only and
    // --no-added-capabilities hold by construction.
    let _ = (a.signing_only, a.no_added_capabilities);
    let passwords = io::passwords_to_try(&a.with_key_password, fds)?;
    let updates: Vec<_> = io::read_certs_named(&a.merge_certs, fds)?
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let keys = stdin_certs("standard input")?;
    certs::require_secret(&keys, "standard input")?;
    let now = std::time::SystemTime::now();
    let keys = keys
        .into_iter()
        .map(|k| {
            let k = certs::merge_updates(k, &updates)?;
            certs::refresh_weak_self_signatures(k, &passwords, policy, now)
        })
        .collect::<Result<Vec<_>>>()?;
    print_certs(&keys, true, !a.no_armor)
}

pub fn merge_certs(a: cli::MergeCertsArgs, fds: &Fds) -> Result<()> {
    let updates: Vec<_> = io::read_certs_named(&a.certs, fds)?
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let base = stdin_certs("standard input")?;
    let merged = base
        .into_iter()
        .map(|c| certs::merge_updates(c, &updates))
        .collect::<Result<Vec<_>>>()?;
    let secret = merged.iter().any(|c| c.is_tsk());
    print_certs(&merged, secret, !a.no_armor)
}

pub fn certify_userid(a: cli::CertifyUseridArgs, fds: &Fds, policy: &StandardPolicy) -> Result<()> {
    let passwords = io::passwords_to_try(&a.with_key_password, fds)?;
    let keys = io::read_keys(&a.keys, fds)?;
    let mut signers = certs::certifying_keys(&keys, &passwords, policy, None)?;
    let targets = stdin_certs("standard input")?;
    let certified = targets
        .into_iter()
        .map(|c| {
            certs::certify_userids(
                c,
                &a.userid,
                &mut signers,
                !a.no_require_self_sig,
                policy,
                None,
            )
        })
        .collect::<Result<Vec<_>>>()?;
    print_certs(&certified, false, !a.no_armor)
}

pub fn validate_userid(
    a: cli::ValidateUseridArgs,
    fds: &Fds,
    policy: &StandardPolicy,
) -> Result<()> {
    let time = match a.validate_at.as_deref() {
        Some(d) => io::parse_date(d)?,
        None => None,
    };
    let authorities: Vec<_> = io::read_certs_named(&a.certs, fds)?
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let targets = stdin_certs("standard input")?;
    for c in &targets {
        if !certs::validate_userid(c, &a.userid, a.addr_spec_only, &authorities, policy, time) {
            return Err(Error::new(
                Failure::CertUserIdNoMatch,
                format!(
                    "{} has no user ID {:?} certified by the given authorities",
                    c.fingerprint(),
                    a.userid
                ),
            )
            .into());
        }
    }
    Ok(())
}
