#!/usr/bin/env bash
# Keyring benchmark: zpgp against GnuPG on a large keyring.
#
# Builds zpgp (release), makes N Ed25519/Cv25519 test certificates
# (examples/gen-certs.rs; user K is "User K <userK@example.org>"), then, in
# temporary homes only (never your own keyrings):
#   - times `zpgp import` of all N certificates, and lookups by email,
#     fingerprint and key ID (`zpgp list QUERY`), as whole-process wall time,
#     the median of RUNS runs (zpgp and gpg interleaved), for K = 1, N/2 and N;
#   - does the same with gpg on the first min(N, GPG_N) certificates (gpg
#     2.2 imports big keyrings slowly, ~22 certs/s at 33k), and with zpgp on
#     exactly those certificates too, so the ratio compares like with like;
#   - prints a Markdown table on standard output (progress goes to stderr).
#
# With --debian, instead: imports a real keyring, the Debian developers'
# (package debian-keyring), once with zpgp and once with gpg, and reports
# the times and what each kept (zpgp: new, and stored but not valid).
#
# Usage: scripts/bench-keyring.sh [--n N] [--quick] [--gpg-n M] [--runs R] [--debian]
#   --n N       certificates for zpgp (default 100000)
#   --quick     N=2000: a smoke test that finishes in about a minute
#   --gpg-n M   at most M certificates for gpg (default 10000)
#   --runs R    runs per lookup, the median is reported (default 11)
set -euo pipefail
shopt -s inherit_errexit

N=100000
GPG_N=10000
RUNS=11

BENCH_NAME=bench-keyring
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
usage() {
    sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
        --n) [ $# -ge 2 ] || usage; N=$2; shift 2 ;;
        --quick) N=2000; shift ;;
        --gpg-n) [ $# -ge 2 ] || usage; GPG_N=$2; shift 2 ;;
        --runs) [ $# -ge 2 ] || usage; RUNS=$2; shift 2 ;;
        --debian) DEBIAN=/usr/share/keyrings/debian-keyring.gpg; shift ;;
        -h|--help) usage ;;
        *) echo "bench-keyring: unknown argument: $1" >&2; usage ;;
    esac
done
for v in N GPG_N RUNS; do
    [[ ${!v} =~ ^[0-9]+$ && ${!v} -ge 1 ]] || die "$v must be a positive number, not '${!v}'"
done

require_tools

cd "$(dirname "$0")/.."
bench_setup
bench_build

if [ -n "${DEBIAN:-}" ]; then
    [ -r "$DEBIAN" ] || die "$DEBIAN is missing: install the package debian-keyring"
    mkdir -p "$WORK/zd"
    mkdir -m 700 "$WORK/gd"
    GHOMES+=("$WORK/gd")
    log "zpgp: importing $DEBIAN"
    zms=$(time_once "$ZPGP" --home "$WORK/zd" --batch import "$DEBIAN")
    zsummary=$(grep 'certificates processed' "$WORK/last.err" || true)
    zinvalid=$(grep 'stored but not valid' "$WORK/last.err" || true)
    log "gpg: importing $DEBIAN (about a minute)"
    gms=$(time_once gpg --homedir "$WORK/gd" --batch --no-tty --quiet --import "$DEBIAN")
    gcount=$(gpg --homedir "$WORK/gd" --batch --no-tty --with-colons --list-keys 2>/dev/null | grep -c '^pub' || true)
    zcount=$("$ZPGP" --home "$WORK/zd" --batch list | grep -c '^pub' || true)
    cat <<EOF

## Debian keyring import

- zpgp: $("$ZPGP" --version)
- gpg: $(gpg --version | head -1)
- machine: $(nproc) CPU(s), $(uname -sr)
- keyring: $DEBIAN ($(du -h "$DEBIAN" | cut -f1))
- ${zsummary#zpgp: }
- ${zinvalid#zpgp: }

| | zpgp | gpg | gpg/zpgp |
|---|---:|---:|---:|
| import, ms (one run, empty home) | $zms | $gms | $(ratio "$zms" "$gms") |
| certificates listed afterwards | $zcount | $gcount | |
EOF
    exit 0
fi


ROWS=()
NOTES=()
kr_row() { ROWS+=("| $1 | $2 | $3 | ${4:-–} | $(ratio "$3" "$4") |"); }
kr_note() { NOTES+=("$1"); }

GN=$((GPG_N < N ? GPG_N : N))
# (= cargo run --release --locked --example gen-certs -- …, without cargo's
# own start-up in the measured time)
gen_certs "$N" "$GN"

ZPGP_VERSION=$("$ZPGP" --version)
GPG_VERSION=$(gpg --version | head -1)

keyring_bench "$GN" "$WORK/head.pgp" yes
if [ "$N" -gt "$GN" ]; then
    keyring_bench "$N" "$WORK/certs.pgp" no
fi

cat <<EOF

## Keyring benchmark

- zpgp: $ZPGP_VERSION
- gpg: $GPG_VERSION
- machine: $(nproc) CPU(s), $(uname -sr)
- certificates: Ed25519 + Cv25519 subkey, one user ID each; generating $N took $GEN_MS ms
- times are whole-process wall time in ms; lookups are the median of $RUNS runs (warm cache),
  imports a single run into an empty keyring; gpg/zpgp above 1 means zpgp is faster
EOF
if [ "$N" -gt "$GN" ]; then
    echo "- gpg only at N=$GN (the first $GN certificates; gpg --import is too slow for $N), zpgp at both"
fi
cat <<EOF

| operation | N | zpgp ms | gpg ms | gpg/zpgp |
|---|---:|---:|---:|---:|
EOF
printf '%s\n' "${ROWS[@]}"
if [ ${#NOTES[@]} -gt 0 ]; then
    echo
    printf -- '- %s\n' "${NOTES[@]}"
fi
