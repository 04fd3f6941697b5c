//! Issue 17, item 1: the key agent.  A passphrase typed once keeps the
//! key usable for a while (and no longer), the agent is reachable by its
//! user only, holds nothing secret in what it says, and losing it loses
//! nothing.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use predicates::str::contains;

use crate::harness::{PASSPHRASE, User, error_has, has, json};

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 test path")
}

/// Alice, and a message to her in `m.pgp`.
fn alice_with_message() -> User {
    let alice = User::new("Alice");
    alice.write("m.txt", "for alice\n");
    alice
        .zpgp()
        .args(["encrypt", "-r", "alice", "m.txt"])
        .assert()
        .success();
    alice
}

/// `zpgp --batch` with the agent, as a user has it.
fn with_agent(u: &User) -> assert_cmd::Command {
    u.env.zpgp_agent()
}

/// The same, with the passphrase given.
fn with_agent_pw(u: &User) -> assert_cmd::Command {
    let mut c = u.env.zpgp_agent();
    c.arg("--passphrase-file").arg(u.env.passphrase_file());
    c
}

/// Decrypts m.pgp to stdout: the passphrase is given, so this unlocks
/// the key in the agent.
fn unlock(u: &User) {
    with_agent_pw(u)
        .args(["decrypt", "m.txt.pgp", "-o", "-"])
        .assert()
        .success()
        .stdout("for alice\n");
}

/// Decrypts m.pgp in --batch with no passphrase: works only when the
/// agent holds the key.
fn decrypt_without_passphrase(u: &User) -> assert_cmd::assert::Assert {
    with_agent(u)
        .args(["decrypt", "m.txt.pgp", "-o", "-"])
        .assert()
}

fn status(u: &User) -> serde_json::Value {
    let out = with_agent(u).args(["--json", "agent"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out.stdout)
}

fn agent_pid(u: &User) -> Option<u32> {
    status(u)["pid"].as_u64().map(|p| p as u32)
}

fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} {pid}");
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|s| s.split_whitespace().nth(2) == Some("Z"))
}

/// Waits up to `secs` for `pred`.
fn eventually(secs: u64, mut pred: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if pred() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    pred()
}

/// Kills the agent when a test ends early, so that a stopped one does
/// not linger (a running one goes by itself when its home goes).
struct Reaper(Option<u32>);

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
        }
    }
}

fn socket(u: &User) -> PathBuf {
    PathBuf::from(status(u)["socket"].as_str().unwrap())
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n")
}

#[test]
fn a_passphrase_typed_once_serves_later_decryptions_and_signatures() {
    let alice = alice_with_message();
    // Nothing unlocked yet: --batch without a passphrase is refused as
    // always, with the usual exit code and hint.
    decrypt_without_passphrase(&alice)
        .code(67)
        .stderr(error_has(&["--batch forbids asking", "--passphrase-file"]));
    unlock(&alice);
    let _reaper = Reaper(agent_pid(&alice));
    for _ in 0..3 {
        decrypt_without_passphrase(&alice)
            .success()
            .stdout("for alice\n");
    }
    // The signing subkey opened with the same passphrase.
    alice.write("doc.txt", "signed twice\n");
    for n in 0..2 {
        with_agent(&alice)
            .args([
                "sign",
                "--detached",
                "doc.txt",
                "-o",
                &format!("doc{n}.sig"),
            ])
            .assert()
            .success();
        alice
            .zpgp()
            .args(["verify", &format!("doc{n}.sig"), "doc.txt"])
            .assert()
            .success()
            .stderr(has(&["good signature from Alice"]));
    }
    // encrypt --sign too.
    with_agent(&alice)
        .args([
            "encrypt", "--sign", "-r", "alice", "doc.txt", "-o", "doc.pgp",
        ])
        .assert()
        .success();
    // A key without the agent still needs its passphrase.
    alice
        .zpgp()
        .args(["decrypt", "m.txt.pgp", "-o", "-"])
        .assert()
        .code(67);
    // The status names the keys and when they go, nothing more.
    let st = status(&alice);
    assert_eq!(st["running"], true);
    let keys = st["keys"].as_array().unwrap();
    assert!(keys.len() >= 2, "{st}");
    assert!(keys.iter().all(|k| k["cert"] == alice.fpr.as_str()), "{st}");
    assert!(keys.iter().all(|k| k["expires"].is_string()), "{st}");
}

