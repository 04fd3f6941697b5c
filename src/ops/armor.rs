//! ASCII armor and dearmor, streaming.

use std::io::{BufRead, BufReader, Read, Write};

use anyhow::{Context, Result};
use sequoia_openpgp as openpgp;

use openpgp::armor;
use openpgp::packet::Tag;
use serde::Serialize;

use super::errors::{Stage, classify};
use crate::error::{Error, Failure};

/// The armor header kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArmorKind {
    Message,
    Signature,
    PublicKey,
    SecretKey,
}

impl From<ArmorKind> for armor::Kind {
    fn from(k: ArmorKind) -> Self {
        match k {
            ArmorKind::Message => armor::Kind::Message,
            ArmorKind::Signature => armor::Kind::Signature,
            ArmorKind::PublicKey => armor::Kind::PublicKey,
            ArmorKind::SecretKey => armor::Kind::SecretKey,
        }
    }
}

impl ArmorKind {
    fn from_armor(k: armor::Kind) -> Option<Self> {
        match k {
            armor::Kind::Message => Some(ArmorKind::Message),
            armor::Kind::Signature => Some(ArmorKind::Signature),
            armor::Kind::PublicKey => Some(ArmorKind::PublicKey),
            armor::Kind::SecretKey => Some(ArmorKind::SecretKey),
            _ => None,
        }
    }

    /// The kind of data that starts with packet `tag`.
    fn from_tag(tag: Tag) -> Option<Self> {
        match tag {
            Tag::PKESK
            | Tag::SKESK
            | Tag::OnePassSig
            | Tag::CompressedData
            | Tag::Literal
            | Tag::SEIP
            | Tag::Marker
            | Tag::Padding => Some(ArmorKind::Message),
            Tag::Signature => Some(ArmorKind::Signature),
            Tag::PublicKey => Some(ArmorKind::PublicKey),
            Tag::SecretKey => Some(ArmorKind::SecretKey),
            _ => None,
        }
    }
}

/// What [`armor`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ArmorReport {
    pub kind: ArmorKind,
    /// Whether the input was armored already (and was re-armored).
    pub was_armored: bool,
}

/// The packet tag of a binary OpenPGP stream's first byte.
pub fn first_tag(b: u8) -> Option<Tag> {
    if b & 0x80 == 0 {
        return None;
    }
    let tag = if b & 0x40 != 0 {
        b & 0x3f
    } else {
        (b >> 2) & 0x0f
    };
    Some(Tag::from(tag))
}

/// Whether a buffer starts (after blank space) with an armor line.
fn looks_armored(buf: &[u8]) -> bool {
    let start = buf
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(buf.len());
    buf[start..].starts_with(b"-----")
}

fn not_openpgp() -> anyhow::Error {
    Error::new(Failure::BadData, "the input is not OpenPGP data").into()
}

/// Armors `input`.  The kind is detected from the first packet unless
/// given.  Already armored input is re-armored with its own kind (so
/// armoring is idempotent); cleartext-signed input is refused.
pub fn armor(
    input: impl Read + Send + Sync,
    output: impl Write,
    kind: Option<ArmorKind>,
) -> Result<ArmorReport> {
    let mut input = BufReader::with_capacity(super::IO_BUFFER_SIZE, input);
    let head = input.fill_buf().context("reading the input")?;
    if head.is_empty() {
        return Err(Error::new(Failure::BadData, "the input is empty").into());
    }
    let was_armored = looks_armored(head);
    let (mut reader, detected): (Box<dyn Read + Send + Sync>, _) = if was_armored {
        let mut r = armor::Reader::from_reader(input, armor::ReaderMode::Tolerant(None));
        // Reading the header tells the kind.
        let mut first = [0u8; 1];
        let n = r
            .read(&mut first)
            .map_err(|e| classify(e.into(), Stage::Parse))?;
        let detected = match r.kind() {
            Some(armor::Kind::File) | None => None,
            Some(k) => ArmorKind::from_armor(k),
        };
        if detected.is_none() && kind.is_none() {
            return Err(Error::new(
                Failure::BadData,
                "the input is armored with an unknown kind, or is a cleartext signature",
            )
            .into());
        }
        (
            Box::new(std::io::Cursor::new(first[..n].to_vec()).chain(r)),
            detected,
        )
    } else {
        let detected = first_tag(head[0]).and_then(ArmorKind::from_tag);
        if first_tag(head[0]).is_none() {
            return Err(not_openpgp());
        }
        (Box::new(input), detected)
    };
    let kind = kind.or(detected).ok_or_else(not_openpgp)?;

    let out = std::io::BufWriter::with_capacity(super::IO_BUFFER_SIZE, output);
    let mut w = armor::Writer::new(out, kind.into())?;
    super::copy(&mut reader, &mut w, |e| classify(e.into(), Stage::Parse))?;
    let mut output = w.finalize().context("writing output")?;
    output.flush().context("writing output")?;
    Ok(ArmorReport { kind, was_armored })
}

/// Removes ASCII armor from `input`.  Binary input passes through
/// unchanged (after a check that it looks like OpenPGP).
pub fn dearmor(input: impl Read + Send + Sync, output: impl Write) -> Result<()> {
    let mut input = BufReader::with_capacity(super::IO_BUFFER_SIZE, input);
    let head = input.fill_buf().context("reading the input")?;
    if head.is_empty() {
        return Err(Error::new(Failure::BadData, "the input is empty").into());
    }
    let mut out = std::io::BufWriter::with_capacity(super::IO_BUFFER_SIZE, output);
    if looks_armored(head) {
        let mut r = armor::Reader::from_reader(input, armor::ReaderMode::Tolerant(None));
        super::copy(&mut r, &mut out, |e| classify(e.into(), Stage::Parse))?;
    } else {
        if first_tag(head[0]).is_none() {
            return Err(not_openpgp());
        }
        super::copy(&mut input, &mut out, |e| {
            anyhow::Error::from(e).context("reading the input")
        })?;
    }
    out.flush().context("writing output")?;
    Ok(())
}
