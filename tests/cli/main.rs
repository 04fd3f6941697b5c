//! Integration tests: the real binary, driven in temporary homes.

mod harness;
mod keys;
