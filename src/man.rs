//! Man pages generated from the clap definitions (clap_mangen), so they
//! cannot drift from `--help`: one page per command, `zpgp-sop.1` and its
//! subcommands from the SOP definitions, an EXAMPLES section from each
//! command's `after_help`, and the exit-code table from
//! [`crate::error::Failure::ALL`].
//!
//! `cargo run --example gen-man` writes them to `man/`; a test fails when
//! the committed pages differ from what this module renders.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use crate::cli::{Example, MAIN_EXAMPLES, examples};
use crate::error::Failure;

/// The command that rewrites `man/`.
pub const UPDATE_COMMAND: &str = "cargo run --example gen-man";

/// The zpgp-sop page's examples.
pub const SOP_EXAMPLES: &[Example] = &[
    Example {
        command: "zpgp-sop generate-key 'Alice <alice@example.org>' > alice.key",
        note: "",
    },
    Example {
        command: "zpgp-sop extract-cert < alice.key > alice.cert",
        note: "",
    },
    Example {
        command: "echo hi | zpgp-sop encrypt bob.cert > hi.asc",
        note: "",
    },
    Example {
        command: "zpgp-sop decrypt alice.key < hi.asc",
        note: "",
    },
    Example {
        command: "zpgp-sop sign alice.key < notes.txt > notes.txt.sig",
        note: "",
    },
    Example {
        command: "zpgp-sop verify notes.txt.sig alice.cert < notes.txt",
        note: "",
    },
];

/// Every page, as (file name, contents), in a fixed order.
pub fn pages() -> Vec<(String, Vec<u8>)> {
    let version = env!("CARGO_PKG_VERSION");
    let mut pages = Vec::new();

    // The version is zpgp's alone: the backend named by --version must
    // not make the pages differ between builds.
    let mut zpgp = crate::cli::Cli::command()
        .version(version)
        .disable_help_subcommand(true);
    zpgp.build();
    let subs: Vec<String> = zpgp
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .filter(|n| n != "help" && n != "sop")
        .collect();
    let mut see_also: Vec<String> = subs.iter().map(|s| format!("zpgp-{s}")).collect();
    see_also.push("zpgp-sop".into());

    pages.push(page(
        &zpgp,
        Some(&examples(MAIN_EXAMPLES)),
        true,
        &see_also.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    for name in &subs {
        let sub = zpgp.find_subcommand(name).expect("listed subcommand");
        let examples = sub.get_after_help().map(|h| h.to_string());
        // A command with subcommands (userid, subkey, config) gets a page
        // for each, with its own options, pointed to from its own page.
        let nested: Vec<&clap::Command> = sub
            .get_subcommands()
            .filter(|s| s.get_name() != "help" && !s.is_hide_set())
            .collect();
        let nested_names: Vec<String> = nested
            .iter()
            .map(|s| format!("zpgp-{name}-{}", s.get_name()))
            .collect();
        let mut see: Vec<&str> = vec!["zpgp"];
        see.extend(nested_names.iter().map(String::as_str));
        pages.push(page(sub, examples.as_deref(), false, &see));
        let parent = format!("zpgp-{name}");
        for n in nested {
            pages.push(page(n, examples.as_deref(), false, &["zpgp", &parent]));
        }
    }

    let mut sop = crate::sop::cli::SopCli::command()
        .version(version)
        .about("The Stateless OpenPGP interface of zpgp (also 'zpgp sop')")
        .disable_help_subcommand(true);
    sop.build();
    let sop_subs: Vec<String> = sop
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .filter(|n| n != "help")
        .collect();
    let mut sop_see: Vec<String> = vec!["zpgp".into()];
    sop_see.extend(sop_subs.iter().map(|s| format!("zpgp-sop-{s}")));
    pages.push(page(
        &sop,
        Some(&examples(SOP_EXAMPLES)),
        false,
        &sop_see.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    for name in &sop_subs {
        let sub = sop.find_subcommand(name).expect("listed subcommand");
        let examples = sub.get_after_help().map(|h| h.to_string());
        pages.push(page(sub, examples.as_deref(), false, &["zpgp-sop"]));
    }
    pages
}

/// Writes every page to `dir`, removing pages that are no longer made.
pub fn write_to(dir: &Path) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let pages = pages();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".1") && !pages.iter().any(|(n, _)| n == name) {
            std::fs::remove_file(&path)?;
        }
    }
    let mut names = Vec::new();
    for (name, body) in pages {
        std::fs::write(dir.join(&name), body)?;
        names.push(name);
    }
    Ok(names)
}

/// One page: clap_mangen's sections, then EXAMPLES, EXIT STATUS (for
/// zpgp.1) and SEE ALSO.
fn page(
    cmd: &clap::Command,
    examples: Option<&str>,
    exit_codes: bool,
    see_also: &[&str],
) -> (String, Vec<u8>) {
    // clap_mangen would print after_help as "EXTRA"; it becomes EXAMPLES.
    let cmd = cmd
        .clone()
        .after_help(None::<&str>)
        .after_long_help(None::<&str>);
    let name = cmd.get_display_name().unwrap_or(cmd.get_name()).to_string();
    let man = clap_mangen::Man::new(cmd.clone())
        .title(name.to_uppercase())
        .manual("zpgp manual")
        .source(format!("zpgp {}", env!("CARGO_PKG_VERSION")));
    let mut out = Vec::new();
    let write = |out: &mut Vec<u8>| -> std::io::Result<()> {
        man.render_title(out)?;
        man.render_name_section(out)?;
        man.render_synopsis_section(out)?;
        man.render_description_section(out)?;
        if cmd.get_arguments().any(|a| !a.is_hide_set()) {
            man.render_options_section(out)?;
        }
        if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
            man.render_subcommands_section(out)?;
        }
        if let Some(ex) = examples {
            render_examples(out, ex)?;
        }
        if exit_codes {
            render_exit_codes(out)?;
        }
        if !see_also.is_empty() {
            writeln!(out, ".SH \"SEE ALSO\"")?;
            let refs: Vec<String> = see_also
                .iter()
                .map(|p| format!("\\fB{}\\fR(1)", escape(p)))
                .collect();
            writeln!(out, "{}", refs.join(", "))?;
        }
        Ok(())
    };
    write(&mut out).expect("rendering to memory cannot fail");
    (format!("{name}.1"), out)
}

