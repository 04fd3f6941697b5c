#!/usr/bin/env bash
# What the key agent costs and saves: the wall time of decrypting a 4 KiB
# message to a passphrase-protected key, zpgp side by side with gpg, in
# one run on this machine (interleaved, medians):
#   - no agent:     zpgp --no-agent, the passphrase from a file (its
#                   password hashing every time); gpg has no such mode;
#   - agent cold:   no agent running: the command starts one and hands it
#                   the key and passphrase (gpg: gpgconf --kill gpg-agent
#                   first, passphrase by loopback);
#   - agent warm:   the key already unlocked in the agent, no passphrase
#                   given (gpg: the passphrase cached by gpg-agent).
# Keys: Cv25519 (zpgp generate's default, v4) and gpg's default (ed25519/
# cv25519), each protected by its tool's default S2K.
#
# Only temporary homes; prints a Markdown table on standard output.
#
# Usage: scripts/bench-agent.sh [--runs R]   (default 21)
set -euo pipefail
shopt -s inherit_errexit

RUNS=21
if [ "${1:-}" = --runs ]; then
    RUNS=$2
fi

BENCH_NAME=bench-agent
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
require_tools
bench_setup
log "building zpgp (cargo build --release --locked)"
cargo build --release --locked >&2
cp target/release/zpgp "$WORK/"
ZPGP=$WORK/zpgp
# The agents of this run live under the work directory.
export XDG_RUNTIME_DIR=$WORK/run
mkdir -m 700 "$XDG_RUNTIME_DIR"

PW=$WORK/pw
echo "a long and careful passphrase for the benchmark" >"$PW"
head -c 4096 /dev/urandom >"$WORK/msg"

Z=$WORK/z
"$ZPGP" --home "$Z" --batch generate --name Bench --email bench@example.org \
    --passphrase-file "$PW" >/dev/null 2>&1
"$ZPGP" --home "$Z" --batch encrypt -r bench@example.org "$WORK/msg" -o "$WORK/msg.pgp" 2>/dev/null

G=$WORK/g
mkdir -m 700 "$G"
GHOMES+=("$G")
echo allow-loopback-pinentry >"$G/gpg-agent.conf"
gpg_h "$G" --pinentry-mode loopback --passphrase-file "$PW" \
    --quick-generate-key bench@example.org default default never 2>/dev/null
gpg_h "$G" -r bench@example.org -o "$WORK/msg.gpg" -e "$WORK/msg" 2>/dev/null

z_none() { "$ZPGP" --home "$Z" --batch --no-agent --passphrase-file "$PW" decrypt "$WORK/msg.pgp" -o -; }
z_cold() {
    "$ZPGP" --home "$Z" agent --stop >/dev/null 2>&1
    local t0 t1
    t0=$(now_us)
    "$ZPGP" --home "$Z" --batch --passphrase-file "$PW" decrypt "$WORK/msg.pgp" -o - >/dev/null
    t1=$(now_us)
    echo "$(elapsed_ms "$t0" "$t1")" >>"$WORK/z_cold.times"
}
z_warm() { "$ZPGP" --home "$Z" --batch decrypt "$WORK/msg.pgp" -o -; }
g_cold() {
    gpgconf --homedir "$G" --kill gpg-agent
    local t0 t1
    t0=$(now_us)
    gpg_h "$G" --pinentry-mode loopback --passphrase-file "$PW" -d "$WORK/msg.gpg" >/dev/null 2>&1
    t1=$(now_us)
    echo "$(elapsed_ms "$t0" "$t1")" >>"$WORK/g_cold.times"
}
g_warm() { gpg_h "$G" -d "$WORK/msg.gpg"; }

# The cold runs time only the command, not the stopping before it.
log "cold starts ($RUNS each)"
for ((i = 0; i < RUNS; i++)); do
    z_cold
    g_cold
done
ZC=$(median <"$WORK/z_cold.times")
GC=$(median <"$WORK/g_cold.times")
# Warm: both agents now hold the key.
z_warm >/dev/null 2>&1 || die "zpgp's agent does not hold the key"
g_warm >/dev/null 2>&1 || die "gpg-agent does not hold the passphrase"
log "warm and no-agent runs ($RUNS each)"
read -r ZW GW ZN <<<"$(time_interleaved "$RUNS" z_warm g_warm z_none)"
"$ZPGP" --home "$Z" agent --stop >/dev/null 2>&1 || true

echo "| decrypt 4 KiB, passphrase-protected key | zpgp ms | gpg ms | gpg/zpgp |"
echo "|---|---:|---:|---:|"
echo "| agent warm (key unlocked) | $ZW | $GW | $(ratio "$ZW" "$GW") |"
echo "| agent cold (started by the command) | $ZC | $GC | $(ratio "$ZC" "$GC") |"
echo "| no agent (passphrase hashed by the command) | $ZN | – | – |"
echo
echo "Medians of $RUNS runs, wall time of the whole process; $(nproc) cores, $(uname -r)."
