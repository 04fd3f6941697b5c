//! Every `unsafe` call of zpgp, each behind one small safe function with
//! its `SAFETY:` reasoning: the system calls that std does not wrap, a
//! memory map, and sequoia's null policy.  The rest of the crate denies
//! unsafe code (`#![deny(unsafe_code)]` in `lib.rs` and the binaries), so
//! this file is the one to read when auditing it.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Once;
use std::sync::atomic::{AtomicPtr, Ordering};

/// Keeps secrets out of core files: no core dump (RLIMIT_CORE 0), and on
/// Linux the process is marked not dumpable, which also keeps other
/// processes of the same user from attaching a debugger or reading its
/// memory through /proc.
///
/// Best effort: neither call can fail for a process lowering its own
/// limits, and an OS without them has nothing to switch off.
pub fn disable_core_dumps() {
    let zero = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit reads the struct we pass by reference and keeps no
    // pointer to it.
    unsafe {
        libc::setrlimit(libc::RLIMIT_CORE, &zero);
    }
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_DUMPABLE takes plain integer arguments; prctl is
    // variadic and reads each as an unsigned long, so each is passed as one.
    unsafe {
        let zero: libc::c_ulong = 0;
        libc::prctl(libc::PR_SET_DUMPABLE, zero, zero, zero, zero);
    }
}

/// Asks the kernel to start writing `len` bytes at `offset` of `file` to
/// disk, without waiting.  Only a hint: errors are of no consequence.
pub fn start_writeback(file: BorrowedFd<'_>, offset: u64, len: u64) {
    #[cfg(target_os = "linux")]
    // SAFETY: a plain system call on a descriptor the caller keeps open.
    unsafe {
        libc::sync_file_range(
            file.as_raw_fd(),
            offset as libc::off64_t,
            len as libc::off64_t,
            libc::SYNC_FILE_RANGE_WRITE,
        );
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, offset, len);
}

/// The effective user ID of this process: the owner a private file or
/// directory of the keyring must have.
pub fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions, touches no memory of ours and
    // cannot fail.
    unsafe { libc::geteuid() }
}

/// Takes an exclusive `flock` on `file`, waiting for whoever holds it.  The
/// lock goes when the last descriptor of this open file is closed.
pub fn lock_exclusive(file: &File) -> io::Result<()> {
    loop {
        // SAFETY: a plain system call on a descriptor that `file` keeps
        // open for the call.
        match check(unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) }) {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Takes an exclusive `flock` on `file` if no one holds it: `false` when
/// another open file holds it.
pub fn try_lock_exclusive(file: &File) -> io::Result<bool> {
    loop {
        // SAFETY: as in `lock_exclusive`; LOCK_NB only makes it fail
        // instead of waiting.
        match check(unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }) {
            Ok(_) => return Ok(true),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) => return Err(e),
        }
    }
}

/// The user ID of the process at the other end of a Unix socket, as the
/// kernel recorded it when the connection was made.
pub fn peer_uid(socket: &std::os::unix::net::UnixStream) -> io::Result<u32> {
    #[cfg(target_os = "linux")]
    {
        let mut cred = libc::ucred {
            pid: 0,
            uid: u32::MAX,
            gid: u32::MAX,
        };
        let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
        // SAFETY: SO_PEERCRED writes at most `len` bytes into `cred`, a
        // live local of exactly that size, and updates `len`.
        check(unsafe {
            libc::getsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_PEERCRED,
                (&mut cred as *mut libc::ucred).cast(),
                &mut len,
            )
        })?;
        Ok(cred.uid)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let mut uid: libc::uid_t = u32::MAX;
        let mut gid: libc::gid_t = u32::MAX;
        // SAFETY: getpeereid writes the two IDs into our locals.
        check(unsafe { libc::getpeereid(socket.as_raw_fd(), &mut uid, &mut gid) })?;
        Ok(uid)
    }
}

/// Starts a new session, so that a background server keeps running when
/// the terminal that started it closes (no SIGHUP, no job control).
pub fn new_session() {
    // SAFETY: setsid takes no arguments and only changes this process's
    // session; failing (already a group leader) changes nothing.
    unsafe {
        libc::setsid();
    }
}