#[test]
fn keys_are_forgotten_when_their_time_is_up() {
    let alice = alice_with_message();
    // 2 seconds since last use; and at most 4 in all.
    alice
        .zpgp()
        .args(["config", "set", "agent-ttl", "2s"])
        .assert()
        .success();
    alice
        .zpgp()
        .args(["config", "set", "agent-max-ttl", "4"])
        .assert()
        .success();
    unlock(&alice);
    let _reaper = Reaper(agent_pid(&alice));
    // Used every second, the key stays unlocked past its 2 s...
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(900));
        decrypt_without_passphrase(&alice).success();
    }
    // ...but not past the 4 s maximum.
    assert!(
        eventually(4, || decrypt_without_passphrase(&alice)
            .get_output()
            .status
            .code()
            == Some(67)),
        "the key outlived agent-max-ttl"
    );
    assert_eq!(status(&alice)["keys"].as_array().unwrap().len(), 0);
    // Unused, it goes after the 2 s.
    unlock(&alice);
    decrypt_without_passphrase(&alice).success();
    std::thread::sleep(Duration::from_millis(2600));
    decrypt_without_passphrase(&alice).code(67);
}

#[test]
fn forget_and_stop_lock_every_key_and_passwd_forgets_its_key() {
    let alice = alice_with_message();
    unlock(&alice);
    let pid = agent_pid(&alice).expect("an agent runs");
    let _reaper = Reaper(Some(pid));
    with_agent(&alice)
        .args(["agent", "--forget"])
        .assert()
        .success()
        .stderr(contains("the agent forgot"));
    decrypt_without_passphrase(&alice).code(67);
    assert_eq!(status(&alice)["keys"].as_array().unwrap().len(), 0);

    // passwd: the old passphrase must not go on working through the agent.
    unlock(&alice);
    decrypt_without_passphrase(&alice).success();
    let new = alice.write("new.txt", "a new passphrase for alice\n");
    with_agent_pw(&alice)
        .args(["passwd", "alice", "--new-passphrase-file", p(&new)])
        .assert()
        .success();
    decrypt_without_passphrase(&alice).code(67);

    // --stop ends the agent; the next unlock starts a new one.
    with_agent(&alice)
        .args(["agent", "--stop"])
        .assert()
        .success()
        .stderr(contains("stopped"));
    assert!(eventually(3, || !alive(pid)), "the agent did not stop");
    assert_eq!(status(&alice)["running"], false);
    with_agent(&alice)
        .arg("--passphrase-file")
        .arg(&new)
        .args(["decrypt", "m.txt.pgp", "-o", "-"])
        .assert()
        .success();
    let again = agent_pid(&alice).expect("a new agent");
    let _reaper2 = Reaper(Some(again));
    assert_ne!(again, pid);
}

#[test]
fn revoke_and_delete_secret_make_the_agent_forget() {
    let alice = alice_with_message();
    unlock(&alice);
    let _reaper = Reaper(agent_pid(&alice));
    with_agent_pw(&alice)
        .args(["revoke", "alice", "--reason", "retired", "--yes"])
        .assert()
        .success();
    assert_eq!(status(&alice)["keys"].as_array().unwrap().len(), 0);

    let bob = alice_with_message();
    unlock(&bob);
    let _reaper2 = Reaper(agent_pid(&bob));
    with_agent(&bob)
        .args(["delete", "--secret", "--yes", &bob.fpr])
        .assert()
        .success();
    assert_eq!(status(&bob)["keys"].as_array().unwrap().len(), 0);
}

#[test]
fn no_agent_and_agent_false_keep_nothing() {
    let alice = alice_with_message();
    with_agent_pw(&alice)
        .args(["--no-agent", "decrypt", "m.txt.pgp", "-o", "-"])
        .assert()
        .success();
    assert_eq!(status(&alice)["running"], false);
    alice
        .zpgp()
        .args(["config", "set", "agent", "false"])
        .assert()
        .success();
    unlock(&alice);
    assert_eq!(status(&alice)["running"], false);
    decrypt_without_passphrase(&alice).code(67);
    with_agent(&alice)
        .arg("agent")
        .assert()
        .success()
        .stdout(contains("the agent is not running"));
}

