//! Sequoia's signature verification cache, kept between runs.
//!
//! Every command that reads a certificate checks its self-signatures:
//! four public-key verifications for a typical certificate, a third of
//! the work of encrypting a short message.  Sequoia remembers the
//! signatures it verified, keyed by a hash of the signature, the digest
//! it signs and the key that made it, so a changed certificate, subkey or
//! signature is a different key and verified again; only good results
//! are kept.  The file holds those keys (32 bytes each), nothing secret;
//! it lives in the home with the keyring it vouches for, and whoever can
//! write it could as well replace the certificates.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::Receiver;

use sequoia_openpgp::packet::signature::cache::SignatureVerificationCache as Cache;

const FILE: &str = "signature-cache";
const ENTRY: usize = 32;
/// At most this many entries (2 MiB) are kept: read whole on every run,
/// a larger file would cost more than the verifications it saves.
const MAX_ENTRIES: usize = 1 << 16;

fn path(home: &Path) -> PathBuf {
    home.join(FILE)
}

/// Starts loading the cache of `home` into sequoia's, on sequoia's own
/// thread, and returns at once: the thread's start overlaps the command's
/// own start-up.  [`ready`] waits for the load to finish; the keyring
/// calls it before it parses a certificate, so that the checks of its
/// self-signatures find the entries, and before saving.  A verification
/// that runs earlier only misses the cache: the cache never decides a
/// verification, it skips one already done.  A missing or damaged file
/// is no cache.
pub(super) fn load(home: &Path) {
    let mut data = Vec::new();
    let read = std::fs::File::open(path(home)).and_then(|f| {
        f.take((MAX_ENTRIES * ENTRY) as u64 + 1)
            .read_to_end(&mut data)
    });
    if read.is_err()
        || data.is_empty()
        || data.len() % ENTRY != 0
        || data.len() > MAX_ENTRIES * ENTRY
    {
        return;
    }
    let entries = (0..data.len() / ENTRY).map(move |i| data[i * ENTRY..(i + 1) * ENTRY].to_vec());
    let (done, wait) = std::sync::mpsc::sync_channel(1);
    *PENDING.lock().unwrap_or_else(|e| e.into_inner()) = Some(wait);
    Cache::restore(entries, move || {
        let _ = done.send(());
    });
}

/// The end of a load still under way.
static PENDING: Mutex<Option<Receiver<()>>> = Mutex::new(None);

/// Waits until a load started by [`load`] is complete (at once when none
/// is under way).
pub(super) fn ready() {
    let pending = PENDING.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(wait) = pending {
        let _ = wait.recv();
    }
}

/// Writes sequoia's cache to `home` when this run verified something new
/// besides signatures over messages: the entries used or added in this
/// run first, then older ones, up to [`MAX_ENTRIES`].  Not synced: a lost
/// cache costs only time.
///
/// Sequoia's cache holds message signatures too, but one is seldom
/// checked twice: a run whose only new entries are those leaves the file
/// alone, which saves a write per verification and keeps small the file
/// every run reads.
pub(super) fn save(home: &Path) {
    // Restored entries that are not in yet would be left out of the file.
    ready();
    if Cache::insertions() <= crate::ops::report::take_good_message_signatures() {
        Cache::clear_insertions();
        return;
    }
    let (mut recent, mut old): (Vec<_>, Vec<_>) = Cache::dump()
        .into_iter()
        .partition(|e| e.inserted() || e.accessed());
    recent.truncate(MAX_ENTRIES);
    old.truncate(MAX_ENTRIES - recent.len());
    let mut data = Vec::with_capacity((recent.len() + old.len()) * ENTRY);
    // Sorted, as the restore sorts them: then cheaply.
    let mut values: Vec<&[u8]> = recent.iter().chain(&old).map(|e| e.value()).collect();
    values.sort_unstable();
    for v in values {
        data.extend_from_slice(v);
    }
    let write = || -> std::io::Result<()> {
        let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(home)?;
        tmp.write_all(&data)?;
        tmp.persist(path(home)).map_err(|e| e.error)?;
        Ok(())
    };
    // A home this process may not write to: no cache, no error.
    let _ = write();
    Cache::clear_insertions();
}
