//! Issue 17, item 4: a new passphrase (generate, passwd) or message
//! password (encrypt --password) that is easy to guess is named as weak,
//! with zxcvbn's reasons and never the passphrase itself.  From a file,
//! @ENV or in --batch that is a warning and the command goes on; typed on
//! a terminal, the user is asked whether to keep it.

use predicates::prelude::*;
use predicates::str::{contains, is_empty};

use crate::harness::{Env, PASSPHRASE, User, error_has, has, json, no_panic, zpgp_bin};
use crate::hints::on_a_terminal;

/// Weak, and found in no text zpgp prints (unlike "password").
const WEAK: &str = "qwerty123";
const STRONG: &str = "quilted marmot sings under brass viaduct";
const KEY_WARNING: &str = "zpgp: warning: the new passphrase is weak (";
const MESSAGE_WARNING: &str = "zpgp: warning: the message password is weak (";

/// stderr: the warning, on one line with a reason and an estimate, and
/// nowhere the passphrase.
fn weak_warning(warning: &'static str, secret: &'static str) -> impl Predicate<str> {
    has(&[warning, "guesses"])
        .and(contains(secret).not())
        .and(predicate::function(move |s: &str| {
            s.lines().filter(|l| l.contains("is weak")).count() == 1
        }))
}

fn generate(env: &Env, args: &[&str], secret: &str) -> assert_cmd::assert::Assert {
    let file = env.write("new.txt", format!("{secret}\n"));
    env.zpgp()
        .args(["generate", "--name", "Alice Lovelace", "--email"])
        .arg("alice.lovelace@example.org")
        .args(args)
        .arg("--passphrase-file")
        .arg(file)
        .assert()
}

#[test]
fn generate_in_batch_warns_about_a_weak_passphrase_and_goes_on() {
    let env = Env::new();
    let out = generate(&env, &[], WEAK)
        .code(0)
        .stdout(predicate::str::is_match("^[0-9A-F]{40}\n$").unwrap())
        .stderr(weak_warning(KEY_WARNING, WEAK).and(contains("zpgp: created")));
    let fpr = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    // The key is made, with that passphrase.
    env.zpgp()
        .args(["list", "--secret"])
        .assert()
        .code(0)
        .stdout(contains(fpr.trim()));
}

#[test]
fn the_users_own_address_is_a_weak_passphrase() {
    let env = Env::new();
    let own = "alice.lovelace@example.org";
    generate(&env, &[], own)
        .code(0)
        .stderr(has(&[KEY_WARNING]).and(predicate::function(move |s: &str| {
            // The address is in the summary's user ID, never in the warning.
            s.lines()
                .filter(|l| l.contains("is weak"))
                .all(|l| !l.contains(own))
        })));
}

#[test]
fn a_warning_is_shown_even_with_quiet() {
    let env = Env::new();
    generate(&env, &["--quiet"], WEAK)
        .code(0)
        .stderr(weak_warning(KEY_WARNING, WEAK).and(contains("zpgp: created").not()));
}

#[test]
fn a_strong_passphrase_gets_no_warning() {
    let env = Env::new();
    generate(&env, &[], STRONG).code(0).stderr(
        no_panic()
            .and(contains("weak").not())
            .and(contains("warning").not()),
    );
    // The harness's own passphrase is not weak either.
    let env = Env::new();
    generate(&env, &[], PASSPHRASE)
        .code(0)
        .stderr(contains("weak").not());
}

#[test]
fn an_empty_passphrase_is_still_refused_and_not_rated() {
    let env = Env::new();
    generate(&env, &[], "").code(19).stdout(is_empty()).stderr(
        error_has(&["the passphrase is empty", "--no-passphrase"]).and(contains("weak").not()),
    );
    env.zpgp()
        .args(["generate", "--name", "Alice", "--no-passphrase"])
        .assert()
        .code(0)
        .stderr(contains("weak").not().and(contains(
            "WARNING: the secret key is stored without a passphrase",
        )));
}

