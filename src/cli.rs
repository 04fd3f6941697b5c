//! The command-line interface: every clap definition, and so the one source
//! of `--help`, the man pages and the shell completions.
//!
//! This module depends on `std` and `clap` only.

use std::cell::Cell;
use std::ffi::OsString;
use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

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

    /// Print reports as JSON (list, import, fetch, publish, refresh, wkd
    /// export, inspect, config list, watch, doctor, audit and agent
    /// --status on stdout; encrypt, decrypt, sign and verify on stderr)
    #[arg(long, global = true)]
    pub json: bool,

    /// Neither use nor start the key agent: unlock secret keys in this
    /// process only, and forget them when it ends (also: agent = false in
    /// the config file)
    #[arg(
        long,
        global = true,
        env = "ZPGP_NO_AGENT",
        value_parser = clap::builder::FalseyValueParser::new()
    )]
    pub no_agent: bool,
}

impl Command {
    /// Whether the command reads its data (a message, keys to import) from
    /// standard input, which an `@FD:0` parameter then cannot also use.
    pub fn reads_stdin(&self) -> bool {
        fn stdin(p: &Option<PathBuf>) -> bool {
            p.as_deref().is_none_or(|p| p.as_os_str() == "-")
        }
        fn stdin_among(files: &[PathBuf]) -> bool {
            files.is_empty() || files.iter().any(|f| f.as_os_str() == "-")
        }
        match self {
            Command::Import(a) => {
                (a.files.is_empty() && !a.from_gnupg)
                    || a.files.iter().any(|f| f.as_os_str() == "-")
            }
            Command::Encrypt(a) => stdin_among(&a.inputs),
            Command::Decrypt(a) => stdin_among(&a.inputs),
            Command::Sign(a) => stdin_among(&a.inputs),
            Command::Verify(a) => stdin_among(&a.inputs),
            Command::Inspect(a) => stdin(&a.input),
            Command::Armor(a) | Command::Dearmor(a) => stdin(&a.input),
            Command::Sop(_) => true,
            Command::Generate(_)
            | Command::Export(_)
            | Command::Certify(_)
            | Command::Fetch(_)
            | Command::Publish(_)
            | Command::Refresh(_)
            | Command::Wkd(_)
            | Command::List(_)
            | Command::Delete(_)
            | Command::Passwd(_)
            | Command::Expire(_)
            | Command::Revoke(_)
            | Command::Userid(_)
            | Command::Subkey(_)
            | Command::Config(_)
            | Command::Watch(_)
            | Command::Doctor(_)
            | Command::Audit(_)
            | Command::Agent(_)
            | Command::Completions(_) => false,
        }
    }
}

/// `zpgp config --help` and its man page: the file, and every setting
/// the loader knows, from its one table.
fn config_long_about() -> String {
    let mut text = String::from(
        "Read or change the settings in HOME/config.toml\n\n\
         The file is TOML, created with mode 0600 on the first 'zpgp config set KEY VALUE' and \
         replaced atomically, keeping your comments.  A setting zpgp does not know, a \
         value of the wrong type or a file that is not TOML is an error naming the file \
         and line.  The settings:\n",
    );
    for s in crate::config::SETTINGS {
        text.push_str(&format!("\n  {}: {}\n", s.name, s.doc));
    }
    text
}

/// A subcommand's options, added to clap's command tree only when that
/// subcommand is parsed, or when help, a man page or the completions
/// need the whole tree (`Command::build`): building every subcommand's
/// options and examples on every run was a tenth of the instructions of
/// a `zpgp verify` of a short message.  The examples (`after_help`) come
/// from [`ALL_EXAMPLES`], by the subcommand's name.
#[derive(Debug)]
pub struct Lazy<T>(pub T);

impl<T: Args> Args for Lazy<T> {
    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }
    fn augment_args(cmd: clap::Command) -> clap::Command {
        if WHOLE_TREE.load(std::sync::atomic::Ordering::Relaxed) {
            return finish(cmd, T::augment_args);
        }
        cmd.defer(|cmd| finish(cmd, T::augment_args))
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        if WHOLE_TREE.load(std::sync::atomic::Ordering::Relaxed) {
            return finish(cmd, T::augment_args_for_update);
        }
        cmd.defer(|cmd| finish(cmd, T::augment_args_for_update))
    }
}

/// Set by [`whole_command`]: every subcommand built at once.
static WHOLE_TREE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The command tree with every subcommand's options in place from the
/// start, for the shell completions: clap's `help` subcommand copies the
/// subcommands as they are when the tree is built, and would miss those
/// of `config`, `userid` and `subkey` were they still to come.
pub fn whole_command() -> clap::Command {
    WHOLE_TREE.store(true, std::sync::atomic::Ordering::Relaxed);
    <Cli as clap::CommandFactory>::command()
}

impl<T: clap::FromArgMatches> clap::FromArgMatches for Lazy<T> {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Lazy)
    }
    fn from_arg_matches_mut(matches: &mut clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches_mut(matches).map(Lazy)
    }
    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
    fn update_from_arg_matches_mut(
        &mut self,
        matches: &mut clap::ArgMatches,
    ) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches_mut(matches)
    }
}

