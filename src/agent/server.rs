//! The agent itself: listens on the socket, serves each client on its own
//! thread, and forgets keys when their time is up.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, anyhow};
use sequoia_openpgp as openpgp;

use openpgp::Fingerprint;
use openpgp::crypto::{Decryptor as _, KeyPair, Password, Signer as _, mpi};
use openpgp::packet::Key;
use openpgp::packet::key::{SecretParts, UnspecifiedRole};
use openpgp::parse::Parse;
use openpgp::types::HashAlgorithm;

use super::Paths;
use super::protocol::{KeyStatus, MAX_LINE, Request, Response, Status};

/// How often expired keys are zeroed and the agent checks that its home
/// and socket are still there.
const TICK: Duration = Duration::from_millis(250);
/// An agent with no key unlocked stops after this long without a request.
const IDLE_EXIT: Duration = Duration::from_secs(5 * 60);
/// A client that says nothing for this long is dropped.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);

struct Entry {
    pair: KeyPair,
    unlocked: Instant,
    unlocked_unix: u64,
    last_used: Instant,
    ttl: Duration,
    max_ttl: Duration,
}

impl Entry {
    fn expires(&self) -> Instant {
        (self.last_used + self.ttl).min(self.unlocked + self.max_ttl)
    }
}

struct State {
    keys: HashMap<Fingerprint, Entry>,
    /// Keys being unlocked after an answer (a key's siblings): a request
    /// for one waits until it is done.
    pending: HashSet<Fingerprint>,
    /// Counts the forgets: an unlock that began before one is dropped.
    generation: u64,
    started: u64,
    last_request: Instant,
}

impl State {
    /// Drops (and so zeroes: sequoia keeps secrets in memory that is
    /// cleared when freed) every key whose time is up.
    fn expire(&mut self, now: Instant) {
        self.keys.retain(|_, e| e.expires() > now);
    }
}

struct Agent {
    state: Mutex<State>,
    /// Signalled when a pending key is done.
    settled: Condvar,
}

type Shared = Arc<Agent>;

fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state.state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The state once `fpr` is not pending any more (or a few seconds passed).
fn settled<'s>(state: &'s Shared, fpr: &Fingerprint) -> MutexGuard<'s, State> {
    let guard = lock(state);
    state
        .settled
        .wait_timeout_while(guard, Duration::from_secs(10), |s| s.pending.contains(fpr))
        .map(|(g, _)| g)
        .unwrap_or_else(|e| e.into_inner().0)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The Unix time at which `at` (a monotonic instant) falls.
fn unix_at(at: Instant, now: Instant) -> u64 {
    unix_now() + at.saturating_duration_since(now).as_secs()
}