#[test]
fn the_socket_is_private_and_others_are_refused() {
    let alice = alice_with_message();
    unlock(&alice);
    let pid = agent_pid(&alice).expect("an agent runs");
    let _reaper = Reaper(Some(pid));
    let sock = socket(&alice);
    let dir = sock.parent().unwrap().to_path_buf();
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&sock), 0o600);
    assert_eq!(std::fs::metadata(&sock).unwrap().uid(), {
        std::fs::metadata(alice.env.home()).unwrap().uid()
    });

    // A directory open to others is refused, with the fix; commands go on
    // without the agent.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    with_agent(&alice)
        .arg("agent")
        .assert()
        .code(1)
        .stderr(error_has(&[
            "refusing to talk to the key agent",
            "mode 755",
            "chmod 700",
        ]));
    with_agent_pw(&alice)
        .args(["decrypt", "m.txt.pgp", "-o", "-"])
        .assert()
        .success()
        .stdout("for alice\n")
        .stderr(has(&["warning: not using the key agent", "mode 755"]));
    decrypt_without_passphrase(&alice).code(67);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    decrypt_without_passphrase(&alice).success();

    if !is_root() {
        eprintln!("NOTE: not root: another user's socket and peer cannot be made here");
        return;
    }
    // Another user's socket is refused.
    let chown = |p: &Path, who: &str| {
        assert!(
            std::process::Command::new("chown")
                .args([who, p.to_str().unwrap()])
                .status()
                .unwrap()
                .success()
        )
    };
    chown(&sock, "65534");
    with_agent(&alice)
        .arg("agent")
        .assert()
        .code(1)
        .stderr(error_has(&["belongs to user ID 65534"]));
    decrypt_without_passphrase(&alice).code(67).stderr(has(&[
        "warning: not using the key agent",
        "belongs to user ID 65534",
    ]));
    chown(&sock, "0");

    // A peer of another user ID reaches the socket (everything opened up
    // for the test) and is hung up on without an answer.
    for p in [alice.env.dir.path(), &alice.env.home(), &dir] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "perl"])
        .args([
            "-MIO::Socket::UNIX",
            "-e",
            // The agent may hang up before the request is written: that
            // is a hang-up too, not a SIGPIPE death.
            r#"$SIG{PIPE} = 'IGNORE';
               my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!\n";
               my $l;
               $l = <$s> if print $s qq({"op":"status"}\n);
               print defined $l ? "ANSWER $l" : "HUNG UP\n";"#,
            p(&sock),
        ])
        .output()
        .expect("setpriv and perl");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "HUNG UP\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for p in [alice.env.dir.path(), &alice.env.home(), &dir] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o600)).unwrap();
    // The agent served its user all along.
    decrypt_without_passphrase(&alice).success();
}

#[test]
fn nothing_secret_in_status_errors_or_core_files() {
    let alice = alice_with_message();
    unlock(&alice);
    let pid = agent_pid(&alice).expect("an agent runs");
    let _reaper = Reaper(Some(pid));
    let st = status(&alice);
    assert_eq!(st["core_dumps_disabled"], true, "{st}");
    let human = with_agent(&alice).arg("agent").output().unwrap();
    let wrong = alice.write("wrong.txt", "not the passphrase\n");
    with_agent(&alice)
        .args(["agent", "--forget"])
        .assert()
        .success();
    let failed = with_agent(&alice)
        .arg("--passphrase-file")
        .arg(&wrong)
        .args(["decrypt", "m.txt.pgp", "-o", "-"])
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(67));
    for text in [
        st.to_string(),
        String::from_utf8_lossy(&human.stdout).to_string(),
        String::from_utf8_lossy(&failed.stderr).to_string(),
    ] {
        assert!(!text.contains(PASSPHRASE), "{text}");
        assert!(!text.contains("not the passphrase"), "{text}");
        // Not in hex either (the agent's protocol carries it so).
        let hex: String = PASSPHRASE.bytes().map(|b| format!("{b:02x}")).collect();
        assert!(!text.to_lowercase().contains(&hex), "{text}");
    }
    // The kernel's view of the agent: no core file may be written.
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    let fields: Vec<&str> = core.split_whitespace().collect();
    assert_eq!(&fields[4..6], ["0", "0"], "{core}");
    // Not dumpable: its /proc files belong to root, so another program of
    // the same (non-root) user cannot read its memory.
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        std::fs::metadata(format!("/proc/{pid}/mem")).unwrap().uid(),
        0
    );
}

#[test]
fn a_killed_agent_loses_nothing_and_a_new_one_starts() {
    let alice = alice_with_message();
    unlock(&alice);
    let pid = agent_pid(&alice).expect("an agent runs");
    let sock = socket(&alice);
    signal(pid, "-KILL");
    assert!(eventually(3, || !alive(pid)));
    // The stale socket is still there; the next command asks again...
    assert!(sock.exists());
    decrypt_without_passphrase(&alice).code(67);
    // ...and with the passphrase works, starting a new agent in its place.
    unlock(&alice);
    let again = agent_pid(&alice).expect("a new agent");
    let _reaper = Reaper(Some(again));
    assert_ne!(again, pid);
    decrypt_without_passphrase(&alice).success();
}

