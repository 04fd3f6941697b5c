#!/usr/bin/env bash
# Keyring benchmark: zpgp against GnuPG on a large keyring.
#
# Builds zpgp (release), makes N Ed25519/Cv25519 test certificates
# (examples/gen-certs.rs; user K is "User K <userK@example.org>"), then, in
# temporary homes only (never your own keyrings):
#   - times `zpgp import` of all N certificates, and lookups by email,
#     fingerprint and key ID (`zpgp list QUERY`), as whole-process wall time,
#     the median of RUNS runs, for K = 1, N/2 and N;
#   - does the same with gpg on the first min(N, GPG_N) certificates (gpg
#     2.2 imports big keyrings slowly, ~22 certs/s at 33k), and with zpgp on
#     exactly those certificates too, so the ratio compares like with like;
#   - prints a Markdown table on standard output (progress goes to stderr).
#
# Usage: scripts/bench-keyring.sh [--n N] [--quick] [--gpg-n M] [--runs R]
#   --n N       certificates for zpgp (default 100000)
#   --quick     N=2000: a smoke test that finishes in about a minute
#   --gpg-n M   at most M certificates for gpg (default 10000)
#   --runs R    runs per lookup, the median is reported (default 11)
set -euo pipefail
shopt -s inherit_errexit

N=100000
GPG_N=10000
RUNS=11

die() {
    echo "bench-keyring: $*" >&2
    exit 1
}
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
        -h|--help) usage ;;
        *) echo "bench-keyring: unknown argument: $1" >&2; usage ;;
    esac
done
for v in N GPG_N RUNS; do
    [[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -ge 1 ] || die "$v must be a positive number, not '${!v}'"
done

command -v cargo >/dev/null ||
    die "cargo is not installed: install Rust (https://rustup.rs) to build zpgp"
command -v gpg >/dev/null ||
    die "gpg is not installed: it is the baseline (Debian/Ubuntu: apt-get install gnupg)"
command -v gpgconf >/dev/null ||
    die "gpgconf is not installed (it comes with gnupg): it is needed to stop gpg-agent"

cd "$(dirname "$0")/.."
ROOT=$PWD

# Everything happens in one temporary directory, removed on exit; its path is
# short because gpg-agent's socket path is limited to ~107 bytes.
WORK=$(mktemp -d /tmp/zbench.XXXXXX)
GHOMES=()
cleanup() {
    for g in "${GHOMES[@]}"; do
        gpgconf --homedir "$g" --kill all >/dev/null 2>&1 || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
unset GNUPGHOME ZPGP_HOME
# A captured backtrace on every internal error costs zpgp ~6% on import.
unset RUST_BACKTRACE RUST_LIB_BACKTRACE
export LC_ALL=C

log() { echo "bench-keyring: $*" >&2; }

# Microseconds since the epoch, without forking (bash 5), else date(1).
now_us() {
    if [ -n "${EPOCHREALTIME:-}" ]; then
        local t=${EPOCHREALTIME/[.,]/}
        echo "$t"
    else
        echo $(($(date +%s%N) / 1000))
    fi
}

# elapsed_ms START_US END_US -> milliseconds with one decimal.
elapsed_ms() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1000 }'
}

# time_once CMD... : runs CMD once (output discarded, must succeed) and
# prints its wall time in ms.
time_once() {
    local t0 t1
    t0=$(now_us)
    "$@" >/dev/null 2>"$WORK/last.err" || {
        cat "$WORK/last.err" >&2
        die "failed: $*"
    }
    t1=$(now_us)
    elapsed_ms "$t0" "$t1"
}

# time_import NAME PROGRAM ARGS... : like time_once (for a program, not a
# shell function), and notes the peak resident memory when /usr/bin/time is
# there.
NOTES=()
time_import() {
    local name=$1 ms
    shift
    if [ -x /usr/bin/time ]; then
        ms=$(time_once /usr/bin/time -o "$WORK/rss" -f %M "$@")
        NOTES+=("$name: peak resident memory $(($(tail -1 "$WORK/rss") / 1024)) MB")
    else
        ms=$(time_once "$@")
    fi
    echo "$ms"
}