/// Closes every descriptor above standard error, so that a background
/// server holds no pipe or file its starter passed on (a caller waiting
/// for a pipe to close would otherwise wait for the server).
pub fn close_inherited_fds() {
    let open: Vec<i32> = match std::fs::read_dir("/proc/self/fd") {
        Ok(dir) => dir
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect(),
        Err(_) => (3..1024).collect(),
    };
    for fd in open.into_iter().filter(|&fd| fd > 2) {
        // SAFETY: called at the very start of the server, before it opens
        // or owns any descriptor of its own (the directory listing above
        // is closed already), so no Rust object refers to these numbers.
        unsafe {
            libc::close(fd);
        }
    }
}

/// Whether the core-dump protections of [`disable_core_dumps`] are on:
/// the core size limit is 0 and (on Linux) the process is not dumpable.
pub fn core_dumps_disabled() -> bool {
    let mut limit = libc::rlimit {
        rlim_cur: 1,
        rlim_max: 1,
    };
    // SAFETY: getrlimit writes into our local struct.
    let limited =
        unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut limit) } == 0 && limit.rlim_cur == 0;
    #[cfg(target_os = "linux")]
    // SAFETY: PR_GET_DUMPABLE takes no pointer and returns the flag.
    let dumpable = unsafe { libc::prctl(libc::PR_GET_DUMPABLE) } != 0;
    #[cfg(not(target_os = "linux"))]
    let dumpable = false;
    limited && !dumpable
}

/// Maps `file` read-only into memory.
///
/// Only for files that are replaced by rename and never changed in place
/// (zpgp's keyring index): the map keeps showing the file as it was opened.
/// Another process truncating or rewriting the very file mapped would
/// change memory that Rust takes as immutable, which is why memmap2 marks
/// this `unsafe`.
pub(crate) fn map_readonly(file: &File) -> io::Result<memmap2::Mmap> {
    // SAFETY: the callers' files are only ever replaced by rename, never
    // written in place, so the mapped pages do not change under us (see
    // above); the map owns its own reference to the file.
    unsafe { memmap2::Mmap::map(file) }
}

/// Duplicates the descriptor number `fd`, which the caller does not own
/// (`@FD:N` in a passphrase or key argument), into a new close-on-exec
/// descriptor that the caller owns.  `fd` itself stays open and is never
/// closed here.  Fails with `EBADF` when `fd` is not an open descriptor.
pub fn dup_fd(fd: i32) -> io::Result<OwnedFd> {
    if fd < 0 {
        return Err(io::Error::from_raw_os_error(libc::EBADF));
    }
    // The lowest number the copy may have; fcntl reads it as an int.
    let lowest: libc::c_int = 0;
    // SAFETY: F_DUPFD_CLOEXEC only reads the descriptor table: on a number
    // that is not open it fails with EBADF, and it neither closes nor
    // changes `fd`.
    let new = check(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, lowest) })?;
    // SAFETY: a fresh descriptor, checked above, that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// Whether `fd` is an open descriptor (without touching it).
pub fn fd_is_open(fd: i32) -> bool {
    // SAFETY: F_GETFD only reads the descriptor's flags; on a number that
    // is not an open descriptor it fails with EBADF and touches nothing.
    fd >= 0 && unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1
}

