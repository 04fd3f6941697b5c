//! `zpgp-gpg` as git's `gpg.program` (issue 15): the real git in a
//! temporary repository, its configuration isolated from the user's
//! (GIT_CONFIG_GLOBAL in the test directory, GIT_CONFIG_NOSYSTEM), the
//! keyring in ZPGP_HOME, and gpg in its own GNUPGHOME where it takes part.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::harness::{Env, Gpg, have};

const AUTHOR: &str = "A U Thor <author@example.com>";

fn zpgp_gpg() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_zpgp-gpg"))
}

/// A repository with a zpgp keyring holding the committer's key (no
/// passphrase: git's signing program has no terminal here).
struct Repo {
    env: Env,
    fpr: String,
    gnupghome: Option<PathBuf>,
}

impl Repo {
    fn new() -> Option<Repo> {
        if !have("git") {
            assert!(
                std::env::var_os("CI").is_none(),
                "git is not installed, and CI is set: the git tests must not be skipped"
            );
            eprintln!("SKIPPED: git is not installed");
            return None;
        }
        let env = Env::new();
        let fpr = generate(&env, "A U Thor", "author@example.com");
        let repo = Repo {
            env,
            fpr,
            gnupghome: None,
        };
        std::fs::write(repo.env.path("gitconfig"), "").unwrap();
        std::fs::create_dir(repo.dir()).unwrap();
        repo.ok(&["init", "-q"]);
        repo.ok(&["config", "user.name", "A U Thor"]);
        repo.ok(&["config", "user.email", "author@example.com"]);
        repo.use_program(&zpgp_gpg());
        Some(repo)
    }

    fn dir(&self) -> PathBuf {
        self.env.path("repo")
    }

    fn use_program(&self, program: &Path) {
        self.ok(&["config", "gpg.program", program.to_str().unwrap()]);
    }

    fn git(&self, args: &[&str]) -> Command {
        let mut c = Command::new("git");
        c.current_dir(self.dir())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.env.dir.path())
            .env("GIT_CONFIG_GLOBAL", self.env.path("gitconfig"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("LC_ALL", "C")
            .env("ZPGP_HOME", self.env.home())
            .env("ZPGP_NO_AGENT", "1")
            .args(args)
            .stdin(Stdio::null());
        if let Some(g) = &self.gnupghome {
            c.env("GNUPGHOME", g);
        }
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = self.git(args).output().expect("run git");
        eprintln!(
            "git {args:?}: {}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("panicked"),
            "a panic"
        );
        out
    }

    #[track_caller]
    fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(out.status.success(), "git {args:?} failed");
        out
    }

    #[track_caller]
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "git {args:?} succeeded");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// A signed commit of a new file; its hash.
    fn commit(&self, name: &str) -> String {
        std::fs::write(self.dir().join(name), name).unwrap();
        self.ok(&["add", name]);
        self.ok(&["commit", "-q", "-S", "-m", name]);
        self.head()
    }

    fn head(&self) -> String {
        String::from_utf8(self.ok(&["rev-parse", "HEAD"]).stdout)
            .unwrap()
            .trim()
            .to_string()
    }

    fn zpgp(&self) -> assert_cmd::Command {
        self.env.zpgp()
    }
}

