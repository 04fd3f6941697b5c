#!/usr/bin/env bash
# Installs the system packages zpgp needs to build (and, with --test, to run
# its interoperability tests).  Uses apt-get when root or with sudo;
# otherwise prints the command to run.
set -euo pipefail

# make, perl and a C compiler build the OpenSSL that the default build links in.
pkgs=(pkg-config libssl-dev libclang-dev libsqlite3-dev make perl gcc)
tools=(pkg-config)
if [ "${1:-}" = "--test" ]; then
  pkgs+=(gnupg git rnp sqop gosop pgpainless-cli zsh fish debian-keyring debian-archive-keyring sks)
  tools+=(gpg git)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "zpgp: please install: ${missing[*]} (OpenSSL and libclang development files, pkg-config, GnuPG)" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo="sudo"
else
  echo "zpgp: missing system packages; please run:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "zpgp: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