/// Zeroes a buffer's whole allocation, in a way the optimizer keeps.
pub fn wipe(v: &mut Vec<u8>) {
    for b in v.iter_mut() {
        // SAFETY: `b` is a valid, aligned, exclusive reference into `v`.
        unsafe { std::ptr::write_volatile(b, 0) };
    }
    for b in v.spare_capacity_mut() {
        // SAFETY: as above; writing a value into spare capacity is what
        // `MaybeUninit` allows, and `v`'s length is unchanged.
        unsafe { std::ptr::write_volatile(b.as_mut_ptr(), 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

/// Sequoia's `NullPolicy`, which accepts every algorithm, key and
/// signature.
///
/// Its constructor is `unsafe` as a warning, not for memory safety:
/// nothing judged under it may be trusted.  zpgp uses it only to reach a
/// certificate's primary key as a valid amalgamation, and then asks the
/// real policy about that key (`ops::keyinfo::rejection_reason`).
pub(crate) fn null_policy() -> sequoia_openpgp::policy::NullPolicy {
    // SAFETY (of the policy, not memory): see above; the result is never
    // used to accept anything.
    unsafe { sequoia_openpgp::policy::NullPolicy::new() }
}

fn cstring(name: &Path) -> io::Result<CString> {
    CString::new(name.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in a file name"))
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Creates an unnamed file in the directory `dir` (Linux `O_TMPFILE`),
/// opened for reading and writing, with `mode` less the umask.  It has no
/// name until [`link_unnamed`] gives it one; if the process dies first,
/// the kernel frees it.  `Ok(None)` when the file system (or the OS) has
/// no unnamed files.
pub fn create_unnamed(dir: BorrowedFd<'_>, mode: u32) -> io::Result<Option<OwnedFd>> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: the path is a static NUL-terminated string; the result
        // is checked before it becomes an owned descriptor.
        let fd = unsafe {
            libc::openat(
                dir.as_raw_fd(),
                c".".as_ptr(),
                libc::O_TMPFILE | libc::O_RDWR | libc::O_CLOEXEC,
                mode as libc::c_uint,
            )
        };
        match check(fd) {
            // SAFETY: a fresh descriptor that nothing else owns.
            Ok(fd) => Ok(Some(unsafe { OwnedFd::from_raw_fd(fd) })),
            // Kernels before 3.11 read O_TMPFILE as O_DIRECTORY (EISDIR);
            // file systems without it say EOPNOTSUPP.
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL)
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (dir, mode);
        Ok(None)
    }
}

/// Gives the unnamed file `file` the name `name` in `dir`.  Fails with
/// `AlreadyExists` when the name is taken (by anything, a dangling
/// symbolic link too): nothing is ever replaced.
pub fn link_unnamed(file: BorrowedFd<'_>, dir: BorrowedFd<'_>, name: &Path) -> io::Result<()> {
    let name = cstring(name)?;
    #[cfg(target_os = "linux")]
    {
        // SAFETY: both strings are NUL-terminated and outlive the call.
        let r = check(unsafe {
            libc::linkat(
                file.as_raw_fd(),
                c"".as_ptr(),
                dir.as_raw_fd(),
                name.as_ptr(),
                libc::AT_EMPTY_PATH,
            )
        });
        match r {
            Ok(_) => return Ok(()),
            // Before Linux 6.10, AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH;
            // the descriptor's entry in /proc does the same for everyone.
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::EPERM)) => {}
            Err(e) => return Err(e),
        }
    }
    link_through_proc(file, dir, &name)
}

fn link_through_proc(file: BorrowedFd<'_>, dir: BorrowedFd<'_>, name: &CString) -> io::Result<()> {
    let proc =
        CString::new(format!("/proc/self/fd/{}", file.as_raw_fd())).expect("no NUL in a number");
    // SAFETY: both strings are NUL-terminated and outlive the call.
    check(unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            proc.as_ptr(),
            dir.as_raw_fd(),
            name.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    })
    .map(drop)
}

/// Creates the new file `name` in `dir` for reading and writing, with
/// `mode` less the umask.  Never opens an existing file and never follows
/// a symbolic link (`AlreadyExists` for either).
pub fn create_new(dir: BorrowedFd<'_>, name: &Path, mode: u32) -> io::Result<std::fs::File> {
    let name = cstring(name)?;
    // SAFETY: the name is NUL-terminated and outlives the call; the result
    // is checked before it becomes an owned descriptor.
    let fd = check(unsafe {
        libc::openat(
            dir.as_raw_fd(),
            name.as_ptr(),
            libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            mode as libc::c_uint,
        )
    })?;
    // SAFETY: a fresh descriptor that nothing else owns.
    Ok(unsafe { std::fs::File::from_raw_fd(fd) })
}

/// Renames `from` to `to`, both in `dir`, replacing whatever `to` is
/// (a symbolic link itself, never its target).
pub fn rename(dir: BorrowedFd<'_>, from: &Path, to: &Path) -> io::Result<()> {
    let (from, to) = (cstring(from)?, cstring(to)?);
    // SAFETY: both names are NUL-terminated and outlive the call.
    check(unsafe { libc::renameat(dir.as_raw_fd(), from.as_ptr(), dir.as_raw_fd(), to.as_ptr()) })
        .map(drop)
}

/// Renames `from` to `to`, both in `dir`, failing with `AlreadyExists`
/// when `to` exists.
pub fn rename_noreplace(dir: BorrowedFd<'_>, from: &Path, to: &Path) -> io::Result<()> {
    let (cfrom, cto) = (cstring(from)?, cstring(to)?);
    #[cfg(target_os = "linux")]
    {
        // SAFETY: both names are NUL-terminated and outlive the call.
        let r = check(unsafe {
            libc::renameat2(
                dir.as_raw_fd(),
                cfrom.as_ptr(),
                dir.as_raw_fd(),
                cto.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        });
        match r {
            Ok(_) => return Ok(()),
            // File systems without RENAME_NOREPLACE (EINVAL), old kernels
            // (ENOSYS): a hard link is just as exclusive.
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) => {}
            Err(e) => return Err(e),
        }
    }
    // SAFETY: both names are NUL-terminated and outlive the call.
    check(unsafe {
        libc::linkat(
            dir.as_raw_fd(),
            cfrom.as_ptr(),
            dir.as_raw_fd(),
            cto.as_ptr(),
            0,
        )
    })?;
    unlink(dir, from)
}

/// Removes the name `name` from `dir`.
pub fn unlink(dir: BorrowedFd<'_>, name: &Path) -> io::Result<()> {
    let name = cstring(name)?;
    // SAFETY: the name is NUL-terminated and outlives the call.
    check(unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), 0) }).map(drop)
}

