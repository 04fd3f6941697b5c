//! Signatures whose unhashed subpacket area is malformed.
//!
//! The unhashed area is not covered by the signature: anyone on the path
//! can add to it.  Sequoia refuses the whole signature packet when a
//! subpacket there does not parse (an issuer of the wrong length, a
//! subpacket running past the area), so one junk subpacket would make a
//! good signature — a data signature, a user ID or subkey binding —
//! unusable.  Here such subpackets are dropped and the signature kept.
//! The hashed area is never touched: a malformed subpacket there still
//! makes the signature unparsable, and so invalid.

use std::io::Read;

use sequoia_openpgp as openpgp;

use openpgp::Packet;
use openpgp::packet::{Signature, Tag};
use openpgp::parse::{PacketParserBuilder, PacketParserResult, Parse};
use openpgp::serialize::Serialize;

/// Input larger than this is passed on as it is: the repair holds the
/// packets in memory.
pub(crate) const MAX_REPAIR_SIZE: usize = 16 << 20;

/// `data` with every signature packet that does not parse only because of
/// its unhashed area rewritten without the malformed subpackets, and how
/// many subpackets were dropped; `None` when there is nothing to repair
/// (or `data` does not parse as a sequence of packets at all).
pub(crate) fn repair(data: &[u8]) -> Option<(Vec<u8>, usize)> {
    if data.len() > MAX_REPAIR_SIZE {
        return None;
    }
    let mut ppr = PacketParserBuilder::from_bytes(data)
        .ok()?
        .buffer_unread_content()
        .build()
        .ok()?;
    let mut out = Vec::new();
    let mut dropped = 0;
    while let PacketParserResult::Some(pp) = ppr {
        // Containers are passed on untouched: buffering one would inflate
        // a compressed packet whole (1.3 KB of bzip2 holds 1 GiB), and
        // what they hold is not key data.
        if matches!(
            pp.packet.tag(),
            Tag::CompressedData | Tag::SEIP | Tag::SED | Tag::AED
        ) {
            return None;
        }
        let (packet, next) = pp.next().ok()?;
        ppr = next;
        if let Packet::Unknown(u) = &packet {
            if u.tag() == Tag::Signature {
                if let Some((body, n)) = repair_signature(u.body()) {
                    // The repaired body as it is: sequoia would not write
                    // back everything it reads (a fingerprint of an
                    // unknown version, say).
                    dropped += n;
                    out.extend_from_slice(&frame(&body)?);
                    continue;
                }
            }
        }
        packet.serialize(&mut out).ok()?;
    }
    (dropped > 0).then_some((out, dropped))
}

/// Reads `input` whole (up to [`MAX_REPAIR_SIZE`]) and repairs it; the
/// bytes to use and how many subpackets were dropped.
pub(crate) fn repair_reader(mut input: impl Read) -> std::io::Result<(Vec<u8>, usize)> {
    let mut data = Vec::new();
    input.read_to_end(&mut data)?;
    Ok(match repair(&data) {
        Some((fixed, n)) => (fixed, n),
        None => (data, 0),
    })
}

/// A v4 or v6 signature packet body, cut at its unhashed area.
struct Parts<'a> {
    /// Version to the end of the hashed area.
    head: &'a [u8],
    /// Width of the unhashed area's length field (2 for v4, 4 for v6).
    width: usize,
    unhashed: &'a [u8],
    /// The rest: hash prefix, (v6) salt, signature MPIs.
    tail: &'a [u8],
}

fn split(body: &[u8]) -> Option<Parts<'_>> {
    let width = match body.first()? {
        4 => 2,
        6 => 4,
        _ => return None,
    };
    let len = |at: usize| -> Option<usize> {
        let b = body.get(at..at + width)?;
        Some(b.iter().fold(0usize, |n, &x| n << 8 | x as usize))
    };
    let hashed_end = 4 + width + len(4)?;
    let unhashed_len = len(hashed_end)?;
    let start = hashed_end + width;
    // A length past the end of the packet: everything after the length
    // field is taken as the area, and the signature parts are lost — no
    // repair.
    let end = start.checked_add(unhashed_len)?;
    Some(Parts {
        head: body.get(..hashed_end)?,
        width,
        unhashed: body.get(start..end)?,
        tail: body.get(end..)?,
    })
}

/// The subpackets of an area by their framing alone; a subpacket whose
/// length runs past the area ends the list.
fn subpackets(area: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < area.len() {
        let first = area[at] as usize;
        let (hdr, len) = match first {
            0..=191 => (1, first),
            192..=254 => match area.get(at + 1) {
                Some(&b) => (2, ((first - 192) << 8) + b as usize + 192),
                None => break,
            },
            _ => match area.get(at + 1..at + 5) {
                Some(b) => (5, b.iter().fold(0usize, |n, &x| n << 8 | x as usize)),
                None => break,
            },
        };
        let Some(sp) = area.get(at..at + hdr + len) else {
            break;
        };
        out.push(sp);
        at += hdr + len;
    }
    out
}

fn assemble(p: &Parts<'_>, kept: &[&[u8]]) -> Vec<u8> {
    let area: Vec<u8> = kept.concat();
    let mut body = p.head.to_vec();
    let len = area.len().to_be_bytes();
    body.extend_from_slice(&len[len.len() - p.width..]);
    body.extend_from_slice(&area);
    body.extend_from_slice(p.tail);
    body
}

