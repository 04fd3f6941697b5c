//! Calendar dates for the command line: parsing expiry words and showing
//! times, in UTC, without a date library.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const DAY: u64 = 24 * 60 * 60;

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

/// Parses `YYYY-MM-DD` as midnight UTC.
pub fn parse_date(s: &str) -> Option<SystemTime> {
    let mut parts = s.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1970..=2105).contains(&y) || !(1..=12).contains(&m) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    // Reject 2026-02-31 and the like: the date must survive a round trip.
    if civil_from_days(days) != (y, m, d) {
        return None;
    }
    Some(UNIX_EPOCH + Duration::from_secs(days as u64 * DAY))
}

/// The accepted forms of an expiry, for error messages.
pub const EXPIRY_FORMS: &str = "a duration (3y, 18m, 2w, 10d), a date (YYYY-MM-DD) or 'never'";

/// When a new key expires, from `--expires`: `never`, a duration such as
/// `3y`, `18m`, `2w`, `10d`, or a date `YYYY-MM-DD`.  `Ok(None)` is never.
pub fn parse_expiry(s: &str, now: SystemTime) -> Result<Option<Duration>, String> {
    match parse_when(s, now)? {
        None => Ok(None),
        Some(t) => t
            .duration_since(now)
            .ok()
            .filter(|d| !d.is_zero())
            .map(Some)
            .ok_or_else(|| format!("the expiry date {} is not in the future", s.trim())),
    }
}

/// The moment an expiry word names: a duration counts from `now`, a date
/// is midnight UTC (and may be in the past), `never` is `Ok(None)`.
pub fn parse_when(s: &str, now: SystemTime) -> Result<Option<SystemTime>, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("never") || s == "0" {
        return Ok(None);
    }
    if let Some(date) = parse_date(s) {
        return Ok(Some(date));
    }
    let bad = || format!("cannot read the expiry {s:?}: use {EXPIRY_FORMS}");
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num.parse().map_err(|_| bad())?;
    let days = match unit {
        "y" => 365,
        "m" => 30,
        "w" => 7,
        "d" | "" => 1,
        _ => return Err(bad()),
    };
    if n == 0 || n.saturating_mul(days) > 200 * 365 {
        return Err(bad());
    }
    Ok(Some(now + Duration::from_secs(n * days * DAY)))
}

/// Date and seconds into the day; times before 1970 (a key's creation
/// time can be anything) count backwards rather than stopping at 1970.
fn split(t: SystemTime) -> (i64, u32, u32, u64) {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    let day = DAY as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(day));
    (y, m, d, secs.rem_euclid(day) as u64)
}

/// `YYYY-MM-DD`.
pub fn date(t: SystemTime) -> String {
    let (y, m, d, _) = split(t);
    format!("{y:04}-{m:02}-{d:02}")
}

/// RFC 3339 in UTC: `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(t: SystemTime) -> String {
    let (y, m, d, s) = split(t);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let t = parse_date("2026-01-03").unwrap();
        assert_eq!(date(t), "2026-01-03");
        assert_eq!(
            rfc3339(t + Duration::from_secs(3723)),
            "2026-01-03T01:02:03Z"
        );
        assert_eq!(date(UNIX_EPOCH), "1970-01-01");
        assert_eq!(date(parse_date("2000-02-29").unwrap()), "2000-02-29");
        assert!(parse_date("2026-02-29").is_none());
        assert!(parse_date("2026-13-01").is_none());
        assert!(parse_date("soon").is_none());
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_572_363_242);
        assert_eq!(rfc3339(t), "2019-10-29T15:34:02Z");
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400); // leap day
        assert_eq!(rfc3339(t), "2000-02-29T00:00:00Z");
        let t = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(rfc3339(t), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn expiry_words() {
        let now = parse_date("2026-01-01").unwrap();
        assert_eq!(parse_expiry("never", now), Ok(None));
        assert_eq!(
            parse_expiry("3y", now),
            Ok(Some(Duration::from_secs(3 * 365 * DAY)))
        );
        assert_eq!(
            parse_expiry("2w", now),
            Ok(Some(Duration::from_secs(14 * DAY)))
        );
        assert_eq!(
            parse_expiry("2026-01-11", now),
            Ok(Some(Duration::from_secs(10 * DAY)))
        );
        assert!(parse_expiry("2025-01-01", now).is_err());
        assert!(parse_expiry("3x", now).is_err());
        assert!(parse_expiry("0d", now).is_err());
        assert!(parse_expiry("99999y", now).is_err());
    }
}
