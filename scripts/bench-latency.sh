#!/usr/bin/env bash
# Small-message latency: what a script or git pays per call.  zpgp side by
# side with gpg in one run on this machine, whole-process wall time, the
# runs interleaved (zpgp, gpg, zpgp, …), medians:
#   - encrypt 4 KiB to one certificate (-r EMAIL);
#   - detached sign of 4 KiB and verify of that signature, with zpgp's
#     own command line and through git's (zpgp-gpg and gpg given exactly
#     the arguments git gives: `--status-fd=2 -bsau KEY`, and
#     `--status-fd=1 --keyid-format=long --verify SIG -`);
#   - `git commit -S` of a one-line change, gpg.program zpgp-gpg vs gpg.
# Keys: zpgp generate's default (Cv25519, v4) and gpg's default
# (ed25519/cv25519), each protected by a passphrase its agent holds
# (zpgp's agent warm, gpg-agent with the passphrase cached), as for a user
# who has signed once this session.
#
# Only temporary homes; prints a Markdown table on standard output.
#
# Usage: scripts/bench-latency.sh [--runs R] [--no-build] [--bin-dir DIR]
#   --runs R       runs per row (default 31)
#   --no-build     use target/release as it is
#   --bin-dir DIR  time the zpgp and zpgp-gpg in DIR (an older build, for
#                  before/after figures) instead of target/release
set -euo pipefail
shopt -s inherit_errexit

RUNS=31
BUILD=yes
BIN_DIR=target/release
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        --no-build) BUILD=no; shift ;;
        --bin-dir) BIN_DIR=$2; BUILD=no; shift 2 ;;
        *) echo "bench-latency: unknown argument: $1" >&2; exit 2 ;;
    esac
done

BENCH_NAME=bench-latency
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
require_tools
command -v git >/dev/null || die "git is not installed (Debian/Ubuntu: apt-get install git)"
bench_setup
if [ "$BUILD" = yes ]; then
    log "building zpgp (cargo build --release --locked)"
    cargo build --release --locked >&2
fi
cp "$BIN_DIR/zpgp" "$BIN_DIR/zpgp-gpg" "$WORK/"
ZPGP=$WORK/zpgp
ZGPG=$WORK/zpgp-gpg
export XDG_RUNTIME_DIR=$WORK/run
mkdir -m 700 "$XDG_RUNTIME_DIR"

PW=$WORK/pw
echo "a long and careful passphrase for the benchmark" >"$PW"
head -c 4096 /dev/urandom >"$WORK/msg"

# zpgp: our key, and Bob's certificate to encrypt to.
Z=$WORK/z
B=$WORK/b
"$ZPGP" --home "$Z" --batch generate --name Bench --email bench@example.org \
    --passphrase-file "$PW" >/dev/null 2>&1
"$ZPGP" --home "$B" --batch generate --name Bob --email bob@example.org \
    --passphrase-file "$PW" >/dev/null 2>&1
"$ZPGP" --home "$B" --batch export bob@example.org -o "$WORK/bob.pgp" 2>/dev/null
"$ZPGP" --home "$Z" --batch import "$WORK/bob.pgp" 2>/dev/null
ZFPR=$("$ZPGP" --home "$Z" --batch --json list --secret 2>/dev/null |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["keys"][0]["fingerprint"])')
[ -n "$ZFPR" ] || die "could not read the zpgp key's fingerprint"
# Put the key in the agent: one signature with the passphrase.
"$ZPGP" --home "$Z" --batch --passphrase-file "$PW" sign --detached "$WORK/msg" -o "$WORK/msg.zsig" 2>/dev/null

G=$WORK/g
mkdir -m 700 "$G"
GHOMES+=("$G")
echo allow-loopback-pinentry >"$G/gpg-agent.conf"
gpg_h "$G" --pinentry-mode loopback --passphrase-file "$PW" \
    --quick-generate-key bench@example.org default default never 2>/dev/null
