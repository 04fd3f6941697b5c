//! What the key upkeep commands (expire, revoke, userid, subkey) share:
//! finding your key with its secret, the passphrases it needs, storing the
//! changed key, and telling how to share it.

use anyhow::Result;
use openpgp::crypto::Password;
use openpgp::packet::Key;
use openpgp::packet::key::{SecretParts, UnspecifiedRole};
use openpgp::{Cert, Fingerprint, KeyHandle};
use sequoia_openpgp as openpgp;

use super::common::{next_passphrase, wrong_passphrase_hint};
use crate::context::Context;
use crate::error::{Error, Failure};
use crate::ops;

/// Your key: the certificate on file with the secret key merged in.
pub struct OwnKey {
    pub tsk: Cert,
    pub fpr: Fingerprint,
    /// `Name <email> (FINGERPRINT)`, sanitized.
    pub label: String,
}

/// The key `query` names, which must be one whose secret key you hold.
pub fn own_key(ctx: &Context, query: &str) -> Result<OwnKey> {
    let keyring = ctx.keyring()?;
    let cert = keyring.find(query)?;
    let fpr = cert.fingerprint();
    let label = ops::cert_label(&cert, &ctx.policy, Some(ctx.time));
    let secret = keyring.secret(&fpr)?.ok_or_else(|| {
        Error::new(
            Failure::KeyNotFound,
            format!("you do not hold the secret key for {label}, so you cannot change it"),
        )
        .hint("'zpgp list --secret' shows the keys you can change")
    })?;
    // The certificate on file may know newer signatures (an import since)
    // than the secret key file: both are kept.
    let tsk = cert.clone().merge_public_and_secret(secret)?;
    // And the other way round: a change killed between writing the secret
    // key file and the certificate is completed now, before anything
    // decides from the merged key that there is nothing left to do.
    if tsk.clone().strip_secret_key_material() != cert {
        ctx.debug("the secret key file knows signatures the certificate lacks; storing them");
        keyring.import(vec![tsk.clone()])?;
    }
    Ok(OwnKey { tsk, fpr, label })
}

/// The passphrases that unlock `keys` (secret keys of `own`), asked for
/// with the usual retries; keys may have different passphrases (GnuPG
/// allows it), so it asks again while a key is left that none known fits.
pub fn passphrases_for<'a>(
    ctx: &Context,
    prompt: &str,
    fpr: &Fingerprint,
    keys: impl IntoIterator<Item = &'a Key<SecretParts, UnspecifiedRole>>,
) -> Result<Vec<Password>> {
    let mut known: Vec<Password> = Vec::new();
    for key in keys {
        let fits = |pw: &Password| key.clone().decrypt_secret(pw).is_ok();
        if key.has_unencrypted_secret() || known.iter().any(fits) {
            continue;
        }
        let what = format!("{prompt} {fpr:X}");
        let mut attempt = 0;
        let mut found = false;
        while let Some(pw) = next_passphrase(ctx, &what, attempt)? {
            if fits(&pw) {
                known.push(pw);
                found = true;
                break;
            }
            attempt += 1;
        }
        if !found {
            return Err(Error::new(
                Failure::KeyIsProtected,
                format!("wrong passphrase for the secret key {fpr:X}"),
            )
            .hint(wrong_passphrase_hint(ctx))
            .into());
        }
    }
    Ok(known)
}

/// The passphrases for the primary key of `own` (what certifies its
/// changes) and for `subkeys` (signing subkeys whose binding needs their
/// own signature), or an error when the primary key's secret is not here
/// (a key exported without it, as `gpg --export-secret-subkeys` does).
pub fn primary_passphrases(
    ctx: &Context,
    own: &OwnKey,
    subkeys: &[Fingerprint],
) -> Result<Vec<Password>> {
    let primary = own
        .tsk
        .primary_key()
        .key()
        .clone()
        .parts_into_secret()
        .map_err(|_| no_primary_secret(own))?;
    if let openpgp::packet::key::SecretKeyMaterial::Encrypted(e) = primary.secret() {
        // GnuPG's "gnu-dummy" S2K: a stub where the secret was left out.
        if matches!(e.s2k(), openpgp::crypto::S2K::Private { .. }) {
            return Err(no_primary_secret(own));
        }
    }
    // `role_as_…`, not `role_into_…`: a v6 secret protected with AEAD is
    // bound to whether it is a primary key or a subkey.
    let mut keys = vec![primary.role_as_unspecified().clone()];
    for ka in own.tsk.keys().subkeys().secret() {
        if subkeys.contains(&ka.key().fingerprint()) {
            keys.push(ka.key().role_as_unspecified().clone());
        }
    }
    passphrases_for(ctx, "Passphrase for", &own.fpr, &keys)
}

fn no_primary_secret(own: &OwnKey) -> anyhow::Error {
    Error::new(
        Failure::KeyNotFound,
        format!(
            "you do not hold the secret of the primary key of {}: only it can change the key",
            own.label
        ),
    )
    .hint("import the full secret key (e.g. from 'gpg --export-secret-keys'), not only its subkeys")
    .into()
}

