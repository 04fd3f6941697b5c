//! Text while it streams: checking that input said to be text is UTF-8,
//! and turning line endings into OpenPGP's canonical CRLF and back.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Failure};

/// A reader that passes its input through and fails as soon as the input
/// is not valid UTF-8 (or ends inside a character).
pub struct Utf8Checked<R> {
    inner: R,
    /// The bytes of a character split across reads.
    pending: Vec<u8>,
    bad: Arc<AtomicBool>,
}

/// Tells, after an operation failed, whether the failure was the input
/// not being text.
#[derive(Clone)]
pub struct Utf8Verdict(Arc<AtomicBool>);

impl Utf8Verdict {
    /// Turns `err` into [`Failure::ExpectedText`] if the input was not
    /// UTF-8; returns it unchanged otherwise.  Sequoia wraps read errors
    /// in ways that hide their source, hence the side channel.
    pub fn map(&self, err: anyhow::Error) -> anyhow::Error {
        if self.0.load(Ordering::SeqCst) {
            Error::new(
                Failure::ExpectedText,
                "the input is not UTF-8 text, but text was asked for",
            )
            .into()
        } else {
            err
        }
    }
}

impl<R: Read> Utf8Checked<R> {
    pub fn new(inner: R) -> (Self, Utf8Verdict) {
        let bad = Arc::new(AtomicBool::new(false));
        (
            Utf8Checked {
                inner,
                pending: Vec::new(),
                bad: bad.clone(),
            },
            Utf8Verdict(bad),
        )
    }

    fn fail(&self) -> io::Error {
        self.bad.store(true, Ordering::SeqCst);
        io::Error::new(io::ErrorKind::InvalidData, "the input is not UTF-8 text")
    }
}

impl<R: Read> Read for Utf8Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            if !self.pending.is_empty() {
                return Err(self.fail());
            }
            return Ok(0);
        }
        let mut chunk = std::mem::take(&mut self.pending);
        chunk.extend_from_slice(&buf[..n]);
        match std::str::from_utf8(&chunk) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() && chunk.len() - e.valid_up_to() < 4 => {
                self.pending = chunk[e.valid_up_to()..].to_vec();
            }
            Err(_) => return Err(self.fail()),
        }
        Ok(n)
    }
}

/// A reader that gives its input with every bare LF turned into CRLF:
/// text mode's canonical line endings (RFC 9580, 5.9), so that what a
/// Unix sender signs is what a Windows receiver checks.  A CRLF stays as
/// it is.
pub struct ToCrlf<R> {
    inner: R,
    scratch: Vec<u8>,
    /// The LF of a CRLF that did not fit the caller's one-byte buffer.
    pending: Option<u8>,
    last_was_cr: bool,
}

impl<R: Read> ToCrlf<R> {
    pub fn new(inner: R) -> Self {
        ToCrlf {
            inner,
            scratch: Vec::new(),
            pending: None,
            last_was_cr: false,
        }
    }
}

impl<R: Read> Read for ToCrlf<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(b) = self.pending.take() {
            buf[0] = b;
            return Ok(1);
        }
        // At most half a buffer in, so that doubling every byte fits.
        let want = (buf.len() / 2).max(1);
        self.scratch.resize(want, 0);
        let n = self.inner.read(&mut self.scratch[..want])?;
        let mut o = 0;
        for &b in &self.scratch[..n] {
            if b == b'\n' && !self.last_was_cr {
                buf[o] = b'\r';
                o += 1;
                if o == buf.len() {
                    self.pending = Some(b'\n');
                    self.last_was_cr = false;
                    return Ok(o);
                }
            }
            buf[o] = b;
            o += 1;
            self.last_was_cr = b == b'\r';
        }
        Ok(o)
    }
}

/// A writer that turns CRLF back into the LF of Unix text once `on` is
/// set (by whoever reads the literal data's header and finds text), and
/// otherwise passes bytes through untouched.  A CR not followed by LF is
/// kept.
pub struct FromCrlf<W> {
    inner: W,
    on: Arc<AtomicBool>,
    held_cr: bool,
    out: Vec<u8>,
}

impl<W: Write> FromCrlf<W> {
    pub fn new(inner: W, on: Arc<AtomicBool>) -> Self {
        FromCrlf {
            inner,
            on,
            held_cr: false,
            out: Vec::new(),
        }
    }
}

impl<W: Write> Write for FromCrlf<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.on.load(Ordering::Acquire) {
            return self.inner.write(buf);
        }
        self.out.clear();
        for &b in buf {
            if self.held_cr {
                self.held_cr = false;
                if b != b'\n' {
                    self.out.push(b'\r');
                }
            }
            if b == b'\r' {
                self.held_cr = true;
            } else {
                self.out.push(b);
            }
        }
        self.inner.write_all(&self.out)?;
        Ok(buf.len())
    }

    /// A CR held back at the very end of the text was not a line ending.
    fn flush(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.held_cr) {
            self.inner.write_all(b"\r")?;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(data: &[u8], chunk: usize) -> bool {
        struct Slow<'a>(&'a [u8], usize);
        impl Read for Slow<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let (mut r, _) = Utf8Checked::new(Slow(data, chunk));
        let mut out = Vec::new();
        r.read_to_end(&mut out).is_ok() && out == data
    }

    #[test]
    fn accepts_text_split_anywhere() {
        let text = "héllo wörld ✓ 𝄞".as_bytes();
        for chunk in 1..5 {
            assert!(check(text, chunk));
        }
    }

    #[test]
    fn line_endings_become_crlf_and_back() {
        let unix = b"one\ntwo\r\nthree\rfour\n\n";
        let canonical = b"one\r\ntwo\r\nthree\rfour\r\n\r\n";
        for chunk in 1..6 {
            let mut out = Vec::new();
            let mut r = ToCrlf::new(std::io::Cursor::new(&unix[..]));
            let mut buf = vec![0u8; chunk];
            loop {
                let n = r.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
            }
            assert_eq!(out, canonical, "buffer of {chunk}");

            let mut back = Vec::new();
            let mut w = FromCrlf::new(&mut back, Arc::new(AtomicBool::new(true)));
            for piece in canonical.chunks(chunk) {
                w.write_all(piece).unwrap();
            }
            w.flush().unwrap();
            assert_eq!(back, b"one\ntwo\nthree\rfour\n\n", "pieces of {chunk}");
        }
        let mut same = Vec::new();
        let mut w = FromCrlf::new(&mut same, Arc::new(AtomicBool::new(false)));
        w.write_all(b"a\r\n").unwrap();
        assert_eq!(same, b"a\r\n");
    }

    #[test]
    fn rejects_binary_and_truncated_text() {
        assert!(!check(b"abc\xffdef", 3));
        assert!(!check("✓".as_bytes().split_at(2).0, 1));
    }
}
