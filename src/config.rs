//! `HOME/config.toml`: the user's settings, loaded, checked and written.
//!
//! Every setting zpgp knows is one row of [`SETTINGS`]: its name, a line
//! of documentation and the parser that checks its value.  A later setting
//! (`keyserver`, `require-authentication`, …) is one more row and, where
//! a command reads it, one more accessor on [`Config`].
//!
//! Nothing in the file is ever ignored: a file that is not TOML, a setting
//! zpgp does not know and a value of the wrong type are errors that name
//! the file and the line, since a typo silently dropped would make zpgp
//! sign with a key the user did not mean.
//!
//! The file is rewritten through `toml_edit`, so the user's comments,
//! order and spacing survive `zpgp config set` and `unset`; it is replaced
//! atomically (a temporary file in the home, synced, renamed) with mode
//! 0600.

use std::fmt;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use sequoia_openpgp::Fingerprint;

/// The file's name in the home.
pub const FILE_NAME: &str = "config.toml";

/// A setting the file may hold.
pub struct Setting {
    /// The key in the file and on the command line.
    pub name: &'static str,
    /// What it does, in one line (`zpgp config`'s errors, the README).
    pub doc: &'static str,
    /// Checks a value as the file holds it; the error says what is
    /// expected instead.
    parse: fn(&toml_edit::Value) -> Result<Value, String>,
}

/// Every setting zpgp knows.
pub static SETTINGS: &[Setting] = &[
    Setting {
        name: "default-key",
        doc: "the fingerprint of your secret key that signs, and that messages are also \
              encrypted to, when you hold several (--signer wins)",
        parse: parse_fingerprint,
    },
    Setting {
        name: "require-authentication",
        doc: "true makes encrypt refuse (exit 17), and verify and decrypt fail (exit 3), \
              when a key is not authenticated, as --require-auth does",
        parse: parse_bool,
    },
    Setting {
        name: "keyserver",
        doc: "the keyserver fetch, publish and refresh use (--keyserver wins): a URL, \
              or a list of them, e.g. \"hkps://keys.openpgp.org\" (the default)",
        parse: parse_keyservers,
    },
    Setting {
        name: "agent",
        doc: "whether the key agent keeps your keys unlocked for a while (true, the \
              default) or every command asks for the passphrase (false)",
        parse: parse_bool,
    },
    Setting {
        name: "agent-ttl",
        doc: "how long the agent keeps a key unlocked since it was last used: seconds, \
              or a number with s, m or h (default 10m)",
        parse: parse_duration,
    },
    Setting {
        name: "agent-max-ttl",
        doc: "the longest the agent keeps a key unlocked since its passphrase was given, \
              however often it is used (default 2h)",
        parse: parse_duration,
    },
];

impl Setting {
    /// Checks a value typed on the command line: TOML (`true`, `5`,
    /// `"text"`), or else the text as a string.
    pub fn parse_typed(&self, typed: &str) -> Result<Value, String> {
        let value = typed
            .parse::<toml_edit::Value>()
            .unwrap_or_else(|_| toml_edit::Value::from(typed));
        (self.parse)(&value)
    }
}

/// The setting called `name`, if zpgp knows one.
pub fn setting(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

/// The known settings' names, for error messages.
pub fn known_names() -> String {
    SETTINGS
        .iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A checked value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Fingerprint(Fingerprint),
    Bool(bool),
    /// A duration, in seconds.
    Seconds(u64),
    /// Keyserver URLs.
    Urls(Vec<String>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Fingerprint(fpr) => write!(f, "{fpr:X}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Seconds(n) => match n {
                0 => f.write_str("0s"),
                n if n % 3600 == 0 => write!(f, "{}h", n / 3600),
                n if n % 60 == 0 => write!(f, "{}m", n / 60),
                n => write!(f, "{n}s"),
            },
            Value::Urls(urls) => f.write_str(&urls.join(", ")),
        }
    }
}

