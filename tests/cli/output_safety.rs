//! Issue 19, the outputs: what exists at `-o` is never written without
//! `--force` (FIFOs, devices and symbolic links included) and secret keys
//! never go to a terminal or special file; an interrupted or killed
//! decrypt leaves no plaintext behind; decrypted files are private;
//! file names in errors cannot drive the terminal; core dumps are off.

use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use predicates::str::{contains, is_empty};

use crate::harness::{Env, zpgp_bin, zpgp_sop};

const PLAINTEXT: &str = "attack at dawn\n";

/// No test may hang on a FIFO nobody reads, as the old code did.
const TIMEOUT: Duration = Duration::from_secs(60);

/// A home with one key, a small message to it, and an empty directory
/// `out/` for the outputs.
struct Setup {
    env: Env,
    fpr: String,
    msg: PathBuf,
    out: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let env = Env::new();
        let fpr = env.generate(&["--email", "alice@example.org"]);
        let plain = env.write("plain.txt", PLAINTEXT);
        let msg = env.path("msg.pgp");
        env.zpgp()
            .args(["encrypt", "-r", &fpr, "-o"])
            .arg(&msg)
            .arg(&plain)
            .assert()
            .success();
        let out = env.path("out");
        std::fs::create_dir(&out).unwrap();
        Setup { env, fpr, msg, out }
    }

    fn out(&self, name: &str) -> PathBuf {
        self.out.join(name)
    }

    /// `zpgp --passphrase-file F decrypt [ARGS…] -o OUT MSG`.
    fn decrypt(&self, out: &Path, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = self.env.zpgp();
        cmd.arg("--passphrase-file")
            .arg(self.env.passphrase_file())
            .arg("decrypt")
            .args(args)
            .arg("-o")
            .arg(out)
            .arg(&self.msg)
            .timeout(TIMEOUT);
        cmd
    }

    fn export_secret(&self, out: &Path, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = self.env.zpgp();
        cmd.args(["export", "--secret"])
            .args(args)
            .arg("-o")
            .arg(out)
            .arg(&self.fpr)
            .timeout(TIMEOUT);
        cmd
    }
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

