//! The primitives of the fast paths, over libcrypto.
//!
//! Only AES (128/192/256) with CFB (SEIPDv1) and OCB or GCM (SEIPDv2):
//! what every current implementation writes.  Anything else takes
//! sequoia's own path.

use std::io;

use openssl::cipher::{Cipher, CipherRef};
use openssl::cipher_ctx::CipherCtx;
use openssl::sha::Sha1;
use sequoia_openpgp as openpgp;

use openpgp::types::{AEADAlgorithm, SymmetricAlgorithm};

/// AES block size, also the size of every AEAD tag used here.
pub(super) const BLOCK: usize = 16;
pub(super) const TAG: usize = 16;

fn ssl(e: openssl::error::ErrorStack) -> io::Error {
    io::Error::other(format!("libcrypto: {e}"))
}

/// The integrity failure, as sequoia reports it, so the error mapping
/// names it the same way for both paths.
pub(super) fn manipulated() -> io::Error {
    io::Error::other(openpgp::Error::ManipulatedMessage)
}

pub(super) fn is_aes(algo: SymmetricAlgorithm) -> bool {
    matches!(
        algo,
        SymmetricAlgorithm::AES128 | SymmetricAlgorithm::AES192 | SymmetricAlgorithm::AES256
    )
}

fn cfb(algo: SymmetricAlgorithm) -> Option<&'static CipherRef> {
    Some(match algo {
        SymmetricAlgorithm::AES128 => Cipher::aes_128_cfb128(),
        SymmetricAlgorithm::AES192 => Cipher::aes_192_cfb128(),
        SymmetricAlgorithm::AES256 => Cipher::aes_256_cfb128(),
        _ => return None,
    })
}

fn ecb(algo: SymmetricAlgorithm) -> Option<&'static CipherRef> {
    Some(match algo {
        SymmetricAlgorithm::AES128 => Cipher::aes_128_ecb(),
        SymmetricAlgorithm::AES192 => Cipher::aes_192_ecb(),
        SymmetricAlgorithm::AES256 => Cipher::aes_256_ecb(),
        _ => return None,
    })
}

fn aead_cipher(algo: SymmetricAlgorithm, aead: AEADAlgorithm) -> Option<&'static CipherRef> {
    Some(match (algo, aead) {
        (SymmetricAlgorithm::AES128, AEADAlgorithm::OCB) => Cipher::aes_128_ocb(),
        (SymmetricAlgorithm::AES192, AEADAlgorithm::OCB) => Cipher::aes_192_ocb(),
        (SymmetricAlgorithm::AES256, AEADAlgorithm::OCB) => Cipher::aes_256_ocb(),
        (SymmetricAlgorithm::AES128, AEADAlgorithm::GCM) => Cipher::aes_128_gcm(),
        (SymmetricAlgorithm::AES192, AEADAlgorithm::GCM) => Cipher::aes_192_gcm(),
        (SymmetricAlgorithm::AES256, AEADAlgorithm::GCM) => Cipher::aes_256_gcm(),
        _ => return None,
    })
}

pub(super) fn aead_supported(algo: SymmetricAlgorithm, aead: AEADAlgorithm) -> bool {
    aead_cipher(algo, aead).is_some()
}

/// CFB encryption with a zero IV, as SEIPDv1 uses it.  Serial by nature:
/// each block's keystream is the encryption of the previous ciphertext.
pub(super) struct CfbEncryptor {
    ctx: CipherCtx,
}

impl CfbEncryptor {
    pub fn new(algo: SymmetricAlgorithm, key: &[u8]) -> io::Result<Self> {
        let cipher = cfb(algo).ok_or_else(|| io::Error::other("not an AES cipher"))?;
        let mut ctx = CipherCtx::new().map_err(ssl)?;
        ctx.encrypt_init(Some(cipher), Some(key), Some(&[0u8; BLOCK]))
            .map_err(ssl)?;
        Ok(CfbEncryptor { ctx })
    }

    /// Encrypts `input` into `output` (same length).
    pub fn encrypt(&mut self, input: &[u8], output: &mut [u8]) -> io::Result<()> {
        let n = self
            .ctx
            .cipher_update(input, Some(&mut output[..input.len()]))
            .map_err(ssl)?;
        debug_assert_eq!(n, input.len());
        Ok(())
    }
}

/// CFB decryption computed in parallel: plaintext block i is the
/// encryption of ciphertext block i-1 XOR ciphertext block i, so a whole
/// buffer is one ECB pass (which AES-NI pipelines) and one XOR, instead
/// of the serial chain libcrypto's CFB decryption runs.
pub(super) struct CfbDecryptor {
    ctx: CipherCtx,
}