/// Signals that end zpgp by default and that a user or the system sends to
/// stop it: a temporary file named in [`RemoveOnSignal`] is removed first.
const FATAL_SIGNALS: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// The paths to remove when a fatal signal arrives.  A signal handler may
/// use nothing but async-signal-safe calls, so the paths are C strings
/// behind atomic pointers: the handler reads them without a lock.
static DOOMED: [AtomicPtr<libc::c_char>; 8] = [const { AtomicPtr::new(std::ptr::null_mut()) }; 8];

extern "C" fn remove_and_die(signal: libc::c_int) {
    for slot in &DOOMED {
        let path = slot.load(Ordering::Acquire);
        if !path.is_null() {
            // SAFETY: a registered path is a NUL-terminated string that is
            // never freed (see `RemoveOnSignal::drop`); unlink is
            // async-signal-safe.
            unsafe {
                libc::unlink(path);
            }
        }
    }
    // SA_RESETHAND put back the default action; the signal is blocked until
    // this handler returns, and then ends the process as it would have,
    // with the status a parent expects from it.
    // SAFETY: raise is async-signal-safe.
    unsafe {
        libc::raise(signal);
    }
}

fn install_handlers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for signal in FATAL_SIGNALS {
            // SAFETY: sigaction only reads `new` and writes `old`, both
            // valid for the call; the handler is async-signal-safe.
            unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(signal, std::ptr::null(), &mut old) != 0 {
                    continue;
                }
                // A signal ignored by whoever started zpgp (nohup) stays
                // ignored; one with a handler is not ours to replace.
                if old.sa_sigaction != libc::SIG_DFL {
                    continue;
                }
                let mut new: libc::sigaction = std::mem::zeroed();
                new.sa_sigaction = remove_and_die as extern "C" fn(libc::c_int) as usize;
                new.sa_flags = libc::SA_RESETHAND;
                libc::sigemptyset(&mut new.sa_mask);
                libc::sigaction(signal, &new, std::ptr::null_mut());
            }
        }
    });
}

/// While alive, `path` is removed if SIGINT, SIGTERM, SIGHUP or SIGQUIT
/// ends the process.  (Nothing can act on SIGKILL: that is why output files
/// are unnamed wherever the file system allows.)
pub struct RemoveOnSignal {
    slot: Option<&'static AtomicPtr<libc::c_char>>,
}

