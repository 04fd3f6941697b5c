#!/usr/bin/env bash
# Installs what the tests need (build libraries, GnuPG) and runs them all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
cargo test --locked "$@"
