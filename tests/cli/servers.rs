//! Servers the network tests start on the loopback range and stop when
//! dropped: a real keyserver (Debian's sks), and a small web server of our
//! own, plain or over TLS with a CA made for the test, that answers as
//! each test tells it and records every request.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{SslAcceptor, SslMethod};
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509, X509NameBuilder};
use tempfile::TempDir;

// sks -----------------------------------------------------------------------

/// Debian's sks keyserver, with an empty database, serving HKP on
/// 127.0.0.1.
pub struct Sks {
    _dir: TempDir,
    pub port: u16,
    child: Child,
}

impl Sks {
    /// A running sks, or `None` (said on stderr) when it is not installed;
    /// under CI a missing sks is a failure.
    pub fn start() -> Option<Sks> {
        if Command::new("sks").arg("version").output().is_err() {
            if std::env::var_os("CI").is_some() {
                panic!("sks is not installed, and CI is set: scripts/deps.sh --test installs it");
            }
            eprintln!("SKIPPED: sks is not installed (scripts/deps.sh --test installs it)");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("sks")
            .tempdir()
            .expect("sks directory");
        let d = dir.path();
        for sub in ["var/log/sks", "var/run/sks", "var/lib/sks", "var/spool/sks"] {
            std::fs::create_dir_all(d.join(sub)).expect("sks directories");
        }
        std::fs::write(d.join("membership"), "").unwrap();
        std::fs::write(d.join("empty.pgp"), "").unwrap();
        let port = free_port();
        std::fs::write(
            d.join("sksconf"),
            format!(
                "hkp_address: 127.0.0.1\nhkp_port: {port}\nrecon_address: 127.0.0.1\n\
                 recon_port: {}\npagesize: 16\nptree_pagesize: 16\ndisable_mailsync:\n",
                free_port()
            ),
        )
        .unwrap();
        // An empty key database: built from an empty dump.
        let built = Command::new("sks")
            .args(["build", "empty.pgp", "-basedir"])
            .arg(d)
            .args(["-n", "1", "-cache", "10"])
            .current_dir(d)
            .output()
            .expect("run sks build");
        assert!(
            built.status.success(),
            "sks build: {}",
            String::from_utf8_lossy(&built.stderr)
        );
        let child = Command::new("sks")
            .arg("db")
            .arg("-basedir")
            .arg(d)
            .args(["-hkp_address", "127.0.0.1", "-hkp_port", &port.to_string()])
            .current_dir(d)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sks db");
        let sks = Sks {
            _dir: dir,
            port,
            child,
        };
        wait_for(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
        Some(sks)
    }

    /// `hkp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("hkp://127.0.0.1:{}", self.port)
    }
}

impl Drop for Sks {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn wait_for(addr: SocketAddr) {
    let start = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "server on {addr} did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

// A web server ----------------------------------------------------------------

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub host: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Request {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

/// What the server answers.
pub enum Reply {
    /// 200 with a body.
    Ok(Vec<u8>),
    /// Another status, with a body.
    Status(u16, Vec<u8>),
    /// 302 to this location.
    Redirect(String),
    /// Reads the request, then never answers.
    Hang,
    /// 200 and this many bytes, with no length given (read to the close).
    Endless(usize),
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// A web server on the loopback range.
pub struct Web {
    pub addr: IpAddr,
    pub port: u16,
    /// With TLS: the PEM file of the CA that issued its certificate.
    pub ca: Option<PathBuf>,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    _dir: TempDir,
}

/// Loopback addresses for servers on port 443: one each, so tests in
/// parallel do not meet.
static NEXT_ADDR: AtomicU32 = AtomicU32::new(0);

impl Web {
    /// A plain HTTP server on 127.0.0.1 and a free port.
    pub fn http(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Web {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        Web::serve(listener, None, None, Arc::new(handler))
    }

    /// An HTTPS server on port 443 of an address of its own in 127/8, with
    /// a certificate for `hosts` from a CA made here.  Binding port 443
    /// needs root (or CAP_NET_BIND_SERVICE): WKD and VKS URLs have no
    /// port, and `--resolve`, as curl's, changes the address only.
    pub fn https(
        hosts: &[&str],
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> Web {
        let pid = std::process::id();
        let mut tries = 0;
        let listener = loop {
            let n = NEXT_ADDR.fetch_add(1, Ordering::SeqCst);
            let addr = Ipv4Addr::new(
                127,
                80 + (pid % 100) as u8,
                (n / 250) as u8,
                2 + (n % 250) as u8,
            );
            match TcpListener::bind(SocketAddr::new(IpAddr::V4(addr), 443)) {
                Ok(l) => break l,
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => panic!(
                    "binding port 443 needs root, or: sudo sysctl \
                     net.ipv4.ip_unprivileged_port_start=443 ({e})"
                ),
                Err(e) => {
                    tries += 1;
                    assert!(tries < 50, "no loopback address for port 443: {e}");
                }
            }
        };
        let dir = tempfile::tempdir().expect("CA directory");
        let (ca, acceptor) = tls(hosts, dir.path());
        Web::serve(listener, Some(ca), Some((acceptor, dir)), Arc::new(handler))
    }

    fn serve(
        listener: TcpListener,
        ca: Option<PathBuf>,
        tls: Option<(SslAcceptor, TempDir)>,
        handler: Arc<Handler>,
    ) -> Web {
        let local = listener.local_addr().expect("local address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (acceptor, dir) = match tls {
            Some((a, d)) => (Some(Arc::new(a)), d),
            None => (None, tempfile::tempdir().unwrap()),
        };
        let accept = {
            let (requests, stop) = (requests.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (requests, stop, handler, acceptor) = (
                        requests.clone(),
                        stop.clone(),
                        handler.clone(),
                        acceptor.clone(),
                    );
                    std::thread::spawn(move || {
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
                        match acceptor {
                            Some(a) => {
                                if let Ok(s) = a.accept(stream) {
                                    answer(s, &requests, &stop, &*handler);
                                }
                            }
                            None => answer(stream, &requests, &stop, &*handler),
                        }
                    });
                }
            })
        };
        Web {
            addr: local.ip(),
            port: local.port(),
            ca,
            requests,
            stop,
            accept: Some(accept),
            _dir: dir,
        }
    }

    /// `--resolve HOST:443:ADDR` for each host, and `--cacert CA`.
    pub fn client_args(&self, hosts: &[&str]) -> Vec<String> {
        let mut v = Vec::new();
        for h in hosts {
            v.push("--resolve".to_string());
            v.push(format!("{h}:{}:{}", self.port, self.addr));
        }
        if let Some(ca) = &self.ca {
            v.push("--cacert".into());
            v.push(ca.display().to_string());
        }
        v
    }

    /// `hkp://127.0.0.1:PORT` of a plain server.
    pub fn hkp_url(&self) -> String {
        format!("hkp://{}:{}", self.addr, self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Web {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(
            &SocketAddr::new(self.addr, self.port),
            Duration::from_secs(1),
        );
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn answer<S: Read + Write>(
    stream: S,
    requests: &Mutex<Vec<Request>>,
    stop: &AtomicBool,
    handler: &Handler,
) {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let (mut host, mut content_type, mut length) = (String::new(), String::new(), 0usize);
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            let v = v.trim().to_string();
            match k.to_ascii_lowercase().as_str() {
                "host" => host = v,
                "content-type" => content_type = v,
                "content-length" => length = v.parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let request = Request {
        method,
        target,
        host,
        content_type,
        body,
    };
    requests.lock().unwrap().push(request.clone());
    let mut stream = reader.into_inner();
    let (status, extra, body): (u16, String, Vec<u8>) = match handler(&request) {
        Reply::Ok(b) => (200, String::new(), b),
        Reply::Status(s, b) => (s, String::new(), b),
        Reply::Redirect(to) => (302, format!("Location: {to}\r\n"), Vec::new()),
        Reply::Hang => {
            let start = Instant::now();
            while !stop.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(60) {
                std::thread::sleep(Duration::from_millis(50));
            }
            return;
        }
        Reply::Endless(n) => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
            let chunk = vec![0x99u8; 64 << 10];
            let mut sent = 0;
            while sent < n {
                let k = chunk.len().min(n - sent);
                if stream.write_all(&chunk[..k]).is_err() {
                    return;
                }
                sent += k;
            }
            let _ = stream.flush();
            return;
        }
    };
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
    let _ = stream.flush();
}

/// A CA and a server certificate for `hosts`; the CA's PEM file is
/// written to `dir`.
fn tls(hosts: &[&str], dir: &Path) -> (PathBuf, SslAcceptor) {
    fn key() -> PKey<Private> {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
    }
    fn serial() -> openssl::asn1::Asn1Integer {
        let mut bn = BigNum::new().unwrap();
        bn.rand(64, MsbOption::MAYBE_ZERO, false).unwrap();
        bn.to_asn1_integer().unwrap()
    }
    let ca_key = key();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "zpgp test CA").unwrap();
    let ca_name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&serial()).unwrap();
    b.set_subject_name(&ca_name).unwrap();
    b.set_issuer_name(&ca_name).unwrap();
    b.set_pubkey(&ca_key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(2).unwrap())
        .unwrap();
    b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
        .unwrap();
    b.append_extension(
        KeyUsage::new()
            .critical()
            .key_cert_sign()
            .crl_sign()
            .build()
            .unwrap(),
    )
    .unwrap();
    b.sign(&ca_key, MessageDigest::sha256()).unwrap();
    let ca = b.build();

    let leaf_key = key();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", hosts[0]).unwrap();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&serial()).unwrap();
    b.set_subject_name(&name.build()).unwrap();
    b.set_issuer_name(&ca_name).unwrap();
    b.set_pubkey(&leaf_key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(2).unwrap())
        .unwrap();
    let mut san = SubjectAlternativeName::new();
    for h in hosts {
        san.dns(h);
    }
    let san = san.build(&b.x509v3_context(Some(&ca), None)).unwrap();
    b.append_extension(san).unwrap();
    b.append_extension(BasicConstraints::new().build().unwrap())
        .unwrap();
    b.append_extension(ExtendedKeyUsage::new().server_auth().build().unwrap())
        .unwrap();
    b.sign(&ca_key, MessageDigest::sha256()).unwrap();
    let leaf = b.build();

    let ca_path = dir.join("ca.pem");
    std::fs::write(&ca_path, ca.to_pem().unwrap()).unwrap();
    let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
    acceptor.set_private_key(&leaf_key).unwrap();
    acceptor.set_certificate(&leaf).unwrap();
    acceptor.add_extra_chain_cert(ca).unwrap();
    acceptor.check_private_key().unwrap();
    (ca_path, acceptor.build())
}
