//! Post-quantum keys (RFC 9980): made, used for every message verb, said
//! plainly by `encrypt --explain`, and refused where they do not belong.

use predicates::prelude::*;
use predicates::str::contains;

use crate::harness::*;

const MSG: &[u8] = b"harvest now, decrypt later: not this one\n";

/// A person with a post-quantum key (`suite`, or the pqc profile's
/// default) and the certificates of `others`.
fn pq_user(name: &str, suite: Option<&str>) -> User {
    let env = Env::new();
    let email = format!("{}@example.org", name.to_lowercase());
    let mut args = vec!["--name", name, "--email", &email, "--profile", "pqc"];
    if let Some(s) = suite {
        args.extend(["--cipher-suite", s]);
    }
    let fpr = env.generate(&args);
    User {
        env,
        name: name.to_string(),
        fpr,
    }
}

/// `u` decrypts `ct` (from standard input) to [`MSG`].
fn decrypts_to_msg(u: &User, ct: Vec<u8>) {
    u.zpgp_pw()
        .arg("decrypt")
        .write_stdin(ct)
        .assert()
        .success()
        .stdout(MSG);
}

fn list_json(u: &User) -> serde_json::Value {
    let out = u
        .zpgp()
        .args(["--json", "list", "--secret"])
        .assert()
        .success();
    json(&out.get_output().stdout)
}

#[test]
fn generate_pqc_makes_a_v6_key_with_post_quantum_algorithms() {
    for (suite, sign, encrypt) in [
        (None, "mldsa65-ed25519", "mlkem768-x25519"),
        (Some("mldsa87-ed448"), "mldsa87-ed448", "mlkem1024-x448"),
    ] {
        let alice = pq_user("Alice", suite);
        let listed = list_json(&alice);
        let key = &listed["keys"][0];
        assert_eq!(key["algorithm"], sign, "{listed}");
        assert_eq!(
            key["fingerprint"].as_str().unwrap().len(),
            64,
            "a v6 fingerprint"
        );
        let subkeys = key["subkeys"].as_array().unwrap();
        assert!(
            subkeys
                .iter()
                .any(|k| k["algorithm"] == encrypt
                    && k["capabilities"].to_string().contains("encrypt")),
            "{listed}"
        );
    }
}

#[test]
fn every_message_verb_works_with_a_post_quantum_key() {
    let alice = pq_user("Alice", None);
    let bob = pq_user("Bob", None);
    alice.knows(&[&bob]);
    bob.knows(&[&alice]);
    // Encrypt and sign to Bob; SEIPDv2 for a post-quantum recipient.
    let ct = alice.encrypt(&["-r", &bob.fpr, "--sign"], MSG);
    assert_eq!(seipd_version(&ct), 2);
    bob.zpgp_pw()
        .args(["decrypt", "--signer", &alice.fpr])
        .write_stdin(ct.clone())
        .assert()
        .success()
        .stdout(MSG)
        .stderr(contains("good signature").or(contains("Good signature")));
    // Alice encrypted to herself too.
    decrypts_to_msg(&alice, ct);
    // Detached signature and verify.
    let sig = alice.sign(&["--detached"], MSG);
    let sigfile = bob.write("msg.sig", &sig);
    let data = bob.write("msg", MSG);
    bob.zpgp()
        .arg("verify")
        .arg(&sigfile)
        .arg(&data)
        .assert()
        .success();
    // A changed message does not verify.
    let other = bob.write("other", b"something else\n");
    bob.zpgp()
        .arg("verify")
        .arg(&sigfile)
        .arg(&other)
        .assert()
        .code(3);
    // Certify: Bob certifies Alice's key with his post-quantum key.
    bob.zpgp_pw()
        .args(["certify", "--fingerprint", &alice.fpr, &alice.fpr])
        .assert()
        .success();
    bob.zpgp()
        .args(["--json", "list", &alice.fpr])
        .assert()
        .success()
        .stdout(
            contains("certified")
                .or(contains("authenticated"))
                .or(contains("full")),
        );
}

