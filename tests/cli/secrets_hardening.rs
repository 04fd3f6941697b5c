//! Issue 19, the outside review: secrets and hostile messages.
//!
//! - Password hashing a message asks for is bounded: Argon2 memory, work
//!   and lanes per password packet, and the number of packets tried.
//! - One secret, one job: --passphrase-file unlocks keys, --password-file
//!   opens and makes password messages; neither stands in for the other.
//! - A message of at most 1 MiB writes nothing to standard output before
//!   it is checked in full, however far it decompresses.
//! - `@FD:N` names only descriptors the caller passed, taken at start-up
//!   and duplicated, with fixed rules for 0, 1 and 2.

use std::io::Write;
use std::path::Path;

use assert_cmd::Command;
use openpgp::crypto::S2K;
use openpgp::packet::{Packet, SKESK};
use openpgp::parse::Parse;
use openpgp::serialize::Serialize;
use openpgp::serialize::stream::{Compressor, Encryptor, LiteralWriter, Message};
use openpgp::types::{AEADAlgorithm, CompressionAlgorithm};
use predicates::str::{contains, is_empty};
use sequoia_openpgp as openpgp;

use crate::harness::{Env, PASSPHRASE, User, error_has, has, no_panic, zpgp_bin, zpgp_sop};

const MSG_PASSWORD: &str = "the message password";
const PLAINTEXT: &[u8] = b"a message opened by password\n";

/// A password-only message made by sequoia: SKESK4 + SEIPDv1, or with
/// `v6` SKESK6 + SEIPDv2 (OCB).
fn password_message(password: &str, v6: bool, plaintext: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let message = Message::new(&mut out);
    let mut encryptor = Encryptor::with_passwords(message, Some(password));
    if v6 {
        encryptor = encryptor.aead_algo(AEADAlgorithm::OCB);
    }
    let message = encryptor.build().unwrap();
    let mut w = LiteralWriter::new(message).build().unwrap();
    w.write_all(plaintext).unwrap();
    w.finalize().unwrap();
    out
}

/// The message's top-level packets (the encrypted container unopened).
fn packets(message: &[u8]) -> Vec<Packet> {
    openpgp::PacketPile::from_bytes(message)
        .unwrap()
        .into_children()
        .collect()
}

fn serialize(packets: &[Packet]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in packets {
        p.serialize(&mut out).unwrap();
    }
    out
}

/// The message's password packet with its S2K replaced; what it encrypts
/// no longer matters, as no hashing may start.
fn with_s2k(skesk: &Packet, s2k: S2K) -> Packet {
    let Packet::SKESK(skesk) = skesk else {
        panic!("not a password packet: {skesk:?}");
    };
    let mut skesk = skesk.clone();
    match &mut skesk {
        SKESK::V4(s) => drop(s.set_s2k(s2k)),
        SKESK::V6(s) => drop(s.set_s2k(s2k)),
        other => panic!("unexpected {other:?}"),
    }
    Packet::SKESK(skesk)
}

fn argon2(t: u8, p: u8, m: u8) -> S2K {
    S2K::Argon2 {
        salt: [7; 16],
        t,
        p,
        m,
    }
}

/// `zpgp --home … --batch --password-file FILE decrypt` of `message` on
/// standard input.
fn decrypt_with_password(env: &Env, message: &[u8]) -> assert_cmd::assert::Assert {
    let pw = env.write("msg-password.txt", format!("{MSG_PASSWORD}\n"));
    env.zpgp()
        .arg("--password-file")
        .arg(pw)
        .arg("decrypt")
        .write_stdin(message.to_vec())
        .assert()
}

// 5. Password hashing is bounded ---------------------------------------------

