//! The clap definitions of the Stateless OpenPGP interface
//! (draft-dkg-openpgp-stateless-cli), apart from the logic so that man
//! pages and completions can be generated from them.
//!
//! This module depends on `std` and `clap` only.  Dates, profiles and
//! indirect parameters are plain strings here: the logic parses them, so
//! that each bad value gets the draft's exit code.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The Stateless OpenPGP interface of zpgp
#[derive(Parser, Debug)]
#[command(name = "zpgp-sop", disable_version_flag = true)]
#[command(
    after_help = "Indirect parameters (KEYS, CERTS, PASSWORD, …) are file names, @ENV:NAME or @FD:N."
)]
pub struct SopCli {
    #[command(subcommand)]
    pub command: SopCommand,
}

#[derive(Subcommand, Debug)]
pub enum SopCommand {
    /// Print version information
    Version(VersionArgs),
    /// List the profiles a subcommand accepts
    ListProfiles(ListProfilesArgs),
    /// Generate a secret key
    GenerateKey(GenerateKeyArgs),
    /// Change the password of secret keys
    ChangeKeyPassword(ChangeKeyPasswordArgs),
    /// Revoke keys, printing the revoked certificates
    RevokeKey(RevokeKeyArgs),
    /// Extract the certificates from secret keys
    ExtractCert(ArmorOutArgs),
    /// Keep a secret key up to date
    UpdateKey(UpdateKeyArgs),
    /// Merge updates into certificates
    MergeCerts(MergeCertsArgs),
    /// Certify user IDs of certificates
    CertifyUserid(CertifyUseridArgs),
    /// Check that a user ID is certified by an authority
    ValidateUserid(ValidateUseridArgs),
    /// Make detached signatures
    Sign(SignArgs),
    /// Verify detached signatures
    Verify(VerifyArgs),
    /// Encrypt a message
    Encrypt(EncryptArgs),
    /// Decrypt a message
    Decrypt(DecryptArgs),
    /// Add ASCII armor
    Armor(ArmorArgs),
    /// Remove ASCII armor
    Dearmor(NoArgs),
    /// Split the signatures from an inline-signed message
    // Drafts before 04 named it for the cleartext signatures it then
    // split; it still splits them.
    #[command(alias = "detach-inband-signature-and-message")]
    InlineDetach(InlineDetachArgs),
    /// Make an inline-signed message
    InlineSign(InlineSignArgs),
    /// Verify an inline-signed message
    InlineVerify(InlineVerifyArgs),
}

#[derive(Args, Debug)]
pub struct NoArgs {}

#[derive(Args, Debug)]
pub struct ArmorArgs {
    /// Earlier drafts' label choice: only `auto`, which is what armor
    /// does, is accepted; a forced label would be another meaning.
    #[arg(long, hide = true, value_name = "LABEL", value_parser = ["auto"])]
    pub label: Option<String>,
}

#[derive(Args, Debug)]
pub struct VersionArgs {
    /// Print the name and version of the cryptographic backend
    #[arg(long, group = "what")]
    pub backend: bool,
    /// Print detailed version information
    #[arg(long, group = "what")]
    pub extended: bool,
    /// Print the version of the SOP draft implemented
    #[arg(long, group = "what")]
    pub sop_spec: bool,
}

#[derive(Args, Debug)]
pub struct ListProfilesArgs {
    /// The subcommand whose profiles to list
    pub subcommand: String,
}

#[derive(Args, Debug)]
pub struct ArmorOutArgs {
    /// Write binary output instead of ASCII armor
    #[arg(long)]
    pub no_armor: bool,
}

