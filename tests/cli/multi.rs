//! Issue 17, items 2 and 3: several files in one run (each its own output
//! and line, one passphrase prompt per key, a failure passed over but
//! reported), and GnuPG's verify forms (`verify SIG FILE`, `verify
//! FILE.sig`, several detached signatures).

use std::path::Path;

use predicates::str::{contains, is_empty};

use crate::harness::{Env, Gpg, PASSPHRASE, User, error_has, has, json, part_files};
use crate::hints::on_a_terminal;

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 test path")
}

/// Alice, with three files of her own.
fn alice_with_files() -> User {
    let alice = User::new("Alice");
    for name in ["a", "b", "c"] {
        alice.write(&format!("{name}.txt"), format!("text of {name}\n"));
    }
    alice
}

/// The JSON array a run over several files prints at the end of stderr.
fn json_array(stderr: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(stderr);
    let start = text.find("\n[\n").map(|i| i + 1).unwrap_or(0);
    let end = text.rfind("\n]\n").expect("a JSON array on stderr") + 2;
    json(text[start..end].as_bytes())
}

#[test]
fn several_files_encrypted_and_decrypted_each_to_its_own_output() {
    let alice = alice_with_files();
    alice
        .zpgp_pw()
        .args(["encrypt", "-r", "alice", "a.txt", "b.txt", "c.txt"])
        .assert()
        .success()
        .stdout(is_empty())
        .stderr(has(&[
            "zpgp: a.txt: encrypted to 1 recipient → a.txt.pgp",
            "zpgp: b.txt: encrypted to 1 recipient → b.txt.pgp",
            "zpgp: c.txt: encrypted to 1 recipient → c.txt.pgp",
        ]));
    for name in ["a", "b", "c"] {
        std::fs::remove_file(alice.path(&format!("{name}.txt"))).unwrap();
    }
    alice
        .zpgp_pw()
        .args(["decrypt", "a.txt.pgp", "b.txt.pgp", "c.txt.pgp"])
        .assert()
        .success()
        .stdout(is_empty())
        .stderr(has(&[
            "zpgp: a.txt.pgp: decrypted to a.txt",
            "zpgp: b.txt.pgp: decrypted to b.txt",
            "zpgp: c.txt.pgp: decrypted to c.txt",
        ]));
    for name in ["a", "b", "c"] {
        let text = std::fs::read_to_string(alice.path(&format!("{name}.txt"))).unwrap();
        assert_eq!(text, format!("text of {name}\n"));
    }

    // --json: one array, one object per file, in order.
    let out = alice
        .zpgp_pw()
        .args([
            "--json",
            "decrypt",
            "--force",
            "a.txt.pgp",
            "b.txt.pgp",
            "nothing.pgp",
        ])
        .assert()
        .code(61)
        .get_output()
        .clone();
    let reports = json_array(&out.stderr);
    let reports = reports.as_array().expect("an array");
    assert_eq!(reports.len(), 3);
    assert_eq!(reports[0]["file"], "a.txt.pgp");
    assert_eq!(reports[0]["ok"], true);
    assert_eq!(reports[0]["output"], "a.txt");
    assert_eq!(reports[0]["report"]["format"], "seipd_v1");
    assert_eq!(reports[2]["file"], "nothing.pgp");
    assert_eq!(reports[2]["ok"], false);
    assert_eq!(reports[2]["exit_code"], 61);
}