impl Value {
    /// The value in `config list --json`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Fingerprint(_) => serde_json::Value::String(self.to_string()),
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Seconds(n) => serde_json::Value::from(*n),
            Value::Urls(urls) if urls.len() == 1 => serde_json::Value::from(urls[0].clone()),
            Value::Urls(urls) => serde_json::Value::from(urls.clone()),
        }
    }

    fn to_toml(&self) -> toml_edit::Value {
        match self {
            Value::Fingerprint(_) | Value::Seconds(_) => toml_edit::Value::from(self.to_string()),
            Value::Bool(b) => toml_edit::Value::from(*b),
            Value::Urls(urls) if urls.len() == 1 => toml_edit::Value::from(urls[0].as_str()),
            Value::Urls(urls) => toml_edit::Value::Array(urls.iter().map(|u| u.as_str()).collect()),
        }
    }
}

fn parse_bool(v: &toml_edit::Value) -> Result<Value, String> {
    match v.as_bool() {
        Some(b) => Ok(Value::Bool(b)),
        None => Err(format!("expected true or false, found {}", v.type_name())),
    }
}

/// A keyserver URL, or an array of them; each with a scheme zpgp speaks.
fn parse_keyservers(v: &toml_edit::Value) -> Result<Value, String> {
    const WANT: &str = "a keyserver URL in quotes (hkps://HOST, hkp://HOST[:PORT] or \
                        https://HOST), or a list of them";
    let strings: Vec<&str> = if let Some(s) = v.as_str() {
        vec![s]
    } else if let Some(a) = v.as_array() {
        a.iter()
            .map(|x| {
                x.as_str()
                    .ok_or_else(|| format!("expected {WANT}, found {}", x.type_name()))
            })
            .collect::<Result<_, _>>()?
    } else {
        return Err(format!("expected {WANT}, found {}", v.type_name()));
    };
    if strings.is_empty() {
        return Err(format!("expected {WANT}, found an empty list"));
    }
    for s in &strings {
        let ok = url::Url::parse(s).is_ok_and(|u| {
            matches!(u.scheme(), "hkp" | "hkps" | "https") && u.host_str().is_some()
        });
        if !ok {
            return Err(format!("{s:?} is not a keyserver URL: expected {WANT}"));
        }
    }
    Ok(Value::Urls(strings.into_iter().map(String::from).collect()))
}

/// Seconds as a whole number (`600`), or a string with a unit (`"30s"`,
/// `"10m"`, `"2h"`).
fn parse_duration(v: &toml_edit::Value) -> Result<Value, String> {
    const WANT: &str = "seconds (600) or a number with s, m or h (\"10m\")";
    if let Some(n) = v.as_integer() {
        return u64::try_from(n)
            .map(Value::Seconds)
            .map_err(|_| format!("expected {WANT}, found {n}"));
    }
    let Some(s) = v.as_str() else {
        return Err(format!("expected {WANT}, found {}", v.type_name()));
    };
    let s = s.trim();
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let scale = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(format!("{s:?} is not a duration: expected {WANT}")),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .map(Value::Seconds)
        .ok_or_else(|| format!("{s:?} is not a duration: expected {WANT}"))
}

fn parse_fingerprint(v: &toml_edit::Value) -> Result<Value, String> {
    const WANT: &str =
        "a full fingerprint in quotes, e.g. \"963FD9FAFF284BDF795108FBD78934721464A7C8\"";
    let Some(s) = v.as_str() else {
        return Err(format!("expected {WANT}, found {}", v.type_name()));
    };
    match crate::query::Query::parse(s) {
        Ok(crate::query::Query::Fingerprint(fpr)) => Ok(Value::Fingerprint(fpr)),
        _ => Err(format!("{s:?} is not a fingerprint: expected {WANT}")),
    }
}

/// One setting found in the file, with its line (from 1).
#[derive(Debug, Clone)]
pub struct Entry {
    pub setting: &'static Setting,
    pub value: Value,
    pub line: usize,
}