impl<T> std::ops::Deref for Lazy<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Adds the options to the subcommand `cmd`, then its examples.  The
/// subcommand's description was set before (from the variant's doc
/// comment) and is kept: a flattened group of options would otherwise
/// replace it with its own.
fn finish(cmd: clap::Command, options: fn(clap::Command) -> clap::Command) -> clap::Command {
    let about = cmd.get_about().cloned();
    let long_about = cmd.get_long_about().cloned();
    let cmd = options(cmd);
    let cmd = match about {
        Some(text) => cmd.about(text),
        None => cmd.about(None::<&str>),
    };
    let cmd = match long_about {
        Some(text) => cmd.long_about(text),
        None => cmd.long_about(None::<&str>),
    };
    let cmd = match ALL_EXAMPLES
        .iter()
        .find(|(name, _)| *name == cmd.get_name())
    {
        Some((_, list)) => cmd.after_help(examples(list)),
        None => cmd,
    };
    if LEAN.with(Cell::get) {
        LEAN_GLOBALS.with(|added| added.set(true));
        // Plain options of this level: as global ones clap would copy the
        // top level's values here, and the merge could no longer tell
        // where each was given.  Were a subcommand to make options of its
        // own global, they would turn plain too, and a nested subcommand
        // using them would go to clap's own tree: slower, still right.
        GlobalArgs::augment_args(cmd).mut_args(|a| a.global(false))
    } else {
        cmd
    }
}

thread_local! {
    /// Set while [`parse_from`] builds and uses its lean tree: the
    /// subcommand parsed gets the global options of its own.
    static LEAN: Cell<bool> = const { Cell::new(false) };
    /// Set when the lean tree's subcommand got them (it is [`Lazy`]).
    static LEAN_GLOBALS: Cell<bool> = const { Cell::new(false) };
}

/// Parses the command line: `Cli::try_parse`, with less work.
pub fn parse() -> Result<Cli, clap::Error> {
    parse_from(std::env::args_os())
}

/// Parses `args` (the program name first) exactly as
/// `Cli::try_parse_from` does, with less work in the common case.
///
/// Building clap's tree copies the 8 global options into each of the 29
/// subcommands, and dropping it frees every copy: a tenth of the
/// instructions of a `zpgp verify` of a short message.  The lean tree
/// has them as plain options of the top level, [`Lazy`] adds them, as
/// plain options too, to the one subcommand parsed, and the two levels
/// are merged as clap merges global options.  Whatever the lean tree
/// does not parse, and a global option given at both levels, is parsed
/// again with clap's own tree, which then has the last word: help, usage
/// errors and the rare forms come out exactly as before.
pub fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    match parse_lean(&args) {
        Some(cli) => Ok(cli),
        None => Cli::try_parse_from(args),
    }
}

fn parse_lean(args: &[OsString]) -> Option<Cli> {
    LEAN.with(|lean| lean.set(true));
    LEAN_GLOBALS.with(|added| added.set(false));
    let mut cmd = Cli::command().mut_args(|a| a.global(false));
    let matches = cmd.try_get_matches_from_mut(args);
    LEAN.with(|lean| lean.set(false));
    // Freed, not forgotten: the command reuses its memory, and a heap that
    // must grow instead costs more page faults than the freeing costs.
    drop(cmd);
    let mut matches = matches.ok()?;
    if !LEAN_GLOBALS.with(Cell::get) {
        return None;
    }
    let global = merged_globals(&matches)?;
    let command = Command::from_arg_matches_mut(&mut matches).ok()?;
    Some(Cli { global, command })
}