/// On a terminal, each key's passphrase is asked for once for the whole
/// run: three lines are typed, and only one prompt may take one.
#[test]
fn one_passphrase_prompt_per_key_for_the_whole_run() {
    let alice = alice_with_files();
    alice
        .zpgp_pw()
        .args(["encrypt", "-r", "alice", "a.txt", "b.txt", "c.txt"])
        .assert()
        .success();
    let home = alice.env.home();
    let typed = format!("{PASSPHRASE}\n{PASSPHRASE}\n{PASSPHRASE}\n");
    let Some((code, screen)) = on_a_terminal(
        alice.env.dir.path(),
        &[
            "--home",
            p(&home),
            "decrypt",
            "--force",
            "a.txt.pgp",
            "b.txt.pgp",
            "c.txt.pgp",
        ],
        &typed,
    ) else {
        return;
    };
    assert_eq!(code, 0, "{screen}");
    assert_eq!(screen.matches("Passphrase for").count(), 1, "{screen}");
    assert!(screen.contains("c.txt.pgp: decrypted to c.txt"), "{screen}");

    let (code, screen) = on_a_terminal(
        alice.env.dir.path(),
        &[
            "--home",
            p(&home),
            "sign",
            "--detached",
            "a.txt",
            "b.txt",
            "c.txt",
        ],
        &typed,
    )
    .expect("script is there");
    assert_eq!(code, 0, "{screen}");
    assert_eq!(screen.matches("Passphrase for").count(), 1, "{screen}");
    for name in ["a", "b", "c"] {
        assert!(alice.path(&format!("{name}.txt.sig")).exists(), "{screen}");
    }

    // Messages encrypted with one password: asked for once too.
    let pw = alice.write("message-password.txt", "shared secret\n");
    alice
        .zpgp()
        .args(["encrypt", "--password", "--password-file", p(&pw), "-a"])
        .args(["a.txt", "b.txt", "c.txt"])
        .assert()
        .success();
    let (code, screen) = on_a_terminal(
        alice.env.dir.path(),
        &[
            "--home",
            p(&home),
            "decrypt",
            "--force",
            "a.txt.asc",
            "b.txt.asc",
            "c.txt.asc",
        ],
        "shared secret\nshared secret\nshared secret\n",
    )
    .expect("script is there");
    assert_eq!(code, 0, "{screen}");
    assert_eq!(
        screen.matches("Password for the message").count(),
        1,
        "{screen}"
    );
    assert!(screen.contains("c.txt.asc: decrypted to c.txt"), "{screen}");
}

/// A corrupt or missing file is reported and passed over: the others are
/// written, the exit code is the first failure's, the error names every
/// file that failed, and nothing is left of the failed ones.
#[test]
fn a_failed_file_neither_stops_nor_spoils_the_others() {
    let alice = alice_with_files();
    alice
        .zpgp_pw()
        .args(["encrypt", "-r", "alice", "a.txt", "b.txt", "c.txt"])
        .assert()
        .success();
    for name in ["a", "b", "c"] {
        std::fs::remove_file(alice.path(&format!("{name}.txt"))).unwrap();
    }
    // b's ciphertext cut short: it fails only at its end, after plaintext
    // was written to its temporary file.
    let whole = std::fs::read(alice.path("b.txt.pgp")).unwrap();
    alice.write("b.txt.pgp", &whole[..whole.len() - 30]);
    let alone = alice
        .zpgp_pw()
        .args(["decrypt", "b.txt.pgp"])
        .assert()
        .failure()
        .get_output()
        .status
        .code()
        .unwrap();
    assert_ne!(alone, 61);

    alice
        .zpgp_pw()
        .args([
            "decrypt",
            "a.txt.pgp",
            "b.txt.pgp",
            "missing.pgp",
            "c.txt.pgp",
        ])
        .assert()
        .code(alone)
        .stdout(is_empty())
        .stderr(error_has(&[
            "zpgp: a.txt.pgp: decrypted to a.txt",
            "zpgp: b.txt.pgp: FAILED: ",
            "zpgp: missing.pgp: FAILED: cannot read missing.pgp",
            "zpgp: c.txt.pgp: decrypted to c.txt",
            "2 of 4 files failed: b.txt.pgp, missing.pgp",
        ]));
    assert_eq!(
        std::fs::read_to_string(alice.path("a.txt")).unwrap(),
        "text of a\n"
    );
    assert_eq!(
        std::fs::read_to_string(alice.path("c.txt")).unwrap(),
        "text of c\n"
    );
    assert!(!alice.path("b.txt").exists());
    assert!(!alice.path("missing").exists());
    assert!(part_files(alice.env.dir.path()).is_empty());

    // The missing file first: its exit code (61) is the run's.
    alice
        .zpgp_pw()
        .args(["decrypt", "--force", "missing.pgp", "a.txt.pgp"])
        .assert()
        .code(61)
        .stderr(error_has(&["1 of 2 files failed: missing.pgp"]));

    // An output that exists fails that file only.
    alice.write("c.txt", "keep me");
    alice.write("b.txt", "new b");
    alice
        .zpgp_pw()
        .args(["encrypt", "-r", "alice", "b.txt", "c.txt"])
        .assert()
        .code(59)
        .stderr(error_has(&[
            "zpgp: b.txt: FAILED: b.txt.pgp exists already",
            "zpgp: c.txt: FAILED: c.txt.pgp exists already",
            "2 of 2 files failed: b.txt, c.txt",
        ]));
    assert_eq!(
        std::fs::read_to_string(alice.path("c.txt")).unwrap(),
        "keep me"
    );
}