#[test]
fn an_agent_that_does_not_answer_is_passed_over() {
    let alice = alice_with_message();
    unlock(&alice);
    let pid = agent_pid(&alice).expect("an agent runs");
    let _reaper = Reaper(Some(pid));
    signal(pid, "-STOP");
    let started = Instant::now();
    with_agent_pw(&alice)
        .args(["decrypt", "m.txt.pgp", "-o", "-"])
        .timeout(Duration::from_secs(30))
        .assert()
        .success()
        .stdout("for alice\n")
        .stderr(has(&["the key agent failed", "did not answer"]));
    assert!(started.elapsed() < Duration::from_secs(20));
    signal(pid, "-CONT");
    decrypt_without_passphrase(&alice).success();
}

#[test]
fn clients_at_once_and_a_client_that_dies_mid_request() {
    let alice = alice_with_message();
    unlock(&alice);
    let pid = agent_pid(&alice).expect("an agent runs");
    let _reaper = Reaper(Some(pid));
    let sock = socket(&alice);
    // A client that sends half a request and hangs: held open meanwhile.
    use std::io::Write;
    let mut stuck = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    stuck.write_all(br#"{"op":"sign","key":"#).unwrap();
    // And one that sends garbage and goes.
    {
        let mut bad = std::os::unix::net::UnixStream::connect(&sock).unwrap();
        bad.write_all(b"\xff\xfe not json\n").unwrap();
    }
    // Eight decryptions at once are all served.
    let children: Vec<_> = (0..8)
        .map(|_| {
            std::process::Command::new(crate::harness::zpgp_bin())
                .arg("--home")
                .arg(alice.env.home())
                .args(["--batch", "decrypt", "m.txt.pgp", "-o", "-"])
                .current_dir(alice.env.dir.path())
                .env_remove("ZPGP_NO_AGENT")
                .env_remove("XDG_RUNTIME_DIR")
                .output_async()
        })
        .collect();
    for c in children {
        let out = c.join().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, b"for alice\n");
    }
    drop(stuck);
    decrypt_without_passphrase(&alice).success();
    assert!(alive(pid));
}

trait Async {
    fn output_async(self) -> std::thread::JoinHandle<std::process::Output>;
}

impl Async for &mut std::process::Command {
    fn output_async(self) -> std::thread::JoinHandle<std::process::Output> {
        let child = self
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::spawn(move || child.wait_with_output().unwrap())
    }
}

#[test]
fn the_agent_lives_in_the_runtime_directory_and_goes_with_its_home() {
    let alice = alice_with_message();
    let runtime = tempfile::tempdir().unwrap();
    let run = |c: &mut assert_cmd::Command| {
        c.env("XDG_RUNTIME_DIR", runtime.path());
    };
    let mut c = with_agent_pw(&alice);
    run(&mut c);
    c.args(["decrypt", "m.txt.pgp", "-o", "-"])
        .assert()
        .success();
    let mut c = with_agent(&alice);
    run(&mut c);
    let out = c.args(["--json", "agent"]).output().unwrap();
    let st = json(&out.stdout);
    let sock = PathBuf::from(st["socket"].as_str().unwrap());
    assert!(sock.starts_with(runtime.path().join("zpgp")), "{st}");
    assert!(sock.exists());
    let pid = st["pid"].as_u64().unwrap() as u32;
    let _reaper = Reaper(Some(pid));
    // Not under the home this time.
    assert!(!alice.env.home().join("agent").exists());
    // The home goes: so does its agent, and its socket.
    drop(alice);
    assert!(eventually(5, || !alive(pid)), "the agent outlived its home");
    assert!(!sock.exists());
}

#[test]
fn keys_from_files_never_reach_the_agent() {
    let alice = alice_with_message();
    let key = alice.path("alice.key");
    alice
        .zpgp()
        .args(["export", "--secret", "alice", "-o", p(&key)])
        .assert()
        .success();
    with_agent_pw(&alice)
        .args(["decrypt", "--key-file", p(&key), "m.txt.pgp", "-o", "-"])
        .assert()
        .success();
    alice.write("doc.txt", "x\n");
    with_agent_pw(&alice)
        .args(["sign", "--key-file", p(&key), "doc.txt", "-o", "doc.sig"])
        .assert()
        .success();
    assert_eq!(status(&alice)["running"], false);
}