/// The global options of a lean parse: each from the subcommand's level
/// when it was given there, else from the top level (which also holds
/// what came from the environment).  None when one was given at both
/// levels: clap's own tree decides those.
fn merged_globals(top: &ArgMatches) -> Option<GlobalArgs> {
    let (_, sub) = top.subcommand()?;
    let given = |m: &ArgMatches, id: &str| m.value_source(id) == Some(ValueSource::CommandLine);
    let mut global = GlobalArgs::from_arg_matches(top).ok()?;
    // clap's ids are the fields' names; a field added to GlobalArgs but
    // not listed here fails to build.
    macro_rules! from_sub {
        ($($field:ident),*) => {
            $(if given(top, stringify!($field)) && given(sub, stringify!($field)) {
                return None;
            })*
            let GlobalArgs { $($field),* } = GlobalArgs::from_arg_matches(sub).ok()?;
            $(if given(sub, stringify!($field)) {
                global.$field = $field;
            })*
        };
    }
    from_sub!(
        home,
        batch,
        passphrase_file,
        password_file,
        quiet,
        verbose,
        json,
        no_agent
    );
    Some(global)
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Generate a new key pair
    Generate(Lazy<GenerateArgs>),
    /// Import certificates or secret keys into the keyring
    Import(Lazy<ImportArgs>),
    /// Export certificates or secret keys from the keyring
    Export(Lazy<ExportArgs>),
    /// Certify a contact's key: vouch that it is theirs
    ///
    /// Signs the user IDs of a contact's certificate with your key, once you
    /// have compared its fingerprint with the one they gave you in person
    /// or over a channel you trust.  zpgp shows the fingerprint and asks;
    /// --fingerprint FPR (or the full fingerprint as QUERY with --yes)
    /// answers on the command line.  The certification is stored on the
    /// contact's certificate in your keyring; unless it is --local, give
    /// it back to them with 'zpgp export FPR' so they can publish it.
    /// --introducer makes a trust signature instead: you trust that key to
    /// certify others (local unless --exportable).  --revoke withdraws your
    /// certification.
    Certify(Lazy<CertifyArgs>),
    /// Find contacts' keys by email address (WKD, then keyservers), or by
    /// fingerprint or key ID (keyservers), and import them
    ///
    /// An email address is looked up in its domain's Web Key Directory
    /// (the advanced method, then the direct one) and, when that finds
    /// nothing, on the keyservers; a fingerprint or key ID on the
    /// keyservers.  A WKD answer keeps only the user IDs of that domain.
    /// What is found is imported with import's report, saying where each
    /// certificate came from.  A key is not authenticated for having been
    /// fetched: compare its fingerprint with its owner, then certify it.
    Fetch(Lazy<FetchArgs>),
    /// Upload your certificate to keyservers (never a secret key)
    ///
    /// On keys.openpgp.org (and any https:// VKS server), zpgp then asks
    /// the server to mail each of the key's addresses a verification link:
    /// the addresses are published only once their owner clicks it.
    Publish(Lazy<PublishArgs>),
    /// Update the certificates on file from keyservers and WKD
    ///
    /// Asks the keyservers for each certificate by fingerprint and each
    /// address's Web Key Directory, a few requests at a time, merges what
    /// they know (new revocations, subkeys, expiry dates, certifications)
    /// and reports what changed, revocations first.  Each certificate is
    /// merged as its answers arrive, so an interrupted refresh keeps what
    /// it merged.
    Refresh(Lazy<RefreshArgs>),
    /// List the keys in the keyring
    List(Lazy<ListArgs>),
    /// Delete a certificate, and with --secret its secret key
    Delete(Lazy<DeleteArgs>),
    /// Change, add or remove the passphrase of a secret key
    Passwd(Lazy<PasswdArgs>),
    /// Set when a key (or some of its subkeys) expires
    ///
    /// Without --subkey, the primary key and every subkey not revoked get
    /// the new time; extending an expired key makes it valid again. Share
    /// the result with 'zpgp export', or your contacts keep seeing the old
    /// date.
    Expire(Lazy<ExpireArgs>),
    /// Revoke a key, one of its subkeys, or one of its user IDs
    ///
    /// Revoking needs your secret key. If it is lost, import instead the
    /// revocation certificate that 'zpgp generate' stored in
    /// HOME/revocations/FINGERPRINT.rev (zpgp import FILE), and share the
    /// result with 'zpgp export'.
    Revoke(Lazy<RevokeArgs>),
    /// Add or revoke a user ID of your key
    Userid(Lazy<UseridArgs>),
    /// Add a subkey to your key, or rotate one
    Subkey(Lazy<SubkeyArgs>),
    /// Read or change the settings in HOME/config.toml
    #[command(long_about = config_long_about())]
    Config(Lazy<ConfigArgs>),
    /// List keys that expire soon or have expired (for cron)
    ///
    /// Lists your keys (with --contacts every certificate on file) whose
    /// primary key, last encryption key or last signing key expires within
    /// --days N or has expired, one line each on standard output.  Revoked
    /// certificates are not listed.  Exit 0 when none is, 5 when some are,
    /// so 'zpgp --quiet watch || mail …' mails the list.
    Watch(Lazy<WatchArgs>),
    /// Check the keyring home, your keys and the config file
    ///
    /// Checks the modes and owners in the home, the index against the
    /// certificates (rebuilding it when they differ), your keys (expiring
    /// within 30 days, no revocation certificate on file, weak algorithms,
    /// no encryption key) and the config file, and prints each problem on
    /// standard output with the command that fixes it.  Exit 0 when all is
    /// well, 6 otherwise.
    Doctor(Lazy<DoctorArgs>),
    /// Audit your keys (with --contacts every certificate on file) for
    /// weak or ageing cryptography
    ///
    /// Reports per key: RSA keys under 3072 bits, DSA and ElGamal keys,
    /// self-signatures made with SHA-1, no post-quantum (ML-KEM) encryption
    /// subkey, no SEIPDv2 in the features, expired or expiring within 30
    /// days, no expiry at all; a revoked key is reported as revoked and no
    /// more.  Each finding has a severity (high, medium, low) and, for your
    /// keys, the command that fixes it.  The keyring is only read.  Exit 0
    /// when nothing is found, 6 otherwise.
    Audit(Lazy<AuditArgs>),
    /// Show, forget or stop the key agent that keeps unlocked keys
    ///
    /// Once you type a secret key's passphrase, the agent keeps that key
    /// unlocked for a while: agent-ttl (10 minutes) since it was last
    /// used, and never longer than agent-max-ttl (2 hours) since it was
    /// unlocked.  It starts on demand, runs as you, one per keyring home,
    /// listens on a socket in $XDG_RUNTIME_DIR/zpgp (else HOME/agent) that
    /// only you can reach, and makes the signatures and decrypts the
    /// session keys itself, so unlocked keys never leave it.  Its memory
    /// cannot be dumped or read by your other programs, and it zeroes a key
    /// when its time is up.  Turn it off with --no-agent or
    /// 'zpgp config set agent false'.
    Agent(Lazy<AgentArgs>),
    /// Encrypt a message for recipients and/or with a password
    Encrypt(Lazy<EncryptArgs>),
    /// Decrypt a message, checking any signatures inside
    Decrypt(Lazy<DecryptArgs>),
    /// Sign a message: inline, detached, or cleartext
    Sign(Lazy<SignArgs>),
    /// Verify a signed message or a detached signature
    Verify(Lazy<VerifyArgs>),
    /// Tell what an OpenPGP file is and who it is for, without any secret
    Inspect(Lazy<InspectArgs>),
    /// Add ASCII armor to OpenPGP data
    Armor(Lazy<ArmorArgs>),
    /// Remove ASCII armor from OpenPGP data
    Dearmor(Lazy<ArmorArgs>),
    /// Web Key Directory tools: write the directory your domain serves
    #[command(subcommand, after_help = examples(WKD_EXAMPLES))]
    Wkd(WkdCommand),
    /// Print a shell completion script
    Completions(Lazy<CompletionsArgs>),
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

    /// The OpenPGP profile: rfc4880 (v4 keys every implementation reads),
    /// rfc9580 (v6 keys) or pqc (v6 keys with post-quantum algorithms)
    #[arg(long, value_enum, default_value_t = Profile::Rfc4880)]
    pub profile: Profile,

    /// The public-key algorithms (default: cv25519; with --profile pqc,
    /// mldsa65-ed25519)
    #[arg(long, value_enum)]
    pub cipher_suite: Option<CipherSuite>,

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
    /// v6 keys with post-quantum algorithms (RFC 9980): ML-DSA-65+Ed25519
    /// signatures, ML-KEM-768+X25519 encryption
    Pqc,
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
    /// Post-quantum (RFC 9980, v6 keys only): ML-DSA-65+Ed25519 signing,
    /// ML-KEM-768+X25519 encryption
    #[value(name = "mldsa65-ed25519", alias = "mlkem768-x25519")]
    Mldsa65Ed25519,
    /// Post-quantum (RFC 9980, v6 keys only): ML-DSA-87+Ed448 signing,
    /// ML-KEM-1024+X448 encryption
    #[value(name = "mldsa87-ed448", alias = "mlkem1024-x448")]
    Mldsa87Ed448,
}

