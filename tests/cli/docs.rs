//! The documentation is generated from the code and checked against it:
//! man pages, shell completions, the README's walk-through, --version.

use std::path::Path;

use predicates::prelude::*;
use predicates::str::contains;

use crate::harness::{Env, have, zpgp_bin};

/// The repository root.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

// man pages ------------------------------------------------------------------

#[test]
fn man_pages_match_the_code() {
    let dir = root().join("man");
    let pages = zpgp::man::pages();
    let fix = format!(
        "the man pages in man/ are stale; regenerate them with: {}",
        zpgp::man::UPDATE_COMMAND
    );
    for (name, body) in &pages {
        let on_disk = std::fs::read(dir.join(name))
            .unwrap_or_else(|_| panic!("man/{name} is missing; {fix}"));
        assert!(on_disk == *body, "man/{name} differs from the code; {fix}");
    }
    for entry in std::fs::read_dir(&dir).expect("man/ exists") {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".1") {
            assert!(
                pages.iter().any(|(n, _)| *n == name),
                "man/{name} is no longer generated; {fix}"
            );
        }
    }
}

#[test]
fn man_pages_cover_every_command_with_examples_and_exit_codes() {
    let pages = zpgp::man::pages();
    let page = |n: &str| {
        let (_, body) = pages
            .iter()
            .find(|(name, _)| name == n)
            .unwrap_or_else(|| panic!("no page {n}"));
        String::from_utf8(body.clone()).unwrap()
    };
    for cmd in [
        "generate",
        "import",
        "export",
        "certify",
        "list",
        "delete",
        "passwd",
        "expire",
        "revoke",
        "userid",
        "userid-add",
        "userid-revoke",
        "subkey",
        "subkey-add",
        "subkey-rotate",
        "encrypt",
        "decrypt",
        "sign",
        "verify",
        "inspect",
        "armor",
        "dearmor",
        "completions",
    ] {
        let p = page(&format!("zpgp-{cmd}.1"));
        assert!(p.contains(".SH EXAMPLES"), "zpgp-{cmd}.1 has no EXAMPLES");
        let words = cmd.replace('-', " ");
        let parent = words.split(' ').next().unwrap();
        assert!(
            p.contains(&format!("zpgp {parent}")),
            "zpgp-{cmd}.1 examples"
        );
    }
    let main = page("zpgp.1");
    assert!(main.contains(".SH EXAMPLES"));
    assert!(main.contains(".SH \"EXIT STATUS\""));
    for f in zpgp::error::Failure::ALL {
        let row = format!(".B {}\n", f.exit_code());
        assert!(
            main.contains(&row),
            "zpgp.1 lacks exit code {}",
            f.exit_code()
        );
    }
    let sop = page("zpgp-sop.1");
    assert!(
        sop.contains("generate\\-key"),
        "zpgp-sop.1 lists the SOP subcommands"
    );
    assert!(page("zpgp-sop-encrypt.1").contains("\\-\\-with\\-password"));
}

#[test]
fn man_page_renders_with_man() {
    if !have("man") {
        eprintln!("SKIPPED: man is not installed");
        return;
    }
    let out = std::process::Command::new("man")
        .env("MANWIDTH", "80")
        .env("MAN_KEEP_FORMATTING", "0")
        .arg("-l")
        .arg(root().join("man/zpgp.1"))
        .output()
        .expect("run man");
    assert!(out.status.success());
    // Bold and underline come as overstrikes ("X\bX"): drop them.
    let mut text = String::new();
    for c in String::from_utf8_lossy(&out.stdout).chars() {
        if c == '\u{8}' {
            text.pop();
        } else {
            text.push(c);
        }
    }
    assert!(text.contains("EXIT STATUS"), "{text}");
    assert!(text.contains("zpgp-inspect(1)") || text.contains("zpgp‐inspect(1)"));
}

// completions ----------------------------------------------------------------

