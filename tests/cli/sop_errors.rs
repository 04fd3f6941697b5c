//! The SOP failure modes: each bad input gets the draft's exit code, one
//! line on stderr, and nothing on stdout.

use crate::harness::Sop;

const DATA: &[u8] = b"some data\n";
const BINARY: &[u8] = b"\x00\xff\xfe binary \xc3";

fn alice() -> Sop {
    let s = Sop::new();
    s.key("alice", &[]);
    s
}

#[test]
fn usage_errors() {
    let s = Sop::new();
    // Missing arguments: MISSING_ARG.
    s.run(&[], "").fails(19);
    s.run(&["sign"], DATA).fails(19);
    s.run(&["verify"], DATA).fails(19);
    s.run(&["verify", "sig-only"], DATA).fails(19);
    s.run(&["inline-sign"], DATA).fails(19);
    s.run(&["inline-verify"], DATA).fails(19);
    s.run(&["inline-detach"], DATA).fails(19);
    s.run(&["certify-userid", "k"], DATA).fails(19);
    s.run(&["validate-userid", "uid"], DATA).fails(19);
    s.run(&["list-profiles"], DATA).fails(19);
    s.run(&["encrypt"], DATA).fails(19);
    s.run(&["decrypt"], DATA).fails(19);
    // Unknown options and option values: UNSUPPORTED_OPTION.
    s.run(&["encrypt", "--frobnicate"], DATA).fails(37);
    s.run(&["sign", "--as", "mime", "k"], DATA).fails(37);
    s.run(&["inline-sign", "--as", "mime", "k"], DATA).fails(37);
    s.run(&["version", "--no-such"], "").fails(37);
    // Unknown subcommands: UNSUPPORTED_SUBCOMMAND.
    s.run(&["frobnicate"], DATA).fails(69);
    // Options that do not go together.
    s.run(
        &["inline-sign", "--as", "clearsigned", "--no-armor", "k"],
        DATA,
    )
    .fails(83);
}

#[test]
fn not_openpgp_data_is_bad_data() {
    let s = alice();
    s.write("junk", "this is not OpenPGP\n");
    for args in [
        &["decrypt", "alice.key"][..],
        &["inline-verify", "alice.cert"],
        &["inline-detach", "--signatures-out", "o"],
        &["dearmor"],
        &["armor"],
        &["extract-cert"],
        &["merge-certs"],
        &["revoke-key"],
        &["change-key-password"],
        &["validate-userid", "x", "alice.cert"],
    ] {
        let out = s.run(args, "plain text, not OpenPGP\n");
        assert_eq!(out.code, 41, "{args:?}: {}", out.stderr);
        out.fails(41);
    }
    s.run(&["verify", "junk", "alice.cert"], DATA).fails(41);
    s.run(&["encrypt", "junk"], DATA).fails(41);
    s.run(&["sign", "junk"], DATA).fails(41);
    // A truncated message.
    let ct = s.run(&["encrypt", "alice.cert"], DATA).ok();
    let bin = s.run(&["dearmor"], &ct).ok();
    s.run(&["decrypt", "alice.key"], &bin[..bin.len() - 10])
        .fails(41);
}

#[test]
fn certificate_where_a_key_is_needed() {
    let s = alice();
    s.run(&["sign", "alice.cert"], DATA).fails(41);
    s.run(&["inline-sign", "alice.cert"], DATA).fails(41);
    s.run(&["decrypt", "alice.cert"], DATA).fails(41);
    s.run(
        &["encrypt", "--sign-with", "alice.cert", "alice.cert"],
        DATA,
    )
    .fails(41);
    s.run(&["extract-cert"], s.read("alice.cert")).fails(41);
    s.run(
        &["certify-userid", "--userid", "x", "alice.cert"],
        s.read("alice.cert"),
    )
    .fails(41);
}

#[test]
fn wrong_or_missing_key_password() {
    let s = Sop::new();
    s.write("pw", "right");
    s.write("bad", "wrong");
    s.key("k", &["--with-key-password", "pw"]);
    let ct = s.run(&["encrypt", "k.cert"], DATA).ok();
    s.run(&["decrypt", "k.key"], &ct).fails(67);
    s.run(&["decrypt", "--with-key-password", "bad", "k.key"], &ct)
        .fails(67);
    assert_eq!(
        s.run(&["decrypt", "--with-key-password", "pw", "k.key"], &ct)
            .ok(),
        DATA
    );
    s.run(&["sign", "--with-key-password", "bad", "k.key"], DATA)
        .fails(67);
    s.run(&["inline-sign", "k.key"], DATA).fails(67);
    s.run(&["encrypt", "--sign-with", "k.key", "k.cert"], DATA)
        .fails(67);
    s.run(
        &["revoke-key", "--with-key-password", "bad"],
        s.read("k.key"),
    )
    .fails(67);
}

