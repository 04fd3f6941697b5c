# shellcheck shell=bash
# Shared by scripts/bench.sh and scripts/bench-keyring.sh (sourced, not run):
# temporary work directory and cleanup, timing and medians, the release
# build, test certificates, and the keyring benchmark (import of N
# certificates, lookups by email / fingerprint / key ID), zpgp against gpg.
#
# The caller sets BENCH_NAME (the prefix of its messages), and before
# keyring_bench: RUNS (runs per lookup), and defines
#   kr_row OPERATION N ZPGP_MS GPG_MS [ZPGP_RSS_KB GPG_RSS_KB]
#          (GPG_MS empty when gpg did not run; the RSS for imports only)
#   kr_note TEXT
# to collect the results.

die() {
    echo "$BENCH_NAME: $*" >&2
    exit 1
}
log() { echo "$BENCH_NAME: $*" >&2; }

# require_tools: the tools every benchmark needs, with how to get them.
require_tools() {
    command -v cargo >/dev/null ||
        die "cargo is not installed: install Rust (https://rustup.rs) to build zpgp"
    command -v gpg >/dev/null ||
        die "gpg is not installed: it is the baseline (Debian/Ubuntu: apt-get install gnupg)"
    command -v gpgconf >/dev/null ||
        die "gpgconf is not installed (it comes with gnupg): it is needed to stop gpg-agent"
}

# bench_setup: makes WORK, one temporary directory for everything (its path
# is short because gpg-agent's socket path is limited to ~107 bytes), and
# EXTRA_DIRS (more directories to remove, e.g. for big files), all removed
# on exit, also after Ctrl-C or kill; every gpg home in GHOMES gets its
# agent stopped.  Never the user's own keyrings: ZPGP_HOME and GNUPGHOME
# are unset, and every command names its home.
GHOMES=()
EXTRA_DIRS=()
bench_cleanup() {
    local g
    for g in "${GHOMES[@]}"; do
        gpgconf --homedir "$g" --kill all >/dev/null 2>&1 || true
    done
    rm -rf "${EXTRA_DIRS[@]}" "${WORK:-/nonexistent}"
}
bench_setup() {
    WORK=$(mktemp -d /tmp/zbench.XXXXXX)
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    unset GNUPGHOME ZPGP_HOME
    # A captured backtrace on every internal error costs zpgp ~6% on import.
    unset RUST_BACKTRACE RUST_LIB_BACKTRACE
    export LC_ALL=C
}

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
    "$@" >/dev/null 2>"$WORK/last.err" </dev/null || {
        cat "$WORK/last.err" >&2
        die "failed: $*"
    }
    t1=$(now_us)
    elapsed_ms "$t0" "$t1"
}

# median: the median of the numbers on standard input, one a line.
median() {
    sort -n | awk '{ v[NR] = $1 }
        END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2];
              else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# time_interleaved R CMD_A CMD_B ... : runs each command (a function or
# program name without arguments) R times, interleaved (A, B, A, B, …) so
# that drifting load on the machine hits all alike, and prints the median
# wall time in ms of each, space-separated, in order.
time_interleaved() {
    local r=$1 i c
    shift
    local -a cmds=("$@") times=()
    for ((i = 0; i < r; i++)); do
        for c in "${!cmds[@]}"; do
            times[c]+="$(time_once "${cmds[c]}") "
        done
    done
    local out=()
    for c in "${!cmds[@]}"; do
        # shellcheck disable=SC2086 # the list of times is split on purpose
        out+=("$(printf '%s\n' ${times[c]} | median)")
    done
    echo "${out[*]}"
}

ratio() {
    awk -v z="$1" -v g="$2" 'BEGIN { if (z > 0 && g != "") printf "%.2f", g / z; else print "–" }'
}

# bench_build: builds zpgp and the certificate generator (release) and
# copies them to $WORK, so a rebuild in the shared target directory during
# the run changes nothing.  Sets ZPGP and GEN_CERTS.
bench_build() {
    log "building zpgp and the certificate generator (cargo build --release --locked)"
    cargo build --release --locked >&2
    cargo build --release --locked --example gen-certs >&2
    local b
    for b in zpgp examples/gen-certs; do
        [ -x "target/release/$b" ] || die "no target/release/$b after the build"
        cp "target/release/$b" "$WORK/"
    done
    ZPGP=$WORK/zpgp
    GEN_CERTS=$WORK/gen-certs
}

# gen_certs N GN: writes $WORK/certs.pgp (N certificates) and $WORK/head.pgp
# (the first GN of them); sets GEN_MS.
gen_certs() {
    log "generating $1 certificates (the first $2 also for gpg)"
    local t0 t1
    t0=$(now_us)
    "$GEN_CERTS" "$1" "$WORK/certs.pgp" --head "$2" "$WORK/head.pgp" >&2
    t1=$(now_us)
    # shellcheck disable=SC2034 # read by the callers
    GEN_MS=$(elapsed_ms "$t0" "$t1")
}

zpgp_h() { "$ZPGP" --home "$1" --batch "${@:2}"; }
gpg_h() { gpg --homedir "$1" --batch --no-tty "${@:2}"; }