fn generate(env: &Env, name: &str, email: &str) -> String {
    let out = env
        .zpgp()
        .args([
            "generate",
            "--name",
            name,
            "--email",
            email,
            "--no-passphrase",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn signed_commit_and_tag_made_and_verified() {
    let Some(repo) = Repo::new() else { return };
    let commit = repo.commit("a");
    let show = repo.ok(&["cat-file", "commit", &commit]);
    assert!(String::from_utf8_lossy(&show.stdout).contains("-----BEGIN PGP SIGNATURE-----"));
    let v = repo.ok(&["verify-commit", "HEAD"]);
    assert!(
        stderr(&v).contains(&format!("Good signature from \"{AUTHOR}\" [ultimate]")),
        "{}",
        stderr(&v)
    );
    let log = repo.ok(&["log", "--show-signature", "-1"]);
    let text = String::from_utf8_lossy(&log.stdout);
    assert!(
        text.contains(&format!("zpgp-gpg: Good signature from \"{AUTHOR}\"")),
        "{text}"
    );
    let raw = stderr(&repo.ok(&["verify-commit", "--raw", "HEAD"]));
    assert!(raw.contains("[GNUPG:] GOODSIG "), "{raw}");
    assert!(
        raw.contains(&format!(" {}\n", repo.fpr)),
        "VALIDSIG names the primary key: {raw}"
    );
    assert!(raw.contains("[GNUPG:] TRUST_ULTIMATE 0 pgp"), "{raw}");

    repo.ok(&["tag", "-s", "v1", "-m", "v1"]);
    let v = repo.ok(&["verify-tag", "v1"]);
    assert!(stderr(&v).contains("Good signature from"));
    // And with user.signingkey naming the key by fingerprint.
    repo.ok(&["config", "user.signingkey", &repo.fpr]);
    repo.commit("b");
    repo.ok(&["verify-commit", "HEAD"]);
}

/// A commit whose content was changed under its old signature.
#[test]
fn tampered_commit_fails_verification() {
    let Some(repo) = Repo::new() else { return };
    let commit = repo.commit("a");
    let object = repo.ok(&["cat-file", "commit", &commit]).stdout;
    let text = String::from_utf8(object).unwrap();
    let forged = text.replace("\n\na\n", "\n\nnot what was signed\n");
    assert_ne!(forged, text);
    let mut c = repo.git(&["hash-object", "-t", "commit", "-w", "--stdin"]);
    c.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = c.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(forged.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let forged_id = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let err = repo.fails(&["verify-commit", &forged_id]);
    assert!(err.contains("BAD signature from"), "{err}");
    repo.ok(&["verify-commit", &commit]);
}

/// Commits signed by a key that is not on file fail, with gpg's words.
#[test]
fn commit_by_a_key_not_on_file_fails() {
    let Some(repo) = Repo::new() else { return };
    let other = Env::new();
    generate(&other, "A U Thor", "author@example.com");
    std::fs::write(repo.dir().join("a"), "a").unwrap();
    repo.ok(&["add", "a"]);
    let out = repo
        .git(&["commit", "-q", "-S", "-m", "a"])
        .env("ZPGP_HOME", other.home())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = repo.fails(&["verify-commit", "HEAD"]);
    assert!(
        err.contains("Can't check signature: No public key"),
        "{err}"
    );
    let raw = repo.fails(&["verify-commit", "--raw", "HEAD"]);
    assert!(raw.contains("[GNUPG:] ERRSIG "), "{raw}");
    assert!(raw.contains("[GNUPG:] NO_PUBKEY "), "{raw}");
}

/// git's error path, not a panic, when the signing key is not on file.
#[test]
fn signing_key_not_on_file_fails_the_commit() {
    let Some(repo) = Repo::new() else { return };
    repo.ok(&["config", "user.signingkey", "nobody@example.org"]);
    std::fs::write(repo.dir().join("a"), "a").unwrap();
    repo.ok(&["add", "a"]);
    let err = repo.fails(&["commit", "-q", "-S", "-m", "a"]);
    assert!(err.contains("gpg failed to sign the data"), "{err}");
    assert!(
        err.contains("zpgp-gpg: error: no key in the keyring matches"),
        "{err}"
    );
    assert!(
        repo.run(&["rev-parse", "--verify", "-q", "HEAD"])
            .stdout
            .is_empty()
    );
}

#[test]
fn unsupported_options_exit_2_naming_them() {
    for (args, named) in [
        (&["--encrypt", "-r", "x"][..], "--encrypt"),
        (
            &["--status-fd=2", "-bsau", "k", "--clearsign"],
            "--clearsign",
        ),
        (
            &[
                "--status-fd=1",
                "--verify",
                "s",
                "-",
                "--trust-model=always",
            ],
            "--trust-model=always",
        ),
    ] {
        assert_cmd::Command::new(zpgp_gpg())
            .args(args)
            .env("ZPGP_HOME", "/nonexistent")
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicates::str::contains(format!(
                "zpgp-gpg: error: {named} is not supported by zpgp-gpg"
            )));
    }
    assert_cmd::Command::new(zpgp_gpg())
        .arg("--version")
        .assert()
        .success()
        .stdout(predicates::str::starts_with("zpgp-gpg (zpgp) "));
}

/// gpg.minTrustLevel follows zpgp's authentication: a signer whose key
/// is merely on file is TRUST_UNDEFINED, one you certified TRUST_FULLY.
#[test]
fn min_trust_level_follows_authentication() {
    let Some(repo) = Repo::new() else { return };
    let bob = Env::new();
    let bob_fpr = generate(&bob, "Bob", "bob@example.org");
    let cert = repo.env.path("bob.asc");
    bob.zpgp()
        .args(["export", &bob_fpr, "-o"])
        .arg(&cert)
        .assert()
        .success();
    repo.zpgp().arg("import").arg(&cert).assert().success();

    std::fs::write(repo.dir().join("a"), "a").unwrap();
    repo.ok(&["add", "a"]);
    let out = repo
        .git(&[
            "-c",
            "user.signingkey=bob@example.org",
            "commit",
            "-q",
            "-S",
            "-m",
            "by bob",
        ])
        .env("ZPGP_HOME", bob.home())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    // Good, but not authenticated: fine by default, not with "fully".
    let v = repo.ok(&["verify-commit", "--raw", "HEAD"]);
    assert!(stderr(&v).contains("[GNUPG:] TRUST_UNDEFINED 0 pgp"));
    repo.ok(&["config", "gpg.minTrustLevel", "fully"]);
    repo.fails(&["verify-commit", "HEAD"]);

    repo.zpgp()
        .args(["certify", "--local", "--fingerprint", &bob_fpr, &bob_fpr])
        .assert()
        .success();
    let v = repo.ok(&["verify-commit", "--raw", "HEAD"]);
    assert!(
        stderr(&v).contains("[GNUPG:] TRUST_FULLY 0 pgp"),
        "{}",
        stderr(&v)
    );
    let v = repo.ok(&["verify-commit", "HEAD"]);
    assert!(stderr(&v).contains("Good signature from \"Bob <bob@example.org>\" [full]"));
}

/// gpg's commits verify through zpgp-gpg, and zpgp-gpg's through gpg.
#[test]
fn commits_cross_between_gpg_and_zpgp_gpg() {
    let Some(mut repo) = Repo::new() else { return };
    let Some(g) = Gpg::new() else { return };
    let gfpr = g.generate("Gus <gus@example.org>", "future-default", "");
    repo.gnupghome = Some(g.home().to_path_buf());

    // gpg signs, zpgp-gpg verifies.
    let gcert = repo.env.path("gus.asc");
    g.export(&gfpr, &gcert);
    repo.zpgp().arg("import").arg(&gcert).assert().success();
    repo.ok(&["config", "user.signingkey", &gfpr]);
    repo.use_program(Path::new("gpg"));
    let by_gpg = repo.commit("from-gpg");
    repo.use_program(&zpgp_gpg());
    let v = repo.ok(&["verify-commit", &by_gpg]);
    assert!(
        stderr(&v).contains("zpgp-gpg: Good signature from \"Gus <gus@example.org>\""),
        "{}",
        stderr(&v)
    );

    // zpgp-gpg signs, gpg verifies.
    repo.ok(&["config", "user.signingkey", &repo.fpr]);
    let by_zpgp = repo.commit("from-zpgp");
    let zcert = repo.env.path("author.asc");
    repo.zpgp()
        .args(["export", &repo.fpr, "-o"])
        .arg(&zcert)
        .assert()
        .success();
    g.import(&zcert);
    repo.use_program(Path::new("gpg"));
    let v = repo.ok(&["verify-commit", &by_zpgp]);
    assert!(
        stderr(&v).contains(&format!("gpg: Good signature from \"{AUTHOR}\"")),
        "{}",
        stderr(&v)
    );
}

/// Stops the agent a test started, whatever happens to the test.
struct AgentStop<'a>(&'a Env);

impl Drop for AgentStop<'_> {
    fn drop(&mut self) {
        let _ = self.0.zpgp_agent().args(["agent", "--stop"]).output();
    }
}

/// A passphrase-protected key signs once the agent holds it unlocked;
/// before, git's signing fails with a hint that says so (git cannot
/// pass --passphrase-file, and here there is no terminal).
#[test]
fn protected_key_signs_through_the_agent() {
    let Some(repo) = Repo::new() else { return };
    repo.env
        .generate(&["--name", "Pat", "--email", "pat@example.org"]);
    repo.ok(&["config", "user.signingkey", "pat@example.org"]);
    std::fs::write(repo.dir().join("a"), "a").unwrap();
    repo.ok(&["add", "a"]);
    let err = repo.fails(&["commit", "-q", "-S", "-m", "a"]);
    assert!(err.contains("no terminal to ask on"), "{err}");
    assert!(err.contains("uses the key agent"), "{err}");

    let _stop = AgentStop(&repo.env);
    let unlock = repo.env.write("unlock.txt", "unlock");
    // On a loaded machine an agent may start or answer too late, and zpgp
    // then goes on without it (as designed): a few tries, not one.
    let mut committed = None;
    for _ in 0..3 {
        repo.env
            .zpgp_agent()
            .arg("--passphrase-file")
            .arg(repo.env.passphrase_file())
            .args([
                "sign",
                "--detached",
                "--force",
                "--signer",
                "pat@example.org",
            ])
            .arg(&unlock)
            .assert()
            .success();
        let out = repo
            .git(&["commit", "-q", "-S", "-m", "a"])
            .env_remove("ZPGP_NO_AGENT")
            .output()
            .unwrap();
        if out.status.success() {
            committed = Some(out);
            break;
        }
        eprintln!("not signed through the agent yet: {}", stderr(&out));
    }
    assert!(committed.is_some(), "never signed through the agent");
    let v = repo.ok(&["verify-commit", "HEAD"]);
    assert!(stderr(&v).contains("Good signature from \"Pat <pat@example.org>\" [ultimate]"));
}
