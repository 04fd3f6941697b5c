//! The local keyring: public certificates in a shared certificate directory,
//! secret keys one file per fingerprint, and a lookup index.
//!
//! ```text
//! HOME/pgp.cert.d/    certificates (openpgp-cert-d format)
//! HOME/secret/FPR     transferable secret keys, encrypted at rest, 0600
//! HOME/index          one line per certificate, for fast lookups
//! HOME/lock           serializes every write
//! ```
//!
//! Every write happens under `HOME/lock` and replaces files by rename, so a
//! crash or a concurrent process never sees half a certificate.  The index
//! is derived data: it records the certificate directory's tag, and is
//! brought up to date whenever that tag differs.
//!
//! ```text
//! zpgp-index 3 TAG N          header: the cert-d tag, the length N of:
//! FPR \t TAG \t …             one line per certificate (see make_entry),
//! …                           in fingerprint order (N bytes), then
//! HASH OFFSET                 per email address and certificate, the
//! …                           address's hash and where the certificate's
//!                             line starts, sorted: lookups by address
//!                             are a binary search, not a scan
//! ```

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::ops::Range;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use openpgp::parse::Parse;
use openpgp::serialize::{Serialize, SerializeInto};
use openpgp::{Cert, Fingerprint};
use openpgp_cert_d::{CertD, MergeResult, Tag};
use sequoia_openpgp as openpgp;

use crate::error::{Error, Failure};
use crate::query::Query;

/// Version 3 lists only bound components; an index of an earlier version
/// is rebuilt from the certificates, never reused line by line.
const INDEX_MAGIC: &str = "zpgp-index 3";

pub struct Keyring {
    home: PathBuf,
    certd: CertD,
    secret_dir: PathBuf,
}

/// Held while writing; the lock is released when this is dropped.
pub struct WriteLock {
    _file: File,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    New,
    Updated,
    Unchanged,
}

impl std::fmt::Display for ImportStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ImportStatus::New => "new",
            ImportStatus::Updated => "updated",
            ImportStatus::Unchanged => "unchanged",
        })
    }
}

/// What importing one certificate changed.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub fingerprint: Fingerprint,
    pub public: ImportStatus,
    /// Set when the import carried secret key material.
    pub secret: Option<ImportStatus>,
    /// The certificate as now on file.
    pub cert: Cert,
}

