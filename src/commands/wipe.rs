//! `encrypt --wipe` (PGP 2's `-w`): the plaintext file is overwritten and
//! removed once its encrypted copy is safely on disk.
//!
//! Everything that could make the wipe lose data or miss its target is
//! refused before any work: standard input (nothing to wipe), a symbolic
//! link (zpgp would wipe what it points to, which the user may not mean),
//! a file with other hard links (its contents stay reachable through
//! them), anything but a regular file, and an output that cannot be
//! synced.  The file is held open from the check to the removal and read
//! through that descriptor, so the file encrypted is the file wiped even
//! if its name is swapped meanwhile.

use std::fs::{self, File};
use std::io::Read;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::display::Safe;
use crate::error::{Error, Failure};

/// A plaintext file to wipe once its encryption is durable.
pub struct Victim {
    path: PathBuf,
    file: File,
    /// What the file was when encryption began; any change meanwhile means
    /// the ciphertext may not hold what the file holds.
    before: Stamp,
}

#[derive(PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    nlink: u64,
}

impl Stamp {
    fn of(m: &fs::Metadata) -> Stamp {
        Stamp {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            nlink: m.nlink(),
        }
    }
}

fn refuse(message: String) -> anyhow::Error {
    Error::new(Failure::IncompatibleOptions, message)
        .hint(
            "nothing was encrypted or wiped; encrypt without --wipe, and remove the file yourself",
        )
        .into()
}

/// Checks that `path` may be wiped and opens it for the wipe.
pub fn open(path: Option<&Path>) -> Result<Victim> {
    let Some(path) = path.filter(|p| p.as_os_str() != "-") else {
        return Err(refuse(
            "--wipe needs a file to wipe: standard input cannot be wiped".into(),
        ));
    };
    let shown = || Safe(&path.display().to_string()).to_string();
    let meta = fs::symlink_metadata(path).map_err(|e| crate::error::unreadable(path, e))?;
    let kind = meta.file_type();
    if kind.is_symlink() {
        return Err(refuse(format!(
            "--wipe refuses {}: it is a symbolic link; name the file itself",
            shown()
        )));
    }
    if kind.is_dir() {
        return Err(refuse(format!(
            "--wipe refuses {}: it is a directory",
            shown()
        )));
    }
    if !kind.is_file() {
        return Err(refuse(format!(
            "--wipe refuses {}: only regular files are wiped, and this is a device, FIFO or socket",
            shown()
        )));
    }
    if meta.nlink() > 1 {
        return Err(refuse(format!(
            "--wipe refuses {}: it has {} other name{} (hard links), through which its \
             contents would stay readable",
            shown(),
            meta.nlink() - 1,
            if meta.nlink() == 2 { "" } else { "s" }
        )));
    }
    // O_NOFOLLOW and a second look through the descriptor: a name swapped
    // since the check above is refused, not followed.
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NOCTTY)
        .open(path)
        .with_context(|| format!("--wipe cannot open {} for writing", shown()))?;
    let now = file
        .metadata()
        .with_context(|| format!("cannot read {}", shown()))?;
    if !now.is_file() || now.dev() != meta.dev() || now.ino() != meta.ino() || now.nlink() != 1 {
        return Err(refuse(format!(
            "--wipe refuses {}: it changed while it was checked",
            shown()
        )));
    }
    Ok(Victim {
        path: path.to_path_buf(),
        before: Stamp::of(&now),
        file,
    })
}

impl Victim {
    /// Checks that the encrypted output can be made durable, and is not
    /// this very file: a file that is synced and renamed into place, or
    /// standard output when it is a regular file.  A pipe, terminal, FIFO
    /// or device (`/dev/null`) cannot keep the only copy of the data.
    pub fn check_output(&self, output: Option<&Path>) -> Result<()> {
        let stdout = output.is_none_or(|p| p.as_os_str() == "-" || p.as_os_str() == "/dev/stdout");
        let existing = if stdout {
            let Some(meta) = stdout_metadata().filter(|m| m.is_file()) else {
                return Err(refuse(
                    "--wipe needs the encrypted output on disk: standard output is a pipe or \
                     a terminal, which cannot be synced (write it with -o FILE, or redirect \
                     standard output to a file)"
                        .into(),
                ));
            };
            Some(meta)
        } else {
            let path = output.expect("not standard output");
            if !crate::output::is_file_output(path) {
                return Err(refuse(format!(
                    "--wipe needs the encrypted output in a regular file, and {} is not one",
                    Safe(&path.display().to_string())
                )));
            }
            fs::symlink_metadata(path).ok()
        };
        if existing.is_some_and(|m| m.dev() == self.before.dev && m.ino() == self.before.ino) {
            return Err(refuse(format!(
                "--wipe refuses to write the encrypted output over {}, the file it wipes",
                Safe(&self.path.display().to_string())
            )));
        }
        Ok(())
    }
}

/// Standard output's metadata, through its descriptor.
fn stdout_metadata() -> Option<fs::Metadata> {
    use std::os::fd::AsFd;
    let fd = std::io::stdout().as_fd().try_clone_to_owned().ok()?;
    File::from(fd).metadata().ok()
}

impl Victim {
    /// The file's contents, read through the descriptor that will wipe it.
    pub fn reader(&self) -> Result<(Box<dyn Read + Send + Sync>, u64)> {
        let file = self
            .file
            .try_clone()
            .with_context(|| format!("cannot read {}", self.path.display()))?;
        Ok((Box::new(file), self.before.size))
    }

    /// Overwrites the file with random bytes, syncs it, removes its name
    /// and syncs its directory.  Call only once the encrypted output is
    /// durable.
    pub fn wipe(self) -> Result<()> {
        let shown = Safe(&self.path.display().to_string()).to_string();
        let now = self
            .file
            .metadata()
            .with_context(|| format!("cannot read {shown}"))?;
        if Stamp::of(&now) != self.before {
            return Err(Error::new(
                Failure::IncompatibleOptions,
                format!(
                    "{shown} changed while it was encrypted (written to, or given another \
                     name): it was not wiped"
                ),
            )
            .into());
        }
        // Random rather than zeros: a file system that compresses or
        // deduplicates could store zeros without writing over the old
        // blocks at all.
        let mut block = vec![0u8; 1 << 20];
        let mut offset = 0u64;
        while offset < now.size() {
            let n = block.len().min((now.size() - offset) as usize);
            sequoia_openpgp::crypto::random(&mut block[..n])
                .context("cannot get random bytes to wipe with")?;
            self.file
                .write_all_at(&block[..n], offset)
                .with_context(|| format!("cannot overwrite {shown}"))?;
            offset += n as u64;
        }
        self.file
            .sync_all()
            .with_context(|| format!("cannot sync {shown} after overwriting it"))?;
        // The name is removed only if it still names the file overwritten.
        let named = fs::symlink_metadata(&self.path)
            .is_ok_and(|m| m.dev() == now.dev() && m.ino() == now.ino());
        if !named {
            return Err(Error::new(
                Failure::IncompatibleOptions,
                format!(
                    "{shown} was overwritten, but its name now leads to another file, which was \
                     left alone"
                ),
            )
            .into());
        }
        fs::remove_file(&self.path).with_context(|| format!("cannot remove {shown}"))?;
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(dir)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("cannot sync the directory of {shown}"))
    }
}
