#![no_main]
//! cargo-fuzz target: `cargo +nightly fuzz run cert_info fuzz/corpus/cert_info`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zpgp::fuzz::cert_info(data));
