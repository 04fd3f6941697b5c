//! `zpgp-gpg`: zpgp as git's OpenPGP signing program (`gpg.program`),
//! taking the GnuPG arguments git passes and printing the status lines it
//! reads.

#![deny(unsafe_code)]

fn main() -> std::process::ExitCode {
    // It holds an unlocked signing key.
    zpgp::sys::disable_core_dumps();
    zpgp::gpg::main()
}