/// A signature packet: a new-format header (RFC 9580, 4.2.1) with a
/// definite length, and `body`.
fn frame(body: &[u8]) -> Option<Vec<u8>> {
    let mut packet = vec![0xC0 | u8::from(Tag::Signature)];
    let n = body.len();
    match n {
        0..=191 => packet.push(n as u8),
        192..=8383 => {
            let m = n - 192;
            packet.extend_from_slice(&[(m >> 8) as u8 + 192, m as u8]);
        }
        _ => {
            packet.push(0xFF);
            packet.extend_from_slice(&u32::try_from(n).ok()?.to_be_bytes());
        }
    }
    packet.extend_from_slice(body);
    Some(packet)
}

fn parse(body: &[u8]) -> Option<Signature> {
    match Packet::from_bytes(&frame(body)?).ok()? {
        Packet::Signature(s) => Some(s),
        _ => None,
    }
}

/// The signature without the unhashed subpackets that keep it from
/// parsing, and how many were dropped; `None` when it does not parse even
/// without any (the fault is elsewhere).
fn repair_signature(body: &[u8]) -> Option<(Vec<u8>, usize)> {
    let parts = split(body)?;
    let all = subpackets(parts.unhashed);
    let framed: usize = all.iter().map(|s| s.len()).sum();
    let mut kept: Vec<&[u8]> = Vec::new();
    let mut dropped = usize::from(framed < parts.unhashed.len());
    for sp in all {
        kept.push(sp);
        if parse(&assemble(&parts, &kept)).is_none() {
            kept.pop();
            dropped += 1;
        }
    }
    let body = assemble(&parts, &kept);
    parse(&body)?;
    Some((body, dropped))
}

/// The signature an unparsable signature packet holds once its malformed
/// unhashed subpackets are dropped, if that is all that was wrong.
pub(crate) fn repaired(u: &openpgp::packet::Unknown) -> Option<Signature> {
    if u.tag() != Tag::Signature {
        return None;
    }
    parse(&repair_signature(u.body())?.0)
}

/// A reader that keeps a copy of what passes through it, so that a
/// message whose signature packets did not parse can be read again for
/// them; past [`MAX_REPAIR_SIZE`] it lets the copy go.
pub(crate) struct Capture<'a, R> {
    pub inner: R,
    pub copy: &'a mut Option<Vec<u8>>,
}

impl<R: Read> Read for Capture<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self
            .copy
            .as_ref()
            .is_some_and(|c| c.len() + n > MAX_REPAIR_SIZE)
        {
            *self.copy = None;
        } else if let Some(copy) = self.copy.as_mut() {
            copy.extend_from_slice(&buf[..n]);
        }
        Ok(n)
    }
}

/// What a second reading of a signed message found: its data signatures
/// that only parse without their malformed unhashed subpackets, and the
/// signed content to check them over.
pub(crate) struct Repaired {
    /// The repaired signature packets, as they are: sequoia would not
    /// write back everything it reads (a fingerprint of an unknown
    /// version, say).
    pub packets: Vec<u8>,
    pub dropped: usize,
    pub content: Vec<u8>,
}

/// Reads `message` (an inline-signed message, armored or not, or the
/// plaintext of an encrypted one; or a whole encrypted message with its
/// `session_key`) for the data signatures that did not parse, repaired.
/// `None` when there are none, or the content is larger than
/// [`MAX_REPAIR_SIZE`].
pub(crate) fn inline_signatures(
    message: &[u8],
    session_key: Option<(
        Option<openpgp::types::SymmetricAlgorithm>,
        &openpgp::crypto::SessionKey,
    )>,
) -> Option<Repaired> {
    use openpgp::types::SignatureType;

    let mut found = Repaired {
        packets: Vec::new(),
        dropped: 0,
        content: Vec::new(),
    };
    let mut ppr = PacketParserBuilder::from_bytes(message)
        .ok()?
        .build()
        .ok()?;
    while let PacketParserResult::Some(mut pp) = ppr {
        match &pp.packet {
            Packet::SEIP(_) => {
                let (algo, key) = session_key?;
                pp.decrypt(algo, key).ok()?;
            }
            Packet::Literal(_) => {
                found.content.clear();
                (&mut pp)
                    .take(MAX_REPAIR_SIZE as u64 + 1)
                    .read_to_end(&mut found.content)
                    .ok()?;
                if found.content.len() > MAX_REPAIR_SIZE {
                    return None;
                }
            }
            Packet::Unknown(u) if u.tag() == Tag::Signature => {
                pp.buffer_unread_content().ok()?;
                if let Packet::Unknown(u) = &pp.packet {
                    if let Some((body, n)) = repair_signature(u.body()) {
                        let sig = parse(&body)?;
                        if matches!(sig.typ(), SignatureType::Binary | SignatureType::Text) {
                            found.packets.extend_from_slice(&frame(&body)?);
                            found.dropped += n;
                        }
                    }
                }
            }
            _ => {}
        }
        ppr = pp.recurse().ok()?.1;
    }
    (!found.packets.is_empty()).then_some(found)
}
