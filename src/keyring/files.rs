//! The keyring's files: private directories, their modes and owners, and
//! atomic writes.

use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

use anyhow::{Context as _, Result};

/// Refuses `path` when its mode has any of the `forbidden` bits, naming
/// the fix (`chmod FIX PATH`).
pub(in crate::keyring) fn check_mode(
    path: &Path,
    forbidden: u32,
    what: &str,
    fix: &str,
) -> Result<()> {
    let mode = fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .permissions()
        .mode();
    if mode & forbidden != 0 {
        return Err(unsafe_mode(path, mode, what, fix));
    }
    Ok(())
}

/// Refuses `path` unless the current user owns it (as gpg does for its
/// home): its owner can change its mode, or swap what is in it, at will.
pub(in crate::keyring) fn check_owner(path: &Path, what: &str) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let owner = fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .uid();
    let me = crate::sys::effective_uid();
    if owner != me {
        return Err(crate::error::unsafe_error(
            format!(
                "refusing to use {what} {}: it belongs to user {owner}, not to you (user {me})",
                path.display()
            ),
            format!(
                "make it yours: chown {me} {}, or choose another home with --home DIR",
                shell_quote(path)
            ),
        ));
    }
    Ok(())
}

pub(in crate::keyring) fn unsafe_mode(
    path: &Path,
    mode: u32,
    what: &str,
    fix: &str,
) -> anyhow::Error {
    let may = if mode & 0o022 != 0 {
        "write to"
    } else {
        "read"
    };
    crate::error::unsafe_error(
        format!(
            "refusing to use {what} {}: other users may {may} it (mode {:04o})",
            path.display(),
            mode & 0o7777
        ),
        format!("make it private: chmod {fix} {}", shell_quote(path)),
    )
}

/// A path as a shell word, for hints the user may paste.
pub fn shell_quote(path: &Path) -> String {
    let s = path.display().to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%,".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    match fs::DirBuilder::new()
        .recursive(false)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            // Parents are ordinary directories; only the last is private.
            if let Some(parent) = dir.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::DirBuilder::new().mode(0o700).create(dir).or_else(|e| {
                if e.kind() == ErrorKind::AlreadyExists {
                    Ok(())
                } else {
                    Err(e)
                }
            })
        }
        Err(e) => Err(e),
    }
}

/// Writes `parts`, one after the other, to `path` by way of a temporary
/// file (mode 0600) in `dir`, synced before and after the rename, so `path`
/// is always either old or new.
pub fn write_atomic(dir: &Path, path: &Path, parts: &[&[u8]]) -> Result<()> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    for data in parts {
        tmp.write_all(data)?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    sync_dir(dir)
}

pub(in crate::keyring) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))
}
