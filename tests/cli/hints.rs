//! Issue 7: every error with a known fix prints the fix as a hint on
//! stderr: a missing key, an ambiguous query, an expired recipient, a
//! wrong passphrase (on the terminal and from a file), binary data for a
//! terminal, no secret key to sign with.

use std::path::Path;
use std::time::{Duration, SystemTime};

use openpgp::cert::prelude::*;
use openpgp::serialize::SerializeInto;
use predicates::prelude::*;
use predicates::str::{contains, is_empty};
use sequoia_openpgp as openpgp;

use crate::harness::{Env, User, error_has, zpgp_bin};

const DAY: u64 = 24 * 60 * 60;

/// Runs `zpgp ARGS` with a pseudo-terminal for stdin, stdout and stderr
/// (util-linux `script`), typing `input`; returns the exit code and what
/// the terminal showed.  `None` when `script` is not installed.
pub fn on_a_terminal(dir: &Path, args: &[&str], input: &str) -> Option<(i32, String)> {
    let have_script = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_script {
        assert!(
            std::env::var_os("CI").is_none(),
            "script (util-linux) is not installed, and CI is set"
        );
        eprintln!("SKIPPED: script (util-linux) is not installed; no terminal test");
        return None;
    }
    let mut line = shell_quote(&zpgp_bin().display().to_string());
    for a in args {
        line.push(' ');
        line.push_str(&shell_quote(a));
    }
    let out = std::process::Command::new("script")
        .args(["-qfec", &line, "/dev/null"])
        .current_dir(dir)
        .env_remove("ZPGP_HOME")
        // Each run asks for what it needs, as the tests expect.
        .env("ZPGP_NO_AGENT", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(input.as_bytes())?;
            // script ends the session when its input ends: keep it open
            // until the command is done.
            let out = child.wait_with_output();
            drop(stdin);
            out
        })
        .expect("run script");
    Some((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).replace('\r', ""),
    ))
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
fn missing_key_says_import_it() {
    let alice = User::new("Alice");
    alice
        .zpgp()
        .args(["encrypt", "-r", "carol@example.org"])
        .write_stdin("hi")
        .assert()
        .code(4)
        .stdout(is_empty())
        .stderr(error_has(&[
            "no key in the keyring matches <carol@example.org>",
            "hint: see the keys on file with 'zpgp list', or import the key first: zpgp import FILE",
        ]));
    alice
        .zpgp()
        .args(["export", "carol"])
        .assert()
        .code(4)
        .stderr(contains("hint: ").and(contains("zpgp import")));
}

#[test]
fn ambiguous_query_lists_candidates_and_says_how_to_name_one() {
    let env = Env::new();
    let a = env.generate(&["--name", "Alice Smith", "--email", "alice@smith.example"]);
    let b = env.generate(&["--name", "Alice Jones", "--email", "alice@jones.example"]);
    env.zpgp()
        .args(["encrypt", "-r", "alice"])
        .write_stdin("hi")
        .assert()
        .code(73)
        .stdout(is_empty())
        .stderr(error_has(&[
            "matches 2 keys",
            &format!("{a} Alice Smith <alice@smith.example>"),
            &format!("{b} Alice Jones <alice@jones.example>"),
            "hint: name one key by its full fingerprint",
        ]));
    // Two secret keys and no --signer: which one signs?
    env.zpgp()
        .args(["sign", "-o", "x.pgp"])
        .write_stdin("hi")
        .assert()
        .code(73)
        .stderr(error_has(&[
            "which one should sign?",
            &a,
            &b,
            "hint: name one with --signer QUERY",
        ]));
}

#[test]
fn expired_recipient_says_ask_for_an_update() {
    let alice = User::new("Alice");
    let (dave, _) = CertBuilder::general_purpose(Some("Dave <dave@example.org>"))
        .set_creation_time(SystemTime::now() - Duration::from_secs(10 * DAY))
        .set_validity_period(Duration::from_secs(DAY))
        .generate()
        .unwrap();
    let file = alice.write("dave.asc", dave.armored().to_vec().unwrap());
    alice.import(&file);
    alice
        .zpgp()
        .args(["encrypt", "-r", "dave@example.org"])
        .write_stdin("late")
        .assert()
        .code(17)
        .stdout(is_empty())
        .stderr(error_has(&[
            "expired",
            "hint: ask Dave for an updated key and import it",
        ]));
}

