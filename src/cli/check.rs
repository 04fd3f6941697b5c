//! Command lines that the documentation and the hints show, checked with the
//! clap definitions themselves, so that neither can drift from the parser.
//!
//! Two sources: shell lines (the examples in `--help`, the man pages and the
//! README), split with the shell's word rules for the quoting they use; and
//! prose (a hint such as "import the key first: zpgp import FILE"), where a
//! command runs from `zpgp SUBCOMMAND` to the end of its phrase.

use clap::{CommandFactory, Parser};

use super::Cli;

/// Whether zpgp's parser accepts `args` (the first being `zpgp`); the error
/// is clap's own text.
pub fn parses(args: &[String]) -> Result<(), String> {
    use clap::error::ErrorKind;
    match Cli::try_parse_from(args) {
        Ok(_) => Ok(()),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => Ok(()),
        Err(e) => Err(e.render().to_string()),
    }
}

/// Every zpgp invocation in a shell line: each command of a pipeline or
/// list (`a | b`, `a; b`, `if a; then …`) whose program is `zpgp`, with
/// redirections left out, and those inside a process substitution
/// (`'source <(zpgp completions bash)'`).
pub fn in_shell_line(line: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for words in commands(line) {
        for w in &words {
            if let Some(start) = w.find("<(") {
                let inner = &w[start + 2..];
                let inner = &inner[..inner.find(')').unwrap_or(inner.len())];
                found.extend(in_shell_line(inner));
            }
        }
        let mut words = words.into_iter().peekable();
        while words
            .peek()
            .is_some_and(|w| matches!(w.as_str(), "if" | "then" | "!" | "time"))
        {
            words.next();
        }
        let mut args = Vec::new();
        let mut skip = false;
        for w in words {
            if skip {
                skip = false;
            } else if matches!(w.as_str(), ">" | ">>" | "<" | "2>" | "2>>" | "&>") {
                skip = true;
            } else {
                args.push(w);
            }
        }
        if args.first().is_some_and(|p| p == "zpgp") {
            found.push(args);
        }
    }
    found
}

/// The simple commands of a shell line, as words: quotes ('…', "…") and
/// backslashes are resolved, `|`, `;` and `&&`/`||` separate commands, and
/// a `#` that starts a word begins a comment.
fn commands(line: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    w.push(c);
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            '#' if word.is_none() => break,
            '|' | ';' | '&' => {
                words.extend(word.take());
                if !words.is_empty() {
                    out.push(std::mem::take(&mut words));
                }
            }
            c if c.is_whitespace() => words.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word.take());
    if !words.is_empty() {
        out.push(words);
    }
    out
}

/// Every zpgp command that a hint (prose) names: `zpgp` followed by one of
/// its subcommands or a global option, up to the end of the phrase — a
/// closing quote when the command is quoted ('zpgp list --secret'),
/// otherwise `;`, `)`, `,`, " or " or the end.  Other uses of the word
/// ("zpgp limits what …", "zpgp-sop …") are prose, not commands.
pub fn in_prose(text: &str) -> Vec<Vec<String>> {
    let cmd = Cli::command();
    let is_start = |w: &str| {
        w.starts_with('-')
            || cmd
                .get_subcommands()
                .any(|s| s.get_name() == w || s.get_all_aliases().any(|a| a == w))
    };
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("zpgp ") {
        let before = rest[..at].chars().next_back();
        let after = &rest[at..];
        rest = &rest[at + "zpgp ".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_') {
            continue;
        }
        let first = after["zpgp ".len()..]
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_end_matches(|c: char| !c.is_alphanumeric() && c != '-');
        if !is_start(first) {
            continue;
        }
        let end = if before == Some('\'') {
            after.find('\'').unwrap_or(after.len())
        } else {
            [";", ")", ",", " or "]
                .iter()
                .filter_map(|t| after.find(t))
                .min()
                .unwrap_or(after.len())
        };
        found.extend(in_shell_line(after[..end].trim_end_matches('.')));
    }
    found
}

/// Panics (with the hint's text) unless every zpgp command that `hint`
/// names parses; called by the error types in debug builds.
pub fn assert_hint_parses(hint: &str) {
    for args in in_prose(hint) {
        if let Err(e) = parses(&args) {
            panic!("the hint {hint:?} suggests a command zpgp rejects: {args:?}\n{e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn shell_lines_split_like_a_shell() {
        assert_eq!(
            in_shell_line("echo hi | zpgp encrypt -r bob --armor > hi.asc"),
            vec![words(&["zpgp", "encrypt", "-r", "bob", "--armor"])]
        );
        assert_eq!(
            in_shell_line("zpgp generate --name \"Alice L\" --email a@b  # note"),
            vec![words(&[
                "zpgp", "generate", "--name", "Alice L", "--email", "a@b"
            ])]
        );
        assert_eq!(
            in_shell_line("echo 'source <(zpgp completions bash)' >> ~/.bashrc"),
            vec![words(&["zpgp", "completions", "bash"])]
        );
        assert_eq!(
            in_shell_line("if zpgp -q verify --signature f.sig f; then echo ok; fi"),
            vec![words(&[
                "zpgp",
                "-q",
                "verify",
                "--signature",
                "f.sig",
                "f"
            ])]
        );
        assert_eq!(
            in_shell_line("zpgp decrypt < m.asc | less"),
            vec![words(&["zpgp", "decrypt"])]
        );
        assert!(in_shell_line("gpg --export bob").is_empty());
    }

    #[test]
    fn prose_names_commands_up_to_the_end_of_the_phrase() {
        assert_eq!(
            in_prose("see the keys with 'zpgp list', or import one: zpgp import FILE"),
            vec![words(&["zpgp", "list"]), words(&["zpgp", "import", "FILE"])]
        );
        assert_eq!(
            in_prose("messages are read with zpgp decrypt or zpgp verify"),
            vec![words(&["zpgp", "decrypt"]), words(&["zpgp", "verify"])]
        );
        assert!(in_prose("zpgp limits what a message may demand").is_empty());
        assert!(in_prose("run zpgp-sop generate-key").is_empty());
    }

    #[test]
    fn a_wrong_command_is_caught() {
        assert!(parses(&words(&["zpgp", "list", "--no-such-flag"])).is_err());
        assert!(parses(&words(&["zpgp", "list", "--secret"])).is_ok());
        let wrong = std::panic::catch_unwind(|| assert_hint_parses("try: zpgp export --nope"));
        assert!(wrong.is_err());
    }
}
