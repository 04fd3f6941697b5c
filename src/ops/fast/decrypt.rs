//! Reading SEIPDv1 and SEIPDv2 packets on two cores.
//!
//! Sequoia parses the packets in front of the encrypted container (and
//! finds the session key with the caller's helper); then a worker thread
//! decrypts the container's body buffer by buffer — CFB as one ECB pass
//! plus XOR, AEAD chunks with one context — and checks the MDC or the
//! tags, while the caller's thread reads the ciphertext and hands the
//! plaintext to sequoia's parser for the inner packets (literal data,
//! compression, signatures).  The plaintext reader reports end of data
//! only after the integrity check passed, and an error otherwise.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};

use sequoia_openpgp as openpgp;

use openpgp::crypto::SessionKey;
use openpgp::packet::{PKESK, SEIP, SKESK};
use openpgp::parse::buffered_reader::BufferedReader;
use openpgp::parse::{PacketParser, PacketParserResult, Parse};
use openpgp::types::SymmetricAlgorithm;
use openpgp::{Packet, crypto::symmetric};

use super::crypto::{self, Aead, BLOCK, CfbDecryptor, MDC_DIGEST, MdcHasher, TAG, manipulated};
use super::{Container, Seipdv2};

/// Ciphertext read per job.
const BUFFER: usize = crate::ops::buffers::FAST_DECRYPT_JOB;
// Whole blocks per job, so a job's CFB state carries over to the next.
const _: () = assert!(BUFFER % BLOCK == 0);
/// SEIPDv1 plaintext: random prefix (one block) and two check bytes.
const PREFIX: usize = BLOCK + 2;
/// SEIPDv1 plaintext trailer: the MDC packet (header and SHA-1).
const MDC_PACKET: usize = 2 + MDC_DIGEST;
/// Jobs in flight: one being decrypted while the next is read.
const IN_FLIGHT: usize = 2;

pub(crate) use crate::ops::replay::record;

/// A message parsed up to its encrypted container.
pub(crate) struct Scanned<'a> {
    pub pp: PacketParser<'a>,
    pub pkesks: Vec<PKESK>,
    pub skesks: Vec<SKESK>,
    pub container: Container,
    /// The first bytes of the container body, to check session keys on.
    head: Vec<u8>,
}

/// Parses the key packets and the container header.  `None` when the
/// message is anything the fast path does not handle (or is malformed):
/// the stock path then reads it from the start and reports on it.
pub(crate) fn scan<'a, R: Read + Send + Sync + 'a>(input: R) -> Option<Scanned<'a>> {
    let mut ppr = PacketParser::from_reader(input).ok()?;
    let mut pkesks = Vec::new();
    let mut skesks = Vec::new();
    loop {
        let PacketParserResult::Some(mut pp) = ppr else {
            return None;
        };
        let container = match &pp.packet {
            Packet::PKESK(p) => {
                pkesks.push(p.clone());
                ppr = pp.next().ok()?.1;
                continue;
            }
            Packet::SKESK(s) => {
                skesks.push(s.clone());
                ppr = pp.next().ok()?.1;
                continue;
            }
            Packet::SEIP(SEIP::V1(_)) => Container::V1,
            Packet::SEIP(SEIP::V2(s))
                if crypto::aead_supported(s.symmetric_algo(), s.aead())
                    && s.chunk_size().is_power_of_two()
                    && (64..=1 << 22).contains(&s.chunk_size()) =>
            {
                Container::V2(Seipdv2 {
                    sym: s.symmetric_algo(),
                    aead: s.aead(),
                    chunk: s.chunk_size() as usize,
                    salt: s.salt().to_vec(),
                })
            }
            _ => return None,
        };
        let want = match &container {
            Container::V1 => PREFIX + MDC_PACKET,
            Container::V2(v2) => v2.chunk + 2 * TAG,
        };
        // A small message is sequoia's (see `super::FAST_MIN_SIZE`).
        if pp.data(super::min_size()).ok()?.len() < super::min_size() {
            return None;
        }
        let head = pp.data(want).ok()?.to_vec();
        let short = match &container {
            Container::V1 => head.len() < PREFIX + MDC_PACKET,
            Container::V2(_) => head.len() < TAG,
        };
        if short {
            return None;
        }
        return Some(Scanned {
            pp,
            pkesks,
            skesks,
            container,
            head,
        });
    }
}