#[test]
fn wrong_passphrase_from_a_file_says_it_was_tried_once() {
    let (alice, bob) = crate::harness::alice_and_bob();
    let msg = alice.write("m.pgp", alice.encrypt(&["-r", "bob", "--no-self"], b"hi"));
    let wrong = bob.write("wrong.txt", "not it\n");
    let hint = "hint: the passphrase from --passphrase-file (its first line) was tried once and is wrong; check that file";
    bob.zpgp()
        .arg("--passphrase-file")
        .arg(&wrong)
        .args(["decrypt", "-o", "m.txt"])
        .arg(&msg)
        .assert()
        .code(67)
        .stdout(is_empty())
        .stderr(error_has(&["the passphrase is wrong", hint]));
    bob.zpgp()
        .arg("--passphrase-file")
        .arg(&wrong)
        .args(["sign", "-o", "s.pgp"])
        .write_stdin("x")
        .assert()
        .code(67)
        .stderr(error_has(&["cannot unlock the secret key", hint]));
    bob.zpgp()
        .arg("--passphrase-file")
        .arg(&wrong)
        .args(["passwd", "--no-passphrase", "bob"])
        .assert()
        .code(67)
        .stderr(error_has(&[hint]));
    // A message password, likewise, from its own file.
    let pw = alice.write("pw.pgp", alice.encrypt(&["--password", "--no-self"], b"hi"));
    bob.zpgp()
        .arg("--password-file")
        .arg(&wrong)
        .args(["decrypt", "-o", "pw.txt"])
        .arg(&pw)
        .assert()
        .code(29)
        .stderr(error_has(&[
            "wrong password for the message",
            "hint: the password from --password-file (its first line) was tried once and is \
             wrong; check that file",
        ]));
    // --batch without a passphrase: how to give one.
    bob.zpgp()
        .args(["decrypt", "-o", "m.txt"])
        .arg(&msg)
        .assert()
        .code(67)
        .stderr(error_has(&["hint: give it with --passphrase-file FILE"]));
}

#[test]
fn wrong_passphrase_on_the_terminal_says_how_many_tries() {
    let (alice, bob) = crate::harness::alice_and_bob();
    alice.write("m.pgp", alice.encrypt(&["-r", "bob", "--no-self"], b"hi"));
    std::fs::copy(alice.path("m.pgp"), bob.path("m.pgp")).unwrap();
    let home = bob.env.home().display().to_string();
    let Some((code, screen)) = on_a_terminal(
        bob.env.dir.path(),
        &["--home", &home, "decrypt", "-o", "m.txt", "m.pgp"],
        "one\ntwo\nthree\n",
    ) else {
        return;
    };
    assert_eq!(code, 67, "{screen}");
    assert_eq!(screen.matches("Passphrase for Bob").count(), 3, "{screen}");
    assert!(
        screen.contains("wrong passphrase, try again (2 left)"),
        "{screen}"
    );
    assert!(
        screen.contains("hint: 3 tries failed; check the passphrase (in scripts, give it with --passphrase-file FILE"),
        "{screen}"
    );
    assert!(!bob.path("m.txt").exists());
}

#[test]
fn binary_output_to_a_terminal_says_armor_or_o() {
    let (alice, _bob) = crate::harness::alice_and_bob();
    let home = alice.env.home().display().to_string();
    alice.write("notes.txt", "hi");
    let Some((code, screen)) = on_a_terminal(
        alice.env.dir.path(),
        &[
            "--home",
            &home,
            "--batch",
            "dearmor",
            &alice.cert().display().to_string(),
        ],
        "",
    ) else {
        return;
    };
    assert_eq!(code, 83, "{screen}");
    assert!(
        screen.contains("refusing to write binary data to the terminal")
            && screen.contains("hint: use --armor for text output, or -o FILE to write a file"),
        "{screen}"
    );
    let (code, screen) = on_a_terminal(
        alice.env.dir.path(),
        &["--home", &home, "--batch", "export", "--binary", "alice"],
        "",
    )
    .unwrap();
    assert_eq!(code, 83, "{screen}");
    assert!(screen.contains("hint: use --armor"), "{screen}");
}