#[derive(Args, Debug)]
pub struct GenerateKeyArgs {
    /// Write binary output instead of ASCII armor
    #[arg(long)]
    pub no_armor: bool,
    /// Protect the key with the password in PASSWORD
    #[arg(long, value_name = "PASSWORD")]
    pub with_key_password: Option<String>,
    /// The profile: rfc4880 (v4, the default) or rfc9580 (v6)
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Make a key that can sign but not decrypt
    #[arg(long)]
    pub signing_only: bool,
    /// User IDs of the new key
    pub userids: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ChangeKeyPasswordArgs {
    /// Write binary output instead of ASCII armor
    #[arg(long)]
    pub no_armor: bool,
    /// The new password; without one the keys are left unprotected
    #[arg(long, value_name = "PASSWORD")]
    pub new_key_password: Option<String>,
    /// A password that may unlock the keys
    #[arg(long, value_name = "PASSWORD")]
    pub old_key_password: Vec<String>,
}

#[derive(Args, Debug)]
pub struct RevokeKeyArgs {
    /// Write binary output instead of ASCII armor
    #[arg(long)]
    pub no_armor: bool,
    /// A password that may unlock the keys
    #[arg(long, value_name = "PASSWORD")]
    pub with_key_password: Vec<String>,
}

#[derive(Args, Debug)]
pub struct UpdateKeyArgs {
    /// Write binary output instead of ASCII armor
    #[arg(long)]
    pub no_armor: bool,
    /// Add no encryption capability
    #[arg(long)]
    pub signing_only: bool,
    /// Add no capability the key lacks
    #[arg(long)]
    pub no_added_capabilities: bool,
    /// A password that may unlock the key
    #[arg(long, value_name = "PASSWORD")]
    pub with_key_password: Vec<String>,
    /// Certificates with updates to merge into the key
    #[arg(long, value_name = "CERTS")]
    pub merge_certs: Vec<String>,
}

#[derive(Args, Debug)]
pub struct MergeCertsArgs {
    /// Write binary output instead of ASCII armor
    #[arg(long)]
    pub no_armor: bool,
    /// Certificates with updates
    pub certs: Vec<String>,
}

#[derive(Args, Debug)]
pub struct CertifyUseridArgs {
    /// Write binary output instead of ASCII armor
    #[arg(long)]
    pub no_armor: bool,
    /// A user ID to certify
    #[arg(long, value_name = "USERID", required = true)]
    pub userid: Vec<String>,
    /// A password that may unlock the keys
    #[arg(long, value_name = "PASSWORD")]
    pub with_key_password: Vec<String>,
    /// Certify user IDs that are not self-signed (and add them)
    #[arg(long)]
    pub no_require_self_sig: bool,
    /// The certifying keys
    #[arg(required = true)]
    pub keys: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ValidateUseridArgs {
    /// Match USERID as an e-mail address against each user ID's address
    #[arg(long)]
    pub addr_spec_only: bool,
    /// Judge validity at DATE instead of now
    #[arg(long, value_name = "DATE")]
    pub validate_at: Option<String>,
    /// The user ID
    pub userid: String,
    /// The authority certificates
    #[arg(required = true)]
    pub certs: Vec<String>,
}

/// The shape of signed or encrypted data.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignAs {
    #[default]
    Binary,
    Text,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InlineSignAs {
    #[default]
    Binary,
    Text,
    Clearsigned,
}

#[derive(Args, Debug)]
pub struct SignArgs {
    /// Write binary output instead of ASCII armor
    #[arg(long)]
    pub no_armor: bool,
    /// Sign as binary data or as UTF-8 text
    #[arg(long = "as", value_enum, default_value_t = SignAs::Binary)]
    pub as_: SignAs,
    /// Write the PGP/MIME micalg value to MICALG
    #[arg(long, value_name = "MICALG")]
    pub micalg_out: Option<String>,
    /// A password that may unlock the keys
    #[arg(long, value_name = "PASSWORD")]
    pub with_key_password: Vec<String>,
    /// The signing keys
    #[arg(required = true)]
    pub keys: Vec<String>,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Ignore signatures made before DATE ("-" for the beginning of time)
    #[arg(long, value_name = "DATE")]
    pub not_before: Option<String>,
    /// Ignore signatures made after DATE ("-" for the end of time)
    #[arg(long, value_name = "DATE")]
    pub not_after: Option<String>,
    /// The detached signatures
    pub signatures: String,
    /// The signers' certificates
    #[arg(required = true)]
    pub certs: Vec<String>,
}

#[derive(Args, Debug)]
pub struct EncryptArgs {
    /// Write binary output instead of ASCII armor
    #[arg(long)]
    pub no_armor: bool,
    /// Encrypt binary data or UTF-8 text
    #[arg(long = "as", value_enum, default_value_t = SignAs::Binary)]
    pub as_: SignAs,
    /// Also encrypt with the password in PASSWORD
    #[arg(long, value_name = "PASSWORD")]
    pub with_password: Vec<String>,
    /// Sign with these keys too
    #[arg(long, value_name = "KEYS")]
    pub sign_with: Vec<String>,
    /// A password that may unlock the signing keys
    #[arg(long, value_name = "PASSWORD")]
    pub with_key_password: Vec<String>,
    /// The profile: rfc4880 (the default) or rfc9580
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Write the session key to SESSIONKEY
    #[arg(long, value_name = "SESSIONKEY")]
    pub session_key_out: Option<String>,
    /// The recipients' certificates
    pub certs: Vec<String>,
}

#[derive(Args, Debug)]
pub struct DecryptArgs {
    /// Write the session key to SESSIONKEY
    #[arg(long, value_name = "SESSIONKEY")]
    pub session_key_out: Option<String>,
    /// Try the session key in SESSIONKEY
    #[arg(long, value_name = "SESSIONKEY")]
    pub with_session_key: Vec<String>,
    /// Try the message password in PASSWORD
    #[arg(long, value_name = "PASSWORD")]
    pub with_password: Vec<String>,
    /// A password that may unlock the keys
    #[arg(long, value_name = "PASSWORD")]
    pub with_key_password: Vec<String>,
    /// Write the verified signatures to VERIFICATIONS
    // `--verify-out` is the earlier drafts' spelling, still sent by
    // clients written against them.
    #[arg(long, value_name = "VERIFICATIONS", alias = "verify-out")]
    pub verifications_out: Option<String>,
    /// Verify signatures with these certificates
    #[arg(long, value_name = "CERTS")]
    pub verify_with: Vec<String>,
    /// Ignore signatures made before DATE
    #[arg(long, value_name = "DATE")]
    pub verify_not_before: Option<String>,
    /// Ignore signatures made after DATE
    #[arg(long, value_name = "DATE")]
    pub verify_not_after: Option<String>,
    /// The secret keys
    pub keys: Vec<String>,
}

#[derive(Args, Debug)]
pub struct InlineDetachArgs {
    /// Write binary signatures instead of ASCII armor
    #[arg(long)]
    pub no_armor: bool,
    /// Where the signatures go
    #[arg(long, value_name = "SIGNATURES", required = true)]
    pub signatures_out: String,
}

#[derive(Args, Debug)]
pub struct InlineSignArgs {
    /// Write binary output instead of ASCII armor
    #[arg(long)]
    pub no_armor: bool,
    /// Sign as binary data, as UTF-8 text, or as a cleartext signature
    #[arg(long = "as", value_enum, default_value_t = InlineSignAs::Binary)]
    pub as_: InlineSignAs,
    /// A password that may unlock the keys
    #[arg(long, value_name = "PASSWORD")]
    pub with_key_password: Vec<String>,
    /// The signing keys
    #[arg(required = true)]
    pub keys: Vec<String>,
}

#[derive(Args, Debug)]
pub struct InlineVerifyArgs {
    /// Ignore signatures made before DATE
    #[arg(long, value_name = "DATE")]
    pub not_before: Option<String>,
    /// Ignore signatures made after DATE
    #[arg(long, value_name = "DATE")]
    pub not_after: Option<String>,
    /// Write the verified signatures to VERIFICATIONS
    #[arg(long, value_name = "VERIFICATIONS")]
    pub verifications_out: Option<String>,
    /// The signers' certificates
    #[arg(required = true)]
    pub certs: Vec<String>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        super::SopCli::command().debug_assert();
    }
}