/// Argon2 settings over the limits are refused before any hashing starts:
/// m = 31 would take 2 TiB, m = 22 4 GiB (14.5 s measured), three passes
/// over 2 GiB three times the 2 GiB limit's work; the error names the cost
/// and the limit (exit 29), through the main CLI and the SOP interface,
/// for SKESK6 and SKESK4.
#[test]
fn argon2_costs_over_the_limits_are_refused_before_hashing() {
    let env = Env::new();
    let pw = env.write("sop-password.txt", MSG_PASSWORD);
    for v6 in [true, false] {
        let genuine = packets(&password_message(MSG_PASSWORD, v6, PLAINTEXT));
        assert_eq!(genuine.len(), 2, "SKESK + SEIPD");
        for (s2k, cost, limit) in [
            (
                argon2(1, 4, 31),
                "2 TiB of memory (m=31)",
                "more memory than the limit of 2 GiB",
            ),
            (
                argon2(1, 4, 22),
                "4 GiB of memory (m=22)",
                "more memory than the limit of 2 GiB",
            ),
            (
                argon2(3, 4, 21),
                "2 GiB of memory (m=21), 3 passes",
                "6 GiB of memory work (passes × memory), more than the limit of 4 GiB",
            ),
            (
                argon2(1, 64, 16),
                "64 lanes",
                "more lanes than the limit of 16",
            ),
        ] {
            let what = format!("v6 {v6}, {cost}");
            let hostile = serialize(&[with_s2k(&genuine[0], s2k), genuine[1].clone()]);
            decrypt_with_password(&env, &hostile)
                .code(29)
                .stdout(is_empty())
                .stderr(error_has(&[
                    "cannot decrypt the message with a password",
                    cost,
                    limit,
                    "hint: ",
                    "RFC 9580",
                ]));
            zpgp_sop(env.dir.path())
                .args(["decrypt", "--with-password"])
                .arg(&pw)
                .write_stdin(hostile)
                .assert()
                .code(29)
                .stdout(is_empty())
                .stderr(has(&[cost, limit]));
            eprintln!("{what}: refused");
        }
    }
}

/// A password packet over the limits is passed over, not fatal: the
/// message's other password packet still opens it.
#[test]
fn a_costly_password_packet_is_skipped_and_a_good_one_opens_the_message() {
    let env = Env::new();
    let genuine = packets(&password_message(MSG_PASSWORD, true, PLAINTEXT));
    let message = serialize(&[
        with_s2k(&genuine[0], argon2(1, 4, 31)),
        genuine[0].clone(),
        genuine[1].clone(),
    ]);
    decrypt_with_password(&env, &message)
        .code(0)
        .stdout(PLAINTEXT)
        .stderr(no_panic());
    // With a wrong password, the error says what was not tried.
    env.zpgp()
        .arg("--password-file")
        .arg(env.write("wrong.txt", "not it\n"))
        .arg("decrypt")
        .write_stdin(message)
        .assert()
        .code(29)
        .stdout(is_empty())
        .stderr(error_has(&[
            "wrong password for the message",
            "not tried",
            "2 TiB of memory (m=31)",
        ]));
}

/// A message with more password packets than the limit (8) is not tried
/// with a password at all, even the right one (each packet would be hashed
/// for each password); the message's recipients still open it with their
/// keys.
#[test]
fn too_many_password_packets_are_not_tried() {
    let env = Env::new();
    let genuine = packets(&password_message(MSG_PASSWORD, false, PLAINTEXT));
    let mut many = vec![genuine[0].clone(); 20];
    many.push(genuine[1].clone());
    decrypt_with_password(&env, &serialize(&many))
        .code(29)
        .stdout(is_empty())
        .stderr(error_has(&[
            "the message has 20 password packets, more than the limit of 8",
            "no password was tried",
            "hint: ",
            "encrypt it for fewer passwords (at most 8)",
        ]));
    // Eight are tried.
    let mut eight = vec![genuine[0].clone(); 8];
    eight.push(genuine[1].clone());
    decrypt_with_password(&env, &serialize(&eight))
        .code(0)
        .stdout(PLAINTEXT);

    // A key opens a message with 20 password packets.
    let bob = User::new("Bob");
    let ct = bob.encrypt(&["-r", "bob@example.org", "--password"], PLAINTEXT);
    let mut parts = packets(&ct);
    let skesk = parts
        .iter()
        .position(|p| matches!(p, Packet::SKESK(_)))
        .expect("a password packet");
    for _ in 0..19 {
        parts.insert(skesk, parts[skesk].clone());
    }
    bob.zpgp_pw()
        .arg("decrypt")
        .write_stdin(serialize(&parts))
        .assert()
        .code(0)
        .stdout(PLAINTEXT)
        .stderr(no_panic());
}

