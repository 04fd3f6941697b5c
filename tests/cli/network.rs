//! fetch, publish, refresh and wkd export against real servers on the
//! loopback range: Debian's sks keyserver, GnuPG talking to it, and a web
//! server of the test's own for WKD (over TLS, with a CA made here) and for
//! the keys.openpgp.org API.  Nothing reaches any other address: every
//! host name a test uses is pinned with --resolve.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use openpgp::cert::prelude::*;
use openpgp::parse::Parse;
use openpgp::serialize::SerializeInto;
use predicates::prelude::*;
use predicates::str::contains;
use sequoia_openpgp as openpgp;

use super::harness::*;
use super::servers::*;

const WKD_HOSTS: &[&str] = &["openpgpkey.example.org", "example.org"];

/// A key for "Name <name@example.org>" (and any more addresses) in a home
/// of its own; its fingerprint.
fn person(env: &Env, name: &str, more: &[&str]) -> String {
    let email = format!("{}@example.org", name.to_lowercase());
    let mut args = vec!["--name", name, "--email", &email, "--profile", "rfc4880"];
    for m in more {
        args.push("--email");
        args.push(m);
    }
    env.generate(&args)
}

/// A certificate on file, as binary OpenPGP.
fn exported(env: &Env, query: &str) -> Vec<u8> {
    let out = env
        .zpgp()
        .args(["export", "--binary", query])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The certificate `fpr` in a home, parsed.
fn on_file(env: &Env, fpr: &str) -> Option<Cert> {
    let out = env
        .zpgp()
        .args(["export", "--binary", fpr])
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| Cert::from_bytes(&out.stdout).expect("a certificate"))
}

fn userids(cert: &Cert) -> Vec<String> {
    cert.userids()
        .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
        .collect()
}

/// A web server answering files under `root` (a WKD tree).
fn serve_dir(root: &Path, r: &Request) -> Reply {
    let rel = r.path().trim_start_matches('/');
    match std::fs::read(root.join(rel)) {
        Ok(data) if !rel.is_empty() => Reply::Ok(data),
        _ => Reply::Status(404, b"not here".to_vec()),
    }
}

/// Runs a command that must succeed (else fails, showing its stderr).
fn succeeded(cmd: &mut assert_cmd::Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    out
}

