#!/usr/bin/env bash
# Installs what the tests need (build libraries, GnuPG, SOP peers) and runs
# them all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
cargo test --locked "$@"
# The pure-Rust backend: it must build, and it is the one that reads AEAD-EAX
# (OpenSSL has no EAX), so the RFC 9580 vectors run there too.
cargo test --locked --no-default-features --features crypto-rust --test cli rfc9580 "$@"
# LibrePGP's OCB and EAX messages: there through sequoia's own AEAD.
cargo test --locked --no-default-features --features crypto-rust --test cli librepgp "$@"
