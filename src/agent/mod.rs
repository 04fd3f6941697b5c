//! The key agent: a small server, one per keyring home, that keeps secret
//! keys unlocked for a while so that the passphrase is typed once.
//!
//! The client hands the agent a secret key packet as it is stored (still
//! encrypted) with the passphrase the user typed; the agent unlocks it and
//! from then on makes the signatures and decrypts the session keys itself,
//! so an unlocked key never leaves its memory.  That memory is kept out
//! of core files and away from debuggers; a key is zeroed when its time is
//! up, when it is forgotten and when the agent stops.  An agent that dies
//! loses nothing: the keys are on disk, encrypted, and the next command
//! asks for the passphrase again.
//!
//! The socket lives in `$XDG_RUNTIME_DIR/zpgp/` (else `HOME/agent/`), a
//! directory of mode 0700 that must belong to the user; the agent checks
//! every peer's user ID, and the client checks the agent's.
//!
//! This room knows nothing of the keyring, the commands or argv: keys,
//! passphrases and durations come in, signatures and session keys go out.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow};
use sequoia_openpgp as openpgp;

use openpgp::crypto::{Decryptor, Password, SessionKey, Signer, mpi};
use openpgp::packet::Key;
use openpgp::packet::key::{PublicParts, SecretParts, UnspecifiedRole};
use openpgp::serialize::MarshalInto;
use openpgp::types::HashAlgorithm;

pub mod protocol;
mod server;

pub use protocol::{KeyStatus, Status};
use protocol::{MAX_LINE, Request, Response};
pub use server::serve;

/// How long a key stays unlocked since it was last used, by default.
pub const DEFAULT_TTL: Duration = Duration::from_secs(10 * 60);
/// How long a key stays unlocked at most since it was unlocked.
pub const DEFAULT_MAX_TTL: Duration = Duration::from_secs(2 * 60 * 60);

/// How long the client waits for a quick answer (status, sign, decrypt)
/// before it gives up on the agent and works without it.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(3);
/// Unlocking runs the key's password hashing, which Argon2 may make take
/// seconds.
const UNLOCK_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a client waits for an agent it started to listen.
const START_TIMEOUT: Duration = Duration::from_secs(5);

/// Where one home's agent listens.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The private directory (mode 0700) holding the socket and the lock.
    pub dir: PathBuf,
    pub socket: PathBuf,
    /// Held by the running agent for its whole life: one agent per home.
    pub lock: PathBuf,
}

impl Paths {
    /// The agent's place for `home` (an absolute path): in the user's
    /// runtime directory when there is one, named after the home so each
    /// home has its own agent, else inside the home.
    pub fn for_home(home: &Path) -> Paths {
        let runtime = std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .filter(|d| d.is_absolute() && d.is_dir());
        let dir = match runtime {
            Some(r) => r.join("zpgp"),
            None => home.join("agent"),
        };
        let name = format!("agent-{}", home_tag(home));
        Paths {
            socket: dir.join(format!("{name}.sock")),
            lock: dir.join(format!("{name}.lock")),
            dir,
        }
    }

    /// Creates the directory (0700) if needed, and checks that it is the
    /// user's own and private.
    pub fn prepare(&self) -> Result<(), Unsafe> {
        match std::fs::symlink_metadata(&self.dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                use std::os::unix::fs::DirBuilderExt;
                std::fs::DirBuilder::new()
                    .mode(0o700)
                    .create(&self.dir)
                    .or_else(|e| {
                        if e.kind() == std::io::ErrorKind::AlreadyExists {
                            Ok(())
                        } else {
                            Err(Unsafe(format!(
                                "cannot create the agent's directory {}: {e}",
                                self.dir.display()
                            )))
                        }
                    })?;
                self.check()
            }
            Err(e) => Err(Unsafe(format!(
                "cannot read the agent's directory {}: {e}",
                self.dir.display()
            ))),
            Ok(_) => self.check(),
        }
    }

    /// Checks that the directory and (if there) the socket belong to the
    /// user and that no one else may use them.
    pub fn check(&self) -> Result<(), Unsafe> {
        let me = crate::sys::effective_uid();
        private(&self.dir, me, true)?;
        match std::fs::symlink_metadata(&self.socket) {
            Ok(_) => private(&self.socket, me, false),
            Err(_) => Ok(()),
        }
    }
}

/// A 16-hex-digit tag naming a home (a hash of its absolute path).
fn home_tag(home: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let digest = HashAlgorithm::SHA256
        .context()
        .and_then(|c| {
            let mut c = c.for_digest();
            c.update(home.as_os_str().as_bytes());
            c.into_digest()
        })
        .unwrap_or_default();
    openpgp::fmt::hex::encode(&digest[..digest.len().min(8)]).to_lowercase()
}