impl fmt::Debug for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// The settings of one home.  A missing file is an empty config.
#[derive(Debug)]
pub struct Config {
    path: PathBuf,
    entries: Vec<Entry>,
}

impl Config {
    /// Reads and checks `HOME/config.toml`.
    pub fn load(home: &Path) -> Result<Config> {
        let path = home.join(FILE_NAME);
        let entries = match read(&path)? {
            Some(text) => parse(&path, &text)?,
            None => Vec::new(),
        };
        Ok(Config { path, entries })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The settings in the file, in its order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.setting.name == name)
    }

    /// The default key's fingerprint and where it is set.
    pub fn default_key(&self) -> Option<(&Fingerprint, &Entry)> {
        self.get("default-key").and_then(|e| match &e.value {
            Value::Fingerprint(f) => Some((f, e)),
            _ => None,
        })
    }

    /// A true/false setting: whether it is set to true.
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.get(name).map(|e| &e.value), Some(Value::Bool(true)))
    }

    /// Whether the key agent may be used (`agent`, true unless set false).
    pub fn agent(&self) -> bool {
        !matches!(
            self.get("agent").map(|e| &e.value),
            Some(Value::Bool(false))
        )
    }

    /// The keyservers set in the file, if any.
    pub fn keyservers(&self) -> Option<&[String]> {
        match self.get("keyserver").map(|e| &e.value) {
            Some(Value::Urls(u)) => Some(u),
            _ => None,
        }
    }

    /// A duration setting, in seconds, if set.
    pub fn seconds(&self, name: &str) -> Option<u64> {
        match self.get(name).map(|e| &e.value) {
            Some(Value::Seconds(n)) => Some(*n),
            _ => None,
        }
    }

    /// "FILE line N", for messages about a setting.
    pub fn location(&self, entry: &Entry) -> String {
        format!("{} line {}", self.path.display(), entry.line)
    }
}

/// The file's text, or `None` when there is no file.
fn read(path: &Path) -> Result<Option<String>> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|e| {
            let line = line_of(&e.as_bytes()[..e.utf8_error().valid_up_to()]);
            file_error(path, Some(line), "the file is not UTF-8 text")
        }),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// The line (from 1) at the end of `before`.
fn line_of(before: &[u8]) -> usize {
    before.iter().filter(|&&b| b == b'\n').count() + 1
}

fn line_at(text: &str, span: Option<std::ops::Range<usize>>) -> Option<usize> {
    span.map(|s| line_of(&text.as_bytes()[..s.start.min(text.len())]))
}

