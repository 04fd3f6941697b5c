//! Rules the source keeps that no command shows: unsafe code only in
//! `src/sys.rs`, and no umask changes.  `#![deny(unsafe_code)]` enforces
//! the first at compile time; this names the rule and guards the
//! attributes themselves.

use std::path::{Path, PathBuf};

/// Modules allowed unsafe code besides `src/sys.rs`, with the line that
/// declares each (which carries `#[allow(unsafe_code)]`): none, and it
/// should stay that way.
const EXCEPTIONS: &[(&str, &str, &str)] = &[];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `src/`, as paths relative to the repository.
fn sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path.strip_prefix(root()).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("src"), &mut out);
    out.sort();
    assert!(out.len() > 20, "found the sources: {out:?}");
    out
}

/// The lines of a file without their `//` comments (a `//` inside a
/// string cuts the line short, which only makes the check lenient).
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    std::fs::read_to_string(root().join(path))
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.split("//").next().unwrap().trim().to_string()))
        .collect()
}

/// Whether `line` has `word` as a whole word (not `unsafe_mode`).
fn has_word(line: &str, word: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    line.match_indices(word)
        .any(|(at, _)| !line[..at].ends_with(ident) && !line[at + word.len()..].starts_with(ident))
}

#[test]
fn unsafe_code_lives_in_sys_only() {
    let mut strays = Vec::new();
    let mut allows = Vec::new();
    for path in sources() {
        let name = path.to_str().unwrap();
        let lines = code_lines(&path);
        let exception = EXCEPTIONS.iter().any(|(file, ..)| *file == name);
        let mut any = false;
        for (i, (n, line)) in lines.iter().enumerate() {
            if has_word(line, "unsafe") {
                any = true;
                if name != "src/sys.rs" && !exception {
                    strays.push(format!("{name}:{n}: {line}"));
                }
            }
            if line.contains("unsafe_code") && !line.contains("deny(unsafe_code)") {
                let next = lines.get(i + 1).map_or("", |(_, l)| l.as_str());
                allows.push(format!("{name}: {line} {next}"));
            }
        }
        if exception {
            assert!(
                any,
                "{name} has no unsafe code any more: remove it from EXCEPTIONS \
                 here and remove the #[allow(unsafe_code)] on its module"
            );
        }
    }
    assert!(
        strays.is_empty(),
        "unsafe code outside src/sys.rs; put it behind a safe function in \
         src/sys.rs with its SAFETY comment:\n{}",
        strays.join("\n")
    );

    let mut expected = vec!["src/lib.rs: #[allow(unsafe_code)] pub mod sys;".to_string()];
    for (_, parent, decl) in EXCEPTIONS {
        expected.push(format!("{parent}: #[allow(unsafe_code)] {decl}"));
    }
    allows.sort();
    expected.sort();
    assert_eq!(
        allows, expected,
        "unsafe code allowed where it should not be"
    );

    // The crate and every binary deny it.
    let mut roots = vec![PathBuf::from("src/lib.rs"), PathBuf::from("src/main.rs")];
    for entry in std::fs::read_dir(root().join("src/bin")).unwrap() {
        let path = entry.unwrap().path();
        roots.push(path.strip_prefix(root()).unwrap().to_path_buf());
    }
    for path in roots {
        assert!(
            code_lines(&path)
                .iter()
                .any(|(_, l)| l == "#![deny(unsafe_code)]"),
            "{} lacks #![deny(unsafe_code)]",
            path.display()
        );
    }
}

/// The umask is per process: changing it to create a file with some mode
/// would change the mode of whatever another thread creates meanwhile.
/// Modes are given at creation (`OpenOptions::mode`, `DirBuilder::mode`)
/// or set on the open file instead.
#[test]
fn nothing_changes_the_umask() {
    for path in sources() {
        for (n, line) in code_lines(&path) {
            assert!(
                !has_word(&line, "umask"),
                "{}:{n} changes the umask: {line}",
                path.display()
            );
        }
    }
}

/// Everything zpgp says on stderr goes through one voice,
/// `src/printer.rs`, which knows `-q`, `-v` and `--json`; `main` prints
/// only clap's usage errors itself.
#[test]
fn only_the_printer_and_main_write_to_stderr() {
    let mut strays = Vec::new();
    for path in sources() {
        let name = path.to_str().unwrap().to_string();
        if name == "src/printer.rs" || name == "src/main.rs" {
            continue;
        }
        for (n, line) in code_lines(&path) {
            if line.contains("eprintln!") || line.contains("eprint!") || line.contains("stderr()") {
                strays.push(format!("{name}:{n}: {line}"));
            }
        }
    }
    assert!(
        strays.is_empty(),
        "stderr written outside src/printer.rs and src/main.rs:\n{}",
        strays.join("\n")
    );
}

#[test]
fn no_code_branches_on_the_text_of_our_messages_or_hints() {
    // A caller decides on `error::Error::reason` (or `failure`), never on
    // the wording of a message or hint that another module may change.
    let patterns = [
        ".message.starts_with(",
        ".message.contains(",
        ".message.ends_with(",
        ".message ==",
        ".message.as_str() ==",
        ".hint.as_deref() ==",
        ".hint.as_deref(),",
        "hint_of(",
    ];
    let mut strays = Vec::new();
    for path in sources() {
        let name = path.to_str().unwrap().to_string();
        for (n, line) in code_lines(&path) {
            // hint_of's own definition and the printer's use of it show
            // the hint; they do not branch on its text.
            if line.contains("hint_of(") && (name == "src/error.rs" || name == "src/printer.rs") {
                continue;
            }
            if line.starts_with("assert") || line.contains("assert!(") {
                continue;
            }
            if patterns.iter().any(|p| line.contains(p)) {
                strays.push(format!("{name}:{n}: {line}"));
            }
        }
    }
    assert!(
        strays.is_empty(),
        "code matching on the text of an error message or hint (use error::Reason):\n{}",
        strays.join("\n")
    );
}
