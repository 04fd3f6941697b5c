//! What data that is not OpenPGP looks like, from its first bytes: the one
//! table behind every "this is not OpenPGP, it looks like X" message
//! (inspect, the message commands, import).

/// What a buffer that is not OpenPGP looks like, from its first bytes.
pub fn looks_like(head: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x1f\x8b", "a gzip file"),
        (b"BZh", "a bzip2 file"),
        (b"\xfd7zXZ\x00", "an xz file"),
        (b"\x28\xb5\x2f\xfd", "a zstd file"),
        (b"PK\x03\x04", "a zip file"),
        (b"7z\xbc\xaf\x27\x1c", "a 7-zip file"),
        (b"%PDF", "a PDF document"),
        (b"\x89PNG", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"\x7fELF", "an ELF executable"),
        (b"SSH PRIVATE KEY", "an SSH key"),
        (b"-----BEGIN OPENSSH", "an SSH key"),
        (b"ssh-", "an SSH public key"),
        (b"-----BEGIN CERTIFICATE", "an X.509 certificate (PEM)"),
        (b"-----BEGIN ", "a PEM file, not OpenPGP armor"),
        (
            b"\x30\x82",
            "DER-encoded ASN.1 (an X.509 certificate or key?)",
        ),
    ];
    for (magic, what) in MAGIC {
        if head.starts_with(magic) {
            return Some(what);
        }
    }
    if head.len() > 262 && &head[257..262] == b"ustar" {
        return Some("a tar archive");
    }
    let sample = &head[..head.len().min(4096)];
    let text = match std::str::from_utf8(sample) {
        Ok(_) => true,
        // A multi-byte character cut at the end of the sample.
        Err(e) => e.valid_up_to() + 4 > sample.len(),
    };
    if text && !sample.contains(&0) {
        return Some("text");
    }
    None
}