fn symlink(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A pseudo-terminal's device path, with its master end (kept open so the
/// device stays usable).
fn pseudo_terminal() -> (std::fs::File, PathBuf) {
    use std::os::fd::FromRawFd;
    // SAFETY: plain calls on a fresh descriptor; ptsname's buffer is copied
    // at once.
    unsafe {
        let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(fd >= 0, "posix_openpt");
        assert_eq!(libc::grantpt(fd), 0);
        assert_eq!(libc::unlockpt(fd), 0);
        let name = std::ffi::CStr::from_ptr(libc::ptsname(fd))
            .to_string_lossy()
            .into_owned();
        (std::fs::File::from_raw_fd(fd), PathBuf::from(name))
    }
}

/// What was written to a pseudo-terminal whose other ends are closed.
fn read_terminal(master: &mut std::fs::File) -> String {
    let mut shown = Vec::new();
    let mut buf = [0u8; 4096];
    // The master end reads EIO once no slave end is open and all is read.
    while let Ok(n) = master.read(&mut buf) {
        if n == 0 {
            break;
        }
        shown.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&shown).into_owned()
}

// Item 4: FIFOs, devices and symbolic links -------------------------------

#[test]
fn fifo_is_not_written_without_force() {
    let s = Setup::new();
    let fifo = s.out("fifo");
    mkfifo(&fifo);
    s.decrypt(&fifo, &[])
        .assert()
        .code(59)
        .stdout(is_empty())
        .stderr(contains("out/fifo exists already (a FIFO)"))
        .stderr(contains("hint: use --force to write into it"));
    let link = s.out("link");
    symlink(&fifo, &link);
    s.decrypt(&link, &[])
        .assert()
        .code(59)
        .stdout(is_empty())
        .stderr(contains(
            "out/link exists already (a symbolic link to a FIFO)",
        ));
}

#[test]
fn fifo_is_written_in_place_with_force() {
    let s = Setup::new();
    let fifo = s.out("fifo");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    s.decrypt(&fifo, &["--force"])
        .assert()
        .code(0)
        .stdout(is_empty());
    assert_eq!(reader.join().unwrap(), PLAINTEXT);
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

#[test]
fn symbolic_link_is_replaced_with_force_never_written_through() {
    let s = Setup::new();
    let victim = s.env.write("victim.txt", "original\n");
    let link = s.out("link");
    symlink(&victim, &link);
    s.decrypt(&link, &[])
        .assert()
        .code(59)
        .stdout(is_empty())
        .stderr(contains("out/link exists already (a symbolic link)"))
        .stderr(contains("hint: use --force to replace the link itself"));
    s.decrypt(&link, &["--force"])
        .assert()
        .code(0)
        .stdout(is_empty());
    assert!(std::fs::symlink_metadata(&link).unwrap().is_file());
    assert_eq!(std::fs::read_to_string(&link).unwrap(), PLAINTEXT);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "original\n");
}

#[test]
fn dangling_symbolic_link_is_not_followed() {
    let s = Setup::new();
    let target = s.env.path("created-through-the-link");
    let link = s.out("link");
    symlink(&target, &link);
    s.decrypt(&link, &[])
        .assert()
        .code(59)
        .stdout(is_empty())
        .stderr(contains("out/link exists already (a symbolic link)"));
    assert!(!target.exists());
    s.decrypt(&link, &["--force"])
        .assert()
        .code(0)
        .stdout(is_empty());
    assert!(!target.exists(), "the link's target was created");
    assert_eq!(std::fs::read_to_string(&link).unwrap(), PLAINTEXT);
}

#[test]
fn secret_key_never_goes_to_a_terminal_or_special_file() {
    let s = Setup::new();
    for force in [&[][..], &["--force"][..]] {
        s.export_secret(Path::new("/dev/tty"), force)
            .assert()
            .code(83)
            .stdout(is_empty())
            .stderr(contains(
                "refusing to write a secret key to /dev/tty: it is a character device, not a regular file",
            ))
            .stderr(contains("hint: write it to a new regular file with -o FILE"));
    }
    let fifo = s.out("fifo");
    mkfifo(&fifo);
    let link = s.out("link");
    symlink(&fifo, &link);
    s.export_secret(&fifo, &["--force"])
        .assert()
        .code(83)
        .stderr(contains("it is a FIFO, not a regular file"));
    s.export_secret(&link, &["--force"])
        .assert()
        .code(83)
        .stderr(contains(
            "it is a symbolic link to a FIFO, not a regular file",
        ));
    // Discarding it is harmless.
    s.export_secret(Path::new("/dev/null"), &[])
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(is_empty());
}

#[test]
fn binary_output_to_a_terminal_is_refused_even_with_force() {
    let s = Setup::new();
    let (_master, tty) = pseudo_terminal();
    let plain = s.env.write("p.txt", PLAINTEXT);
    let encrypt = |args: &[&str]| {
        let mut cmd = s.env.zpgp();
        cmd.args(["encrypt", "-r", &s.fpr])
            .args(args)
            .arg("-o")
            .arg(&tty)
            .arg(&plain)
            .timeout(TIMEOUT);
        cmd
    };
    encrypt(&[])
        .assert()
        .code(59)
        .stderr(contains("exists already (a character device)"));
    encrypt(&["--force"])
        .assert()
        .code(83)
        .stdout(is_empty())
        .stderr(contains(format!(
            "refusing to write binary data to the terminal {}",
            tty.display()
        )))
        .stderr(contains("hint: use --armor for text output"));
    // Armored, it is the user's to show.
    encrypt(&["--force", "--armor"]).assert().code(0);
}

#[test]
fn dev_null_and_dev_stdout_are_always_writable() {
    let s = Setup::new();
    s.decrypt(Path::new("/dev/null"), &[])
        .assert()
        .code(0)
        .stdout(is_empty());
    s.decrypt(Path::new("/dev/stdout"), &[])
        .assert()
        .code(0)
        .stdout(PLAINTEXT);
    assert!(names_in(&s.out).is_empty());
}

// Item 7: nothing left behind, private plaintext ---------------------------

/// A message of `size` bytes of incompressible data to the setup's key.
fn large_message(s: &Setup, size: usize) -> Vec<u8> {
    let mut data = vec![0u8; size];
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for chunk in data.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    let plain = s.env.write("large.bin", &data);
    let msg = s.env.path("large.pgp");
    s.env
        .zpgp()
        .args(["encrypt", "-r", &s.fpr, "-o"])
        .arg(&msg)
        .arg(&plain)
        .assert()
        .success();
    std::fs::remove_file(plain).unwrap();
    std::fs::read(msg).unwrap()
}

/// Whether `pid` has a file under `dir` open that holds data: the output
/// being written, named or not.  `None` when /proc does not tell (another
/// user's process that is not dumpable).
fn writing_into(pid: u32, dir: &Path) -> Option<bool> {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    Some(fds.flatten().any(|fd| {
        std::fs::read_link(fd.path()).is_ok_and(|target| target.starts_with(dir))
            && std::fs::metadata(fd.path()).is_ok_and(|m| m.is_file() && m.len() > 0)
    }))
}

/// Starts `zpgp decrypt -o out/plain.out` on standard input, feeds it most
/// of a large message and waits until plaintext is being written; the
/// decrypt then waits for the rest, which never comes.
fn decrypt_blocked_mid_way(
    s: &Setup,
    message: &[u8],
    env: &[(&str, &str)],
) -> (Child, ChildStdin, PathBuf) {
    let target = s.out("plain.out");
    let mut child = Command::new(zpgp_bin())
        .arg("--home")
        .arg(s.env.home())
        .args(["--batch", "--passphrase-file"])
        .arg(s.env.passphrase_file())
        .args(["decrypt", "-o"])
        .arg(&target)
        .envs(env.iter().copied())
        .current_dir(s.env.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Returns once the decrypt has read all but a pipe buffer of it.
    stdin.write_all(&message[..message.len() * 3 / 4]).unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("decrypt ended early ({status}): {err}");
        }
        match writing_into(child.id(), &s.out) {
            Some(true) => break,
            Some(false) if start.elapsed() < Duration::from_secs(30) => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Some(false) => panic!("decrypt wrote no plaintext in 30 s"),
            None => {
                std::thread::sleep(Duration::from_secs(1));
                break;
            }
        }
    }
    // While the caller holds the pipe open, the decrypt waits for more.
    (child, stdin, target)
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGKILL => "SIGKILL",
        _ => "a signal",
    }
}