#[test]
fn no_secret_key_says_generate_one() {
    let env = Env::new();
    env.zpgp()
        .args(["sign", "-o", "x.pgp"])
        .write_stdin("hi")
        .assert()
        .code(4)
        .stderr(error_has(&[
            "you have no secret key to sign with",
            "hint: make one with: zpgp generate --name NAME --email EMAIL",
        ]));
}

/// The string literals of a Rust source (not its comments), with `\`-line
/// continuations joined and `{…}` format arguments left in.
fn string_literals(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '\'' => {
                // A char literal ('"', '\'') or a lifetime ('a).
                let mut look = chars.clone();
                match (look.next(), look.next()) {
                    (Some('\\'), _) => {
                        chars.next();
                        chars.next();
                        while chars.next().is_some_and(|c| c != '\'') {}
                    }
                    (Some(_), Some('\'')) => {
                        chars.next();
                        chars.next();
                    }
                    _ => {}
                }
            }
            '"' => {
                let mut s = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some('\n') => {
                                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                                    chars.next();
                                }
                            }
                            Some('n') => s.push('\n'),
                            Some(c) => s.push(c),
                            None => {}
                        },
                        c => s.push(c),
                    }
                }
                out.push(s);
            }
            _ => {}
        }
    }
    out
}

/// Every `zpgp …` command that a text of the program suggests (hints,
/// warnings, notes), with its format arguments as placeholder values,
/// parses: a hint that the parser rejects would send the user astray.
/// The hints built at run time are checked again in debug builds as they
/// are made (see `zpgp::cli::check::assert_hint_parses`).
#[test]
fn every_suggested_command_in_the_source_parses() {
    use zpgp::ops::audit::NOT_YET;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut checked = 0;
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        // The examples have their own test (docs::help_and_man_examples_parse).
        if rel.starts_with("cli") {
            continue;
        }
        for lit in string_literals(&std::fs::read_to_string(f).unwrap()) {
            let text = placeholders(&lit);
            for args in zpgp::cli::check::in_prose(&text) {
                checked += 1;
                if let Err(e) = zpgp::cli::check::parses(&args) {
                    // audit names the fixes zpgp does not have yet, marked so.
                    let line = args.join(" ").replace("PLACEHOLDER", "FPR");
                    if NOT_YET.iter().any(|n| line.starts_with(n)) {
                        continue;
                    }
                    panic!("src/{rel}: {lit:?} suggests a command zpgp rejects: {args:?}\n{e}");
                }
            }
        }
    }
    // The hints of issue 7 (import, passwd, delete, generate, list …).
    assert!(checked >= 10, "only {checked} suggested commands found");
}

/// The commands `audit` names as fixes before zpgp has them are still
/// rejected by the parser: once one parses, it no longer belongs on the
/// list (and its fix is shown as available).
#[test]
fn audits_not_yet_commands_are_not_there_yet() {
    use zpgp::ops::audit::NOT_YET;
    for n in NOT_YET {
        let args = zpgp::cli::check::in_prose(n);
        assert_eq!(args.len(), 1, "{n}");
        assert!(
            zpgp::cli::check::parses(&args[0]).is_err(),
            "zpgp now accepts {n:?}: remove it from zpgp::ops::audit::NOT_YET"
        );
    }
}

/// `{fpr:X}` and the like become a placeholder word, as a value.
fn placeholders(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        match rest[i..].find('}') {
            Some(j) => {
                out.push_str("PLACEHOLDER");
                rest = &rest[i + j + 1..];
            }
            None => {
                rest = &rest[i..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}
