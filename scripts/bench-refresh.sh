#!/usr/bin/env bash
# How long `zpgp refresh` takes for N certificates (default 1,000) against
# a real keyserver on this machine: Debian's sks on 127.0.0.1, its database
# built from the same N certificates, so every certificate is found (and
# unchanged).  Side by side with `gpg --refresh-keys` against the same
# server, in one run.
#
# Only temporary homes and a temporary sks; prints a Markdown table on
# standard output.  Needs sks (scripts/deps.sh --test installs it).
#
# Usage: scripts/bench-refresh.sh [--certs N] [--runs R] [--no-gpg]
set -euo pipefail
shopt -s inherit_errexit

N=1000
RUNS=3
WITH_GPG=yes
while [ $# -gt 0 ]; do
    case $1 in
    --certs) N=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --no-gpg) WITH_GPG=no; shift ;;
    *) echo "usage: $0 [--certs N] [--runs R] [--no-gpg]" >&2; exit 2 ;;
    esac
done

BENCH_NAME=bench-refresh
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
require_tools
command -v sks >/dev/null || die "sks is not installed: scripts/deps.sh --test installs it"
bench_setup
bench_build
gen_certs "$N" "$N"

# The keyserver, its database built from the certificates.
S=$WORK/sks
mkdir -p "$S"/var/log/sks "$S"/var/run/sks "$S"/var/lib/sks "$S"/var/spool/sks
: >"$S/membership"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'hkp_address: 127.0.0.1\nhkp_port: %s\npagesize: 16\nptree_pagesize: 16\ndisable_mailsync:\n' \
    "$PORT" >"$S/sksconf"
log "building the sks database from $N certificates"
(cd "$S" && sks build "$WORK/certs.pgp" -basedir "$S" -n 1 -cache 10 >/dev/null 2>&1) ||
    die "sks build failed"
(cd "$S" && exec sks db -basedir "$S" -hkp_address 127.0.0.1 -hkp_port "$PORT" \
    >/dev/null 2>&1) &
SKS_PID=$!
trap 'kill $SKS_PID 2>/dev/null || true; bench_cleanup' EXIT
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
done
KS=hkp://127.0.0.1:$PORT

Z=$WORK/z
zpgp_h "$Z" import "$WORK/certs.pgp" >/dev/null 2>&1
z_refresh() { zpgp_h "$Z" refresh --from keyserver --keyserver "$KS" --timeout 60; }
log "zpgp refresh of $N certificates, $RUNS runs"
times=""
for _ in $(seq "$RUNS"); do
    times+="$(time_once z_refresh) "
done
# shellcheck disable=SC2086 # the list of times is split on purpose
zms=$(printf '%s\n' $times | median)
zpgp_h "$Z" refresh --from keyserver --keyserver "$KS" 2>"$WORK/z.out" >/dev/null || true
summary=$(tail -1 "$WORK/z.out")

gms=""
if [ "$WITH_GPG" = yes ]; then
    G=$WORK/g
    mkdir -m 700 "$G"
    GHOMES+=("$G")
    log "importing $N certificates into gpg (gpg 2.2 takes about 22 a second)"
    gpg_h "$G" --import "$WORK/certs.pgp" >/dev/null 2>&1 || true
    g_refresh() { gpg_h "$G" --keyserver "$KS" --refresh-keys; }
    log "gpg --refresh-keys of $N certificates, 1 run"
    gms=$(time_once g_refresh)
fi

echo "| operation | certificates | zpgp, ms | gpg, ms | gpg/zpgp |"
echo "|---|---:|---:|---:|---:|"
echo "| refresh from a local sks (all found, unchanged) | $N | $zms | ${gms:-–} | $(ratio "$zms" "$gms") |"
echo
echo "zpgp: median of $RUNS runs, $(zpgp_h "$Z" --version | head -1); gpg: one run, $(gpg --version | head -1)."
echo "zpgp's report: $summary"
