#![no_main]
//! cargo-fuzz target: `cargo +nightly fuzz run query fuzz/corpus/query`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zpgp::fuzz::query(data));
