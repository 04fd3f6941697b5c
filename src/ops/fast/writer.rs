//! Writing the output on its own thread.
//!
//! Writing a file costs the kernel about as much as decrypting it costs
//! us (copying into the page cache, allocating blocks: some 0.16 s for
//! 256 MiB on the test machine); on the decrypting thread it would add to
//! the crypto instead of overlapping with it.

use std::io::{self, Write};
use std::sync::mpsc::{SyncSender, sync_channel};

use super::Pool;
use std::thread::{Scope, ScopedJoinHandle};

const BUFFER: usize = crate::ops::buffers::FAST_WRITE_JOB;
const BUFFERS: usize = 3;

pub(crate) struct ThreadedWriter<'scope> {
    cur: Vec<u8>,
    tx: Option<SyncSender<Vec<u8>>>,
    pool: Pool,
    handle: Option<ScopedJoinHandle<'scope, io::Result<()>>>,
}

impl<'scope> ThreadedWriter<'scope> {
    pub fn new<W: Write + Send + 'scope>(
        scope: &'scope Scope<'scope, '_>,
        mut out: W,
    ) -> io::Result<Self> {
        let (tx, rx) = sync_channel::<Vec<u8>>(BUFFERS - 1);
        let (pool, back_tx) = Pool::new(BUFFERS, BUFFER);
        let handle = std::thread::Builder::new()
            .name("zpgp-write".into())
            .spawn_scoped(scope, move || {
                for buf in rx {
                    out.write_all(&buf)?;
                    let _ = back_tx.send(buf);
                }
                out.flush()
            })?;
        Ok(ThreadedWriter {
            cur: Vec::with_capacity(BUFFER),
            tx: Some(tx),
            pool,
            handle: Some(handle),
        })
    }

    /// Waits for the writing thread: its result.
    fn join(&mut self) -> io::Result<()> {
        self.tx = None;
        match self.handle.take().map(|h| h.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(io::Error::other("the writing thread failed")),
            None => Err(io::Error::other("the writing thread stopped")),
        }
    }

    /// The writing thread's error, once it has stopped.
    fn stopped(&mut self) -> io::Error {
        self.join()
            .err()
            .unwrap_or_else(|| io::Error::other("the writing thread stopped"))
    }

    fn send(&mut self) -> io::Result<()> {
        let Some(next) = self.pool.get() else {
            return Err(self.stopped());
        };
        let full = std::mem::replace(&mut self.cur, next);
        match self.tx.as_ref().map(|tx| tx.send(full)) {
            Some(Ok(())) => Ok(()),
            _ => Err(self.stopped()),
        }
    }

    /// Writes out what is left and waits for the writing thread.
    pub fn finish(mut self) -> io::Result<()> {
        if !self.cur.is_empty() {
            self.send()?;
        }
        self.join()
    }
}

impl Write for ThreadedWriter<'_> {
    fn write(&mut self, mut data: &[u8]) -> io::Result<usize> {
        let n = data.len();
        while !data.is_empty() {
            let take = (BUFFER - self.cur.len()).min(data.len());
            self.cur.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.cur.len() == BUFFER {
                self.send()?;
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
