//! Where products go: standard output, or a file that appears only when it
//! is complete.
//!
//! A file output is written to an unnamed file in the target's directory
//! (Linux `O_TMPFILE`) and given its name by `finish`, once it is whole and
//! synced.  An output dropped unfinished (an error, a failed integrity
//! check), and a process killed by any signal, SIGKILL included, leave
//! nothing behind: the kernel frees a file that never got a name.  Where
//! the file system has no unnamed files, the temporary file is a hidden
//! `.zpgp-….part` beside the target, removed on drop and when SIGINT,
//! SIGTERM, SIGHUP or SIGQUIT ends the process (see [`sys::RemoveOnSignal`]).
//!
//! Whatever exists at the path is left alone unless `--force`: a regular
//! file, a symbolic link (dangling or not), a FIFO or a device alike.
//! With `--force` a regular file or a symbolic link is replaced by rename
//! (the link itself, never its target), and a FIFO or device is written in
//! place.  `/dev/null` is always fine.  Secret keys go only to regular
//! files (or `/dev/null`), never to a FIFO, a device or a terminal.

use std::fs::{self, File};
use std::io::{self, IsTerminal, Write};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::error::{Error, Failure};
use crate::ops::buffers::IO_BUFFER_SIZE;
use crate::sys;

/// Whether an error is a closed pipe downstream, which is not a failure of
/// ours (`zpgp export … | head`).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// What is written, which decides where it may go and the mode of a file
/// holding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// Text: armored data, listings.  Files 0666 less the umask.
    Text,
    /// Binary OpenPGP data: refused on a terminal.  Files 0666 less the
    /// umask.
    Binary,
    /// Decrypted or verified content: shown on a terminal like text, but
    /// written to new files with mode 0600, since a message's plaintext was
    /// meant for its recipient only (a file it replaces keeps its mode).
    Plaintext,
    /// Secret key material: refused on a terminal in any form, never
    /// written to a FIFO or device, and written to files with mode 0600.
    Secret,
}

impl Content {
    /// The mode a new file is created with; the kernel takes the umask
    /// off, so zpgp never needs to read (or briefly change) it.
    fn file_mode(self) -> u32 {
        match self {
            Content::Text | Content::Binary => 0o666,
            Content::Plaintext | Content::Secret => 0o600,
        }
    }
}

pub struct Output {
    inner: Sink,
}

enum Sink {
    /// Finished, or given up.
    Done,
    Stdout(io::BufWriter<io::Stdout>),
    /// `/dev/null`, or with `--force` a FIFO or device: written in place,
    /// as there is nothing to rename.
    Special(io::BufWriter<File>),
    File {
        tmp: io::BufWriter<Writeback>,
        pending: Pending,
    },
}

/// Names that mean standard output.  `/dev/stdout` is a symbolic link
/// (to `/proc/self/fd/1`), which would otherwise count as existing.
fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-" || path.as_os_str() == "/dev/stdout"
}

impl Output {
    /// Opens `path` (standard output for `None`, `-` or `/dev/stdout`).
    /// Anything that exists at `path` is refused unless `force`.
    pub fn open(path: Option<&Path>, force: bool, content: Content) -> Result<Output> {
        let Some(path) = path.filter(|p| !is_stdout(p)) else {
            return open_stdout(content);
        };
        match plan(path, force, content)? {
            Plan::InPlace { follow } => open_in_place(path, follow, force, content),
            Plan::Create => {
                let (file, pending) = create_temp(path, force, content)?;
                Ok(Output {
                    inner: Sink::File {
                        tmp: io::BufWriter::with_capacity(IO_BUFFER_SIZE, Writeback::new(file)),
                        pending,
                    },
                })
            }
        }
    }

    /// Makes the output final: flushes standard output, or gives the
    /// finished file its name.
    pub fn finish(mut self) -> Result<()> {
        match std::mem::replace(&mut self.inner, Sink::Done) {
            Sink::Done => Ok(()),
            Sink::Stdout(mut w) => w.flush().context("cannot write to standard output"),
            Sink::Special(mut w) => w.flush().context("cannot write the output"),
            Sink::File { tmp, pending } => {
                let file = tmp
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .with_context(|| format!("cannot write {}", pending.dest.display()))?
                    .file;
                pending.publish(file)
            }
        }
    }
}

