//! Searching the index: a binary search in the email table, or a scan of
//! the certificates' lines.

use std::collections::HashSet;

use openpgp::Fingerprint;
use sequoia_openpgp as openpgp;

use crate::query::Query;

use super::{EMAIL_RECORD, Index, email_hash};

/// Matching certificates in the index: by binary search in its email
/// table, or else by a scan of its certificates' lines.
pub(in crate::keyring) fn search_index(index: &Index, query: &Query) -> Vec<Fingerprint> {
    match query {
        Query::Email(e) => search_emails(index, e),
        _ => scan_certs(index.certs(), query),
    }
}

/// The certificates with this email address, in fingerprint order: the
/// email table's records with the address's hash, each checked against
/// its certificate's line.
pub(in crate::keyring) fn search_emails(index: &Index, email: &str) -> Vec<Fingerprint> {
    let (table, certs) = (index.emails(), index.certs());
    let record = |i: usize| {
        let r = &table[i * EMAIL_RECORD..(i + 1) * EMAIL_RECORD];
        let hex = |b: &[u8]| {
            std::str::from_utf8(b)
                .ok()
                .and_then(|h| u64::from_str_radix(h, 16).ok())
        };
        (hex(&r[..16]), hex(&r[17..29]))
    };
    let hash = email_hash(email);
    let needle = format!("<{email}>");
    let (mut lo, mut hi) = (0, table.len() / EMAIL_RECORD);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if record(mid).0.is_some_and(|h| h < hash) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let mut out: Vec<Fingerprint> = Vec::new();
    for i in lo..table.len() / EMAIL_RECORD {
        let (Some(h), Some(offset)) = record(i) else {
            break;
        };
        if h != hash {
            break;
        }
        let Some(line) = usize::try_from(offset)
            .ok()
            .filter(|&o| o == 0 || certs.get(o - 1) == Some(&b'\n'))
            .and_then(|o| certs.get(o..))
            .and_then(|rest| rest.split(|&b| b == b'\n').next())
        else {
            continue;
        };
        let mut fields = line.split(|&b| b == b'\t');
        let fpr = fields.next().unwrap_or_default();
        if fields
            .nth(2)
            .is_some_and(|f| memchr::memmem::find(f, needle.as_bytes()).is_some())
        {
            if let Some(fp) = std::str::from_utf8(fpr).ok().and_then(|f| f.parse().ok()) {
                if !out.contains(&fp) {
                    out.push(fp);
                }
            }
        }
    }
    out
}

/// Matching certificates in the certificates' lines of the index.  The
/// search is a substring scan, then a check of the field each hit landed
/// in.
pub(in crate::keyring) fn scan_certs(body: &[u8], query: &Query) -> Vec<Fingerprint> {
    let (needle, field) = match query {
        Query::Fingerprint(fp) => (format!("{fp:X}"), 2),
        Query::KeyId(id) => (format!("{id:X}"), 2),
        Query::Email(e) => (format!("<{e}>"), 3),
        Query::Text(t) => (t.clone(), 4),
    };
    let mut found: HashSet<&str> = HashSet::new();
    let mut out = Vec::new();
    let finder = memchr::memmem::Finder::new(needle.as_bytes());
    let mut from = 0;
    while let Some(pos) = finder.find(&body[from..]) {
        let hit = from + pos;
        let start = memchr::memrchr(b'\n', &body[..hit])
            .map(|i| i + 1)
            .unwrap_or(0);
        let end = memchr::memchr(b'\n', &body[hit..])
            .map(|i| hit + i)
            .unwrap_or(body.len());
        // A hit in the wrong field may hide a good one later on the line.
        from = hit + 1;
        let Ok(line) = std::str::from_utf8(&body[start..end]) else {
            continue;
        };
        let offset = hit - start;
        // Which tab-separated field does the hit start in, and does it stay
        // inside it?
        let fields: Vec<(usize, &str)> = line
            .split('\t')
            .scan(0, |pos, f| {
                let at = *pos;
                *pos += f.len() + 1;
                Some((at, f))
            })
            .collect();
        let Some(&(at, f)) = fields.get(field) else {
            continue;
        };
        let inside = offset >= at && offset + needle.len() <= at + f.len();
        let ok = inside
            && match query {
                Query::Fingerprint(_) => f[offset - at..]
                    .split(' ')
                    .next()
                    .is_some_and(|w| w == needle),
                Query::KeyId(_) => key_id_matches(f, &needle),
                _ => true,
            };
        if ok {
            let fpr = fields[0].1;
            if found.insert(fpr) {
                if let Ok(fp) = fpr.parse() {
                    out.push(fp);
                }
            }
            from = end;
        }
    }
    out
}

/// A v4 key ID is the low 64 bits of the fingerprint, a v6 key ID the high
/// 64 bits.
pub(in crate::keyring) fn key_id_matches(fprs: &str, id: &str) -> bool {
    fprs.split(' ').any(|f| match f.len() {
        40 => f.ends_with(id),
        64 => f.starts_with(id),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Entry, IndexBytes, index_layout, index_text};
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn search_emails_at_the_edges() {
        let fpr = |n: u8| format!("{n:040X}");
        let mut entries = BTreeMap::new();
        for (n, emails) in [
            (1, "<a@x>"),
            (2, "<b@x><c@x>"),
            (3, "<b@x><b@x>"),
            (4, ""),
            (5, "<c@x>"),
        ] {
            let line = format!("{}\t{emails}\tuser {n}", fpr(n));
            entries.insert(fpr(n), Entry { tag: 7, line });
        }
        let text = index_text(7, &entries).concat();
        let (tag, certs, emails) = index_layout(text.as_bytes()).unwrap();
        assert_eq!(tag, 7);
        assert_eq!(emails.len(), 5 * EMAIL_RECORD);
        let index = Index {
            bytes: IndexBytes::Owned(text.into_bytes()),
            certs,
            emails,
        };
        let found = |e: &str| {
            search_emails(&index, e)
                .iter()
                .map(|f| format!("{f:X}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(found("a@x"), vec![fpr(1)]);
        assert_eq!(found("b@x"), vec![fpr(2), fpr(3)]);
        assert_eq!(found("c@x"), vec![fpr(2), fpr(5)]);
        for missing in ["", "a", "a@x ", "b", "bb@x", "user 1", "d@x"] {
            assert!(found(missing).is_empty(), "{missing:?}");
        }
        assert!(search_emails(&Index::empty(), "a@x").is_empty());

        // A record whose hash matches but whose certificate does not hold
        // the address (a collision) is no hit.
        let certs = format!("{}\t7\t{}\t<a@x>\t\n", fpr(1), fpr(1));
        let table = format!("{:016x} {:012x}\n", email_hash("d@x"), 0);
        let len = certs.len();
        let index = Index {
            bytes: IndexBytes::Owned(format!("{certs}{table}").into_bytes()),
            certs: 0..len,
            emails: len..len + EMAIL_RECORD,
        };
        assert!(search_emails(&index, "d@x").is_empty());
    }
}