#[test]
fn several_files_signed_and_their_signatures_verified() {
    let alice = alice_with_files();
    alice
        .zpgp_pw()
        .args(["sign", "--detached", "a.txt", "b.txt", "c.txt"])
        .assert()
        .success()
        .stdout(is_empty())
        .stderr(has(&[
            "zpgp: a.txt: signed → a.txt.sig",
            "zpgp: c.txt: signed → c.txt.sig",
        ]));
    alice
        .zpgp()
        .args(["verify", "a.txt.sig", "b.txt.sig", "c.txt.sig"])
        .assert()
        .success()
        .stdout(is_empty())
        .stderr(has(&[
            "zpgp: a.txt.sig: verified a.txt",
            "zpgp: b.txt.sig: verified b.txt",
            "zpgp: c.txt.sig: verified c.txt",
        ]));

    // b changed since it was signed: its signature is bad, the others
    // are still checked.
    alice.write("b.txt", "changed");
    alice
        .zpgp()
        .args(["verify", "a.txt.sig", "b.txt.sig", "c.txt.sig"])
        .assert()
        .code(3)
        .stderr(error_has(&[
            "zpgp: a.txt.sig: verified a.txt",
            "BAD signature from Alice",
            "zpgp: b.txt.sig: FAILED: no valid signature",
            "zpgp: c.txt.sig: verified c.txt",
            "1 of 3 files failed: b.txt.sig",
        ]));

    // Cleartext signatures of several files, each verified as a message
    // on its own.
    alice
        .zpgp_pw()
        .args(["sign", "--clear", "a.txt", "c.txt"])
        .assert()
        .success();
    alice
        .zpgp()
        .args(["verify", "c.txt.asc"])
        .assert()
        .success()
        .stdout("text of c\n")
        .stderr(contains("good signature from Alice"));
    // A signed message among detached signatures fails alone.
    alice
        .zpgp()
        .args(["verify", "a.txt.sig", "c.txt.asc", "a.txt.sig"])
        .assert()
        .code(41)
        .stderr(error_has(&[
            "c.txt.asc is not a detached signature",
            "zpgp: a.txt.sig: verified a.txt",
        ]));
}

#[test]
fn several_inputs_and_one_output_or_stdin_twice_are_refused() {
    let alice = alice_with_files();
    for args in [
        &["encrypt", "-r", "alice", "-o", "out", "a.txt", "b.txt"][..],
        &["decrypt", "-o", "out", "a.txt", "b.txt"],
        &["sign", "--detached", "-o", "out", "a.txt", "b.txt"],
        &["verify", "-o", "out", "a.txt", "b.txt", "c.txt"],
    ] {
        alice
            .zpgp_pw()
            .args(args)
            .assert()
            .code(83)
            .stdout(is_empty())
            .stderr(error_has(&[
                "-o names one output, and ",
                "hint: leave out -o, and each file gets its own output beside it",
            ]));
        assert!(!alice.path("out").exists());
    }
    // Refused before any passphrase is needed: no --passphrase-file in
    // --batch, and still exit 83, not 67.
    for args in [
        &[
            "encrypt", "--sign", "-r", "alice", "-o", "out", "a.txt", "b.txt",
        ][..],
        &["sign", "-o", "out", "a.txt", "b.txt"],
    ] {
        alice
            .zpgp()
            .args(args)
            .assert()
            .code(83)
            .stderr(error_has(&["-o names one output"]));
    }
    alice
        .zpgp_pw()
        .args(["encrypt", "-r", "alice", "-", "a.txt", "-"])
        .write_stdin("x")
        .assert()
        .code(83)
        .stderr(error_has(&["standard input (-) is named more than once"]));
    assert!(!alice.path("a.txt.pgp").exists());
    alice
        .zpgp()
        .args(["verify", "--signature", "a.txt.sig", "a.txt", "b.txt"])
        .assert()
        .code(83)
        .stderr(error_has(&["--signature SIG checks one file"]));
}