fn file_error(path: &Path, line: Option<usize>, what: &str) -> anyhow::Error {
    let at = match line {
        Some(n) => format!("{} line {n}", path.display()),
        None => path.display().to_string(),
    };
    crate::error::unsafe_error(
        format!("the config file {at}: {what}"),
        format!(
            "correct or remove that line; the settings zpgp knows: {}",
            SETTINGS
                .iter()
                .map(|s| format!("{} ({})", s.name, s.doc))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    )
}

/// Checks the whole file: every key known, every value of its type.
fn parse(path: &Path, text: &str) -> Result<Vec<Entry>> {
    let doc = toml_edit::Document::parse(text).map_err(|e| {
        file_error(
            path,
            line_at(text, e.span()),
            &format!("not valid TOML: {}", e.message().trim_end()),
        )
    })?;
    let table = doc.as_table();
    let mut entries = Vec::new();
    for (name, item) in table.iter() {
        let key_line = line_at(text, table.key(name).and_then(|k| k.span()));
        let Some(setting) = setting(name) else {
            return Err(file_error(
                path,
                key_line,
                &format!("unknown setting {name:?}"),
            ));
        };
        let Some(value) = item.as_value() else {
            return Err(file_error(
                path,
                key_line,
                &format!("{name} must be a single value, not a table"),
            ));
        };
        let line = line_at(text, value.span()).or(key_line).unwrap_or(1);
        let value = (setting.parse)(value)
            .map_err(|why| file_error(path, Some(line), &format!("{name}: {why}")))?;
        entries.push(Entry {
            setting,
            value,
            line,
        });
    }
    Ok(entries)
}

/// Sets `setting` to `value`, or removes it (`None`), keeping the rest of
/// the file as the user wrote it, and returns the value it had.  The file
/// is created (0600) on the first write; removing from a missing file
/// writes nothing.  The caller holds the keyring's lock, so two writers
/// cannot lose each other's change.
pub fn write(
    home: &Path,
    setting: &'static Setting,
    value: Option<&Value>,
) -> Result<Option<Value>> {
    let path = home.join(FILE_NAME);
    let text = read(&path)?;
    let Some(text) = text.or_else(|| value.map(|_| String::new())) else {
        return Ok(None);
    };
    // A file with a mistake elsewhere is not rewritten: the user fixes
    // it first, knowing where it is.
    let old = parse(&path, &text)?
        .into_iter()
        .find(|e| std::ptr::eq(e.setting, setting))
        .map(|e| e.value);
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|_| file_error(&path, None, "not valid TOML"))?;
    match value {
        Some(v) => {
            let mut new = v.to_toml();
            // A comment after the old value stays with the new one.
            if let Some(old) = doc.get(setting.name).and_then(|i| i.as_value()) {
                *new.decor_mut() = old.decor().clone();
            }
            doc[setting.name] = toml_edit::Item::Value(new);
        }
        None => {
            if old.is_none() {
                return Ok(None);
            }
            keep_comments_of(&mut doc, setting.name);
            doc.remove(setting.name);
        }
    }
    let new_text = doc.to_string();
    // What is written must load again.
    parse(&path, &new_text)?;
    crate::keyring::write_atomic(home, &path, &[new_text.as_bytes()])?;
    Ok(old)
}

