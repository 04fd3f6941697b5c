#![no_main]
//! cargo-fuzz target: `cargo +nightly fuzz run import fuzz/corpus/import`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zpgp::fuzz::import(data));