/// `verify SIG FILE` and `verify FILE.sig` with zpgp's own signatures, and
/// the forms that cannot be told apart or are missing something.
#[test]
fn verify_sig_file_and_sig_alone() {
    let alice = alice_with_files();
    alice
        .zpgp_pw()
        .args(["sign", "--detached", "a.txt"])
        .assert()
        .success();
    alice
        .zpgp_pw()
        .args(["sign", "--detached", "--armor", "-o", "b.txt.asc", "b.txt"])
        .assert()
        .success();
    alice
        .zpgp()
        .args(["verify", "a.txt.sig", "a.txt"])
        .assert()
        .success()
        .stdout(is_empty())
        .stderr(contains("good signature from Alice"));
    // The data beside it, named: the signature alone says which file.
    alice
        .zpgp()
        .args(["verify", "a.txt.sig"])
        .assert()
        .success()
        .stderr(has(&[
            "a.txt.sig is a detached signature; checking a.txt",
            "good signature from Alice",
        ]));
    alice
        .zpgp()
        .args(["verify", "b.txt.asc"])
        .assert()
        .success()
        .stderr(has(&["checking b.txt", "good signature from Alice"]));
    // The wrong data: a bad signature, as with --signature.
    alice
        .zpgp()
        .args(["verify", "a.txt.sig", "c.txt"])
        .assert()
        .code(3);
    // Data from standard input.
    alice
        .zpgp()
        .args(["verify", "a.txt.sig", "-"])
        .write_stdin("text of a\n")
        .assert()
        .success();

    // The signature from standard input, the data named; standard input
    // is beside no file, so it is not one of several signatures.
    alice
        .zpgp()
        .args(["verify", "-", "a.txt"])
        .write_stdin(std::fs::read(alice.path("a.txt.sig")).unwrap())
        .assert()
        .success()
        .stderr(contains("good signature from Alice"));
    alice
        .zpgp()
        .args(["verify", "a.txt.sig", "b.txt.asc", "-"])
        .write_stdin("")
        .assert()
        .code(83)
        .stderr(error_has(&[
            "zpgp: a.txt.sig: verified a.txt",
            "standard input is not beside any file",
            "1 of 3 files failed: standard input",
        ]));

    // The signature second.
    alice
        .zpgp()
        .args(["verify", "a.txt", "a.txt.sig"])
        .assert()
        .code(73)
        .stderr(error_has(&[
            "a.txt is not a signature, and a.txt.sig is: the signature comes first",
            "hint: give a detached signature and its data (zpgp verify SIG FILE)",
        ]));
    // Two files, neither a signature.
    alice
        .zpgp()
        .args(["verify", "a.txt", "c.txt"])
        .assert()
        .code(73)
        .stderr(error_has(&["a.txt is not a detached signature"]));
    // A detached signature whose name says nothing of the file it signs.
    std::fs::copy(alice.path("a.txt.sig"), alice.path("signature")).unwrap();
    alice
        .zpgp()
        .args(["verify", "signature"])
        .assert()
        .code(41)
        .stderr(error_has(&[
            "signature holds a signature but no signed data",
            "hint: give the signed file after the signature: zpgp verify SIG FILE",
        ]));
    // The file beside it is missing.
    std::fs::rename(alice.path("a.txt"), alice.path("moved.txt")).unwrap();
    alice
        .zpgp()
        .args(["verify", "a.txt.sig"])
        .assert()
        .code(61)
        .stderr(error_has(&[
            "a.txt.sig is a detached signature of a.txt, which does not exist",
        ]));
    alice
        .zpgp()
        .args(["verify", "a.txt.sig", "moved.txt"])
        .assert()
        .success();

    // Signed messages keep working as before, whatever their name.
    let signed = alice.sign(&[], b"inline");
    alice.write("inline.sig", &signed);
    alice
        .zpgp()
        .args(["verify", "inline.sig"])
        .assert()
        .success()
        .stdout("inline");
    alice
        .zpgp()
        .args(["verify", "--signature", "b.txt.asc", "b.txt"])
        .assert()
        .success();

    // Pipes are read once, never looked at first: alone, a message; first
    // of two, the signature (as gpg takes `gpg --verify <(curl …) FILE`).
    for (how, stdout) in [
        ("verify <(cat inline.sig)", "inline"),
        ("verify <(cat b.txt.asc) b.txt", ""),
        ("verify b.txt.asc <(cat b.txt)", ""),
    ] {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!("\"$ZPGP\" --home \"$H\" --batch {how}"))
            .env("ZPGP", crate::harness::zpgp_bin())
            .env("H", alice.env.home())
            .env_remove("ZPGP_HOME")
            .current_dir(alice.env.dir.path())
            .output()
            .expect("run bash");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{how}: {err}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), stdout, "{how}");
        assert!(err.contains("good signature from Alice"), "{how}: {err}");
    }
}