/// Kills a decrypt mid-way with `signal` and checks that it died of it
/// and left nothing in the output directory.
fn interrupted_decrypt_leaves_nothing(signals: &[i32], env: &[(&str, &str)]) {
    let s = Setup::new();
    let message = large_message(&s, 48 << 20);
    for &signal in signals {
        let (mut child, stdin, target) = decrypt_blocked_mid_way(&s, &message, env);
        // SAFETY: kill on the pid of a child we have not reaped yet.
        assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
        let status = child.wait().unwrap();
        drop(stdin);
        assert_eq!(
            status.signal(),
            Some(signal),
            "decrypt should die of {}: {status}",
            signal_name(signal)
        );
        assert!(!target.exists());
        assert_eq!(
            names_in(&s.out),
            Vec::<String>::new(),
            "left behind after {}",
            signal_name(signal)
        );
    }
}

#[test]
fn decrypt_interrupted_by_sigint_leaves_nothing() {
    interrupted_decrypt_leaves_nothing(&[libc::SIGINT], &[]);
}

#[test]
fn decrypt_terminated_by_sigterm_leaves_nothing() {
    interrupted_decrypt_leaves_nothing(&[libc::SIGTERM], &[]);
}

#[test]
fn decrypt_hung_up_by_sighup_leaves_nothing() {
    interrupted_decrypt_leaves_nothing(&[libc::SIGHUP], &[]);
}

#[test]
fn decrypt_killed_by_sigkill_leaves_nothing() {
    interrupted_decrypt_leaves_nothing(&[libc::SIGKILL], &[]);
}

/// Where the file system has no unnamed files the temporary file has a
/// name, and a signal handler removes it (SIGKILL cannot be handled).
#[test]
fn decrypt_with_named_temporary_file_interrupted_leaves_nothing() {
    interrupted_decrypt_leaves_nothing(
        &[libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT],
        &[("ZPGP_TEST_NAMED_TEMP", "1")],
    );
}

/// The umask of this process, which the children inherit.
fn umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .expect("Umask in /proc/self/status");
    u32::from_str_radix(line.trim(), 8).unwrap()
}

