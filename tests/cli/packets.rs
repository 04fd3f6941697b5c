//! OpenPGP packet framing for tests that take messages apart: the
//! top-level packets of binary data with where their body pieces lie, and
//! the same message framed again with other, equally valid, headers.
//! Both the CLI tests (`fastpath`, to damage chosen bytes) and the fast
//! path's unit tests (`src/ops/fast/tests.rs`, through `#[path]`, to
//! re-frame messages) use it, so there is one reader of lengths.

// Each of the two users needs only part of it.
#![allow(dead_code)]

/// One top-level packet of binary OpenPGP data: its tag, where its header
/// starts, and the pieces of its body as (offset, length), several when
/// it has partial body lengths.
pub struct Pkt {
    pub tag: u8,
    pub start: usize,
    pub pieces: Vec<(usize, usize)>,
}

impl Pkt {
    pub fn body_len(&self) -> usize {
        self.pieces.iter().map(|(_, l)| l).sum()
    }

    pub fn body(&self, d: &[u8]) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.body_len());
        for &(o, l) in &self.pieces {
            v.extend_from_slice(&d[o..o + l]);
        }
        v
    }

    /// The offset in the data of body byte `i`.
    pub fn at(&self, mut i: usize) -> usize {
        for &(o, l) in &self.pieces {
            if i < l {
                return o + i;
            }
            i -= l;
        }
        panic!("body byte out of range");
    }

    pub fn end(&self) -> usize {
        let (o, l) = self.pieces.last().expect("a body piece");
        o + l
    }
}

fn be(s: &[u8]) -> usize {
    s.iter().fold(0, |a, b| (a << 8) | *b as usize)
}

/// The top-level packets of binary OpenPGP data (new and old format,
/// partial body lengths included).
pub fn packets(d: &[u8]) -> Vec<Pkt> {
    let mut v = Vec::new();
    let mut i = 0;
    while i < d.len() {
        let start = i;
        let ctb = d[i];
        assert!(ctb & 0x80 != 0, "not a packet tag at {i}: {ctb:#x}");
        i += 1;
        let mut pieces = Vec::new();
        let tag = if ctb & 0x40 != 0 {
            loop {
                let b = d[i] as usize;
                let (hdr, len, partial) = match b {
                    0..=191 => (1, b, false),
                    192..=223 => (2, ((b - 192) << 8) + d[i + 1] as usize + 192, false),
                    224..=254 => (1, 1 << (b & 0x1f), true),
                    _ => (5, be(&d[i + 1..i + 5]), false),
                };
                i += hdr;
                pieces.push((i, len));
                i += len;
                if !partial {
                    break;
                }
            }
            ctb & 0x3f
        } else {
            let (hdr, len) = match ctb & 3 {
                0 => (1, d[i] as usize),
                1 => (2, be(&d[i..i + 2])),
                2 => (4, be(&d[i..i + 4])),
                _ => (0, d.len() - i),
            };
            i += hdr;
            pieces.push((i, len));
            i += len;
            (ctb >> 2) & 0x0f
        };
        assert!(i <= d.len(), "packet at {start} runs past the end");
        v.push(Pkt { tag, start, pieces });
    }
    v
}

/// The SEIPD packet of a binary message, which must be its last packet.
pub fn seipd(d: &[u8]) -> Pkt {
    let mut pkts = packets(d);
    let last = pkts.pop().expect("packets");
    assert_eq!(last.tag, 18, "the last packet is the SEIPD packet");
    assert_eq!(last.end(), d.len());
    last
}

/// A new-format definite body length.
fn definite_len(n: usize) -> Vec<u8> {
    match n {
        0..=191 => vec![n as u8],
        192..=8383 => {
            let m = n - 192;
            vec![(m >> 8) as u8 + 192, m as u8]
        }
        _ => {
            let mut v = vec![0xff];
            v.extend_from_slice(&(n as u32).to_be_bytes());
            v
        }
    }
}

/// The same message with other, equally valid, framing: the session-key
/// packets get old-format headers (as gpg writes them), and the SEIPD
/// body is cut into partial bodies of 2^`exponents[k]` bytes, cycling,
/// while that much is left, then a definite-length last piece; or, if
/// `empty_last`, what is left in ever smaller partial bodies (its binary
/// digits, down to single bytes) and an empty last piece.  The first
/// exponent must be at least 9 (512 bytes).
pub fn reframe(d: &[u8], exponents: &[u32], empty_last: bool) -> Vec<u8> {
    assert!(exponents[0] >= 9);
    let mut out = Vec::with_capacity(d.len() + 1024);
    for pkt in packets(d) {
        let body = pkt.body(d);
        match pkt.tag {
            1 | 3 => {
                if body.len() < 256 {
                    out.push(0x80 | (pkt.tag << 2));
                    out.push(body.len() as u8);
                } else {
                    out.push(0x80 | (pkt.tag << 2) | 1);
                    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
                }
                out.extend_from_slice(&body);
            }
            18 => {
                out.push(0xc0 | 18);
                let mut rest = &body[..];
                let mut k = 0;
                loop {
                    let e = exponents[k % exponents.len()];
                    let n = 1usize << e;
                    if rest.len() < n {
                        if empty_last {
                            for e in (0..30u32).rev() {
                                if rest.len() & (1 << e) != 0 {
                                    out.push(224 + e as u8);
                                    out.extend_from_slice(&rest[..1 << e]);
                                    rest = &rest[1 << e..];
                                }
                            }
                        }
                        out.extend(definite_len(rest.len()));
                        out.extend_from_slice(rest);
                        break;
                    }
                    out.push(224 + e as u8);
                    out.extend_from_slice(&rest[..n]);
                    rest = &rest[n..];
                    k += 1;
                }
            }
            _ => out.extend_from_slice(&d[pkt.start..pkt.end()]),
        }
    }
    out
}
