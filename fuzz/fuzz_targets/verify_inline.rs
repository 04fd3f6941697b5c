#![no_main]
//! cargo-fuzz target: `cargo +nightly fuzz run verify_inline fuzz/corpus/verify_inline`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zpgp::fuzz::verify_inline(data));
