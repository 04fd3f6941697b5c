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
//! [`MIN_SIZE`]; any other cipher, any smaller message and any message they
//! cannot parse goes through sequoia's own path.

pub(crate) mod crypto;
pub(crate) mod decrypt;
pub(crate) mod encrypt;
pub(crate) mod literal;
#[cfg(test)]
mod tests;
pub(crate) mod writer;

/// Below this much data the fast paths do not pay: their threads and the
/// libcrypto algorithm tables they set up (the `openssl` crate uses its own
/// library context, not sequoia's) cost about 1.5 ms, what they save on
/// about half a megabyte.
pub(crate) const MIN_SIZE: usize = 1 << 20;

#[cfg(test)]
thread_local! {
    static TEST_MIN_SIZE: std::cell::Cell<usize> = const { std::cell::Cell::new(MIN_SIZE) };
}

/// [`MIN_SIZE`], which tests lower to run the fast paths on small
/// messages (the RFC 9580 vectors, framing edge cases).
pub(crate) fn min_size() -> usize {
    #[cfg(test)]
    return TEST_MIN_SIZE.with(|m| m.get());
    #[cfg(not(test))]
    MIN_SIZE
}

#[cfg(test)]
pub(crate) fn set_min_size_for_this_thread(n: usize) {
    TEST_MIN_SIZE.with(|m| m.set(n));
}
