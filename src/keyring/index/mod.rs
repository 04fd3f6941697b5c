//! The lookup index: its format (see the keyring's module documentation),
//! building it from the certificates, and reading it.

mod search;

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{ErrorKind, Read};
use std::ops::Range;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use openpgp::Cert;
use openpgp::cert::amalgamation::ValidAmalgamation;
use openpgp::parse::Parse;
use openpgp_cert_d::Tag;
use sequoia_openpgp as openpgp;

use super::files::write_atomic;
use super::{Keyring, WriteLock};
pub(super) use search::search_index;

/// Version 3 lists only bound components, version 4 also leaves out the
/// user IDs their owner revoked (an address given up must not select the
/// key); an index of an earlier version is rebuilt from the certificates,
/// never reused line by line.
pub(in crate::keyring) const INDEX_MAGIC: &str = "zpgp-index 4";

/// The index file's bytes: mapped (lookups read only the pages they
/// touch, with no copy), or read when mapping is not possible.
pub(in crate::keyring) enum IndexBytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl std::ops::Deref for IndexBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            IndexBytes::Mapped(m) => m,
            IndexBytes::Owned(v) => v,
        }
    }
}

/// The index file, and where its two sections are.
pub(in crate::keyring) struct Index {
    bytes: IndexBytes,
    /// The certificates' lines, in fingerprint order.
    certs: Range<usize>,
    /// The email table: fixed-size `HASH OFFSET` records, sorted.
    emails: Range<usize>,
}

/// One record of the email table: the address's hash (16 hex digits), a
/// space, the offset of the certificate's line in the certificates'
/// section (12 hex digits), a newline.
pub(in crate::keyring) const EMAIL_RECORD: usize = 30;

