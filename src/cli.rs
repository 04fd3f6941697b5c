//! The command-line interface: every clap definition, and so the one source
//! of `--help`, the man pages and the shell completions.
//!
//! This module depends on `std` and `clap` only.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub mod check;
mod examples;

pub use examples::*;

/// A fast, careful OpenPGP tool: keys, encryption and signatures
#[derive(Parser, Debug)]
#[command(name = "zpgp", version = crate_version(), propagate_version = true)]
#[command(after_help = "Run 'zpgp COMMAND --help' for the options of a command.")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// The version `zpgp --version` shows: zpgp's, sequoia-openpgp's and the
/// crypto backend.
pub fn crate_version() -> &'static str {
    concat!(
        env!("CARGO_PKG_VERSION"),
        " (sequoia-openpgp ",
        env!("ZPGP_SEQUOIA_VERSION"),
        ", ",
        env!("ZPGP_CRYPTO_BACKEND"),
        " backend)"
    )
}

#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Use DIR as the keyring home (default: $ZPGP_HOME, else the platform
    /// data directory, e.g. ~/.local/share/zpgp)
    #[arg(long, global = true, value_name = "DIR", env = "ZPGP_HOME")]
    pub home: Option<PathBuf>,

    /// Never prompt; fail with an error where input would be needed
    #[arg(long, global = true)]
    pub batch: bool,

    /// Read your secret key's passphrase from FILE, @ENV:NAME or @FD:N
    /// instead of the terminal (the first line is used); it unlocks keys,
    /// and decrypt never tries it as a message password
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<String>,

    /// Read the message password (encrypt --password, decrypt) from FILE,
    /// @ENV:NAME or @FD:N instead of the terminal (the first line is
    /// used); encrypt --password without --sign also takes
    /// --passphrase-file, as before
    #[arg(long, global = true, value_name = "FILE")]
    pub password_file: Option<String>,

    /// Print only errors on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Explain more on stderr
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// Print reports as JSON (list, import, inspect on stdout; encrypt,
    /// decrypt, sign and verify on stderr)
    #[arg(long, global = true)]
    pub json: bool,
}

