//! `zpgp-sop`: the Stateless OpenPGP interface of zpgp as its own
//! executable, for test suites that drive a `sop` binary.

#![deny(unsafe_code)]

fn main() -> std::process::ExitCode {
    // It holds unlocked keys and plaintext too.
    zpgp::sys::disable_core_dumps();
    zpgp::sop::main()
}