/// Runs the agent of `home` until it is stopped, its keys have all gone
/// and it has been idle a while, or its home or socket disappears.
/// Returns at once, doing nothing, when another agent already serves the
/// home.
pub fn serve(home: &Path) -> Result<()> {
    crate::sys::close_inherited_fds();
    crate::sys::new_session();
    crate::sys::disable_core_dumps();

    let paths = Paths::for_home(home);
    paths.prepare().map_err(|u| anyhow!("{u}"))?;
    let lock_file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&paths.lock)
        .with_context(|| format!("cannot open {}", paths.lock.display()))?;
    // An agent that is stopping still holds the lock for a moment.
    let deadline = Instant::now() + Duration::from_secs(2);
    while !crate::sys::try_lock_exclusive(&lock_file)? {
        if Instant::now() > deadline {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // Whoever held the lock is gone: a socket left is stale.
    let _ = std::fs::remove_file(&paths.socket);
    let listener = UnixListener::bind(&paths.socket)
        .with_context(|| format!("cannot listen on {}", paths.socket.display()))?;
    std::fs::set_permissions(&paths.socket, std::fs::Permissions::from_mode(0o600))?;
    let inode = std::fs::metadata(&paths.socket)?.ino();

    let state: Shared = Arc::new(Agent {
        state: Mutex::new(State {
            keys: HashMap::new(),
            pending: HashSet::new(),
            generation: 0,
            started: unix_now(),
            last_request: Instant::now(),
        }),
        settled: Condvar::new(),
    });
    {
        let state = state.clone();
        let home = home.to_path_buf();
        let paths = paths.clone();
        std::thread::spawn(move || housekeeping(&state, &home, &paths, inode));
    }

    let me = crate::sys::effective_uid();
    for conn in listener.incoming() {
        let Ok(stream) = conn else { continue };
        // Only the user's own programs are served.
        if crate::sys::peer_uid(&stream).ok() != Some(me) {
            continue;
        }
        let state = state.clone();
        let paths = paths.clone();
        std::thread::spawn(move || {
            if serve_client(stream, &state) == Flow::Stop {
                shutdown(&state, &paths, inode);
            }
        });
    }
    Ok(())
}

fn housekeeping(state: &Shared, home: &Path, paths: &Paths, inode: u64) {
    loop {
        std::thread::sleep(TICK);
        let now = Instant::now();
        let idle = {
            let mut s = lock(state);
            s.expire(now);
            s.keys.is_empty() && now.duration_since(s.last_request) > IDLE_EXIT
        };
        let ours = std::fs::symlink_metadata(&paths.socket).is_ok_and(|m| m.ino() == inode);
        if idle || !ours || !home.is_dir() {
            shutdown(state, paths, inode);
        }
    }
}

/// Zeroes every key, removes the socket if it is still this agent's, and
/// ends the process.
fn shutdown(state: &Shared, paths: &Paths, inode: u64) -> ! {
    lock(state).keys.clear();
    if std::fs::symlink_metadata(&paths.socket).is_ok_and(|m| m.ino() == inode) {
        let _ = std::fs::remove_file(&paths.socket);
    }
    std::process::exit(0)
}

#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// Answers one client's requests until it hangs up, goes quiet, or asks
/// the agent to stop.  A client that dies mid-request costs this thread
/// only.
fn serve_client(stream: UnixStream, state: &Shared) -> Flow {
    let _ = stream.set_read_timeout(Some(CLIENT_TIMEOUT));
    let _ = stream.set_write_timeout(Some(CLIENT_TIMEOUT));
    let Ok(reader) = stream.try_clone() else {
        return Flow::Continue;
    };
    let mut reader = BufReader::new(reader);
    let mut writer = stream;
    loop {
        let mut line = Vec::new();
        match (&mut reader)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)
        {
            Ok(0) | Err(_) => return Flow::Continue,
            Ok(_) if line.last() != Some(&b'\n') => return Flow::Continue,
            Ok(_) => {}
        }
        let request = serde_json::from_slice::<Request>(&line);
        crate::sys::wipe(&mut line);
        let (response, flow) = match request {
            Ok(Request::Stop) => (Response::Stopping, Flow::Stop),
            Ok(r) => (answer(state, r), Flow::Continue),
            Err(e) => (
                Response::Failed {
                    message: format!("a request the agent does not understand: {e}"),
                },
                Flow::Continue,
            ),
        };
        let mut out = match serde_json::to_vec(&response) {
            Ok(v) => v,
            Err(_) => return Flow::Continue,
        };
        out.push(b'\n');
        let sent = writer.write_all(&out).and_then(|_| writer.flush());
        crate::sys::wipe(&mut out);
        if flow == Flow::Stop {
            return Flow::Stop;
        }
        if sent.is_err() {
            return Flow::Continue;
        }
    }
}

