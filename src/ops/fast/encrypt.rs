//! Writing SEIPDv1 and SEIPDv2 packets on two cores.
//!
//! The caller's thread builds the inner packets with sequoia (literal
//! data, signatures) into a [`Sink`]; for SEIPDv1 it also hashes them for
//! the MDC.  A worker thread encrypts full buffers, frames them as
//! partial body chunks and writes them out.  CFB encryption is serial, so
//! giving it a core of its own is what lets SEIPDv1 run at the cipher's
//! speed.

use std::io::{self, Write};
use std::sync::mpsc::{Receiver, Sender, SyncSender, sync_channel};

use anyhow::{Context, Result};
use sequoia_openpgp as openpgp;

use openpgp::armor;
use openpgp::crypto::SessionKey;
use openpgp::packet::header::BodyLength;
use openpgp::serialize::Marshal;
use openpgp::types::{AEADAlgorithm, SymmetricAlgorithm};

use openssl::sha::Sha1;

use super::crypto::{Aead, BLOCK, CfbEncryptor, TAG};
use super::{Container, Pool, Seipdv2};

/// Plaintext buffer size, and the partial body chunk size of the output.
const BUFFER: usize = crate::ops::buffers::FAST_ENCRYPT_CHUNK;
/// The partial body length octet for `BUFFER`: 0xE0 plus its power of two.
const PARTIAL_CHUNK: u8 = 0xE0 | BUFFER.trailing_zeros() as u8;
/// How many buffers may be in flight between the threads.
const BUFFERS: usize = 3;

/// SEIPDv2 chunk size octet: 2^(12+6) = 256 KiB.  Sequoia writes 4 KiB
/// chunks; larger ones amortise the per-chunk work, and 256 KiB keeps
/// what a reader must hold before releasing a chunk small.  Any RFC 9580
/// reader must accept up to 4 MiB.
const V2_CHUNK_OCTET: u8 = 12;
const V2_CHUNK: usize = 1 << (V2_CHUNK_OCTET as usize + 6);

/// A SEIPDv2 container of the fast path's chunk size, with a fresh salt.
pub(crate) fn v2_container(sym: SymmetricAlgorithm, aead: AEADAlgorithm) -> Result<Container> {
    let mut salt = vec![0u8; 32];
    openpgp::crypto::random(&mut salt)?;
    Ok(Container::V2(Seipdv2 {
        sym,
        aead,
        chunk: V2_CHUNK,
        salt,
    }))
}

/// What the worker needs to write the encrypted container.
pub(crate) struct Plan {
    pub container: Container,
    pub sym: SymmetricAlgorithm,
    pub session_key: SessionKey,
    /// The serialized PKESK and SKESK packets.
    pub esks: Vec<u8>,
    pub armor: bool,
}

/// A buffer of plaintext for the encrypting thread; `last` ends the
/// message (without it, the thread stops without finishing the packet).
struct Msg {
    buf: Vec<u8>,
    last: bool,
}

/// Writes the message: `produce` writes the inner packets into the
/// `io::Write` it is given (a sequoia `Message` can be stacked on it).
pub(crate) fn encrypt<W, T>(
    plan: Plan,
    output: W,
    produce: impl FnOnce(&mut Sink) -> Result<T>,
) -> Result<T>
where
    W: Write + Send,
{
    std::thread::scope(|scope| {
        let (tx, rx) = sync_channel::<Msg>(BUFFERS - 1);
        // The caller's buffer and two in flight.
        let (free, free_tx) = Pool::new(BUFFERS - 1, BUFFER);
        let Plan {
            container,
            sym,
            session_key,
            esks,
            armor,
        } = plan;
        let v1 = matches!(container, Container::V1);
        let prefix = if v1 { v1_prefix(sym)? } else { Vec::new() };
        // Writing is a third thread: CFB encryption is serial, so the
        // encrypting thread should do nothing else.
        let (wtx, wrx) = sync_channel::<WriteMsg>(BUFFERS - 1);
        let (spare, back_tx) = Pool::new(BUFFERS, 2 * BUFFER + 4096);
        let writer = std::thread::Builder::new()
            .name("zpgp-write".into())
            .spawn_scoped(scope, move || -> io::Result<()> {
                write_out(wrx, back_tx, Out::new(output, armor, v1)?)
            })?;
        let worker = std::thread::Builder::new()
            .name("zpgp-encrypt".into())
            .spawn_scoped(scope, move || -> Result<()> {
                let mut framer = Framer::new(wtx, spare);
                framer.send_bytes(esks)?;
                // New-format CTB, tag 18 (SEIPD).
                framer.send_bytes(vec![0xC0 | 18])?;
                match container {
                    Container::V1 => worker_v1(rx, free_tx, framer, sym, &session_key),
                    Container::V2(v2) => worker_v2(rx, free_tx, framer, &v2, &session_key),
                }
            })?;

        let mut sink = Sink {
            cur: Vec::with_capacity(BUFFER),
            tx: Some(tx),
            free,
            mdc: v1.then(Sha1::new),
        };
        sink.cur.extend_from_slice(&prefix);
        let produced = produce(&mut sink);
        let finished = match &produced {
            Ok(_) => sink.finish(),
            Err(_) => Ok(()),
        };
        // Without a last buffer, the worker stops without finishing the
        // packet.
        drop(sink);
        let worked = match worker.join() {
            Ok(r) => r,
            Err(_) => Err(anyhow::anyhow!("the encryption thread failed")),
        };
        let written = match writer.join() {
            Ok(r) => r,
            Err(_) => Err(io::Error::other("the writing thread failed")),
        };
        // An output error (say, a closed pipe) explains a failed send
        // better than the send itself; a thread that stopped because
        // another gave up says nothing new.
        written.context("writing output")?;
        match worked {
            Err(e) if !e.is::<Aborted>() => return Err(e.context("encrypting")),
            _ => {}
        }
        finished?;
        produced
    })
}

