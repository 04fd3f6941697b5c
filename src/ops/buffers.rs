//! The sizes of the buffers a stream passes through on its way from the
//! input to the output, in one place, so that what one of them relies on
//! in another is checked by the compiler instead of told in a comment.
//! All are 1 MiB today; each says why it is what it is, and the asserts
//! below say which must move together.

/// The unit they are counted in.
const MIB: usize = 1 << 20;

/// Every buffer around the caller's streams: the ops' readers and writers,
/// `output`'s writer, `readahead`'s chunks.  Big enough that the crypto,
/// not the system calls, sets the pace.
pub const IO_BUFFER_SIZE: usize = MIB;

/// How much plaintext the decryptor and verifier hold back until they have
/// checked it (sequoia's `buffer_size`).  A message no larger than this is
/// fully authenticated before the first byte is written; larger messages
/// stream, and their verdict comes at the end.  Each layer of sequoia's
/// reader stack may buffer this much, so it sets the memory of every
/// operation: the measured peak RSS of a 256 MiB sign+encrypt and
/// decrypt+verify is about 27 MiB at 1 MiB, 54 MiB at 4 MiB (sequoia's own
/// default, 25 MB, costs far more).
pub const DEFAULT_BUFFER_SIZE: usize = MIB;

/// Below this much data the fast paths do not pay: their threads and the
/// libcrypto algorithm tables they set up (the `openssl` crate uses its own
/// library context, not sequoia's) cost about 1.5 ms, what they save on
/// about half a megabyte.
pub const FAST_MIN_SIZE: usize = MIB;

/// The fast encryptor's plaintext buffer, which is also the partial body
/// chunk of its output.
pub const FAST_ENCRYPT_CHUNK: usize = MIB;

/// Ciphertext the fast decryptor reads per job.  Each job yields at least
/// this much plaintext, so `output`'s writer passes it through without a
/// copy.
pub const FAST_DECRYPT_JOB: usize = IO_BUFFER_SIZE;

/// Plaintext the fast paths' writing thread takes per write, through
/// `output`'s writer without a copy too.
pub const FAST_WRITE_JOB: usize = IO_BUFFER_SIZE;

/// A file larger than this is read on a second thread (`readahead`); one
/// that fits in a chunk is read at once, and a thread would cost more than
/// it saves.
pub const READ_AHEAD_MIN_FILE: u64 = IO_BUFFER_SIZE as u64;

// A partial body length is a power of two from 512 bytes to 1 GiB
// (RFC 9580, section 4.2.1.4).
const _: () = assert!(
    FAST_ENCRYPT_CHUNK.is_power_of_two()
        && FAST_ENCRYPT_CHUNK >= 512
        && FAST_ENCRYPT_CHUNK <= 1 << 30
);
// A `BufWriter` copies writes smaller than its capacity into its buffer.
const _: () = assert!(FAST_DECRYPT_JOB >= IO_BUFFER_SIZE && FAST_WRITE_JOB >= IO_BUFFER_SIZE);