/// `fetch --from wkd alice@example.org` through `web`, successful.
fn fetch_alice_by_wkd(mut cmd: assert_cmd::Command, web: &Web) -> assert_cmd::assert::Assert {
    cmd.args(["fetch", "--from", "wkd", "alice@example.org"])
        .args(web.client_args(WKD_HOSTS))
        .assert()
        .success()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

// A real keyserver -------------------------------------------------------------

#[test]
fn publish_then_fetch_by_fingerprint_and_email_on_a_real_keyserver() {
    let Some(sks) = Sks::start() else { return };
    let alice = Env::new();
    let fpr = person(&alice, "Alice", &[]);
    alice
        .zpgp()
        .args(["publish", "alice@example.org", "--keyserver", &sks.url()])
        .assert()
        .success()
        .stderr(has(&[&format!("uploaded {fpr} to {}", sks.url())]));

    // By fingerprint: imported with import's report, where from, and the
    // reminder that it is not authenticated.
    let bob = Env::new();
    person(&bob, "Bob", &[]);
    let out = succeeded(
        bob.zpgp()
            .args(["--json", "fetch", &fpr, "--keyserver", &sks.url()]),
    );
    let report = json(&out.stdout);
    assert_eq!(report["new"], 1, "{report}");
    assert_eq!(report["certificates"][0]["fingerprint"], fpr.as_str());
    assert!(
        report["certificates"][0]["source"]
            .as_str()
            .unwrap()
            .contains(&sks.url()),
        "{report}"
    );
    assert!(stderr_of(&out).contains("not authenticated"));
    // Shown as not authenticated.
    bob.zpgp()
        .args(["list", "alice@example.org"])
        .assert()
        .success()
        .stdout(contains(fpr.as_str()).and(contains("[  none  ]").or(contains("unknown"))));

    // By email, through the config file's keyserver: the same key,
    // unchanged.
    bob.zpgp()
        .args(["config", "set", "keyserver", &sks.url()])
        .assert()
        .success();
    bob.zpgp()
        .args(["fetch", "--from", "keyserver", "alice@example.org"])
        .assert()
        .success()
        .stderr(has(&["unchanged", &fpr, "from"]));

    // Nothing there: exit 4, naming the server.
    bob.zpgp()
        .args(["fetch", "--from", "keyserver", "carol@example.org"])
        .assert()
        .code(4)
        .stderr(error_has(&[
            "no key found for carol@example.org",
            "127.0.0.1",
        ]));

    // A dry run imports nothing.
    let carol = Env::new();
    carol
        .zpgp()
        .args(["fetch", "--dry-run", &fpr, "--keyserver", &sks.url()])
        .assert()
        .success()
        .stderr(has(&["would import new", &fpr, "nothing was changed"]));
    assert!(on_file(&carol, &fpr).is_none());
}

#[test]
fn refresh_picks_up_a_new_subkey_and_a_revocation_from_the_keyserver() {
    let Some(sks) = Sks::start() else { return };
    let alice = User::new("Alice");
    let bob = User::new("Bob");
    let ks = sks.url();
    alice
        .zpgp()
        .args(["publish", &alice.fpr, "--keyserver", &ks])
        .assert()
        .success();
    bob.zpgp()
        .args(["fetch", &alice.fpr, "--keyserver", &ks])
        .assert()
        .success();
    bob.zpgp()
        .args(["refresh", "--from", "keyserver", "--keyserver", &ks])
        .assert()
        .success()
        .stderr(has(&[
            "2 certificates checked: 0 updated, 1 unchanged, 1 not found",
        ]));

    // A new subkey, published after Bob's fetch.
    alice
        .zpgp_pw()
        .args(["subkey", "add", &alice.fpr, "--for", "sign"])
        .assert()
        .success();
    alice
        .zpgp()
        .args(["publish", &alice.fpr, "--keyserver", &ks])
        .assert()
        .success();
    let out = succeeded(bob.zpgp().args([
        "--json",
        "refresh",
        &alice.fpr,
        "--keyserver",
        &ks,
        "--from",
        "keyserver",
    ]));
    let report = json(&out.stdout);
    assert_eq!(report["updated"], 1, "{report}");
    assert_eq!(
        report["certificates"][0]["changes"][0]["kind"], "new_subkey",
        "{report}"
    );
    assert!(stderr_of(&out).contains("new subkey"));

    // The revocation, uploaded after that: listed first.
    alice
        .zpgp_pw()
        .args(["revoke", &alice.fpr, "--reason", "retired", "--yes"])
        .assert()
        .success();
    alice
        .zpgp()
        .args(["publish", &alice.fpr, "--keyserver", &ks])
        .assert()
        .success()
        .stderr(has(&["the revocation of"]));
    let out = succeeded(bob.zpgp().args([
        "--json",
        "refresh",
        "--keyserver",
        &ks,
        "--from",
        "keyserver",
    ]));
    let report = json(&out.stdout);
    let alice_row = report["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["fingerprint"] == alice.fpr.as_str())
        .unwrap()
        .clone();
    assert_eq!(alice_row["status"], "updated", "{report}");
    assert_eq!(alice_row["changes"][0]["kind"], "revoked", "{report}");
    let text = stderr_of(&out);
    assert!(
        text.contains("revoked") && text.contains("retired"),
        "{text}"
    );
    bob.zpgp()
        .args(["encrypt", "-r", &alice.fpr])
        .write_stdin("x")
        .assert()
        .failure()
        .stderr(contains("revoked"));
}

#[test]
fn gnupg_and_zpgp_share_a_keyserver() {
    let Some(sks) = Sks::start() else { return };
    let Some(gpg) = Gpg::new() else { return };
    let alice = Env::new();
    let fpr = person(&alice, "Alice", &[]);
    alice
        .zpgp()
        .args(["publish", &fpr, "--keyserver", &sks.url()])
        .assert()
        .success();
    let mut c = gpg.cmd();
    c.args(["--keyserver", &sks.url(), "--recv-keys", &fpr]);
    let out = gpg.ok(c);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("imported"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut c = gpg.cmd();
    c.args(["--list-keys", &fpr]);
    gpg.ok(c);

    let carol = gpg.generate("Carol <carol@example.org>", "future-default", "");
    let mut c = gpg.cmd();
    c.args(["--keyserver", &sks.url(), "--send-keys", &carol]);
    gpg.ok(c);
    alice
        .zpgp()
        .args(["fetch", &carol, "--keyserver", &sks.url()])
        .assert()
        .success()
        .stderr(has(&["new", &carol, "Carol <carol@example.org>"]));
    alice
        .zpgp()
        .args([
            "fetch",
            "carol@example.org",
            "--from",
            "keyserver",
            "--keyserver",
            &sks.url(),
        ])
        .assert()
        .success()
        .stderr(has(&["unchanged", &carol]));
}

// WKD over TLS ------------------------------------------------------------------

#[test]
fn wkd_export_is_served_and_fetched_by_the_advanced_method() {
    let alice = Env::new();
    let fpr = person(&alice, "Alice", &["alice@other.net"]);
    person(&alice, "Dora", &[]);
    let root = alice.path("wkd-root");
    let out = succeeded(
        alice
            .zpgp()
            .args(["--json", "wkd", "export"])
            .arg(&root)
            .args(["--domain", "example.org"]),
    );
    let report = json(&out.stdout);
    assert_eq!(report["addresses"].as_array().unwrap().len(), 2, "{report}");
    assert!(stderr_of(&out).contains("https://openpgpkey.example.org/"));
    let base = root.join(".well-known/openpgpkey/example.org");
    assert!(base.join("policy").is_file());
    let files: Vec<PathBuf> = std::fs::read_dir(base.join("hu"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 2);
    // Only the domain's user IDs are published.
    for f in &files {
        let cert = Cert::from_file(f).unwrap();
        assert!(
            userids(&cert).iter().all(|u| u.contains("@example.org")),
            "{:?}",
            userids(&cert)
        );
    }

    let served = root.clone();
    let web = Web::https(WKD_HOSTS, move |r| serve_dir(&served, r));
    let bob = Env::new();
    fetch_alice_by_wkd(bob.zpgp(), &web).stderr(has(&[
        "new",
        &fpr,
        "WKD (advanced) https://openpgpkey.example.org:443",
    ]));
    let first = &web.requests()[0];
    assert_eq!(first.host, "openpgpkey.example.org");
    assert!(
        first
            .target
            .starts_with("/.well-known/openpgpkey/example.org/hu/")
            && first.target.ends_with("?l=alice"),
        "{first:?}"
    );
    assert_eq!(
        userids(&on_file(&bob, &fpr).unwrap()),
        ["Alice <alice@example.org>"]
    );
}

#[test]
fn wkd_keeps_only_the_domains_user_ids_and_refuses_other_addresses() {
    let alice = Env::new();
    let fpr = person(&alice, "Alice", &["alice@other.net"]);
    let carol = Env::new();
    let carol_fpr = person(&carol, "Carol", &[]);
    // The server answers with every user ID; the client keeps the domain's.
    let (alice_cert, carol_cert) = (exported(&alice, &fpr), exported(&carol, &carol_fpr));
    let web = Web::https(WKD_HOSTS, move |r| {
        if r.target.ends_with("?l=alice") {
            Reply::Ok(alice_cert.clone())
        } else if r.target.ends_with("?l=eve") {
            Reply::Ok(carol_cert.clone())
        } else {
            Reply::Status(404, Vec::new())
        }
    });
    let bob = Env::new();
    fetch_alice_by_wkd(bob.zpgp(), &web);
    assert_eq!(
        userids(&on_file(&bob, &fpr).unwrap()),
        ["Alice <alice@example.org>"]
    );

    // A certificate that lacks the address asked for is refused.
    bob.zpgp()
        .args(["fetch", "--from", "wkd", "eve@example.org"])
        .args(web.client_args(WKD_HOSTS))
        .assert()
        .code(41)
        .stderr(has(&[
            "rejected",
            &carol_fpr,
            "no user ID for eve@example.org",
        ]));
    assert!(on_file(&bob, &carol_fpr).is_none());

    // Not there, by either method: exit 4, naming both.
    bob.zpgp()
        .args(["fetch", "--from", "wkd", "nobody@example.org"])
        .args(web.client_args(WKD_HOSTS))
        .assert()
        .code(4)
        .stderr(error_has(&["advanced method", "direct method"]));
}

#[test]
fn wkd_falls_back_to_the_direct_method() {
    let alice = Env::new();
    let fpr = person(&alice, "Alice", &[]);
    let root = alice.path("direct-root");
    alice
        .zpgp()
        .args(["wkd", "export"])
        .arg(&root)
        .args(["--domain", "example.org", "--direct"])
        .assert()
        .success()
        .stderr(has(&["https://example.org/"]));
    assert!(root.join(".well-known/openpgpkey/policy").is_file());
    let served = root.clone();
    let web = Web::https(WKD_HOSTS, move |r| {
        if r.host == "openpgpkey.example.org" {
            Reply::Status(404, Vec::new())
        } else {
            serve_dir(&served, r)
        }
    });
    let bob = Env::new();
    fetch_alice_by_wkd(bob.zpgp(), &web).stderr(has(&[
        "new",
        &fpr,
        "WKD (direct) https://example.org:443",
    ]));
    let hosts: Vec<String> = web.requests().into_iter().map(|r| r.host).collect();
    assert_eq!(hosts, ["openpgpkey.example.org", "example.org"]);
}

#[test]
fn wkd_redirects_huge_answers_garbage_and_silence() {
    let alice = Env::new();
    let fpr = person(&alice, "Alice", &[]);
    let cert = exported(&alice, &fpr);
    let web = Web::https(WKD_HOSTS, move |r| {
        let local = r.target.rsplit("?l=").next().unwrap_or("");
        match (r.path(), local) {
            ("/moved", _) => Reply::Ok(cert.clone()),
            (_, "alice") => Reply::Redirect("/moved".into()),
            (_, "down") => Reply::Redirect(format!("http://{}/moved", r.host)),
            (_, "huge") => Reply::Endless(5 << 20),
            (_, "garbage") => Reply::Ok(b"<html><body>no keys here</body></html>".to_vec()),
            (_, "silent") => Reply::Hang,
            _ => Reply::Status(404, Vec::new()),
        }
    });
    let bob = Env::new();
    let fetch = |who: &str| {
        let mut c = bob.zpgp();
        c.args(["fetch", "--from", "wkd", "--timeout", "2", who])
            .args(web.client_args(WKD_HOSTS));
        c
    };
    // A redirect within HTTPS is followed.
    fetch("alice@example.org")
        .assert()
        .success()
        .stderr(has(&["new", &fpr]));
    // One to plain HTTP is refused.
    fetch("down@example.org")
        .assert()
        .code(7)
        .stderr(error_has(&["refused a redirect from HTTPS to http"]));
    // More than the cap is refused, whether or not the length is said.
    fetch("huge@example.org")
        .assert()
        .code(41)
        .stderr(error_has(&["larger than 4 MiB; refused"]));
    // What is not OpenPGP is bad data.
    fetch("garbage@example.org")
        .assert()
        .code(41)
        .stderr(error_has(&["not OpenPGP key data"]));
    // A server that never answers: the timeout, for each method.
    let start = Instant::now();
    fetch("silent@example.org")
        .assert()
        .code(7)
        .stderr(error_has(&["did not answer within 2 s (--timeout)"]));
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn tls_failures_name_the_host_and_never_fall_back_to_plain_http() {
    let web = Web::https(WKD_HOSTS, |_| Reply::Status(404, Vec::new()));
    let bob = Env::new();
    // Without --cacert the test CA is unknown.
    let mut args = Vec::new();
    for h in WKD_HOSTS {
        args.push("--resolve".to_string());
        args.push(format!("{h}:443:{}", web.addr));
    }
    bob.zpgp()
        .args(["fetch", "--from", "wkd", "alice@example.org"])
        .args(&args)
        .assert()
        .code(7)
        .stderr(error_has(&[
            "TLS with https://openpgpkey.example.org:443 failed",
            "TLS with https://example.org:443 failed",
            "certificate verify failed",
        ]));
    assert!(web.requests().is_empty(), "{:?}", web.requests());
    // A --cacert that is not a certificate is named.
    let junk = bob.write("junk.pem", "not a certificate");
    bob.zpgp()
        .args(["fetch", "alice@example.org", "--cacert"])
        .arg(&junk)
        .assert()
        .code(41)
        .stderr(error_has(&["junk.pem holds no PEM certificate"]));
}

#[test]
fn unreachable_servers_and_bad_options_are_clear() {
    let bob = Env::new();
    let port = free_port();
    bob.zpgp()
        .args([
            "fetch",
            "0x963FD9FAFF284BDF795108FBD78934721464A7C8",
            "--keyserver",
            &format!("hkp://127.0.0.1:{port}"),
        ])
        .assert()
        .code(7)
        .stderr(error_has(&[
            "cannot look up 963FD9FAFF284BDF795108FBD78934721464A7C8",
            &format!("cannot connect to http://127.0.0.1:{port}"),
        ]));
    bob.zpgp()
        .args([
            "fetch",
            "alice@example.org",
            "--keyserver",
            "ftp://example.org",
        ])
        .assert()
        .code(2)
        .stderr(error_has(&["unknown scheme ftp:"]));
    bob.zpgp()
        .args(["fetch", "Alice Liddell"])
        .assert()
        .code(2)
        .stderr(error_has(&["email address, a fingerprint or a key ID"]));
    bob.zpgp()
        .args(["fetch", "alice@example.org", "--resolve", "example.org:443"])
        .assert()
        .code(2)
        .stderr(contains("HOST:PORT:ADDRESS"));
    bob.zpgp()
        .args(["config", "set", "keyserver", "gopher://x"])
        .assert()
        .code(2)
        .stderr(contains("not a keyserver URL"));
}

// Keyserver answers that are refused ------------------------------------------------

/// A certificate made here, with `uid`.
fn make_cert(uid: &str) -> Cert {
    CertBuilder::general_purpose(Some(uid))
        .generate()
        .unwrap()
        .0
}

#[test]
fn keyserver_answers_are_checked_one_certificate_at_a_time() {
    let asked = make_cert("Asked <asked@example.org>");
    let other = make_cert("Other <other@example.org>");
    let dave = make_cert("Dave <dave@example.org>");
    let eve = make_cert("Eve <eve@example.org>");
    let mallory = make_cert("Mallory \u{1b}[31mred\u{1b}[0m <mallory@example.org>");
    // Dave's user ID under a binding signature that is not Dave2's.
    let dave2_base = make_cert("Dave <dave@example.org>");
    let broken = Cert::from_packets(
        vec![
            openpgp::Packet::from(dave2_base.primary_key().key().clone()),
            openpgp::Packet::from(openpgp::packet::UserID::from("Dave <dave@example.org>")),
            openpgp::Packet::from(
                dave.userids()
                    .next()
                    .unwrap()
                    .self_signatures()
                    .next()
                    .unwrap()
                    .clone(),
            ),
        ]
        .into_iter(),
    )
    .unwrap();
    let asked_fpr = format!("{:X}", asked.fingerprint());
    let other_fpr = format!("{:X}", other.fingerprint());
    let broken_fpr = format!("{:X}", broken.fingerprint());
    let eve_fpr = format!("{:X}", eve.fingerprint());
    let mallory_fpr = format!("{:X}", mallory.fingerprint());
    let answers = {
        let (other, dave, eve, broken, mallory) = (
            other.to_vec().unwrap(),
            dave.to_vec().unwrap(),
            eve.to_vec().unwrap(),
            broken.to_vec().unwrap(),
            mallory.to_vec().unwrap(),
        );
        let (asked_fpr, mallory_fpr) = (asked_fpr.clone(), mallory_fpr.clone());
        move |r: &Request| {
            let search = r.target.rsplit("search=").next().unwrap_or("").to_string();
            if search.contains(&asked_fpr) {
                Reply::Ok(other.clone())
            } else if search.starts_with("dave") {
                Reply::Ok([dave.clone(), eve.clone(), broken.clone()].concat())
            } else if search.contains(&mallory_fpr) {
                Reply::Ok(mallory.clone())
            } else {
                Reply::Status(404, Vec::new())
            }
        }
    };
    let web = Web::http(answers);
    let bob = Env::new();
    // Another certificate than the one asked for: refused.
    bob.zpgp()
        .args(["fetch", &asked_fpr, "--keyserver", &web.hkp_url()])
        .assert()
        .code(41)
        .stderr(has(&[
            "rejected",
            &format!("answered with {other_fpr} when asked for {asked_fpr}"),
        ]));
    assert!(on_file(&bob, &other_fpr).is_none());
    // Several: the good one imported, each other one named.
    let out = succeeded(bob.zpgp().args([
        "--json",
        "fetch",
        "dave@example.org",
        "--from",
        "keyserver",
        "--keyserver",
        &web.hkp_url(),
    ]));
    let report = json(&out.stdout);
    assert_eq!(report["new"], 1, "{report}");
    assert_eq!(report["rejected"], 2, "{report}");
    let text = stderr_of(&out);
    assert!(text.contains(&format!("rejected  {eve_fpr}")), "{text}");
    assert!(text.contains(&format!("rejected  {broken_fpr}")), "{text}");
    assert!(on_file(&bob, &format!("{:X}", dave.fingerprint())).is_some());
    // A hostile user ID is shown escaped.
    bob.zpgp()
        .args(["fetch", &mallory_fpr, "--keyserver", &web.hkp_url()])
        .assert()
        .success()
        .stderr(contains("\u{1b}").not().and(contains("Mallory")));
}

// keys.openpgp.org's API ---------------------------------------------------------------

#[test]
fn publish_to_a_vks_server_uploads_the_certificate_and_asks_for_verification() {
    let alice = User::new("Alice");
    let fpr = alice.fpr.clone();
    let cert = exported(&alice.env, &fpr);
    let web = {
        let (fpr, cert) = (fpr.clone(), cert.clone());
        Web::https(&["keys.example.net"], move |r| {
            let reply = |state: &str| {
                Reply::Ok(
                    serde_json::json!({
                        "key_fpr": fpr,
                        "token": "t0k3n",
                        "status": { "alice@example.org": state },
                    })
                    .to_string()
                    .into_bytes(),
                )
            };
            match (r.method.as_str(), r.path()) {
                ("POST", "/vks/v1/upload") => reply("unpublished"),
                ("POST", "/vks/v1/request-verify") => reply("pending"),
                ("GET", p) if p == format!("/vks/v1/by-fingerprint/{fpr}") => {
                    Reply::Ok(cert.clone())
                }
                ("GET", "/vks/v1/by-email/alice%40example.org") => Reply::Ok(cert.clone()),
                _ => Reply::Status(404, Vec::new()),
            }
        })
    };
    let server = ["--keyserver", "https://keys.example.net"];
    alice
        .zpgp()
        .arg("publish")
        .arg(&fpr)
        .args(server)
        .args(web.client_args(&["keys.example.net"]))
        .assert()
        .success()
        .stderr(has(&[
            "uploaded",
            "alice@example.org: a verification link was mailed to it",
            "by fingerprint only",
        ]));
    let requests = web.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[0].path(), "/vks/v1/upload");
    assert_eq!(requests[0].content_type, "application/json");
    let upload: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
    let sent = Cert::from_bytes(upload["keytext"].as_str().unwrap().as_bytes()).unwrap();
    assert_eq!(format!("{:X}", sent.fingerprint()), fpr);
    assert!(!sent.is_tsk(), "a secret key was uploaded");
    let verify: serde_json::Value = serde_json::from_slice(&requests[1].body).unwrap();
    assert_eq!(requests[1].path(), "/vks/v1/request-verify");
    assert_eq!(verify["token"], "t0k3n");
    assert_eq!(
        verify["addresses"],
        serde_json::json!(["alice@example.org"])
    );

    // Fetching from the same API, by fingerprint and by address.
    let bob = Env::new();
    bob.zpgp()
        .args(["fetch", &fpr])
        .args(server)
        .args(web.client_args(&["keys.example.net"]))
        .assert()
        .success()
        .stderr(has(&["new", &fpr]));
    bob.zpgp()
        .args(["fetch", "--from", "keyserver", "alice@example.org"])
        .args(server)
        .args(web.client_args(&["keys.example.net"]))
        .assert()
        .success()
        .stderr(has(&["unchanged", &fpr]));
}

#[test]
fn publish_refuses_secret_keys_and_keys_nobody_could_find() {
    let alice = User::new("Alice");
    alice
        .zpgp()
        .args([
            "publish",
            &alice.fpr,
            "--secret",
            "--keyserver",
            "hkp://127.0.0.1:1",
        ])
        .assert()
        .code(2)
        .stderr(error_has(&["never uploads a secret key"]));
    // A certificate without user IDs.
    let (bare, _) = CertBuilder::new().add_signing_subkey().generate().unwrap();
    let bare_fpr = format!("{:X}", bare.fingerprint());
    let file = alice.write("bare.pgp", bare.to_vec().unwrap());
    alice.import(&file);
    alice
        .zpgp()
        .args(["publish", &bare_fpr, "--keyserver", "hkp://127.0.0.1:1"])
        .assert()
        .code(103)
        .stderr(error_has(&["has no valid user ID"]));
}

// An interrupted refresh ----------------------------------------------------------------

#[test]
fn an_interrupted_refresh_keeps_what_it_merged() {
    let alice = User::new("Alice");
    let carol = User::new("Carol");
    let bob = User::new("Bob");
    bob.has_certs_of(&[&alice, &carol]);
    alice
        .zpgp_pw()
        .args(["revoke", &alice.fpr, "--reason", "compromised", "--yes"])
        .assert()
        .success();
    let revoked = exported(&alice.env, &alice.fpr);
    let alice_fpr = alice.fpr.clone();
    let web = Web::http(move |r| {
        if r.target.contains(&alice_fpr) {
            Reply::Ok(revoked.clone())
        } else {
            Reply::Hang
        }
    });
    let mut child = std::process::Command::new(zpgp_bin())
        .arg("--home")
        .arg(bob.env.home())
        .args([
            "refresh",
            "--from",
            "keyserver",
            "--keyserver",
            &web.hkp_url(),
        ])
        .env("ZPGP_NO_AGENT", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        let out = bob.zpgp().args(["list", &alice.fpr]).output().unwrap();
        if String::from_utf8_lossy(&out.stdout).contains("revoked") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the revocation was never merged"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "refresh ended before it was interrupted"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    // What was merged stays merged; the keyring is whole.
    bob.zpgp()
        .args(["list", &alice.fpr])
        .assert()
        .success()
        .stdout(contains("revoked"));
    bob.zpgp()
        .args(["list", &carol.fpr])
        .assert()
        .success()
        .stdout(contains(carol.fpr.as_str()));
    bob.zpgp()
        .args(["encrypt", "-r", &carol.fpr])
        .write_stdin("still usable")
        .assert()
        .success();
}

// WKD and what is already on file ----------------------------------------------------

#[test]
fn refresh_asks_wkd_and_a_fetched_stranger_raises_the_key_change_alert() {
    let alice = User::new("Alice");
    let bob = User::new("Bob");
    bob.knows(&[&alice]);
    // Alice adds a subkey; her domain's directory serves the new version.
    alice
        .zpgp_pw()
        .args(["subkey", "add", &alice.fpr, "--for", "sign"])
        .assert()
        .success();
    let fresh = exported(&alice.env, &alice.fpr);
    // Someone else's key claims Alice's address on another path.
    let mallory = Env::new();
    let mallory_fpr = mallory.generate(&["--name", "Not Alice", "--email", "alice@example.org"]);
    let forged = exported(&mallory, &mallory_fpr);
    let serve_forged = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let web = {
        let flag = serve_forged.clone();
        Web::https(WKD_HOSTS, move |r| {
            if !r.target.ends_with("?l=alice") {
                Reply::Status(404, Vec::new())
            } else if flag.load(std::sync::atomic::Ordering::SeqCst) {
                Reply::Ok(forged.clone())
            } else {
                Reply::Ok(fresh.clone())
            }
        })
    };
    let out = succeeded(
        bob.zpgp()
            .args(["--json", "refresh", &alice.fpr, "--from", "wkd"])
            .args(web.client_args(WKD_HOSTS)),
    );
    let report = json(&out.stdout);
    assert_eq!(
        report["certificates"][0]["changes"][0]["kind"], "new_subkey",
        "{report}"
    );
    assert!(
        report["certificates"][0]["sources"][0]
            .as_str()
            .unwrap()
            .contains("WKD alice@example.org"),
        "{report}"
    );

    // Now WKD gives another key for the address: refresh only mentions
    // it; fetch imports it, unauthenticated, with the alert.
    serve_forged.store(true, std::sync::atomic::Ordering::SeqCst);
    bob.zpgp()
        .args(["refresh", &alice.fpr, "--from", "wkd"])
        .args(web.client_args(WKD_HOSTS))
        .assert()
        .success()
        .stderr(has(&[
            "WKD offers another key for alice@example.org",
            &mallory_fpr,
        ]));
    assert!(on_file(&bob.env, &mallory_fpr).is_none());
    fetch_alice_by_wkd(bob.zpgp(), &web).stderr(has(&[
        "new",
        &mallory_fpr,
        "a different key now claims alice@example.org",
    ]));
    // Alice's certified key is still the one -r finds.
    bob.zpgp()
        .args(["encrypt", "-r", "alice@example.org"])
        .write_stdin("for Alice")
        .assert()
        .success();
}
