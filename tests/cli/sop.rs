//! The SOP interface: every subcommand, through `zpgp-sop` and `zpgp sop`.

use assert_cmd::Command;

use crate::harness::*;

const DATA: &[u8] = b"Hello, SOP!\nSecond line.\n";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn version_forms() {
    let s = Sop::new();
    let v = text(&s.run(&["version"], "").ok());
    assert!(v.starts_with("zpgp-sop "), "{v}");
    assert_eq!(v.lines().count(), 1);
    let b = text(&s.run(&["version", "--backend"], "").ok());
    assert!(
        b.contains("sequoia-openpgp") && b.contains("OpenSSL"),
        "{b}"
    );
    let e = text(&s.run(&["version", "--extended"], "").ok());
    assert!(e.contains("draft-dkg-openpgp-stateless-cli-14"), "{e}");
    let spec = text(&s.run(&["version", "--sop-spec"], "").ok());
    assert!(
        spec.lines()
            .next()
            .unwrap()
            .trim_start_matches('~')
            .starts_with("draft-dkg-openpgp-stateless-cli-"),
        "{spec}"
    );
    s.run(&["version", "--backend", "--extended"], "").fails(83);
}

#[test]
fn zpgp_sop_subcommand_is_the_same_interface() {
    let s = Sop::new();
    let out = Command::cargo_bin("zpgp")
        .unwrap()
        .current_dir(s.dir())
        .args(["sop", "version", "--sop-spec"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("draft-dkg-openpgp-stateless-cli-14"));
    // And its usage errors carry the SOP codes too.
    let out = Command::cargo_bin("zpgp")
        .unwrap()
        .current_dir(s.dir())
        .args(["sop", "no-such-subcommand"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(69));
    assert!(out.stdout.is_empty());
    let out = Command::cargo_bin("zpgp")
        .unwrap()
        .current_dir(s.dir())
        .args(["sop", "sign", "--frobnicate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(37));
}

#[test]
fn list_profiles() {
    let s = Sop::new();
    for (sub, want) in [
        ("generate-key", &["rfc4880", "rfc9580", "rfc9980"][..]),
        ("encrypt", &["rfc4880", "rfc9580"][..]),
    ] {
        let p = text(&s.run(&["list-profiles", sub], "").ok());
        let names: Vec<_> = p.lines().map(|l| l.split(':').next().unwrap()).collect();
        assert_eq!(names, want, "{p}");
    }
    s.run(&["list-profiles", "sign"], "").fails(89);
    s.run(&["list-profiles", "no-such"], "").fails(69);
    s.run(&["generate-key", "--profile", "rfc1991", "A"], "")
        .fails(89);
    s.run(
        &["encrypt", "--profile", "nope", "--with-password", "x"],
        "x",
    )
    .fails(89);
}

#[test]
fn generate_key_profiles_and_extract_cert() {
    let s = Sop::new();
    for (profile, version) in [("rfc4880", 4u8), ("rfc9580", 6)] {
        let key = s
            .run(
                &["generate-key", "--profile", profile, "A <a@example.org>"],
                "",
            )
            .ok();
        assert!(text(&key).starts_with("-----BEGIN PGP PRIVATE KEY BLOCK-----"));
        let bin = s.run(&["dearmor"], &key).ok();
        // The first packet is a secret key of the profile's version.
        assert_eq!(bin[0] & 0x3f, 5, "secret key packet");
        let body = if bin[1] < 192 { 2 } else { 3 };
        assert_eq!(bin[body], version, "{profile}");
        let cert = s.run(&["extract-cert"], &key).ok();
        assert!(text(&cert).starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
        let raw = s.run(&["extract-cert", "--no-armor"], &key).ok();
        assert_eq!(raw[0] & 0x3f, 6, "public key packet");
    }
    // No user ID at all is allowed.
    let key = s.run(&["generate-key", "--no-armor"], "").ok();
    assert!(key[0] & 0x80 != 0);
}

#[test]
fn generate_key_signing_only_cannot_be_encrypted_to() {
    let s = Sop::new();
    s.key("sig", &["--signing-only"]);
    s.run(&["encrypt", "sig.cert"], DATA).fails(17);
    let sig = s.run(&["sign", "sig.key"], DATA).ok();
    s.write("d.sig", sig);
    s.run(&["verify", "d.sig", "sig.cert"], DATA).ok();
}

#[test]
fn sign_verify_binary_and_text() {
    let s = Sop::new();
    s.key("alice", &[]);
    let sig = s
        .run(&["sign", "--micalg-out", "micalg", "alice.key"], DATA)
        .ok();
    assert!(text(&sig).starts_with("-----BEGIN PGP SIGNATURE-----"));
    assert!(text(&s.read("micalg")).starts_with("pgp-sha"));
    s.write("d.sig", &sig);
    let v = text(&s.run(&["verify", "d.sig", "alice.cert"], DATA).ok());
    let line = v.lines().next().unwrap();
    let f: Vec<_> = line.split(' ').collect();
    assert!(f[0].ends_with('Z') && f[0].contains('T'), "{line}");
    assert_eq!(f[1].len(), 40, "signing key");
    assert_eq!(f[2].len(), 40, "certificate");
    assert_ne!(f[1], f[2], "zpgp keys sign with a subkey");
    assert_eq!(f[3], "mode:binary");
    assert!(line.contains(r#""signers":["alice.cert"]"#), "{line}");

    // Other data does not verify.
    s.run(&["verify", "d.sig", "alice.cert"], b"other").fails(3);

    // Text signatures survive a change of line endings.
    let sig = s.run(&["sign", "--as", "text", "alice.key"], DATA).ok();
    s.write("t.sig", sig);
    let crlf = text(DATA).replace('\n', "\r\n");
    let v = text(&s.run(&["verify", "t.sig", "alice.cert"], crlf).ok());
    assert!(v.contains(" mode:text "), "{v}");

    let raw = s.run(&["sign", "--no-armor", "alice.key"], DATA).ok();
    assert_eq!(raw[0] & 0x3f, 2, "signature packet");
}

#[test]
fn verify_date_window() {
    let s = Sop::new();
    s.key("alice", &[]);
    let sig = s.run(&["sign", "alice.key"], DATA).ok();
    s.write("d.sig", sig);
    let args = |extra: &[&'static str]| {
        let mut a = vec!["verify"];
        a.extend_from_slice(extra);
        a.extend(["d.sig", "alice.cert"]);
        a
    };
    s.run(&args(&["--not-before", "2000-01-01T00:00:00Z"]), DATA)
        .ok();
    s.run(&args(&["--not-after", "-", "--not-before", "-"]), DATA)
        .ok();
    s.run(&args(&["--not-after", "2000-01-01"]), DATA).fails(3);
    s.run(&args(&["--not-before", "2100-01-01T00:00Z"]), DATA)
        .fails(3);
    s.run(&args(&["--not-before", "last tuesday"]), DATA)
        .fails(37);
}

#[test]
fn encrypt_decrypt_both_profiles() {
    let s = Sop::new();
    s.key("v4", &[]);
    s.key("v6", &["--profile", "rfc9580"]);
    for (cert, key) in [("v4.cert", "v4.key"), ("v6.cert", "v6.key")] {
        for profile in ["rfc4880", "rfc9580"] {
            let ct = s.run(&["encrypt", "--profile", profile, cert], DATA).ok();
            assert!(text(&ct).starts_with("-----BEGIN PGP MESSAGE-----"));
            assert_eq!(s.run(&["decrypt", key], &ct).ok(), DATA, "{cert} {profile}");
        }
    }
}

#[test]
fn encrypt_sign_with_and_decrypt_verifications() {
    let s = Sop::new();
    s.key("alice", &[]);
    s.key("bob", &[]);
    let ct = s
        .run(
            &[
                "encrypt",
                "--as",
                "text",
                "--sign-with",
                "alice.key",
                "bob.cert",
            ],
            DATA,
        )
        .ok();
    let pt = s
        .run(
            &[
                "decrypt",
                "--verify-with",
                "alice.cert",
                "--verifications-out",
                "ver.txt",
                "bob.key",
            ],
            &ct,
        )
        .ok();
    assert_eq!(pt, DATA);
    let v = text(&s.read("ver.txt"));
    assert_eq!(v.lines().count(), 1, "{v}");
    assert!(
        v.contains(" mode:text ") && v.contains(r#""signers":["alice.cert"]"#),
        "{v}"
    );

    // Not signed by the cert asked for: decryption works, no verification.
    let pt = s
        .run(
            &[
                "decrypt",
                "--verify-with",
                "bob.cert",
                "--verifications-out",
                "ver2.txt",
                "bob.key",
            ],
            &ct,
        )
        .ok();
    assert_eq!(pt, DATA);
    assert!(s.read("ver2.txt").is_empty());

    // A window that excludes the signature.
    s.run(
        &[
            "decrypt",
            "--verify-with",
            "alice.cert",
            "--verifications-out",
            "ver3.txt",
            "--verify-not-after",
            "2001-01-01",
            "bob.key",
        ],
        &ct,
    )
    .ok();
    assert!(s.read("ver3.txt").is_empty());
}

#[test]
fn session_keys_out_and_in() {
    let s = Sop::new();
    s.key("bob", &[]);
    let ct = s
        .run(
            &["encrypt", "--session-key-out", "enc.sk", "bob.cert"],
            DATA,
        )
        .ok();
    let sk = text(&s.read("enc.sk"));
    assert!(sk.trim().contains(':'), "{sk}");
    let pt = s
        .run(&["decrypt", "--session-key-out", "dec.sk", "bob.key"], &ct)
        .ok();
    assert_eq!(pt, DATA);
    assert_eq!(text(&s.read("dec.sk")).trim(), sk.trim());
    // The session key alone opens the message.
    assert_eq!(
        s.run(&["decrypt", "--with-session-key", "enc.sk"], &ct)
            .ok(),
        DATA
    );
    s.write("bad.sk", "9:00");
    s.run(&["decrypt", "--with-session-key", "bad.sk"], &ct)
        .fails(29);
}

#[test]
fn passwords_and_trailing_whitespace() {
    let s = Sop::new();
    s.write("pw", "sesame\n");
    s.write("pw-bare", "sesame");
    let ct = s.run(&["encrypt", "--with-password", "pw"], DATA).ok();
    // Encrypting stripped the newline, so both forms decrypt.
    assert_eq!(
        s.run(&["decrypt", "--with-password", "pw-bare"], &ct).ok(),
        DATA
    );
    assert_eq!(s.run(&["decrypt", "--with-password", "pw"], &ct).ok(), DATA);
    s.write("wrong", "open sesame");
    s.run(&["decrypt", "--with-password", "wrong"], &ct)
        .fails(29);

    // A key password with a trailing newline unlocks a key protected
    // without it.
    s.key("carol", &["--with-key-password", "pw-bare"]);
    s.run(&["sign", "--with-key-password", "pw", "carol.key"], DATA)
        .ok();
    s.run(&["sign", "carol.key"], DATA).fails(67);
    s.run(&["sign", "--with-key-password", "wrong", "carol.key"], DATA)
        .fails(67);
}

#[test]
fn indirect_env_and_fd() {
    let s = Sop::new();
    let ct = s
        .cmd()
        .env("SOP_PW", "hunter2")
        .args(["encrypt", "--with-password", "@ENV:SOP_PW"])
        .write_stdin(DATA)
        .output()
        .unwrap();
    assert!(ct.status.success());
    s.write("pw", "hunter2");
    assert_eq!(
        s.run(&["decrypt", "--with-password", "pw"], &ct.stdout)
            .ok(),
        DATA
    );
    // @FD:N through a shell redirection.
    s.write("ct", &ct.stdout);
    let out = std::process::Command::new("sh")
        .current_dir(s.dir())
        .arg("-c")
        .arg(format!(
            "{} decrypt --with-password @FD:3 3<pw < ct",
            assert_cmd::cargo::cargo_bin("zpgp-sop").display()
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(out.stdout, DATA);
    // An unset variable is a missing input.
    s.run(
        &["decrypt", "--with-password", "@ENV:ZPGP_NO_SUCH_VAR"],
        &ct.stdout,
    )
    .fails(61);
}

#[test]
fn change_key_password_and_revoke_key() {
    let s = Sop::new();
    s.write("old", "old password");
    s.write("new", "new password");
    s.key("k", &["--with-key-password", "old"]);
    let key = s.read("k.key");
    let rekeyed = s
        .run(
            &[
                "change-key-password",
                "--old-key-password",
                "old",
                "--new-key-password",
                "new",
            ],
            &key,
        )
        .ok();
    s.write("k2.key", &rekeyed);
    s.run(&["sign", "--with-key-password", "new", "k2.key"], DATA)
        .ok();
    s.run(&["sign", "--with-key-password", "old", "k2.key"], DATA)
        .fails(67);
    // Without a new password the key is left unprotected.
    let open = s
        .run(
            &["change-key-password", "--old-key-password", "new"],
            &rekeyed,
        )
        .ok();
    s.write("open.key", &open);
    s.run(&["sign", "open.key"], DATA).ok();
    // The wrong old password.
    s.run(&["change-key-password", "--old-key-password", "new"], &key)
        .fails(67);

    // Revoking: the result is a certificate nobody encrypts to.
    let rev = s
        .run(&["revoke-key", "--with-key-password", "old"], &key)
        .ok();
    assert!(text(&rev).starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
    s.write("rev.cert", rev);
    s.run(&["encrypt", "rev.cert"], DATA).fails(17);
    s.run(&["revoke-key"], &key).fails(67);
    s.run(&["revoke-key"], s.read("k.cert")).fails(41);
}

#[test]
fn certify_validate_merge_update() {
    let s = Sop::new();
    s.key("ca", &[]);
    s.key("bob", &[]);
    let bob = s.read("bob.cert");
    let uid = "bob <bob@example.org>";
    s.run(&["validate-userid", uid, "ca.cert"], &bob).fails(103);
    // Bob's own certificate is an authority for itself.
    s.run(&["validate-userid", uid, "bob.cert"], &bob).ok();

    let certified = s
        .run(&["certify-userid", "--userid", uid, "ca.key"], &bob)
        .ok();
    s.run(&["validate-userid", uid, "ca.cert"], &certified).ok();
    s.run(
        &[
            "validate-userid",
            "--addr-spec-only",
            "bob@example.org",
            "ca.cert",
        ],
        &certified,
    )
    .ok();
    s.run(&["validate-userid", "Mallory", "ca.cert"], &certified)
        .fails(103);
    s.run(
        &[
            "validate-userid",
            "--validate-at",
            "2001-01-01T00:00:00Z",
            uid,
            "ca.cert",
        ],
        &certified,
    )
    .fails(103);
    s.run(&["certify-userid", "--userid", "Nobody", "ca.key"], &bob)
        .fails(103);
    let added = s
        .run(
            &[
                "certify-userid",
                "--no-require-self-sig",
                "--userid",
                "Nobody",
                "ca.key",
            ],
            &bob,
        )
        .ok();
    assert!(!added.is_empty());
    s.run(&["certify-userid", "--userid", uid, "ca.cert"], &bob)
        .fails(41);

    // Merging the certification into the plain cert.
    s.write("certified.cert", &certified);
    let merged = s.run(&["merge-certs", "certified.cert"], &bob).ok();
    s.run(&["validate-userid", uid, "ca.cert"], &merged).ok();

    // update-key takes the certification into the secret key and keeps
    // the secrets.
    let key = s.read("bob.key");
    let updated = s
        .run(&["update-key", "--merge-certs", "certified.cert"], &key)
        .ok();
    assert!(text(&updated).starts_with("-----BEGIN PGP PRIVATE KEY BLOCK-----"));
    let cert = s.run(&["extract-cert"], &updated).ok();
    s.run(&["validate-userid", uid, "ca.cert"], &cert).ok();
    s.run(&["update-key"], &bob).fails(41);
}

#[test]
fn armor_dearmor_round_trip() {
    let s = Sop::new();
    s.key("a", &[]);
    let armored = s.read("a.cert");
    let bin = s.run(&["dearmor"], &armored).ok();
    assert!(bin[0] & 0x80 != 0);
    let again = s.run(&["armor"], &bin).ok();
    assert!(text(&again).starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
    // Armoring armored data changes nothing of substance.
    let twice = s.run(&["armor"], &again).ok();
    assert_eq!(s.run(&["dearmor"], &twice).ok(), bin);
    // Dearmoring binary passes it through.
    assert_eq!(s.run(&["dearmor"], &bin).ok(), bin);
    s.run(&["armor", "--label", "sig"], &bin).fails(37);
}

#[test]
fn inline_sign_verify_detach_all_modes() {
    let s = Sop::new();
    s.key("alice", &[]);
    for mode in ["binary", "text", "clearsigned"] {
        let signed = s
            .run(&["inline-sign", "--as", mode, "alice.key"], DATA)
            .ok();
        let head = if mode == "clearsigned" {
            "-----BEGIN PGP SIGNED MESSAGE-----"
        } else {
            "-----BEGIN PGP MESSAGE-----"
        };
        assert!(text(&signed).starts_with(head), "{mode}");
        let name = format!("v-{mode}");
        let data = s
            .run(
                &["inline-verify", "--verifications-out", &name, "alice.cert"],
                &signed,
            )
            .ok();
        assert_eq!(data, DATA, "{mode}");
        let v = text(&s.read(&name));
        assert!(v.contains(" mode:"), "{v}");

        let sigs = format!("s-{mode}");
        let data = s
            .run(&["inline-detach", "--signatures-out", &sigs], &signed)
            .ok();
        assert_eq!(data, DATA, "{mode}");
        s.run(&["verify", &sigs, "alice.cert"], DATA).ok();
    }
    s.key("bob", &[]);
    let signed = s.run(&["inline-sign", "alice.key"], DATA).ok();
    s.run(&["inline-verify", "bob.cert"], &signed).fails(3);
    s.run(
        &["inline-verify", "--not-after", "2001-01-01", "alice.cert"],
        &signed,
    )
    .fails(3);
    let raw = s
        .run(&["inline-sign", "--no-armor", "alice.key"], DATA)
        .ok();
    assert!(raw[0] & 0x80 != 0);
    assert_eq!(s.run(&["inline-verify", "alice.cert"], &raw).ok(), DATA);
}

/// Spellings of earlier drafts whose meaning is unchanged: accepted, and
/// kept out of the help.
#[test]
fn older_draft_spellings_are_hidden_aliases() {
    let s = Sop::new();
    s.key("alice", &[]);
    s.key("bob", &[]);

    // decrypt --verify-out (now --verifications-out).
    let ct = s
        .run(&["encrypt", "--sign-with", "alice.key", "bob.cert"], DATA)
        .ok();
    let pt = s
        .run(
            &[
                "decrypt",
                "--verify-with",
                "alice.cert",
                "--verify-out",
                "ver.txt",
                "bob.key",
            ],
            &ct,
        )
        .ok();
    assert_eq!(pt, DATA);
    let v = text(&s.read("ver.txt"));
    assert!(v.contains(r#""signers":["alice.cert"]"#), "{v}");
    // Both spellings at once name one option twice: a conflict, as the
    // new spelling given twice is.
    s.run(
        &[
            "decrypt",
            "--verify-with",
            "alice.cert",
            "--verify-out",
            "a.txt",
            "--verifications-out",
            "b.txt",
            "bob.key",
        ],
        &ct,
    )
    .fails(83);

    // detach-inband-signature-and-message (now inline-detach), on the
    // cleartext signatures it was made for.
    let signed = s
        .run(&["inline-sign", "--as", "clearsigned", "alice.key"], DATA)
        .ok();
    let data = s
        .run(
            &[
                "detach-inband-signature-and-message",
                "--signatures-out",
                "det.sig",
            ],
            &signed,
        )
        .ok();
    assert_eq!(data, DATA);
    s.run(&["verify", "det.sig", "alice.cert"], DATA).ok();

    // armor --label=auto: what armor does anyway.
    let bin = s.run(&["dearmor"], s.read("alice.cert")).ok();
    let armored = s.run(&["armor", "--label=auto"], &bin).ok();
    assert!(text(&armored).starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));

    let help = text(&s.run(&["decrypt", "--help"], "").ok());
    assert!(!help.contains("verify-out"), "{help}");
    let help = text(&s.run(&["--help"], "").ok());
    assert!(!help.contains("detach-inband"), "{help}");
    let help = text(&s.run(&["armor", "--help"], "").ok());
    assert!(!help.contains("--label"), "{help}");
}
