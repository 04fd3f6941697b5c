//! Several files in one run: each input gets its own output and its own
//! line on stderr, and a file that fails is reported and passed over, so
//! that it neither stops nor spoils the others.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::{Value, json};

use crate::context::Context;
use crate::display::Safe;
use crate::error::{Error, Failure, failure_of, text_and_hint};
use crate::printer::ReportTo;

/// The inputs of a message command, `None` standing for standard input
/// (also when no file is named).  `command` is how the hint spells it.
pub fn inputs(
    files: &[PathBuf],
    output: Option<&Path>,
    command: &str,
) -> Result<Vec<Option<PathBuf>>> {
    if files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        return Err(Error::new(
            Failure::IncompatibleOptions,
            "standard input (-) is named more than once; it can be read only once",
        )
        .hint("name - once at most, and the other inputs by their file names")
        .into());
    }
    if files.len() > 1 && output.is_some() {
        return Err(Error::new(
            Failure::IncompatibleOptions,
            format!("-o names one output, and {} inputs were given", files.len()),
        )
        .hint(format!(
            "leave out -o, and each file gets its own output beside it (zpgp {command} FILE FILE); \
             -o goes with one input only"
        ))
        .into());
    }
    if files.is_empty() {
        return Ok(vec![None]);
    }
    Ok(files
        .iter()
        .map(|f| Some(f.clone()).filter(|f| f.as_os_str() != "-"))
        .collect())
}

/// What became of one file of several.
pub struct Done {
    /// The rest of its result line, after the file's name ("decrypted to
    /// a.txt").
    pub line: String,
    /// Where its output went, if to a file.
    pub output: Option<PathBuf>,
    /// The command's JSON report for it, when --json asked for one.
    pub report: Option<Value>,
}

/// How an input is named in messages.
pub fn name(input: Option<&Path>) -> String {
    input.map_or_else(|| "standard input".to_string(), |p| p.display().to_string())
}

/// Runs `one` on each input in turn.  Every file gets one line on stderr;
/// with --json a JSON array follows, one object per file.  The error, if
/// any file failed, names all that did and has the exit code of the
/// first.
pub fn run_each(
    ctx: &Context,
    inputs: &[Option<PathBuf>],
    mut one: impl FnMut(Option<&Path>) -> Result<Done>,
) -> Result<()> {
    let mut failed: Vec<(String, anyhow::Error)> = Vec::new();
    let mut reports = Vec::new();
    for input in inputs {
        let name = name(input.as_deref());
        match one(input.as_deref()) {
            Ok(done) => {
                ctx.info(format!("zpgp: {}: {}", Safe(&name), done.line));
                reports.push(json!({
                    "file": name,
                    "ok": true,
                    "output": done.output.map(|p| p.display().to_string()),
                    "report": done.report,
                }));
            }
            // Nobody reads on: the other files would go nowhere either.
            Err(e) if crate::output::is_broken_pipe(&e) => return Err(e),
            Err(e) => {
                let (text, hint) = text_and_hint(&e);
                let shown_hint = hint
                    .as_deref()
                    .map(|h| format!(" (hint: {h})"))
                    .unwrap_or_default();
                ctx.say(format_args!(
                    "{}: FAILED: {}{}",
                    Safe(&name),
                    Safe(&text.replace('\n', " ")),
                    Safe(&shown_hint)
                ));
                reports.push(json!({
                    "file": name,
                    "ok": false,
                    "error": text,
                    "hint": hint,
                    "exit_code": failure_of(&e).map_or(1, |f| f.exit_code()),
                }));
                failed.push((name, e));
            }
        }
    }
    if ctx.json {
        ctx.report(ReportTo::Stderr, &reports)?;
    }
    let Some((_, first)) = failed.first() else {
        return Ok(());
    };
    let names: Vec<&str> = failed.iter().map(|(n, _)| n.as_str()).collect();
    let message = format!(
        "{} of {} files failed: {}",
        failed.len(),
        inputs.len(),
        names.join(", ")
    );
    // The first failure decides the exit code, as if the run had stopped
    // there; the lines above tell each file's story.
    Err(match failure_of(first) {
        Some(f) => Error::new(f, message)
            .hint("each failed file's reason is on its line above; the other files are done")
            .into(),
        None => anyhow::anyhow!(message),
    })
}
