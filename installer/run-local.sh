#!/usr/bin/env bash
# `make run`: a local office in build/run — a kartotekad on 127.0.0.1 with a
# generated administrator and certificates, and a client profile of your own
# connected to it — then how to use it; with a display, the desktop app opens on
# that profile (KARTOTEKA_NO_WINDOW=1: not).
set -euo pipefail
BIN=$(cd "${1:?usage: run-local.sh BINDIR}" && pwd)
RUN=${KARTOTEKA_RUN_DIR:-$PWD/build/run}
DATA=$RUN/server
PROFILE=$RUN/profile
ME=${USER:-me}
mkdir -p "$RUN"; chmod 700 "$RUN"

if [ ! -f "$DATA/master.db" ]; then
  echo "== creating the office server in $DATA"
  "$BIN/kartotekad" init --data "$DATA" --admin admin
  umask 077
  head -c 12 /dev/urandom | base64 | tr -d '/+=' > "$RUN/password"
  "$BIN/kartotekad" user add --data "$DATA" --user "$ME" --role head_of_sales --password-file "$RUN/password"
  echo "   your password (user $ME) is in $RUN/password"
fi

if [ -f "$RUN/server.pid" ] && kill -0 "$(cat "$RUN/server.pid")" 2>/dev/null; then
  ADDR=$(sed -n 's/^listening //p' "$RUN/server.out")
  echo "== kartotekad already running on $ADDR (pid $(cat "$RUN/server.pid"))"
else
  PORT=7433
  if (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; then PORT=0; fi  # 7433 taken: any free port
  nohup "$BIN/kartotekad" serve --data "$DATA" --listen 127.0.0.1:$PORT >"$RUN/server.out" 2>"$RUN/server.log" &
  echo $! > "$RUN/server.pid"
  for _ in $(seq 100); do grep -q '^listening' "$RUN/server.out" 2>/dev/null && break; sleep 0.05; done
  ADDR=$(sed -n 's/^listening //p' "$RUN/server.out")
  [ -n "$ADDR" ] || { echo "kartotekad did not start:"; cat "$RUN/server.log"; exit 1; }
  echo "== kartotekad listening on $ADDR (pid $(cat "$RUN/server.pid"), log $RUN/server.log)"
fi

if [ ! -f "$PROFILE/replica.db" ]; then
  echo "== connecting your profile $PROFILE"
  INV=$("$BIN/kartotekad" invite --data "$DATA" --user "$ME" --address "$ADDR")
  "$BIN/kartoteka" --profile "$PROFILE" connect --invite "$INV" --password-file "$RUN/password"
  if [ -n "${KARTOTEKA_DEMO:-}" ]; then
    # make run DEMO=1: the demo office base, sent to the server like any cards
    "$BIN/kartoteka" --profile "$PROFILE" demo
  fi
  # a sample client of its own: the README's examples (ООО Ромашка) are then new cards,
  # not duplicates the server's claim check would refuse
  "$BIN/kartoteka" --profile "$PROFILE" add org --set name="ООО Василёк" --set city=Тверь \
    --set phone="+7 4822 55-01-02" >/dev/null
  "$BIN/kartoteka" --profile "$PROFILE" sync >/dev/null
else
  "$BIN/kartoteka" --profile "$PROFILE" sync >/dev/null 2>&1 || true
fi

K="$BIN/kartoteka --profile $PROFILE"
WINDOW=""
if [ -x "$BIN/kartoteka-gtk" ] && { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; } &&
   [ -z "${KARTOTEKA_NO_WINDOW:-}" ]; then
  # the desktop app on this profile (a second start brings its window forward)
  nohup "$BIN/kartoteka-gtk" --profile "$PROFILE" >"$RUN/gtk.log" 2>&1 &
  WINDOW="The desktop app is opening (log $RUN/gtk.log): $BIN/kartoteka-gtk --profile $PROFILE"
fi
cat <<MSG

Kartoteka is running: server $ADDR, your profile $PROFILE (user $ME).
${WINDOW:-No display here, so no window (the desktop app: $BIN/kartoteka-gtk --profile $PROFILE).}
From the command line:
  $K list org
  $K search васил
  $K add contact --set last_name=Петрова --set org="ООО Василёк"
  $K sync            # or: $K agent   (stays connected)
  $K status
  $K help
Add a colleague:  $BIN/kartotekad user add --data $DATA --user petrova
                  $BIN/kartotekad invite --data $DATA --user petrova --address $ADDR
Stop the server:  kill \$(cat $RUN/server.pid)
MSG
