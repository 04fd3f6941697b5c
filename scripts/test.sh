#!/usr/bin/env bash
# Installs what the tests need (build libraries, GnuPG, SOP peers) and runs
# them all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
# The WKD and VKS tests serve HTTPS on port 443 of loopback addresses
# (WKD URLs have no port); that takes root, or a lower unprivileged port
# range.
if [ "$(id -u)" -ne 0 ] && [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 0)" -gt 443 ]; then
  echo "zpgp: the network tests bind port 443 on 127.0.0.0/8; run as root, or first:" >&2
  echo "  sudo sysctl net.ipv4.ip_unprivileged_port_start=443" >&2
fi
cargo test --locked "$@"
# The pure-Rust backend: it must build, and it is the one that reads AEAD-EAX
# (OpenSSL has no EAX), so the RFC 9580 vectors run there too.
cargo test --locked --no-default-features --features crypto-rust --test cli rfc9580 "$@"
# LibrePGP's OCB and EAX messages: there through sequoia's own AEAD.
cargo test --locked --no-default-features --features crypto-rust --test cli librepgp "$@"
# Sequoia's own decryption path (the fast path is OpenSSL's): signatures
# repaired inside encrypted messages are found there by the session key.
cargo test --locked --no-default-features --features crypto-rust --test cli lenient "$@"