impl CipherSuite {
    /// Post-quantum: for v6 keys only.
    pub fn is_post_quantum(self) -> bool {
        matches!(
            self,
            CipherSuite::Mldsa65Ed25519 | CipherSuite::Mldsa87Ed448
        )
    }
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Files to import, armored or binary (standard input when none, or -)
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Import your GnuPG keyring, as 'gpg --export' gives it ($GNUPGHOME
    /// is honoured), and say what GnuPG's ownertrust maps to
    #[arg(long, conflicts_with = "files")]
    pub from_gnupg: bool,

    /// With --from-gnupg: your secret keys too, still protected by their
    /// GnuPG passphrases (GnuPG may ask for them to export the keys)
    #[arg(long, requires = "from_gnupg")]
    pub secret: bool,

    /// With --from-gnupg: show what would be imported, and change nothing
    #[arg(long, requires = "from_gnupg")]
    pub dry_run: bool,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The keys to export: fingerprint, key ID, email or part of a name
    #[arg(value_name = "QUERY", required = true)]
    pub queries: Vec<String>,

    /// Export the secret key (still protected by its passphrase)
    #[arg(long)]
    pub secret: bool,

    /// Keep your local certifications (zpgp certify --local, gpg
    /// --lsign-key), which are otherwise left out: for your own backups
    #[arg(long)]
    pub with_local: bool,

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
pub struct CertifyArgs {
    /// The contact's key: fingerprint, key ID, email or part of a name
    #[arg(value_name = "QUERY")]
    pub query: String,

    /// Certify only this user ID, exactly as 'zpgp list' shows it (repeat
    /// for several; default: every valid user ID)
    #[arg(long, value_name = "USERID")]
    pub userid: Vec<String>,

    /// Certify only the user ID with this email address (repeat for
    /// several)
    #[arg(long, value_name = "EMAIL")]
    pub email: Vec<String>,

    /// Make a local certification: kept in your keyring, never exported
    #[arg(long, conflicts_with = "exportable")]
    pub local: bool,

    /// When the certification expires: a duration (3y, 18m, 2w, 10d), a
    /// date (YYYY-MM-DD), or 'never' (the default)
    #[arg(long, value_name = "WHEN", conflicts_with = "revoke")]
    pub expires: Option<String>,

    /// Certify with this key of yours (default: the config's default-key,
    /// else your only secret key)
    #[arg(long, value_name = "QUERY")]
    pub signer: Option<String>,

    /// The fingerprint the contact gave you; it must match the key's, and
    /// replaces the question
    #[arg(long, value_name = "FPR", conflicts_with = "revoke")]
    pub fingerprint: Option<String>,

    /// Do not ask: with a QUERY that is the key's full fingerprint, that
    /// fingerprint is the confirmation
    #[arg(long)]
    pub yes: bool,

    /// Make the key a trusted introducer: its certifications of others
    /// count as yours (a trust signature)
    #[arg(long, conflicts_with = "revoke")]
    pub introducer: bool,

    /// With --introducer: how far the trust reaches (1: the keys it
    /// certifies; 2: also the introducers it names, and so on)
    #[arg(long, value_name = "N", default_value_t = 1, requires = "introducer",
          value_parser = clap::value_parser!(u8).range(1..=255))]
    pub depth: u8,