/// The SEIPDv1 plaintext prefix: a random block, then its last two bytes
/// again, which a reader checks a session key against.
fn v1_prefix(sym: SymmetricAlgorithm) -> Result<Vec<u8>> {
    let bs = sym.block_size()?;
    let mut prefix = vec![0; bs];
    openpgp::crypto::random(&mut prefix)?;
    prefix.extend_from_within(bs - 2..);
    Ok(prefix)
}

/// The plaintext side: collects the inner packets into full buffers.
pub(crate) struct Sink {
    cur: Vec<u8>,
    tx: Option<SyncSender<Msg>>,
    /// Buffers coming back from the worker.
    free: Pool,
    /// SEIPDv1: the MDC, over the plaintext as it is sent.
    mdc: Option<Sha1>,
}

fn worker_gone() -> io::Error {
    io::Error::other("the encryption thread stopped")
}

impl Sink {
    /// Hands a full buffer over (hashed for the MDC on the way).
    fn send_full(&mut self) -> io::Result<()> {
        let next = self.free.get().ok_or_else(worker_gone)?;
        let buf = std::mem::replace(&mut self.cur, next);
        if let Some(mdc) = &mut self.mdc {
            mdc.update(&buf);
        }
        self.forward(buf, false)
    }

    fn forward(&mut self, buf: Vec<u8>, last: bool) -> io::Result<()> {
        let tx = self.tx.as_ref().ok_or_else(worker_gone)?;
        tx.send(Msg { buf, last }).map_err(|_| worker_gone())
    }

    fn finish(&mut self) -> Result<()> {
        if let Some(mut mdc) = self.mdc.take() {
            // The MDC packet ends the plaintext; the hash covers its
            // header but not the digest.
            mdc.update(&self.cur);
            let header = [0xC0 | 19, 20];
            mdc.update(&header);
            self.cur.extend_from_slice(&header);
            self.cur.extend_from_slice(&mdc.finish());
        }
        let last = std::mem::take(&mut self.cur);
        self.forward(last, true)?;
        self.tx = None;
        Ok(())
    }
}