impl RemoveOnSignal {
    /// Registers `path`; with every slot taken (more than eight files at
    /// once, which zpgp never has) the path is simply not protected.
    pub fn new(path: &Path) -> RemoveOnSignal {
        let Ok(c) = cstring(path) else {
            return RemoveOnSignal { slot: None };
        };
        install_handlers();
        let ptr = c.into_raw();
        for slot in &DOOMED {
            if slot
                .compare_exchange(
                    std::ptr::null_mut(),
                    ptr,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                )
                .is_ok()
            {
                return RemoveOnSignal { slot: Some(slot) };
            }
        }
        // SAFETY: `ptr` came from `into_raw` above and was never shared.
        drop(unsafe { CString::from_raw(ptr) });
        RemoveOnSignal { slot: None }
    }
}

impl Drop for RemoveOnSignal {
    /// Unregisters the path.  Its string is deliberately leaked (a few
    /// bytes, once per output file): a handler running on another thread
    /// may have loaded the pointer just before it was taken out.
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            slot.store(std::ptr::null_mut(), Ordering::Release);
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::fd::AsFd;

    /// Both ways of naming an unnamed file: what this kernel allows the
    /// test's user first, and the /proc way every user has.
    #[test]
    fn unnamed_files_get_their_name_once() {
        let dir = tempfile::tempdir().unwrap();
        let dirfd = std::fs::File::open(dir.path()).unwrap();
        for (named_so_far, (name, through_proc)) in
            [("a", false), ("b", true)].into_iter().enumerate()
        {
            let fd = create_unnamed(dirfd.as_fd(), 0o600)
                .unwrap()
                .expect("O_TMPFILE on the test directory");
            let mut file = std::fs::File::from(fd);
            file.write_all(b"whole").unwrap();
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), named_so_far);
            let cname = cstring(Path::new(name)).unwrap();
            if through_proc {
                link_through_proc(file.as_fd(), dirfd.as_fd(), &cname).unwrap();
            } else {
                link_unnamed(file.as_fd(), dirfd.as_fd(), Path::new(name)).unwrap();
            }
            let mut text = String::new();
            std::fs::File::open(dir.path().join(name))
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            assert_eq!(text, "whole");
            // A taken name is never replaced.
            let again = link_unnamed(file.as_fd(), dirfd.as_fd(), Path::new(name));
            assert_eq!(again.unwrap_err().kind(), io::ErrorKind::AlreadyExists);
            let again = link_through_proc(file.as_fd(), dirfd.as_fd(), &cname);
            assert_eq!(again.unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        }
    }

    #[test]
    fn dup_fd_copies_and_never_closes_the_original() {
        use std::io::Seek;
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"shared").unwrap();
        file.rewind().unwrap();
        let copy = dup_fd(file.as_raw_fd()).unwrap();
        assert_ne!(copy.as_raw_fd(), file.as_raw_fd());
        // Close-on-exec, so a child process does not inherit it.
        assert_ne!(fd_flags(copy.as_fd()) & libc::FD_CLOEXEC, 0);
        let mut text = String::new();
        File::from(copy).read_to_string(&mut text).unwrap();
        assert_eq!(text, "shared");
        // The copy is closed now; the original is still open and usable.
        assert_ne!(fd_flags(file.as_fd()), -1);
        file.rewind().unwrap();
        text.clear();
        file.read_to_string(&mut text).unwrap();
        assert_eq!(text, "shared");
    }

    #[test]
    fn dup_fd_of_a_number_that_is_not_open_is_ebadf() {
        for fd in [-1, i32::MAX] {
            assert_eq!(dup_fd(fd).unwrap_err().raw_os_error(), Some(libc::EBADF));
        }
    }

    fn fd_flags(fd: BorrowedFd<'_>) -> libc::c_int {
        // SAFETY: F_GETFD only reads the flags of a descriptor kept open.
        unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) }
    }

    #[test]
    fn effective_uid_owns_what_it_creates() {
        use std::os::unix::fs::MetadataExt;
        let file = tempfile::tempfile().unwrap();
        assert_eq!(file.metadata().unwrap().uid(), effective_uid());
    }

    #[test]
    fn lock_exclusive_excludes_another_open_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        let first = File::create(&path).unwrap();
        lock_exclusive(&first).unwrap();
        let second = File::open(&path).unwrap();
        // SAFETY: a plain system call on a descriptor kept open.
        let busy = unsafe { libc::flock(second.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        assert_eq!(busy, -1, "the lock is held");
        drop(first);
        lock_exclusive(&second).unwrap();
    }

    #[test]
    fn no_replace_rename_keeps_what_is_there() {
        let dir = tempfile::tempdir().unwrap();
        let dirfd = std::fs::File::open(dir.path()).unwrap();
        let mut tmp = create_new(dirfd.as_fd(), Path::new(".t"), 0o600).unwrap();
        tmp.write_all(b"new").unwrap();
        assert_eq!(
            create_new(dirfd.as_fd(), Path::new(".t"), 0o600)
                .unwrap_err()
                .kind(),
            io::ErrorKind::AlreadyExists
        );
        std::fs::write(dir.path().join("out"), "old").unwrap();
        let e = rename_noreplace(dirfd.as_fd(), Path::new(".t"), Path::new("out")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("out")).unwrap(),
            "old"
        );
        rename(dirfd.as_fd(), Path::new(".t"), Path::new("out")).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("out")).unwrap(),
            "new"
        );
    }
    #[test]
    fn wipe_zeroes_the_whole_allocation() {
        let mut v = Vec::with_capacity(64);
        v.extend_from_slice(b"hunter2");
        let spare = v.capacity() - v.len();
        // Secret bytes in the spare capacity too, as a string that was
        // edited (backspace) leaves them.
        for b in v.spare_capacity_mut() {
            b.write(b'x');
        }
        wipe(&mut v);
        assert!(v.iter().all(|&b| b == 0));
        assert_eq!(v.spare_capacity_mut().len(), spare);
        // SAFETY: every spare byte was written above (and zeroed by wipe).
        assert!(
            v.spare_capacity_mut()
                .iter()
                .all(|b| unsafe { b.assume_init() } == 0)
        );
    }
}