/// From @ENV without --batch, nothing is asked (there may be no terminal):
/// the warning is all.
#[test]
fn a_passphrase_from_the_environment_is_never_asked_about() {
    let env = Env::new();
    assert_cmd::Command::new(zpgp_bin())
        .env_remove("ZPGP_HOME")
        .env("NEW_PASSPHRASE", WEAK)
        .arg("--home")
        .arg(env.home())
        .args([
            "generate",
            "--name",
            "Alice",
            "--passphrase-file",
            "@ENV:NEW_PASSPHRASE",
        ])
        .current_dir(env.dir.path())
        .write_stdin("")
        .assert()
        .code(0)
        .stderr(weak_warning(KEY_WARNING, WEAK).and(contains("anyway").not()));
}

#[test]
fn passwd_warns_about_a_weak_new_passphrase() {
    let alice = User::new("Alice");
    let weak = alice.write("weak.txt", format!("{WEAK}\n"));
    let strong = alice.write("strong.txt", format!("{STRONG}\n"));
    alice
        .zpgp_pw()
        .args(["passwd", "alice", "--new-passphrase-file"])
        .arg(&weak)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(weak_warning(KEY_WARNING, WEAK).and(contains("passphrase of")));
    // The key's own address, as a user ID of the key, is weak too.
    let own = alice.write("own.txt", format!("{}\n", alice.email()));
    alice
        .zpgp()
        .arg("--passphrase-file")
        .arg(&weak)
        .args(["passwd", "alice", "--new-passphrase-file"])
        .arg(&own)
        .assert()
        .code(0)
        .stderr(has(&[KEY_WARNING]));
    alice
        .zpgp()
        .arg("--passphrase-file")
        .arg(&own)
        .args(["passwd", "alice", "--new-passphrase-file"])
        .arg(&strong)
        .assert()
        .code(0)
        .stdout(is_empty())
        .stderr(
            no_panic()
                .and(contains("weak").not())
                .and(contains("warning").not()),
        );
}

#[test]
fn encrypt_warns_about_a_weak_message_password() {
    let alice = User::new("Alice");
    let weak = alice.write("weak.txt", format!("{WEAK}\n"));
    let strong = alice.write("strong.txt", format!("{STRONG}\n"));
    let out = alice
        .zpgp()
        .arg("--password-file")
        .arg(&weak)
        .args(["encrypt", "--password", "--no-self", "--armor"])
        .write_stdin("hi")
        .assert()
        .code(0)
        .stdout(contains("-----BEGIN PGP MESSAGE-----"))
        .stderr(weak_warning(MESSAGE_WARNING, WEAK));
    // It is the message's password all the same.
    alice
        .zpgp()
        .arg("--password-file")
        .arg(&weak)
        .arg("decrypt")
        .write_stdin(out.get_output().stdout.clone())
        .assert()
        .code(0)
        .stdout("hi");
    // With --json, stderr is the report, and holds nothing else.
    let out = alice
        .zpgp()
        .arg("--password-file")
        .arg(&weak)
        .args(["--json", "encrypt", "--password", "--no-self", "--armor"])
        .write_stdin("hi")
        .assert()
        .code(0)
        .stdout(contains("-----BEGIN PGP MESSAGE-----"));
    assert_eq!(json(&out.get_output().stderr)["passwords"], 1);
    alice
        .zpgp()
        .arg("--password-file")
        .arg(&strong)
        .args(["encrypt", "--password", "--no-self", "--armor"])
        .write_stdin("hi")
        .assert()
        .code(0)
        .stdout(contains("-----BEGIN PGP MESSAGE-----"))
        .stderr(
            no_panic()
                .and(contains("weak").not())
                .and(contains("warning").not()),
        );
}