impl Command {
    /// Whether the command reads its data (a message, keys to import) from
    /// standard input, which an `@FD:0` parameter then cannot also use.
    pub fn reads_stdin(&self) -> bool {
        fn stdin(p: &Option<PathBuf>) -> bool {
            p.as_deref().is_none_or(|p| p.as_os_str() == "-")
        }
        match self {
            Command::Import(a) => {
                a.files.is_empty() || a.files.iter().any(|f| f.as_os_str() == "-")
            }
            Command::Encrypt(a) => stdin(&a.input),
            Command::Decrypt(a) => stdin(&a.input),
            Command::Sign(a) => stdin(&a.input),
            Command::Verify(a) => stdin(&a.input),
            Command::Inspect(a) => stdin(&a.input),
            Command::Armor(a) | Command::Dearmor(a) => stdin(&a.input),
            Command::Sop(_) => true,
            Command::Generate(_)
            | Command::Export(_)
            | Command::List(_)
            | Command::Delete(_)
            | Command::Passwd(_)
            | Command::Completions(_) => false,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Generate a new key pair
    #[command(after_help = examples(GENERATE_EXAMPLES))]
    Generate(GenerateArgs),
    /// Import certificates or secret keys into the keyring
    #[command(after_help = examples(IMPORT_EXAMPLES))]
    Import(ImportArgs),
    /// Export certificates or secret keys from the keyring
    #[command(after_help = examples(EXPORT_EXAMPLES))]
    Export(ExportArgs),
    /// List the keys in the keyring
    #[command(after_help = examples(LIST_EXAMPLES))]
    List(ListArgs),
    /// Delete a certificate, and with --secret its secret key
    #[command(after_help = examples(DELETE_EXAMPLES))]
    Delete(DeleteArgs),
    /// Change, add or remove the passphrase of a secret key
    #[command(after_help = examples(PASSWD_EXAMPLES))]
    Passwd(PasswdArgs),
    /// Encrypt a message for recipients and/or with a password
    #[command(after_help = examples(ENCRYPT_EXAMPLES))]
    Encrypt(EncryptArgs),
    /// Decrypt a message, checking any signatures inside
    #[command(after_help = examples(DECRYPT_EXAMPLES))]
    Decrypt(DecryptArgs),
    /// Sign a message: inline, detached, or cleartext
    #[command(after_help = examples(SIGN_EXAMPLES))]
    Sign(SignArgs),
    /// Verify a signed message or a detached signature
    #[command(after_help = examples(VERIFY_EXAMPLES))]
    Verify(VerifyArgs),
    /// Tell what an OpenPGP file is and who it is for, without any secret
    #[command(after_help = examples(INSPECT_EXAMPLES))]
    Inspect(InspectArgs),
    /// Add ASCII armor to OpenPGP data
    #[command(after_help = examples(ARMOR_EXAMPLES))]
    Armor(ArmorArgs),
    /// Remove ASCII armor from OpenPGP data
    #[command(after_help = examples(DEARMOR_EXAMPLES))]
    Dearmor(ArmorArgs),
    /// Print a shell completion script
    #[command(after_help = examples(COMPLETIONS_EXAMPLES))]
    Completions(CompletionsArgs),
    /// The Stateless OpenPGP interface (as zpgp-sop); see 'zpgp sop --help'
    #[command(disable_help_flag = true)]
    Sop(SopArgs),
}

/// Arguments handed unparsed to the SOP interface.
#[derive(Args, Debug)]
pub struct SopArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    pub args: Vec<std::ffi::OsString>,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// The name in the new key's user ID
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// An email address for the new key (repeat for several)
    #[arg(long, value_name = "EMAIL")]
    pub email: Vec<String>,

    /// A free-form user ID (repeat for several)
    #[arg(long, value_name = "USERID")]
    pub userid: Vec<String>,

    /// The OpenPGP profile: rfc4880 (v4 keys every implementation reads) or
    /// rfc9580 (v6 keys)
    #[arg(long, value_enum, default_value_t = Profile::Rfc4880)]
    pub profile: Profile,

    /// The public-key algorithms
    #[arg(long, value_enum, default_value_t = CipherSuite::Cv25519)]
    pub cipher_suite: CipherSuite,

    /// When the key expires: a duration (3y, 18m, 2w, 10d), a date
    /// (YYYY-MM-DD), or 'never'
    #[arg(long, value_name = "WHEN", default_value = "3y")]
    pub expires: String,

    /// Store the secret key without a passphrase
    #[arg(long)]
    pub no_passphrase: bool,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// v4 keys (RFC 4880): what GnuPG 2.2 and every other peer read
    Rfc4880,
    /// v6 keys (RFC 9580) with AEAD (SEIPDv2) encryption
    Rfc9580,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CipherSuite {
    /// Ed25519 signing, X25519 encryption (default)
    Cv25519,
    /// Ed448 signing, X448 encryption
    Cv448,
    /// RSA, 3072 bits
    Rsa3k,
    /// RSA, 4096 bits
    Rsa4k,
    /// ECDSA and ECDH over NIST P-256
    P256,
    /// ECDSA and ECDH over NIST P-384
    P384,
    /// ECDSA and ECDH over NIST P-521
    P521,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Files to import, armored or binary (standard input when none, or -)
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The keys to export: fingerprint, key ID, email or part of a name
    #[arg(value_name = "QUERY", required = true)]
    pub queries: Vec<String>,

    /// Export the secret key (still protected by its passphrase)
    #[arg(long)]
    pub secret: bool,

    /// Write binary OpenPGP instead of ASCII armor
    #[arg(long)]
    pub binary: bool,

    /// Write to FILE instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Overwrite the output file if it exists
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Show only keys matching QUERY: fingerprint, key ID, email or part of
    /// a name
    #[arg(value_name = "QUERY")]
    pub query: Option<String>,

    /// Show only keys whose secret key is held
    #[arg(long)]
    pub secret: bool,
}

#[derive(Args, Debug)]
pub struct DeleteArgs {
    /// The key to delete: fingerprint, key ID, email or part of a name
    #[arg(value_name = "QUERY")]
    pub query: String,

    /// Delete the secret key as well (asks for confirmation)
    #[arg(long)]
    pub secret: bool,

    /// Do not ask for confirmation
    #[arg(long)]
    pub yes: bool,
}

#[derive(Args, Debug)]
pub struct PasswdArgs {
    /// The secret key: fingerprint, key ID, email or part of a name
    #[arg(value_name = "QUERY")]
    pub query: String,

    /// Read the new passphrase from FILE, @ENV:NAME or @FD:N
    #[arg(long, value_name = "FILE", conflicts_with = "no_passphrase")]
    pub new_passphrase_file: Option<String>,

    /// Remove the passphrase: store the secret key unprotected
    #[arg(long)]
    pub no_passphrase: bool,
}

#[derive(Args, Debug)]
pub struct EncryptArgs {
    /// Encrypt for this key: fingerprint, key ID, email or part of a name
    /// (repeat for several)
    #[arg(short, long = "recipient", value_name = "QUERY")]
    pub recipients: Vec<String>,

    /// Also (or only) encrypt with a password, asked twice or read from
    /// --password-file (without --sign, --passphrase-file still serves)
    #[arg(long)]
    pub password: bool,

    /// Sign the message too, in the same pass
    #[arg(short, long)]
    pub sign: bool,

    /// Sign with this key (implies --sign; default: your only secret key)
    #[arg(long, value_name = "QUERY")]
    pub signer: Option<String>,

    /// Do not also encrypt to your own key
    #[arg(long)]
    pub no_self: bool,

    /// Write ASCII armor instead of binary
    #[arg(short, long)]
    pub armor: bool,

    /// Write to FILE (default: INPUT.pgp, or INPUT.asc with --armor;
    /// standard output when reading standard input)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Overwrite the output file if it exists
    #[arg(long)]
    pub force: bool,

    /// The file to encrypt (standard input when absent or -)
    #[arg(value_name = "FILE")]
    pub input: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct DecryptArgs {
    /// Require a valid signature by this key (repeat: each must sign)
    #[arg(long, value_name = "QUERY")]
    pub signer: Vec<String>,

    /// Write to FILE (default: INPUT without .pgp/.gpg/.asc; standard output
    /// when reading standard input)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Overwrite the output file if it exists
    #[arg(long)]
    pub force: bool,

    /// The message to decrypt (standard input when absent or -)
    #[arg(value_name = "FILE")]
    pub input: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct SignArgs {
    /// Make a detached signature (default output: INPUT.sig)
    #[arg(long, conflicts_with = "clear")]
    pub detached: bool,

    /// Make a cleartext signature of text (default output: INPUT.asc)
    #[arg(long)]
    pub clear: bool,

    /// Sign with this key (default: your only secret key)
    #[arg(long, value_name = "QUERY")]
    pub signer: Vec<String>,

    /// Write ASCII armor instead of binary
    #[arg(short, long, conflicts_with = "clear")]
    pub armor: bool,

    /// Write to FILE (default: INPUT.pgp, INPUT.sig or INPUT.asc; standard
    /// output when reading standard input)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Overwrite the output file if it exists
    #[arg(long)]
    pub force: bool,

    /// The file to sign (standard input when absent or -)
    #[arg(value_name = "FILE")]
    pub input: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Require a valid signature by this key (repeat: each must sign)
    #[arg(long, value_name = "QUERY")]
    pub signer: Vec<String>,

    /// A detached signature of FILE
    #[arg(long, value_name = "SIG")]
    pub signature: Option<PathBuf>,

    /// For signed messages: write the verified content to FILE (default:
    /// standard output; nothing is written for a detached signature)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Overwrite the output file if it exists
    #[arg(long)]
    pub force: bool,

    /// The signed message, or the signed data with --signature (standard
    /// input when absent or -)
    #[arg(value_name = "FILE")]
    pub input: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The file to inspect (standard input when absent or -)
    #[arg(value_name = "FILE")]
    pub input: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ArmorArgs {
    /// Write to FILE instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Overwrite the output file if it exists
    #[arg(long)]
    pub force: bool,

    /// The input (standard input when absent or -)
    #[arg(value_name = "FILE")]
    pub input: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }
}