// 8. One secret, one job -----------------------------------------------------

/// `encrypt --sign --password` never takes the message password from
/// --passphrase-file (whoever reads the message would learn the key's
/// passphrase): with only that file it fails naming --password-file, and
/// writes nothing; with --password-file it works, and the key passphrase
/// does not open the message.
#[test]
fn encrypt_sign_password_takes_the_password_from_password_file_only() {
    let alice = User::new("Alice");
    let input = alice.write("plan.txt", PLAINTEXT);
    alice
        .zpgp_pw()
        .args(["encrypt", "--sign", "--password"])
        .arg(&input)
        .assert()
        .code(19)
        .stdout(is_empty())
        .stderr(error_has(&[
            "encrypt --sign --password needs its own message password",
            "--passphrase-file",
            "hint: give the message password with --password-file FILE",
        ]));
    assert!(!alice.path("plan.txt.pgp").exists());

    let pw = alice.write("message-password.txt", format!("{MSG_PASSWORD}\n"));
    alice
        .zpgp_pw()
        .arg("--password-file")
        .arg(&pw)
        .args(["encrypt", "--sign", "--password", "--no-self"])
        .arg(&input)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(no_panic());
    let message = std::fs::read(alice.path("plan.txt.pgp")).unwrap();

    // A stranger with the message password reads it; Alice's passphrase
    // is no message password.
    let stranger = Env::new();
    decrypt_with_password(&stranger, &message)
        .code(0)
        .stdout(PLAINTEXT);
    stranger
        .zpgp()
        .arg("--password-file")
        .arg(stranger.passphrase_file())
        .arg("decrypt")
        .write_stdin(message)
        .assert()
        .code(29)
        .stdout(is_empty())
        .stderr(error_has(&["wrong password for the message"]));

    // Without signing no key is involved, and --passphrase-file alone still
    // gives the password, as before.
    let ct = alice.encrypt(&["--password", "--no-self"], PLAINTEXT);
    stranger
        .zpgp()
        .arg("--password-file")
        .arg(stranger.passphrase_file())
        .arg("decrypt")
        .write_stdin(ct)
        .assert()
        .code(0)
        .stdout(PLAINTEXT);
}

/// `decrypt` never tries the key passphrase on a message's password
/// packets (an oracle for whoever sends the message): a message whose
/// password *is* Bob's key passphrase does not open with --passphrase-file,
/// and the error names --password-file; with --password-file it opens.
#[test]
fn decrypt_never_tries_the_key_passphrase_as_a_message_password() {
    let bob = User::new("Bob");
    let carol = User::new("Carol");
    bob.knows(&[&carol]);
    let password_only = password_message(PASSPHRASE, false, PLAINTEXT);
    bob.zpgp_pw()
        .arg("decrypt")
        .write_stdin(password_only.clone())
        .assert()
        .code(29)
        .stdout(is_empty())
        .stderr(error_has(&[
            "the message is encrypted with a password; --passphrase-file is for key \
             passphrases only",
            "hint: give the message password with --password-file FILE",
        ]));
    // Also when the message is for someone else's key as well.
    let pw = bob.write("pw-is-passphrase.txt", format!("{PASSPHRASE}\n"));
    let for_carol = bob
        .zpgp()
        .arg("--password-file")
        .arg(&pw)
        .args([
            "encrypt",
            "-r",
            "carol@example.org",
            "--no-self",
            "--password",
        ])
        .write_stdin(PLAINTEXT)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    bob.zpgp_pw()
        .arg("decrypt")
        .write_stdin(for_carol.clone())
        .assert()
        .code(29)
        .stdout(is_empty())
        .stderr(error_has(&["--password-file"]));

    // The same file given as --password-file opens both.
    for message in [password_only, for_carol] {
        bob.zpgp()
            .arg("--password-file")
            .arg(bob.env.passphrase_file())
            .arg("decrypt")
            .write_stdin(message)
            .assert()
            .code(0)
            .stdout(PLAINTEXT)
            .stderr(no_panic());
    }
    // No source at all in --batch: the same hint.
    bob.zpgp()
        .arg("decrypt")
        .write_stdin(password_message(MSG_PASSWORD, false, PLAINTEXT))
        .assert()
        .code(29)
        .stdout(is_empty())
        .stderr(error_has(&[
            "--batch forbids asking",
            "hint: give the message password with --password-file FILE",
        ]));
}

