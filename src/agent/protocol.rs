//! What the client and the agent say to each other: one JSON object a
//! line, a request and then its answer, on a socket only the user can
//! reach.  Binary values (key packets, digests, ciphertexts, signatures,
//! session keys) travel as hex; the passphrase too, so that no JSON
//! escaping makes a copy of it.

use serde::{Deserialize, Serialize};

/// The longest line either side accepts: an RSA-4096 key packet in hex is
/// under 10 KiB; anything much longer is not from zpgp.
pub const MAX_LINE: usize = 256 * 1024;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Request {
    /// Which keys are unlocked, and the agent's own state.
    Status,
    /// Whether this key (fingerprint in hex) is unlocked.
    Has { key: String },
    /// Unlocks a secret key packet (still encrypted, in hex) with the
    /// passphrase (hex) and keeps it for `ttl` seconds since last use, at
    /// most `max_ttl` seconds in all.  The other keys of the same
    /// certificate (`siblings`) are unlocked too, after the answer, when
    /// the same passphrase opens them: the user has one passphrase for
    /// "my key", whichever subkey a command needs.
    Unlock {
        packet: String,
        #[serde(default)]
        siblings: Vec<String>,
        passphrase: String,
        ttl: u64,
        max_ttl: u64,
    },
    /// Signs a digest made with hash algorithm `hash` (its RFC 9580 ID).
    Sign {
        key: String,
        hash: u8,
        digest: String,
    },
    /// Decrypts a session key (the PKESK's ciphertext, serialized).
    Decrypt {
        key: String,
        ciphertext: String,
        plaintext_len: Option<usize>,
    },
    /// Forgets these keys (fingerprints of any key, primary or subkey),
    /// or every key when empty.
    Forget { keys: Vec<String> },
    /// Forgets every key and stops.
    Stop,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "kebab-case")]
pub enum Response {
    Status(Status),
    /// The key is unlocked until `expires` (Unix time).
    Unlocked {
        expires: u64,
    },
    /// The key is not unlocked (never was, forgotten, or its time is up).
    Locked,
    WrongPassphrase,
    Signature {
        mpis: String,
    },
    SessionKey {
        key: String,
    },
    /// How many keys were forgotten.
    Forgotten {
        count: usize,
    },
    Stopping,
    /// The request failed; `message` says why (never anything secret).
    Failed {
        message: String,
    },
}

/// What `zpgp agent --status` shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status {
    pub pid: u32,
    /// Unix time the agent started.
    pub started: u64,
    /// Whether the agent's memory is kept out of core files and away from
    /// debuggers (RLIMIT_CORE 0, not dumpable).
    pub core_dumps_disabled: bool,
    pub keys: Vec<KeyStatus>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyStatus {
    /// The fingerprint of the unlocked key (primary or subkey).
    pub fingerprint: String,
    /// Unix times.
    pub unlocked: u64,
    pub last_used: u64,
    /// When the agent forgets it, unless it is used again before.
    pub expires: u64,
    /// When it is forgotten at the latest, however often it is used.
    pub expires_at_most: u64,
}
