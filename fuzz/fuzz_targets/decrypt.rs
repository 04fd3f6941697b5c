#![no_main]
//! cargo-fuzz target: `cargo +nightly fuzz run decrypt fuzz/corpus/decrypt`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zpgp::fuzz::decrypt(data));