/// The agent's directory or socket is not safe to use: another user's, or
/// open to others.  The message names the path and the fix.
#[derive(Debug, Clone)]
pub struct Unsafe(pub String);

impl std::fmt::Display for Unsafe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn private(path: &Path, me: u32, dir: bool) -> Result<(), Unsafe> {
    let what = if dir { "directory" } else { "socket" };
    let meta = std::fs::symlink_metadata(path).map_err(|e| {
        Unsafe(format!(
            "cannot read the agent's {what} {}: {e}",
            path.display()
        ))
    })?;
    if meta.file_type().is_symlink() {
        return Err(Unsafe(format!(
            "the agent's {what} {} is a symbolic link; remove it",
            path.display()
        )));
    }
    if meta.uid() != me {
        return Err(Unsafe(format!(
            "the agent's {what} {} belongs to user ID {}, not to you ({me}); remove it, \
             or give another home with --home",
            path.display(),
            meta.uid()
        )));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        let fix = if dir {
            format!("chmod 700 {}", path.display())
        } else {
            format!("remove {} (the agent makes a new one)", path.display())
        };
        return Err(Unsafe(format!(
            "the agent's {what} {} has mode {mode:03o}, open to other users; {fix}",
            path.display()
        )));
    }
    Ok(())
}

/// Why no agent could be used.
#[derive(Debug)]
pub enum Unavailable {
    /// No agent runs (and none was to be started).
    NotRunning,
    /// The directory or socket is not safe: refused.
    Unsafe(Unsafe),
    /// The agent could not be started or does not answer.
    Broken(String),
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unavailable::NotRunning => f.write_str("the agent is not running"),
            Unavailable::Unsafe(u) => u.fmt(f),
            Unavailable::Broken(why) => f.write_str(why),
        }
    }
}

/// A connection to the agent of one home.
pub struct Client {
    writer: UnixStream,
    reader: BufReader<UnixStream>,
    pub paths: Paths,
    /// Why the connection failed, once it has: later requests fail at
    /// once instead of waiting for the timeout again.
    broken: Option<String>,
}

/// A client shared by the keys that talk through it.
pub type SharedClient = Arc<Mutex<Client>>;

