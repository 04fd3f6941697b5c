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
}