impl Output {
    /// Makes the output final and durable, for when the data's only other
    /// copy is about to go (`encrypt --wipe`): as [`Output::finish`], and
    /// then the directory that holds the new name is synced too, so that
    /// a crash cannot lose the file.  Standard output is synced when it
    /// is a regular file; a pipe, terminal or device cannot be, and is an
    /// error.
    pub fn finish_durable(mut self) -> Result<()> {
        match std::mem::replace(&mut self.inner, Sink::Done) {
            Sink::File { tmp, mut pending } => {
                pending.sync_dir = true;
                self.inner = Sink::File { tmp, pending };
                self.finish()
            }
            Sink::Stdout(mut w) => {
                w.flush().context("cannot write to standard output")?;
                let file = File::from(
                    io::stdout()
                        .as_fd()
                        .try_clone_to_owned()
                        .context("cannot sync standard output")?,
                );
                if !file.metadata().is_ok_and(|m| m.is_file()) {
                    anyhow::bail!("standard output is not a regular file, so it cannot be synced");
                }
                file.sync_all().context("cannot sync standard output")
            }
            Sink::Special(mut w) => {
                w.flush().context("cannot write the output")?;
                anyhow::bail!("the output is not a regular file, so it cannot be synced")
            }
            Sink::Done => Ok(()),
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

impl Drop for Output {
    /// An output dropped unfinished is a failure (a bad signature, a
    /// damaged message): what is still buffered is thrown away rather than
    /// flushed, so a message that fits the buffer shows nothing at all.
    /// A temporary file goes with its `Pending`.
    fn drop(&mut self) {
        match std::mem::replace(&mut self.inner, Sink::Done) {
            Sink::Stdout(w) => drop(w.into_parts()),
            Sink::Special(w) => drop(w.into_parts()),
            Sink::File { tmp, pending } => {
                drop(tmp.into_parts());
                drop(pending);
            }
            Sink::Done => {}
        }
    }
}

fn open_stdout(content: Content) -> Result<Output> {
    let stdout = io::stdout();
    if stdout.is_terminal() {
        match content {
            Content::Text | Content::Plaintext => {}
            Content::Binary => return Err(binary_to_terminal("the terminal")),
            Content::Secret => return Err(secret_to_terminal()),
        }
    }
    Ok(Output {
        inner: Sink::Stdout(io::BufWriter::with_capacity(IO_BUFFER_SIZE, stdout)),
    })
}

fn binary_to_terminal(what: &str) -> anyhow::Error {
    Error::new(
        Failure::IncompatibleOptions,
        format!("refusing to write binary data to {what}"),
    )
    .hint("use --armor for text output, or -o FILE to write a file")
    .into()
}

fn secret_to_terminal() -> anyhow::Error {
    Error::new(
        Failure::IncompatibleOptions,
        "refusing to write a secret key to the terminal",
    )
    .hint("write it to a file with -o FILE")
    .into()
}

/// What exists at an output path.
enum Existing {
    Nothing,
    /// A directory, or a symbolic link to one.
    Directory,
    /// A regular file.
    File,
    /// A symbolic link to a regular file, or one that leads nowhere.
    Link,
    /// A FIFO, device or socket (`meta`), or a symbolic link to one.
    Special {
        meta: fs::Metadata,
        link: bool,
    },
}

fn existing(path: &Path) -> Existing {
    // An error other than "not found" (a path through a file, a directory
    // we may not search) is left to the creation to report.
    let Ok(meta) = fs::symlink_metadata(path) else {
        return Existing::Nothing;
    };
    let kind = meta.file_type();
    if kind.is_dir() {
        Existing::Directory
    } else if kind.is_file() {
        Existing::File
    } else if kind.is_symlink() {
        match fs::metadata(path) {
            Ok(target) if target.is_dir() => Existing::Directory,
            Ok(target) if !target.is_file() => Existing::Special {
                meta: target,
                link: true,
            },
            _ => Existing::Link,
        }
    } else {
        Existing::Special { meta, link: false }
    }
}

/// The kind of a file that is not regular, for messages.
fn kind_name(meta: &fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_dir() {
        "a directory"
    } else {
        "a regular file"
    }
}

fn special_kind(meta: &fs::Metadata, link: bool) -> String {
    if link {
        format!("a symbolic link to {}", kind_name(meta))
    } else {
        kind_name(meta).to_string()
    }
}

/// Whether `meta` is the device that discards everything written to it.
fn is_null_device(meta: &fs::Metadata) -> bool {
    meta.file_type().is_char_device()
        && fs::metadata("/dev/null")
            .is_ok_and(|null| null.file_type().is_char_device() && null.rdev() == meta.rdev())
}

enum Plan {
    /// A new file, written aside and named when complete; with `--force`
    /// it replaces what is there by rename.
    Create,
    /// `/dev/null`, or a FIFO or device that `--force` allows to be
    /// written in place; `follow`: the path is a symbolic link to it.
    InPlace { follow: bool },
}

/// Decides how `path` is written, or why it is not.
fn plan(path: &Path, force: bool, content: Content) -> Result<Plan> {
    match existing(path) {
        Existing::Nothing => Ok(Plan::Create),
        Existing::Directory => Err(Error::new(
            Failure::OutputExists,
            format!("{} is a directory", path.display()),
        )
        .hint("name a file inside it with -o")
        .into()),
        Existing::File | Existing::Link if force => Ok(Plan::Create),
        Existing::File => Err(output_exists(path, None)),
        Existing::Link => Err(output_exists(path, Some("a symbolic link"))),
        Existing::Special { meta, link } => {
            if is_null_device(&meta) {
                return Ok(Plan::InPlace { follow: link });
            }
            let kind = special_kind(&meta, link);
            if content == Content::Secret {
                return Err(secret_to_special(path, &kind));
            }
            if !force {
                return Err(output_exists(path, Some(&kind)));
            }
            Ok(Plan::InPlace { follow: link })
        }
    }
}

fn secret_to_special(path: &Path, kind: &str) -> anyhow::Error {
    Error::new(
        Failure::IncompatibleOptions,
        format!(
            "refusing to write a secret key to {}: it is {kind}, not a regular file",
            path.display()
        ),
    )
    .hint("write it to a new regular file with -o FILE")
    .into()
}

/// Opens `/dev/null`, or a FIFO or device the user named with `--force`.
///
/// The path was looked at before; what is opened may be something else by
/// now (a FIFO swapped for a symbolic link to someone's file), so the
/// descriptor is checked again, and a regular file is never written in
/// place.  Without O_TRUNC and O_CREAT, opening one changes nothing.
fn open_in_place(path: &Path, follow: bool, force: bool, content: Content) -> Result<Output> {
    let mut flags = libc::O_NOCTTY;
    if !follow {
        flags |= libc::O_NOFOLLOW;
    }
    let file = fs::OpenOptions::new()
        .write(true)
        .custom_flags(flags)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let meta = file
        .metadata()
        .with_context(|| format!("cannot open {}", path.display()))?;
    if !is_null_device(&meta) {
        if meta.is_file() || meta.is_dir() {
            return Err(Error::new(
                Failure::OutputExists,
                format!(
                    "{} changed while it was opened: it is now {}, which is not written in place",
                    path.display(),
                    kind_name(&meta)
                ),
            )
            .hint("run the command again (with --force to replace it)")
            .into());
        }
        let kind = special_kind(&meta, follow);
        if content == Content::Secret {
            return Err(secret_to_special(path, &kind));
        }
        if !force {
            return Err(output_exists(path, Some(&kind)));
        }
        if content == Content::Binary && file.is_terminal() {
            return Err(binary_to_terminal(&format!(
                "the terminal {}",
                path.display()
            )));
        }
    }
    Ok(Output {
        inner: Sink::Special(io::BufWriter::with_capacity(IO_BUFFER_SIZE, file)),
    })
}

/// Set in the environment, output files are named temporary files even
/// where unnamed ones are possible: how the tests reach the fallback on
/// machines whose file systems all have `O_TMPFILE`.
const NAMED_TEMP_ENV: &str = "ZPGP_TEST_NAMED_TEMP";

/// Where an output file goes when it is complete, and how.
struct Pending {
    /// The directory it goes into, held open so that the temporary file
    /// and the final name are in the same place even if the path changes.
    dir: File,
    /// Its path as given, for messages and for the signal handler.
    dir_path: PathBuf,
    dest: PathBuf,
    /// The last component of `dest`.
    name: PathBuf,
    /// The temporary file's name, if it has one.
    named: Option<Named>,
    force: bool,
    content: Content,
    /// Sync the directory once the name is given (see
    /// [`Output::finish_durable`]).
    sync_dir: bool,
}

struct Named {
    name: PathBuf,
    _remove_on_signal: sys::RemoveOnSignal,
}

/// Creates the file that `path` will be: an unnamed file in its directory,
/// or where that is not possible a hidden named one.
fn create_temp(path: &Path, force: bool, content: Content) -> Result<(File, Pending)> {
    let dir_path = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let cannot = || format!("cannot create a file in {}", dir_path.display());
    // `out/` means a directory even where none exists: never the file `out`.
    let name = path
        .file_name()
        .filter(|_| !path.as_os_str().as_bytes().ends_with(b"/"))
        .ok_or_else(|| anyhow::anyhow!("{} does not name a file", path.display()))?;
    let dir = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY)
        .open(dir_path)
        .with_context(cannot)?;
    let mode = content.file_mode();
    let mut pending = Pending {
        dir,
        dir_path: dir_path.to_path_buf(),
        dest: path.to_path_buf(),
        name: PathBuf::from(name),
        named: None,
        force,
        content,
        sync_dir: false,
    };
    let force_named = std::env::var_os(NAMED_TEMP_ENV).is_some_and(|v| !v.is_empty());
    let unnamed = if !force_named && can_link_unnamed() {
        sys::create_unnamed(pending.dir.as_fd(), mode).with_context(cannot)?
    } else {
        None
    };
    let file = match unnamed {
        Some(fd) => File::from(fd),
        None => {
            let (file, named) = pending.create_named(mode).with_context(cannot)?;
            pending.named = Some(named);
            file
        }
    };
    Ok((file, pending))
}

/// Whether an unnamed file can be given a name later: through its entry in
/// /proc, which every process may use for its own files.  (Root could do
/// without /proc, but a system without it is rare enough to take the
/// fallback.)
fn can_link_unnamed() -> bool {
    Path::new("/proc/self/fd").is_dir()
}

/// A fresh name for a temporary file beside the output.  Unique within the
/// process by a counter and hard to guess from outside by std's randomly
/// keyed hasher; the files are created exclusively in any case.
fn temp_name() -> PathBuf {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::hash::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    PathBuf::from(format!(".zpgp-{:016x}.part", h.finish()))
}

/// Tries fresh names until `attempt` does not find the name taken.
fn with_fresh_name<T>(mut attempt: impl FnMut(&Path) -> io::Result<T>) -> io::Result<T> {
    for _ in 0..100 {
        match attempt(&temp_name()) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            other => return other,
        }
    }
    // Not `AlreadyExists`: that would read as "the output exists".
    Err(io::Error::other("no free name for a temporary file"))
}

impl Pending {
    fn create_named(&self, mode: u32) -> io::Result<(File, Named)> {
        with_fresh_name(|name| {
            // Registered before the file exists, so that no moment is
            // left in which a signal would leave it behind.
            let guard = sys::RemoveOnSignal::new(&self.dir_path.join(name));
            let file = sys::create_new(self.dir.as_fd(), name, mode)?;
            Ok((
                file,
                Named {
                    name: name.to_path_buf(),
                    _remove_on_signal: guard,
                },
            ))
        })
    }

