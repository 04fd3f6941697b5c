//! Splitting an inline-signed or cleartext-signed message into its data
//! and its signatures (SOP `inline-detach`), so that the signatures
//! verify as detached signatures over the data.

use std::io::{Read, Write};

use anyhow::{Context, Result};
use sequoia_openpgp as openpgp;

use openpgp::Packet;
use openpgp::armor;
use openpgp::packet::Signature;
use openpgp::parse::{PacketParserBuilder, PacketParserResult, Parse};
use openpgp::serialize::Serialize;

use super::errors::{Stage, classify};
use crate::error::{Error, Failure};

/// Streams the signed data of `input` to `data` and returns its
/// signatures.  Fails with [`Failure::BadData`] on input that is not a
/// signed message (no signatures, encrypted, damaged).
pub fn inline_detach(
    input: impl Read + Send + Sync,
    mut data: impl Write,
) -> Result<Vec<Signature>> {
    let mut input = std::io::BufReader::with_capacity(super::IO_BUFFER_SIZE, input);
    super::errors::check_looks_like_openpgp(&mut input)?;
    let mut ppr = PacketParserBuilder::from_reader(input)
        .and_then(|b| b.process_csf_message(true).build())
        .map_err(|e| classify(e, Stage::Verify))?;
    let mut sigs = Vec::new();
    let mut literals = 0;
    while let PacketParserResult::Some(mut pp) = ppr {
        match &pp.packet {
            Packet::Literal(_) => {
                literals += 1;
                if literals > 1 {
                    return Err(bad("it holds more than one literal data packet"));
                }
                super::copy(&mut pp, &mut data, super::errors::read_error(Stage::Verify))?;
            }
            Packet::PKESK(_) | Packet::SKESK(_) | Packet::SEIP(_) => {
                return Err(bad("it is encrypted"));
            }
            Packet::OnePassSig(_) | Packet::CompressedData(_) | Packet::Marker(_) => {}
            Packet::Signature(_) => {}
            Packet::Unknown(u) => {
                return Err(bad(&format!("it holds a damaged packet ({})", u.tag())));
            }
            p => return Err(bad(&format!("it holds a {} packet", p.tag()))),
        }
        let (packet, next) = pp.recurse().map_err(|e| classify(e, Stage::Verify))?;
        if let Packet::Signature(s) = packet {
            sigs.push(s);
        }
        ppr = next;
    }
    if literals == 0 || sigs.is_empty() {
        return Err(bad("it has no signed data or no signature"));
    }
    data.flush().context("writing output")?;
    Ok(sigs)
}

fn bad(why: &str) -> anyhow::Error {
    Error::new(
        Failure::BadData,
        format!("the input is not an inline-signed message: {why}"),
    )
    .into()
}

/// Serializes signatures, armored or not.
pub fn write_signatures(sigs: &[Signature], armored: bool) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    if armored {
        let mut w = armor::Writer::new(&mut out, armor::Kind::Signature)?;
        for s in sigs {
            Packet::from(s.clone()).serialize(&mut w)?;
        }
        w.finalize()?;
    } else {
        for s in sigs {
            Packet::from(s.clone()).serialize(&mut out)?;
        }
    }
    Ok(out)
}
