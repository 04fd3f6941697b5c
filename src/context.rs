//! The resolved global options, shared by every command.

use std::cell::OnceCell;
use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::{Context as _, Result};
use sequoia_openpgp::crypto::Password;
use sequoia_openpgp::crypto::mem::Protected;
use sequoia_openpgp::policy::StandardPolicy;

use crate::cli::{Command, GlobalArgs};
use crate::config::Config;
use crate::keyring::Keyring;
use crate::passphrase::{self, Fds, Param, Secret, Use};

pub struct Context {
    pub home: PathBuf,
    pub batch: bool,
    pub quiet: bool,
    pub verbose: bool,
    pub json: bool,
    /// --no-agent: unlock keys in this process only.
    pub no_agent: bool,
    /// --passphrase-file: the passphrase of the user's secret keys, never
    /// a message password (but see `encrypt`'s one old case).
    pub passphrase_file: Option<String>,
    /// --password-file: the message password, never a key's passphrase.
    pub password_file: Option<String>,
    /// passwd's --new-passphrase-file, resolved with the others.
    pub new_passphrase_file: Option<String>,
    /// The descriptors these name (`@FD:N`), duplicated at start-up.
    fds: Fds,
    /// The reference time for validity checks and new signatures.
    pub time: SystemTime,
    pub policy: StandardPolicy<'static>,
    keyring: OnceCell<Keyring>,
    /// HOME/config.toml, read on first use: most commands never need it.
    config: OnceCell<Config>,
    /// Each file is read once: @FD:N can be read only once.
    passphrase_cache: OnceCell<Password>,
    password_cache: OnceCell<Password>,
    /// The connection to the key agent, made on first need (`None`: not
    /// to be used, or not to be had).
    pub(crate) agent: std::cell::RefCell<crate::agent::Slot>,
}

impl Context {
    /// Resolves the global options for `command`.  Any `@FD:N` among the
    /// secret files is taken here, before anything is opened (see
    /// [`crate::passphrase`]).
    pub fn new(global: GlobalArgs, command: &Command) -> Result<Context> {
        let new_passphrase_file = match command {
            Command::Passwd(a) => a.new_passphrase_file.clone(),
            _ => None,
        };
        let use_ = Use::Read {
            stdin_is_data: command.reads_stdin(),
        };
        let key_files: &[String] = match command {
            Command::Decrypt(a) => &a.key_file,
            Command::Sign(a) => &a.key_file,
            _ => &[],
        };
        let params: Vec<Param> = [
            ("--passphrase-file", &global.passphrase_file),
            ("--password-file", &global.password_file),
            ("--new-passphrase-file", &new_passphrase_file),
        ]
        .into_iter()
        .filter_map(|(option, spec)| spec.as_deref().map(|spec| Param { option, spec, use_ }))
        .chain(key_files.iter().map(|spec| Param {
            option: "--key-file",
            spec,
            use_,
        }))
        .collect();
        let fds = Fds::resolve(&params)?;

        let home = match global.home {
            Some(home) => home,
            None => dirs::data_dir().map(|d| d.join("zpgp")).context(
                "cannot find a home directory for the keyring; give one with --home DIR",
            )?,
        };
        // The certificate directory cannot be walked from a relative base,
        // and a later chdir must not move the keyring.
        let home = std::path::absolute(&home)
            .with_context(|| format!("cannot resolve the home {}", home.display()))?;
        Ok(Context {
            home,
            batch: global.batch,
            quiet: global.quiet,
            verbose: global.verbose,
            json: global.json,
            no_agent: global.no_agent,
            passphrase_file: global.passphrase_file,
            password_file: global.password_file,
            new_passphrase_file,
            fds,
            time: SystemTime::now(),
            policy: crate::policy::load()?,
            keyring: OnceCell::new(),
            config: OnceCell::new(),
            passphrase_cache: OnceCell::new(),
            password_cache: OnceCell::new(),
            agent: Default::default(),
        })
    }

    /// The keyring, opened (and created) on first use.
    pub fn keyring(&self) -> Result<&Keyring> {
        if let Some(k) = self.keyring.get() {
            return Ok(k);
        }
        let k = Keyring::open(&self.home)?;
        Ok(self.keyring.get_or_init(|| k))
    }

    /// The settings of HOME/config.toml, read and checked on first use;
    /// a file with a mistake is an error for every command that asks.
    pub fn config(&self) -> Result<&Config> {
        if let Some(c) = self.config.get() {
            return Ok(c);
        }
        let c = Config::load(&self.home)?;
        Ok(self.config.get_or_init(|| c))
    }

    /// A secret key's passphrase: from --passphrase-file when given, else
    /// asked on the terminal (twice when `confirm`).
    pub fn passphrase(&self, what: &str, confirm: bool) -> Result<Password> {
        match &self.passphrase_file {
            Some(spec) => cached(&self.passphrase_cache, || {
                passphrase::from_indirect(spec, &self.fds)
            }),
            None => passphrase::prompt(
                self.printer(),
                self.batch,
                what,
                confirm,
                Secret::KeyPassphrase,
            ),
        }
    }