#[test]
fn cannot_decrypt() {
    let s = alice();
    s.key("bob", &[]);
    let ct = s.run(&["encrypt", "bob.cert"], DATA).ok();
    s.run(&["decrypt", "alice.key"], &ct).fails(29);
    s.write("pw", "pw");
    s.run(&["decrypt", "--with-password", "pw"], &ct).fails(29);
}

#[test]
fn non_utf8_passwords_are_not_human_readable() {
    let s = alice();
    s.write("pw", b"\xff\xfe\xfd");
    s.run(&["encrypt", "--with-password", "pw"], DATA).fails(31);
    s.run(&["generate-key", "--with-key-password", "pw", "A"], "")
        .fails(31);
    s.run(
        &["change-key-password", "--new-key-password", "pw"],
        s.read("alice.key"),
    )
    .fails(31);
}

#[test]
fn text_expected_but_binary_given() {
    let s = alice();
    s.run(&["sign", "--as", "text", "alice.key"], BINARY)
        .fails(53);
    s.run(&["inline-sign", "--as", "text", "alice.key"], BINARY)
        .fails(53);
    s.run(&["inline-sign", "--as", "clearsigned", "alice.key"], BINARY)
        .fails(53);
    s.run(&["encrypt", "--as", "text", "alice.cert"], BINARY)
        .fails(53);
    // Binary mode takes anything.
    s.run(&["sign", "alice.key"], BINARY).ok();
}

#[test]
fn outputs_that_exist() {
    let s = alice();
    s.write("exists", "do not overwrite");
    let ct = s.run(&["encrypt", "alice.cert"], DATA).ok();
    let signed = s.run(&["inline-sign", "alice.key"], DATA).ok();
    s.run(
        &["encrypt", "--session-key-out", "exists", "alice.cert"],
        DATA,
    )
    .fails(59);
    s.run(
        &["decrypt", "--session-key-out", "exists", "alice.key"],
        &ct,
    )
    .fails(59);
    s.run(
        &[
            "decrypt",
            "--verify-with",
            "alice.cert",
            "--verifications-out",
            "exists",
            "alice.key",
        ],
        &ct,
    )
    .fails(59);
    s.run(&["sign", "--micalg-out", "exists", "alice.key"], DATA)
        .fails(59);
    s.run(
        &[
            "inline-verify",
            "--verifications-out",
            "exists",
            "alice.cert",
        ],
        &signed,
    )
    .fails(59);
    s.run(&["inline-detach", "--signatures-out", "exists"], &signed)
        .fails(59);
    assert_eq!(s.read("exists"), b"do not overwrite");
}

#[test]
fn indirect_parameter_rules() {
    let s = alice();
    // A file named like a designator makes the designator ambiguous.
    s.write("@ENV:PW", "file");
    let out = s
        .cmd()
        .env("PW", "env")
        .args(["encrypt", "--with-password", "@ENV:PW"])
        .write_stdin(DATA)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(73));
    assert!(out.stdout.is_empty());
    // Unknown designators.
    s.run(&["encrypt", "--with-password", "@FILE:x"], DATA)
        .fails(71);
    s.run(&["sign", "--micalg-out", "@ENV:X", "alice.key"], DATA)
        .fails(71);
    // Missing input files.
    s.run(&["encrypt", "no-such.cert"], DATA).fails(61);
    s.run(&["sign", "no-such.key"], DATA).fails(61);
    s.run(&["verify", "no-such.sig", "alice.cert"], DATA)
        .fails(61);
    s.run(&["decrypt", "--with-password", "@FD:99"], DATA)
        .fails(61);
}

#[test]
fn no_valid_signature_and_incomplete_verification() {
    let s = alice();
    s.key("bob", &[]);
    let sig = s.run(&["sign", "bob.key"], DATA).ok();
    s.write("bob.sig", sig);
    s.run(&["verify", "bob.sig", "alice.cert"], DATA).fails(3);
    let signed = s.run(&["inline-sign", "bob.key"], DATA).ok();
    // Nothing of the unverified content reaches stdout.
    s.run(&["inline-verify", "alice.cert"], &signed).fails(3);
    let ct = s.run(&["encrypt", "alice.cert"], DATA).ok();
    s.run(&["decrypt", "--verify-with", "bob.cert", "alice.key"], &ct)
        .fails(23);
    s.run(&["decrypt", "--verifications-out", "v", "alice.key"], &ct)
        .fails(23);
    // Encrypting to nobody.
    s.run(&["encrypt"], DATA).fails(19);
}