impl Write for Sink {
    fn write(&mut self, mut data: &[u8]) -> io::Result<usize> {
        let n = data.len();
        while !data.is_empty() {
            let room = BUFFER - self.cur.len();
            let take = room.min(data.len());
            self.cur.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.cur.len() == BUFFER {
                self.send_full()?;
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Frames the packet body as 1 MiB partial body chunks and a final
/// definite length, holding at most one chunk, and hands the bytes to the
/// writing thread.
struct Framer {
    tx: SyncSender<WriteMsg>,
    spare: Pool,
    /// `pend[0]` is room for a length octet; the body bytes follow.
    pend: Vec<u8>,
    off: usize,
}

enum WriteMsg {
    Bytes(Vec<u8>, usize, usize),
    Done,
}

fn writer_gone() -> io::Error {
    io::Error::other("the writing thread stopped")
}

impl Framer {
    fn new(tx: SyncSender<WriteMsg>, spare: Pool) -> Self {
        let mut pend = Vec::with_capacity(2 * BUFFER + 4096);
        pend.push(0);
        Framer {
            tx,
            spare,
            pend,
            off: 1,
        }
    }

    fn send_bytes(&mut self, bytes: Vec<u8>) -> io::Result<()> {
        let len = bytes.len();
        self.tx
            .send(WriteMsg::Bytes(bytes, 0, len))
            .map_err(|_| writer_gone())
    }

    /// `n` writable bytes at the end of the pending body.
    fn room(&mut self, n: usize) -> &mut [u8] {
        let len = self.pend.len();
        self.pend.resize(len + n, 0);
        &mut self.pend[len..]
    }

    fn push(&mut self, bytes: &[u8]) {
        self.pend.extend_from_slice(bytes);
    }

    /// Sends every full chunk that is not the last one.
    fn emit(&mut self) -> io::Result<()> {
        while self.pend.len() - self.off > BUFFER {
            self.pend[self.off - 1] = PARTIAL_CHUNK;
            let mut next = self.spare.get().ok_or_else(writer_gone)?;
            next.push(0);
            next.extend_from_slice(&self.pend[self.off + BUFFER..]);
            let full = std::mem::replace(&mut self.pend, next);
            self.tx
                .send(WriteMsg::Bytes(full, self.off - 1, self.off + BUFFER))
                .map_err(|_| writer_gone())?;
            self.off = 1;
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<()> {
        self.emit()?;
        let body = self.pend.len() - self.off;
        let mut header = Vec::with_capacity(5);
        BodyLength::Full(body as u32)
            .serialize(&mut header)
            .map_err(io::Error::other)?;
        self.send_bytes(header)?;
        let end = self.pend.len();
        let pend = std::mem::take(&mut self.pend);
        self.tx
            .send(WriteMsg::Bytes(pend, self.off, end))
            .map_err(|_| writer_gone())?;
        self.tx.send(WriteMsg::Done).map_err(|_| writer_gone())
    }
}

/// The writing thread: writes what it is sent, and finishes the output
/// (the armor footer) only when the message is complete.
fn write_out<W: Write>(
    rx: Receiver<WriteMsg>,
    back: Sender<Vec<u8>>,
    mut out: Out<W>,
) -> io::Result<()> {
    for msg in rx {
        match msg {
            WriteMsg::Bytes(buf, from, to) => {
                out.write_all(&buf[from..to])?;
                if buf.capacity() >= BUFFER {
                    let _ = back.send(buf);
                }
            }
            WriteMsg::Done => {
                return match out {
                    Out::Plain(mut w) => w.flush(),
                    Out::Armored(w) => w.finalize().map_err(io::Error::other)?.flush(),
                };
            }
        }
    }
    // The message was given up upstream; leave the output unfinished.
    Ok(())
}

/// The message was given up before its end (the reason is elsewhere).
#[derive(Debug)]
struct Aborted;

impl std::fmt::Display for Aborted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the message was not finished")
    }
}

impl std::error::Error for Aborted {}

enum Out<W: Write> {
    Plain(W),
    Armored(armor::Writer<W>),
}

impl<W: Write> Out<W> {
    /// The output, armored if asked; a SEIPDv2 message gets RFC 9580's
    /// armor, as sequoia's own writer gives one.
    fn new(output: W, armor: bool, v1: bool) -> io::Result<Out<W>> {
        if !armor {
            return Ok(Out::Plain(output));
        }
        let mut w = armor::Writer::new(output, armor::Kind::Message).map_err(io::Error::other)?;
        if !v1 {
            w.set_profile(openpgp::Profile::RFC9580)
                .map_err(io::Error::other)?;
        }
        Ok(Out::Armored(w))
    }
}

impl<W: Write> Write for Out<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Out::Plain(w) => w.write(buf),
            Out::Armored(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Out::Plain(w) => w.write_all(buf),
            Out::Armored(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Out::Plain(w) => w.flush(),
            Out::Armored(w) => w.flush(),
        }
    }
}

fn worker_v1(
    rx: Receiver<Msg>,
    free: Sender<Vec<u8>>,
    mut framer: Framer,
    sym: SymmetricAlgorithm,
    key: &SessionKey,
) -> Result<()> {
    let mut cfb = CfbEncryptor::new(sym, key)?;
    framer.push(&[1]);
    for Msg { buf, last } in rx {
        cfb.encrypt(&buf, framer.room(buf.len()))?;
        let _ = free.send(buf);
        if last {
            framer.finish()?;
            return Ok(());
        }
        framer.emit()?;
    }
    Err(Aborted.into())
}

fn worker_v2(
    rx: Receiver<Msg>,
    free: Sender<Vec<u8>>,
    mut framer: Framer,
    v2: &Seipdv2,
    session_key: &SessionKey,
) -> Result<()> {
    let mut ctx = Aead::for_seipdv2(session_key, v2.sym, v2.aead, v2.chunk, &v2.salt, true)?;
    // The chunk size octet: the chunk is 2^(octet + 6) bytes.
    let chunk_octet = (v2.chunk.trailing_zeros() - 6) as u8;
    framer.push(&[2, v2.sym.into(), v2.aead.into(), chunk_octet]);
    framer.push(&v2.salt);
    let mut index = 0u64;
    let mut total = 0u64;
    for Msg { buf, last } in rx {
        for chunk in buf.chunks(v2.chunk) {
            ctx.seal(index, chunk, framer.room(chunk.len() + TAG))?;
            index += 1;
            total += chunk.len() as u64;
        }
        let _ = free.send(buf);
        if last {
            let tag = ctx.final_tag(index, total)?;
            framer.push(&tag);
            framer.finish()?;
            return Ok(());
        }
        framer.emit()?;
    }
    Err(Aborted.into())
}

const _: () = assert!(BUFFER % V2_CHUNK == 0 && BUFFER % BLOCK == 0);