fn answer(state: &Shared, request: Request) -> Response {
    lock(state).last_request = Instant::now();
    let result = match request {
        Request::Status => Ok(status(state)),
        Request::Has { key } => has(state, &key),
        Request::Unlock {
            packet,
            siblings,
            passphrase,
            ttl,
            max_ttl,
        } => {
            let generation = lock(state).generation;
            let r = unlock(state, &packet, &passphrase, ttl, max_ttl, generation);
            if matches!(r, Ok(Response::Unlocked { .. })) {
                unlock_siblings(
                    state,
                    siblings,
                    passphrase.clone(),
                    ttl,
                    max_ttl,
                    generation,
                );
            }
            crate::sys::wipe(&mut passphrase.into_bytes());
            r
        }
        Request::Sign { key, hash, digest } => with_key(state, &key, |pair| {
            let digest = openpgp::fmt::hex::decode(&digest)?;
            let sig = pair.sign(HashAlgorithm::from(hash), &digest)?;
            Ok(Response::Signature {
                mpis: openpgp::fmt::hex::encode(openpgp::serialize::MarshalInto::to_vec(&sig)?),
            })
        }),
        Request::Decrypt {
            key,
            ciphertext,
            plaintext_len,
        } => with_key(state, &key, |pair| {
            let bytes = openpgp::fmt::hex::decode(&ciphertext)?;
            let ct = mpi::Ciphertext::parse(pair.public().pk_algo(), &bytes[..])?;
            let sk = pair.decrypt(&ct, plaintext_len)?;
            Ok(Response::SessionKey {
                key: openpgp::fmt::hex::encode(&sk[..]),
            })
        }),
        Request::Forget { keys } => Ok(forget(state, &keys)),
        Request::Stop => Ok(Response::Stopping),
    };
    result.unwrap_or_else(|e| Response::Failed {
        message: format!("{e:#}"),
    })
}

fn status(state: &Shared) -> Response {
    let now = Instant::now();
    let mut s = lock(state);
    s.expire(now);
    let mut keys: Vec<KeyStatus> = s
        .keys
        .iter()
        .map(|(fpr, e)| KeyStatus {
            fingerprint: fpr.to_hex(),
            unlocked: e.unlocked_unix,
            last_used: unix_now().saturating_sub(now.duration_since(e.last_used).as_secs()),
            expires: unix_at(e.expires(), now),
            expires_at_most: unix_at(e.unlocked + e.max_ttl, now),
        })
        .collect();
    keys.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
    Response::Status(Status {
        pid: std::process::id(),
        started: s.started,
        core_dumps_disabled: crate::sys::core_dumps_disabled(),
        keys,
    })
}

fn fingerprint(hex: &str) -> Result<Fingerprint> {
    hex.parse::<Fingerprint>()
        .map_err(|_| anyhow!("{hex:?} is not a fingerprint"))
}

fn has(state: &Shared, key: &str) -> Result<Response> {
    let fpr = fingerprint(key)?;
    let mut s = settled(state, &fpr);
    let now = Instant::now();
    s.expire(now);
    Ok(match s.keys.get(&fpr) {
        Some(e) => Response::Unlocked {
            expires: unix_at(e.expires(), now),
        },
        None => Response::Locked,
    })
}

/// A secret key packet from its hex.
fn parse_key(packet: &str) -> Result<Key<SecretParts, UnspecifiedRole>> {
    let bytes = openpgp::fmt::hex::decode(packet)?;
    match openpgp::Packet::from_bytes(&bytes)? {
        // Kept as primary or subkey: a v6 key's protection depends on it.
        openpgp::Packet::SecretKey(k) => Ok(k.role_as_unspecified().clone()),
        openpgp::Packet::SecretSubkey(k) => Ok(k.role_as_unspecified().clone()),
        _ => Err(anyhow!("not a secret key packet")),
    }
}