#[test]
fn a_tampered_post_quantum_message_or_signature_never_passes() {
    let alice = pq_user("Alice", None);
    let ct = alice.encrypt(&["-r", &alice.fpr, "--no-self"], MSG);
    // Flip one byte at several places: the PKESK's ML-KEM ciphertext,
    // the X25519 part, the encrypted data, the last tag.
    for at in [40, 200, 1100, ct.len() - 20, ct.len() - 1] {
        let mut bad = ct.clone();
        bad[at] ^= 0x01;
        let out = alice
            .zpgp_pw()
            .args(["decrypt", "-o", "-"])
            .write_stdin(bad)
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(29) | Some(41)),
            "byte {at}: exit {:?}, {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "byte {at}: plaintext released");
    }
    let sig = alice.sign(&["--detached"], MSG);
    let data = alice.write("msg", MSG);
    for at in [sig.len() / 2, sig.len() - 40, sig.len() - 1] {
        let mut bad = sig.clone();
        bad[at] ^= 0x01;
        let f = alice.write("bad.sig", &bad);
        let out = alice
            .zpgp()
            .arg("verify")
            .arg(&f)
            .arg(&data)
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(3) | Some(41)),
            "signature byte {at}: exit {:?}",
            out.status.code()
        );
    }
}

#[test]
fn explain_says_what_protects_the_message() {
    let alice = pq_user("Alice", None);
    let carol = User::new("Carol");
    let dave = User::v6("Dave");
    alice.knows(&[&carol, &dave]);
    // `encrypt --explain ARGS` of MSG, successful; its stderr.
    let explain = |args: &[&str]| {
        alice
            .zpgp()
            .args(["encrypt", "--explain", "-o", "-"])
            .args(args)
            .write_stdin(MSG)
            .assert()
            .success()
    };
    // Post-quantum recipients only: protected.
    explain(&["-r", &alice.fpr])
        .stderr(contains("SEIPDv2"))
        .stderr(contains("mlkem768-x25519, post-quantum"))
        .stderr(contains("zpgp: post-quantum protected"));
    // With a classical v4 recipient: only as strong as the weakest, and
    // that recipient named; SEIPDv2 that Carol's key does not advertise.
    explain(&["-r", &carol.fpr])
        .stderr(contains("v4 key"))
        .stderr(contains("cv25519, not post-quantum"))
        .stderr(contains("NOT post-quantum protected"))
        .stderr(contains("Carol"))
        .stderr(contains("does not advertise SEIPDv2"));
    // A classical v6 recipient alone: SEIPDv2, not post-quantum.
    explain(&["--no-self", "-r", &dave.fpr])
        .stderr(contains("v6 key"))
        .stderr(contains("NOT post-quantum protected"));
    // --json carries it.
    let out = alice
        .zpgp()
        .args([
            "--json",
            "encrypt",
            "--explain",
            "-r",
            &carol.fpr,
            "-o",
            "-",
        ])
        .write_stdin(MSG)
        .assert()
        .success();
    let report = json(&out.get_output().stderr);
    let e = &report["explanation"];
    assert_eq!(e["post_quantum"], false, "{report}");
    assert_eq!(e["format"], "seipd_v2", "{report}");
    assert_eq!(e["keys"].as_array().unwrap().len(), 2, "{report}");
    assert!(
        e["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["post_quantum"] == true && k["key_version"] == 6),
        "{report}"
    );
    // Without --explain, nothing of it is said.
    alice
        .zpgp()
        .args(["encrypt", "-r", &carol.fpr, "-o", "-"])
        .write_stdin(MSG)
        .assert()
        .success()
        .stderr(contains("post-quantum").not());
}

#[test]
fn post_quantum_algorithms_are_for_v6_keys_only() {
    let env = Env::new();
    env.zpgp()
        .args([
            "generate",
            "--email",
            "a@example.org",
            "--no-passphrase",
            "--cipher-suite",
            "mldsa65-ed25519",
        ])
        .assert()
        .code(83)
        .stderr(contains("v6 keys only"))
        .stderr(contains("zpgp generate --profile pqc"));
    env.zpgp()
        .args([
            "generate",
            "--email",
            "a@example.org",
            "--no-passphrase",
            "--profile",
            "pqc",
            "--cipher-suite",
            "cv25519",
        ])
        .assert()
        .code(83)
        .stderr(contains("post-quantum"));
    // A post-quantum subkey on a v4 key: refused, with the way forward.
    let v4 = User::new("Erin");
    v4.zpgp_pw()
        .args([
            "subkey",
            "add",
            &v4.fpr,
            "--for",
            "encrypt",
            "--cipher-suite",
            "mlkem768-x25519",
        ])
        .assert()
        .code(13)
        .stderr(contains("v4 key"))
        .stderr(contains("zpgp generate --profile pqc"));
    // On a classical v6 key it is added, and messages to it are then
    // post-quantum.
    let v6 = User::v6("Frank");
    v6.zpgp_pw()
        .args([
            "subkey",
            "add",
            &v6.fpr,
            "--for",
            "encrypt",
            "--cipher-suite",
            "mlkem768-x25519",
        ])
        .assert()
        .success();
    let listed = list_json(&v6);
    assert!(listed.to_string().contains("mlkem768-x25519"), "{listed}");
}

#[test]
fn sop_generates_post_quantum_keys_with_the_rfc9980_profile() {
    let s = Sop::new();
    let profiles = s.run(&["list-profiles", "generate-key"], b"").ok();
    assert!(
        String::from_utf8_lossy(&profiles).contains("rfc9980"),
        "{}",
        String::from_utf8_lossy(&profiles)
    );
    let key = s
        .run(
            &[
                "generate-key",
                "--profile",
                "rfc9980",
                "Alice <alice@example.org>",
            ],
            b"",
        )
        .ok();
    s.write("alice.key", &key);
    let cert = s.run(&["extract-cert"], &key).ok();
    s.write("alice.cert", &cert);
    let ct = s.run(&["encrypt", "alice.cert"], MSG).ok();
    assert_eq!(seipd_version(&ct), 2);
    assert_eq!(s.run(&["decrypt", "alice.key"], &ct).ok(), MSG);
    let sig = s.run(&["sign", "alice.key"], MSG).ok();
    s.write("msg.sig", &sig);
    let v = s.run(&["verify", "msg.sig", "alice.cert"], MSG).ok();
    assert!(!v.is_empty());
    // The profile is for generate-key only.
    s.run(&["encrypt", "--profile", "rfc9980", "alice.cert"], MSG)
        .fails(89);
}

#[test]
fn a_post_quantum_key_passes_the_audit() {
    let alice = pq_user("Alice", None);
    alice.zpgp().arg("audit").assert().success().stderr(
        contains("0 findings")
            .or(contains("nothing"))
            .or(contains("no findings")),
    );
    let out = alice.zpgp().args(["--json", "audit"]).assert().success();
    let v = json(&out.get_output().stdout);
    assert_eq!(v["keys"][0]["findings"], serde_json::json!([]), "{v}");
}

/// A v4 key with ML-DSA (made here by moving a v6 key's material into a
/// v4 packet, which sequoia accepts): invalid by RFC 9980, refused on
/// import with the reason; a v4 certificate with an ML-KEM subkey, as the
/// RFC's own sample has, is imported.
#[test]
fn a_v4_certificate_with_an_ml_dsa_key_is_refused_on_import() {
    use openpgp::packet::key::{Key4, Key6, PrimaryRole, SecretParts};
    use openpgp::packet::{Key, UserID, signature::SignatureBuilder};
    use openpgp::serialize::Serialize;
    use openpgp::types::SignatureType;
    use sequoia_openpgp as openpgp;

    let k6: Key6<SecretParts, PrimaryRole> = Key6::generate_mldsa65_ed25519().unwrap();
    let (public, secret) = Key::from(k6).take_secret();
    let created = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    let k4: Key4<SecretParts, PrimaryRole> =
        Key4::with_secret(created, public.pk_algo(), public.mpis().clone(), secret).unwrap();
    let key: Key<SecretParts, PrimaryRole> = k4.into();
    let mut signer = key.clone().into_keypair().unwrap();
    let uid = UserID::from("V4 PQ <v4pq@example.org>");
    let sig = SignatureBuilder::new(SignatureType::PositiveCertification)
        .sign_userid_binding(&mut signer, key.parts_as_public(), &uid)
        .unwrap();
    let mut cert = Vec::new();
    openpgp::Packet::from(key.parts_into_public())
        .serialize(&mut cert)
        .unwrap();
    openpgp::Packet::from(uid).serialize(&mut cert).unwrap();
    openpgp::Packet::from(sig).serialize(&mut cert).unwrap();

    let env = Env::new();
    let file = env.write("v4-mldsa.pgp", &cert);
    env.zpgp()
        .arg("import")
        .arg(&file)
        .assert()
        .code(41)
        .stderr(contains("rejected"))
        .stderr(contains(
            "ML-DSA-65+Ed25519, which RFC 9980 defines for v6 keys only",
        ));
    env.zpgp()
        .args(["list", "v4pq@example.org"])
        .assert()
        .failure();
    let sample = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/rfc9980/v4-eddsa-sample-pk.asc");
    env.zpgp()
        .arg("import")
        .arg(&sample)
        .assert()
        .success()
        .stderr(contains("1 new"));
}

/// Both ways with a post-quantum SOP peer, when one is given in
/// ZPGP_PQ_SOP (sequoia-sop 0.38 or later; Debian's sqop 0.27 predates
/// RFC 9980, so CI does not have one): keys made by each, messages
/// encrypted and signed by each, decrypted and verified by the other.
#[test]
fn post_quantum_messages_cross_with_a_pq_sop_peer() {
    let Some(peer) = std::env::var_os("ZPGP_PQ_SOP") else {
        eprintln!("SKIPPED: set ZPGP_PQ_SOP to a post-quantum SOP program (sequoia-sop >= 0.38)");
        return;
    };
    let s = Sop::new();
    let run_peer = |args: &[&str], stdin: &[u8]| -> Vec<u8> {
        let out = assert_cmd::Command::new(&peer)
            .current_dir(s.dir())
            .args(args)
            .write_stdin(stdin.to_vec())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "peer {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let pkey = run_peer(
        &[
            "generate-key",
            "--profile",
            "rfc9980",
            "Peer <peer@example.org>",
        ],
        b"",
    );
    s.write("peer.key", &pkey);
    s.write("peer.cert", run_peer(&["extract-cert"], &pkey));
    let zkey = s
        .run(
            &["generate-key", "--profile", "rfc9980", "Z <z@example.org>"],
            b"",
        )
        .ok();
    s.write("z.key", &zkey);
    s.write("z.cert", s.run(&["extract-cert"], &zkey).ok());

    // zpgp to the peer.
    let ct = s
        .run(&["encrypt", "--sign-with", "z.key", "peer.cert"], MSG)
        .ok();
    let pt = run_peer(
        &[
            "decrypt",
            "--verifications-out",
            "v1.txt",
            "--verify-with",
            "z.cert",
            "peer.key",
        ],
        &ct,
    );
    assert_eq!(pt, MSG);
    assert!(
        !s.read("v1.txt").is_empty(),
        "the peer verified no signature"
    );
    // The peer to zpgp.
    let ct = run_peer(&["encrypt", "--sign-with", "peer.key", "z.cert"], MSG);
    assert_eq!(seipd_version(&ct), 2);
    let pt = s
        .run(
            &[
                "decrypt",
                "--verifications-out",
                "v2.txt",
                "--verify-with",
                "peer.cert",
                "z.key",
            ],
            &ct,
        )
        .ok();
    assert_eq!(pt, MSG);
    assert!(!s.read("v2.txt").is_empty(), "zpgp verified no signature");
    // Detached signatures both ways.
    let sig = s.run(&["sign", "z.key"], MSG).ok();
    s.write("z.sig", &sig);
    run_peer(&["verify", "z.sig", "z.cert"], MSG);
    let sig = run_peer(&["sign", "peer.key"], MSG);
    s.write("peer.sig", &sig);
    s.run(&["verify", "peer.sig", "peer.cert"], MSG).ok();
}

/// The upkeep commands on a post-quantum key: expire, a new user ID, a new
/// encryption subkey (rotate), a new passphrase, and revocation; after
/// each, the key still works (or, revoked, no longer does).
#[test]
fn upkeep_commands_work_on_a_post_quantum_key() {
    let alice = pq_user("Alice", None);
    let fpr = alice.fpr.clone();
    alice
        .zpgp_pw()
        .args(["expire", &fpr, "2y"])
        .assert()
        .success();
    alice
        .zpgp_pw()
        .args(["userid", "add", &fpr, "--email", "alice@work.example"])
        .assert()
        .success();
    alice
        .zpgp_pw()
        .args(["subkey", "rotate", &fpr, "--for", "encrypt"])
        .assert()
        .success();
    let listed = list_json(&alice);
    let encryption: Vec<_> = listed["keys"][0]["subkeys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["algorithm"] == "mlkem768-x25519")
        .collect();
    assert!(encryption.len() >= 2, "a new ML-KEM subkey: {listed}");
    assert!(
        listed.to_string().contains("alice@work.example"),
        "{listed}"
    );
    // Messages to the new address use the post-quantum subkey.
    let ct = alice.encrypt(&["-r", "alice@work.example", "--no-self"], MSG);
    assert_eq!(seipd_version(&ct), 2);
    decrypts_to_msg(&alice, ct);
    // A new passphrase.
    let new_pw = alice.write("new.txt", "another long and careful passphrase\n");
    alice
        .zpgp_pw()
        .args(["passwd", &fpr, "--new-passphrase-file"])
        .arg(&new_pw)
        .assert()
        .success();
    let sign = || {
        alice
            .zpgp()
            .args(["sign", "--detached", "--passphrase-file"])
            .arg(&new_pw)
            .write_stdin(MSG)
            .assert()
    };
    sign().success();
    // Revoked, it signs no more.
    alice
        .zpgp()
        .args([
            "revoke",
            &fpr,
            "--yes",
            "--reason",
            "retired",
            "--passphrase-file",
        ])
        .arg(&new_pw)
        .assert()
        .success();
    sign().failure();
}

/// A message for one of your keys whose algorithm this build lacks says
/// so (exit 29), not "no key": shown with what every build here lacks,
/// ElGamal (GnuPG makes such keys); the same words name ML-KEM-768+X25519
/// on a build linked to an OpenSSL older than 3.5.
#[test]
fn a_message_for_a_key_this_build_cannot_use_says_which_algorithm() {
    let Some(g) = Gpg::new() else { return };
    let mut c = g.cmd();
    c.args([
        "--passphrase",
        "",
        "--quick-generate-key",
        "Elga <elga@example.org>",
        "dsa2048",
        "sign",
        "never",
    ]);
    g.ok(c);
    let listed = g.ok({
        let mut c = g.cmd();
        c.args(["--with-colons", "--list-keys", "elga@example.org"]);
        c
    });
    let fpr = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .find(|l| l.starts_with("fpr:"))
        .and_then(|l| l.split(':').nth(9))
        .unwrap()
        .to_string();
    let mut c = g.cmd();
    c.args([
        "--passphrase",
        "",
        "--quick-add-key",
        &fpr,
        "elg2048",
        "encr",
        "never",
    ]);
    g.ok(c);
    let env = Env::new();
    let secret = env.path("elga.pgp");
    let mut c = g.cmd();
    c.args(["--passphrase", "", "--export-secret-keys", "-o"])
        .arg(&secret)
        .arg("elga@example.org");
    g.ok(c);
    let msg = env.write("msg.txt", MSG);
    let ct = env.path("msg.gpg");
    let mut c = g.cmd();
    c.args(["--trust-model", "always", "-r", "elga@example.org", "-o"])
        .arg(&ct)
        .arg("-e")
        .arg(&msg);
    g.ok(c);
    env.zpgp().arg("import").arg(&secret).assert().success();
    env.zpgp()
        .args(["decrypt", "-o", "-"])
        .arg(&ct)
        .assert()
        .code(29)
        .stdout("")
        .stderr(contains(
            "this message uses ElGamal, which this build of zpgp cannot decrypt",
        ))
        .stderr(contains("gpg --decrypt"));
    // Someone else's ElGamal key is not "this build": you have no key.
    let other = Env::new();
    other.generate(&["--email", "o@example.org"]);
    other
        .zpgp()
        .args(["decrypt", "-o", "-"])
        .arg(&ct)
        .assert()
        .code(29)
        .stderr(contains("you have none of their secret keys").and(contains("ElGamal").not()));
}
