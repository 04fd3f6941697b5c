//! The network: Web Key Directories, HKP keyservers and VKS keyservers
//! (keys.openpgp.org), through sequoia-net where it speaks the protocol
//! and our own HTTP client beneath it.
//!
//! Every request goes through [`Http`], so every request has the same
//! guarantees: a time limit, a cap on the answer's size, TLS verified
//! against the system roots (plus `--cacert`), `--resolve` as curl spells
//! it, and no redirect from HTTPS to plain HTTP.  This room knows nothing
//! of the keyring or the command line: URLs and certificates in,
//! certificates and reports out.  Only `fetch`, `publish` and `refresh`
//! build one, so no other command can reach the network.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, Result};
use openpgp::KeyHandle;
use openpgp::cert::{Cert, CertParser};
use openpgp::parse::Parse;
use openpgp::serialize::SerializeInto;
use sequoia_openpgp as openpgp;
use url::Url;

use crate::error::{Error, Failure};

pub mod wkd;

/// The keyserver used when neither `--keyserver` nor the config names one.
pub const DEFAULT_KEYSERVER: &str = "hkps://keys.openpgp.org";

/// The largest answer accepted.  A certificate with a few subkeys and
/// hundreds of certifications is well under 1 MiB; keyservers have served
/// flooded certificates of tens of MiB, which would only slow every later
/// operation on them.
pub const MAX_RESPONSE: u64 = 4 << 20;

/// The default time limit of one request, connection included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How many requests `refresh` keeps in flight at once.
pub const PARALLEL: usize = 4;

/// `--resolve HOST:PORT:ADDRESS`: connect to ADDRESS when a URL names
/// HOST and PORT, as curl does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolve {
    pub host: String,
    pub port: u16,
    pub addr: IpAddr,
}

impl FromStr for Resolve {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        const WANT: &str = "expected HOST:PORT:ADDRESS, e.g. openpgpkey.example.org:443:127.0.0.1";
        let (host, rest) = s.split_once(':').ok_or_else(|| WANT.to_string())?;
        let (port, addr) = rest.split_once(':').ok_or_else(|| WANT.to_string())?;
        if host.is_empty() {
            return Err(WANT.into());
        }
        let port = port
            .parse::<u16>()
            .map_err(|_| format!("{port:?} is not a port number; {WANT}"))?;
        let bare = addr
            .strip_prefix('[')
            .and_then(|a| a.strip_suffix(']'))
            .unwrap_or(addr);
        let addr = bare
            .parse::<IpAddr>()
            .map_err(|_| format!("{addr:?} is not an IP address; {WANT}"))?;
        Ok(Resolve {
            host: host.to_ascii_lowercase(),
            port,
            addr,
        })
    }
}

/// How the client behaves; the command line's network options.
#[derive(Debug, Clone)]
pub struct Settings {
    pub timeout: Duration,
    pub max_response: u64,
    /// PEM files with certificates to trust besides the system's roots.
    pub cacerts: Vec<PathBuf>,
    pub resolve: Vec<Resolve>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timeout: DEFAULT_TIMEOUT,
            max_response: MAX_RESPONSE,
            cacerts: Vec::new(),
            resolve: Vec::new(),
        }
    }
}

/// The HTTP client every request goes through.
pub struct Http {
    settings: Settings,
    roots: Vec<reqwest::Certificate>,
    /// One client per port, each with the `--resolve` entries for that
    /// port: reqwest's overrides apply to a host on every port, curl's to
    /// one host and port.
    clients: Mutex<HashMap<u16, reqwest::Client>>,
}

/// A runtime and a client: what a network command holds.
pub struct Net {
    rt: tokio::runtime::Runtime,
    pub http: Arc<Http>,
}

