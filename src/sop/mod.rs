//! The Stateless OpenPGP interface (draft-dkg-openpgp-stateless-cli): a
//! second front door to the same operations as the main commands, with
//! keys and certificates given as files instead of keyring queries.
//!
//! Reached as `zpgp sop SUBCOMMAND …` and as the `zpgp-sop` binary.  Exit
//! codes are the one table of [`crate::error`].

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use clap::error::ErrorKind;

use crate::error::{Error, Failure, failure_of};
use crate::passphrase::{Fds, Param, Use};

pub mod cli;
mod io;
mod keys;
mod messages;

use cli::{SopCli, SopCommand};

/// The draft this interface follows.
pub const SOP_SPEC: &str = "draft-dkg-openpgp-stateless-cli-14";

/// Entry of the `zpgp-sop` binary.
pub fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let name = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "zpgp-sop".into());
    match run("zpgp-sop", args.into_iter().skip(1)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if crate::output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // The line quotes file names and what the system said.
            crate::printer::error_line(&name, &e);
            ExitCode::from(failure_of(&e).map_or(1, |f| f.exit_code()) as u8)
        }
    }
}

/// Parses `args` (without the program name) and runs the subcommand.
/// Usage errors carry the draft's codes: MISSING_ARG, UNSUPPORTED_OPTION,
/// UNSUPPORTED_SUBCOMMAND, INCOMPATIBLE_OPTIONS.
pub fn run(bin_name: &str, args: impl IntoIterator<Item = OsString>) -> Result<()> {
    let argv = std::iter::once(OsString::from(bin_name)).chain(args);
    let cli = match SopCli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            let failure = match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = e.print();
                    return Ok(());
                }
                ErrorKind::InvalidSubcommand => Failure::UnsupportedSubcommand,
                ErrorKind::MissingRequiredArgument
                | ErrorKind::MissingSubcommand
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => Failure::MissingArg,
                ErrorKind::ArgumentConflict => Failure::IncompatibleOptions,
                _ => Failure::UnsupportedOption,
            };
            // clap's message up to its usage block, on one line.
            let text = e.render().to_string();
            let line = text
                .lines()
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more"))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let line = match e.kind() {
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
                | ErrorKind::MissingSubcommand => "a subcommand is required (see --help)",
                _ => line.strip_prefix("error: ").unwrap_or(&line),
            };
            return Err(Error::new(failure, line.to_string()).into());
        }
    };
    // Descriptors first, before anything is opened (see
    // `crate::passphrase`).
    let fds = Fds::resolve(&indirect_params(&cli.command))?;
    // Read once, and here: a policy that cannot be read fails every
    // subcommand, as it does in the main CLI, not only those that judge
    // algorithms.
    let policy = crate::policy::load()?;
    dispatch(cli.command, &fds, &policy)
}

/// Every indirect parameter of `command`, with the option that names it.
fn indirect_params<'a>(command: &'a SopCommand) -> Vec<Param<'a>> {
    use SopCommand as C;
    let stdin_is_data = !matches!(
        command,
        C::Version(_) | C::ListProfiles(_) | C::GenerateKey(_)
    );
    let read = Use::Read { stdin_is_data };
    let mut params = Vec::new();
    let mut add = |option: &'static str, specs: &'a [String], use_| {
        params.extend(
            specs
                .iter()
                // A designator that is also a file's name is ambiguous;
                // reading it says so.
                .filter(|spec| !std::path::Path::new(spec.as_str()).exists())
                .map(|spec| Param {
                    option,
                    spec: spec.as_str(),
                    use_,
                }),
        );
    };
    match command {
        C::Version(_) | C::ListProfiles(_) | C::ExtractCert(_) => {}
        C::Armor(_) | C::Dearmor(_) => {}
        C::GenerateKey(a) => add("--with-key-password", a.with_key_password.as_slice(), read),
        C::ChangeKeyPassword(a) => {
            add("--new-key-password", a.new_key_password.as_slice(), read);
            add("--old-key-password", &a.old_key_password, read);
        }
        C::RevokeKey(a) => add("--with-key-password", &a.with_key_password, read),
        C::UpdateKey(a) => {
            add("--with-key-password", &a.with_key_password, read);
            add("--merge-certs", &a.merge_certs, read);
        }
        C::MergeCerts(a) => add("CERTS", &a.certs, read),
        C::CertifyUserid(a) => {
            add("--with-key-password", &a.with_key_password, read);
            add("KEYS", &a.keys, read);
        }
        C::ValidateUserid(a) => add("CERTS", &a.certs, read),
        C::Sign(a) => {
            add("--micalg-out", a.micalg_out.as_slice(), Use::Write);
            add("--with-key-password", &a.with_key_password, read);
            add("KEYS", &a.keys, read);
        }
        C::Verify(a) => {
            add("SIGNATURES", std::slice::from_ref(&a.signatures), read);
            add("CERTS", &a.certs, read);
        }
        C::Encrypt(a) => {
            add("--with-password", &a.with_password, read);
            add("--sign-with", &a.sign_with, read);
            add("--with-key-password", &a.with_key_password, read);
            add(
                "--session-key-out",
                a.session_key_out.as_slice(),
                Use::Write,
            );
            add("CERTS", &a.certs, read);
        }
        C::Decrypt(a) => {
            add(
                "--session-key-out",
                a.session_key_out.as_slice(),
                Use::Write,
            );
            add("--with-session-key", &a.with_session_key, read);
            add("--with-password", &a.with_password, read);
            add("--with-key-password", &a.with_key_password, read);
            add(
                "--verifications-out",
                a.verifications_out.as_slice(),
                Use::Write,
            );
            add("--verify-with", &a.verify_with, read);
            add("KEYS", &a.keys, read);
        }
        C::InlineDetach(a) => add(
            "--signatures-out",
            std::slice::from_ref(&a.signatures_out),
            Use::Write,
        ),
        C::InlineSign(a) => {
            add("--with-key-password", &a.with_key_password, read);
            add("KEYS", &a.keys, read);
        }
        C::InlineVerify(a) => {
            add(
                "--verifications-out",
                a.verifications_out.as_slice(),
                Use::Write,
            );
            add("CERTS", &a.certs, read);
        }
    }
    params
}