/// The index file's bytes: mapped (lookups read only the pages they
/// touch, with no copy), or read when mapping is not possible.
enum IndexBytes {
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
struct Index {
    bytes: IndexBytes,
    /// The certificates' lines, in fingerprint order.
    certs: Range<usize>,
    /// The email table: fixed-size `HASH OFFSET` records, sorted.
    emails: Range<usize>,
}

/// One record of the email table: the address's hash (16 hex digits), a
/// space, the offset of the certificate's line in the certificates'
/// section (12 hex digits), a newline.
const EMAIL_RECORD: usize = 30;

/// The hash of an email address in the index (64-bit FNV-1a: stable, and
/// every hit is checked against the certificate's line).
fn email_hash(email: &str) -> u64 {
    email.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Index {
    fn empty() -> Index {
        Index {
            bytes: IndexBytes::Owned(Vec::new()),
            certs: 0..0,
            emails: 0..0,
        }
    }

    fn certs(&self) -> &[u8] {
        &self.bytes[self.certs.clone()]
    }

    fn emails(&self) -> &[u8] {
        &self.bytes[self.emails.clone()]
    }
}

/// The tag recorded in an index file and the ranges of its two sections,
/// when the file is an index in this version's format.
fn index_layout(bytes: &[u8]) -> Option<(u64, Range<usize>, Range<usize>)> {
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
fn index_certs(text: &str) -> &str {
    index_layout(text.as_bytes())
        .and_then(|(_, certs, _)| text.get(certs))
        .unwrap_or("")
}

/// One certificate's line in the index.
#[derive(Debug, Clone)]
struct Entry {
    tag: u64,
    line: String,
}

impl Keyring {
    /// Opens the keyring at `home`, creating it (mode 0700) when missing.
    pub fn open(home: &Path) -> Result<Keyring> {
        create_private_dir(home).map_err(|e| {
            let hint = if e.kind() == ErrorKind::PermissionDenied {
                "choose a home you can write to with --home DIR or ZPGP_HOME"
            } else {
                "check the path, or choose another home with --home DIR"
            };
            anyhow::Error::from(
                Error::new(
                    Failure::MissingInput,
                    format!("cannot create the keyring home {}: {e}", home.display()),
                )
                .hint(hint),
            )
        })?;
        if !home.is_dir() {
            return Err(Error::new(
                Failure::MissingInput,
                format!("the keyring home {} is not a directory", home.display()),
            )
            .into());
        }
        let certd_dir = home.join("pgp.cert.d");
        let secret_dir = home.join("secret");
        for dir in [&certd_dir, &secret_dir] {
            create_private_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        // Another user who owns or may write here could swap
        // certificates or plant keys; one who may read secret/ learns
        // which keys are held and gets their encrypted secrets to attack
        // offline.
        check_owner(home, "the keyring home")?;
        check_owner(&secret_dir, "the secret key directory")?;
        check_mode(home, 0o022, "the keyring home", "go-w")?;
        check_mode(&certd_dir, 0o022, "the certificate directory", "go-w")?;
        check_mode(&secret_dir, 0o077, "the secret key directory", "700")?;
        let certd = CertD::with_base_dir(&certd_dir)
            .with_context(|| format!("cannot open {}", certd_dir.display()))?;
        Ok(Keyring {
            home: home.to_path_buf(),
            certd,
            secret_dir,
        })
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Takes the keyring's write lock, waiting for other writers.
    pub fn lock(&self) -> Result<WriteLock> {
        let path = self.home.join("lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| {
                anyhow::Error::from(
                    Error::new(
                        Failure::MissingInput,
                        format!(
                            "cannot write to the keyring at {}: {e}",
                            self.home.display()
                        ),
                    )
                    .hint("check the permissions of the keyring home, or use --home DIR"),
                )
            })?;
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(std::io::Error::last_os_error())
                .with_context(|| format!("cannot lock {}", path.display()));
        }
        Ok(WriteLock { _file: file })
    }

    /// The certificate with this primary fingerprint, if on file.
    pub fn get(&self, fpr: &Fingerprint) -> Result<Option<Cert>> {
        let name = format!("{fpr:x}");
        match self.certd.get(&name) {
            Ok(Some((_, data))) => {
                Ok(Some(Cert::from_bytes(&data).with_context(|| {
                    format!("the certificate {fpr:X} on file is damaged")
                })?))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(anyhow::Error::from(e).context(format!("cannot read {fpr:X}"))),
        }
    }

    /// Every certificate on file, in fingerprint order.  A damaged file is
    /// reported on stderr and skipped, so one bad file does not hide the
    /// rest.
    pub fn certs(&self) -> Result<Vec<Cert>> {
        let mut certs = Vec::new();
        for item in self.certd.iter() {
            let (fpr, _, data) = item.context("cannot read the certificate directory")?;
            match Cert::from_bytes(&data) {
                Ok(c) => certs.push(c),
                Err(e) => eprintln!("zpgp: warning: skipping damaged certificate {fpr}: {e}"),
            }
        }
        certs.sort_by_key(|c| c.fingerprint());
        Ok(certs)
    }

    /// Fingerprints of the certificates matching `query`.
    pub fn lookup(&self, query: &Query) -> Result<Vec<Fingerprint>> {
        if let Query::Fingerprint(fp) = query {
            if self.certd.get_file(&format!("{fp:x}"))?.is_some() {
                return Ok(vec![fp.clone()]);
            }
        }
        let index = self.index()?;
        Ok(search_index(&index, query))
    }

    /// The certificates holding any of these keys (primary or subkey), for
    /// checking signatures by issuer.  Lookup failures count as not found.
    pub fn certs_by_handles(&self, handles: &[openpgp::KeyHandle]) -> Vec<Cert> {
        let mut fprs: Vec<Fingerprint> = Vec::new();
        for h in handles {
            let q = match h {
                openpgp::KeyHandle::Fingerprint(f) => Query::Fingerprint(f.clone()),
                openpgp::KeyHandle::KeyID(k) => Query::KeyId(k.clone()),
            };
            for f in self.lookup(&q).unwrap_or_default() {
                if !fprs.contains(&f) {
                    fprs.push(f);
                }
            }
        }
        fprs.iter()
            .filter_map(|f| self.get(f).ok().flatten())
            .collect()
    }

    /// The one certificate `query` names: an error when none or several
    /// match.
    pub fn find(&self, query: &str) -> Result<Cert> {
        let parsed = Query::parse(query).map_err(|e| Error::new(Failure::KeyNotFound, e))?;
        let mut found = self.lookup(&parsed)?;
        match found.len() {
            0 => Err(Error::new(
                Failure::KeyNotFound,
                format!("no key in the keyring matches {parsed}"),
            )
            .hint(
                "see the keys on file with 'zpgp list', or import the key first: zpgp import FILE",
            )
            .into()),
            1 => {
                let fpr = found.pop().expect("one");
                self.get(&fpr)?.ok_or_else(|| {
                    Error::new(
                        Failure::KeyNotFound,
                        format!("the key {fpr:X} vanished from the keyring"),
                    )
                    .into()
                })
            }
            _ => {
                let mut msg = format!("{parsed} matches {} keys:", found.len());
                for fpr in &found {
                    let uid = self
                        .get(fpr)
                        .ok()
                        .flatten()
                        .and_then(|c| crate::ops::keys::primary_user_id(&c, &POLICY, None))
                        .unwrap_or_default();
                    msg.push_str(&format!("\n  {fpr:X} {}", crate::display::Safe(&uid)));
                }
                Err(Error::new(Failure::AmbiguousInput, msg)
                    .hint("name one key by its full fingerprint")
                    .into())
            }
        }
    }

    /// Whether a secret key is held for this primary fingerprint.
    pub fn has_secret(&self, fpr: &Fingerprint) -> bool {
        self.secret_path(fpr).exists()
    }

    /// Fingerprints of every secret key held.
    pub fn secret_fingerprints(&self) -> Result<Vec<Fingerprint>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.secret_dir)
            .with_context(|| format!("cannot read {}", self.secret_dir.display()))?
        {
            let name = entry?.file_name();
            if let Some(fpr) = name.to_str().and_then(|n| n.parse::<Fingerprint>().ok()) {
                out.push(fpr);
            }
        }
        out.sort();
        Ok(out)
    }

    /// The transferable secret key for this primary fingerprint, if held.
    pub fn secret(&self, fpr: &Fingerprint) -> Result<Option<Cert>> {
        let path = self.secret_path(fpr);
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        // Checked on the open file, so a swap after the check cannot slip
        // another file in.
        let mode = file
            .metadata()
            .with_context(|| format!("cannot read {}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(unsafe_mode(&path, mode, "the secret key file", "600"));
        }
        let mut data = Vec::new();
        file.read_to_end(&mut data)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let data = openpgp::crypto::mem::Protected::from(data);
        Ok(Some(Cert::from_bytes(&data[..]).with_context(|| {
            format!("the secret key file {} is damaged", path.display())
        })?))
    }

    fn secret_path(&self, fpr: &Fingerprint) -> PathBuf {
        self.secret_dir.join(format!("{fpr:X}"))
    }

    /// Imports certificates and secret keys, merging each with what is on
    /// file.  Secret key material goes to the secret store, the public
    /// part to the certificate directory.
    pub fn import(&self, certs: Vec<Cert>) -> Result<Vec<ImportOutcome>> {
        let mut outcomes = Vec::with_capacity(certs.len());
        self.import_each(certs, |o| outcomes.push(o))?;
        Ok(outcomes)
    }

    /// Like [`Keyring::import`], one certificate at a time: each outcome
    /// goes to `on_outcome` and is dropped, so a keyring of any size
    /// imports in bounded memory.  The index is written once, at the end.
    pub fn import_each<I>(&self, certs: I, mut on_outcome: impl FnMut(ImportOutcome)) -> Result<()>
    where
        I: IntoIterator<Item = Cert>,
    {
        let lock = self.lock()?;
        let mut index = self.fresh_index(&lock)?;
        for cert in certs {
            let fpr = cert.fingerprint();
            let secret = if cert.is_tsk() {
                Some(self.merge_secret(&lock, cert.clone())?)
            } else {
                None
            };
            let (public, merged, tag) = self.merge_public(cert.strip_secret_key_material())?;
            index.insert(format!("{fpr:X}"), make_entry(&merged, tag.0));
            on_outcome(ImportOutcome {
                fingerprint: fpr,
                public,
                secret,
                cert: merged,
            });
        }
        self.write_index(&lock, &index)
    }

    /// Replaces a held secret key with `tsk` (same fingerprint), e.g. after
    /// a passphrase change.  The old file stays until the new one is whole.
    pub fn replace_secret(&self, tsk: &Cert) -> Result<()> {
        let lock = self.lock()?;
        self.write_secret(&lock, tsk)
    }

    /// Removes a certificate, and with `secret` its secret key.
    pub fn delete(&self, fpr: &Fingerprint, secret: bool) -> Result<()> {
        let lock = self.lock()?;
        let mut index = self.fresh_index(&lock)?;
        if secret {
            let path = self.secret_path(fpr);
            match fs::remove_file(&path) {
                Ok(()) => sync_dir(&self.secret_dir)?,
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot remove {}", path.display()));
                }
            }
        }
        let path = self.certd.get_path(&format!("{fpr:x}"))?;
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", path.display())),
        }
        index.remove(&format!("{fpr:X}"));
        self.write_index(&lock, &index)
    }

    /// Merges `cert` into the certificate directory; returns what changed,
    /// the certificate as now on file, and its file's tag.
    fn merge_public(&self, cert: Cert) -> Result<(ImportStatus, Cert, Tag)> {
        let fpr = cert.fingerprint();
        let mut status = ImportStatus::New;
        let mut result = None;
        let (tag, _) = self
            .certd
            .insert(&format!("{fpr:x}"), cert, false, |new, old| {
                let merged = match old {
                    None => new,
                    Some(old) => {
                        let old = Cert::from_bytes(old).map_err(to_certd_error)?;
                        let merged = old.clone().merge_public(new).map_err(to_certd_error)?;
                        if merged == old {
                            status = ImportStatus::Unchanged;
                            result = Some(old);
                            return Ok(MergeResult::Keep);
                        }
                        status = ImportStatus::Updated;
                        merged
                    }
                };
                let bytes = merged.to_vec().map_err(to_certd_error)?;
                result = Some(merged);
                Ok(MergeResult::Data(bytes))
            })
            .with_context(|| format!("cannot store the certificate {fpr:X}"))?;
        Ok((status, result.expect("set by the merge callback"), tag))
    }

    fn merge_secret(&self, lock: &WriteLock, tsk: Cert) -> Result<ImportStatus> {
        let fpr = tsk.fingerprint();
        match self.secret(&fpr)? {
            None => {
                self.write_secret(lock, &tsk)?;
                Ok(ImportStatus::New)
            }
            Some(old) => {
                let merged = old.clone().merge_public_and_secret(tsk)?;
                if merged == old && secrets_equal(&merged, &old) {
                    Ok(ImportStatus::Unchanged)
                } else {
                    self.write_secret(lock, &merged)?;
                    Ok(ImportStatus::Updated)
                }
            }
        }
    }

    fn write_secret(&self, _lock: &WriteLock, tsk: &Cert) -> Result<()> {
        // Sized up front so no reallocation leaves a copy behind; the
        // buffer is zeroed when dropped (an unprotected key is plaintext).
        let mut data = Vec::with_capacity(tsk.as_tsk().serialized_len());
        tsk.as_tsk()
            .serialize(&mut data)
            .context("cannot serialize the secret key")?;
        let data = openpgp::crypto::mem::Protected::from(data);
        write_atomic(
            &self.secret_dir,
            &self.secret_path(&tsk.fingerprint()),
            &[&data],
        )
    }

    // The index --------------------------------------------------------

    fn index_path(&self) -> PathBuf {
        self.home.join("index")
    }

    /// The index, brought up to date first when the certificate directory
    /// changed behind it.
    fn index(&self) -> Result<Index> {
        let tag = self.certd.tag();
        if let Some(index) = self.read_index(tag)? {
            return Ok(index);
        }
        let lock = self.lock()?;
        let tag = self.certd.tag();
        if let Some(index) = self.read_index(tag)? {
            return Ok(index);
        }
        let index = self.rebuild_index(&lock)?;
        self.write_index(&lock, &index)?;
        Ok(self
            .read_index(self.certd.tag())?
            .unwrap_or_else(Index::empty))
    }

    /// The index when its recorded tag is `tag` (and it is in this
    /// version's format).
    fn read_index(&self, tag: Tag) -> Result<Option<Index>> {
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
        // SAFETY: the index is only ever replaced by rename, never changed
        // in place, so the mapped file does not change under us.
        let bytes = match unsafe { memmap2::Mmap::map(&file) } {
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
    fn fresh_index(&self, lock: &WriteLock) -> Result<BTreeMap<String, Entry>> {
        let tag = self.certd.tag();
        match self.read_index(tag)? {
            Some(index) => Ok(parse_index(&String::from_utf8_lossy(index.certs()))),
            None => self.rebuild_index(lock),
        }
    }

    /// Brings the index in line with the certificate directory, parsing
    /// only the certificates whose files changed.
    fn rebuild_index(&self, _lock: &WriteLock) -> Result<BTreeMap<String, Entry>> {
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
                Err(e) => eprintln!("zpgp: warning: skipping damaged certificate {name}: {e}"),
            }
        }
        Ok(new)
    }

    fn write_index(&self, _lock: &WriteLock, index: &BTreeMap<String, Entry>) -> Result<()> {
        let [header, certs, table] = index_text(self.certd.tag().0, index);
        write_atomic(
            &self.home,
            &self.index_path(),
            &[header.as_bytes(), certs.as_bytes(), table.as_bytes()],
        )
    }
}

fn to_certd_error(e: anyhow::Error) -> openpgp_cert_d::Error {
    openpgp_cert_d::Error::IoError(std::io::Error::other(e.to_string()))
}

/// Whether two keys carry the same secret material (`Cert` equality
/// looks at public data only).
fn secrets_equal(a: &Cert, b: &Cert) -> bool {
    a.as_tsk().to_vec().ok() == b.as_tsk().to_vec().ok()
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
fn make_entry(cert: &Cert, tag: u64) -> Entry {
    let vc = cert.with_policy(&POLICY, None).ok();
    let mut line = format!("{:X}", cert.fingerprint());
    let subkeys = vc.iter().flat_map(|vc| vc.keys().subkeys());
    for k in subkeys {
        line.push(' ');
        line.push_str(&format!("{:X}", k.key().fingerprint()));
    }
    line.push('\t');
    let userids: Vec<&openpgp::packet::UserID> = vc
        .iter()
        .flat_map(|vc| vc.userids())
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
static POLICY: openpgp::policy::StandardPolicy<'static> = openpgp::policy::StandardPolicy::new();

/// An index file's text: its header, its certificates' lines and its email
/// table.
fn index_text(tag: u64, index: &BTreeMap<String, Entry>) -> [String; 3] {
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
fn email_record(hash: u64, offset: u64) -> [u8; EMAIL_RECORD] {
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
fn entry_emails(line: &str) -> impl Iterator<Item = &str> {
    line.split('\t')
        .nth(1)
        .unwrap_or("")
        .split('>')
        .filter_map(|e| e.strip_prefix('<'))
}

/// The certificates' lines of an index (without its header).
fn parse_index(text: &str) -> BTreeMap<String, Entry> {
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

/// Matching certificates in the index: by binary search in its email
/// table, or else by a scan of its certificates' lines.
fn search_index(index: &Index, query: &Query) -> Vec<Fingerprint> {
    match query {
        Query::Email(e) => search_emails(index, e),
        _ => scan_certs(index.certs(), query),
    }
}

/// The certificates with this email address, in fingerprint order: the
/// email table's records with the address's hash, each checked against
/// its certificate's line.
fn search_emails(index: &Index, email: &str) -> Vec<Fingerprint> {
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
fn scan_certs(body: &[u8], query: &Query) -> Vec<Fingerprint> {
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
fn key_id_matches(fprs: &str, id: &str) -> bool {
    fprs.split(' ').any(|f| match f.len() {
        40 => f.ends_with(id),
        64 => f.starts_with(id),
        _ => false,
    })
}

/// Refuses `path` when its mode has any of the `forbidden` bits, naming
/// the fix (`chmod FIX PATH`).
fn check_mode(path: &Path, forbidden: u32, what: &str, fix: &str) -> Result<()> {
    let mode = fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .permissions()
        .mode();
    if mode & forbidden != 0 {
        return Err(unsafe_mode(path, mode, what, fix));
    }
    Ok(())
}

/// Refuses `path` unless the current user owns it (as gpg does for its
/// home): its owner can change its mode, or swap what is in it, at will.
fn check_owner(path: &Path, what: &str) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let owner = fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .uid();
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if owner != me {
        return Err(crate::error::unsafe_error(
            format!(
                "refusing to use {what} {}: it belongs to user {owner}, not to you (user {me})",
                path.display()
            ),
            format!(
                "make it yours: chown {me} {}, or choose another home with --home DIR",
                shell_quote(path)
            ),
        ));
    }
    Ok(())
}

fn unsafe_mode(path: &Path, mode: u32, what: &str, fix: &str) -> anyhow::Error {
    let may = if mode & 0o022 != 0 {
        "write to"
    } else {
        "read"
    };
    crate::error::unsafe_error(
        format!(
            "refusing to use {what} {}: other users may {may} it (mode {:04o})",
            path.display(),
            mode & 0o7777
        ),
        format!("make it private: chmod {fix} {}", shell_quote(path)),
    )
}

/// A path as a shell word, for hints the user may paste.
fn shell_quote(path: &Path) -> String {
    let s = path.display().to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%,".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    match fs::DirBuilder::new()
        .recursive(false)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            // Parents are ordinary directories; only the last is private.
            if let Some(parent) = dir.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::DirBuilder::new().mode(0o700).create(dir).or_else(|e| {
                if e.kind() == ErrorKind::AlreadyExists {
                    Ok(())
                } else {
                    Err(e)
                }
            })
        }
        Err(e) => Err(e),
    }
}

/// Writes `parts`, one after the other, to `path` by way of a temporary
/// file (mode 0600) in `dir`, synced before and after the rename, so `path`
/// is always either old or new.
fn write_atomic(dir: &Path, path: &Path, parts: &[&[u8]]) -> Result<()> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    for data in parts {
        tmp.write_all(data)?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use openpgp::cert::prelude::*;

    fn cert(uid: &str) -> Cert {
        CertBuilder::general_purpose(Some(uid))
            .generate()
            .unwrap()
            .0
    }

    #[test]
    fn index_finds_by_every_query_kind() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::open(dir.path()).unwrap();
        let a = cert("Alice Lovelace <alice@example.org>");
        let b = cert("Bob <bob@example.org>");
        kr.import(vec![a.clone().strip_secret_key_material(), b.clone()])
            .unwrap();
        let q = |s: &str| kr.lookup(&Query::parse(s).unwrap()).unwrap();
        assert_eq!(q("alice@example.org"), vec![a.fingerprint()]);
        assert_eq!(q("<BOB@example.org>"), vec![b.fingerprint()]);
        assert_eq!(q("lovelace"), vec![a.fingerprint()]);
        assert_eq!(q("example.org").len(), 2);
        let sub = a.keys().subkeys().next().unwrap().key().fingerprint();
        assert_eq!(q(&format!("{sub:X}")), vec![a.fingerprint()]);
        assert_eq!(q(&format!("{:X}", a.keyid())), vec![a.fingerprint()]);
        assert!(q("carol@example.org").is_empty());
        assert!(kr.has_secret(&b.fingerprint()));
        assert!(!kr.has_secret(&a.fingerprint()));
    }

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

    #[test]
    fn reimport_is_unchanged_and_merge_adds_userids() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::open(dir.path()).unwrap();
        let a = cert("<a@example.org>");
        let pub_a = a.clone().strip_secret_key_material();
        let out = kr.import(vec![pub_a.clone()]).unwrap();
        assert_eq!(out[0].public, ImportStatus::New);
        let out = kr.import(vec![pub_a]).unwrap();
        assert_eq!(out[0].public, ImportStatus::Unchanged);

        let mut signer = a
            .primary_key()
            .key()
            .clone()
            .parts_into_secret()
            .unwrap()
            .into_keypair()
            .unwrap();
        let uid = openpgp::packet::UserID::from("<a2@example.org>");
        let sig = uid
            .bind(
                &mut signer,
                &a,
                openpgp::packet::signature::SignatureBuilder::new(
                    openpgp::types::SignatureType::PositiveCertification,
                ),
            )
            .unwrap();
        let a2 = a
            .insert_packets(vec![openpgp::Packet::from(uid), sig.into()])
            .unwrap()
            .0;
        let out = kr.import(vec![a2.strip_secret_key_material()]).unwrap();
        assert_eq!(out[0].public, ImportStatus::Updated);
        assert_eq!(out[0].cert.userids().count(), 2);
        let q = |s: &str| kr.lookup(&Query::parse(s).unwrap()).unwrap();
        assert_eq!(q("a2@example.org").len(), 1);
    }
}