impl Net {
    pub fn new(settings: Settings) -> Result<Net> {
        let mut roots = Vec::new();
        for path in &settings.cacerts {
            let pem = std::fs::read(path)
                .map_err(|e| crate::error::unreadable(path, e))
                .context("--cacert")?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                Error::new(
                    Failure::BadData,
                    format!("{} holds no PEM certificate: {e}", path.display()),
                )
            })?;
            if certs.is_empty() {
                return Err(Error::new(
                    Failure::BadData,
                    format!("{} holds no PEM certificate", path.display()),
                )
                .into());
            }
            roots.extend(certs);
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the network runtime")?;
        Ok(Net {
            rt,
            http: Arc::new(Http {
                settings,
                roots,
                clients: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Runs requests to completion on this thread.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
}

/// What went wrong with a request, for the error's words and exit code.
fn describe(url: &Url, e: &reqwest::Error) -> Error {
    let target = origin(url);
    let mut causes = Vec::new();
    let mut dns = false;
    for s in std::iter::successors(std::error::Error::source(e), |s| s.source()) {
        let text = s.to_string();
        dns |= text.starts_with("dns error");
        // hyper's wrappers say nothing the causes beneath them do not.
        let wrapper = text.starts_with("client error (") || text == "dns error";
        if !wrapper && !causes.iter().any(|c: &String| c.contains(&text)) {
            causes.push(text);
        }
    }
    let detail = causes.join(": ");
    if dns {
        return Error::new(
            Failure::Network,
            format!(
                "{NO_SUCH_HOST} {}: {detail}",
                url.host_str().unwrap_or_default()
            ),
        );
    }
    let tls = detail.contains("certificate")
        || detail.contains("SSL")
        || detail.contains("ssl")
        || detail.contains("handshake");
    let message = if tls {
        format!("TLS with {target} failed: {detail}")
    } else if e.is_redirect() {
        format!("{target} redirected badly: {detail}")
    } else if e.is_connect() {
        format!("cannot connect to {target}: {detail}")
    } else if detail.is_empty() {
        format!("the request to {target} failed: {e}")
    } else {
        format!("the request to {target} failed: {detail}")
    };
    Error::new(Failure::Network, message)
}

/// How an error about a name DNS does not know begins.
const NO_SUCH_HOST: &str = "DNS does not know";

/// Whether a request failed because DNS does not know the host: for WKD,
/// the usual sign that a domain has no directory.
pub fn is_no_such_host(e: &anyhow::Error) -> bool {
    e.to_string().starts_with(NO_SUCH_HOST)
}

/// `https://host:port` of a URL, for messages.
pub fn origin(url: &Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{}://{h}:{p}", url.scheme()),
        (Some(h), None) => format!("{}://{h}", url.scheme()),
        _ => url.to_string(),
    }
}

impl Http {
    fn client(&self, port: u16) -> Result<reqwest::Client> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = clients.get(&port) {
            return Ok(c.clone());
        }
        let mut b = reqwest::Client::builder()
            .timeout(self.settings.timeout)
            .connect_timeout(self.settings.timeout)
            .user_agent(concat!("zpgp/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let from_https = attempt
                    .previous()
                    .last()
                    .is_some_and(|u| u.scheme() == "https");
                let scheme = attempt.url().scheme().to_string();
                if attempt.previous().len() >= 5 {
                    attempt.error("more than 5 redirects")
                } else if from_https && scheme != "https" {
                    attempt.error(format!("refused a redirect from HTTPS to {scheme}"))
                } else {
                    attempt.follow()
                }
            }));
        for root in &self.roots {
            b = b.add_root_certificate(root.clone());
        }
        for r in self.settings.resolve.iter().filter(|r| r.port == port) {
            b = b.resolve(&r.host, SocketAddr::new(r.addr, port));
        }
        let c = b.build().context("cannot set up the HTTP client")?;
        clients.insert(port, c.clone());
        Ok(c)
    }

    fn client_for(&self, url: &Url) -> Result<reqwest::Client> {
        self.client(url.port_or_known_default().unwrap_or(443))
    }

    /// Sends a request and reads the answer, at most `max_response`
    /// bytes.  404 is [`Failure::KeyNotFound`]; any other status but 200
    /// is a network failure naming it.
    async fn send(&self, url: &Url, req: reqwest::RequestBuilder) -> Result<Vec<u8>> {
        let timeout = self.settings.timeout;
        let mut res = req.send().await.map_err(|e| self.explain(url, &e))?;
        let status = res.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(Error::new(
                Failure::KeyNotFound,
                format!("{} has no such key", origin(url)),
            )
            .into());
        }
        if !status.is_success() {
            return Err(Error::new(
                Failure::Network,
                format!("{} answered {status}", origin(url)),
            )
            .into());
        }
        let max = self.settings.max_response;
        let too_large = || {
            Error::new(
                Failure::BadData,
                format!(
                    "the answer from {} is larger than {} MiB; refused",
                    origin(url),
                    max >> 20
                ),
            )
        };
        if res.content_length().is_some_and(|n| n > max) {
            return Err(too_large().into());
        }
        let mut body = Vec::new();
        loop {
            match res.chunk().await {
                Ok(Some(chunk)) => {
                    if (body.len() + chunk.len()) as u64 > max {
                        return Err(too_large().into());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    let mut err = self.explain(url, &e);
                    if e.is_timeout() {
                        err.message = format!(
                            "{} did not finish its answer within {} s (--timeout)",
                            origin(url),
                            timeout.as_secs()
                        );
                    }
                    return Err(err.into());
                }
            }
        }
        Ok(body)
    }

    fn explain(&self, url: &Url, e: &reqwest::Error) -> Error {
        let mut err = describe(url, e);
        if e.is_timeout() {
            err.message = format!(
                "{} did not answer within {} s (--timeout)",
                origin(url),
                self.settings.timeout.as_secs()
            );
        }
        err
    }

    pub async fn get(&self, url: &Url) -> Result<Vec<u8>> {
        let req = self.client_for(url)?.get(url.clone());
        self.send(url, req).await
    }

    pub async fn post(&self, url: &Url, content_type: &str, body: Vec<u8>) -> Result<Vec<u8>> {
        let req = self
            .client_for(url)?
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        self.send(url, req).await
    }
}

/// sequoia-net's requests go through [`Http`] too.
struct Client(Arc<Http>);

impl sequoia_net::HttpClient for Client {
    fn get(
        &'_ self,
        url: Url,
    ) -> Box<dyn std::future::Future<Output = sequoia_net::Result<Vec<u8>>> + Send + '_> {
        Box::new(async move { self.0.get(&url).await })
    }

