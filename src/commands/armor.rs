//! `zpgp armor` and `zpgp dearmor`: the same ops as `zpgp sop armor`, with
//! file arguments and the main CLI's output rules.

use std::io::{BufRead, BufReader};

use anyhow::Result;
use sequoia_openpgp::packet::Tag;

use super::common::{open_input, real_path};
use crate::cli::ArmorArgs;
use crate::context::Context;
use crate::ops;
use crate::output::{Content, Output};

pub fn armor(ctx: &Context, args: ArmorArgs) -> Result<()> {
    let mut input = BufReader::with_capacity(
        ops::DEFAULT_BUFFER_SIZE,
        open_input(real_path(&args.input))?,
    );
    let content = if holds_secret(&mut input) {
        Content::Secret
    } else {
        Content::Text
    };
    let mut out = Output::open(args.output.as_deref(), args.force, content)?;
    let report = ops::armor(input, &mut out, None)?;
    out.finish()?;
    ctx.debug(format!("armored {:?}", report.kind));
    Ok(())
}

pub fn dearmor(_ctx: &Context, args: ArmorArgs) -> Result<()> {
    let mut input = BufReader::with_capacity(
        ops::DEFAULT_BUFFER_SIZE,
        open_input(real_path(&args.input))?,
    );
    let content = if holds_secret(&mut input) {
        Content::Secret
    } else {
        Content::Binary
    };
    let mut out = Output::open(args.output.as_deref(), args.force, content)?;
    ops::dearmor(input, &mut out)?;
    out.finish()
}

/// Whether the input starts with a secret key, armored or binary: its
/// output file is then private (0600), and never shown on a terminal.
fn holds_secret(input: &mut impl BufRead) -> bool {
    let Ok(head) = input.fill_buf() else {
        return false;
    };
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    head[start..].starts_with(b"-----BEGIN PGP PRIVATE KEY BLOCK")
        || head
            .first()
            .and_then(|b| ops::armor::first_tag(*b))
            .is_some_and(|t| t == Tag::SecretKey)
}