# time_median CMD... : the median wall time in ms of RUNS runs.
time_median() {
    local i times=()
    for ((i = 0; i < RUNS; i++)); do
        times+=("$(time_once "$@")")
    done
    printf '%s\n' "${times[@]}" | sort -n |
        awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() {
    awk -v z="$1" -v g="$2" 'BEGIN { if (z > 0 && g != "") printf "%.2f", g / z; else print "–" }'
}

# ---------------------------------------------------------------------------
log "building zpgp and the certificate generator (release)"
cargo build --release --locked >&2
cargo build --release --locked --example gen-certs >&2
# Copies, so a rebuild in the shared target directory during the run
# changes nothing.
for b in zpgp examples/gen-certs; do
    [ -x "target/release/$b" ] || die "no target/release/$b after the build"
    cp "target/release/$b" "$WORK/"
done
ZPGP=$WORK/zpgp

GN=$((GPG_N < N ? GPG_N : N))
log "generating $N certificates (the first $GN also for gpg)"
t0=$(now_us)
# (= cargo run --release --locked --example gen-certs -- …, without cargo's
# own start-up in the measured time)
"$WORK/gen-certs" \
    "$N" "$WORK/certs.pgp" --head "$GN" "$WORK/head.pgp" >&2
t1=$(now_us)
GEN_MS=$(elapsed_ms "$t0" "$t1")

ZPGP_VERSION=$("$ZPGP" --version)
GPG_VERSION=$(gpg --version | head -1)

zpgp_h() { "$ZPGP" --home "$1" --batch "${@:2}"; }
gpg_h() { gpg --homedir "$1" --batch --no-tty "${@:2}"; }

# The fingerprint of userK in zpgp home $1 (also checks that the lookup works).
zpgp_fpr() {
    local out
    out=$(zpgp_h "$1" --json list "user$2@example.org") ||
        die "zpgp list user$2@example.org failed"
    grep -o '"fingerprint": *"[0-9A-F]*"' <<<"$out" | head -1 | grep -o '[0-9A-F]\{40,\}' ||
        die "no fingerprint for user$2 in: $out"
}

ROWS=()
row() { ROWS+=("| $1 | $2 | $3 | $4 | $5 |"); }

# bench N FILE WITH_GPG: imports FILE (N certificates) into a fresh zpgp
# home (and, WITH_GPG=yes, a fresh gpg home), then times lookups for
# K = 1, N/2, N.
bench() {
    local n=$1 file=$2 with_gpg=$3
    local zh=$WORK/z$n gh=$WORK/g$n zms gms=""
    mkdir -p "$zh"

    log "zpgp: importing $n certificates"
    # Not in a subshell: time_import adds to NOTES.
    time_import "zpgp import of $n certificates" "$ZPGP" --home "$zh" --batch import "$file" >"$WORK/ms"
    zms=$(cat "$WORK/ms")
    grep -q "^zpgp: $n certificates processed: $n new" "$WORK/last.err" ||
        die "zpgp did not import $n new certificates: $(tail -1 "$WORK/last.err")"
    local count

    if [ "$with_gpg" = yes ]; then
        mkdir -m 700 "$gh"
        GHOMES+=("$gh")
        log "gpg: importing $n certificates (slow: ~20-150 certs/s)"
        time_import "gpg --import of $n certificates" \
            gpg --homedir "$gh" --batch --no-tty --quiet --import "$file" >"$WORK/ms"
        gms=$(cat "$WORK/ms")
        # Settle the trust database once, so no lookup below pays for it.
        gpg_h "$gh" --check-trustdb >/dev/null 2>&1 || true
        count=$(gpg_h "$gh" --with-colons --list-keys | grep -c '^pub') || true
        [ "$count" -eq "$n" ] || die "gpg lists $count certificates after importing $n"
    fi
    row "import (whole keyring)" "$n" "$zms" "${gms:-–}" "$(ratio "$zms" "$gms")"

    local k fpr kid what q
    for k in 1 $(((n + 1) / 2)) "$n"; do
        fpr=$(zpgp_fpr "$zh" "$k")
        kid=${fpr: -16}
        for what in email fingerprint keyid; do
            case $what in
                email) q="user$k@example.org" ;;
                fingerprint) q=$fpr ;;
                keyid) q=$kid ;;
            esac
            # Both must find exactly that certificate before being timed.
            [[ $(zpgp_h "$zh" list "$q") == *"$fpr"* ]] || die "zpgp list $q does not show $fpr"
            log "zpgp list $what (K=$k, N=$n): $RUNS runs"
            zms=$(time_median zpgp_h "$zh" list "$q")
            gms=""
            if [ "$with_gpg" = yes ]; then
                [[ $(gpg_h "$gh" --with-colons --list-keys "$q" 2>/dev/null) == *"$fpr"* ]] ||
                    die "gpg --list-keys $q does not show $fpr"
                log "gpg --list-keys $what (K=$k, N=$n): $RUNS runs"
                gms=$(time_median gpg_h "$gh" --list-keys "$q")
            fi
            row "list by $what (K=$k)" "$n" "$zms" "${gms:-–}" "$(ratio "$zms" "$gms")"
        done
    done
    # Free the disk space early (the trap removes the rest).
    log "removing the $n-certificate homes"
    if [ "$with_gpg" = yes ]; then
        gpgconf --homedir "$gh" --kill all >/dev/null 2>&1 || true
    fi
    rm -rf "$zh" "$gh"
}

bench "$GN" "$WORK/head.pgp" yes
if [ "$N" -gt "$GN" ]; then
    bench "$N" "$WORK/certs.pgp" no
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