    /// Syncs the complete file and gives it its name: never over anything
    /// without `--force`; with it, by rename, which replaces a symbolic
    /// link itself and never writes through it.
    fn publish(mut self, file: File) -> Result<()> {
        if self.force && self.content != Content::Secret {
            self.keep_mode(&file);
        }
        file.sync_all()
            .with_context(|| format!("cannot write {}", self.dest.display()))?;
        let dir = self.dir.as_fd();
        let result = match self.named.take() {
            None if !self.force => sys::link_unnamed(file.as_fd(), dir, &self.name),
            // A name of its own first, then a rename over what is there:
            // linking cannot replace anything.
            None => with_fresh_name(|tmp| {
                let guard = sys::RemoveOnSignal::new(&self.dir_path.join(tmp));
                sys::link_unnamed(file.as_fd(), dir, tmp)?;
                Ok((tmp.to_path_buf(), guard))
            })
            .and_then(|(tmp, _guard)| {
                sys::rename(dir, &tmp, &self.name).inspect_err(|_| {
                    let _ = sys::unlink(dir, &tmp);
                })
            }),
            Some(named) => {
                let result = if self.force {
                    sys::rename(dir, &named.name, &self.name)
                } else {
                    sys::rename_noreplace(dir, &named.name, &self.name)
                };
                if result.is_err() {
                    // Dropping `self` removes it.
                    self.named = Some(named);
                }
                result
            }
        };
        result.map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                output_exists(&self.dest, None)
            } else {
                anyhow::Error::from(e).context(format!("cannot write {}", self.dest.display()))
            }
        })?;
        if self.sync_dir {
            self.dir
                .sync_all()
                .with_context(|| format!("cannot sync the directory of {}", self.dest.display()))?;
        }
        Ok(())
    }

    /// A file replaced with `--force` keeps its permissions: the user chose
    /// them for that name.
    fn keep_mode(&self, file: &File) {
        if let Ok(old) = fs::symlink_metadata(&self.dest) {
            if old.is_file() {
                let mode = old.permissions().mode() & 0o777;
                let _ = file.set_permissions(fs::Permissions::from_mode(mode));
            }
        }
    }
}

