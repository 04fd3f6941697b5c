//! The outcomes that scripts branch on, and the one table of exit codes.
//!
//! The numbers are those of the Stateless OpenPGP specification's failure
//! modes wherever a meaning matches, so `zpgp` and `zpgp sop` agree.  Any
//! other failure exits with 1, and a usage error with 2.

use std::fmt;

/// A failure with a meaning of its own and a fixed exit code.
///
/// Commands attach one of these to an `anyhow` error (as the error itself or
/// as context); `main` finds it anywhere in the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The command line is wrong: an unknown option, a missing argument, or
    /// a value that does not parse (clap's own errors exit 2 as well).
    Usage,
    /// `watch` found a key that expires soon or has expired.
    KeysExpiring,
    /// `doctor` found something to fix, or `audit` something weak or
    /// ageing.
    ProblemsFound,
    /// A message marked for your eyes only was to be written to a file or
    /// a pipe (allowed with `--force`).
    EyesOnly,
    /// No acceptable signature was found.
    NoSignature,
    /// An asymmetric algorithm is not supported.
    UnsupportedAsymmetricAlgo,
    /// A certificate has no usable encryption subkey.
    CertCannotEncrypt,
    /// A required argument is missing.
    MissingArg,
    /// Some but not all requested signatures could be verified.
    IncompleteVerification,
    /// The message could not be decrypted.
    CannotDecrypt,
    /// A password was not human-readable (not UTF-8).
    PasswordNotHumanReadable,
    /// An option is not supported.
    UnsupportedOption,
    /// The input is not valid OpenPGP data, or is damaged.
    BadData,
    /// Text was expected but binary data was given.
    ExpectedText,
    /// The output file exists already.
    OutputExists,
    /// An input file does not exist.
    MissingInput,
    /// A secret key is protected and could not be unlocked.
    KeyIsProtected,
    /// The subcommand is not supported.
    UnsupportedSubcommand,
    /// An indirect parameter has an unknown prefix.
    UnsupportedSpecialPrefix,
    /// Input is ambiguous: a query matches several keys, or a file name
    /// looks like an indirect parameter.
    AmbiguousInput,
    /// A key cannot sign.
    KeyCannotSign,
    /// Options were given that do not go together.
    IncompatibleOptions,
    /// The profile is not supported.
    UnsupportedProfile,
    /// The primary key is unusable (expired, revoked, or rejected by policy).
    PrimaryKeyBad,
    /// No user ID of the certificate matches.
    CertUserIdNoMatch,
    /// A key cannot certify.
    KeyCannotCertify,
    /// No key in the keyring matches the query.
    KeyNotFound,
    /// A network request failed: the server is unreachable, TLS failed,
    /// it did not answer in time, or it answered with an HTTP error.
    Network,
}

impl Failure {
    /// The process exit code of this failure.
    pub fn exit_code(self) -> i32 {
        use Failure::*;
        match self {
            Usage => 2,
            NoSignature => 3,
            KeyNotFound => 4,
            KeysExpiring => 5,
            ProblemsFound => 6,
            Network => 7,
            EyesOnly => 9,
            UnsupportedAsymmetricAlgo => 13,
            CertCannotEncrypt => 17,
            MissingArg => 19,
            IncompleteVerification => 23,
            CannotDecrypt => 29,
            PasswordNotHumanReadable => 31,
            UnsupportedOption => 37,
            BadData => 41,
            ExpectedText => 53,
            OutputExists => 59,
            MissingInput => 61,
            KeyIsProtected => 67,
            UnsupportedSubcommand => 69,
            UnsupportedSpecialPrefix => 71,
            AmbiguousInput => 73,
            KeyCannotSign => 79,
            IncompatibleOptions => 83,
            UnsupportedProfile => 89,
            PrimaryKeyBad => 101,
            CertUserIdNoMatch => 103,
            KeyCannotCertify => 107,
        }
    }

