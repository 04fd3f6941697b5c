#!/usr/bin/env bash
# The zpgp benchmark: zpgp side by side with GnuPG (and sq, rnp, age where
# installed), in one run, on this machine.
#
# Builds zpgp (cargo build --release --locked), then times, as whole-process
# wall time, each tool's runs interleaved (zpgp, gpg, sq, …, zpgp, gpg, …)
# so that changing load on the machine hits them alike, and reports the
# median with the ratio gpg/zpgp (above 1: zpgp is faster):
#   - encrypt and decrypt of a SIZE file of random bytes (1 GiB; --quick:
#     64 MiB): v4 key (SEIPDv1), v6 key (SEIPDv2), password only;
#   - detached sign and verify of the same file;
#   - a 4 KiB message: encrypt and decrypt latency, with a keyring of 1
#     certificate and of N (100,000; --quick: 2,000) certificates (gpg's
#     keyring holds at most GPG_N = 10,000 of them: gpg 2.2 imports slowly);
#   - keyring: import of N certificates, lookup by email and by fingerprint
#     (the logic of scripts/bench-keyring.sh, through scripts/bench-lib.sh);
#   - peak resident memory of each tool (/usr/bin/time -f %M) on an untimed
#     first run, which also warms the page cache.
# It prints a Markdown table on standard output (progress on stderr) and
# writes it to docs/benchmarks.md with the machine, the tool versions and
# the command.
#
# Only temporary homes are used (--homedir, --home, HOME for sq), never your
# own keyrings; the big files live in target/bench-data.* (on disk, like a
# user's files) and are removed on exit, also after Ctrl-C.
#
# Needs: cargo, gpg (with gpgconf), /usr/bin/time (package "time").
# Optional: sq, rnp, age (a column each when installed); python3 (types the
# password for sq and age, which read it only from a terminal).
#
# Usage: scripts/bench.sh [--quick] [--size MIB] [--n N] [--gpg-n M]
#                         [--runs R] [--no-docs]
#   --quick     64 MiB, N=2000, 5 runs: under two minutes
#   --size MIB  the big file's size in MiB (default 1024)
#   --n N       certificates in the big keyring (default 100000)
#   --gpg-n M   at most M certificates for gpg (default 10000)
#   --runs R    timed runs per throughput row (default 3; latency rows and
#               lookups use more)
#   --no-docs   do not write docs/benchmarks.md
set -euo pipefail
shopt -s inherit_errexit

COMMAND="scripts/bench.sh${*:+ $*}"
SIZE_MIB=1024
N=100000
GPG_N=10000
RUNS=3
LAT_RUNS=21
KR_RUNS=11
QUICK=no
DOCS=yes

BENCH_NAME=bench
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
usage() {
    sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=yes; SIZE_MIB=64; N=2000; RUNS=5; LAT_RUNS=9; KR_RUNS=5; shift ;;
        --size) [ $# -ge 2 ] || usage; SIZE_MIB=$2; shift 2 ;;
        --n) [ $# -ge 2 ] || usage; N=$2; shift 2 ;;
        --gpg-n) [ $# -ge 2 ] || usage; GPG_N=$2; shift 2 ;;
        --runs) [ $# -ge 2 ] || usage; RUNS=$2; shift 2 ;;
        --no-docs) DOCS=no; shift ;;
        -h|--help) usage ;;
        *) echo "bench: unknown argument: $1" >&2; usage ;;
    esac
done
for v in SIZE_MIB N GPG_N RUNS; do
    [[ ${!v} =~ ^[0-9]+$ && ${!v} -ge 1 ]] || die "$v must be a positive number, not '${!v}'"
done

# --- tools ---------------------------------------------------------------
require_tools
[ -x /usr/bin/time ] ||
    die "/usr/bin/time is not installed: it measures peak memory (Debian/Ubuntu: apt-get install time)"
command -v awk >/dev/null || die "awk is not installed"
PEERS=()
MISSING=()
for t in sq rnp age; do
    if command -v "$t" >/dev/null; then PEERS+=("$t"); else MISSING+=("$t"); fi