    /// With --introducer: trust it only for addresses in DOMAIN or its
    /// subdomains (repeat for several)
    #[arg(long, value_name = "DOMAIN", requires = "introducer")]
    pub domain: Vec<String>,

    /// With --introducer: full (its word alone is enough) or partial (two
    /// partial introducers are needed)
    #[arg(long, value_enum, default_value_t = TrustAmount::Full, requires = "introducer")]
    pub amount: TrustAmount,

    /// With --introducer: make the trust signature exportable (it is local
    /// by default)
    #[arg(long, requires = "introducer")]
    pub exportable: bool,

    /// Withdraw your certifications of the key's user IDs (those named, or
    /// all you certified)
    #[arg(long, conflicts_with = "local")]
    pub revoke: bool,
}

/// The options every network command shares.
#[derive(Args, Debug, Clone)]
pub struct NetArgs {
    /// A keyserver to ask (repeat for several): hkps://HOST, hkp://HOST[:PORT],
    /// or https://HOST for the VKS API of keys.openpgp.org (default: the
    /// config's keyserver, else hkps://keys.openpgp.org)
    #[arg(long, value_name = "URL")]
    pub keyserver: Vec<String>,

    /// Give up on a request that takes longer than SECONDS
    #[arg(long, value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    /// Trust the CA certificates in FILE (PEM) besides the system's roots,
    /// as curl's --cacert: for servers behind a private CA (repeatable)
    #[arg(long, value_name = "FILE")]
    pub cacert: Vec<PathBuf>,

    /// Connect to ADDRESS when a URL names HOST and PORT, instead of asking
    /// DNS, as curl's --resolve: for split DNS (repeatable)
    #[arg(long, value_name = "HOST:PORT:ADDRESS")]
    pub resolve: Vec<crate::net::Resolve>,
}

/// Where `fetch` and `refresh` look.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetSource {
    /// The address's own domain (Web Key Directory)
    Wkd,
    /// The keyservers
    Keyserver,
}

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// What to look for: an email address, a fingerprint or a key ID
    #[arg(value_name = "QUERY", required = true)]
    pub queries: Vec<String>,

    /// Look only here (repeat for both; default: WKD, then the keyservers)
    #[arg(long, value_enum, value_name = "SOURCE")]
    pub from: Vec<NetSource>,

    /// Show what would be imported, and change nothing
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub net: NetArgs,
}

#[derive(Args, Debug)]
pub struct PublishArgs {
    /// Your key: fingerprint, key ID, email or part of a name
    #[arg(value_name = "QUERY")]
    pub query: String,

    /// Refused: a secret key is never uploaded
    #[arg(long, hide = true)]
    pub secret: bool,

    #[command(flatten)]
    pub net: NetArgs,
}

#[derive(Args, Debug)]
pub struct RefreshArgs {
    /// The certificates to refresh (default: every certificate on file)
    #[arg(value_name = "QUERY")]
    pub queries: Vec<String>,

    /// Ask only here (repeat for both; default: the keyservers and WKD)
    #[arg(long, value_enum, value_name = "SOURCE")]
    pub from: Vec<NetSource>,

    #[command(flatten)]
    pub net: NetArgs,
}

#[derive(Subcommand, Debug)]
pub enum WkdCommand {
    /// Write a Web Key Directory tree for your domain from the keys on file
    ///
    /// For each address in DOMAIN among the certificates on file (or the
    /// ones named), writes the file a WKD client asks for, holding only
    /// that domain's user IDs, and an empty policy file.  Serve DIR as the
    /// document root of https://openpgpkey.DOMAIN (advanced method), or
    /// with --direct of https://DOMAIN.
    #[command(after_help = examples(WKD_EXAMPLES))]
    Export(WkdExportArgs),
}

#[derive(Args, Debug)]
pub struct WkdExportArgs {
    /// The directory to write the tree into (created if needed)
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// Your domain: addresses in it are published
    #[arg(long, value_name = "DOMAIN")]
    pub domain: String,

    /// Publish only these certificates (default: all on file with an
    /// address in DOMAIN)
    #[arg(value_name = "QUERY")]
    pub queries: Vec<String>,

