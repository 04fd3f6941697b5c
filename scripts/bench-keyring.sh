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
# With --auth, instead: authentication (the web of trust) on a big keyring.
# gen-certs makes the N certificates, an owner key (the benchmark user's
# own, with its secret key) and M certifications (--m, default N/10): trusted
# introducers, chains through them (owner -> introducer of depth 2 ->
# introducer -> user), direct certifications by the owner, and strangers
# certifying each other (see examples/gen-certs.rs).  Two homes get the
# owner's key and the same N certificates, one without and one with the M
# certifications; in each, interleaved, the median of RUNS runs of
# `zpgp list userK@example.org` (a user certified through a chain, one
# certified by the owner, one by a stranger, one by nobody), `zpgp encrypt
# -r` of a 4 KiB file to the chain's user and `zpgp verify` of that user's
# detached signature.  It first checks the levels (`zpgp --json list`) and
# that encrypt and verify pass --require-auth in the home with them.
#
# With --debian, instead: imports a real keyring, the Debian developers'
# (package debian-keyring), once with zpgp and once with gpg, and reports
# the times and what each kept (zpgp: new, and stored but not valid).
#
# Usage: scripts/bench-keyring.sh [--n N] [--quick] [--gpg-n M] [--runs R] [--debian]
#        scripts/bench-keyring.sh --auth [--n N] [--m M] [--quick] [--runs R]
#   --n N       certificates for zpgp (default 100000)
#   --quick     N=2000: a smoke test that finishes in about a minute
#   --m M       with --auth: certifications (default N/10)
#   --gpg-n M   at most M certificates for gpg (default 10000)
#   --runs R    runs per lookup, the median is reported (default 11)
set -euo pipefail
shopt -s inherit_errexit

N=100000
GPG_N=10000
RUNS=11
M=""

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
        --auth) AUTH=yes; shift ;;
        --m) [ $# -ge 2 ] || usage; M=$2; shift 2 ;;
        -h|--help) usage ;;
        *) echo "bench-keyring: unknown argument: $1" >&2; usage ;;
    esac
done
M=${M:-$((N / 10))}
for v in N GPG_N RUNS M; do
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