fn dispatch(
    command: SopCommand,
    fds: &Fds,
    policy: &sequoia_openpgp::policy::StandardPolicy,
) -> Result<()> {
    use SopCommand as C;
    match command {
        C::Version(a) => version(a),
        C::ListProfiles(a) => list_profiles(a),
        C::GenerateKey(a) => keys::generate_key(a, fds),
        C::ChangeKeyPassword(a) => keys::change_key_password(a, fds),
        C::RevokeKey(a) => keys::revoke_key(a, fds),
        C::ExtractCert(a) => keys::extract_cert(a),
        C::UpdateKey(a) => keys::update_key(a, fds, policy),
        C::MergeCerts(a) => keys::merge_certs(a, fds),
        C::CertifyUserid(a) => keys::certify_userid(a, fds, policy),
        C::ValidateUserid(a) => keys::validate_userid(a, fds, policy),
        C::Sign(a) => messages::sign(a, fds, policy),
        C::Verify(a) => messages::verify(a, fds, policy),
        C::Encrypt(a) => messages::encrypt(a, fds, policy),
        C::Decrypt(a) => messages::decrypt(a, fds, policy),
        C::Armor(_) => messages::armor(),
        C::Dearmor(_) => messages::dearmor(),
        C::InlineDetach(a) => messages::inline_detach(a, fds),
        C::InlineSign(a) => messages::inline_sign(a, fds, policy),
        C::InlineVerify(a) => messages::inline_verify(a, fds, policy),
    }
}

fn version(a: cli::VersionArgs) -> Result<()> {
    let backend = format!(
        "sequoia-openpgp {} ({} backend)",
        env!("ZPGP_SEQUOIA_VERSION"),
        env!("ZPGP_CRYPTO_BACKEND")
    );
    let text = if a.backend {
        backend
    } else if a.sop_spec {
        // The draft's "~" prefix (an incomplete implementation) is not
        // needed: every subcommand and option is implemented.
        SOP_SPEC.to_string()
    } else if a.extended {
        format!(
            "zpgp-sop {}\n{backend}\nspec: {SOP_SPEC}\nprofiles: generate-key and encrypt: rfc4880 (default), rfc9580",
            env!("CARGO_PKG_VERSION")
        )
    } else {
        format!("zpgp-sop {}", env!("CARGO_PKG_VERSION"))
    };
    println!("{text}");
    Ok(())
}

/// A profile of `generate-key` and `encrypt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profile {
    Rfc4880,
    Rfc9580,
    /// Post-quantum v6 keys (RFC 9980); generate-key only.
    Rfc9980,
}

const GENERATE_PROFILES: &[(&str, &str)] = &[
    (
        "rfc4880",
        "v4 keys (Ed25519/Cv25519) that advertise SEIPDv1 only, readable by GnuPG (the default)",
    ),
    ("rfc9580", "v6 keys (Ed25519/X25519) of RFC 9580"),
    (
        "rfc9980",
        "post-quantum v6 keys of RFC 9980 (ML-DSA-65+Ed25519, ML-KEM-768+X25519)",
    ),
];

const ENCRYPT_PROFILES: &[(&str, &str)] = &[
    (
        "rfc4880",
        "SEIPDv1 unless every recipient advertises SEIPDv2 (the default)",
    ),
    (
        "rfc9580",
        "SEIPDv2 (AEAD, OCB) of RFC 9580 for every recipient",
    ),
];

fn profiles_of(subcommand: &str) -> Option<&'static [(&'static str, &'static str)]> {
    match subcommand {
        "generate-key" => Some(GENERATE_PROFILES),
        "encrypt" => Some(ENCRYPT_PROFILES),
        _ => None,
    }
}

/// Resolves `--profile` ("default" is the first listed).
pub(crate) fn profile(subcommand: &str, name: Option<&str>) -> Result<Profile> {
    let list = profiles_of(subcommand).unwrap_or(&[]);
    let name = match name {
        None | Some("default") => list.first().map_or("rfc4880", |p| p.0),
        Some(n) => n,
    };
    let listed = list.iter().any(|p| p.0 == name);
    match name {
        "rfc4880" => Ok(Profile::Rfc4880),
        "rfc9580" => Ok(Profile::Rfc9580),
        "rfc9980" if listed => Ok(Profile::Rfc9980),
        other => Err(Error::new(
            Failure::UnsupportedProfile,
            format!("{subcommand} has no profile {other:?}: see list-profiles {subcommand}"),
        )
        .into()),
    }
}

fn list_profiles(a: cli::ListProfilesArgs) -> Result<()> {
    use clap::CommandFactory;
    let known = SopCli::command()
        .get_subcommands()
        .any(|c| c.get_name() == a.subcommand);
    if !known {
        return Err(Error::new(
            Failure::UnsupportedSubcommand,
            format!("there is no subcommand {:?}", a.subcommand),
        )
        .into());
    }
    let Some(list) = profiles_of(&a.subcommand) else {
        return Err(Error::new(
            Failure::UnsupportedProfile,
            format!("{} takes no profiles", a.subcommand),
        )
        .into());
    };
    for (name, what) in list {
        println!("{name}: {what}");
    }
    Ok(())
}
