//! Rewrites the man pages in `man/` from the clap definitions:
//!
//!     cargo run --example gen-man
//!
//! The test `docs::man_pages_match_the_code` fails when they are stale.

fn main() -> std::process::ExitCode {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    match zpgp::man::write_to(&dir) {
        Ok(names) => {
            eprintln!("wrote {} pages to {}", names.len(), dir.display());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-man: cannot write {}: {e}", dir.display());
            std::process::ExitCode::FAILURE
        }
    }
}
