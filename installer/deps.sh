#!/usr/bin/env bash
# Installs every Debian 12 package Kartoteka needs to build, test and run.
# Idempotent: packages already present are skipped; prints what it does.
# Usage: installer/deps.sh [--runtime-only]
set -euo pipefail

build_pkgs=(
  build-essential pkg-config clang
  libuv1-dev libsqlite3-dev sqlite3
  libprotobuf-c-dev protobuf-c-compiler protobuf-compiler
  libssl-dev openssl libargon2-dev libicu-dev
  libcmocka-dev libical-dev libxlsxwriter-dev libzip-dev libxml2-dev
  libcurl4-openssl-dev libnotify-dev
  python3-dbusmock python3-protobuf dbus dbus-x11 libnotify-bin strace
)
build_pkgs+=(libreoffice-calc-nogui) # tests: a third-party reader of our CSV (issue 16)

missing=()
for p in "${build_pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps.sh: all ${#build_pkgs[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "deps.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; fi
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -o DPkg::Lock::Timeout=300 -qq
$SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}"
echo "deps.sh: done"
