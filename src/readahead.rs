//! Reading input on a second thread.
//!
//! Copying file data out of the page cache (the `read` system call) was
//! the largest single cost of encrypting and decrypting with v6 keys (a
//! fifth of the time in `perf`), and it ran on the same core as the
//! crypto.  A reader thread keeps a couple of 1 MiB chunks ready, so on a
//! machine with two cores the copies overlap the crypto.  Memory stays
//! bounded: at most `DEPTH + 2` chunks exist at once.

use std::io::{self, Read};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

const CHUNK: usize = crate::ops::buffers::IO_BUFFER_SIZE;
const DEPTH: usize = 2;

pub struct ReadAhead {
    // A `Receiver` is not `Sync`; the ops take `Sync` readers.
    chunks: Mutex<Receiver<io::Result<Vec<u8>>>>,
    recycle: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    done: bool,
}

impl ReadAhead {
    /// Starts reading `inner` on its own thread.
    pub fn new(mut inner: Box<dyn Read + Send>) -> ReadAhead {
        let (tx, rx) = sync_channel::<io::Result<Vec<u8>>>(DEPTH);
        let (recycle, recycled) = sync_channel::<Vec<u8>>(DEPTH + 2);
        let spawned = std::thread::Builder::new()
            .name("zpgp-read".into())
            .spawn(move || {
                loop {
                    let mut buf = recycled.try_recv().unwrap_or_default();
                    buf.resize(CHUNK, 0);
                    let got = loop {
                        match inner.read(&mut buf) {
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                            other => break other,
                        }
                    };
                    let last = !matches!(got, Ok(n) if n > 0);
                    let item = got.map(|n| {
                        buf.truncate(n);
                        buf
                    });
                    // The reader side may be gone (an error ended the
                    // operation): then stop.
                    if tx.send(item).is_err() || last {
                        return;
                    }
                }
            });
        let chunks = match spawned {
            Ok(_) => rx,
            Err(e) => {
                // No thread: the first read reports why.
                let (tx, rx) = sync_channel(1);
                let _ = tx.send(Err(e));
                rx
            }
        };
        ReadAhead {
            chunks: Mutex::new(chunks),
            recycle,
            current: Vec::new(),
            pos: 0,
            done: false,
        }
    }
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        while self.pos == self.current.len() {
            if self.done {
                return Ok(0);
            }
            let used = std::mem::take(&mut self.current);
            if used.capacity() > 0 {
                let _ = self.recycle.try_send(used);
            }
            self.pos = 0;
            let next = self
                .chunks
                .get_mut()
                .map_err(|_| io::Error::other("the input reader failed"))?
                .recv();
            match next {
                Ok(Ok(chunk)) if chunk.is_empty() => {
                    self.done = true;
                    return Ok(0);
                }
                Ok(Ok(chunk)) => self.current = chunk,
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Err(io::Error::other("the input reader stopped"));
                }
            }
        }
        let n = out.len().min(self.current.len() - self.pos);
        out[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_everything_in_order() {
        let data: Vec<u8> = (0..(3 * CHUNK + 12345))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let mut r = ReadAhead::new(Box::new(io::Cursor::new(data.clone())));
        let mut got = Vec::new();
        let mut buf = vec![0u8; 7000];
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, data);
        assert_eq!(r.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn passes_errors_on() {
        struct Fails(bool);
        impl Read for Fails {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "disk on fire"));
                }
                self.0 = true;
                buf[..3].copy_from_slice(b"abc");
                Ok(3)
            }
        }
        let mut r = ReadAhead::new(Box::new(Fails(false)));
        let mut buf = [0u8; 16];
        assert_eq!(r.read(&mut buf).unwrap(), 3);
        let e = r.read(&mut buf).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(r.read(&mut buf).unwrap(), 0);
    }
}
