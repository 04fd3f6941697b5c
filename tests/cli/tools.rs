//! Issue 7: `zpgp armor` and `zpgp dearmor`, and the progress bar that
//! appears only on a terminal.

use predicates::prelude::*;
use predicates::str::{contains, is_empty, starts_with};

use crate::harness::{Env, User, error_has, noise};
use crate::hints::on_a_terminal;

// armor, dearmor -------------------------------------------------------------

#[test]
fn armor_and_dearmor_round_trip_through_pipes_and_files() {
    let alice = User::new("Alice");
    let binary = alice
        .zpgp()
        .args(["export", "--binary", "alice"])
        .output()
        .unwrap()
        .stdout;
    let armored = alice
        .zpgp()
        .arg("armor")
        .write_stdin(binary.clone())
        .assert()
        .code(0)
        .stdout(starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"))
        .stderr(is_empty())
        .get_output()
        .stdout
        .clone();
    alice
        .zpgp()
        .arg("dearmor")
        .write_stdin(armored.clone())
        .assert()
        .code(0)
        .stdout(binary.clone())
        .stderr(is_empty());

    // FILE and -o FILE; an existing output needs --force.
    let input = alice.write("m.pgp", alice.sign(&[], b"signed"));
    alice
        .zpgp()
        .args(["armor", "m.pgp", "-o", "m.asc"])
        .assert()
        .code(0)
        .stdout(is_empty());
    let text = std::fs::read_to_string(alice.path("m.asc")).unwrap();
    assert!(text.starts_with("-----BEGIN PGP MESSAGE-----"), "{text}");
    alice
        .zpgp()
        .args(["armor", "m.pgp", "-o", "m.asc"])
        .assert()
        .code(59)
        .stderr(error_has(&["m.asc exists already", "hint: use --force"]));
    alice
        .zpgp()
        .args(["dearmor", "m.asc", "-o", "m2.pgp"])
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read(alice.path("m2.pgp")).unwrap(),
        std::fs::read(&input).unwrap()
    );
    alice
        .zpgp()
        .args(["dearmor", "--force", "m.asc", "-o", "m2.pgp"])
        .assert()
        .code(0);
    // Armoring armored data re-armors it; dearmoring binary passes it.
    alice
        .zpgp()
        .args(["armor", "m.asc"])
        .assert()
        .code(0)
        .stdout(starts_with("-----BEGIN PGP MESSAGE-----"));
    alice
        .zpgp()
        .args(["dearmor", "m.pgp"])
        .assert()
        .code(0)
        .stdout(std::fs::read(&input).unwrap());
}

#[test]
fn armor_keeps_secret_keys_private() {
    use std::os::unix::fs::PermissionsExt;
    let alice = User::new("Alice");
    alice
        .zpgp()
        .args(["export", "--secret", "--binary", "-o", "key.pgp", "alice"])
        .assert()
        .success();
    alice
        .zpgp()
        .args(["armor", "key.pgp", "-o", "key.asc"])
        .assert()
        .code(0);
    let mode = std::fs::metadata(alice.path("key.asc"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "armored secret key file mode {mode:o}");
    let text = std::fs::read_to_string(alice.path("key.asc")).unwrap();
    assert!(text.starts_with("-----BEGIN PGP PRIVATE KEY BLOCK-----"));
}

#[test]
fn armor_and_dearmor_refuse_what_is_not_openpgp() {
    let env = Env::new();
    env.write("notes.txt", "plain words\n");
    for cmd in ["armor", "dearmor"] {
        env.zpgp()
            .args([cmd, "notes.txt"])
            .assert()
            .code(41)
            .stdout(is_empty())
            .stderr(error_has(&["not OpenPGP data"]));
        env.zpgp()
            .arg(cmd)
            .write_stdin("")
            .assert()
            .code(41)
            .stderr(error_has(&["empty"]));
        env.zpgp()
            .args([cmd, "missing.pgp"])
            .assert()
            .code(61)
            .stderr(error_has(&["missing.pgp"]));
    }
}

// progress -------------------------------------------------------------------

const BIG: usize = 9 << 20;

/// What a progress bar would leave on stderr.
fn bar_marks() -> impl Predicate<str> {
    contains('\r')
        .or(contains('\u{1b}'))
        .or(contains("MiB"))
        .or(contains('█'))
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    let (alice, bob) = crate::harness::alice_and_bob();
    alice.write("big", noise(BIG, 5));
    alice
        .zpgp_pw()
        .args(["encrypt", "--sign", "-r", "bob", "-o", "big.pgp", "big"])
        .assert()
        .code(0)
        .stderr(bar_marks().not());
    std::fs::copy(alice.path("big.pgp"), bob.path("big.pgp")).unwrap();
    bob.zpgp_pw()
        .args(["decrypt", "-o", "big.out", "big.pgp"])
        .assert()
        .code(0)
        .stderr(bar_marks().not());
    alice
        .zpgp_pw()
        .args(["sign", "--detached", "big"])
        .assert()
        .code(0)
        .stderr(bar_marks().not());
    alice
        .zpgp()
        .args(["verify", "--signature", "big.sig", "big"])
        .assert()
        .code(0)
        .stderr(bar_marks().not());
}

#[test]
fn progress_bar_on_a_terminal_and_not_with_quiet() {
    let (alice, _bob) = crate::harness::alice_and_bob();
    alice.write("big", noise(BIG, 6));
    let home = alice.env.home().display().to_string();
    let pw = alice.env.passphrase_file().display().to_string();
    let args = |quiet: bool, out: &'static str| {
        let mut a = vec!["--home", &home, "--batch", "--passphrase-file", &pw];
        if quiet {
            a.push("--quiet");
        }
        a.extend(["encrypt", "-r", "bob", "-o", out, "big"]);
        a.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let run = |a: Vec<String>| {
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        on_a_terminal(alice.env.dir.path(), &refs, "")
    };
    let Some((code, screen)) = run(args(false, "a.pgp")) else {
        return;
    };
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("MiB"), "no bar on the terminal: {screen:?}");
    assert!(screen.contains("encrypted to 2 recipients"), "{screen:?}");
    let (code, screen) = run(args(true, "b.pgp")).unwrap();
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains("MiB"), "a bar despite --quiet: {screen:?}");
}
