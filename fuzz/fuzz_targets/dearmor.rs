#![no_main]
//! cargo-fuzz target: `cargo +nightly fuzz run dearmor fuzz/corpus/dearmor`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zpgp::fuzz::dearmor(data));
