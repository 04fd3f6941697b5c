//! Checking that input said to be text is UTF-8, while it streams.

use std::io::{self, Read};
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
    fn rejects_binary_and_truncated_text() {
        assert!(!check(b"abc\xffdef", 3));
        assert!(!check("✓".as_bytes().split_at(2).0, 1));
    }
}