/// The after_help text "Examples:\n  cmd  # note\n…" as an EXAMPLES
/// section, one indented literal line each.
fn render_examples(out: &mut Vec<u8>, text: &str) -> std::io::Result<()> {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && l.trim() != "Examples:")
        .collect();
    if lines.is_empty() {
        return Ok(());
    }
    writeln!(out, ".SH EXAMPLES")?;
    writeln!(out, ".RS 4")?;
    writeln!(out, ".nf")?;
    for l in lines {
        writeln!(out, "{}", escape(l.trim()))?;
    }
    writeln!(out, ".fi")?;
    writeln!(out, ".RE")?;
    Ok(())
}

fn render_exit_codes(out: &mut Vec<u8>) -> std::io::Result<()> {
    writeln!(out, ".SH \"EXIT STATUS\"")?;
    writeln!(
        out,
        "The numbers follow the Stateless OpenPGP specification's failure modes where a meaning matches."
    )?;
    let mut rows: Vec<(i32, &str)> = vec![(0, "success"), (1, "other failure")];
    rows.extend(Failure::ALL.iter().map(|f| (f.exit_code(), f.describe())));
    for (code, meaning) in rows {
        writeln!(out, ".TP")?;
        writeln!(out, ".B {code}")?;
        writeln!(out, "{}", escape(meaning))?;
    }
    Ok(())
}

/// Text made safe for roff: backslashes, minus signs, and a leading
/// control character.
fn escape(s: &str) -> String {
    let mut e = s.replace('\\', "\\e").replace('-', "\\-");
    if e.starts_with('.') || e.starts_with('\'') {
        e.insert_str(0, "\\&");
    }
    e
}