impl Client {
    /// Connects to the agent of `home`, starting one (`zpgp --home HOME
    /// agent --serve`, with the program at `exe`) when none runs and
    /// `start` is given.
    pub fn connect(home: &Path, start: Option<&Path>) -> Result<Client, Unavailable> {
        let paths = Paths::for_home(home);
        if std::fs::symlink_metadata(&paths.dir).is_ok() || start.is_some() {
            paths.prepare().map_err(Unavailable::Unsafe)?;
        } else {
            return Err(Unavailable::NotRunning);
        }
        match Self::try_connect(&paths) {
            Ok(c) => return Ok(c),
            Err(Attempt::Failed(u)) => return Err(u),
            Err(Attempt::NoOne) => {}
        }
        let Some(exe) = start else {
            return Err(Unavailable::NotRunning);
        };
        spawn(exe, home).map_err(|e| {
            Unavailable::Broken(format!("cannot start the agent ({}): {e}", exe.display()))
        })?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            std::thread::sleep(Duration::from_millis(3));
            match Self::try_connect(&paths) {
                Ok(c) => return Ok(c),
                Err(Attempt::Failed(u)) => return Err(u),
                Err(Attempt::NoOne) if Instant::now() < deadline => {}
                Err(Attempt::NoOne) => {
                    return Err(Unavailable::Broken(format!(
                        "the agent did not start listening on {} within {} seconds",
                        paths.socket.display(),
                        START_TIMEOUT.as_secs()
                    )));
                }
            }
        }
    }

    fn try_connect(paths: &Paths) -> Result<Client, Attempt> {
        paths
            .check()
            .map_err(|u| Attempt::Failed(Unavailable::Unsafe(u)))?;
        let stream = match UnixStream::connect(&paths.socket) {
            Ok(s) => s,
            // No socket, or one that no agent serves (it died): a new
            // agent cleans it up.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                ) =>
            {
                return Err(Attempt::NoOne);
            }
            Err(e) => {
                return Err(Attempt::Failed(Unavailable::Broken(format!(
                    "cannot connect to the agent at {}: {e}",
                    paths.socket.display()
                ))));
            }
        };
        let me = crate::sys::effective_uid();
        match crate::sys::peer_uid(&stream) {
            Ok(uid) if uid == me => {}
            Ok(uid) => {
                return Err(Attempt::Failed(Unavailable::Unsafe(Unsafe(format!(
                    "the agent at {} runs as user ID {uid}, not as you ({me}); refusing to use it",
                    paths.socket.display()
                )))));
            }
            Err(e) => {
                return Err(Attempt::Failed(Unavailable::Broken(format!(
                    "cannot check who runs the agent at {}: {e}",
                    paths.socket.display()
                ))));
            }
        }
        let reader = stream.try_clone().map_err(|e| {
            Attempt::Failed(Unavailable::Broken(format!(
                "cannot use the agent's socket: {e}"
            )))
        })?;
        Ok(Client {
            writer: stream,
            reader: BufReader::new(reader),
            paths: paths.clone(),
            broken: None,
        })
    }

    /// Whether an earlier request failed on the way (not the agent's
    /// refusal: the connection).
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    /// Sends one request and reads its answer, waiting at most `timeout`.
    fn call(&mut self, request: &Request, timeout: Duration) -> Result<Response> {
        if let Some(why) = &self.broken {
            return Err(anyhow!("{why}"));
        }
        let answer = self.exchange(request, timeout);
        if let Err(e) = &answer {
            self.broken = Some(format!("{e:#}"));
        }
        answer
    }

    fn exchange(&mut self, request: &Request, timeout: Duration) -> Result<Response> {
        let mut line = serde_json::to_vec(request)?;
        line.push(b'\n');
        let sent = self
            .writer
            .set_write_timeout(Some(timeout))
            .and_then(|_| self.writer.write_all(&line));
        crate::sys::wipe(&mut line);
        sent.context("cannot talk to the agent")?;
        self.reader.get_ref().set_read_timeout(Some(timeout))?;
        let mut answer = Vec::new();
        let read = (&mut self.reader)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut answer);
        match read {
            Ok(0) => return Err(anyhow!("the agent closed the connection")),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(anyhow!(
                    "the agent did not answer within {} seconds",
                    timeout.as_secs()
                ));
            }
            Err(e) => return Err(anyhow!(e).context("cannot read the agent's answer")),
        }
        let response = serde_json::from_slice(&answer).context("the agent's answer is garbled");
        crate::sys::wipe(&mut answer);
        response
    }

    pub fn status(&mut self) -> Result<Status> {
        match self.call(&Request::Status, ANSWER_TIMEOUT)? {
            Response::Status(s) => Ok(s),
            other => Err(unexpected(other)),
        }
    }

    /// Whether `key` is unlocked in the agent.
    pub fn has(&mut self, key: &Key<PublicParts, UnspecifiedRole>) -> Result<bool> {
        let request = Request::Has {
            key: key.fingerprint().to_hex(),
        };
        match self.call(&request, ANSWER_TIMEOUT)? {
            Response::Unlocked { .. } => Ok(true),
            Response::Locked => Ok(false),
            other => Err(unexpected(other)),
        }
    }

    /// Unlocks `key` (a `subkey` or a primary key: a v6 key's protection
    /// depends on which) in the agent with `passphrase`: `Ok(false)` when
    /// the passphrase is wrong.
    pub fn unlock(
        &mut self,
        key: &Key<SecretParts, UnspecifiedRole>,
        subkey: bool,
        siblings: &[(&Key<SecretParts, UnspecifiedRole>, bool)],
        passphrase: &Password,
        ttl: Duration,
        max_ttl: Duration,
    ) -> Result<bool> {
        let request = Request::Unlock {
            packet: packet_hex(key, subkey)?,
            siblings: siblings
                .iter()
                .map(|(k, subkey)| packet_hex(k, *subkey))
                .collect::<Result<_>>()?,
            passphrase: passphrase.map(|p| openpgp::fmt::hex::encode(p)),
            ttl: ttl.as_secs(),
            max_ttl: max_ttl.as_secs(),
        };
        let answer = self.call(&request, UNLOCK_TIMEOUT);
        if let Request::Unlock { passphrase, .. } = request {
            crate::sys::wipe(&mut passphrase.into_bytes());
        }
        match answer? {
            Response::Unlocked { .. } => Ok(true),
            Response::WrongPassphrase => Ok(false),
            other => Err(unexpected(other)),
        }
    }

    /// Forgets these keys (all when empty); how many were unlocked.
    pub fn forget(&mut self, keys: &[openpgp::Fingerprint]) -> Result<usize> {
        let request = Request::Forget {
            keys: keys.iter().map(|k| k.to_hex()).collect(),
        };
        match self.call(&request, ANSWER_TIMEOUT)? {
            Response::Forgotten { count } => Ok(count),
            other => Err(unexpected(other)),
        }
    }

    pub fn stop(&mut self) -> Result<()> {
        match self.call(&Request::Stop, ANSWER_TIMEOUT)? {
            Response::Stopping => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    fn sign(
        &mut self,
        key: &Key<PublicParts, UnspecifiedRole>,
        hash: HashAlgorithm,
        digest: &[u8],
    ) -> Result<mpi::Signature> {
        let request = Request::Sign {
            key: key.fingerprint().to_hex(),
            hash: hash.into(),
            digest: openpgp::fmt::hex::encode(digest),
        };
        match self.call(&request, ANSWER_TIMEOUT)? {
            Response::Signature { mpis } => {
                let bytes = openpgp::fmt::hex::decode(&mpis)?;
                mpi::Signature::parse(key.pk_algo(), &bytes[..])
            }
            other => Err(unexpected(other)),
        }
    }

    fn decrypt(
        &mut self,
        key: &Key<PublicParts, UnspecifiedRole>,
        ciphertext: &mpi::Ciphertext,
        plaintext_len: Option<usize>,
    ) -> Result<SessionKey> {
        let request = Request::Decrypt {
            key: key.fingerprint().to_hex(),
            ciphertext: openpgp::fmt::hex::encode(ciphertext.to_vec()?),
            plaintext_len,
        };
        match self.call(&request, ANSWER_TIMEOUT)? {
            Response::SessionKey { key } => {
                let mut bytes = openpgp::fmt::hex::decode(&key)?;
                crate::sys::wipe(&mut key.into_bytes());
                let sk = SessionKey::from(&bytes[..]);
                crate::sys::wipe(&mut bytes);
                Ok(sk)
            }
            other => Err(unexpected(other)),
        }
    }
}

/// A secret key packet, as stored (its secret still encrypted), in hex.
fn packet_hex(key: &Key<SecretParts, UnspecifiedRole>, subkey: bool) -> Result<String> {
    let packet = if subkey {
        openpgp::Packet::from(key.clone().role_into_subordinate())
    } else {
        openpgp::Packet::from(key.clone().role_into_primary())
    };
    Ok(openpgp::fmt::hex::encode(packet.to_vec()?))
}

enum Attempt {
    /// No agent listens.
    NoOne,
    Failed(Unavailable),
}

fn unexpected(answer: Response) -> anyhow::Error {
    match answer {
        Response::Locked => anyhow!(
            "the agent no longer holds the key unlocked (its time ran out); run the command again"
        ),
        Response::Failed { message } => anyhow!("the agent failed: {message}"),
        other => anyhow!("the agent gave an unexpected answer ({other:?})"),
    }
}

/// Starts an agent for `home` in the background: its own session, no
/// standard streams, nothing waited for.
fn spawn(exe: &Path, home: &Path) -> std::io::Result<()> {
    use std::process::{Command, Stdio};
    Command::new(exe)
        .arg("--home")
        .arg(home)
        .arg("agent")
        .arg("--serve")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
}

/// An unlocked key that lives in the agent: signs and decrypts there.
pub struct RemoteKey {
    public: Key<PublicParts, UnspecifiedRole>,
    client: SharedClient,
}

impl RemoteKey {
    pub fn new(public: Key<PublicParts, UnspecifiedRole>, client: SharedClient) -> Self {
        RemoteKey { public, client }
    }
}

impl Signer for RemoteKey {
    fn public(&self) -> &Key<PublicParts, UnspecifiedRole> {
        &self.public
    }

    fn sign(&mut self, hash_algo: HashAlgorithm, digest: &[u8]) -> openpgp::Result<mpi::Signature> {
        self.client
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .sign(&self.public, hash_algo, digest)
    }
}

impl Decryptor for RemoteKey {
    fn public(&self) -> &Key<PublicParts, UnspecifiedRole> {
        &self.public
    }

    fn decrypt(
        &mut self,
        ciphertext: &mpi::Ciphertext,
        plaintext_len: Option<usize>,
    ) -> openpgp::Result<SessionKey> {
        self.client
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .decrypt(&self.public, ciphertext, plaintext_len)
    }
}

/// The agent as a command uses it: the connection and how long keys it
/// unlocks are to stay unlocked.
#[derive(Clone)]
pub struct Handle {
    pub client: SharedClient,
    pub ttl: Duration,
    pub max_ttl: Duration,
}

/// What a command knows of the agent so far.
#[derive(Clone, Default)]
pub enum Slot {
    /// Not looked for yet.
    #[default]
    Untried,
    /// None runs (one may still be started).
    Absent,
    /// Not to be used: turned off, refused, or broken.
    Off,
    Ready(Handle),
}
