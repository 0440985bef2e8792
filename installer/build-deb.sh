#!/usr/bin/env bash
# Builds kartoteka-server and kartoteka-client .deb packages with dpkg-deb from
# a release build. Depends are computed from the libraries the binaries link
# (the Debian package owning each, at the installed version or newer).
# usage: installer/build-deb.sh BINDIR OUTDIR
set -euo pipefail
BIN=$1; OUT=$2
VERSION=${KARTOTEKA_VERSION:-0.1.0}
ARCH=$(dpkg --print-architecture)
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

depends() { # binaries... -> "pkg (>= ver), ..."
  for b in "$@"; do ldd "$b" | awk '/=> \//{print $3}'; done | sort -u | while read -r lib; do
    real=$(readlink -f "$lib")
    pkg=$(dpkg -S "$real" 2>/dev/null | head -1 | cut -d: -f1) || true
    [ -z "$pkg" ] && pkg=$(dpkg -S "$lib" 2>/dev/null | head -1 | cut -d: -f1) || true
    [ -n "$pkg" ] && echo "$pkg"
  done | sort -u | while read -r pkg; do
    ver=$(dpkg-query -W -f='${Version}' "$pkg" | sed 's/-[^-]*$//')
    echo "$pkg (>= $ver)"
  done | paste -sd, | sed 's/,/, /g'
}

pkg() { # name description depends extra-depends
  local name=$1 root=$work/$1
  mkdir -p "$root/DEBIAN"
  cat > "$root/DEBIAN/control" <<CTL
Package: $name
Version: $VERSION
Architecture: $ARCH
Maintainer: Kartoteka developers <kartoteka@localhost>
Section: misc
Priority: optional
Depends: $3${4:+, $4}
Description: $2
 Kartoteka is a networked organizer and client database for small offices:
 a sync server on the office LAN holds the master database; every staff PC
 keeps a local replica, works offline and syncs over TLS.
CTL
  (cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\n' | sort | xargs -r md5sum > DEBIAN/md5sums)
  dpkg-deb --root-owner-group --build "$root" "$OUT/${name}_${VERSION}_${ARCH}.deb" >/dev/null
  echo "built $OUT/${name}_${VERSION}_${ARCH}.deb"
}

# server
S=$work/kartoteka-server
install -D -m 755 "$BIN/kartotekad" "$S/usr/bin/kartotekad"
install -D -m 644 installer/systemd/kartotekad.service "$S/lib/systemd/system/kartotekad.service"
install -D -m 644 installer/debian/kartotekad.conf "$S/etc/kartoteka/kartotekad.conf"
install -D -m 644 man/kartotekad.8 "$S/usr/share/man/man8/kartotekad.8"
gzip -9n "$S/usr/share/man/man8/kartotekad.8"
mkdir -p "$S/DEBIAN"
echo /etc/kartoteka/kartotekad.conf > "$S/DEBIAN/conffiles"
for f in postinst prerm postrm; do install -m 755 "installer/debian/server.$f" "$S/DEBIAN/$f"; done
pkg kartoteka-server "Kartoteka office sync server" "$(depends "$BIN/kartotekad")" "adduser"

# client
C=$work/kartoteka-client
install -D -m 755 "$BIN/kartoteka" "$C/usr/bin/kartoteka"
install -D -m 644 installer/systemd/kartoteka-agent.service "$C/usr/lib/systemd/user/kartoteka-agent.service"
install -D -m 644 man/kartoteka.1 "$C/usr/share/man/man1/kartoteka.1"
gzip -9n "$C/usr/share/man/man1/kartoteka.1"
client_bins=("$BIN/kartoteka")
if [ -x "$BIN/kartoteka-gtk" ]; then # the desktop app, its menu entry and icon
  install -D -m 755 "$BIN/kartoteka-gtk" "$C/usr/bin/kartoteka-gtk"
  install -D -m 644 installer/desktop/org.kartoteka.Kartoteka.desktop \
    "$C/usr/share/applications/org.kartoteka.Kartoteka.desktop"
  install -D -m 644 installer/desktop/org.kartoteka.Kartoteka.svg \
    "$C/usr/share/icons/hicolor/scalable/apps/org.kartoteka.Kartoteka.svg"
  client_bins+=("$BIN/kartoteka-gtk")
fi
# the languages of the app and of the CLI
for mo in "$BIN"/../share/locale/*/LC_MESSAGES/kartoteka.mo; do
  [ -f "$mo" ] || continue
  lang=$(basename "$(dirname "$(dirname "$mo")")")
  install -D -m 644 "$mo" "$C/usr/share/locale/$lang/LC_MESSAGES/kartoteka.mo"
done
pkg kartoteka-client "Kartoteka card index client, agent and desktop app" "$(depends "${client_bins[@]}")"