/// The hash of an email address in the index (64-bit FNV-1a: stable, and
/// every hit is checked against the certificate's line).
pub(in crate::keyring) fn email_hash(email: &str) -> u64 {
    email.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Index {
    pub(in crate::keyring) fn empty() -> Index {
        Index {
            bytes: IndexBytes::Owned(Vec::new()),
            certs: 0..0,
            emails: 0..0,
        }
    }

    pub(in crate::keyring) fn certs(&self) -> &[u8] {
        &self.bytes[self.certs.clone()]
    }

    pub(in crate::keyring) fn emails(&self) -> &[u8] {
        &self.bytes[self.emails.clone()]
    }
}

/// The tag recorded in an index file and the ranges of its two sections,
/// when the file is an index in this version's format.
pub(in crate::keyring) fn index_layout(bytes: &[u8]) -> Option<(u64, Range<usize>, Range<usize>)> {
    let nl = memchr::memchr(b'\n', bytes)?;
    let header = std::str::from_utf8(&bytes[..nl]).ok()?;
    let (tag, certs_len) = header
        .strip_prefix(INDEX_MAGIC)?
        .strip_prefix(' ')?
        .split_once(' ')?;
    let tag = tag.parse().ok()?;
    let start = nl + 1;
    let end = start
        .checked_add(certs_len.parse().ok()?)
        .filter(|&end| end <= bytes.len())?;
    // The certificates' section is whole lines, the email table whole
    // records.
    let whole = end == start || bytes[end - 1] == b'\n';
    let records = (bytes.len() - end) % EMAIL_RECORD == 0;
    (whole && records).then_some((tag, start..end, end..bytes.len()))
}

/// The certificates' lines of an index's text, when it is an index in
/// this version's format: lines of another version may list what this one
/// must not (an unbound subkey or user ID), so they are never reused.
pub(in crate::keyring) fn index_certs(text: &str) -> &str {
    index_layout(text.as_bytes())
        .and_then(|(_, certs, _)| text.get(certs))
        .unwrap_or("")
}

/// One certificate's line in the index.
#[derive(Debug, Clone)]
pub(in crate::keyring) struct Entry {
    tag: u64,
    line: String,
}

impl Keyring {
    // The index --------------------------------------------------------

    pub(in crate::keyring) fn index_path(&self) -> PathBuf {
        self.home.join("index")
    }

    /// The index, brought up to date first when the certificate directory
    /// changed behind it.
    pub(in crate::keyring) fn current_index(&self) -> Result<Index> {
        let tag = self.certd.tag();
        if let Some(index) = self.read_index_at(tag)? {
            return Ok(index);
        }
        let lock = self.lock()?;
        let tag = self.certd.tag();
        if let Some(index) = self.read_index_at(tag)? {
            return Ok(index);
        }
        let index = self.rebuild_entries(&lock)?;
        self.write_index(&lock, &index)?;
        Ok(self
            .read_index_at(self.certd.tag())?
            .unwrap_or_else(Index::empty))
    }

    /// The index when its recorded tag is `tag` (and it is in this
    /// version's format).
    pub(in crate::keyring) fn read_index_at(&self, tag: Tag) -> Result<Option<Index>> {
        let file = match File::open(self.index_path()) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).context("cannot read the keyring index"),
        };
        let len = file
            .metadata()
            .context("cannot read the keyring index")?
            .len();
        if len == 0 {
            return Ok(None);
        }
        // The index is only ever replaced by rename, never changed in place,
        // as mapping it requires.
        let bytes = match crate::sys::map_readonly(&file) {
            Ok(m) => IndexBytes::Mapped(m),
            Err(_) => {
                let mut v = Vec::with_capacity(len as usize);
                (&file)
                    .read_to_end(&mut v)
                    .context("cannot read the keyring index")?;
                IndexBytes::Owned(v)
            }
        };
        Ok(match index_layout(&bytes) {
            Some((t, certs, emails)) if t == tag.0 => Some(Index {
                bytes,
                certs,
                emails,
            }),
            _ => None,
        })
    }

    /// The current index as a map, updated for any change to the
    /// certificate directory.  Must be called under the lock.
    pub(in crate::keyring) fn entries_for_update(
        &self,
        lock: &WriteLock,
    ) -> Result<BTreeMap<String, Entry>> {
        let tag = self.certd.tag();
        match self.read_index_at(tag)? {
            Some(index) => Ok(parse_index(&String::from_utf8_lossy(index.certs()))),
            None => self.rebuild_entries(lock),
        }
    }

    /// Brings the index in line with the certificate directory, parsing
    /// only the certificates whose files changed.
    pub(in crate::keyring) fn rebuild_entries(
        &self,
        _lock: &WriteLock,
    ) -> Result<BTreeMap<String, Entry>> {
        let old = match fs::read_to_string(self.index_path()) {
            Ok(text) => parse_index(index_certs(&text)),
            Err(_) => BTreeMap::new(),
        };
        let mut new = BTreeMap::new();
        for item in self.certd.iter_files() {
            let (name, file) = item.context("cannot read the certificate directory")?;
            let tag = Tag::try_from(&file)?.0;
            let key = name.to_uppercase();
            if let Some(e) = old.get(&key).filter(|e| e.tag == tag) {
                new.insert(key, e.clone());
                continue;
            }
            let mut data = Vec::new();
            (&file).read_to_end(&mut data)?;
            match Cert::from_bytes(&data) {
                Ok(cert) => {
                    new.insert(key, make_entry(&cert, tag));
                }
                Err(e) => self.warn(format!("skipping damaged certificate {name}: {e}")),
            }
        }
        Ok(new)
    }

    pub(in crate::keyring) fn write_index(
        &self,
        _lock: &WriteLock,
        index: &BTreeMap<String, Entry>,
    ) -> Result<()> {
        let [header, certs, table] = index_text(self.certd.tag().0, index);
        write_atomic(
            &self.home,
            &self.index_path(),
            &[header.as_bytes(), certs.as_bytes(), table.as_bytes()],
        )
    }
}