#[test]
fn decrypted_and_verified_files_are_private() {
    let s = Setup::new();
    for named in [false, true] {
        let plain = s.out(&format!("plain-{named}.txt"));
        let mut cmd = s.decrypt(&plain, &[]);
        if named {
            cmd.env("ZPGP_TEST_NAMED_TEMP", "1");
        }
        cmd.assert().code(0).stdout(is_empty());
        assert_eq!(mode(&plain), 0o600, "decrypted (named temp: {named})");
    }
    // Verified content too; ciphertext and signatures follow the umask.
    let signed = s.out("signed.pgp");
    let input = s.env.write("in.txt", PLAINTEXT);
    s.env
        .zpgp()
        .arg("--passphrase-file")
        .arg(s.env.passphrase_file())
        .arg("sign")
        .arg("-o")
        .arg(&signed)
        .arg(&input)
        .assert()
        .code(0);
    assert_eq!(mode(&signed), 0o666 & !umask(), "a signed message");
    let verified = s.out("verified.txt");
    s.env
        .zpgp()
        .arg("verify")
        .arg("-o")
        .arg(&verified)
        .arg(&signed)
        .assert()
        .code(0);
    assert_eq!(mode(&verified), 0o600, "verified content");
    assert_eq!(std::fs::read_to_string(&verified).unwrap(), PLAINTEXT);
    let msg = s.out("again.pgp");
    s.env
        .zpgp()
        .args(["encrypt", "-r", &s.fpr, "-o"])
        .arg(&msg)
        .arg(&input)
        .assert()
        .code(0);
    assert_eq!(mode(&msg), 0o666 & !umask(), "a message");
}

#[test]
fn forced_replacement_keeps_the_mode() {
    let s = Setup::new();
    for (named, old) in [(false, 0o640), (true, 0o604), (false, 0o666)] {
        let plain = s.out("plain.txt");
        std::fs::write(&plain, "old\n").unwrap();
        std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(old)).unwrap();
        let mut cmd = s.decrypt(&plain, &["--force"]);
        if named {
            cmd.env("ZPGP_TEST_NAMED_TEMP", "1");
        }
        cmd.assert().code(0).stdout(is_empty());
        assert_eq!(std::fs::read_to_string(&plain).unwrap(), PLAINTEXT);
        assert_eq!(mode(&plain), old, "named temp: {named}");
        assert_eq!(names_in(&s.out), ["plain.txt"]);
    }
    // A secret key file is 0600 whatever it replaces.
    let key = s.out("key.asc");
    std::fs::write(&key, "old\n").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    s.export_secret(&key, &["--force"]).assert().code(0);
    assert_eq!(mode(&key), 0o600);
}

#[test]
fn file_appearing_during_decrypt_is_not_replaced() {
    // Checked before the work and again when the finished file is given
    // its name: a file that appeared meanwhile stays as it is.
    let s = Setup::new();
    let message = large_message(&s, 48 << 20);
    for env in [&[][..], &[("ZPGP_TEST_NAMED_TEMP", "1")][..]] {
        let (mut child, mut stdin, target) = decrypt_blocked_mid_way(&s, &message, env);
        std::fs::write(&target, "mine\n").unwrap();
        stdin.write_all(&message[message.len() * 3 / 4..]).unwrap();
        drop(stdin);
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(59), "{env:?}: {err}");
        assert!(err.contains("out/plain.out exists already"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "mine\n");
        assert_eq!(names_in(&s.out), ["plain.out"], "{env:?}");
        std::fs::remove_file(&target).unwrap();
    }
}

// Item 11: file names in errors --------------------------------------------

fn assert_no_raw_controls(stderr: &[u8]) {
    assert!(
        !stderr.iter().any(|&b| b == 0x1b || b == 0x07),
        "raw escape in {:?}",
        String::from_utf8_lossy(stderr)
    );
}

