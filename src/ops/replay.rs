//! Replaying what a parser read: a message is parsed up to its encrypted
//! container to choose a path, and a path that declines it starts over
//! from the first byte (standard input cannot be rewound).

use std::io::{self, Read};
use std::sync::{Arc, Mutex};

/// Records what sequoia reads from the input until a path is decided on.
pub(crate) struct Recorder<R> {
    state: Arc<Mutex<RecState<R>>>,
}

struct RecState<R> {
    inner: Option<R>,
    log: Option<Vec<u8>>,
}

impl<R: Read> Read for Recorder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let s = &mut *s;
        let inner = s
            .inner
            .as_mut()
            .ok_or_else(|| io::Error::other("input already taken"))?;
        let n = inner.read(buf)?;
        if let Some(log) = &mut s.log {
            log.extend_from_slice(&buf[..n]);
        }
        Ok(n)
    }
}

/// The other end of a [`Recorder`].
pub(crate) struct Replay<R> {
    state: Arc<Mutex<RecState<R>>>,
}

pub(crate) fn record<R: Read>(inner: R) -> (Recorder<R>, Replay<R>) {
    let state = Arc::new(Mutex::new(RecState {
        inner: Some(inner),
        log: Some(Vec::new()),
    }));
    (
        Recorder {
            state: state.clone(),
        },
        Replay { state },
    )
}

impl<R: Read> Replay<R> {
    /// Stops recording: the path that scanned goes on.
    pub fn stop(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).log = None;
    }

    /// The input from the start again: what was read, then the rest.
    /// Call after the parser that read it is dropped.
    pub fn rewind(self) -> io::Result<io::Chain<io::Cursor<Vec<u8>>, R>> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let log = s
            .log
            .take()
            .ok_or_else(|| io::Error::other("input no longer recorded"))?;
        let inner = s
            .inner
            .take()
            .ok_or_else(|| io::Error::other("input already taken"))?;
        Ok(io::Cursor::new(log).chain(inner))
    }
}