done
HAVE_PY=no
command -v python3 >/dev/null && HAVE_PY=yes
log "required: cargo, gpg, /usr/bin/time (found); optional: sq, rnp, age —" \
    "found: ${PEERS[*]:-none}; missing: ${MISSING[*]:-none}"
[ "$HAVE_PY" = yes ] || log "python3 is missing: no password rows for sq and age (they read passwords only from a terminal)"
has() { [[ " zpgp gpg ${PEERS[*]} " == *" $1 "* ]]; }

cd "$(dirname "$0")/.."
ROOT=$PWD
bench_setup
mkdir -p "$ROOT/target"
BIG=$(mktemp -d "$ROOT/target/bench-data.XXXXXX")
EXTRA_DIRS+=("$BIG")
# The input, and per tool a ciphertext and a decrypted copy, at most.
NEED_MIB=$((SIZE_MIB * (3 + ${#PEERS[@]}) + 512))
FREE_MIB=$(df -Pm "$BIG" | awk 'NR == 2 { print $4 }')
[ "$FREE_MIB" -ge "$NEED_MIB" ] ||
    die "$NEED_MIB MiB of free disk space needed in $ROOT/target, only $FREE_MIB MiB there (try --size or --quick)"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

bench_build

# --- keys, in temporary homes only ---------------------------------------
P=$WORK/pass
printf 'benchmark passphrase %s\n' "$RANDOM$RANDOM" >"$P"
PASS=$(head -1 "$P")
UID_EMAIL=bench@example.org
ZH4=$WORK/z4 ZH6=$WORK/z6 ZHP=$WORK/zp GH=$WORK/g RH=$WORK/r
mkdir -m 700 "$ZH4" "$ZH6" "$ZHP" "$GH" "$RH" "$WORK/sqhome"
GHOMES+=("$GH")

log "making keys: zpgp v4 and v6, gpg ed25519/cv25519${PEERS[*]:+, and for ${PEERS[*]}}"
zpgp_h "$ZH4" --passphrase-file "$P" generate --email "$UID_EMAIL" >/dev/null 2>&1 ||
    die "zpgp generate failed"
zpgp_h "$ZH6" --passphrase-file "$P" generate --profile rfc9580 --email "$UID_EMAIL" >/dev/null 2>&1 ||
    die "zpgp generate --profile rfc9580 failed"
gpg_key() { # gpg_key HOME: an Ed25519 key with a Cv25519 subkey, passphrase P
    gpg_h "$1" --pinentry-mode loopback --passphrase-file "$P" \
        --quick-gen-key "Bench <$UID_EMAIL>" ed25519 cert,sign never 2>/dev/null
    local fpr
    fpr=$(gpg_h "$1" --with-colons --list-keys "$UID_EMAIL" | awk -F: '/^fpr/ { print $10; exit }')
    [ -n "$fpr" ] || die "gpg --quick-gen-key made no key in $1"
    gpg_h "$1" --pinentry-mode loopback --passphrase-file "$P" \
        --quick-add-key "$fpr" cv25519 encr never 2>/dev/null
}
gpg_key "$GH"
if has sq; then
    HOME=$WORK/sqhome sq key generate --userid "<$UID_EMAIL>" --export "$WORK/sq.key" 2>/dev/null
    HOME=$WORK/sqhome sq key extract-cert -B -o "$WORK/sq.cert" "$WORK/sq.key"
fi
if has rnp; then
    # rnp uses zpgp's v4 key (Ed25519/Cv25519, protected by the same passphrase).
    zpgp_h "$ZH4" --passphrase-file "$P" export --secret -o "$WORK/z4.sec" "$UID_EMAIL" 2>/dev/null
    rnpkeys --homedir "$RH" --notty --import "$WORK/z4.sec" >/dev/null 2>&1 ||
        die "rnpkeys could not import zpgp's key"
fi
if has age; then
    age-keygen -o "$WORK/age.key" 2>/dev/null
    AGE_R=$(age-keygen -y "$WORK/age.key")
fi
cat >"$WORK/typepass.py" <<'EOF'
# typepass.py PASSFILE CMD...: runs CMD on a new pseudo-terminal and types
# the first line of PASSFILE at each passphrase/password prompt (sq 0.27
# and age read passwords only from a terminal).
import os, pty, select, sys
pw = open(sys.argv[1], 'rb').readline().rstrip(b'\r\n') + b'\n'
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
buf = b''
while True:
    try:
        select.select([fd], [], [])
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    buf = (buf + d)[-512:]
    low = buf.lower()
    if (b'passphrase' in low or b'password' in low) and buf.rstrip().endswith(b':'):
        os.write(fd, pw)
        buf = b''
_, st = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(st))
EOF
TYPEPASS=(python3 "$WORK/typepass.py" "$P")

# --- the commands ----------------------------------------------------------
# cmd TOOL OP: sets CMD to TOOL's command line for OP, with @IN@, @OUT@ and
# @SIG@ to fill in, or to nothing when TOOL cannot do OP.  OPs: enc4/dec4
# (v4 key; age: its X25519 recipient), enc6/dec6 (v6 key), encp/decp
# (password only), sign/verify (detached).
GPG=(gpg --homedir "$GH" --batch --no-tty --yes --pinentry-mode loopback --trust-model always)
cmd() {
    CMD=()
    case $1:$2 in
        zpgp:enc4) CMD=("$ZPGP" --home "$ZH4" --batch encrypt -r "$UID_EMAIL" -o @OUT@ @IN@) ;;
        zpgp:dec4) CMD=("$ZPGP" --home "$ZH4" --batch --passphrase-file "$P" decrypt -o @OUT@ @IN@) ;;
        zpgp:enc6) CMD=("$ZPGP" --home "$ZH6" --batch encrypt -r "$UID_EMAIL" -o @OUT@ @IN@) ;;
        zpgp:dec6) CMD=("$ZPGP" --home "$ZH6" --batch --passphrase-file "$P" decrypt -o @OUT@ @IN@) ;;
        zpgp:encp) CMD=("$ZPGP" --home "$ZHP" --batch --passphrase-file "$P" encrypt --password -o @OUT@ @IN@) ;;
        zpgp:decp) CMD=("$ZPGP" --home "$ZHP" --batch --passphrase-file "$P" decrypt -o @OUT@ @IN@) ;;
        zpgp:sign) CMD=("$ZPGP" --home "$ZH4" --batch --passphrase-file "$P" sign --detached -o @OUT@ @IN@) ;;
        zpgp:verify) CMD=("$ZPGP" --home "$ZH4" --batch verify --signature @SIG@ @IN@) ;;
        gpg:enc4) CMD=("${GPG[@]}" --compress-algo none -r "$UID_EMAIL" -o @OUT@ -e @IN@) ;;
        gpg:dec4 | gpg:decp) CMD=("${GPG[@]}" --passphrase-file "$P" -o @OUT@ -d @IN@) ;;
        gpg:encp) CMD=("${GPG[@]}" --passphrase-file "$P" --compress-algo none -o @OUT@ -c @IN@) ;;
        gpg:sign) CMD=("${GPG[@]}" --passphrase-file "$P" -o @OUT@ --detach-sign @IN@) ;;
        gpg:verify) CMD=("${GPG[@]}" --verify @SIG@ @IN@) ;;
        sq:enc4) CMD=(env HOME="$WORK/sqhome" sq encrypt -B --compression none --recipient-cert "$WORK/sq.cert" -o @OUT@ @IN@) ;;
        sq:dec4) CMD=(env HOME="$WORK/sqhome" sq decrypt --recipient-key "$WORK/sq.key" -o @OUT@ @IN@) ;;
        sq:encp) [ "$HAVE_PY" = no ] || CMD=(env HOME="$WORK/sqhome" "${TYPEPASS[@]}" sq encrypt -B --compression none --symmetric -o @OUT@ @IN@) ;;
        sq:decp) [ "$HAVE_PY" = no ] || CMD=(env HOME="$WORK/sqhome" "${TYPEPASS[@]}" sq decrypt -o @OUT@ @IN@) ;;
        sq:sign) CMD=(env HOME="$WORK/sqhome" sq sign -B --detached --signer-key "$WORK/sq.key" -o @OUT@ @IN@) ;;
        sq:verify) CMD=(env HOME="$WORK/sqhome" sq verify --signer-cert "$WORK/sq.cert" --detached @SIG@ @IN@) ;;
        rnp:enc4) CMD=(rnp --homedir "$RH" --notty -z 0 -e -r "$UID_EMAIL" --output @OUT@ @IN@) ;;
        rnp:dec4 | rnp:decp) CMD=(rnp --homedir "$RH" --notty --password "$PASS" -d --output @OUT@ @IN@) ;;
        rnp:encp) CMD=(rnp --homedir "$RH" --notty -z 0 -c --password "$PASS" --output @OUT@ @IN@) ;;
        rnp:sign) CMD=(rnp --homedir "$RH" --notty --password "$PASS" -u "$UID_EMAIL" -s --detach --output @OUT@ @IN@) ;;
        rnp:verify) CMD=(rnp --homedir "$RH" --notty -v --source @IN@ @SIG@) ;;
        age:enc4) CMD=(age -r "$AGE_R" -o @OUT@ @IN@) ;;
        age:dec4) CMD=(age -d -i "$WORK/age.key" -o @OUT@ @IN@) ;;
        age:encp) [ "$HAVE_PY" = no ] || CMD=("${TYPEPASS[@]}" age -p -o @OUT@ @IN@) ;;
        age:decp) [ "$HAVE_PY" = no ] || CMD=("${TYPEPASS[@]}" age -d -o @OUT@ @IN@) ;;
    esac
}