/// The comments above `name` (the file's header among them, when it is
/// the first key) go to the key after it, or to the end of the file, so
/// removing a setting removes no words of the user's.
fn keep_comments_of(doc: &mut toml_edit::DocumentMut, name: &str) {
    let table = doc.as_table();
    let prefix = table
        .key(name)
        .and_then(|k| k.leaf_decor().prefix())
        .and_then(|p| p.as_str())
        .unwrap_or("")
        .to_string();
    if !prefix.contains('#') {
        return;
    }
    let next = table
        .iter()
        .map(|(k, _)| k)
        .skip_while(|k| *k != name)
        .nth(1)
        .map(str::to_string);
    let next_key = next.as_deref().and_then(|n| doc.as_table_mut().key_mut(n));
    match next_key {
        Some(mut key) => {
            let decor = key.leaf_decor_mut();
            let old = decor
                .prefix()
                .and_then(|p| p.as_str())
                .unwrap_or("")
                .to_string();
            decor.set_prefix(format!("{prefix}{old}"));
        }
        None => {
            let old = doc.trailing().as_str().unwrap_or("").to_string();
            doc.set_trailing(format!("{prefix}{old}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FPR: &str = "963FD9FAFF284BDF795108FBD78934721464A7C8";
    const FPR2: &str = "16A8DE036E322FDB90DE12EE0C99EA5977B1566F";

    fn value(s: &str) -> Value {
        Value::Fingerprint(s.parse().unwrap())
    }

    fn error_text(e: &anyhow::Error) -> String {
        let (text, hint) = crate::error::text_and_hint(e);
        format!("{text} / {}", hint.unwrap_or_default())
    }

    #[test]
    fn a_missing_file_is_an_empty_config() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load(dir.path()).unwrap();
        assert!(c.entries().is_empty());
        assert!(c.default_key().is_none());
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        for (text, line, what) in [
            ("# c\n\ndefault-key = 'oops\n", 3, "not valid TOML"),
            ("# c\nsigner = \"x\"\n", 2, "unknown setting \"signer\""),
            ("\n\ndefault-key = 5\n", 3, "found integer"),
            ("default-key = \"nope\"\n", 1, "is not a fingerprint"),
            ("[default-key]\nx = 1\n", 1, "not a table"),
        ] {
            std::fs::write(&path, text).unwrap();
            let e = Config::load(dir.path()).unwrap_err();
            let t = error_text(&e);
            assert!(
                t.contains(&format!("{} line {line}: ", path.display())),
                "{text:?}: {t}"
            );
            assert!(t.contains(what), "{text:?}: {t}");
            assert!(t.contains("default-key ("), "{text:?}: {t}");
        }
    }

    #[test]
    fn writing_keeps_comments_and_other_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let s = setting("default-key").unwrap();
        assert_eq!(write(dir.path(), s, None).unwrap(), None);
        assert!(!path.exists(), "unset on no file creates nothing");

        assert_eq!(write(dir.path(), s, Some(&value(FPR))).unwrap(), None);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let c = Config::load(dir.path()).unwrap();
        assert_eq!(c.default_key().unwrap().0, &FPR.parse().unwrap());

        std::fs::write(
            &path,
            format!("# my settings\n\n# signing\ndefault-key = \"{FPR}\" # work key\n"),
        )
        .unwrap();
        let old = write(dir.path(), s, Some(&value(FPR2))).unwrap();
        assert_eq!(old, Some(value(FPR)));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("# my settings\n\n# signing\ndefault-key = \"{FPR2}\" # work key\n")
        );
        let c = Config::load(dir.path()).unwrap();
        assert_eq!(c.default_key().unwrap().1.line, 4);

        assert_eq!(write(dir.path(), s, None).unwrap(), Some(value(FPR2)));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# my settings\n"), "{text:?}");
        assert!(!text.contains("default-key"), "{text:?}");
    }

    #[test]
    fn typed_values_go_through_the_same_parser() {
        let s = setting("default-key").unwrap();
        assert_eq!(s.parse_typed(FPR), Ok(value(FPR)));
        assert_eq!(s.parse_typed(&format!("\"{FPR}\"")), Ok(value(FPR)));
        assert!(s.parse_typed("5").unwrap_err().contains("found integer"));
        assert!(
            s.parse_typed("alice")
                .unwrap_err()
                .contains("not a fingerprint")
        );
        assert!(setting("colour").is_none());
        assert_eq!(
            known_names(),
            "default-key, require-authentication, keyserver, agent, agent-ttl, agent-max-ttl"
        );
    }

    #[test]
    fn agent_settings_take_booleans_and_durations() {
        let agent = setting("agent").unwrap();
        assert_eq!(agent.parse_typed("false"), Ok(Value::Bool(false)));
        assert!(
            agent
                .parse_typed("no")
                .unwrap_err()
                .contains("true or false")
        );
        let ttl = setting("agent-ttl").unwrap();
        for (typed, secs) in [("600", 600), ("30s", 30), ("10m", 600), ("\"2h\"", 7200)] {
            assert_eq!(ttl.parse_typed(typed), Ok(Value::Seconds(secs)), "{typed}");
        }
        for bad in ["-5", "10x", "m", "1.5h", "true"] {
            assert!(ttl.parse_typed(bad).is_err(), "{bad}");
        }
        assert_eq!(Value::Seconds(600).to_string(), "10m");
        assert_eq!(Value::Seconds(7200).to_string(), "2h");
        assert_eq!(Value::Seconds(45).to_string(), "45s");
        let config = Config {
            path: PathBuf::from("config.toml"),
            entries: Vec::new(),
        };
        assert!(config.agent());
        assert_eq!(config.seconds("agent-ttl"), None);
    }

    #[test]
    fn a_broken_file_is_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "colour = \"blue\"\n").unwrap();
        let s = setting("default-key").unwrap();
        let e = write(dir.path(), s, Some(&value(FPR))).unwrap_err();
        assert!(error_text(&e).contains("line 1: unknown setting"));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "colour = \"blue\"\n"
        );
    }
}