/// `generate` on a terminal (util-linux `script`, without --batch): for
/// each (prompt, answer), waits until the screen shows the prompt once
/// more, then types the answer.  Typed before the prompt, an answer would
/// be echoed by the terminal (and a hidden one would not be hidden), which
/// a person at a terminal does not do.  `None` when `script` is missing.
fn converse(env: &Env, steps: &[(&str, &str)]) -> Option<(i32, String)> {
    use std::io::{Read, Write};
    // Skips (and fails under CI) as the other terminal tests do.
    on_a_terminal(env.dir.path(), &["--version"], "")?;
    let home = env.home().display().to_string();
    let line = format!(
        "'{}' --home '{home}' generate --name 'Alice Lovelace'",
        zpgp_bin().display()
    );
    let mut child = std::process::Command::new("script")
        .args(["-qfec", &line, "/dev/null"])
        .current_dir(env.dir.path())
        .env_remove("ZPGP_HOME")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run script");
    let screen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let mut stdout = child.stdout.take().unwrap();
    let reader = {
        let screen = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&buf[..n]).replace('\r', "");
                screen.lock().unwrap().push_str(&text);
            }
        })
    };
    let mut stdin = child.stdin.take().unwrap();
    let mut seen: std::collections::HashMap<&str, usize> = Default::default();
    for (prompt, answer) in steps {
        let want = seen.entry(prompt).or_default();
        *want += 1;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while screen.lock().unwrap().matches(prompt).count() < *want {
            let shown = screen.lock().unwrap().clone();
            assert!(
                std::time::Instant::now() < deadline,
                "no prompt {prompt:?}:\n{shown}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // The prompt is written before the terminal is set to read it.
        std::thread::sleep(std::time::Duration::from_millis(200));
        stdin.write_all(format!("{answer}\n").as_bytes()).unwrap();
    }
    let status = child.wait().expect("wait for script");
    drop(stdin);
    reader.join().unwrap();
    let screen = screen.lock().unwrap().clone();
    Some((status.code().unwrap_or(-1), screen))
}

const FIRST: &str = "Passphrase for the new key: ";
const AGAIN: &str = "Passphrase for the new key (again): ";
const QUESTION: &str = "Use it anyway? [y/N] ";

#[test]
fn on_a_terminal_a_weak_passphrase_is_asked_about() {
    // "n": asked for another, which is strong and kept without a question.
    let env = Env::new();
    let steps = [
        (FIRST, WEAK),
        (AGAIN, WEAK),
        (QUESTION, "n"),
        (FIRST, STRONG),
        (AGAIN, STRONG),
    ];
    let Some((code, screen)) = converse(&env, &steps) else {
        return;
    };
    assert_eq!(code, 0, "{screen}");
    assert_eq!(screen.matches(FIRST).count(), 2, "{screen}");
    assert_eq!(screen.matches(QUESTION).count(), 1, "{screen}");
    assert_eq!(screen.matches(KEY_WARNING).count(), 1, "{screen}");
    assert!(screen.contains("zpgp: created"), "{screen}");
    assert!(
        !screen.contains(WEAK) && !screen.contains(STRONG),
        "{screen}"
    );

    // "n" and then "y": the weak one is kept the second time.
    let env = Env::new();
    let steps = [
        (FIRST, WEAK),
        (AGAIN, WEAK),
        (QUESTION, "n"),
        (FIRST, WEAK),
        (AGAIN, WEAK),
        (QUESTION, "y"),
    ];
    let (code, screen) = converse(&env, &steps).unwrap();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(screen.matches(FIRST).count(), 2, "{screen}");
    assert_eq!(screen.matches(QUESTION).count(), 2, "{screen}");
    assert!(screen.contains("zpgp: created"), "{screen}");
    assert!(!screen.contains(WEAK), "{screen}");
    // The key was made with it.
    let pw = env.write("weak.txt", format!("{WEAK}\n"));
    env.zpgp()
        .arg("--passphrase-file")
        .arg(&pw)
        .args(["sign", "--armor"])
        .write_stdin("x")
        .assert()
        .code(0)
        .stdout(contains("-----BEGIN PGP MESSAGE-----"));

    // A strong one typed at once: no question.
    let env = Env::new();
    let (code, screen) = converse(&env, &[(FIRST, STRONG), (AGAIN, STRONG)]).unwrap();
    assert_eq!(code, 0, "{screen}");
    assert!(
        !screen.contains("anyway") && !screen.contains("weak"),
        "{screen}"
    );
}