# fill IN OUT SIG: RUN = CMD with the placeholders filled in.
fill() {
    RUN=()
    local a
    for a in "${CMD[@]}"; do
        case $a in
            @IN@) RUN+=("$1") ;;
            @OUT@) RUN+=("$2") ;;
            @SIG@) RUN+=("$3") ;;
            *) RUN+=("$a") ;;
        esac
    done
}

TOOLS=(zpgp gpg "${PEERS[@]}")
declare -A MED RSS
# measure OP RUNS IN [CHECK] [SIG]: for each tool that can do OP, one
# untimed run under /usr/bin/time (peak RSS; it warms the page cache and
# gpg-agent too; with CHECK, its output must equal CHECK), then RUNS timed
# runs of all tools, interleaved.  IN and SIG may hold "%t", replaced by the
# tool's name (each decrypts its own ciphertext).  Outputs go to
# $BIG/out.TOOL, removed before each run.  Sets MED[TOOL] (ms) and RSS[TOOL]
# (KiB), empty for a tool that cannot do OP.
measure() {
    local op=$1 runs=$2 in=$3 check=${4:-} sig=${5:-} t i ms
    local -a ts=()
    local -A times=()
    for t in zpgp gpg "${PEERS[@]}"; do MED[$t]="" RSS[$t]=""; done
    for t in "${TOOLS[@]}"; do
        cmd "$t" "$op"
        [ ${#CMD[@]} -gt 0 ] || continue
        ts+=("$t")
        rm -f "$BIG/out.$t"
        fill "${in//%t/$t}" "$BIG/out.$t" "${sig//%t/$t}"
        time_once /usr/bin/time -o "$WORK/rss" -f %M "${RUN[@]}" >/dev/null
        RSS[$t]=$(tail -1 "$WORK/rss")
        if [ -n "$check" ]; then
            cmp -s "$check" "$BIG/out.$t" || die "$t $op: the output differs from the original"
        fi
    done
    log "$op of $(basename "${in//%t/x}"): $runs runs each of ${ts[*]}, interleaved"
    for ((i = 0; i < runs; i++)); do
        for t in "${ts[@]}"; do
            cmd "$t" "$op"
            rm -f "$BIG/out.$t"
            fill "${in//%t/$t}" "$BIG/out.$t" "${sig//%t/$t}"
            # Untimed: no tool pays for the disk writes another left
            # pending (1 GiB outputs that were not synced).
            sync
            ms=$(time_once "${RUN[@]}")
            times[$t]+="$ms "
        done
    done
    for t in "${ts[@]}"; do
        # shellcheck disable=SC2086 # the list of times is split on purpose
        MED[$t]=$(printf '%s\n' ${times[$t]} | median)
    done
}

# keep_outputs NAME: $BIG/out.TOOL becomes $BIG/NAME.TOOL (a ciphertext or
# a signature, the next row's input).
keep_outputs() {
    local t
    for t in "${TOOLS[@]}"; do
        if [ -e "$BIG/out.$t" ]; then mv "$BIG/out.$t" "$BIG/$1.$t"; fi
    done
}
drop() { rm -f "$BIG"/out.* "$BIG"/ct.* "$BIG"/sig.*; }

# --- the table -------------------------------------------------------------
fmt_ms() { awk -v m="$1" 'BEGIN { if (m == "") print "–"; else if (m >= 100) printf "%.0f", m; else printf "%.1f", m }'; }
fmt_mbs() { awk -v m="$1" -v b="$2" 'BEGIN { if (m == "" || b == "" || m <= 0) print "–"; else printf "%.0f", b / (m / 1000) / 1e6 }'; }
fmt_rss() { awk -v k="$1" 'BEGIN { if (k == "") print "–"; else printf "%.1f", k / 1024 }'; }
ROWS=()
HEADER="| operation | size | zpgp ms | gpg ms | gpg/zpgp | zpgp MB/s | gpg MB/s | zpgp RSS MiB | gpg RSS MiB |"
RULE="|---|---|---:|---:|---:|---:|---:|---:|---:|"
for t in "${PEERS[@]}"; do
    HEADER+=" $t ms · MB/s · RSS MiB |"
    RULE+="---:|"
done
# row OPERATION SIZE BYTES (empty: not a throughput row): from MED and RSS.
row() {
    local bytes=$3 t r
    r="| $1 | $2 | $(fmt_ms "${MED[zpgp]}") | $(fmt_ms "${MED[gpg]}") | $(ratio "${MED[zpgp]}" "${MED[gpg]}")"
    r+=" | $(fmt_mbs "${MED[zpgp]}" "$bytes") | $(fmt_mbs "${MED[gpg]}" "$bytes")"
    r+=" | $(fmt_rss "${RSS[zpgp]}") | $(fmt_rss "${RSS[gpg]}") |"
    for t in "${PEERS[@]}"; do
        if [ -z "${MED[$t]}" ]; then
            r+=" – |"
        elif [ -n "$bytes" ]; then
            r+=" $(fmt_ms "${MED[$t]}") · $(fmt_mbs "${MED[$t]}" "$bytes") · $(fmt_rss "${RSS[$t]}") |"
        else
            r+=" $(fmt_ms "${MED[$t]}") · – · $(fmt_rss "${RSS[$t]}") |"
        fi
    done
    ROWS+=("$r")
}
NOTES=()
note() { NOTES+=("$1"); }
# what inspect says of FILE (its password/format lines), for the notes.
describe() {
    "$ZPGP" --home "$ZHP" inspect "$1" 2>/dev/null |
        awk '/format:|password:/ { sub(/^ +/, ""); gsub(/  +/, " "); printf "%s%s", s, $0; s = "; " }
             /signature:/ { if (match($0, /\([^()]*\)/)) printf "%s%s", s, substr($0, RSTART + 1, RLENGTH - 2); s = "; " }' || true
}

# --- throughput: encrypt, decrypt, sign, verify of SIZE ---------------------
BYTES=$((SIZE_MIB * 1024 * 1024))
if [ "$SIZE_MIB" -ge 1024 ] && [ $((SIZE_MIB % 1024)) -eq 0 ]; then
    SIZE_LABEL="$((SIZE_MIB / 1024)) GiB"
else
    SIZE_LABEL="$SIZE_MIB MiB"
fi
log "writing $SIZE_LABEL of random bytes"
head -c "$BYTES" /dev/urandom >"$BIG/in"

throughput() { # throughput ENC DEC LABEL
    measure "$1" "$RUNS" "$BIG/in"
    row "encrypt, $3" "$SIZE_LABEL" "$BYTES"
    keep_outputs ct
    measure "$2" "$RUNS" "$BIG/ct.%t" "$BIG/in"
    row "decrypt, $3" "$SIZE_LABEL" "$BYTES"
}
throughput enc4 dec4 "v4 key (SEIPDv1)"
note "v4 key (SEIPDv1): zpgp default profile; gpg Ed25519/Cv25519 key, \`--compress-algo none\`$(has sq && echo "; sq \`--compression none\` (its default pads)")$(has rnp && echo "; rnp \`-z 0\` with zpgp's key")$(has age && echo "; age: its native X25519 recipient (not OpenPGP)"). zpgp's message: $(describe "$BIG/ct.zpgp")"
drop
throughput enc6 dec6 "v6 key (SEIPDv2)"
note "v6 key (SEIPDv2): zpgp \`--profile rfc9580\` ($(describe "$BIG/ct.zpgp")); gpg 2.2 cannot make or read v6 keys$(has sq && echo ", nor sq $(sq --version | awk '{ print $2 }') (sequoia-openpgp 1.x)")$(has rnp && echo ", nor rnp $(rnp --version | awk 'NR == 1 { print $2 }')"): –"
drop
throughput encp decp "password only"
pw_notes="zpgp: $(describe "$BIG/ct.zpgp"); gpg \`-c\`, default S2K: $(describe "$BIG/ct.gpg")"
has rnp && pw_notes+="; rnp: $(describe "$BIG/ct.rnp")"
has sq && [ "$HAVE_PY" = yes ] && pw_notes+="; sq: $(describe "$BIG/ct.sq")"
has age && [ "$HAVE_PY" = yes ] && pw_notes+="; age: scrypt (work factor 2^18, about a second by design)"
note "password only: $pw_notes. The S2K is paid once per message, so it weighs on small messages only.$(
    [ "$HAVE_PY" = yes ] && { has sq || has age; } && echo " sq and age read passwords only from a terminal: a python3 pty types it (~30 ms and python's own memory included)")"
drop
measure sign "$RUNS" "$BIG/in"
row "sign, detached" "$SIZE_LABEL" "$BYTES"
keep_outputs sig
sig_notes="zpgp: $(describe "$BIG/sig.zpgp"); gpg: $(describe "$BIG/sig.gpg")"
measure verify "$RUNS" "$BIG/in" "" "$BIG/sig.%t"
row "verify, detached" "$SIZE_LABEL" "$BYTES"
note "signatures (detached; Ed25519 keys): $sig_notes"
drop
rm -f "$BIG/in"

# --- keyring: import and lookups (scripts/bench-lib.sh) -------------------
RUNS_SAVE=$RUNS
RUNS=$KR_RUNS
GN=$((GPG_N < N ? GPG_N : N))
gen_certs "$N" "$GN"
kr_row() {
    local t
    for t in zpgp gpg "${PEERS[@]}"; do MED[$t]="" RSS[$t]=""; done
    MED[zpgp]=$3 MED[gpg]=${4:-} RSS[zpgp]=${5:-} RSS[gpg]=${6:-}
    row "keyring: $1" "$2 certs" ""
}
kr_note() { :; }
KS_G=$(((GN + 1) / 2))
keyring_bench "$GN" "$WORK/head.pgp" yes "$KS_G" "email fingerprint" keep
if [ "$N" -gt "$GN" ]; then
    keyring_bench "$N" "$WORK/certs.pgp" no "$(((N + 1) / 2))" "email fingerprint" keep
fi
rm -f "$WORK/certs.pgp" "$WORK/head.pgp"
RUNS=$RUNS_SAVE
note "keyring: Ed25519/Cv25519 certificates from examples/gen-certs.rs (making $N took $(fmt_ms "$GEN_MS") ms); import is one run into an empty keyring; lookups (\`zpgp list Q\`, \`gpg --list-keys Q\`) are the median of $KR_RUNS runs for the middle certificate. gpg 2.2 imports large keyrings slowly, so gpg's keybox holds min(N, $GPG_N) = $GN certificates$([ "$N" -gt "$GN" ] && echo "; the $N-certificate rows are zpgp only")."

# --- 4 KiB message latency --------------------------------------------------
head -c 4096 /dev/urandom >"$BIG/small"
latency() { # latency LABEL
    measure enc4 "$LAT_RUNS" "$BIG/small"
    row "encrypt 4 KiB, $1" "4 KiB" ""
    keep_outputs ct
    measure dec4 "$LAT_RUNS" "$BIG/ct.%t" "$BIG/small"
    row "decrypt 4 KiB, $1" "4 KiB" ""
    drop
}
latency "keyring of 1 cert"
# The same with the big keyrings, each given a key of its own.
ZH4=$WORK/z$N
GH=$WORK/g$GN
zpgp_h "$ZH4" --passphrase-file "$P" generate --email "$UID_EMAIL" >/dev/null 2>&1 ||
    die "zpgp generate in the $N-certificate home failed"
gpg_key "$GH"
GPG=(gpg --homedir "$GH" --batch --no-tty --yes --pinentry-mode loopback --trust-model always)
TOOLS=(zpgp gpg)
latency "keyring of $N certs (gpg: $GN)"
note "4 KiB rows: whole-process wall time, median of $LAT_RUNS runs, v4 keys as above. Decrypting, both unlock the passphrase-protected key (its S2K) every time: zpgp in its own process, gpg through gpg-agent, which caches the passphrase, not the unlocked key (the agent's work is in gpg's wall time, its memory not in gpg's RSS)$(has sq && echo "; sq's key is unprotected (sq 0.27 reads key passwords only from a terminal)"). With the big keyrings: zpgp $N certificates, gpg $GN; sq, rnp and age hold no keyring."

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report ------------------------------------------------------------------
versions() {
    echo "- zpgp: $("$ZPGP" --version)"
    echo "- gpg: $(gpg --version | head -1), $(gpg --version | sed -n 2p)"
    has sq && echo "- sq: $(sq --version 2>&1 | head -1)"
    has rnp && echo "- rnp: $(rnp --version 2>&1 | head -1), $(rnp --version 2>&1 | awk -F': ' '/^Backend:/ { b = $2 } /^Backend version:/ { v = $2 } END { print b, v }')"
    has age && echo "- age: $(age --version 2>&1 | head -1)"
    [ ${#MISSING[@]} -eq 0 ] || echo "- not installed (optional): ${MISSING[*]}"
}
machine() {
    local cpu mem
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
    echo "$(nproc) CPU(s), ${cpu:-unknown CPU}, $mem memory, $(uname -sr); load average $LOAD_START at the start, $LOAD_END at the end"
}
report() {
    cat <<EOF
| | |
|---|---|
| command | \`$COMMAND\` |
| date | $(date -u +%Y-%m-%dT%H:%MZ) |
| machine | $(machine) |

Tools:

$(versions)

Times are whole-process wall time in ms, the median of $RUNS runs for the
$SIZE_LABEL rows, $LAT_RUNS for the 4 KiB rows and $KR_RUNS for lookups,
with the tools' runs interleaved; gpg/zpgp above 1 means zpgp is faster.
MB/s is 10^6 bytes per second of the $SIZE_LABEL input. RSS is the peak
resident memory (\`/usr/bin/time -f %M\`) of an untimed first run, which
also warms the page cache (inputs are read from a file in it). Outputs are
written to a file on disk (target/bench-data.*, as a user would) and deleted
between runs, and \`sync\` runs (untimed) before each timed run; zpgp
syncs each output file to disk before renaming it into place (the others
do not), and its time includes that. "–": the tool
cannot do it (or was not run).

$HEADER
$RULE
$(printf '%s\n' "${ROWS[@]}")

$(printf -- '- %s\n' "${NOTES[@]}")
EOF
}
REPORT=$(report)
echo
echo "$REPORT"
if [ "$DOCS" = yes ]; then
    mkdir -p docs
    {
        cat <<'EOF'
# Benchmarks

The latest run of `scripts/bench.sh` (see the README's Benchmarks section;
`scripts/bench-keyring.sh` benchmarks only the keyring, in more detail).
Rerun it to get figures for your machine; on a machine shared with other
work, as this one may be, expect a few percent of noise, more on short rows.

EOF
        echo "$REPORT"
    } >docs/benchmarks.md
    log "wrote docs/benchmarks.md"
fi
[ "$QUICK" = no ] || log "quick mode: ${SIZE_MIB} MiB, $N certificates"