impl CfbDecryptor {
    pub fn new(algo: SymmetricAlgorithm, key: &[u8]) -> io::Result<Self> {
        let cipher = ecb(algo).ok_or_else(|| io::Error::other("not an AES cipher"))?;
        let mut ctx = CipherCtx::new().map_err(ssl)?;
        ctx.encrypt_init(Some(cipher), Some(key), None)
            .map_err(ssl)?;
        ctx.set_padding(false);
        Ok(CfbDecryptor { ctx })
    }

    /// `shifted` is the previous ciphertext block (the IV at the start)
    /// followed by `n` bytes of ciphertext; `n` is a multiple of the block
    /// size except at the end of the stream.  Writes `n` bytes of
    /// plaintext to `out`, which needs room for `n` rounded up plus one
    /// block.
    pub fn decrypt(&mut self, shifted: &[u8], n: usize, out: &mut [u8]) -> io::Result<()> {
        debug_assert_eq!(shifted.len(), n + BLOCK);
        let whole = n.div_ceil(BLOCK) * BLOCK;
        let done = self
            .ctx
            .cipher_update(&shifted[..whole], Some(&mut out[..whole + BLOCK]))
            .map_err(ssl)?;
        debug_assert_eq!(done, whole);
        xor(&mut out[..n], &shifted[BLOCK..]);
        Ok(())
    }
}

fn xor(out: &mut [u8], with: &[u8]) {
    for (o, w) in out.iter_mut().zip(with) {
        *o ^= *w;
    }
}

/// SHA-1 over a stream whose last 20 bytes are held back: the SEIPDv1
/// MDC covers everything up to and including the MDC packet's own
/// header, but not the digest after it.
///
/// Plain SHA-1, not sequoia's collision-detecting one (which runs at a
/// third of the speed): the MDC is an integrity check keyed by the
/// session key, not a signature, so a collision an attacker could craft
/// without the key buys nothing; GnuPG computes it the same way.
pub(super) struct MdcHasher {
    sha1: Sha1,
    held: Vec<u8>,
}

pub(super) const MDC_DIGEST: usize = 20;

impl MdcHasher {
    pub fn new() -> Self {
        MdcHasher {
            sha1: Sha1::new(),
            held: Vec::with_capacity(2 * MDC_DIGEST),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        if data.len() >= MDC_DIGEST {
            self.sha1.update(&self.held);
            self.held.clear();
            let (body, tail) = data.split_at(data.len() - MDC_DIGEST);
            self.sha1.update(body);
            self.held.extend_from_slice(tail);
        } else {
            self.held.extend_from_slice(data);
            if self.held.len() > MDC_DIGEST {
                let excess = self.held.len() - MDC_DIGEST;
                self.sha1.update(&self.held[..excess]);
                self.held.drain(..excess);
            }
        }
    }

    /// The digest of everything but the last 20 bytes, and those bytes
    /// (fewer if the stream was shorter).
    pub fn finish(self) -> ([u8; MDC_DIGEST], Vec<u8>) {
        (self.sha1.finish(), self.held)
    }
}

/// One AEAD context for a whole SEIPDv2 stream: the key is set once, and
/// each chunk only sets its nonce (sequoia builds a new context for each
/// 4 KiB chunk).
pub(super) struct Aead {
    ctx: CipherCtx,
    encrypt: bool,
    /// The nonce: the derived IV, then the chunk index (big endian).
    nonce: Vec<u8>,
    /// Associated data: the packet header, then the length for the final
    /// tag.
    ad: [u8; 13],
}

impl Aead {
    pub fn new(
        algo: SymmetricAlgorithm,
        aead: AEADAlgorithm,
        key: &[u8],
        iv: &[u8],
        ad: &[u8],
        encrypt: bool,
    ) -> io::Result<Self> {
        let cipher =
            aead_cipher(algo, aead).ok_or_else(|| io::Error::other("unsupported AEAD mode"))?;
        let nonce_len = iv.len() + 8;
        let mut ctx = CipherCtx::new().map_err(ssl)?;
        if encrypt {
            ctx.encrypt_init(Some(cipher), None, None).map_err(ssl)?;
        } else {
            ctx.decrypt_init(Some(cipher), None, None).map_err(ssl)?;
        }
        ctx.set_iv_length(nonce_len).map_err(ssl)?;
        if aead == AEADAlgorithm::OCB {
            ctx.set_tag_length(TAG).map_err(ssl)?;
        }
        let mut nonce = iv.to_vec();
        nonce.extend_from_slice(&[0; 8]);
        if encrypt {
            ctx.encrypt_init(None, Some(key), Some(&nonce))
                .map_err(ssl)?;
        } else {
            ctx.decrypt_init(None, Some(key), Some(&nonce))
                .map_err(ssl)?;
        }
        let mut header = [0u8; 13];
        header[..5].copy_from_slice(ad);
        Ok(Aead {
            ctx,
            encrypt,
            nonce,
            ad: header,
        })
    }

