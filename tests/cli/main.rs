//! Integration tests: the real binary, driven in temporary homes.

mod gpg_keys;
mod harness;
mod keys;
