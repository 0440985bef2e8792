#!/usr/bin/env bash
# The Debian packages: build kartoteka-server and kartoteka-client with
# dpkg-deb from this build, install them on this machine, start the installed
# server the way its unit runs it (as the kartoteka user; systemd may not run
# here), sync a client against it, then purge both without leftovers.
source "$(dirname "$0")/../lib/integ.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "deb: not root, cannot install packages here; skipped"; exit 0; fi
if dpkg -s kartoteka-server >/dev/null 2>&1; then echo "deb: kartoteka-server already installed here; skipped"; exit 0; fi
(cd "$ROOT" && installer/build-deb.sh "$KT_BIN" "$T/deb") >"$T/build.log" 2>&1
check "packages built" test -f "$T/deb/kartoteka-server_0.1.0_$(dpkg --print-architecture).deb"
check_contains "server Depends computed from its libraries" "libsqlite3-0" "$(dpkg-deb -f "$T"/deb/kartoteka-server_*.deb Depends)"
check_contains "client ships the agent's user unit" "kartoteka-agent.service" "$(dpkg-deb -c "$T"/deb/kartoteka-client_*.deb)"
if [ -x "$KT_BIN/kartoteka-gtk" ]; then
  cont=$(dpkg-deb -c "$T"/deb/kartoteka-client_*.deb)
  check_contains "client ships the desktop app" "./usr/bin/kartoteka-gtk" "$cont"
  check_contains "... its menu entry" "usr/share/applications/org.kartoteka.Kartoteka.desktop" "$cont"
  check_contains "... its icon" "usr/share/icons/hicolor/scalable/apps/org.kartoteka.Kartoteka.svg" "$cont"
  check_contains "... its Russian catalogue" "usr/share/locale/ru/LC_MESSAGES/kartoteka.mo" "$cont"
  check_contains "client Depends include GTK 4" "libgtk-4-1" "$(dpkg-deb -f "$T"/deb/kartoteka-client_*.deb Depends)"
  if command -v desktop-file-validate >/dev/null; then
    check "the menu entry is valid" desktop-file-validate "$ROOT/installer/desktop/org.kartoteka.Kartoteka.desktop"
  fi
fi
check_contains "server unit is hardened" "ProtectSystem=strict" "$(dpkg-deb --fsys-tarfile "$T"/deb/kartoteka-server_*.deb | tar -xO ./lib/systemd/system/kartotekad.service)"

dpkgi() { for _ in 1 2 3 4 5; do dpkg "$@" && return 0; sleep 3; done; return 1; }
cleanup_pkgs() { dpkg --purge kartoteka-server kartoteka-client >/dev/null 2>&1; }
trap 'cleanup_pkgs; _cleanup' EXIT
check "install both packages" dpkgi -i "$T"/deb/kartoteka-server_*.deb "$T"/deb/kartoteka-client_*.deb
check "system user created" getent passwd kartoteka
check_eq "data folder owned by kartoteka, private" "kartoteka 700" "$(stat -c '%U %a' /var/lib/kartoteka)"
check "postinst created the database" test -f /var/lib/kartoteka/master.db
check "config installed" grep -q KARTOTEKAD_LISTEN /etc/kartoteka/kartotekad.conf

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# the unit's own ExecStart with the installed configuration (only the port is ours)
EXEC=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/kartotekad.service)
check_contains "the unit passes the log level from the configuration" "--log-level" "$EXEC"
runuser -u kartoteka -- bash -c "set -a; . /etc/kartoteka/kartotekad.conf; KARTOTEKAD_LISTEN=127.0.0.1:$PORT; exec $EXEC" \
  >"$T/serve.out" 2>"$T/serve.err" &
SRV=$!; _bg_pids+=($SRV)
for _ in $(seq 100); do grep -q '^listening' "$T/serve.out" 2>/dev/null && break; sleep 0.05; done
check_contains "installed server runs as the unit would" "listening 127.0.0.1:$PORT" "$(cat "$T/serve.out")"
echo "correct horse battery" > "$T/pw"; chmod 644 "$T/pw"
check "add a user with the installed tools" bash -c "runuser -u kartoteka -- /usr/bin/kartotekad user add --data /var/lib/kartoteka --user ivanov --password-file - < '$T/pw'"
INV=$(runuser -u kartoteka -- /usr/bin/kartotekad invite --data /var/lib/kartoteka --user ivanov --address 127.0.0.1:$PORT)
check "installed client connects" /usr/bin/kartoteka --profile "$T/p" connect --invite "$INV" --password-file "$T/pw"
ORG=$(/usr/bin/kartoteka --profile "$T/p" add org --set name="ООО Ромашка")
check "installed client syncs" /usr/bin/kartoteka --profile "$T/p" sync
check_contains "the server has the card" "ООО Ромашка" "$(runuser -u kartoteka -- /usr/bin/kartotekad dump --data /var/lib/kartoteka)"
check_contains "one line per event in the journal (stderr)" "login of ivanov" "$(cat "$T/serve.err")"
kill -TERM $SRV; wait $SRV 2>/dev/null

check "purge both packages" dpkgi --purge kartoteka-server kartoteka-client
check "no data left" test ! -e /var/lib/kartoteka
check "no config left" test ! -e /etc/kartoteka
check "no binaries left" test ! -e /usr/bin/kartotekad -a ! -e /usr/bin/kartoteka
check "no system user left" bash -c '! getent passwd kartoteka'
finish