    /// A message password: from --password-file when given, else asked on
    /// the terminal (twice when `confirm`).  Never --passphrase-file: a
    /// secret that unlocks a key is not handed to a message, which may
    /// come from anyone.
    pub fn password(&self, what: &str, confirm: bool, secret: Secret) -> Result<Password> {
        match &self.password_file {
            Some(spec) => cached(&self.password_cache, || {
                passphrase::from_indirect(spec, &self.fds)
            }),
            None => passphrase::prompt(self.printer(), self.batch, what, confirm, secret),
        }
    }

    /// The whole of an indirect parameter resolved at start-up (a path,
    /// @ENV:NAME or @FD:N, e.g. a --key-file), at most `limit` bytes, in
    /// memory that is zeroed when dropped.
    pub fn read_indirect(&self, spec: &str, limit: usize) -> Result<Protected> {
        passphrase::read_indirect(spec, &self.fds, Some(limit))
    }

    /// The new passphrase of `passwd`: from --new-passphrase-file when
    /// given, else asked twice on the terminal.
    pub fn new_passphrase(&self, what: &str) -> Result<Password> {
        match &self.new_passphrase_file {
            Some(spec) => passphrase::from_indirect(spec, &self.fds),
            None => passphrase::prompt(
                self.printer(),
                self.batch,
                what,
                true,
                Secret::KeyPassphrase,
            ),
        }
    }

    /// A new secret (a key's new passphrase, a message's password: `what`
    /// names it in the warning) from `get`, checked for how guessable it is ([`passphrase::strength`]):
    /// a weak one is named with why.  `typed` (asked on the terminal): the
    /// user is asked whether to keep it, and asked for another if not; from
    /// a file, @ENV or @FD, or in --batch, nothing is asked, the warning is
    /// all.  `stderr_is_report` (encrypt --json, whose report is standard
    /// error): the warning stays off standard error, which must hold the
    /// JSON alone, and is shown with the question on the terminal only.
    /// An empty secret is returned unchecked: the callers refuse it.
    pub fn checked_new_secret(
        &self,
        what: &str,
        typed: bool,
        stderr_is_report: bool,
        user_inputs: &[&str],
        mut get: impl FnMut() -> Result<Password>,
    ) -> Result<Password> {
        loop {
            let pw = get()?;
            if pw.map(|p| p.is_empty()) {
                return Ok(pw);
            }
            let strength = passphrase::strength(&pw, user_inputs);
            if !strength.is_weak() {
                return Ok(pw);
            }
            let warning = format!("{what} is weak ({})", strength.reason());
            if !typed || self.batch {
                if !stderr_is_report {
                    self.warn(warning);
                }
                return Ok(pw);
            }
            let keep = if stderr_is_report {
                passphrase::confirm(&format!("zpgp: warning: {warning}\nUse it anyway?"))?
            } else {
                self.warn(warning);
                passphrase::confirm("Use it anyway?")?
            };
            if keep {
                return Ok(pw);
            }
        }
    }

    /// What the keyring noticed since last asked (none if it was never
    /// opened).
    pub fn keyring_warnings(&self) -> Vec<String> {
        self.keyring
            .get()
            .map(Keyring::take_warnings)
            .unwrap_or_default()
    }

    /// The one voice for stderr and JSON reports.
    pub fn printer(&self) -> crate::printer::Printer {
        crate::printer::Printer {
            quiet: self.quiet,
            verbose: self.verbose,
            json: self.json,
        }
    }

    /// A warning on stderr, even with --quiet.
    pub fn warn(&self, msg: impl std::fmt::Display) {
        self.printer().warn(msg)
    }

    /// A line of the conversation or of a verdict, even with --quiet.
    pub fn say(&self, msg: impl std::fmt::Display) {
        self.printer().say(msg)
    }

    /// Chatter for the user on stderr, unless --quiet.
    pub fn info(&self, msg: impl std::fmt::Display) {
        self.printer().info(msg)
    }

    /// Detail on stderr, only with --verbose.
    pub fn debug(&self, msg: impl std::fmt::Display) {
        self.printer().debug(msg)
    }

    /// The command's JSON report (see [`crate::printer::ReportTo`]).
    pub fn report<T: serde::Serialize + ?Sized>(
        &self,
        to: crate::printer::ReportTo,
        value: &T,
    ) -> Result<()> {
        self.printer().report(to, value)
    }
}

fn cached(cell: &OnceCell<Password>, read: impl FnOnce() -> Result<Password>) -> Result<Password> {
    if let Some(pw) = cell.get() {
        return Ok(pw.clone());
    }
    let pw = read()?;
    Ok(cell.get_or_init(|| pw).clone())
}
