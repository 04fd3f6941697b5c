//! Stateless OpenPGP operations over sequoia-openpgp.
//!
//! They take certificates, keys, passwords and streams, and return reports;
//! they know nothing of the keyring or of the command line.

pub mod generate;
pub mod keyinfo;
