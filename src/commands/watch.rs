//! `zpgp watch`: the keys that expire within N days or have expired, for
//! cron.  The list is the product (stdout); exit 5 says that there is one,
//! so `zpgp -q watch || mail …` mails it and stays silent otherwise.

use std::time::{Duration, SystemTime};

use anyhow::Result;
use sequoia_openpgp::Cert;
use serde::Serialize;

use crate::cli::WatchArgs;
use crate::context::Context;
use crate::display::Safe;
use crate::error::{Failure, Reported};
use crate::ops::keyinfo::{Part, end_of_use};
use crate::printer::ReportTo;

const DAY: u64 = 24 * 60 * 60;

/// One key of `zpgp watch --json` (documented in the README).
#[derive(Debug, Serialize)]
pub struct Expiring {
    pub fingerprint: String,
    pub userid: Option<String>,
    /// "own" (you hold its secret key) or "contact".
    pub kind: &'static str,
    /// Which part ends first: "key", "encryption" or "signing".
    pub part: Part,
    /// RFC 3339, UTC.
    pub expires: String,
    /// Whole days from now, rounded up; 0 or less once expired.
    pub days_left: i64,
    pub expired: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    days: u32,
    keys: &'a [Expiring],
}

pub fn run(ctx: &Context, args: WatchArgs) -> Result<()> {
    let (own, certs) = super::common::keys_to_check(ctx, args.contacts)?;
    let found = expiring(ctx, &certs, &own, args.days);

    if ctx.json {
        ctx.report(
            ReportTo::Stdout,
            &Report {
                days: args.days,
                keys: &found,
            },
        )?;
    } else {
        for e in &found {
            println!("{}", line(e));
        }
    }
    if found.is_empty() {
        let whose = if args.contacts {
            "no key on file"
        } else {
            "none of your keys"
        };
        ctx.info(format!(
            "zpgp: {whose} expires within {} day{}",
            args.days,
            plural(args.days as i64)
        ));
        return Ok(());
    }
    let n = found.len();
    ctx.info(format!(
        "zpgp: {n} key{} expire{} within {} day{} or expired; extend yours with \
         'zpgp expire QUERY 2y', and ask contacts for an updated certificate",
        plural(n as i64),
        if n == 1 { "s" } else { "" },
        args.days,
        plural(args.days as i64),
    ));
    Err(Reported(Some(Failure::KeysExpiring)).into())
}

/// The certificates of `certs` that stop being of use within `days`, the
/// soonest first.
pub fn expiring(
    ctx: &Context,
    certs: &[Cert],
    own: &[sequoia_openpgp::Fingerprint],
    days: u32,
) -> Vec<Expiring> {
    let horizon = ctx.time + Duration::from_secs(u64::from(days) * DAY);
    let mut found: Vec<(SystemTime, Expiring)> = Vec::new();
    for cert in certs {
        let Some((t, part)) = end_of_use(cert, &ctx.policy, ctx.time) else {
            continue;
        };
        if t > horizon {
            continue;
        }
        let userid = cert.with_policy(&ctx.policy, ctx.time).ok().and_then(|vc| {
            vc.primary_userid()
                .ok()
                .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
        });
        found.push((
            t,
            Expiring {
                fingerprint: format!("{:X}", cert.fingerprint()),
                userid,
                kind: if own.contains(&cert.fingerprint()) {
                    "own"
                } else {
                    "contact"
                },
                part,
                expires: crate::time::rfc3339(t),
                days_left: days_left(ctx.time, t),
                expired: t <= ctx.time,
            },
        ));
    }
    found.sort_by_key(|(t, e)| (*t, e.fingerprint.clone()));
    found.into_iter().map(|(_, e)| e).collect()
}

/// Whole days from `now` to `t`, rounded up: a key made with
/// `--expires 10d` has 10 days left, not 9 and some hours.
fn days_left(now: SystemTime, t: SystemTime) -> i64 {
    let secs = match t.duration_since(now) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    let day = DAY as i64;
    secs.div_euclid(day) + i64::from(secs.rem_euclid(day) != 0)
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `FPR  own  expires 2026-12-11 (in 10 days)  Alice <alice@example.org>`
pub fn line(e: &Expiring) -> String {
    let what = match e.part {
        Part::Key => "",
        Part::Encryption => "encryption subkey ",
        Part::Signing => "signing subkey ",
    };
    let date = &e.expires[..10];
    let when = if e.expired {
        match -e.days_left {
            0 => format!("{what}expired {date} (today)"),
            d => format!("{what}expired {date} ({d} day{} ago)", plural(d)),
        }
    } else {
        let d = e.days_left;
        format!("{what}expires {date} (in {d} day{})", plural(d))
    };
    format!(
        "{}  {:<7}  {when}  {}",
        e.fingerprint,
        e.kind,
        e.userid
            .as_deref()
            .map(|u| Safe(u).to_string())
            .unwrap_or_else(|| "(no user ID)".into())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_rounded_up() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1000 * DAY);
        let at = |secs: i64| {
            if secs >= 0 {
                now + Duration::from_secs(secs as u64)
            } else {
                now - Duration::from_secs((-secs) as u64)
            }
        };
        let day = DAY as i64;
        assert_eq!(days_left(now, at(10 * day - 5)), 10);
        assert_eq!(days_left(now, at(10 * day)), 10);
        assert_eq!(days_left(now, at(0)), 0);
        assert_eq!(days_left(now, at(-5)), 0);
        assert_eq!(days_left(now, at(-day - 5)), -1);
    }
}