    fn post(
        &'_ self,
        url: Url,
        post_data: Vec<u8>,
    ) -> Box<dyn std::future::Future<Output = sequoia_net::Result<()>> + Send + '_> {
        Box::new(async move {
            self.0
                .post(&url, "application/x-www-form-urlencoded", post_data)
                .await
                .map(drop)
        })
    }
}

/// What a server answered: the certificates it gave, and the ones it gave
/// that could not be read (each with why).
#[derive(Debug, Default)]
pub struct Answer {
    pub url: String,
    pub certs: Vec<Cert>,
    pub unreadable: Vec<String>,
}

impl Answer {
    /// Reads an answer's body: every certificate in it, each damaged one
    /// named.  A body with no OpenPGP data at all is bad data.
    pub fn parse(url: String, body: &[u8]) -> Result<Answer> {
        let not_openpgp = || {
            Error::new(
                Failure::BadData,
                format!("the answer from {url} is not OpenPGP key data"),
            )
        };
        let parser = CertParser::from_bytes(body).map_err(|_| not_openpgp())?;
        Answer::checked(url, parser.collect())
    }

    /// An answer from certificates as parsed: at least one must be whole.
    fn checked(url: String, results: Vec<Result<Cert>>) -> Result<Answer> {
        let answer = Answer::from_results(url.clone(), results);
        if answer.certs.is_empty() {
            let mut e = Error::new(
                Failure::BadData,
                format!("the answer from {url} is not OpenPGP key data"),
            );
            if let Some(why) = answer.unreadable.first() {
                e.message = format!("{}: {why}", e.message);
            }
            return Err(e.into());
        }
        Ok(answer)
    }

