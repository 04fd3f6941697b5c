//! The user's secret keys through the key agent: a key it holds unlocked
//! is used without asking, and a passphrase typed once unlocks the key
//! there, for the next commands too.  Without an agent (--no-agent,
//! `agent = false`, or none to be had) a key is unlocked in this process,
//! for this command only, as before.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Result;
use sequoia_openpgp as openpgp;

use openpgp::Cert;
use openpgp::crypto::Password;
use openpgp::packet::Key;
use openpgp::packet::key::{SecretParts, UnspecifiedRole};

use crate::agent::{self, Client, Handle, RemoteKey, Slot, Unavailable};
use crate::context::Context;
use crate::ops::{self, DecryptionKey, KeyStore, SigningKey, Unlocked};

/// How long the agent is to keep keys, from the config file; `None` when
/// it is not to be used.
fn settings(ctx: &Context) -> Result<Option<(Duration, Duration)>> {
    if ctx.no_agent {
        return Ok(None);
    }
    let config = ctx.config()?;
    if !config.agent() {
        return Ok(None);
    }
    let ttl = config
        .seconds("agent-ttl")
        .map_or(agent::DEFAULT_TTL, Duration::from_secs);
    let max_ttl = config
        .seconds("agent-max-ttl")
        .map_or(agent::DEFAULT_MAX_TTL, Duration::from_secs);
    if ttl.is_zero() || max_ttl.is_zero() {
        return Ok(None);
    }
    Ok(Some((ttl, max_ttl)))
}

/// The agent, when it is to be used and can be had; with `start`, one is
/// started when none runs.  Trouble (an unsafe socket, an agent that does
/// not start) is said once, and the command goes on without the agent.
pub fn agent(ctx: &Context, start: bool) -> Option<Handle> {
    let slot = ctx.agent.borrow().clone();
    match slot {
        Slot::Off => return None,
        Slot::Ready(h) => return Some(h),
        Slot::Absent if !start => return None,
        Slot::Absent | Slot::Untried => {}
    }
    let (ttl, max_ttl) = match settings(ctx) {
        Ok(Some(s)) => s,
        Ok(None) | Err(_) => {
            *ctx.agent.borrow_mut() = Slot::Off;
            return None;
        }
    };
    let exe = if start {
        std::env::current_exe().ok()
    } else {
        None
    };
    let next = match Client::connect(&ctx.home, exe.as_deref()) {
        Ok(client) => Slot::Ready(Handle {
            client: Arc::new(Mutex::new(client)),
            ttl,
            max_ttl,
        }),
        Err(Unavailable::NotRunning) => Slot::Absent,
        Err(e) => {
            ctx.warn(format!(
                "not using the key agent: {e}; the passphrase is asked here instead"
            ));
            Slot::Off
        }
    };
    *ctx.agent.borrow_mut() = next.clone();
    match next {
        Slot::Ready(h) => Some(h),
        _ => None,
    }
}

/// Runs `f` on the agent's connection; a failure of the connection (not
/// a refusal) is said once, and the caller works without the agent.
fn with_client<T>(
    ctx: &Context,
    h: &Handle,
    f: impl FnOnce(&mut Client) -> Result<T>,
) -> Option<T> {
    let mut client = h.client.lock().unwrap_or_else(PoisonError::into_inner);
    let was_broken = client.is_broken();
    match f(&mut client) {
        Ok(v) => Some(v),
        Err(e) => {
            if !was_broken {
                ctx.warn(format!(
                    "the key agent failed ({e:#}); unlocking the key here instead"
                ));
            }
            None
        }
    }
}

/// Whether `key` is unlocked in a running agent (never starts one).
fn held(ctx: &Context, key: &Key<SecretParts, UnspecifiedRole>) -> Option<Handle> {
    let h = agent(ctx, false)?;
    with_client(ctx, &h, |c| c.has(key.parts_as_public()))
        .unwrap_or(false)
        .then_some(h)
}

/// Unlocks `key` of `tsk` in the agent (started if need be), and the
/// other protected keys of `tsk` that the same passphrase opens:
/// `Some(true)` unlocked there, `Some(false)` wrong passphrase, `None` no
/// agent to be had.
fn unlock_in_agent(
    ctx: &Context,
    tsk: &Cert,
    key: &Key<SecretParts, UnspecifiedRole>,
    password: &Password,
) -> Option<(Handle, bool)> {
    let h = agent(ctx, true)?;
    let primary = tsk.fingerprint();
    let siblings: Vec<_> = tsk
        .keys()
        .secret()
        .map(|ka| ka.key())
        .filter(|k| k.fingerprint() != key.fingerprint() && !k.has_unencrypted_secret())
        .map(|k| (k, k.fingerprint() != primary))
        .collect();
    let subkey = key.fingerprint() != primary;
    let ok = with_client(ctx, &h, |c| {
        c.unlock(key, subkey, &siblings, password, h.ttl, h.max_ttl)
    })?;
    Some((h, ok))
}