/// OpenSSL's set-up, trimmed to what zpgp uses, before anything else.
///
/// The first call to `OPENSSL_init_ssl` decides, once per process, which
/// parts of OpenSSL's start-up run.  Left to sequoia's own first call (a
/// constructor too), every process would also fill OpenSSL's legacy
/// cipher name table, copy it into the provider name map at the first
/// algorithm fetch, and load the text of every libcrypto error: together
/// 2.6 M of the 10.8 M instructions of a `zpgp verify` of a detached
/// signature (callgrind).  Nothing looks ciphers up in the legacy table:
/// sequoia fetches them by provider name, the `openssl` crate passes its
/// cipher objects (which OpenSSL maps to provider names), and libssl
/// fetches by name too.  The legacy digest table stays: libssl and X.509
/// look certificate signature digests up in it, and TLS fails without
/// it ("ca md too weak").  No message zpgp shows comes from libcrypto's
/// error texts: sequoia's OpenSSL errors carry their own, and the TLS
/// errors of `fetch` and `publish` come from libssl's, which still load
/// when TLS starts.  The configuration file is read as before.
///
/// A constructor of priority 101 (the first one not reserved for the C
/// runtime) runs before those of default priority, sequoia's among them.
#[cfg(feature = "crypto-openssl")]
mod openssl_init {
    const NO_LOAD_CRYPTO_STRINGS: u64 = 0x0000_0001;
    const NO_ADD_ALL_CIPHERS: u64 = 0x0000_0010;
    /// Sequoia's choice, kept: no exit handler that frees OpenSSL's state
    /// under threads still using it.
    const NO_ATEXIT: u64 = 0x0008_0000;

    unsafe extern "C" {
        fn OPENSSL_init_ssl(opts: u64, settings: *const libc::c_void) -> libc::c_int;
    }

    #[used]
    #[unsafe(link_section = ".init_array.00101")]
    static INIT: extern "C" fn() = init;

    extern "C" fn init() {
        // SAFETY: OPENSSL_init_ssl takes option bits and a null settings
        // pointer (the defaults); it is safe to call at any time, from
        // any thread, any number of times.  A failure is not reported
        // here: OpenSSL reports it again at its next use.
        unsafe {
            OPENSSL_init_ssl(
                NO_ATEXIT | NO_ADD_ALL_CIPHERS | NO_LOAD_CRYPTO_STRINGS,
                std::ptr::null(),
            );
        }
    }
}