    fn from_results(url: String, results: Vec<Result<Cert>>) -> Answer {
        let mut answer = Answer {
            url,
            ..Answer::default()
        };
        for (i, r) in results.into_iter().enumerate() {
            match r {
                Ok(c) => answer.certs.push(c),
                Err(e) => answer
                    .unreadable
                    .push(format!("certificate {} in the answer: {e}", i + 1)),
            }
        }
        answer
    }
}

/// A keyserver, by the protocol its URL names.
#[derive(Clone)]
pub enum Keyserver {
    /// `hkp://` (plain HTTP, port 11371 by default) or `hkps://`.
    Hkp {
        url: Url,
        server: sequoia_net::KeyServer,
        http: Arc<Http>,
    },
    /// `https://`: the Verifying Keyserver API of keys.openpgp.org.
    Vks { url: Url, http: Arc<Http> },
}

/// What a VKS upload or verification request answered.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Upload {
    pub key_fpr: String,
    pub token: String,
    /// Each address of the key, with its state: "unpublished",
    /// "pending", "published" or "revoked".
    pub status: std::collections::BTreeMap<String, String>,
}

impl Keyserver {
    /// A keyserver from its URL: `hkp://`, `hkps://` or `https://` (VKS).
    pub fn new(spec: &str, http: Arc<Http>) -> Result<Keyserver> {
        let bad = |why: &str| {
            Error::new(Failure::Usage, format!("keyserver {spec:?}: {why}")).hint(
                "a keyserver is hkps://HOST, hkp://HOST[:PORT] or https://HOST \
                 (the keys.openpgp.org API)",
            )
        };
        let url = Url::parse(spec).map_err(|e| bad(&e.to_string()))?;
        if url.host_str().is_none() {
            return Err(bad("no host").into());
        }
        match url.scheme() {
            "hkp" | "hkps" => {
                let server =
                    sequoia_net::KeyServer::with_client(spec, Box::new(Client(http.clone())))
                        .map_err(|e| bad(&e.to_string()))?;
                Ok(Keyserver::Hkp { url, server, http })
            }
            "https" => Ok(Keyserver::Vks { url, http }),
            "http" => Err(
                bad("plain http:// is not a keyserver protocol zpgp speaks; \
                 use hkp:// for an HKP server without TLS")
                .into(),
            ),
            other => Err(bad(&format!("unknown scheme {other}:")).into()),
        }
    }

    /// The URL as the user gave it.
    pub fn url(&self) -> &Url {
        match self {
            Keyserver::Hkp { url, .. } | Keyserver::Vks { url, .. } => url,
        }
    }

    pub fn name(&self) -> String {
        self.url().as_str().trim_end_matches('/').to_string()
    }

    /// The base of the VKS API, when the server has one: `https://` URLs,
    /// and keys.openpgp.org, which speaks HKP and VKS alike.
    pub fn vks_base(&self) -> Option<Url> {
        match self {
            Keyserver::Vks { url, .. } => Some(url.clone()),
            Keyserver::Hkp { url, .. }
                if url.scheme() == "hkps" && url.host_str() == Some("keys.openpgp.org") =>
            {
                Url::parse("https://keys.openpgp.org/").ok()
            }
            Keyserver::Hkp { .. } => None,
        }
    }

    fn http(&self) -> &Arc<Http> {
        match self {
            Keyserver::Hkp { http, .. } | Keyserver::Vks { http, .. } => http,
        }
    }

    async fn vks_get(&self, base: &Url, path: &str) -> Result<Answer> {
        let url = base
            .join(path)
            .with_context(|| format!("cannot make a URL from {base} and {path}"))?;
        let body = self.http().get(&url).await?;
        Answer::parse(self.name(), &body)
    }