#[test]
fn hostile_file_names_in_errors_are_escaped() {
    let s = Setup::new();
    for (name, shown) in [
        ("out\x1b]0;pwned\x07", "out\\u{1b}]0;pwned\\u{7}"),
        ("cls\x1b[2J", "cls\\u{1b}[2J"),
    ] {
        s.env.write(name, "x");
        let out = s
            .decrypt(Path::new(name), &[])
            .assert()
            .code(59)
            .stdout(is_empty())
            .stderr(contains(format!("zpgp: error: {shown} exists already")))
            .stderr(contains("hint: use --force"))
            .get_output()
            .clone();
        assert_no_raw_controls(&out.stderr);
    }
    // A cause from the system: the directory does not exist.
    let out = s
        .decrypt(Path::new("no\x1b[2Jdir/x"), &[])
        .assert()
        .code(1)
        .stderr(contains("cannot create a file in no\\u{1b}[2Jdir"))
        .stderr(contains("  because: No such file or directory"))
        .get_output()
        .clone();
    assert_no_raw_controls(&out.stderr);
    // clap's own messages quote the argument: escaped in a pipe, and on a
    // terminal, where clap colours them, too.
    let hostile = "bash\x1b]0;pwned\x07";
    let out = s
        .env
        .zpgp()
        .args(["completions", hostile])
        .assert()
        .code(2)
        .stdout(is_empty())
        .stderr(contains("invalid value 'bash\\u{1b}]0;pwned\\u{7}'"))
        .get_output()
        .clone();
    assert_no_raw_controls(&out.stderr);
    let (mut master, tty) = pseudo_terminal();
    let status = Command::new(zpgp_bin())
        .args(["completions", hostile])
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::OpenOptions::new().write(true).open(&tty).unwrap())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
    let shown = read_terminal(&mut master);
    assert!(
        shown.contains("bash\\u{1b}]0;pwned\\u{7}") && !shown.contains("\x1b]0;pwned"),
        "{shown:?}"
    );
    // And the SOP binary's one-line errors.
    let out = zpgp_sop(s.env.dir.path())
        .args(["encrypt", "cert\x1b]0;pwned\x07.asc"])
        .write_stdin(PLAINTEXT)
        .assert()
        .code(61)
        .stdout(is_empty())
        .stderr(contains("cert\\u{1b}]0;pwned\\u{7}.asc"))
        .get_output()
        .clone();
    assert_no_raw_controls(&out.stderr);
}

#[test]
fn ambiguous_query_error_keeps_its_lines() {
    let env = Env::new();
    env.generate(&["--name", "Alice One", "--email", "alice1@example.org"]);
    env.generate(&["--name", "Alice Two", "--email", "alice2@example.org"]);
    let out = env
        .zpgp()
        .args(["export", "Alice"])
        .assert()
        .code(73)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Alice One <alice1@example.org>"))
            && lines
                .iter()
                .any(|l| l.contains("Alice Two <alice2@example.org>")),
        "candidates one per line: {stderr}"
    );
    assert!(!stderr.contains("\\u{a}"), "{stderr}");
}

// Item 12: no core dumps -----------------------------------------------------

/// The "Max core file size" limits (soft, hard) of a running process.
fn core_limit(pid: u32) -> Option<(String, String)> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))?;
    let mut values = line["Max core file size".len()..].split_whitespace();
    Some((values.next()?.to_string(), values.next()?.to_string()))
}

/// Starts `cmd` with core dumps allowed (as far as this process may allow
/// them) and standard input held open, and checks that the process turned
/// them off itself.
fn assert_disables_core_dumps(mut cmd: Command, what: &str) {
    // SAFETY: getrlimit and setrlimit are async-signal-safe, as pre_exec
    // requires.
    unsafe {
        cmd.pre_exec(|| {
            let mut limit: libc::rlimit = std::mem::zeroed();
            libc::getrlimit(libc::RLIMIT_CORE, &mut limit);
            let raised = libc::rlimit {
                rlim_cur: libc::RLIM_INFINITY,
                rlim_max: libc::RLIM_INFINITY,
            };
            if libc::setrlimit(libc::RLIMIT_CORE, &raised) != 0 {
                limit.rlim_cur = limit.rlim_max;
                libc::setrlimit(libc::RLIMIT_CORE, &limit);
            }
            Ok(())
        });
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut last = None;
    while start.elapsed() < Duration::from_secs(20) {
        last = core_limit(child.id());
        if last.as_ref().is_some_and(|(s, h)| s == "0" && h == "0") {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "{what} ended early");
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        last,
        Some(("0".to_string(), "0".to_string())),
        "{what}: the core file size limit"
    );
}

#[test]
fn core_dumps_are_disabled() {
    let env = Env::new();
    let mut zpgp = Command::new(zpgp_bin());
    zpgp.arg("--home")
        .arg(env.home())
        .args(["--batch", "decrypt"])
        .current_dir(env.dir.path());
    assert_disables_core_dumps(zpgp, "zpgp decrypt");
    let mut sop = Command::new(assert_cmd::cargo::cargo_bin("zpgp-sop"));
    sop.arg("dearmor").current_dir(env.dir.path());
    assert_disables_core_dumps(sop, "zpgp-sop dearmor");
}