GFPR=$(gpg_h "$G" --with-colons --list-secret-keys bench@example.org 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
gpg_h "$G" --import "$WORK/bob.pgp" 2>/dev/null
gpg_h "$G" --pinentry-mode loopback --passphrase-file "$PW" -u "$GFPR" -o "$WORK/msg.gsig" -b "$WORK/msg" 2>/dev/null
# A fresh signature for every verify run (zpgp remembers the signatures it
# has verified; a repeated one would be cheaper than a new one).
log "making 2 × $((RUNS + 2)) signatures for each tool to verify"
for ((i = 0; i < RUNS + 2; i++)); do
    for t in z zg; do
        "$ZPGP" --home "$Z" --batch sign --detached "$WORK/msg" -o "$WORK/$t.$i.sig" 2>/dev/null
    done
    for t in g gg; do
        gpg_h "$G" -u "$GFPR" -o "$WORK/$t.$i.sig" -b "$WORK/msg" 2>/dev/null
    done
done
# bump NAME: sets N to the next number of the counter file NAME, with
# builtins only (the timed functions run in subshells, and a fork would be
# timed too).
bump() {
    N=0
    if [ -f "$WORK/$1.n" ]; then read -r N <"$WORK/$1.n"; fi
    echo $((N + 1)) >"$WORK/$1.n"
}

z_enc() { "$ZPGP" --home "$Z" --batch encrypt -r bob@example.org --no-self "$WORK/msg" -o -; }
g_enc() { gpg_h "$G" --trust-model always -r bob@example.org -e -o - "$WORK/msg"; }
z_sign() { "$ZPGP" --home "$Z" --batch sign --detached "$WORK/msg" -o -; }
g_sign() { gpg_h "$G" -u "$GFPR" -b -o - "$WORK/msg"; }
z_verify() { bump zv && "$ZPGP" --home "$Z" --batch verify "$WORK/z.$N.sig" "$WORK/msg"; }
g_verify() { bump gv && gpg_h "$G" --verify "$WORK/g.$N.sig" "$WORK/msg"; }
# git's own arguments (gpg-interface.c), the payload on standard input.
zg_sign() { ZPGP_HOME=$Z "$ZGPG" --status-fd=2 -bsau "$ZFPR" <"$WORK/msg"; }
gg_sign() { GNUPGHOME=$G gpg --status-fd=2 -bsau "$GFPR" <"$WORK/msg"; }
zg_verify() { bump zgv && ZPGP_HOME=$Z "$ZGPG" --status-fd=1 --keyid-format=long --verify "$WORK/zg.$N.sig" - <"$WORK/msg"; }
gg_verify() { bump ggv && GNUPGHOME=$G gpg --status-fd=1 --keyid-format=long --verify "$WORK/gg.$N.sig" - <"$WORK/msg"; }

for f in z_enc g_enc z_sign g_sign z_verify g_verify zg_sign gg_sign zg_verify gg_verify; do
    "$f" >/dev/null 2>"$WORK/check.err" </dev/null || {
        cat "$WORK/check.err" >&2
        die "$f failed"
    }
done

# Two repositories, one signing through each program.
repo() { # repo DIR PROGRAM KEY HOMEVAR HOME
    git init -q "$1"
    git -C "$1" config user.name Bench
    git -C "$1" config user.email bench@example.org
    git -C "$1" config gpg.program "$2"
    git -C "$1" config user.signingkey "$3"
    echo start >"$1/file"
    git -C "$1" add file
    env "$4=$5" git -C "$1" commit -q -m start
}
repo "$WORK/rz" "$ZGPG" "$ZFPR" ZPGP_HOME "$Z"
repo "$WORK/rg" gpg "$GFPR" GNUPGHOME "$G"
z_git() { echo "$RANDOM" >>"$WORK/rz/file" && ZPGP_HOME=$Z git -C "$WORK/rz" commit -q -a -S -m change; }
g_git() { echo "$RANDOM" >>"$WORK/rg/file" && GNUPGHOME=$G git -C "$WORK/rg" commit -q -a -S -m change; }
z_git >/dev/null 2>&1 || die "git commit -S with zpgp-gpg failed"
g_git >/dev/null 2>&1 || die "git commit -S with gpg failed"

log "timing ($RUNS runs each, interleaved)"
read -r ZE GE ZS GS ZV GV <<<"$(time_interleaved "$RUNS" z_enc g_enc z_sign g_sign z_verify g_verify)"
read -r ZGS GGS ZGV GGV <<<"$(time_interleaved "$RUNS" zg_sign gg_sign zg_verify gg_verify)"
read -r ZC GC <<<"$(time_interleaved "$RUNS" z_git g_git)"
"$ZPGP" --home "$Z" agent --stop >/dev/null 2>&1 || true

echo "| 4 KiB | zpgp ms | gpg ms | gpg/zpgp |"
echo "|---|---:|---:|---:|"
echo "| encrypt to one certificate | $ZE | $GE | $(ratio "$ZE" "$GE") |"
echo "| detached sign | $ZS | $GS | $(ratio "$ZS" "$GS") |"
echo "| verify, detached | $ZV | $GV | $(ratio "$ZV" "$GV") |"
echo "| sign, git's arguments (zpgp-gpg / gpg) | $ZGS | $GGS | $(ratio "$ZGS" "$GGS") |"
echo "| verify, git's arguments (zpgp-gpg / gpg) | $ZGV | $GGV | $(ratio "$ZGV" "$GGV") |"
echo "| \`git commit -S\`, one-line change | $ZC | $GC | $(ratio "$ZC" "$GC") |"
echo
echo "Medians of $RUNS interleaved runs, wall time of the whole process; $(nproc) cores, $(uname -r); $(gpg --version | head -1), $(git --version)."
