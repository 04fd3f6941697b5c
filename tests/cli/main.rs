//! Integration tests: the real binary, driven in temporary homes.

mod agent;
mod binding;
mod certify;
mod concurrency;
mod concurrency_load;
mod crash;
mod debian_keyring;
mod docs;
mod fastpath;
mod fuzz;
mod git;
mod gpg_import;
mod gpg_keys;
mod gpg_messages;
mod gpg_upkeep;
mod habits;
mod harness;
mod hints;
mod hostile;
mod inspect;
mod keyfiles;
mod keys;
mod messages;
mod messages_errors;
mod messages_sign;
mod multi;
#[cfg(feature = "crypto-openssl")]
mod network;
mod output_safety;
mod packets;
mod passphrase_quality;
mod policy;
mod rfc9580;
mod secrets;
mod secrets_hardening;
#[cfg(feature = "crypto-openssl")]
mod servers;
mod sop;
mod sop_errors;
mod sop_peers;
mod sop_update;
mod source_rules;
mod tamper;
mod tools;
mod trust;