/// --password-file takes @ENV:NAME and @FD:N like --passphrase-file.
#[test]
fn password_file_from_environment_and_descriptor() {
    let env = Env::new();
    let message = env.write("m.pgp", password_message(MSG_PASSWORD, true, PLAINTEXT));
    env.zpgp()
        .env("ZPGP_TEST_MSG_PW", MSG_PASSWORD)
        .args([
            "--password-file",
            "@ENV:ZPGP_TEST_MSG_PW",
            "decrypt",
            "-o",
            "-",
        ])
        .arg(&message)
        .assert()
        .code(0)
        .stdout(PLAINTEXT)
        .stderr(no_panic());
    let pw = env.write("pw.txt", format!("{MSG_PASSWORD}\n"));
    in_bash(
        &env,
        r#""$ZPGP" --home "$HOME_DIR" --batch --password-file @FD:3 decrypt -o - "$1" 3<"$2""#,
        &[&message, &pw],
    )
    .assert()
    .code(0)
    .stdout(PLAINTEXT)
    .stderr(no_panic());
    // Encrypting too.
    let ct = in_bash(
        &env,
        r#"echo hi | "$ZPGP" --home "$HOME_DIR" --batch --password-file @FD:3 encrypt --password 3<"$1""#,
        &[&pw],
    )
    .assert()
    .code(0)
    .get_output()
    .stdout
    .clone();
    decrypt_with_password(&env, &ct).code(0).stdout("hi\n");
}

// 9. Nothing on standard output before a small message is checked -----------

/// About 110 KB of ciphertext that decompresses to 20 MiB, damaged at the
/// end: nothing reaches standard output (the review saw 19.9 MB written
/// before exit 41), through the main CLI and the SOP interface; the
/// undamaged message writes all of it.
#[test]
fn a_small_compressed_message_is_checked_before_any_plaintext_is_released() {
    let env = Env::new();
    let mut plaintext = Vec::with_capacity(20 << 20);
    let mut i = 0u32;
    while plaintext.len() < 20 << 20 {
        plaintext.extend_from_slice(format!("line {:05}\n", i % 100).as_bytes());
        i += 1;
    }
    let mut message = Vec::new();
    let sink = Message::new(&mut message);
    let sink = Encryptor::with_passwords(sink, Some(MSG_PASSWORD))
        .build()
        .unwrap();
    let sink = Compressor::new(sink)
        .algo(CompressionAlgorithm::Zip)
        .build()
        .unwrap();
    let mut w = LiteralWriter::new(sink).build().unwrap();
    w.write_all(&plaintext).unwrap();
    w.finalize().unwrap();
    assert!(message.len() < 1 << 20, "{} bytes", message.len());

    let mut damaged = message.clone();
    let n = damaged.len();
    damaged[n - 5] ^= 0x01;
    decrypt_with_password(&env, &damaged)
        .code(41)
        .stdout(is_empty())
        .stderr(error_has(&[]));
    let pw = env.write("sop-password.txt", MSG_PASSWORD);
    zpgp_sop(env.dir.path())
        .args(["decrypt", "--with-password"])
        .arg(&pw)
        .write_stdin(damaged)
        .assert()
        .code(41)
        .stdout(is_empty());

    let out = decrypt_with_password(&env, &message)
        .code(0)
        .get_output()
        .clone();
    assert!(out.stdout == plaintext, "{} bytes out", out.stdout.len());
}

// 10. @FD:N ------------------------------------------------------------------