# auth_bench: the --auth benchmark (see the top of this file).
auth_bench() {
    local dir=$WORK/auth a0=$WORK/a0 a1=$WORK/a1 t0 t1 gen_time
    log "generating $N certificates, an owner key and $M certifications"
    t0=$(now_us)
    "$GEN_CERTS" "$N" "$WORK/certs.pgp" --certify "$M" "$dir" >&2
    t1=$(now_us)
    gen_time=$(elapsed_ms "$t0" "$t1")
    local name k
    local -A user lvl
    while IFS='=' read -r name k; do
        user[$name]=$k
    done <"$dir/targets"
    for name in DIRECT INTRODUCED CHAIN PEER NONE; do
        [[ ${user[$name]:-} =~ ^[0-9]+$ ]] || die "gen-certs named no $name user"
    done

    local h file ms imp0="" imp1=""
    for h in "$a0" "$a1"; do
        if [ "$h" = "$a0" ]; then file=$WORK/certs.pgp; else file=$dir/certified.pgp; fi
        mkdir -p "$h"
        zpgp_h "$h" import "$dir/owner.pgp" >/dev/null 2>&1 || die "importing the owner's key failed"
        log "zpgp: importing $N certificates into $h ($(basename "$file"))"
        ms=$(time_once "$ZPGP" --home "$h" --batch import "$file")
        grep -q "^zpgp: $N certificates processed: $N new" "$WORK/last.err" ||
            die "zpgp did not import $N new certificates: $(tail -1 "$WORK/last.err")"
        if [ "$h" = "$a0" ]; then imp0=$ms; else imp1=$ms; fi
    done

    # A user's level in a home, as `zpgp --json list` gives it.
    level() {
        zpgp_h "$1" --json list "user$2@example.org" |
            grep -o '"level": *"[a-z]*"' | head -1 | sed 's/.*"\([a-z]*\)"$/\1/'
    }
    local expect got
    for name in DIRECT INTRODUCED CHAIN PEER NONE; do
        case $name in PEER | NONE) expect=none ;; *) expect=full ;; esac
        got=$(level "$a1" "${user[$name]}")
        [ "$got" = "$expect" ] ||
            die "user${user[$name]} ($name) is '$got' with the certifications, not '$expect'"
        got=$(level "$a0" "${user[$name]}")
        [ "$got" = none ] || die "user${user[$name]} ($name) is '$got' without the certifications"
        lvl[$name]=$expect
    done

    # The chain's user signs a 4 KiB file, in a home of its own.
    local chain=user${user[CHAIN]}@example.org msg=$WORK/msg
    head -c 4096 /dev/urandom >"$msg"
    mkdir -p "$WORK/signer"
    zpgp_h "$WORK/signer" sign --key-file "$dir/signer.pgp" --detached -o "$msg.sig" "$msg" \
        >/dev/null 2>&1 || die "signing with the chain's user's key failed"
    zpgp_h "$a1" verify --require-auth --signature "$msg.sig" "$msg" >/dev/null 2>&1 ||
        die "verify --require-auth fails with the certifications"
    zpgp_h "$a1" encrypt --require-auth -r "$chain" -o - "$msg" >/dev/null 2>&1 ||
        die "encrypt --require-auth -r $chain fails with the certifications"
    zpgp_h "$a0" encrypt -r "$chain" -o - "$msg" >/dev/null 2>&1 ||
        die "encrypt -r $chain fails without the certifications"
    if zpgp_h "$a0" verify --require-auth --signature "$msg.sig" "$msg" >/dev/null 2>&1; then
        die "verify --require-auth passes without the certifications"
    fi

    # (OP and AH are seen by these through bash's dynamic scoping)
    local OP AH
    # shellcheck disable=SC2317,SC2329 # called through time_interleaved
    auth_op() {
        case $OP in
            list:*) zpgp_h "$AH" list "user${OP#list:}@example.org" ;;
            encrypt) zpgp_h "$AH" encrypt -r "$chain" -o - "$msg" ;;
            verify) zpgp_h "$AH" verify --signature "$msg.sig" "$msg" ;;
        esac
    }
    # shellcheck disable=SC2317,SC2329
    without() { AH=$a0 auth_op; }
    # shellcheck disable=SC2317,SC2329
    with() { AH=$a1 auth_op; }
    local rows=() what label res ms0 ms1
    for what in list:CHAIN list:DIRECT list:PEER list:NONE encrypt verify; do
        case $what in
            list:*)
                name=${what#list:}
                OP=list:${user[$name]}
                label="list user${user[$name]}@example.org (${name,,})"
                ;;
            encrypt)
                OP=encrypt name=CHAIN
                label="encrypt -r $chain, 4 KiB (chain)"
                ;;
            verify)
                OP=verify name=CHAIN
                label="verify, detached, 4 KiB, signed by user${user[CHAIN]} (chain)"
                ;;
        esac
        log "$label: $RUNS runs each, without and with the certifications interleaved"
        res=$(time_interleaved "$RUNS" without with)
        ms0=${res% *} ms1=${res#* }
        rows+=("| $label | $ms0 | $ms1 | $(ratio "$ms0" "$ms1") | ${lvl[$name]} |")
    done

    cat <<EOF

## Authentication benchmark

- zpgp: $("$ZPGP" --version)
- machine: $(nproc) CPU(s), $(uname -sr)
- certificates: $N (Ed25519 + Cv25519 subkey, one user ID each) and the owner's key;
  $M certifications in the second home (examples/gen-certs.rs --certify: introducers,
  chains owner -> introducer (depth 2) -> introducer -> user, direct, strangers);
  generating took $gen_time ms
- import of the $N certificates (one run, after the owner's key): $imp0 ms without, $imp1 ms with the certifications
- times are whole-process wall time in ms, the median of $RUNS runs, the two homes interleaved;
  "level" is the user's authentication with the certifications (without them: none)

| operation | without certifications, ms | with, ms | with/without | level |
|---|---:|---:|---:|---|
EOF
    printf '%s\n' "${rows[@]}"
}

if [ -n "${AUTH:-}" ]; then
    auth_bench
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
