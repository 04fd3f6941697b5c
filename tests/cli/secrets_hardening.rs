//! Issue 19, the outside review: secrets and hostile messages.
//!
//! - One secret, one job: --passphrase-file unlocks keys, --password-file
//!   opens and makes password messages; neither stands in for the other.

use std::io::Write;
use std::path::Path;

use assert_cmd::Command;
use openpgp::serialize::stream::{Encryptor, LiteralWriter, Message};
use openpgp::types::AEADAlgorithm;
use predicates::str::is_empty;
use sequoia_openpgp as openpgp;

use crate::harness::{Env, PASSPHRASE, zpgp_bin};
use crate::messages::{User, error_has, no_panic};

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