    /// Every failure, in exit-code order; the README table and the man page
    /// are checked against this list.
    pub const ALL: [Failure; 28] = {
        use Failure::*;
        [
            Usage,
            NoSignature,
            KeyNotFound,
            KeysExpiring,
            ProblemsFound,
            Network,
            EyesOnly,
            UnsupportedAsymmetricAlgo,
            CertCannotEncrypt,
            MissingArg,
            IncompleteVerification,
            CannotDecrypt,
            PasswordNotHumanReadable,
            UnsupportedOption,
            BadData,
            ExpectedText,
            OutputExists,
            MissingInput,
            KeyIsProtected,
            UnsupportedSubcommand,
            UnsupportedSpecialPrefix,
            AmbiguousInput,
            KeyCannotSign,
            IncompatibleOptions,
            UnsupportedProfile,
            PrimaryKeyBad,
            CertUserIdNoMatch,
            KeyCannotCertify,
        ]
    };

    /// A short description, as shown in the exit-code table.
    pub fn describe(self) -> &'static str {
        use Failure::*;
        match self {
            Usage => "usage error (unknown option, missing argument)",
            NoSignature => "no acceptable signature found",
            KeyNotFound => "no key matches the query (in the keyring, or on the servers asked)",
            KeysExpiring => "watch: a key expires within the days given, or has expired",
            ProblemsFound => "doctor, audit: something needs fixing",
            Network => {
                "fetch, publish, refresh: a server unreachable, a TLS failure, a timeout or an HTTP error"
            }
            EyesOnly => {
                "message is for your eyes only: shown on a terminal, not written (use --force)"
            }
            UnsupportedAsymmetricAlgo => "unsupported public-key algorithm",
            CertCannotEncrypt => "certificate has no usable encryption key",
            MissingArg => "a required argument is missing",
            IncompleteVerification => "not every required signature was verified",
            CannotDecrypt => "message cannot be decrypted",
            PasswordNotHumanReadable => "password is not human-readable UTF-8",
            UnsupportedOption => "option not supported",
            BadData => "input is not valid OpenPGP data, or is damaged",
            ExpectedText => "text expected, binary data given",
            OutputExists => "output file exists (use --force to overwrite)",
            MissingInput => "input file does not exist",
            KeyIsProtected => "secret key is locked: wrong or missing passphrase",
            UnsupportedSubcommand => "subcommand not supported",
            UnsupportedSpecialPrefix => "unknown @PREFIX: in an indirect parameter",
            AmbiguousInput => "ambiguous input (a query matching several keys)",
            KeyCannotSign => "key cannot sign",
            IncompatibleOptions => "options that do not go together",
            UnsupportedProfile => "profile not supported",
            PrimaryKeyBad => "primary key is expired, revoked or rejected by policy",
            CertUserIdNoMatch => "no user ID of the certificate matches",
            KeyCannotCertify => "key cannot certify",
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

impl std::error::Error for Failure {}

/// Why an error happened, where a caller in another module decides on it
/// (e.g. to put a better hint on it): callers match on this, never on the
/// text of the message or hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The message's password was given and did not fit.
    WrongPassword,
    /// The hint is the ops' generic "give the key's passphrase", which a
    /// command that knows how the passphrase was given replaces.
    GenericPassphraseHint,
}

/// An error carrying a typed failure, a message, and an optional hint that
/// tells the user how to fix it.
#[derive(Debug)]
pub struct Error {
    pub failure: Failure,
    pub message: String,
    pub hint: Option<String>,
    pub reason: Option<Reason>,
}

impl Error {
    pub fn new(failure: Failure, message: impl Into<String>) -> Self {
        Error {
            failure,
            message: message.into(),
            hint: None,
            reason: None,
        }
    }