/// gpg's detached signatures, binary and armored, in every form gpg
/// itself takes them; a cleartext-signed FILE.asc is still a message.
#[test]
fn verify_gpg_detached_signatures_in_gpg_forms() {
    let Some(g) = Gpg::new() else { return };
    const GPG_PW: &str = "gpg multi passphrase";
    let fpr = g.generate("Gus <gus@example.org>", "future-default", GPG_PW);
    let env = Env::new();
    let cert = env.path("gus.asc");
    g.export(&fpr, &cert);
    env.zpgp().arg("import").arg(&cert).assert().success();
    let data = env.write("release.tar", "not really a tarball\n");
    let other = env.write("notes.txt", "release notes\n");
    let sign = |args: &[&str], out: &str, input: &Path| {
        let mut c = g.cmd_pw(GPG_PW);
        c.args(["--local-user", &fpr])
            .args(args)
            .arg("--output")
            .arg(env.path(out))
            .arg(input);
        g.ok(c);
    };
    sign(&["--detach-sign"], "release.tar.sig", &data);
    sign(&["--detach-sign", "--armor"], "notes.txt.asc", &other);
    sign(&["--clearsign"], "clear.asc", &other);

    env.zpgp()
        .args(["verify", "release.tar.sig", "release.tar"])
        .assert()
        .success()
        .stderr(contains("good signature from Gus"));
    env.zpgp()
        .args(["verify", "release.tar.sig"])
        .assert()
        .success()
        .stderr(has(&["checking release.tar", "good signature from Gus"]));
    env.zpgp()
        .args(["verify", "notes.txt.asc"])
        .assert()
        .success()
        .stderr(has(&["checking notes.txt", "good signature from Gus"]));
    env.zpgp()
        .args(["verify", "release.tar.sig", "notes.txt.asc"])
        .assert()
        .success()
        .stderr(has(&[
            "release.tar.sig: verified release.tar",
            "notes.txt.asc: verified notes.txt",
        ]));
    env.zpgp()
        .args(["verify", "clear.asc"])
        .assert()
        .success()
        .stdout("release notes")
        .stderr(contains("good signature from Gus"));
    // The wrong file: exit 3, as gpg's BADSIG.
    env.zpgp()
        .args(["verify", "release.tar.sig", "notes.txt"])
        .assert()
        .code(3)
        .stderr(error_has(&["no valid signature"]));
}