impl<'a> Scanned<'a> {
    /// Whether `key` opens the container: the quick check for SEIPDv1
    /// (any cipher, through sequoia), the first chunk's tag for SEIPDv2.
    pub fn key_fits(&self, algo: Option<SymmetricAlgorithm>, key: &SessionKey) -> bool {
        match &self.container {
            Container::V1 => {
                let Some(algo) = algo else { return false };
                let Ok(bs) = algo.block_size() else {
                    return false;
                };
                if algo.key_size().ok() != Some(key.len()) || self.head.len() < bs + 2 {
                    return false;
                }
                let src = openpgp::parse::buffered_reader::Memory::with_cookie(
                    &self.head[..bs + 2],
                    Default::default(),
                );
                let Ok(mut dec) = symmetric::Decryptor::new(
                    algo,
                    symmetric::BlockCipherMode::CFB,
                    symmetric::UnpaddingMode::None,
                    key,
                    None,
                    src,
                ) else {
                    return false;
                };
                let mut p = vec![0u8; bs + 2];
                dec.read_exact(&mut p).is_ok() && p[bs - 2..bs] == p[bs..]
            }
            Container::V2(v2) => {
                let Ok(mut ctx) =
                    Aead::for_seipdv2(key, v2.sym, v2.aead, v2.chunk, &v2.salt, false)
                else {
                    return false;
                };
                let body = self.head.len() - TAG;
                if body == 0 {
                    return ctx.check_final_tag(0, 0, &self.head).is_ok();
                }
                let first = body.min(v2.chunk + TAG);
                let mut out = vec![0u8; first + TAG];
                ctx.open(0, &self.head[..first], &mut out).is_ok()
            }
        }
    }

    /// Whether `key` has the size the SEIPDv2 container's cipher needs.
    pub fn key_schedule_ok(&self, key: &SessionKey) -> bool {
        match &self.container {
            Container::V1 => false,
            Container::V2(v2) => v2.sym.key_size().ok() == Some(key.len()),
        }
    }

    /// Whether the fast path can decrypt with this cipher.
    pub fn cipher_supported(&self, algo: Option<SymmetricAlgorithm>) -> bool {
        match &self.container {
            Container::V1 => algo.is_some_and(crypto::is_aes),
            Container::V2(_) => true,
        }
    }

    /// Starts the worker in `scope` and returns the plaintext reader.
    pub fn open<'scope>(
        self,
        scope: &'scope std::thread::Scope<'scope, '_>,
        algo: Option<SymmetricAlgorithm>,
        key: &SessionKey,
    ) -> io::Result<PlainReader<'a>> {
        let (to_worker, jobs) = sync_channel::<Job>(IN_FLIGHT);
        let (done_tx, from_worker) = channel::<Done>();
        match &self.container {
            Container::V1 => {
                let algo = algo.ok_or_else(|| io::Error::other("no cipher"))?;
                let dec = CfbDecryptor::new(algo, key)?;
                spawn(scope, move || worker_v1(jobs, done_tx, dec))?;
            }
            Container::V2(v2) => {
                let ctx = Aead::for_seipdv2(key, v2.sym, v2.aead, v2.chunk, &v2.salt, false)?;
                let chunk = v2.chunk;
                spawn(scope, move || worker_v2(jobs, done_tx, ctx, chunk))?;
            }
        }
        // At least `BUFFER` bytes of plaintext per job, so the output
        // (buffered by that much) writes them through without a copy.
        let read_size = match &self.container {
            Container::V1 => BUFFER + 4 * BLOCK,
            Container::V2(v2) => BUFFER.div_ceil(v2.chunk) * (v2.chunk + TAG),
        };
        Ok(PlainReader {
            pp: Some(self.pp),
            v1: matches!(self.container, Container::V1),
            read_size,
            to_worker: Some(to_worker),
            from_worker: Mutex::new(from_worker),
            pool: Vec::new(),
            in_flight: 0,
            input_done: false,
            prev: [0; BLOCK],
            carry: Vec::new(),
            ready: VecDeque::new(),
            pending: Vec::new(),
            hold: Vec::with_capacity(2 * MDC_PACKET),
            skip: PREFIX,
            finished: false,
            failed: None,
            verified: Arc::new(AtomicBool::new(false)),
        })
    }
}