/// Unlocks the other keys of a certificate with the passphrase that
/// opened one, after the answer: the command waits for its own key only,
/// and a request for a sibling meanwhile waits for it (see [`settled`]).
fn unlock_siblings(
    state: &Shared,
    siblings: Vec<String>,
    mut passphrase: String,
    ttl: u64,
    max_ttl: u64,
    generation: u64,
) {
    let keys: Vec<Key<SecretParts, UnspecifiedRole>> =
        siblings.iter().filter_map(|p| parse_key(p).ok()).collect();
    {
        let mut s = lock(state);
        let fresh: Vec<Fingerprint> = keys
            .iter()
            .map(|k| k.fingerprint())
            .filter(|f| !s.keys.contains_key(f))
            .collect();
        s.pending.extend(fresh);
    }
    let state = state.clone();
    std::thread::spawn(move || {
        for key in keys {
            let fpr = key.fingerprint();
            if lock(&state).pending.contains(&fpr) {
                let _ = unlock_key(&state, key, &passphrase, ttl, max_ttl, generation);
                lock(&state).pending.remove(&fpr);
                state.settled.notify_all();
            }
        }
        crate::sys::wipe(&mut std::mem::take(&mut passphrase).into_bytes());
    });
}

fn unlock(
    state: &Shared,
    packet: &str,
    passphrase: &str,
    ttl: u64,
    max_ttl: u64,
    generation: u64,
) -> Result<Response> {
    unlock_key(
        state,
        parse_key(packet)?,
        passphrase,
        ttl,
        max_ttl,
        generation,
    )
}

/// Unlocks `key` with the passphrase (hex) and keeps it, unless a forget
/// came since `generation`.
fn unlock_key(
    state: &Shared,
    key: Key<SecretParts, UnspecifiedRole>,
    passphrase: &str,
    ttl: u64,
    max_ttl: u64,
    generation: u64,
) -> Result<Response> {
    let mut pw = openpgp::fmt::hex::decode(passphrase)?;
    let password = Password::from(&pw[..]);
    crate::sys::wipe(&mut pw);
    // The password hashing runs without the lock: other clients go on.
    let pair = if key.has_unencrypted_secret() {
        key.into_keypair()?
    } else {
        match key.decrypt_secret(&password) {
            Ok(k) => k.into_keypair()?,
            Err(_) => return Ok(Response::WrongPassphrase),
        }
    };
    let now = Instant::now();
    let max_ttl = Duration::from_secs(max_ttl);
    let entry = Entry {
        unlocked: now,
        unlocked_unix: unix_now(),
        last_used: now,
        ttl: Duration::from_secs(ttl).min(max_ttl),
        max_ttl,
        pair,
    };
    let expires = unix_at(entry.expires(), now);
    let fpr = entry.pair.public().fingerprint();
    let mut s = lock(state);
    if s.generation != generation {
        return Ok(Response::Failed {
            message: "the key was forgotten while it was being unlocked".into(),
        });
    }
    s.keys.insert(fpr, entry);
    Ok(Response::Unlocked { expires })
}

/// Runs `f` on a copy of the unlocked key, outside the lock, and counts
/// it as a use.
fn with_key(
    state: &Shared,
    key: &str,
    f: impl FnOnce(&mut KeyPair) -> Result<Response>,
) -> Result<Response> {
    let fpr = fingerprint(key)?;
    let mut pair = {
        let mut s = settled(state, &fpr);
        let now = Instant::now();
        s.expire(now);
        match s.keys.get_mut(&fpr) {
            Some(e) => {
                e.last_used = now;
                e.pair.clone()
            }
            None => return Ok(Response::Locked),
        }
    };
    f(&mut pair)
}

fn forget(state: &Shared, keys: &[String]) -> Response {
    let mut s = lock(state);
    let before = s.keys.len();
    // Keys being unlocked are dropped when they are done.
    s.generation += 1;
    s.pending.clear();
    if keys.is_empty() {
        s.keys.clear();
    } else {
        let fprs: Vec<Fingerprint> = keys.iter().filter_map(|k| fingerprint(k).ok()).collect();
        s.keys.retain(|f, _| !fprs.contains(f));
    }
    state.settled.notify_all();
    Response::Forgotten {
        count: before - s.keys.len(),
    }
}
