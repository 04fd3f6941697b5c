//! Records, for `zpgp --version`, the sequoia-openpgp version in Cargo.lock
//! and the crypto backend chosen by cargo features.

fn main() {
    println!("cargo:rerun-if-changed=Cargo.lock");
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    let mut version = "unknown";
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"sequoia-openpgp\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                version = v.trim_end_matches('"');
            }
            break;
        }
    }
    println!("cargo:rustc-env=ZPGP_SEQUOIA_VERSION={version}");

    let backend = if std::env::var_os("CARGO_FEATURE_CRYPTO_OPENSSL").is_some() {
        "OpenSSL"
    } else if std::env::var_os("CARGO_FEATURE_CRYPTO_RUST").is_some() {
        "pure Rust"
    } else {
        "unknown"
    };
    println!("cargo:rustc-env=ZPGP_CRYPTO_BACKEND={backend}");

    static_libgcc();
}

/// Links gcc's unwinder into the binaries, as `gcc -static-libgcc` does,
/// instead of loading `libgcc_s.so.1` at every start.
///
/// Rust's standard library asks the linker for `-lgcc_s` by name (for
/// unwinding: panics and backtraces), and rustc has no switch to change
/// that short of linking glibc statically too.  A linker script by that
/// name, in a directory searched before the system's, points the linker
/// at `libgcc_eh.a`, the same unwinder as an archive.  What it saves: a
/// shared library to load, relocate and bind, and its constructor, which
/// asks the CPU for its features with a dozen CPUID instructions, each a
/// trap to the hypervisor on a virtual machine (about 5 µs apiece on the
/// benchmark machine).  Only for Linux with glibc built on the machine it
/// targets, when gcc has `libgcc_eh.a`; `ZPGP_SHARED_LIBGCC=1` keeps the
/// shared library.
fn static_libgcc() {
    println!("cargo:rerun-if-env-changed=ZPGP_SHARED_LIBGCC");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") != "linux"
        || var("CARGO_CFG_TARGET_ENV") != "gnu"
        || var("TARGET") != var("HOST")
        || var("CARGO_CFG_TARGET_FEATURE")
            .split(',')
            .any(|f| f == "crt-static")
        || var("ZPGP_SHARED_LIBGCC") == "1"
    {
        return;
    }
    let Ok(out) = std::process::Command::new("cc")
        .arg("-print-file-name=libgcc_eh.a")
        .output()
    else {
        return;
    };
    let archive = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    // gcc prints the bare name back when it has no such file.
    if !out.status.success() || !archive.is_absolute() || !archive.is_file() {
        return;
    }
    let dir = std::path::PathBuf::from(var("OUT_DIR")).join("static-libgcc");
    let script = format!("INPUT({})\n", archive.display());
    if std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("libgcc_s.so"), script))
        .is_ok()
    {
        println!("cargo:rustc-link-search=native={}", dir.display());
    }
}
