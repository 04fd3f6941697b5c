//! Integration tests: the real binary, driven in temporary homes.

mod concurrency;
mod concurrency_load;
mod crash;
mod docs;
mod fastpath;
mod fuzz;
mod gpg_keys;
mod gpg_messages;
mod harness;
mod hints;
mod hostile;
mod inspect;
mod keys;
mod messages;
mod messages_errors;
mod messages_sign;
mod policy;
mod rfc9580;
mod secrets;
mod secrets_hardening;
mod sop;
mod sop_errors;
mod sop_peers;
mod sop_update;
mod tamper;
mod tools;