    /// The certificate with this fingerprint, or with a key of this key ID.
    pub async fn by_handle(&self, handle: KeyHandle) -> Result<Answer> {
        match self {
            Keyserver::Hkp { server, .. } => Answer::checked(
                self.name(),
                server.get(handle).await.map_err(|e| self.bad_answer(e))?,
            ),
            Keyserver::Vks { url, .. } => {
                let path = match &handle {
                    KeyHandle::Fingerprint(f) => format!("vks/v1/by-fingerprint/{f:X}"),
                    KeyHandle::KeyID(k) => format!("vks/v1/by-keyid/{k:X}"),
                };
                self.vks_get(url, &path).await
            }
        }
    }

    pub async fn by_email(&self, email: &str) -> Result<Answer> {
        match self {
            Keyserver::Hkp { server, .. } => {
                let uid = openpgp::packet::UserID::from(format!("<{email}>"));
                Answer::checked(
                    self.name(),
                    server.search(uid).await.map_err(|e| self.bad_answer(e))?,
                )
            }
            Keyserver::Vks { url, .. } => {
                let enc: String = url::form_urlencoded::byte_serialize(email.as_bytes()).collect();
                self.vks_get(url, &format!("vks/v1/by-email/{enc}")).await
            }
        }
    }

    /// sequoia-net's errors pass ours through; what else it says is about
    /// the answer it could not read.
    fn bad_answer(&self, e: anyhow::Error) -> anyhow::Error {
        if crate::error::failure_of(&e).is_some() {
            e
        } else {
            Error::new(
                Failure::BadData,
                format!(
                    "the answer from {} is not OpenPGP key data: {e}",
                    self.name()
                ),
            )
            .into()
        }
    }

    /// Uploads a certificate (its public part: the caller has stripped it).
    /// A VKS server answers with a token and the state of each address;
    /// an HKP server only with success.
    pub async fn upload(&self, cert: &Cert) -> Result<Option<Upload>> {
        if cert.is_tsk() {
            return Err(Error::new(
                Failure::Usage,
                "refusing to upload secret key material to a keyserver",
            )
            .into());
        }
        if let Some(base) = self.vks_base() {
            let armored = String::from_utf8(cert.armored().to_vec()?)
                .context("cannot armor the certificate")?;
            let body = serde_json::to_vec(&serde_json::json!({ "keytext": armored }))?;
            let url = base.join("vks/v1/upload")?;
            let answer = self.http().post(&url, "application/json", body).await?;
            return Ok(Some(self.upload_answer(&answer)?));
        }
        match self {
            Keyserver::Hkp { server, .. } => {
                server.send(cert).await.map_err(|e| self.bad_answer(e))?;
                Ok(None)
            }
            Keyserver::Vks { .. } => unreachable!("a VKS server has a VKS base"),
        }
    }

    /// Asks a VKS server to mail the verification links for `addresses`.
    pub async fn request_verify(&self, token: &str, addresses: &[String]) -> Result<Upload> {
        let base = self.vks_base().ok_or_else(|| {
            Error::new(
                Failure::Usage,
                format!("{} is not a VKS server", self.name()),
            )
        })?;
        let body = serde_json::to_vec(&serde_json::json!({
            "token": token,
            "addresses": addresses,
            "locale": ["en"],
        }))?;
        let url = base.join("vks/v1/request-verify")?;
        let answer = self.http().post(&url, "application/json", body).await?;
        self.upload_answer(&answer)
    }

    fn upload_answer(&self, body: &[u8]) -> Result<Upload> {
        serde_json::from_slice(body).map_err(|e| {
            Error::new(
                Failure::Network,
                format!(
                    "{} answered the upload with something that is not the VKS reply: {e}",
                    self.name()
                ),
            )
            .into()
        })
    }
}

/// A certificate's public part as it may leave this machine: no secret
/// key material, no local certifications (nor what only they bind).
pub fn exportable(cert: &Cert) -> Result<Cert> {
    let bytes = cert
        .clone()
        .strip_secret_key_material()
        .export_to_vec()
        .context("cannot serialize the certificate")?;
    Cert::from_bytes(&bytes).context("cannot serialize the certificate")
}
