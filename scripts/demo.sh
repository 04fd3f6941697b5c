#!/usr/bin/env bash
# Runs a whole Alice-and-Bob exchange with zpgp in temporary homes, showing
# each command and its output.  Never touches your own keyring.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cargo build --release --locked --quiet
zpgp="$PWD/target/release/zpgp"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
printf 'alice passphrase\n' > alice.pass
printf 'bob passphrase\n' > bob.pass

run() {
  printf '\n\033[1m$ %s\033[0m\n' "$*"
  "$@"
}
alice() { run "$zpgp" --home "$work/alice" --batch --passphrase-file "$work/alice.pass" "$@"; }
bob() { run "$zpgp" --home "$work/bob" --batch --passphrase-file "$work/bob.pass" "$@"; }

echo "zpgp demo in $work (removed at the end)"
"$zpgp" --version

echo; echo "# Alice and Bob each make a key pair."
alice generate --name "Alice Lovelace" --email alice@example.org
bob generate --name "Bob Babbage" --email bob@example.org --profile rfc9580

echo; echo "# They exchange certificates (public keys)."
alice export alice@example.org -o alice.asc
bob export bob@example.org -o bob.asc
alice import bob.asc
bob import alice.asc

echo; echo "# Each keyring now holds both keys; 'sec' marks the one with a secret key."
alice list
bob list --json bob@example.org

echo; echo "# Alice encrypts and signs a file for Bob; Bob decrypts it and checks the signature."
echo "Meet me at the analytical engine at noon." > note.txt
alice encrypt --sign -r bob@example.org --armor -o note.txt.asc note.txt
run head -3 note.txt.asc
bob decrypt -o note-for-bob.txt note.txt.asc
run cat note-for-bob.txt
echo; echo "# Bob replies through a pipe."
echo "See you there." | "$zpgp" --home "$work/bob" --batch --passphrase-file "$work/bob.pass" encrypt --sign -r alice@example.org --armor > reply.asc
alice decrypt reply.asc -o reply.txt
run cat reply.txt
echo; echo "Demo finished."
