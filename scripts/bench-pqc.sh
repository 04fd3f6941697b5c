#!/usr/bin/env bash
# Post-quantum keys (RFC 9980) against classical v6 keys, zpgp against
# itself in one run on this machine: key generation, 4 KiB encrypt,
# decrypt, sign and verify (medians of R runs of the whole process,
# interleaved), SIZE MiB encrypt and decrypt (medians of 3), and the sizes
# of certificates, signatures and per-recipient key packets.
#   - pqc:  zpgp generate --profile pqc (ML-DSA-65+Ed25519, ML-KEM-768+X25519)
#   - v6:   zpgp generate --profile rfc9580 (Ed25519, X25519)
# Keys are unprotected here, so that the passphrase hashing does not hide
# the public-key work.  The bulk cipher is the same (AES-256-OCB,
# SEIPDv2), so the big rows should match within noise.
#
# Only temporary homes; prints a Markdown table on standard output.
#
# Usage: scripts/bench-pqc.sh [--runs R] [--size MIB] [--no-build]
set -euo pipefail
shopt -s inherit_errexit

RUNS=21
SIZE_MIB=1024
BUILD=yes
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        --size) SIZE_MIB=$2; shift 2 ;;
        --no-build) BUILD=no; shift ;;
        *) echo "bench-pqc: unknown argument: $1" >&2; exit 2 ;;
    esac
done

BENCH_NAME=bench-pqc
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
command -v cargo >/dev/null || die "cargo is not installed"
bench_setup
if [ "$BUILD" = yes ]; then
    log "building zpgp (cargo build --release --locked)"
    cargo build --release --locked >&2
fi
cp target/release/zpgp "$WORK/"
ZPGP=$WORK/zpgp
# The big files live on disk, next to the build, like a user's files.
BIG=$(mktemp -d "$PWD/target/bench-pqc.XXXXXX")
EXTRA_DIRS+=("$BIG")

z() { "$ZPGP" --home "$1" --batch --no-agent "${@:2}"; }
size() { stat -c %s "$1"; }

head -c 4096 /dev/urandom >"$WORK/msg"
log "making $SIZE_MIB MiB of random data"
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom >"$BIG/big"

# Key generation, interleaved.
gen_pqc() { z "$WORK/gp.$RANDOM$RANDOM" generate --profile pqc --email a@example.org --no-passphrase; }
gen_v6() { z "$WORK/g6.$RANDOM$RANDOM" generate --profile rfc9580 --email a@example.org --no-passphrase; }
log "key generation ($RUNS runs each)"
read -r GP G6 <<<"$(time_interleaved "$RUNS" gen_pqc gen_v6)"

for p in pqc v6; do
    profile=$p
    [ "$p" = v6 ] && profile=rfc9580
    z "$WORK/$p" generate --profile "$profile" --email "$p@example.org" --no-passphrase >/dev/null 2>&1
    z "$WORK/$p" export --binary "$p@example.org" -o "$WORK/$p.cert" 2>/dev/null
    z "$WORK/$p" encrypt -r "$p@example.org" --no-self "$WORK/msg" -o "$WORK/$p.msg.pgp" 2>/dev/null
    z "$WORK/$p" sign --detached "$WORK/msg" -o "$WORK/$p.sig" 2>/dev/null
done
enc_pqc() { z "$WORK/pqc" encrypt -r pqc@example.org --no-self "$WORK/msg" -o -; }
enc_v6() { z "$WORK/v6" encrypt -r v6@example.org --no-self "$WORK/msg" -o -; }
dec_pqc() { z "$WORK/pqc" decrypt "$WORK/pqc.msg.pgp" -o -; }
dec_v6() { z "$WORK/v6" decrypt "$WORK/v6.msg.pgp" -o -; }
sign_pqc() { z "$WORK/pqc" sign --detached "$WORK/msg" -o -; }
sign_v6() { z "$WORK/v6" sign --detached "$WORK/msg" -o -; }
ver_pqc() { z "$WORK/pqc" verify "$WORK/pqc.sig" "$WORK/msg"; }
ver_v6() { z "$WORK/v6" verify "$WORK/v6.sig" "$WORK/msg"; }
log "4 KiB rows ($RUNS runs each)"
read -r EP E6 DP D6 SP S6 VP V6 <<<"$(time_interleaved "$RUNS" enc_pqc enc_v6 dec_pqc dec_v6 sign_pqc sign_v6 ver_pqc ver_v6)"

bigenc_pqc() { z "$WORK/pqc" encrypt -r pqc@example.org --no-self "$BIG/big" -o /dev/null; }
bigenc_v6() { z "$WORK/v6" encrypt -r v6@example.org --no-self "$BIG/big" -o /dev/null; }
z "$WORK/pqc" encrypt -r pqc@example.org --no-self "$BIG/big" -o "$BIG/big.pqc" 2>/dev/null
z "$WORK/v6" encrypt -r v6@example.org --no-self "$BIG/big" -o "$BIG/big.v6" 2>/dev/null
bigdec_pqc() { z "$WORK/pqc" decrypt "$BIG/big.pqc" -o /dev/null; }
bigdec_v6() { z "$WORK/v6" decrypt "$BIG/big.v6" -o /dev/null; }
log "$SIZE_MIB MiB rows (3 runs each)"
read -r BEP BE6 BDP BD6 <<<"$(time_interleaved 3 bigenc_pqc bigenc_v6 bigdec_pqc bigdec_v6)"
mbs() { awk -v ms="$1" -v mib="$SIZE_MIB" 'BEGIN { printf "%.0f", mib * 1048576 / 1e6 / (ms / 1000) }'; }

echo "| | post-quantum (pqc) | classical v6 (rfc9580) | pqc/v6 |"
echo "|---|---:|---:|---:|"
echo "| generate, ms | $GP | $G6 | $(ratio "$G6" "$GP") |"
echo "| encrypt 4 KiB, ms | $EP | $E6 | $(ratio "$E6" "$EP") |"
echo "| decrypt 4 KiB, ms | $DP | $D6 | $(ratio "$D6" "$DP") |"
echo "| sign 4 KiB, ms | $SP | $S6 | $(ratio "$S6" "$SP") |"
echo "| verify 4 KiB, ms | $VP | $V6 | $(ratio "$V6" "$VP") |"
echo "| encrypt $SIZE_MIB MiB, MB/s | $(mbs "$BEP") | $(mbs "$BE6") | $(ratio "$BE6" "$BEP") |"
echo "| decrypt $SIZE_MIB MiB, MB/s | $(mbs "$BDP") | $(mbs "$BD6") | $(ratio "$BD6" "$BDP") |"
echo "| certificate, bytes (binary) | $(size "$WORK/pqc.cert") | $(size "$WORK/v6.cert") | |"
echo "| detached signature, bytes | $(size "$WORK/pqc.sig") | $(size "$WORK/v6.sig") | |"
echo "| 4 KiB message to one key, bytes | $(size "$WORK/pqc.msg.pgp") | $(size "$WORK/v6.msg.pgp") | |"
echo
echo "Times: medians of $RUNS interleaved runs of the whole process (3 for $SIZE_MIB MiB, to /dev/null); the ratio column is pqc time / v6 time (above 1: pqc is slower). $(nproc) cores, $(uname -r); $("$ZPGP" --version)."