/// One index line (after the fingerprint and tag): the fingerprints of the
/// primary key and its subkeys, the email addresses, and the user IDs, all
/// lower-cased so that lookups are plain substring searches.
///
/// `FPR \t TAG \t FPR1 FPR2… \t <e1><e2>… \t uid1 \x1f uid2…`
///
/// Only what the certificate's owner bound is listed: the primary key, and
/// the subkeys and user IDs whose binding self-signature is valid under the
/// standard policy (for a signing subkey, with its back-signature).  Anyone
/// can append a key or a user ID packet to a certificate; an unbound one
/// must never make a query select it.
pub(in crate::keyring) fn make_entry(cert: &Cert, tag: u64) -> Entry {
    let vc = cert.with_policy(&POLICY, None).ok();
    let mut line = format!("{:X}", cert.fingerprint());
    let subkeys = vc.iter().flat_map(|vc| vc.keys().subkeys());
    for k in subkeys {
        line.push(' ');
        line.push_str(&format!("{:X}", k.key().fingerprint()));
    }
    line.push('\t');
    // Subkeys stay even when revoked: a signature by one must still find
    // its certificate, to be reported as made by a revoked key.
    let userids: Vec<&openpgp::packet::UserID> = vc
        .iter()
        .flat_map(|vc| vc.userids())
        .filter(|u| {
            !matches!(
                u.revocation_status(),
                openpgp::types::RevocationStatus::Revoked(_)
            )
        })
        .map(|u| u.userid())
        .collect();
    for u in &userids {
        if let Ok(Some(email)) = u.email_normalized() {
            if !email.contains(['<', '>', '\t', '\n']) {
                line.push('<');
                line.push_str(&email);
                line.push('>');
            }
        }
    }
    line.push('\t');
    for (i, u) in userids.iter().enumerate() {
        if i > 0 {
            line.push('\x1f');
        }
        let text = String::from_utf8_lossy(u.value()).to_lowercase();
        line.extend(text.chars().map(|c| if c.is_control() { ' ' } else { c }));
    }
    Entry { tag, line }
}

/// The policy that decides which components are bound.  The index is
/// derived data written once per certificate change, so it uses the
/// standard policy rather than a caller's: what a query may find does not
/// depend on options.
pub(in crate::keyring) static POLICY: openpgp::policy::StandardPolicy<'static> =
    openpgp::policy::StandardPolicy::new();

/// An index file's text: its header, its certificates' lines and its email
/// table.
pub(in crate::keyring) fn index_text(tag: u64, index: &BTreeMap<String, Entry>) -> [String; 3] {
    let mut certs = String::with_capacity(index.len() * 200);
    let mut emails = Vec::new();
    for (fpr, e) in index {
        let offset = certs.len() as u64;
        certs.push_str(fpr);
        certs.push('\t');
        certs.push_str(&e.tag.to_string());
        certs.push('\t');
        certs.push_str(&e.line);
        certs.push('\n');
        emails.extend(entry_emails(&e.line).map(|email| (email_hash(email), offset)));
    }
    emails.sort_unstable();
    emails.dedup();
    let mut table = Vec::with_capacity(emails.len() * EMAIL_RECORD);
    for (hash, offset) in emails {
        table.extend_from_slice(&email_record(hash, offset));
    }
    let table = String::from_utf8(table).expect("records are ASCII");
    let header = format!("{INDEX_MAGIC} {tag} {}\n", certs.len());
    [header, certs, table]
}

/// One email table record, `HASH OFFSET\n` (by hand: there is one per
/// address in the keyring).
pub(in crate::keyring) fn email_record(hash: u64, offset: u64) -> [u8; EMAIL_RECORD] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut r = [b' '; EMAIL_RECORD];
    for i in 0..16 {
        r[15 - i] = HEX[(hash >> (4 * i)) as usize & 0xf];
    }
    // 12 hex digits hold any offset below 256 TiB.
    for i in 0..12 {
        r[28 - i] = HEX[(offset >> (4 * i)) as usize & 0xf];
    }
    r[EMAIL_RECORD - 1] = b'\n';
    r
}

/// The email addresses of an index line (its `<e1><e2>…` field).
pub(in crate::keyring) fn entry_emails(line: &str) -> impl Iterator<Item = &str> {
    line.split('\t')
        .nth(1)
        .unwrap_or("")
        .split('>')
        .filter_map(|e| e.strip_prefix('<'))
}