    pub fn reason(mut self, reason: Reason) -> Self {
        self.reason = Some(reason);
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        let hint = hint.into();
        // A hint that suggests a zpgp command must name one the parser
        // accepts; debug builds (and so every test) check it here.
        #[cfg(debug_assertions)]
        crate::cli::check::assert_hint_parses(&hint);
        self.hint = Some(hint);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Shorthand: an `anyhow::Error` with a failure kind and message.
pub fn fail(failure: Failure, message: impl Into<String>) -> anyhow::Error {
    Error::new(failure, message).into()
}

/// An input file that could not be read: missing (exit 61), or otherwise
/// unreadable (exit 41).
pub fn unreadable(path: &std::path::Path, e: std::io::Error) -> anyhow::Error {
    let failure = if e.kind() == std::io::ErrorKind::NotFound {
        Failure::MissingInput
    } else {
        Failure::BadData
    };
    fail(failure, format!("cannot read {}: {e}", path.display()))
}

/// An error and its causes as one text, joined with ": ", leaving out a
/// cause whose text an earlier part already holds (sequoia's errors often
/// repeat their source).
pub fn chain_text(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in e.chain() {
        let s = c.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ")
}

/// The failure kind anywhere in an error's chain, if any.
pub fn failure_of(err: &anyhow::Error) -> Option<Failure> {
    // The outermost word wins; an `Error` attached with `.context(...)` is
    // visible only through `downcast_ref`, not through `chain()`.
    if let Some(e) = err.downcast_ref::<Error>() {
        return Some(e.failure);
    }
    if let Some(f) = err.downcast_ref::<Failure>() {
        return Some(*f);
    }
    if let Some(s) = err.downcast_ref::<Reported>() {
        return s.0;
    }
    err.chain().find_map(|e| {
        e.downcast_ref::<Error>()
            .map(|e| e.failure)
            .or_else(|| e.downcast_ref::<Failure>().copied())
    })
}

/// A command that has already said everything on stdout or stderr and has
/// only its exit code left to give: `watch`, `doctor` and `audit` with
/// findings (their list is the product, not an error), `config get` of a
/// setting that is not set (exit 1, silent, as `git config` does).  `main`
/// prints no error line for it.
#[derive(Debug)]
pub struct Reported(pub Option<Failure>);

impl fmt::Display for Reported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(failure) => f.write_str(failure.describe()),
            None => f.write_str("nothing to report"),
        }
    }
}

impl std::error::Error for Reported {}

/// Whether the command has said all there is (see [`Reported`]).
pub fn is_reported(err: &anyhow::Error) -> bool {
    err.downcast_ref::<Reported>().is_some()
}

/// A failure with no exit code of its own (exit 1) that still tells the
/// user how to fix it, e.g. unsafe permissions on the keyring.
#[derive(Debug)]
pub struct Unsafe {
    pub message: String,
    pub hint: String,
}

impl fmt::Display for Unsafe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Unsafe {}

/// Shorthand: an `anyhow::Error` with exit code 1 and a hint.
pub fn unsafe_error(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    let hint = hint.into();
    #[cfg(debug_assertions)]
    crate::cli::check::assert_hint_parses(&hint);
    Unsafe {
        message: message.into(),
        hint,
    }
    .into()
}

/// An error's text (with its causes) and hint, to be shown somewhere else
/// than the error line: `doctor` lists the errors it finds as problems
/// with their fix.
pub fn text_and_hint(err: &anyhow::Error) -> (String, Option<String>) {
    (chain_text(err), hint_of(err).map(str::to_string))
}

/// The first hint in an error's chain, if any.
pub fn hint_of(err: &anyhow::Error) -> Option<&str> {
    // An `Error` attached with `.context(...)` is not visible through
    // `chain()` (anyhow wraps it), only through `downcast_ref`.
    if let Some(hint) = err.downcast_ref::<Error>().and_then(|e| e.hint.as_deref()) {
        return Some(hint);
    }
    err.chain().find_map(|e| {
        e.downcast_ref::<Error>()
            .and_then(|e| e.hint.as_deref())
            .or_else(|| e.downcast_ref::<Unsafe>().map(|u| u.hint.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_distinct_and_ordered() {
        let codes: Vec<i32> = Failure::ALL.iter().map(|f| f.exit_code()).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted);
        assert!(!codes.contains(&1), "1 is any other failure");
    }

    #[test]
    fn readme_lists_every_exit_code() {
        let readme = include_str!("../README.md");
        for f in Failure::ALL {
            let row = format!("| {} | {} |", f.exit_code(), f.describe());
            assert!(readme.contains(&row), "README lacks the row {row}");
        }
    }

    #[test]
    fn failure_found_in_context_chain() {
        let e = anyhow::Error::from(Error::new(Failure::BadData, "x")).context("reading y");
        assert_eq!(failure_of(&e), Some(Failure::BadData));
        let e = anyhow::anyhow!("inner").context(Error::new(Failure::KeyIsProtected, "outer"));
        assert_eq!(failure_of(&e), Some(Failure::KeyIsProtected));
        let e = anyhow::anyhow!("plain");
        assert_eq!(failure_of(&e), None);
        let e = anyhow::Error::from(Reported(Some(Failure::KeysExpiring)));
        assert_eq!(failure_of(&e), Some(Failure::KeysExpiring));
        assert!(is_reported(&e));
        assert_eq!(failure_of(&Reported(None).into()), None);
    }
}
