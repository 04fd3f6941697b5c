//! What every run pays before it starts its work (issue 15: small
//! messages as fast as gpg).

use std::path::Path;
use std::process::Command;

/// gcc's unwinder is linked into the binaries (build.rs,
/// `static_libgcc`): none asks the dynamic loader for libgcc_s, and each
/// still runs.  Unwinding itself is checked where zpgp relies on it:
/// `ops::tests::a_panic_in_the_parser_is_bad_data`, in a test binary
/// linked the same way.
#[test]
fn the_binaries_load_no_libgcc_s() {
    if !cfg!(all(target_os = "linux", target_env = "gnu"))
        || std::env::var("ZPGP_SHARED_LIBGCC").as_deref() == Ok("1")
    {
        return;
    }
    let eh = Command::new("cc")
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    if !Path::new(&eh).is_absolute() {
        eprintln!("SKIPPED: gcc has no libgcc_eh.a here, so the binaries use libgcc_s");
        return;
    }
    for (name, version) in [
        ("zpgp", "--version"),
        ("zpgp-gpg", "--version"),
        ("zpgp-sop", "version"),
    ] {
        let path = assert_cmd::cargo::cargo_bin(name);
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(b"libgcc_s".len()).any(|w| w == b"libgcc_s"),
            "{name} still names libgcc_s"
        );
        let out = Command::new(&path).arg(version).output().unwrap();
        assert!(out.status.success(), "{name} {version}: {out:?}");
        assert!(!out.stdout.is_empty(), "{name} {version} printed nothing");
    }
}