# time_import NAME PROGRAM ARGS... : like time_once (for a program, not a
# shell function), and notes the peak resident memory when /usr/bin/time is
# there (also in LAST_RSS_KB; empty without it).
time_import() {
    local name=$1 ms
    shift
    LAST_RSS_KB=""
    if [ -x /usr/bin/time ]; then
        ms=$(time_once /usr/bin/time -o "$WORK/rss" -f %M "$@")
        LAST_RSS_KB=$(tail -1 "$WORK/rss")
        kr_note "$name: peak resident memory $((LAST_RSS_KB / 1024)) MB"
    else
        ms=$(time_once "$@")
    fi
    echo "$ms"
}

# The fingerprint of userK in zpgp home $1 (also checks that the lookup works).
zpgp_fpr() {
    local out
    out=$(zpgp_h "$1" --json list "user$2@example.org") ||
        die "zpgp list user$2@example.org failed"
    grep -o '"fingerprint": *"[0-9A-F]*"' <<<"$out" | head -1 | grep -o '[0-9A-F]\{40,\}' ||
        die "no fingerprint for user$2 in: $out"
}

# keyring_bench N FILE WITH_GPG [KS] [KINDS] [KEEP]: imports FILE (N
# certificates) into a fresh zpgp home $WORK/zN (and, WITH_GPG=yes, a fresh
# gpg home $WORK/gN), then times lookups (`zpgp list Q`, `gpg --list-keys
# Q`, interleaved) for user K in KS (default "1 N/2 N") by each of KINDS
# (default "email fingerprint keyid").  KEEP=keep leaves the homes for the
# caller (they are still removed on exit).
keyring_bench() {
    local n=$1 file=$2 with_gpg=$3
    local ks=${4:-1 $(((n + 1) / 2)) $n} kinds=${5:-email fingerprint keyid} keep=${6:-}
    local zh=$WORK/z$n gh=$WORK/g$n zms gms="" count
    mkdir -p "$zh"

    log "zpgp: importing $n certificates"
    # Not in a subshell: time_import calls kr_note.
    time_import "zpgp import of $n certificates" "$ZPGP" --home "$zh" --batch import "$file" >"$WORK/ms"
    zms=$(cat "$WORK/ms")
    local zrss=$LAST_RSS_KB grss=""
    grep -q "^zpgp: $n certificates processed: $n new" "$WORK/last.err" ||
        die "zpgp did not import $n new certificates: $(tail -1 "$WORK/last.err")"

    if [ "$with_gpg" = yes ]; then
        mkdir -m 700 "$gh"
        GHOMES+=("$gh")
        log "gpg: importing $n certificates (slow: ~20-150 certs/s)"
        time_import "gpg --import of $n certificates" \
            gpg --homedir "$gh" --batch --no-tty --quiet --import "$file" >"$WORK/ms"
        gms=$(cat "$WORK/ms")
        grss=$LAST_RSS_KB
        # Settle the trust database once, so no lookup below pays for it.
        gpg_h "$gh" --check-trustdb >/dev/null 2>&1 || true
        count=$(gpg_h "$gh" --with-colons --list-keys | grep -c '^pub') || true
        [ "$count" -eq "$n" ] || die "gpg lists $count certificates after importing $n"
    fi
    kr_row "import (whole keyring)" "$n" "$zms" "$gms" "$zrss" "$grss"

    local k fpr kid what q res
    # (q, zh and gh are seen by these through bash's dynamic scoping)
    # shellcheck disable=SC2317 # called through time_interleaved
    lookup_z() { zpgp_h "$zh" list "$q"; }
    # shellcheck disable=SC2317
    lookup_g() { gpg_h "$gh" --list-keys "$q"; }
    for k in $ks; do
        fpr=$(zpgp_fpr "$zh" "$k")
        kid=${fpr: -16}
        for what in $kinds; do
            case $what in
                email) q="user$k@example.org" ;;
                fingerprint) q=$fpr ;;
                keyid) q=$kid ;;
                *) die "unknown lookup kind: $what" ;;
            esac
            # Both must find exactly that certificate before being timed.
            [[ $(zpgp_h "$zh" list "$q") == *"$fpr"* ]] || die "zpgp list $q does not show $fpr"
            if [ "$with_gpg" = yes ]; then
                [[ $(gpg_h "$gh" --with-colons --list-keys "$q" 2>/dev/null) == *"$fpr"* ]] ||
                    die "gpg --list-keys $q does not show $fpr"
                log "list by $what (K=$k, N=$n): $RUNS runs each, zpgp and gpg interleaved"
                res=$(time_interleaved "$RUNS" lookup_z lookup_g)
                zms=${res% *} gms=${res#* }
            else
                log "zpgp list by $what (K=$k, N=$n): $RUNS runs"
                zms=$(time_interleaved "$RUNS" lookup_z)
                gms=""
            fi
            kr_row "list by $what (K=$k)" "$n" "$zms" "$gms"
        done
    done
    if [ "$keep" != keep ]; then
        # Free the disk space early (the trap removes the rest).
        log "removing the $n-certificate homes"
        if [ "$with_gpg" = yes ]; then
            gpgconf --homedir "$gh" --kill all >/dev/null 2>&1 || true
        fi
        rm -rf "$zh" "$gh"
    fi
}
