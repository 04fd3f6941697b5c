//! The most common inner message, one literal data packet, copied
//! straight from the decrypted buffers to the output.
//!
//! Sequoia's parser copies the plaintext through several buffers and
//! hashes packet bodies as it goes; for a message that is only literal
//! data (no signatures, no compression) there is nothing for it to check,
//! so the body is read here.  Anything else goes to sequoia.

use std::io::{self, BufRead, Write};

use sequoia_openpgp as openpgp;

use openpgp::packet::Literal;
use openpgp::types::{DataFormat, Timestamp};

const LITERAL: u8 = 11;
const PADDING: u8 = 21;

/// Whether `b` starts a literal data packet (new or old format).
pub(crate) fn is_literal(b: u8) -> bool {
    b == 0xC0 | LITERAL || (b & 0xC0 == 0x80 && (b >> 2) & 0x0F == LITERAL)
}

fn malformed(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        openpgp::Error::MalformedMessage(what.into()),
    )
}

fn eof() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "the message ended early")
}

fn byte(r: &mut impl BufRead) -> io::Result<Option<u8>> {
    let buf = r.fill_buf()?;
    let Some(&b) = buf.first() else {
        return Ok(None);
    };
    r.consume(1);
    Ok(Some(b))
}

fn need(r: &mut impl BufRead) -> io::Result<u8> {
    byte(r)?.ok_or_else(eof)
}

fn be32(r: &mut impl BufRead) -> io::Result<u32> {
    let mut v = 0u32;
    for _ in 0..4 {
        v = v << 8 | need(r)? as u32;
    }
    Ok(v)
}

/// A body length: bytes, and whether more chunks follow.
enum Len {
    Fixed(u64),
    Partial(u64),
    ToEnd,
}

fn new_len(r: &mut impl BufRead, partial_ok: bool) -> io::Result<Len> {
    Ok(match need(r)? {
        a @ 0..=191 => Len::Fixed(a as u64),
        a @ 192..=223 => Len::Fixed((((a as u64) - 192) << 8) + need(r)? as u64 + 192),
        a @ 224..=254 if partial_ok => Len::Partial(1 << (a & 0x1F)),
        224..=254 => return Err(malformed("a partial body length where none may be")),
        255 => Len::Fixed(be32(r)? as u64),
    })
}

fn header(r: &mut impl BufRead, ctb: u8) -> io::Result<(u8, Len)> {
    if ctb & 0x40 != 0 {
        let tag = ctb & 0x3F;
        Ok((tag, new_len(r, tag == LITERAL)?))
    } else {
        let tag = (ctb >> 2) & 0x0F;
        let len = match ctb & 3 {
            0 => Len::Fixed(need(r)? as u64),
            1 => Len::Fixed((need(r)? as u64) << 8 | need(r)? as u64),
            2 => Len::Fixed(be32(r)? as u64),
            _ => Len::ToEnd,
        };
        Ok((tag, len))
    }
}

/// The body of one packet, across partial body chunks.
struct Body<'r, R: BufRead> {
    r: &'r mut R,
    left: u64,
    more: bool,
    to_end: bool,
}

impl<'r, R: BufRead> Body<'r, R> {
    fn new(r: &'r mut R, len: Len) -> Self {
        let (left, more, to_end) = match len {
            Len::Fixed(n) => (n, false, false),
            Len::Partial(n) => (n, true, false),
            Len::ToEnd => (u64::MAX, false, true),
        };
        Body {
            r,
            left,
            more,
            to_end,
        }
    }

    /// The next run of body bytes (empty at the end of the body).
    fn chunk(&mut self) -> io::Result<&[u8]> {
        while self.left == 0 {
            if !self.more {
                return Ok(&[]);
            }
            match new_len(self.r, true)? {
                Len::Fixed(n) => {
                    self.left = n;
                    self.more = false;
                }
                Len::Partial(n) => self.left = n,
                Len::ToEnd => unreachable!(),
            }
        }
        let buf = self.r.fill_buf()?;
        if buf.is_empty() {
            return if self.to_end { Ok(&[]) } else { Err(eof()) };
        }
        let n = (buf.len() as u64).min(self.left) as usize;
        Ok(&buf[..n])
    }

    fn advance(&mut self, n: usize) {
        self.r.consume(n);
        if !self.to_end {
            self.left -= n as u64;
        }
    }

    fn need(&mut self) -> io::Result<u8> {
        let b = *self.chunk()?.first().ok_or_else(eof)?;
        self.advance(1);
        Ok(b)
    }
}

/// Copies the literal data to `out`.  `r` must be positioned at a literal
/// data packet (see [`is_literal`]) and end where the plaintext ends;
/// after the packet only padding packets may follow.  Returns the packet
/// (without its body) and the number of bytes written.
pub(crate) fn copy(
    r: &mut impl BufRead,
    out: &mut dyn Write,
    on_header: &mut dyn FnMut(&Literal) -> io::Result<()>,
) -> io::Result<(Literal, u64)> {
    let ctb = need(r)?;
    let (tag, len) = header(r, ctb)?;
    if tag != LITERAL {
        return Err(malformed("not a literal data packet"));
    }
    let mut body = Body::new(r, len);
    let format = body.need()?;
    let mut name = vec![0u8; body.need()? as usize];
    for b in name.iter_mut() {
        *b = body.need()?;
    }
    let mut date = 0u32;
    for _ in 0..4 {
        date = date << 8 | body.need()? as u32;
    }
    let mut literal = Literal::new(DataFormat::from(format));
    literal
        .set_filename(&name)
        .map_err(|_| malformed("bad file name"))?;
    if date != 0 {
        literal
            .set_date(Some(Timestamp::from(date).into()))
            .map_err(|_| malformed("bad date"))?;
    }
    on_header(&literal)?;

    let mut written = 0u64;
    loop {
        let chunk = body.chunk()?;
        if chunk.is_empty() {
            break;
        }
        out.write_all(chunk).map_err(WriteError::wrap)?;
        let n = chunk.len();
        body.advance(n);
        written += n as u64;
    }

    // Padding packets (RFC 9580) may follow; nothing else may.
    while let Some(ctb) = byte(r)? {
        if ctb & 0x80 == 0 {
            return Err(malformed("junk after the literal data"));
        }
        let (tag, len) = header(r, ctb)?;
        if tag != PADDING {
            return Err(malformed("unexpected packet after the literal data"));
        }
        let mut body = Body::new(r, len);
        loop {
            let n = body.chunk()?.len();
            if n == 0 {
                break;
            }
            body.advance(n);
        }
    }
    Ok((literal, written))
}

/// An output error, told apart from errors reading the message.
#[derive(Debug)]
pub(crate) struct WriteError(pub io::Error);

impl WriteError {
    fn wrap(e: io::Error) -> io::Error {
        io::Error::new(e.kind(), WriteError(e))
    }
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}