    /// Write the direct method's layout instead of the advanced one
    #[arg(long)]
    pub direct: bool,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustAmount {
    /// Trust amount 120: enough alone
    Full,
    /// Trust amount 60: two partial introducers make one full
    Partial,
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
pub struct ExpireArgs {
    /// Your key: fingerprint, key ID, email or part of a name
    #[arg(value_name = "QUERY")]
    pub query: String,

    /// The new expiry: a duration from now (2y, 18m, 2w, 30d), a date
    /// (YYYY-MM-DD), or 'never'
    #[arg(value_name = "WHEN")]
    pub when: String,

    /// Change only this subkey (repeat for several; default: the primary
    /// key and every subkey not revoked)
    #[arg(long, value_name = "FPR")]
    pub subkey: Vec<String>,

    /// Accept a time in the past: the key expires at once (a way to retire
    /// it)
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct RevokeArgs {
    /// Your key: fingerprint, key ID, email or part of a name
    #[arg(value_name = "QUERY")]
    pub query: String,

    /// Why: compromised (every signature becomes suspect), superseded,
    /// retired, or unspecified
    #[arg(long, value_enum, default_value_t = RevocationReason::Unspecified)]
    pub reason: RevocationReason,

    /// A message for your contacts, kept in the revocation
    #[arg(long, value_name = "TEXT")]
    pub message: Option<String>,

    /// Revoke only this subkey (repeat for several)
    #[arg(long, value_name = "FPR", conflicts_with = "userid")]
    pub subkey: Vec<String>,

    /// Revoke only this user ID (repeat for several)
    #[arg(long, value_name = "USERID")]
    pub userid: Vec<String>,

    /// Do not ask for confirmation
    #[arg(long)]
    pub yes: bool,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationReason {
    /// The secret key is (or may be) known to someone else
    Compromised,
    /// A new key replaces this one
    Superseded,
    /// The key (or user ID) is no longer used
    Retired,
    /// No reason given (treated like compromised by most tools)
    Unspecified,
}

#[derive(Args, Debug)]
pub struct UseridArgs {
    #[command(subcommand)]
    pub command: UseridCommand,
}

#[derive(Subcommand, Debug)]
pub enum UseridCommand {
    /// Add a user ID (a name and/or an email address) to your key
    Add(UseridAddArgs),
    /// Revoke one of your key's user IDs
    Revoke(UseridRevokeArgs),
}

#[derive(Args, Debug)]
pub struct UseridAddArgs {
    /// Your key: fingerprint, key ID, email or part of a name
    #[arg(value_name = "QUERY")]
    pub query: String,

    /// The user ID to add, e.g. 'Alice Lovelace <alice@example.net>'
    #[arg(value_name = "USERID", required_unless_present_any = ["name", "email"])]
    pub userid: Option<String>,

    /// The name in the new user ID
    #[arg(long, value_name = "NAME", conflicts_with = "userid")]
    pub name: Option<String>,

    /// The email address in the new user ID
    #[arg(long, value_name = "EMAIL", conflicts_with = "userid")]
    pub email: Option<String>,
}

#[derive(Args, Debug)]
pub struct UseridRevokeArgs {
    /// Your key: fingerprint, key ID, email or part of a name
    #[arg(value_name = "QUERY")]
    pub query: String,

    /// The user ID to revoke, exactly as 'zpgp list' shows it, or its
    /// email address
    #[arg(value_name = "USERID")]
    pub userid: String,

    /// Why: retired (no longer used) or unspecified
    #[arg(long, value_enum, default_value_t = UseridRevocationReason::Retired)]
    pub reason: UseridRevocationReason,

    /// A message for your contacts, kept in the revocation
    #[arg(long, value_name = "TEXT")]
    pub message: Option<String>,

    /// Do not ask for confirmation
    #[arg(long)]
    pub yes: bool,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum UseridRevocationReason {
    /// The user ID is no longer used
    Retired,
    /// No reason given
    Unspecified,
}

#[derive(Args, Debug)]
pub struct SubkeyArgs {
    #[command(subcommand)]
    pub command: SubkeyCommand,
}

#[derive(Subcommand, Debug)]
pub enum SubkeyCommand {
    /// Add a new subkey to your key
    Add(SubkeyAddArgs),
    /// Add a new subkey and let the old ones of that use expire after a
    /// grace period
    Rotate(SubkeyRotateArgs),
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubkeyUse {
    /// Encryption (of messages and of stored data)
    Encrypt,
    /// Signing data
    Sign,
    /// Authentication (e.g. SSH)
    Authenticate,
}

#[derive(Args, Debug)]
pub struct SubkeyAddArgs {
    /// Your key: fingerprint, key ID, email or part of a name
    #[arg(value_name = "QUERY")]
    pub query: String,

    /// What the subkey is for
    #[arg(long = "for", value_enum, value_name = "USE")]
    pub usage: SubkeyUse,

    /// The subkey's algorithm (default: that of the primary key)
    #[arg(long, value_enum)]
    pub cipher_suite: Option<CipherSuite>,

    /// When the subkey expires: a duration (3y, 18m, 2w, 10d), a date
    /// (YYYY-MM-DD), or 'never' (default: when the primary key does)
    #[arg(long, value_name = "WHEN")]
    pub expires: Option<String>,
}

#[derive(Args, Debug)]
pub struct SubkeyRotateArgs {
    /// Your key: fingerprint, key ID, email or part of a name
    #[arg(value_name = "QUERY")]
    pub query: String,

    /// What the subkeys to rotate are for
    #[arg(long = "for", value_enum, value_name = "USE")]
    pub usage: SubkeyUse,

    /// The new subkey's algorithm (default: that of the primary key)
    #[arg(long, value_enum)]
    pub cipher_suite: Option<CipherSuite>,

    /// When the new subkey expires (default: when the primary key does)
    #[arg(long, value_name = "WHEN")]
    pub expires: Option<String>,

    /// How long the old subkeys stay valid, so correspondents with the old
    /// certificate can still write to you
    #[arg(long, value_name = "DURATION", default_value = "30d")]
    pub grace: String,
}

#[derive(Args, Debug)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print the value of one setting
    Get(ConfigKeyArgs),
    /// Change one setting (the file is created on first write, 0600)
    Set(ConfigSetArgs),
    /// Remove one setting
    Unset(ConfigKeyArgs),
    /// Print every setting in the file
    List,
}

#[derive(Args, Debug)]
pub struct ConfigKeyArgs {
    /// The setting, e.g. default-key
    #[arg(value_name = "KEY")]
    pub key: String,
}

#[derive(Args, Debug)]
pub struct ConfigSetArgs {
    /// The setting, e.g. default-key
    #[arg(value_name = "KEY")]
    pub key: String,

    /// Its new value (for default-key: a query naming one of your secret
    /// keys; its fingerprint is stored)
    #[arg(value_name = "VALUE")]
    pub value: String,
}

#[derive(Args, Debug)]
pub struct WatchArgs {
    /// Report keys that expire within N days
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub days: u32,

    /// Also watch the certificates of your contacts
    #[arg(long)]
    pub contacts: bool,
}

#[derive(Args, Debug)]
pub struct DoctorArgs {}

#[derive(Args, Debug)]
pub struct AuditArgs {
    /// Also audit the certificates of your contacts
    #[arg(long)]
    pub contacts: bool,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("action").args(["status", "forget", "stop", "serve"])))]
pub struct AgentArgs {
    /// Say whether the agent runs and which keys it holds unlocked, until
    /// when (the default; never anything secret)
    #[arg(long)]
    pub status: bool,

    /// Forget every unlocked key (zeroed in the agent's memory); the next
    /// use asks for the passphrase again
    #[arg(long)]
    pub forget: bool,

    /// Forget every key and stop the agent
    #[arg(long)]
    pub stop: bool,

    /// Run the agent in the foreground (how zpgp starts it)
    #[arg(long, hide = true)]
    pub serve: bool,
}

#[derive(Args, Debug)]
pub struct EncryptArgs {
    /// Encrypt for this key: fingerprint, key ID, email or part of a name
    /// (repeat for several)
    #[arg(short, long = "recipient", value_name = "QUERY")]
    pub recipients: Vec<String>,

    /// Encrypt for the certificates in FILE too (repeat for several); with
    /// no -r and no --sign the keyring is not read, and you are not added
    #[arg(long, value_name = "FILE")]
    pub recipient_file: Vec<PathBuf>,

    /// Refuse (exit 17) a recipient whose key is not authenticated:
    /// certified by you or through your trusted introducers (also:
    /// require-authentication = true in the config file)
    #[arg(long)]
    pub require_auth: bool,

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

    /// Before writing, say what protects the message: each recipient's
    /// key (v4 or v6, post-quantum or not), the container and its
    /// ciphers, who cannot read it, and whether the whole message is
    /// post-quantum protected (also with -v; in the --json report)
    #[arg(long)]
    pub explain: bool,

    /// Write to FILE (default: INPUT.pgp, or INPUT.asc with --armor;
    /// standard output when reading standard input); one input only
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Overwrite the output file if it exists
    #[arg(long)]
    pub force: bool,

    /// Encrypt text: line endings travel as CRLF (literal data in text
    /// mode, 't'; with --sign a text signature), and decrypting on any
    /// system gives that system's line endings
    #[arg(short, long)]
    pub text: bool,

    /// Mark the message for display only (the file name _CONSOLE, as PGP
    /// 2's -m and gpg --for-your-eyes-only): zpgp decrypt then shows it on
    /// the terminal and will not write it to a file or a pipe without
    /// --force
    #[arg(long)]
    pub for_your_eyes_only: bool,

    /// Once the encrypted file is written and synced to disk, overwrite
    /// each input file with random bytes, sync, and remove it (refused for
    /// standard input, links, anything but a regular file, and output
    /// that cannot be synced; see "Wipe and eyes-only" in the README for
    /// what overwriting cannot do on SSDs and copy-on-write file systems)
    #[arg(long)]
    pub wipe: bool,

    /// The files to encrypt, each to its own output (standard input when
    /// none, or -)
    #[arg(value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct DecryptArgs {
    /// Require a valid signature by this key (repeat: each must sign)
    #[arg(long, value_name = "QUERY")]
    pub signer: Vec<String>,

    /// Fail (exit 3) unless a good signature's signer is authenticated:
    /// certified by you or through your trusted introducers (also:
    /// require-authentication = true in the config file)
    #[arg(long)]
    pub require_auth: bool,

    /// Decrypt with the secret key in FILE (or @ENV:NAME, @FD:N) instead of
    /// the keyring's, which is then not read; the key is never stored
    /// (repeat for several)
    #[arg(long, value_name = "FILE")]
    pub key_file: Vec<String>,

    /// With --key-file: check signatures against the certificates in FILE
    /// (repeat for several)
    #[arg(long, value_name = "FILE", requires = "key_file")]
    pub cert_file: Vec<PathBuf>,

    /// Write to FILE (default: INPUT without .pgp/.gpg/.asc; standard output
    /// when reading standard input); one input only
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Overwrite the output file if it exists; write a message marked for
    /// your eyes only to a file or a pipe (it is otherwise shown on a
    /// terminal only, exit 9)
    #[arg(long)]
    pub force: bool,

    /// The messages to decrypt, each to its own output (standard input
    /// when none, or -)
    #[arg(value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
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

    /// Sign with the secret key in FILE (or @ENV:NAME, @FD:N) instead of
    /// the keyring's, which is then not read; the key is never stored
    /// (repeat for several; --signer chooses among them)
    #[arg(long, value_name = "FILE")]
    pub key_file: Vec<String>,

    /// Write ASCII armor instead of binary
    #[arg(short, long, conflicts_with = "clear")]
    pub armor: bool,

    /// Write to FILE (default: INPUT.pgp, INPUT.sig or INPUT.asc; standard
    /// output when reading standard input); one input only
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Overwrite the output file if it exists
    #[arg(long)]
    pub force: bool,

    /// Sign text: a text signature (type 0x01) over the text with CRLF
    /// line endings, so that it verifies whether the file has Unix or
    /// Windows line endings; inline, the literal data is in text mode
    /// ('t') with CRLF line endings
    #[arg(short, long)]
    pub text: bool,

    /// The files to sign, each to its own output (standard input when
    /// none, or -)
    #[arg(value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Require a valid signature by this key (repeat: each must sign)
    #[arg(long, value_name = "QUERY")]
    pub signer: Vec<String>,

    /// Fail (exit 3) unless a good signature's signer is authenticated:
    /// certified by you or through your trusted introducers (also:
    /// require-authentication = true in the config file)
    #[arg(long)]
    pub require_auth: bool,

    /// Check against the certificates in FILE only (repeat for several); the
    /// keyring is not read, as gpgv --keyring does
    #[arg(long, value_name = "FILE")]
    pub cert_file: Vec<PathBuf>,

    /// A detached signature of FILE
    #[arg(long, value_name = "SIG")]
    pub signature: Option<PathBuf>,

    /// For signed messages: write the verified content to FILE (default:
    /// standard output; nothing is written for a detached signature)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Overwrite the output file if it exists; write a message marked for
    /// your eyes only to a file or a pipe (exit 9 otherwise)
    #[arg(long)]
    pub force: bool,

    /// A signed message; a detached signature and the file it signs (SIG
    /// FILE); detached signatures alone, each checked against the file
    /// beside it (FILE.sig or FILE.asc: FILE); or with --signature the
    /// signed data (standard input when none, or -)
    #[arg(value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
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

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    fn argv(line: &str) -> Vec<OsString> {
        std::iter::once("zpgp")
            .chain(line.split_whitespace())
            .map(OsString::from)
            .collect()
    }

    /// The lean parse gives what clap's own tree gives, and takes the
    /// common forms itself (else the saving would be gone unnoticed).
    #[test]
    fn the_lean_parse_agrees_with_clap() {
        let lean = [
            "verify sig file",
            "--home h --batch verify sig file",
            "verify --home h -q sig file",
            "--home h verify --batch --json -v sig file",
            "-q verify -v sig file",
            "--passphrase-file p sign --detached f -o -",
            "encrypt --password-file p --password f",
            "--no-agent decrypt f",
            "decrypt --no-agent f",
            "config --home h set agent false",
            "-v list --secret",
            "--home=h verify --batch -- -sig- file",
        ];
        let clap_decides = [
            "--home a verify --home b sig file",
            "--batch verify --batch sig file",
            "-q verify -q sig file",
            "verify -q -v sig file",
            "--home h wkd export --domain example.org -o d",
            "config get agent --home h",
            "sop --home h version",
            "sop version",
            "verify --help",
            "help verify",
            "--version",
            "",
            "verify --nonsense",
            "frobnicate",
        ];
        for (line, expect_lean) in lean
            .iter()
            .map(|l| (l, true))
            .chain(clap_decides.iter().map(|l| (l, false)))
        {
            let ours = parse_from(argv(line));
            let clap = Cli::try_parse_from(argv(line));
            assert_eq!(
                format!("{ours:?}"),
                format!("{clap:?}"),
                "zpgp {line}: the lean parse differs from clap's"
            );
            assert_eq!(
                parse_lean(&argv(line)).is_some(),
                expect_lean,
                "zpgp {line}: lean parse taken or not as expected"
            );
        }
    }
}