impl Drop for Pending {
    /// A named temporary file not yet renamed is removed (before its
    /// signal guard goes); an unnamed one needs nothing.
    fn drop(&mut self) {
        if let Some(named) = self.named.take() {
            let _ = sys::unlink(self.dir.as_fd(), &named.name);
        }
    }
}

/// A temporary output file that asks the kernel to start writing its
/// pages to disk every few megabytes, so that the `fsync` before the
/// file appears has little left to wait for: on a large file that wait
/// was a fifth of the time (256 MiB: 0.06 of 0.22 s).
pub(crate) struct Writeback {
    file: File,
    written: u64,
    started: u64,
}

const WRITEBACK_STEP: u64 = 8 << 20;

impl Writeback {
    fn new(file: File) -> Self {
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
            // Only a hint: the fsync in `finish` makes the file durable.
            sys::start_writeback(self.file.as_fd(), self.started, self.written - self.started);
            self.started = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Whether `path` would be written as a regular file (new, or replacing
/// a file or link), rather than in place into a FIFO or device.
pub fn is_file_output(path: &Path) -> bool {
    !is_stdout(path)
        && matches!(
            existing(path),
            Existing::Nothing | Existing::File | Existing::Link
        )
}

/// Fails early, before any work, when `path` may not be written: the same
/// rules as [`Output::open`].
pub fn check_writable(path: &Path, force: bool) -> Result<()> {
    if is_stdout(path) {
        return Ok(());
    }
    plan(path, force, Content::Text).map(drop)
}

fn output_exists(path: &Path, kind: Option<&str>) -> anyhow::Error {
    let (message, hint) = match kind {
        None => (
            format!("{} exists already", path.display()),
            "use --force to overwrite it, or choose another name with -o",
        ),
        Some(kind @ "a symbolic link") => (
            format!("{} exists already ({kind})", path.display()),
            "use --force to replace the link itself (what it points to stays as it is), or choose another name with -o",
        ),
        Some(kind) => (
            format!("{} exists already ({kind})", path.display()),
            "use --force to write into it, or choose another name with -o",
        ),
    };
    Error::new(Failure::OutputExists, message).hint(hint).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::failure_of;

    /// The path was a FIFO or device when it was looked at, and is
    /// something else when it is opened: a regular file, reached directly
    /// or through a symbolic link, is never written in place.
    #[test]
    fn a_swapped_path_is_not_written_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "original").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&victim, &link).unwrap();

        // Was a FIFO, is now a symbolic link: O_NOFOLLOW refuses it.
        let e = open_in_place(&link, false, true, Content::Text)
            .err()
            .expect("refused");
        assert!(
            e.chain().any(|c| c
                .downcast_ref::<io::Error>()
                .is_some_and(|e| e.raw_os_error() == Some(libc::ELOOP))),
            "{e:#}"
        );
        // Was a link to a FIFO, or a FIFO, and is now a regular file.
        for (path, follow) in [(&link, true), (&victim, false)] {
            let e = open_in_place(path, follow, true, Content::Text)
                .err()
                .expect("refused");
            assert_eq!(failure_of(&e), Some(Failure::OutputExists));
            assert!(
                e.to_string()
                    .contains("changed while it was opened: it is now a regular file"),
                "{e}"
            );
        }
        assert_eq!(fs::read_to_string(&victim).unwrap(), "original");
    }

    #[test]
    fn what_exists_decides_the_plan() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        fs::write(&file, "x").unwrap();
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        let to_dir = dir.path().join("to-dir");
        std::os::unix::fs::symlink(dir.path(), &to_dir).unwrap();
        let new = dir.path().join("new");

        let code = |path: &Path, force: bool, content: Content| {
            plan(path, force, content)
                .err()
                .map(|e| failure_of(&e).map(|f| f.exit_code()))
        };
        assert_eq!(code(&new, false, Content::Secret), None);
        assert_eq!(code(&file, false, Content::Text), Some(Some(59)));
        assert_eq!(code(&file, true, Content::Secret), None);
        assert_eq!(code(&dangling, false, Content::Text), Some(Some(59)));
        assert_eq!(code(&dangling, true, Content::Text), None);
        assert_eq!(code(&to_dir, true, Content::Text), Some(Some(59)));
        assert_eq!(code(dir.path(), true, Content::Text), Some(Some(59)));
        assert_eq!(code(Path::new("/dev/null"), false, Content::Secret), None);
        assert!(matches!(
            plan(Path::new("/dev/null"), false, Content::Binary),
            Ok(Plan::InPlace { follow: false })
        ));
    }
}