/// `bash -c SCRIPT` with $ZPGP and $HOME_DIR set and `args` as $1, $2, …
fn in_bash(env: &Env, script: &str, args: &[&Path]) -> Command {
    let mut c = Command::new("bash");
    c.env_remove("ZPGP_HOME")
        .env("ZPGP", zpgp_bin())
        .env("HOME_DIR", env.home())
        .current_dir(env.dir.path())
        .arg("-c")
        .arg(script)
        .arg("bash");
    for a in args {
        c.arg(a);
    }
    c
}

/// A descriptor zpgp would open itself is not one the caller passed: run
/// with only 0, 1 and 2 open, `@FD:3` is refused before zpgp opens the
/// message (it used to read the message file as the passphrase, and
/// `@FD:4` the output's temporary file).
#[test]
fn a_descriptor_zpgp_would_open_itself_is_not_read() {
    let bob = User::new("Bob");
    let message = bob.write("m.pgp", bob.encrypt(&["-r", "bob@example.org"], PLAINTEXT));
    // Run through bash to close 3 and 4 for sure: a test runner may pass
    // descriptors of its own down.
    let out = bob.path("out.txt");
    for (option, fd) in [
        ("--passphrase-file", "@FD:3"),
        ("--password-file", "@FD:3"),
        ("--passphrase-file", "@FD:4"),
    ] {
        in_bash(
            &bob.env,
            &format!(
                r#""$ZPGP" --home "$HOME_DIR" --batch {option} {fd} decrypt -o "$1" "$2" 3<&- 4<&-"#
            ),
            &[&out, &message],
        )
        .assert()
        .code(61)
        .stdout(is_empty())
        .stderr(error_has(&[&format!(
            "file descriptor {} is not open",
            &fd[4..]
        )]));
        assert!(!out.exists());
    }
    // passwd's --new-passphrase-file as well, before the keyring is opened.
    in_bash(
        &bob.env,
        r#""$ZPGP" --home "$HOME_DIR" --batch --passphrase-file "$1" passwd --new-passphrase-file @FD:3 "$2" 3<&-"#,
        &[&bob.env.passphrase_file(), Path::new(&bob.fpr)],
    )
    .assert()
    .code(61)
    .stdout(is_empty())
    .stderr(error_has(&["file descriptor 3 is not open"]));
    // A descriptor passed by the caller works.
    let new = bob.write("new-pass.txt", "a new passphrase\n");
    in_bash(
        &bob.env,
        r#""$ZPGP" --home "$HOME_DIR" --batch --passphrase-file "$1" passwd --new-passphrase-file @FD:3 "$2" 3<"$3""#,
        &[&bob.env.passphrase_file(), Path::new(&bob.fpr), &new],
    )
    .assert()
    .code(0)
    .stdout(is_empty())
    .stderr(contains("is changed"));
}

/// `--passphrase-file @FD:1` used to read standard output as the
/// passphrase and close it, so the signature was lost.  Standard output
/// and error are never read: refused (83) before anything happens, and the
/// file behind standard output is untouched; a real descriptor beside it
/// works and standard output carries the product.
#[test]
fn standard_output_is_never_taken_as_a_passphrase() {
    let alice = User::new("Alice");
    let data = alice.write("data.txt", PLAINTEXT);
    // Standard output opened read-write on a file holding the passphrase:
    // the old code read it from there, and the signature went nowhere.
    let out = alice.write("out.sig", format!("{PASSPHRASE}\n"));
    in_bash(
        &alice.env,
        r#""$ZPGP" --home "$HOME_DIR" --batch --passphrase-file @FD:1 sign --detached -o - "$1" 1<>"$2""#,
        &[&data, &out],
    )
    .assert()
    .code(83)
    .stdout(is_empty())
    .stderr(error_has(&[
        "--passphrase-file @FD:1 is standard output",
        "hint: ",
    ]));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!("{PASSPHRASE}\n")
    );
    for fd in ["@FD:2", "@FD:1"] {
        alice
            .zpgp()
            .args(["--password-file", fd, "encrypt", "--password"])
            .write_stdin(PLAINTEXT)
            .assert()
            .code(83)
            .stdout(is_empty())
            .stderr(error_has(&["--password-file", "hint: "]));
    }

    let pass = alice.env.passphrase_file();
    let sig = alice.path("good.sig");
    in_bash(
        &alice.env,
        r#""$ZPGP" --home "$HOME_DIR" --batch --passphrase-file @FD:3 sign --detached -o - "$1" 3<"$2" >"$3""#,
        &[&data, &pass, &sig],
    )
    .assert()
    .code(0)
    .stdout(is_empty());
    alice
        .zpgp()
        .args(["verify", "--signature"])
        .arg(&sig)
        .arg(&data)
        .assert()
        .code(0)
        .stderr(contains("good signature"));
}