fn remote(h: &Handle, key: &Key<SecretParts, UnspecifiedRole>) -> RemoteKey {
    RemoteKey::new(key.parts_as_public().clone(), h.client.clone())
}

/// The signing key of `cert` (its secret from `tsk`), ready to sign:
/// held by the agent, or unlocked with a passphrase that is asked for
/// (and then kept by the agent when `use_agent`).
pub fn signing_key(ctx: &Context, cert: &Cert, tsk: &Cert, use_agent: bool) -> Result<SigningKey> {
    let hashes = ops::preferred_hashes(cert, &ctx.policy, Some(ctx.time));
    unlocked_signing_key(ctx, cert, tsk, use_agent).map(|k| k.with_preferred_hashes(hashes))
}

fn unlocked_signing_key(
    ctx: &Context,
    cert: &Cert,
    tsk: &Cert,
    use_agent: bool,
) -> Result<SigningKey> {
    let key = ops::signing_key(tsk, &ctx.policy, Some(ctx.time))?;
    if key.has_unencrypted_secret() {
        return ops::unlock(&key, None).map(SigningKey::from);
    }
    if use_agent {
        if let Some(h) = held(ctx, &key) {
            return Ok(SigningKey::new(remote(&h, &key)));
        }
    }
    let label = ops::cert_label(cert, &ctx.policy, Some(ctx.time));
    let mut last = None;
    let mut attempt = 0;
    while let Some(pw) =
        super::common::next_passphrase(ctx, &format!("Passphrase for {label}"), attempt)?
    {
        attempt += 1;
        if use_agent {
            match unlock_in_agent(ctx, tsk, &key, &pw) {
                Some((h, true)) => return Ok(SigningKey::new(remote(&h, &key))),
                Some((_, false)) => {
                    last = Some(anyhow::anyhow!(
                        "wrong passphrase for key {}",
                        key.fingerprint()
                    ));
                    continue;
                }
                None => {}
            }
        }
        match ops::unlock(&key, Some(&pw)) {
            Ok(pair) => return Ok(SigningKey::from(pair)),
            Err(e) => last = Some(e),
        }
    }
    Err(last
        .unwrap_or_else(|| anyhow::anyhow!("cannot unlock the key"))
        .context(
            crate::error::Error::new(
                crate::error::Failure::KeyIsProtected,
                format!("cannot unlock the secret key of {label}"),
            )
            .hint(super::common::wrong_passphrase_hint(ctx)),
        ))
}

/// The agent as the decryption's key store.
pub struct AgentStore<'c> {
    ctx: &'c Context,
}

impl<'c> AgentStore<'c> {
    /// The key store for a command, unless the agent is off.
    pub fn for_command(ctx: &'c Context) -> Option<Box<dyn KeyStore + 'c>> {
        match settings(ctx) {
            Ok(Some(_)) => Some(Box::new(AgentStore { ctx })),
            _ => None,
        }
    }
}

impl KeyStore for AgentStore<'_> {
    fn unlocked(
        &mut self,
        _cert: &Cert,
        key: &Key<SecretParts, UnspecifiedRole>,
    ) -> Option<DecryptionKey> {
        let h = held(self.ctx, key)?;
        Some(Box::new(remote(&h, key)))
    }

    fn unlock(
        &mut self,
        cert: &Cert,
        key: &Key<SecretParts, UnspecifiedRole>,
        password: &Password,
    ) -> Unlocked {
        match unlock_in_agent(self.ctx, cert, key, password) {
            Some((h, true)) => Unlocked::Key(Box::new(remote(&h, key))),
            Some((_, false)) => Unlocked::WrongPassphrase,
            None => Unlocked::Unavailable,
        }
    }
}

/// Makes a running agent forget every key of `cert` (after its secret
/// changed or went); nothing when no agent runs.
pub fn forget(ctx: &Context, cert: &Cert) {
    // Even with --no-agent: an agent from before may hold the key.
    let Ok(mut client) = Client::connect(&ctx.home, None) else {
        return;
    };
    let keys: Vec<openpgp::Fingerprint> = cert.keys().map(|k| k.key().fingerprint()).collect();
    if let Err(e) = client.forget(&keys) {
        ctx.warn(format!(
            "the key agent may still hold {:X} unlocked ({e:#}); run 'zpgp agent --forget'",
            cert.fingerprint()
        ));
    }
}
