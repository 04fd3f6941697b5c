//! `zpgp-sop`: the Stateless OpenPGP interface of zpgp as its own
//! executable, for test suites that drive a `sop` binary.

fn main() -> std::process::ExitCode {
    zpgp::sop::main()
}