fn spawn<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    f: impl FnOnce() + Send + 'scope,
) -> io::Result<()> {
    std::thread::Builder::new()
        .name("zpgp-decrypt".into())
        .spawn_scoped(scope, f)
        .map(drop)
}

struct Job {
    /// SEIPDv1: the previous ciphertext block, then `n` bytes of
    /// ciphertext.  SEIPDv2: `n` bytes of whole chunks (and at the end a
    /// last, shorter one).
    cipher: Vec<u8>,
    plain: Vec<u8>,
    n: usize,
    /// SEIPDv2: the final tag, on the last job.
    final_tag: Option<[u8; TAG]>,
    is_last: bool,
}

struct Done {
    cipher: Vec<u8>,
    plain: Vec<u8>,
    len: usize,
    result: io::Result<()>,
    /// SEIPDv1, last job: the MDC computed and the bytes held back.
    mdc: Option<([u8; MDC_DIGEST], Vec<u8>)>,
}

fn worker_v1(jobs: Receiver<Job>, done: Sender<Done>, mut dec: CfbDecryptor) {
    let mut mdc = Some(MdcHasher::new());
    for mut job in jobs {
        let need = job.n.div_ceil(BLOCK) * BLOCK + BLOCK;
        if job.plain.len() < need {
            job.plain.resize(need, 0);
        }
        let result = dec.decrypt(&job.cipher[..BLOCK + job.n], job.n, &mut job.plain);
        let mut digest = None;
        if result.is_ok() {
            if let Some(h) = &mut mdc {
                h.update(&job.plain[..job.n]);
            }
            if job.is_last {
                digest = mdc.take().map(MdcHasher::finish);
            }
        }
        let _ = done.send(Done {
            cipher: job.cipher,
            plain: job.plain,
            len: job.n,
            result,
            mdc: digest,
        });
    }
}

fn worker_v2(jobs: Receiver<Job>, done: Sender<Done>, mut ctx: Aead, chunk: usize) {
    let mut index = 0u64;
    let mut total = 0u64;
    let mut failed = false;
    for mut job in jobs {
        if job.plain.len() < job.n + TAG {
            job.plain.resize(job.n + TAG, 0);
        }
        let mut len = 0;
        let mut result = Ok(());
        if failed {
            result = Err(manipulated());
        }
        for piece in job.cipher[..job.n].chunks(chunk + TAG) {
            if result.is_err() {
                break;
            }
            match ctx.open(index, piece, &mut job.plain[len..]) {
                Ok(n) => {
                    len += n;
                    index += 1;
                    total += n as u64;
                }
                Err(e) => result = Err(e),
            }
        }
        if result.is_ok() {
            if let Some(tag) = &job.final_tag {
                result = ctx.check_final_tag(index, total, tag);
            }
        }
        failed |= result.is_err();
        let _ = done.send(Done {
            cipher: job.cipher,
            plain: job.plain,
            len,
            result,
            mdc: None,
        });
    }
}