    fn start(&mut self, index: u64, ad: usize) -> io::Result<()> {
        let at = self.nonce.len() - 8;
        self.nonce[at..].copy_from_slice(&index.to_be_bytes());
        if self.encrypt {
            self.ctx.encrypt_init(None, None, Some(&self.nonce))
        } else {
            self.ctx.decrypt_init(None, None, Some(&self.nonce))
        }
        .map_err(ssl)?;
        self.ctx.cipher_update(&self.ad[..ad], None).map_err(ssl)?;
        Ok(())
    }

    /// Encrypts chunk `index`: `out` gets the ciphertext and the tag
    /// (`input.len() + TAG` bytes).
    pub fn seal(&mut self, index: u64, input: &[u8], out: &mut [u8]) -> io::Result<()> {
        self.start(index, 5)?;
        let n = input.len();
        let done = self
            .ctx
            .cipher_update(input, Some(&mut out[..n + TAG]))
            .map_err(ssl)?;
        let rest = self.ctx.cipher_final(&mut out[done..]).map_err(ssl)?;
        debug_assert_eq!(done + rest, n);
        self.ctx.tag(&mut out[n..n + TAG]).map_err(ssl)
    }

    /// Decrypts chunk `index` (ciphertext then tag) into `out`, which
    /// needs `TAG` bytes of room past the plaintext.  Fails if the tag
    /// does not match.
    pub fn open(&mut self, index: u64, input: &[u8], out: &mut [u8]) -> io::Result<usize> {
        if input.len() <= TAG {
            return Err(manipulated());
        }
        self.start(index, 5)?;
        let (ct, tag) = input.split_at(input.len() - TAG);
        self.ctx.set_tag(tag).map_err(ssl)?;
        let done = self
            .ctx
            .cipher_update(ct, Some(&mut out[..ct.len() + TAG]))
            .map_err(ssl)?;
        let rest = self
            .ctx
            .cipher_final(&mut out[done..])
            .map_err(|_| manipulated())?;
        debug_assert_eq!(done + rest, ct.len());
        Ok(ct.len())
    }

    /// The final tag, over no data, with the total plaintext length in
    /// the associated data.
    pub fn final_tag(&mut self, index: u64, total: u64) -> io::Result<[u8; TAG]> {
        debug_assert!(self.encrypt);
        self.ad[5..].copy_from_slice(&total.to_be_bytes());
        self.start(index, 13)?;
        let mut scratch = [0u8; BLOCK];
        self.ctx.cipher_final(&mut scratch).map_err(ssl)?;
        let mut tag = [0u8; TAG];
        self.ctx.tag(&mut tag).map_err(ssl)?;
        Ok(tag)
    }

    pub fn check_final_tag(&mut self, index: u64, total: u64, tag: &[u8]) -> io::Result<()> {
        debug_assert!(!self.encrypt);
        self.ad[5..].copy_from_slice(&total.to_be_bytes());
        self.start(index, 13)?;
        self.ctx.set_tag(tag).map_err(ssl)?;
        let mut scratch = [0u8; BLOCK];
        self.ctx
            .cipher_final(&mut scratch)
            .map_err(|_| manipulated())?;
        Ok(())
    }

    /// The context for a SEIPDv2 packet: its message key and IV derived by
    /// sequoia's own key schedule (HKDF-SHA256 over the session key, salt
    /// and header), so both paths agree by construction.
    pub fn for_seipdv2(
        session_key: &openpgp::crypto::SessionKey,
        algo: SymmetricAlgorithm,
        aead: AEADAlgorithm,
        chunk_size: usize,
        salt: &[u8],
        encrypt: bool,
    ) -> io::Result<Aead> {
        use openpgp::crypto::aead::{SEIPv2Schedule, Schedule};
        let schedule = SEIPv2Schedule::new(session_key, algo, aead, chunk_size, salt)
            .map_err(io::Error::other)?;
        let mut ctx = None;
        Schedule::<()>::chunk(&schedule, 0, &mut |key, nonce, ad| {
            ctx = Some(Aead::new(
                algo,
                aead,
                key,
                &nonce[..nonce.len() - 8],
                ad,
                encrypt,
            ));
            Ok(())
        })
        .map_err(io::Error::other)?;
        ctx.unwrap_or_else(|| Err(io::Error::other("no key schedule")))
    }
}
