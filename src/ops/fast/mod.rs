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
//! Only AES with CFB, OCB or GCM; any other cipher, and any message they
//! cannot parse, goes through sequoia's own path.

pub(crate) mod crypto;
pub(crate) mod decrypt;
pub(crate) mod encrypt;
pub(crate) mod literal;
#[cfg(test)]
mod tests;
pub(crate) mod writer;