/// The decrypted inner packets, for sequoia's parser.
pub(crate) struct PlainReader<'a> {
    pp: Option<PacketParser<'a>>,
    v1: bool,
    read_size: usize,
    to_worker: Option<SyncSender<Job>>,
    /// In a mutex only to be `Sync`, as sequoia's readers require.
    from_worker: Mutex<Receiver<Done>>,
    pool: Vec<Vec<u8>>,
    in_flight: usize,
    input_done: bool,
    /// SEIPDv1: the last ciphertext block read.
    prev: [u8; BLOCK],
    /// SEIPDv2: ciphertext read past the last whole job (a final tag
    /// candidate).
    carry: Vec<u8>,
    /// Plaintext that may be read.
    ready: VecDeque<Seg>,
    /// The plaintext of the latest job, held back until the next job (or
    /// the end of the message) checks out, as sequoia holds back its
    /// buffer: a message up to a megabyte is released only once verified,
    /// and the last megabyte of any message only at its end.
    pending: Vec<Seg>,
    /// SEIPDv1: the last bytes of plaintext, held back (the MDC packet).
    hold: Vec<u8>,
    /// SEIPDv1: prefix bytes not yet skipped.
    skip: usize,
    finished: bool,
    /// A failure is reported again on every later read.
    failed: Option<(io::ErrorKind, String, bool)>,
    verified: Arc<AtomicBool>,
}