/// The certificates' lines of an index (without its header).
pub(in crate::keyring) fn parse_index(text: &str) -> BTreeMap<String, Entry> {
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, '\t');
        let (Some(fpr), Some(tag), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let Ok(tag) = tag.parse() else { continue };
        map.insert(
            fpr.to_string(),
            Entry {
                tag,
                line: rest.to_string(),
            },
        );
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Query;
    use openpgp::cert::prelude::*;
    use openpgp::serialize::SerializeInto;
    use openpgp_cert_d::MergeResult;

    use crate::keyring::testing::cert;

    #[test]
    fn email_table_finds_every_holder_in_fingerprint_order() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::open(dir.path()).unwrap();
        // Two user IDs with the same address in one certificate, the same
        // address in another, and addresses that sort right next to it.
        let (a, _) = CertBuilder::new()
            .add_userid("<x@example.org>")
            .add_userid("X Two <X@example.org>")
            .add_transport_encryption_subkey()
            .generate()
            .unwrap();
        let b = cert("<x@example.org>");
        let c = cert("<x@example.org.uk>");
        let d = cert("<w@example.org>");
        let e = cert("Name Only");
        kr.import(vec![a.clone(), b.clone(), c.clone(), d.clone(), e])
            .unwrap();
        let q = |s: &str| kr.lookup(&Query::parse(s).unwrap()).unwrap();
        let mut ab = vec![a.fingerprint(), b.fingerprint()];
        ab.sort_by_key(|f| format!("{f:X}"));
        assert_eq!(q("x@example.org"), ab);
        assert_eq!(q("X@EXAMPLE.ORG"), ab);
        assert_eq!(q("x@example.org.uk"), vec![c.fingerprint()]);
        assert_eq!(q("w@example.org"), vec![d.fingerprint()]);
        for missing in [
            "a@example.org",
            "x@example.or",
            "x@example.orga",
            "zz@example.org",
        ] {
            assert!(q(missing).is_empty(), "{missing}");
        }
    }

    #[test]
    fn index_in_the_old_format_is_upgraded() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::open(dir.path()).unwrap();
        let a = cert("A <a@example.org>");
        kr.import(vec![a.clone()]).unwrap();
        // What zpgp wrote before the email table: the same lines under a
        // version 1 header.
        let path = dir.path().join("index");
        let text = fs::read_to_string(&path).unwrap();
        let (_, certs, _) = index_layout(text.as_bytes()).unwrap();
        let old = format!("zpgp-index 1 {}\n{}", kr.certd.tag().0, &text[certs]);
        fs::write(&path, &old).unwrap();
        let q = |s: &str| kr.lookup(&Query::parse(s).unwrap()).unwrap();
        assert_eq!(q("a@example.org"), vec![a.fingerprint()]);
        assert_eq!(q("A"), vec![a.fingerprint()]);
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
    }

    #[test]
    fn unbound_components_are_not_indexed_nor_kept_from_an_old_index() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::open(dir.path()).unwrap();
        let alice = cert("<alice@example.org>");
        let carried: openpgp::packet::Key<_, openpgp::packet::key::SubordinateRole> =
            alice.primary_key().key().clone().role_into_subordinate();
        let mallory = cert("<mallory@example.org>")
            .insert_packets(vec![
                openpgp::Packet::from(carried),
                openpgp::packet::UserID::from("<bob@example.org>").into(),
            ])
            .unwrap()
            .0;
        kr.import(vec![mallory.clone()]).unwrap();
        let q = |s: &str| kr.lookup(&Query::parse(s).unwrap()).unwrap();
        let fpr = format!("{:X}", alice.fingerprint());
        assert!(q(&fpr).is_empty());
        assert!(q(&format!("{:X}", alice.keyid())).is_empty());
        assert!(q("bob@example.org").is_empty());
        assert_eq!(q("mallory@example.org"), vec![mallory.fingerprint()]);

        // An index of version 2 listed every key and user ID packet; its
        // lines are not reused, even where the certificate is unchanged.
        let path = dir.path().join("index");
        let text = fs::read_to_string(&path).unwrap();
        let (_, certs, _) = index_layout(text.as_bytes()).unwrap();
        let mut fields: Vec<String> = text[certs].split('\t').map(String::from).collect();
        fields[2].push_str(&format!(" {fpr}"));
        let line = fields.join("\t");
        let old = format!("zpgp-index 2 {} {}\n{line}", kr.certd.tag().0, line.len());
        fs::write(&path, &old).unwrap();
        assert!(q(&fpr).is_empty());
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
    }

    #[test]
    fn index_is_rebuilt_when_stale() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::open(dir.path()).unwrap();
        let a = cert("<a@example.org>");
        kr.import(vec![a.clone()]).unwrap();
        // A change made behind the index's back, as another tool would.
        let b = cert("<b@example.org>");
        kr.certd
            .insert_data(&b.to_vec().unwrap(), false, |new, _| {
                Ok(MergeResult::DataRef(new))
            })
            .unwrap();
        let q = |s: &str| kr.lookup(&Query::parse(s).unwrap()).unwrap();
        assert_eq!(q("b@example.org"), vec![b.fingerprint()]);
        fs::remove_file(dir.path().join("index")).unwrap();
        assert_eq!(q("a@example.org"), vec![a.fingerprint()]);
    }
}
