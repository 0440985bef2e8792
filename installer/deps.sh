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
  python3-aiosmtpd libreoffice-writer-nogui
  libreoffice-calc-nogui python3-vobject python3-icalendar python3-openpyxl
  # the desktop app (GTK 4 + libadwaita) and its tests: Xvfb, AT-SPI, xdotool, screenshots
  libgtk-4-dev libadwaita-1-dev gettext xvfb xauth at-spi2-core python3-pyatspi
  gir1.2-atspi-2.0 python3-gi xdotool imagemagick locales
)
build_pkgs+=(libreoffice-calc-nogui) # tests: a third-party reader of our CSV (issue 16)

missing=()
for p in "${build_pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

# the languages the desktop app's tests run it in (Russian, Polish, English)
ensure_locales() {
  local l need=()
  for l in ru_RU pl_PL en_US; do
    locale -a 2>/dev/null | grep -qiE "^$l\.utf-?8$" || need+=("$l")
  done
  [ ${#need[@]} -eq 0 ] && return 0
  command -v locale-gen >/dev/null 2>&1 && [ -f /etc/locale.gen ] || return 0
  if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
    echo "deps.sh: need root (or sudo) to generate the locales ${need[*]}" >&2; return 0; fi
  for l in "${need[@]}"; do
    grep -q "^$l.UTF-8 UTF-8" /etc/locale.gen || echo "$l.UTF-8 UTF-8" | $SUDO tee -a /etc/locale.gen >/dev/null
  done
  echo "deps.sh: generating the locales ${need[*]}"
  $SUDO locale-gen >/dev/null
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps.sh: all ${#build_pkgs[@]} packages already installed"
  ensure_locales
  exit 0
fi

if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
  echo "deps.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -o DPkg::Lock::Timeout=300 -qq
$SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}"
ensure_locales
echo "deps.sh: done"