impl PlainReader<'_> {
    /// Set once the whole container was read and its integrity checked.
    pub fn verified(&self) -> Arc<AtomicBool> {
        self.verified.clone()
    }

    fn buffer(&mut self) -> Vec<u8> {
        self.pool.pop().unwrap_or_default()
    }

    fn read_full(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let pp = self
            .pp
            .as_mut()
            .ok_or_else(|| io::Error::other("input closed"))?;
        let mut filled = 0;
        while filled < buf.len() {
            match pp.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(filled)
    }

    fn next_job(&mut self) -> io::Result<Job> {
        let mut cipher = self.buffer();
        let plain = self.buffer();
        if self.v1 {
            // Buffers keep their length between jobs: resizing would
            // zero a megabyte each time.
            if cipher.len() < BLOCK + self.read_size {
                cipher.resize(BLOCK + self.read_size, 0);
            }
            cipher[..BLOCK].copy_from_slice(&self.prev);
            let n = self.read_full(&mut cipher[BLOCK..BLOCK + self.read_size])?;
            let is_last = n < self.read_size;
            if n >= BLOCK {
                self.prev.copy_from_slice(&cipher[n..BLOCK + n]);
            }
            Ok(Job {
                cipher,
                plain,
                n,
                final_tag: None,
                is_last,
            })
        } else {
            let want = self.read_size + TAG;
            if cipher.len() < want {
                cipher.resize(want, 0);
            }
            let have = self.carry.len();
            cipher[..have].copy_from_slice(&self.carry);
            let n = have + self.read_full(&mut cipher[have..want])?;
            if n == want {
                self.carry.clear();
                self.carry.extend_from_slice(&cipher[self.read_size..want]);
                Ok(Job {
                    cipher,
                    plain,
                    n: self.read_size,
                    final_tag: None,
                    is_last: false,
                })
            } else {
                if n < TAG {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the encrypted data ended early",
                    ));
                }
                let mut tag = [0u8; TAG];
                tag.copy_from_slice(&cipher[n - TAG..n]);
                Ok(Job {
                    cipher,
                    plain,
                    n: n - TAG,
                    final_tag: Some(tag),
                    is_last: true,
                })
            }
        }
    }

    /// Keeps the worker busy, then takes its next result.
    fn pump(&mut self) -> io::Result<()> {
        while self.in_flight < IN_FLIGHT && !self.input_done {
            let job = self.next_job()?;
            self.input_done = job.is_last;
            self.to_worker
                .as_ref()
                .ok_or_else(|| io::Error::other("decryption stopped"))?
                .send(job)
                .map_err(|_| io::Error::other("the decryption thread stopped"))?;
            self.in_flight += 1;
        }
        let done = self
            .from_worker
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .recv()
            .map_err(|_| io::Error::other("the decryption thread stopped"))?;
        self.in_flight -= 1;
        self.pool.push(done.cipher);
        done.result?;
        let last = self.input_done && self.in_flight == 0;
        let mut segs = Vec::with_capacity(2);
        if self.v1 {
            self.split_v1(done.plain, done.len, &mut segs);
            if last {
                self.check_mdc(done.mdc)?;
            }
        } else {
            segs.push(Seg {
                buf: done.plain,
                start: 0,
                end: done.len,
            });
        }
        let earlier = std::mem::replace(&mut self.pending, segs);
        self.ready.extend(earlier);
        if last {
            self.finish()?;
            self.ready.extend(self.pending.drain(..));
        }
        Ok(())
    }

    /// Drops the prefix and holds back the last bytes seen (the MDC
    /// packet, at the end).
    fn split_v1(&mut self, plain: Vec<u8>, len: usize, segs: &mut Vec<Seg>) {
        let start = self.skip.min(len);
        self.skip -= start;
        if len - start >= MDC_PACKET {
            if !self.hold.is_empty() {
                let held = std::mem::take(&mut self.hold);
                let end = held.len();
                segs.push(Seg {
                    buf: held,
                    start: 0,
                    end,
                });
            }
            self.hold.extend_from_slice(&plain[len - MDC_PACKET..len]);
            segs.push(Seg {
                buf: plain,
                start,
                end: len - MDC_PACKET,
            });
        } else {
            self.hold.extend_from_slice(&plain[start..len]);
            let excess = self.hold.len().saturating_sub(MDC_PACKET);
            if excess > 0 {
                let out: Vec<u8> = self.hold.drain(..excess).collect();
                segs.push(Seg {
                    buf: out,
                    start: 0,
                    end: excess,
                });
            }
            self.pool.push(plain);
        }
    }

    fn check_mdc(&self, mdc: Option<([u8; MDC_DIGEST], Vec<u8>)>) -> io::Result<()> {
        let Some((digest, tail)) = mdc else {
            return Err(io::Error::other("no MDC computed"));
        };
        let ok = self.skip == 0
            && self.hold.len() == MDC_PACKET
            && self.hold[..2] == [0xC0 | 19, MDC_DIGEST as u8]
            && tail[..] == self.hold[2..]
            && openssl::memcmp::eq(&digest, &self.hold[2..]);
        if ok { Ok(()) } else { Err(manipulated()) }
    }

    /// After the container: only the end of the message may follow.
    fn finish(&mut self) -> io::Result<()> {
        self.to_worker = None;
        let pp = self
            .pp
            .take()
            .ok_or_else(|| io::Error::other("input closed"))?;
        crate::ops::expect_end_after_container(pp)?;
        self.finished = true;
        self.verified.store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// A run of plaintext: `buf[start..end]`.
struct Seg {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl PlainReader<'_> {
    /// Makes plaintext available, unless the end is reached.
    fn fill(&mut self) -> io::Result<()> {
        if let Some((kind, msg, manip)) = &self.failed {
            return Err(if *manip {
                manipulated()
            } else {
                io::Error::new(*kind, msg.clone())
            });
        }
        loop {
            match self.ready.front() {
                Some(seg) if seg.start < seg.end => return Ok(()),
                Some(_) => {
                    let seg = self.ready.pop_front().expect("front");
                    if seg.buf.capacity() >= BUFFER {
                        self.pool.push(seg.buf);
                    }
                }
                None if self.finished => return Ok(()),
                None => {
                    if let Err(e) = self.pump() {
                        let manip = e
                            .get_ref()
                            .and_then(|i| i.downcast_ref::<openpgp::Error>())
                            .is_some_and(|o| matches!(o, openpgp::Error::ManipulatedMessage));
                        self.failed = Some((e.kind(), e.to_string(), manip));
                        self.pending.clear();
                        return Err(e);
                    }
                }
            }
        }
    }
}

impl io::BufRead for PlainReader<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.fill()?;
        Ok(match self.ready.front() {
            Some(seg) => &seg.buf[seg.start..seg.end],
            None => &[],
        })
    }

    fn consume(&mut self, n: usize) {
        if let Some(seg) = self.ready.front_mut() {
            seg.start = (seg.start + n).min(seg.end);
        }
    }
}

impl Read for PlainReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use io::BufRead;
        if buf.is_empty() {
            return Ok(0);
        }
        let avail = self.fill_buf()?;
        let n = buf.len().min(avail.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}
