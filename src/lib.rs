//! zpgp: a careful, fast OpenPGP command-line tool on sequoia-openpgp.
//!
//! The binary is a thin shell around this library so that tests and fuzz
//! targets reach the same code.
//!
//! Unsafe code lives in one module, [`sys`], each call behind a small safe
//! function with its `SAFETY:` reasoning; everywhere else it is denied.

#![deny(unsafe_code)]

pub mod agent;
pub mod cli;
pub mod commands;
pub mod config;
pub mod context;
pub mod display;
pub mod error;
pub mod fuzz;
pub mod gpg;
pub mod keyring;
pub mod man;
pub mod net;
pub mod ops;
pub mod output;
pub mod passphrase;
pub mod policy;
pub mod printer;
pub mod query;
pub mod readahead;
pub mod sop;
#[allow(unsafe_code)]
pub mod sys;
pub mod time;
pub mod trust;