fn completions(shell: &str) -> String {
    let env = Env::new();
    let out = env
        .zpgp()
        .args(["completions", shell])
        .output()
        .expect("run zpgp completions");
    assert!(
        out.status.success(),
        "completions {shell}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty());
    let script = String::from_utf8(out.stdout).unwrap();
    assert!(script.contains("zpgp"), "{shell}: {script}");
    script
}

/// Runs `shell -n FILE` on the script: the shell itself must accept it.
/// Under CI (where scripts/deps.sh --test installs the shells) a missing
/// shell is a failure, never a skip.
fn shell_accepts(shell: &str, script: &str) {
    if !have_shell(shell) {
        assert!(
            std::env::var_os("CI").is_none(),
            "{shell} is not installed, and CI is set"
        );
        eprintln!("SKIPPED: {shell} is not installed; its completion script is not checked");
        return;
    }
    let env = Env::new();
    let file = env.write(&format!("zpgp.{shell}"), script);
    let out = std::process::Command::new(shell)
        .arg("-n")
        .arg(&file)
        .output()
        .expect("run the shell");
    assert!(
        out.status.success(),
        "{shell} -n rejects the completion script: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn have_shell(shell: &str) -> bool {
    std::process::Command::new(shell)
        .args(["-c", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn completions_bash() {
    let s = completions("bash");
    // The new commands and SOP's subcommands complete.
    assert!(s.contains("inspect") && s.contains("dearmor") && s.contains("generate-key"));
    // So do the nested subcommands under `help` (`zpgp help config get`),
    // though the subcommands' options are otherwise built only when used.
    for nested in [
        "config__subcmd__get",
        "userid__subcmd__add",
        "subkey__subcmd__rotate",
    ] {
        assert!(
            s.contains(&format!("zpgp__subcmd__help__subcmd__{nested}")),
            "help {nested}"
        );
    }
    shell_accepts("bash", &s);
}

#[test]
fn completions_into_a_closed_pipe_is_not_an_error() {
    let env = Env::new();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg("\"$ZPGP\" --home \"$H\" completions bash 2>err.txt | head -c 10 >/dev/null; echo \"${PIPESTATUS[0]}\"")
        .env("ZPGP", zpgp_bin())
        .env("H", env.home())
        .env_remove("ZPGP_HOME")
        .current_dir(env.dir.path())
        .output()
        .expect("run bash");
    let err = std::fs::read_to_string(env.path("err.txt")).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0", "{err}");
    assert!(!err.contains("panicked") && !err.contains("error"), "{err}");
}

#[test]
fn completions_zsh() {
    let s = completions("zsh");
    assert!(s.starts_with("#compdef zpgp"));
    shell_accepts("zsh", &s);
}

#[test]
fn completions_fish() {
    let s = completions("fish");
    assert!(s.contains("complete -c zpgp"));
    shell_accepts("fish", &s);
}

#[test]
fn completions_elvish_and_powershell() {
    assert!(completions("elvish").contains("edit:completion:arg-completer[zpgp]"));
    assert!(completions("powershell").contains("Register-ArgumentCompleter"));
}

#[test]
fn completions_for_an_unknown_shell_is_a_usage_error() {
    let env = Env::new();
    env.zpgp()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(contains("invalid value 'tcsh'").and(contains("bash")));
    env.zpgp().arg("completions").assert().code(2).stdout("");
}

// --version ------------------------------------------------------------------

#[test]
fn version_names_the_crate_sequoia_and_the_backend() {
    let env = Env::new();
    env.zpgp().arg("--version").assert().code(0).stdout(
        contains(format!("zpgp {}", env!("CARGO_PKG_VERSION")))
            .and(contains("sequoia-openpgp 2."))
            .and(contains(" backend)")),
    );
}

// README ---------------------------------------------------------------------

/// The first fenced shell block under the heading `## First steps`.
fn first_steps_block() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("\n## First steps\n")
        .nth(1)
        .expect("README has a '## First steps' section");
    let section = section.split("\n## ").next().unwrap();
    let start = section.find("```sh\n").expect("a ```sh block") + "```sh\n".len();
    let len = section[start..].find("\n```").expect("the block ends");
    section[start..start + len].to_string()
}

#[test]
fn readme_first_steps_run_verbatim() {
    let env = Env::new();
    let script = format!("set -euo pipefail\n{}\n", first_steps_block());
    let file = env.write("first-steps.sh", &script);
    let work = env.path("work");
    std::fs::create_dir(&work).unwrap();
    let bin_dir = zpgp_bin().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("bash")
        .arg(&file)
        .current_dir(&work)
        .env("PATH", path)
        .env("HOME", env.path("user-home"))
        .env_remove("ZPGP_HOME")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the README's First steps failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    // Bob read Alice's file, and Alice read Bob's reply.
    let sent = std::fs::read(work.join("plan.txt")).unwrap();
    assert_eq!(
        std::fs::read(work.join("plan-from-alice.txt")).unwrap(),
        sent
    );
    assert!(work.join("plan.txt.pgp").exists());
    assert!(work.join("reply.asc").exists());
    assert!(stdout.contains("Noon works."), "{stdout}");
    // Each checked the other's signature, and inspect named the recipient.
    assert!(stderr.contains("good signature from Alice"), "{stderr}");
    assert!(stderr.contains("good signature from Bob"), "{stderr}");
    assert!(stdout.contains("recipient:") && stdout.contains("Bob <bob@example.org>"));
    // Nothing touched the user's own home.
    assert!(!env.path("user-home").join(".local/share/zpgp").exists());
}

// code layout ----------------------------------------------------------------

/// Every `.rs` file below `dir`.
fn sources(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(sources(&p));
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
    out
}

#[test]
fn layers_call_only_downwards() {
    // (room, what it must not use), as the README's "Code layout" says.
    let rules: &[(&str, &[&str])] = &[
        (
            "src/ops",
            &[
                "crate::config",
                "crate::keyring",
                "crate::commands",
                "crate::context",
                "crate::cli",
                "crate::sop",
                "crate::output",
                "crate::passphrase",
            ],
        ),
        (
            "src/keyring",
            &[
                "crate::config",
                "crate::commands",
                "crate::context",
                "crate::cli",
                "crate::sop",
                "crate::output",
                "crate::passphrase",
                "crate::ops::encrypt",
                "crate::ops::decrypt",
                "crate::ops::sign",
                "crate::ops::verify",
            ],
        ),
        (
            "src/sop",
            &["crate::keyring", "crate::commands", "crate::context"],
        ),
        ("src/gpg", &["crate::sop", "crate::keyring::"]),
        (
            "src/net",
            &[
                "crate::config",
                "crate::keyring",
                "crate::commands",
                "crate::context",
                "crate::cli",
                "crate::sop",
                "crate::output",
                "crate::passphrase",
                "crate::ops",
                "crate::trust",
            ],
        ),
        (
            "src/agent",
            &[
                "crate::config",
                "crate::keyring",
                "crate::commands",
                "crate::context",
                "crate::cli",
                "crate::sop",
                "crate::output",
                "crate::passphrase",
                "crate::ops",
            ],
        ),
        (
            "src/config",
            &[
                "crate::commands",
                "crate::context",
                "crate::cli",
                "crate::sop",
                "crate::output",
                "crate::passphrase",
                "crate::ops",
            ],
        ),
    ];
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for (room, banned) in rules {
        // A room is a directory, a single file, or both.
        let dir = root().join(room);
        let mut in_room = if dir.is_dir() {
            sources(&dir)
        } else {
            Vec::new()
        };
        let single = root().join(format!("{room}.rs"));
        if single.exists() {
            in_room.push(single);
        }
        assert!(!in_room.is_empty(), "no sources in {room}");
        for f in in_room {
            let text = std::fs::read_to_string(&f).unwrap();
            for b in *banned {
                assert!(
                    !text.contains(b),
                    "{} uses {b}: {room} must not reach up (see the README's Code layout)",
                    f.display()
                );
            }
            files.push(f);
        }
    }
    assert!(files.len() > 20, "{files:?}");
}

// examples -------------------------------------------------------------------

/// Parses every zpgp command in a shell line with the real clap definitions;
/// `what` names where the line comes from.
fn assert_line_parses(what: &str, line: &str) {
    let found = zpgp::cli::check::in_shell_line(line);
    assert!(!found.is_empty(), "{what}: no zpgp command in {line:?}");
    for args in found {
        if let Err(e) = zpgp::cli::check::parses(&args) {
            panic!("{what}: the example {line:?} does not parse:\n{e}");
        }
    }
}

#[test]
fn help_and_man_examples_parse() {
    for (cmd, list) in zpgp::cli::ALL_EXAMPLES {
        assert!(!list.is_empty(), "no examples for '{cmd}'");
        for e in *list {
            assert_line_parses(&format!("zpgp {cmd} --help"), e.command);
        }
    }
    // Every subcommand but sop has its block, and shows it in --help.
    // The subcommands are built when used (`cli::Lazy`), as --help does.
    let mut cli = <zpgp::cli::Cli as clap::CommandFactory>::command();
    cli.build();
    // (Building adds clap's own `help` subcommand, which has none.)
    for sub in cli
        .get_subcommands()
        .filter(|s| s.get_name() != "sop" && s.get_name() != "help")
    {
        let (_, list) = zpgp::cli::ALL_EXAMPLES
            .iter()
            .find(|(c, _)| *c == sub.get_name())
            .unwrap_or_else(|| panic!("'{}' has no examples", sub.get_name()));
        let help = sub.get_after_help().map(|h| h.to_string());
        assert_eq!(help, Some(zpgp::cli::examples(list)), "{}", sub.get_name());
    }
}

#[test]
fn help_examples_are_shown_as_before() {
    // The rendered block keeps its shape: notes lined up in one column.
    let text = zpgp::cli::examples(zpgp::cli::ENCRYPT_EXAMPLES);
    assert!(text.starts_with("Examples:\n  zpgp encrypt -r bob@example.org report.pdf"));
    assert!(text.contains("report.pdf          # writes report.pdf.pgp\n"));
}

#[test]
fn sop_page_examples_parse() {
    use clap::Parser;
    for e in zpgp::man::SOP_EXAMPLES {
        let line = e.command.replace("zpgp-sop", "zpgp sop");
        for mut args in zpgp::cli::check::in_shell_line(&line) {
            args.remove(0);
            args[0] = "zpgp-sop".into();
            if let Err(e) = zpgp::sop::cli::SopCli::try_parse_from(&args) {
                panic!("zpgp-sop.1: the example {line:?} does not parse:\n{e}");
            }
        }
    }
}

/// The `zpgp …` lines of the shell blocks under the README's "## Commands".
fn readme_command_lines() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("\n## Commands\n")
        .nth(1)
        .expect("README has a '## Commands' section");
    let section = section.split("\n## ").next().unwrap();
    let mut lines = Vec::new();
    let mut in_sh = false;
    for l in section.lines() {
        if l.starts_with("```") {
            in_sh = !in_sh && l == "```sh";
        } else if in_sh && l.contains("zpgp ") && !l.trim_start().starts_with('#') {
            lines.push(l.to_string());
        }
    }
    lines
}

#[test]
fn readme_command_examples_parse() {
    let lines = readme_command_lines();
    assert!(lines.len() > 30, "{lines:?}");
    for l in &lines {
        assert_line_parses("README ## Commands", l);
    }
}

#[test]
fn list_examples_run_in_a_fresh_home() {
    // `zpgp list bob@example.org` finds Bob; the others list everything.
    let env = Env::new();
    env.generate(&["--name", "Bob", "--email", "bob@example.org"]);
    for e in zpgp::cli::LIST_EXAMPLES {
        let args = &zpgp::cli::check::in_shell_line(e.command)[0];
        env.zpgp()
            .args(&args[1..])
            .assert()
            .success()
            .stdout(contains("bob@example.org"));
    }
}