/// `@FD:0` is standard input: it may carry a secret only when the data
/// comes from a file.
#[test]
fn standard_input_carries_either_the_data_or_a_secret() {
    let env = Env::new();
    let message = env.write("m.pgp", password_message(MSG_PASSWORD, false, PLAINTEXT));
    env.zpgp()
        .args(["--password-file", "@FD:0", "decrypt"])
        .write_stdin(format!("{MSG_PASSWORD}\n"))
        .assert()
        .code(83)
        .stdout(is_empty())
        .stderr(error_has(&[
            "--password-file @FD:0 is standard input, which carries this command's data",
            "hint: give the data as a file argument",
        ]));
    env.zpgp()
        .args(["--password-file", "@FD:0", "decrypt", "-o", "-"])
        .arg(&message)
        .write_stdin(format!("{MSG_PASSWORD}\n"))
        .assert()
        .code(0)
        .stdout(PLAINTEXT)
        .stderr(no_panic());
}

/// The SOP interface resolves its indirect parameters the same way: a
/// passed descriptor is read, standard output is never an
/// indirect output, standard error may be one (and stays open), and a
/// descriptor not passed is not open.
#[test]
fn sop_descriptors_follow_the_same_rules() {
    let env = Env::new();
    let dir = env.dir.path();
    let key = zpgp_sop(dir)
        .args(["generate-key", "Alice <alice@example.org>"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let key = env.write("alice.key", key);
    let message = password_message(MSG_PASSWORD, true, PLAINTEXT);
    zpgp_sop(dir)
        .args(["decrypt", "--with-password", "@FD:57"])
        .write_stdin(message.clone())
        .assert()
        .code(61)
        .stdout(is_empty())
        .stderr(contains("file descriptor 57 is not open"));
    zpgp_sop(dir)
        .args(["decrypt", "--with-password", "@FD:0"])
        .write_stdin(message.clone())
        .assert()
        .code(83)
        .stdout(is_empty())
        .stderr(contains("@FD:0 is standard input"));
    let pw = env.write("pw.txt", MSG_PASSWORD);
    zpgp_sop(dir)
        .args(["decrypt", "--with-password"])
        .arg(&pw)
        .args(["--session-key-out", "@FD:1"])
        .write_stdin(message)
        .assert()
        .code(83)
        .stdout(is_empty())
        .stderr(contains("--session-key-out @FD:1 is standard output"));
    // micalg to standard error, the signature to standard output.
    let sig = zpgp_sop(dir)
        .args(["sign", "--micalg-out", "@FD:2"])
        .arg(&key)
        .write_stdin(PLAINTEXT)
        .assert()
        .code(0)
        .stderr(contains("pgp-sha"))
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8_lossy(&sig).starts_with("-----BEGIN PGP SIGNATURE-----"));
    let pw_file = env.write("pw2.txt", MSG_PASSWORD);
    let ct = in_bash(
        &env,
        &format!(
            r#"echo hi | "{}" encrypt --with-password @FD:3 3<"$1""#,
            assert_cmd::cargo::cargo_bin("zpgp-sop").display()
        ),
        &[&pw_file],
    )
    .assert()
    .code(0)
    .get_output()
    .stdout
    .clone();
    zpgp_sop(dir)
        .args(["decrypt", "--with-password"])
        .arg(&pw_file)
        .write_stdin(ct)
        .assert()
        .code(0)
        .stdout("hi\n");
}
