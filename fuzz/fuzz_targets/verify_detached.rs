#![no_main]
//! cargo-fuzz target: `cargo +nightly fuzz run verify_detached fuzz/corpus/verify_detached`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zpgp::fuzz::verify_detached(data));
