//! zpgp: a careful, fast OpenPGP command-line tool on sequoia-openpgp.
//!
//! The binary is a thin shell around this library so that tests and fuzz
//! targets reach the same code.

pub mod error;
pub mod ops;