/// Waits until a new self-signature cannot tie with the newest one on
/// file (a second at most, and only right after another change).
pub fn wait_to_sign(ctx: &Context, own: &OwnKey) {
    let wait = ops::upkeep::wait_before_signing(&own.tsk, std::time::SystemTime::now());
    if !wait.is_zero() {
        ctx.debug(format_args!(
            "waiting {} ms so the new signatures are newer than the last ones",
            wait.as_millis()
        ));
        std::thread::sleep(wait);
    }
}

/// Stores the changed key (secret and certificate, merged with what is on
/// file, each replaced atomically under the keyring's lock) and returns the
/// certificate as now on file.
pub fn store(ctx: &Context, updated: Cert) -> Result<Cert> {
    let mut outcomes = ctx.keyring()?.import(vec![updated])?;
    Ok(outcomes.remove(0).cert)
}

/// The closing line of every change: how to let your contacts know.
pub fn share_hint(ctx: &Context, fpr: &Fingerprint) {
    ctx.info(format_args!(
        "zpgp: share the change with your contacts: zpgp export {fpr:X} > {fpr:X}.asc"
    ));
}

/// The subkey of `cert` that `query` (a fingerprint or key ID, with or
/// without 0x and spaces) names; exit 4 naming it and the candidates.
pub fn find_subkey(ctx: &Context, cert: &Cert, query: &str) -> Result<Fingerprint> {
    let handle = crate::query::Query::parse(query)
        .ok()
        .and_then(|q| q.key_handle());
    if let Some(h) = &handle {
        if let Some(k) = cert
            .keys()
            .subkeys()
            .find(|k| h.aliases(KeyHandle::from(k.key().fingerprint())))
        {
            return Ok(k.key().fingerprint());
        }
    }
    let mut msg = format!(
        "the key {:X} has no subkey {}",
        cert.fingerprint(),
        crate::display::Safe(query)
    );
    if handle.is_none() {
        msg.push_str(" (give a subkey's fingerprint or key ID)");
    }
    let candidates = subkey_lines(ctx, cert);
    if candidates.is_empty() {
        msg.push_str("; it has no subkeys");
    } else {
        msg.push_str("; its subkeys are:");
        for line in candidates {
            msg.push_str("\n  ");
            msg.push_str(&line);
        }
    }
    Err(Error::new(Failure::KeyNotFound, msg).into())
}

/// One line per subkey: fingerprint, algorithm, uses and state.
fn subkey_lines(ctx: &Context, cert: &Cert) -> Vec<String> {
    let info = ops::keyinfo::describe(cert, &ctx.policy, ctx.time);
    info.subkeys
        .iter()
        .filter(|k| k.state != "unbound")
        .map(|k| {
            format!(
                "{} {} [{}]{}",
                k.fingerprint,
                k.algorithm,
                ops::keyinfo::capability_letters(&k.capabilities),
                if k.state == "valid" {
                    String::new()
                } else {
                    format!(" ({})", k.state)
                }
            )
        })
        .collect()
}

/// Asks to confirm a change that cannot be taken back, unless `yes`; with
/// --batch and without --yes, fails (exit 19) saying how to confirm.
pub fn confirm(ctx: &Context, yes: bool, what: &str, question: &str) -> Result<()> {
    if yes {
        return Ok(());
    }
    if ctx.batch {
        return Err(Error::new(
            Failure::MissingArg,
            format!("{what} needs confirmation, and --batch forbids asking"),
        )
        .hint("add --yes to confirm")
        .into());
    }
    if !crate::passphrase::confirm(question)? {
        return Err(Error::new(Failure::MissingArg, "nothing changed: not confirmed").into());
    }
    Ok(())
}

/// The user ID of `cert` that `query` names: the user ID exactly, or its
/// email address; exit 4 naming it and the candidates when none is, 73
/// when an address is in several.
pub fn find_userid(cert: &Cert, query: &str) -> Result<openpgp::packet::UserID> {
    let query = query.trim();
    let bound = || {
        cert.userids()
            .filter(|u| u.self_signatures().next().is_some())
    };
    if let Some(u) = bound().find(|u| u.userid().value() == query.as_bytes()) {
        return Ok(u.userid().clone());
    }
    let email = query
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_lowercase();
    let by_email: Vec<_> = bound()
        .filter(|u| u.userid().email_normalized().ok().flatten().as_deref() == Some(&email))
        .collect();
    let list = |uids: &mut dyn Iterator<Item = &openpgp::packet::UserID>| -> String {
        uids.map(|u| {
            format!(
                "\n  {}",
                crate::display::Safe(&String::from_utf8_lossy(u.value()))
            )
        })
        .collect()
    };
    match by_email.len() {
        1 => Ok(by_email[0].userid().clone()),
        0 => Err(Error::new(
            Failure::KeyNotFound,
            format!(
                "the key {:X} has no user ID {}; its user IDs are:{}",
                cert.fingerprint(),
                crate::display::Safe(query),
                list(&mut bound().map(|u| u.userid()))
            ),
        )
        .into()),
        _ => Err(Error::new(
            Failure::AmbiguousInput,
            format!(
                "{} is in several user IDs of {:X}; name one whole:{}",
                crate::display::Safe(query),
                cert.fingerprint(),
                list(&mut by_email.iter().map(|u| u.userid()))
            ),
        )
        .into()),
    }
}
