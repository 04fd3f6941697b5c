//! Where products go: standard output, or a file that appears only when it
//! is complete.
//!
//! A file output is written to a temporary file beside it and renamed into
//! place by `finish`; dropped unfinished (an error, a failed integrity
//! check), the temporary file is removed and nothing is left behind.

use std::fs;
use std::io::{self, IsTerminal, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::error::{Error, Failure};

/// Big enough that the crypto, not the system calls, sets the pace.
pub const BUFFER_SIZE: usize = 1 << 20;

/// Whether an error is a closed pipe downstream, which is not a failure of
/// ours (`zpgp export … | head`).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// What may go to a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// Text: armored data, listings.
    Text,
    /// Binary OpenPGP data: refused on a terminal.
    Binary,
    /// Secret key material: refused on a terminal in any form, and written
    /// to files with mode 0600.
    Secret,
}

pub struct Output {
    inner: Sink,
}

enum Sink {
    /// Finished, or given up.
    Done,
    Stdout(io::BufWriter<io::Stdout>),
    /// A device or pipe named by path (`/dev/null`, a FIFO): written in
    /// place, as there is nothing to rename.
    Special(io::BufWriter<fs::File>),
    File {
        tmp: io::BufWriter<Writeback>,
        dest: PathBuf,
        force: bool,
    },
}

impl Output {
    /// Opens `path` (standard output for `None` or `-`).  An existing file
    /// is refused unless `force`.
    pub fn open(path: Option<&Path>, force: bool, content: Content) -> Result<Output> {
        let path = path.filter(|p| p.as_os_str() != "-");
        let Some(path) = path else {
            let stdout = io::stdout();
            if stdout.is_terminal() {
                match content {
                    Content::Text => {}
                    Content::Binary => {
                        return Err(Error::new(
                            Failure::IncompatibleOptions,
                            "refusing to write binary data to the terminal",
                        )
                        .hint("use --armor for text output, or -o FILE to write a file")
                        .into());
                    }
                    Content::Secret => {
                        return Err(Error::new(
                            Failure::IncompatibleOptions,
                            "refusing to write a secret key to the terminal",
                        )
                        .hint("write it to a file with -o FILE")
                        .into());
                    }
                }
            }
            return Ok(Output {
                inner: Sink::Stdout(io::BufWriter::with_capacity(BUFFER_SIZE, stdout)),
            });
        };
        if is_special(path) {
            let file = fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            return Ok(Output {
                inner: Sink::Special(io::BufWriter::with_capacity(BUFFER_SIZE, file)),
            });
        }
        check_writable(path, force)?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".zpgp-")
            .suffix(".part")
            .tempfile_in(dir)
            .with_context(|| format!("cannot create a file in {}", dir.display()))?;
        if content != Content::Secret {
            let mode = 0o666 & !current_umask();
            tmp.as_file()
                .set_permissions(fs::Permissions::from_mode(mode))
                .ok();
        }
        Ok(Output {
            inner: Sink::File {
                tmp: io::BufWriter::with_capacity(BUFFER_SIZE, Writeback::new(tmp)),
                dest: path.to_path_buf(),
                force,
            },
        })
    }

    /// Makes the output final: flushes standard output, or renames the
    /// finished file into place.
    pub fn finish(mut self) -> Result<()> {
        match std::mem::replace(&mut self.inner, Sink::Done) {
            Sink::Done => Ok(()),
            Sink::Stdout(mut w) => w.flush().context("cannot write to standard output"),
            Sink::Special(mut w) => w.flush().context("cannot write the output"),
            Sink::File { tmp, dest, force } => {
                let tmp = tmp
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .with_context(|| format!("cannot write {}", dest.display()))?
                    .file;
                tmp.as_file()
                    .sync_all()
                    .with_context(|| format!("cannot write {}", dest.display()))?;
                let persisted = if force {
                    tmp.persist(&dest)
                } else {
                    tmp.persist_noclobber(&dest)
                };
                persisted.map_err(|e| {
                    if e.error.kind() == io::ErrorKind::AlreadyExists {
                        output_exists(&dest)
                    } else {
                        anyhow::Error::from(e.error)
                            .context(format!("cannot write {}", dest.display()))
                    }
                })?;
                Ok(())
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            Sink::Stdout(w) => w.write(buf),
            Sink::Special(w) => w.write(buf),
            Sink::Done => Err(io::Error::other("output already finished")),
            Sink::File { tmp, .. } => tmp.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.inner {
            Sink::Stdout(w) => w.write_all(buf),
            Sink::Special(w) => w.write_all(buf),
            Sink::Done => Err(io::Error::other("output already finished")),
            Sink::File { tmp, .. } => tmp.write_all(buf),
        }
    }

    /// Only `finish` pushes out the last buffered bytes: an operation
    /// that flushes before its final verdict must not release them.
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Sink::Stdout(_) | Sink::Special(_) | Sink::File { .. } => Ok(()),
            Sink::Done => Err(io::Error::other("output already finished")),
        }
    }
}

/// A temporary output file that asks the kernel to start writing its
/// pages to disk every few megabytes, so that the `fsync` before the
/// rename has little left to wait for: on a large file that wait was a
/// fifth of the time (256 MiB: 0.06 of 0.22 s).
pub(crate) struct Writeback {
    file: tempfile::NamedTempFile,
    written: u64,
    started: u64,
}

const WRITEBACK_STEP: u64 = 8 << 20;

impl Writeback {
    fn new(file: tempfile::NamedTempFile) -> Self {
        Writeback {
            file,
            written: 0,
            started: 0,
        }
    }
}

impl Write for Writeback {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.started >= WRITEBACK_STEP {
            #[cfg(target_os = "linux")]
            {
                use std::os::fd::AsRawFd;
                // Only a hint: it starts the writing and does not wait;
                // the fsync in `finish` is what makes the file durable.
                // SAFETY: a plain system call on an open descriptor.
                unsafe {
                    libc::sync_file_range(
                        self.file.as_file().as_raw_fd(),
                        self.started as libc::off64_t,
                        (self.written - self.started) as libc::off64_t,
                        libc::SYNC_FILE_RANGE_WRITE,
                    );
                }
            }
            self.started = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// A path that exists and is not a regular file or a directory.
fn is_special(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

impl Drop for Output {
    /// An output dropped unfinished is a failure (a bad signature, a
    /// damaged message): what is still buffered is thrown away rather than
    /// flushed, so a message that fits the buffer shows nothing at all.
    /// A temporary file is removed by its own drop.
    fn drop(&mut self) {
        match std::mem::replace(&mut self.inner, Sink::Done) {
            Sink::Stdout(w) => drop(w.into_parts()),
            Sink::Special(w) => drop(w.into_parts()),
            _ => {}
        }
    }
}

/// Fails early, before any work, when `path` may not be written.
pub fn check_writable(path: &Path, force: bool) -> Result<()> {
    if is_special(path) {
        return Ok(());
    }
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => Err(Error::new(
            Failure::OutputExists,
            format!("{} is a directory", path.display()),
        )
        .into()),
        Ok(_) if !force => Err(output_exists(path)),
        _ => Ok(()),
    }
}

fn output_exists(path: &Path) -> anyhow::Error {
    Error::new(
        Failure::OutputExists,
        format!("{} exists already", path.display()),
    )
    .hint("use --force to overwrite it, or choose another name with -o")
    .into()
}

fn current_umask() -> u32 {
    // SAFETY: umask cannot fail; it is set back at once.  zpgp has no
    // other thread creating files at this point.
    unsafe {
        let old = libc::umask(0o077);
        libc::umask(old);
        old as u32
    }
}
