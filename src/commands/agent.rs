//! `zpgp agent`: which keys the agent holds unlocked and until when,
//! forgetting them, stopping it; and `--serve`, the agent itself.

use std::time::{Duration, UNIX_EPOCH};

use anyhow::{Result, anyhow};
use serde::Serialize;

use crate::agent::{Client, KeyStatus, Unavailable};
use crate::cli::AgentArgs;
use crate::context::Context;
use crate::printer::ReportTo;

/// `zpgp agent --json` (documented in the README).
#[derive(Serialize)]
struct Report {
    running: bool,
    socket: String,
    pid: Option<u32>,
    started: Option<String>,
    core_dumps_disabled: Option<bool>,
    keys: Vec<KeyReport>,
}

#[derive(Serialize)]
struct KeyReport {
    /// The unlocked key (a subkey, usually).
    fingerprint: String,
    /// Its certificate and primary user ID, when on file.
    cert: Option<String>,
    user_id: Option<String>,
    unlocked: String,
    last_used: String,
    /// Forgotten then unless used again before.
    expires: String,
    /// Forgotten then at the latest.
    expires_at_most: String,
}

fn time(unix: u64) -> String {
    crate::time::rfc3339(UNIX_EPOCH + Duration::from_secs(unix))
}

pub fn run(ctx: &Context, args: AgentArgs) -> Result<()> {
    if args.serve {
        return crate::agent::serve(&ctx.home);
    }
    let paths = crate::agent::Paths::for_home(&ctx.home);
    let socket = paths.socket.display().to_string();
    let mut client = match Client::connect(&ctx.home, None) {
        Ok(c) => Some(c),
        Err(Unavailable::NotRunning) => None,
        Err(Unavailable::Unsafe(u)) => {
            return Err(crate::error::unsafe_error(
                format!("refusing to talk to the key agent: {u}"),
                "fix it as said; meanwhile commands ask for the passphrase themselves",
            ));
        }
        Err(Unavailable::Broken(why)) => return Err(anyhow!("{why}")),
    };
    if args.stop || args.forget {
        let Some(client) = client.as_mut() else {
            ctx.info("zpgp: the agent is not running; no key is unlocked");
            return Ok(());
        };
        if args.stop {
            client.stop()?;
            ctx.info("zpgp: the agent forgot every key and stopped");
        } else {
            let n = client.forget(&[])?;
            ctx.info(format!(
                "zpgp: the agent forgot {n} unlocked key{}",
                if n == 1 { "" } else { "s" }
            ));
        }
        return Ok(());
    }

    let status = client.as_mut().map(Client::status).transpose()?;
    let keys: Vec<KeyReport> = status
        .iter()
        .flat_map(|s| s.keys.iter())
        .map(|k| key_report(ctx, k))
        .collect();
    if ctx.json {
        return ctx.report(
            ReportTo::Stdout,
            &Report {
                running: status.is_some(),
                socket,
                pid: status.as_ref().map(|s| s.pid),
                started: status.as_ref().map(|s| time(s.started)),
                core_dumps_disabled: status.as_ref().map(|s| s.core_dumps_disabled),
                keys,
            },
        );
    }
    let Some(status) = status else {
        println!("the agent is not running (it starts when a key is unlocked); socket {socket}");
        return Ok(());
    };
    println!(
        "the agent is running: pid {}, since {}, socket {socket}",
        status.pid,
        time(status.started)
    );
    if !status.core_dumps_disabled {
        println!("warning: the agent's memory could be dumped or read by a debugger");
    }
    if keys.is_empty() {
        println!("no key is unlocked");
    }
    for k in &keys {
        let who = match (&k.cert, &k.user_id) {
            (Some(c), Some(u)) => format!(" of {c} ({u})"),
            (Some(c), None) => format!(" of {c}"),
            _ => String::new(),
        };
        println!(
            "{}{who}: unlocked until {} (at the latest {})",
            k.fingerprint, k.expires, k.expires_at_most
        );
    }
    Ok(())
}

fn key_report(ctx: &Context, k: &KeyStatus) -> KeyReport {
    let cert = k
        .fingerprint
        .parse::<sequoia_openpgp::Fingerprint>()
        .ok()
        .and_then(|fpr| {
            let keyring = ctx.keyring().ok()?;
            keyring.certs_by_handles(&[fpr.into()]).into_iter().next()
        });
    KeyReport {
        fingerprint: k.fingerprint.clone(),
        user_id: cert.as_ref().and_then(|c| {
            crate::ops::keys::primary_user_id(c, &ctx.policy, Some(ctx.time))
                .map(|u| crate::display::Safe(&u).to_string())
        }),
        cert: cert.map(|c| c.fingerprint().to_hex()),
        unlocked: time(k.unlocked),
        last_used: time(k.last_used),
        expires: time(k.expires),
        expires_at_most: time(k.expires_at_most),
    }
}
