//! Fast paths for the encrypted containers (SEIPDv1 and SEIPDv2).
//!
//! Why they exist: sequoia computes the SEIPDv1 MDC with its
//! collision-detecting SHA-1 (a third of plain SHA-1's speed, though the
//! MDC is no signature), decrypts CFB serially, and for SEIPDv2 writes
//! 4 KiB chunks with a new cipher context for each; and all of it runs on
//! one core.  These paths keep sequoia for everything else (key packets,
//! session keys, the key schedule, the inner packets, signatures) and do
//! only the bulk cipher work themselves, on a second core, with libcrypto.
//! They write the same packets (byte for byte the same framing rules) and
//! keep every integrity check: the MDC, every chunk tag and the final tag
//! are checked before the plaintext reader reports the end of the data.
//!
//! Only AES with CFB, OCB or GCM, and only for messages of at least
//! [`FAST_MIN_SIZE`]; any other cipher, any smaller message and any message they
//! cannot parse goes through sequoia's own path.

pub(crate) mod crypto;
pub(crate) mod decrypt;
pub(crate) mod encrypt;
pub(crate) mod literal;
#[cfg(test)]
mod tests;
pub(crate) mod writer;

pub(crate) use super::buffers::FAST_MIN_SIZE;

use sequoia_openpgp::types::{AEADAlgorithm, SymmetricAlgorithm};

/// The encrypted container the fast paths write and read.
#[derive(Clone)]
pub(crate) enum Container {
    /// SEIPDv1: CFB with a modification detection code; the cipher comes
    /// with the session key.
    V1,
    V2(Seipdv2),
}

/// The parameters of a SEIPDv2 container, from its header.
#[derive(Clone)]
pub(crate) struct Seipdv2 {
    pub sym: SymmetricAlgorithm,
    pub aead: AEADAlgorithm,
    /// Plaintext bytes per chunk.
    pub chunk: usize,
    pub salt: Vec<u8>,
}

/// Whether the fast path writes this container: AES, and for SEIPDv2
/// OCB or GCM.
pub(crate) fn can_write(v2: bool, sym: SymmetricAlgorithm, aead: AEADAlgorithm) -> bool {
    crypto::is_aes(sym) && (!v2 || crypto::aead_supported(sym, aead))
}

#[cfg(test)]
thread_local! {
    static TEST_MIN_SIZE: std::cell::Cell<usize> = const { std::cell::Cell::new(FAST_MIN_SIZE) };
}

/// [`FAST_MIN_SIZE`], which tests lower to run the fast paths on small
/// messages (the RFC 9580 vectors, framing edge cases).
pub(crate) fn min_size() -> usize {
    #[cfg(test)]
    return TEST_MIN_SIZE.with(|m| m.get());
    #[cfg(not(test))]
    FAST_MIN_SIZE
}

#[cfg(test)]
pub(crate) fn set_min_size_for_this_thread(n: usize) {
    TEST_MIN_SIZE.with(|m| m.set(n));
}

/// Buffers that travel to another thread and come back: reuse the ones
/// returned, allocate up to a limit, then wait for one.  (Fresh megabyte
/// buffers would each be mapped and faulted in anew.)
pub(crate) struct Pool {
    /// In a mutex only to be `Sync` where sequoia's writer stack needs it.
    back: std::sync::Mutex<std::sync::mpsc::Receiver<Vec<u8>>>,
    allocated: usize,
    limit: usize,
    capacity: usize,
}

impl Pool {
    /// A pool of at most `limit` buffers of `capacity` bytes, and where to
    /// send them back.
    pub fn new(limit: usize, capacity: usize) -> (Pool, std::sync::mpsc::Sender<Vec<u8>>) {
        let (tx, back) = std::sync::mpsc::channel();
        let pool = Pool {
            back: std::sync::Mutex::new(back),
            allocated: 0,
            limit,
            capacity,
        };
        (pool, tx)
    }

    /// An empty buffer, or `None` when the other thread is gone.
    pub fn get(&mut self) -> Option<Vec<u8>> {
        let back = self.back.get_mut().unwrap_or_else(|e| e.into_inner());
        let mut b = match back.try_recv() {
            Ok(b) => b,
            Err(_) if self.allocated < self.limit => {
                self.allocated += 1;
                Vec::with_capacity(self.capacity)
            }
            Err(_) => back.recv().ok()?,
        };
        b.clear();
        Some(b)
    }
}
