#!/usr/bin/env bash
# `make screenshots`: PNGs (1280x800) of the desktop app's main screens in
# Russian and English under Xvfb, saved as SCREEN-LANG.png in OUTDIR
# (build/$BUILD/screenshots/):
#   list, card, form, form-error, today, trash, reminders — over the demo
#     office base on this PC (a card or two deleted, a reminder missed);
#   conflicts — a profile connected to a real kartotekad started here, on which
#     two users' offline edits of the same field made the server record a conflict;
#   welcome, connect, local — the first start on an empty profile folder: the
#     choice, the connect page with a real invite of that server (its address
#     and fingerprint to confirm), the page of a card index on this PC only.
# The server is stopped and the temp folder removed on exit.
# Usage: tools/screenshots.sh BINDIR OUTDIR
set -euo pipefail
BIN=$(cd "${1:?usage: screenshots.sh BINDIR OUTDIR}" && pwd)
OUT=${2:?usage: screenshots.sh BINDIR OUTDIR}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LIB=$ROOT/tests/lib
KT=$BIN/kartoteka
KTD=$BIN/kartotekad
# the CLI and the server speak English here whatever the PC's language
export LANG=C.UTF-8
unset LC_ALL LC_MESSAGES LANGUAGE
T=$(mktemp -d /tmp/kt-shots.XXXXXX)
_bg_pids=() # server.sh's start_server records the server here
cleanup() {
  local p
  for p in "${_bg_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
for tool in xvfb-run xdotool import dbus-run-session; do
  command -v $tool >/dev/null || { echo "screenshots: $tool is missing (installer/deps.sh)" >&2; exit 1; }
done
[ -x "$BIN/kartoteka-gtk" ] || { echo "screenshots: no $BIN/kartoteka-gtk" >&2; exit 1; }
rm -f "$OUT"/*.png

# ---- the demo base, one copy per language (the app records the reminder it shows)
at() { date -d "@$(( $(date +%s) + $1 ))" +%Y-%m-%dT%H:%M:%S; }
for lang in ru en; do
  P=$T/demo-$lang
  "$KT" --profile "$P" init --local --user anna --demo >/dev/null
  "$KT" --profile "$P" add task --set title="Отправить КП партнёру" --set due="$(at -3600)" \
    --set remind_at="$(at -1800)" >/dev/null
  for name in "ООО Старый поставщик" "ИП Закрытов"; do
    id=$("$KT" --profile "$P" add org --set name="$name" --set city=Тверь)
    "$KT" --profile "$P" delete "$id" >/dev/null
  done
done

# ---- a real server, two users' profiles, a conflict; an invite for the first start
source "$LIB/server.sh" # init_server, add_user, start_server, enroll (passwords in $T)
D=$T/data
init_server "$D"
add_user "$D" anna manager
add_user "$D" boris head_of_sales
add_user "$D" vera
start_server "$D"
enroll "$D" anna "$T/anna" && enroll "$D" boris "$T/boris" ||
  { echo "screenshots: the profiles could not connect: $(cat "$D.serve.err")" >&2; exit 1; }
ka() { "$KT" --profile "$T/anna" "$@"; }
kb() { "$KT" --profile "$T/boris" "$@"; }
ORG=$(ka add org --set name="ООО Конфликт" --set city=Москва)
ka sync >/dev/null; kb sync >/dev/null
ka edit "$ORG" --set city=Казань >/dev/null # both offline, the same field
sleep 0.05
kb edit "$ORG" --set city=Тверь >/dev/null
ka sync >/dev/null; kb sync >/dev/null; ka sync >/dev/null
[ -n "$(ka conflicts --json | tr -d '[:space:][]')" ] ||
  echo "screenshots: the server recorded no conflict" >&2
INV=$("$KTD" invite --data "$D" --user vera --address "$SRV_ADDR")

# ---- the app under Xvfb: one session per language, the three apps in turn
for lang in ru en; do
  case $lang in ru) L=ru_RU.UTF-8 ;; en) L=en_US.UTF-8 ;; esac
  mkdir "$T/first-$lang"
  cat > "$T/s-$lang.sh" <<SH
export LANG=$L LC_ALL=$L GSK_RENDERER=cairo GDK_BACKEND=x11 NO_AT_BRIDGE=0
unset GTK_A11Y
# app NAME PROFILE MODE: kartoteka-gtk on PROFILE, gui_screens.py shooting MODE
app() {
  "$BIN/kartoteka-gtk" --profile "\$2" >"$T/gtk-\$1-$lang.log" 2>&1 &
  local pid=\$!
  KT_INVITE="$INV" PYTHONPATH="$LIB" /usr/bin/python3 "$LIB/gui_screens.py" \$pid "$OUT" $lang \$3
  kill \$pid 2>/dev/null; wait \$pid 2>/dev/null
}
app demo "$T/demo-$lang" demo
app conflicts "$T/anna" conflicts
app first "$T/first-$lang" first
exit 0
SH
  xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- bash -c '
    /usr/libexec/at-spi-bus-launcher --launch-immediately >/dev/null 2>&1 &
    gdbus wait --session --timeout 15 org.a11y.Bus >/dev/null 2>&1; bash "$1"' s "$T/s-$lang.sh"
done
stop_server "$D" || echo "screenshots: the server did not stop cleanly" >&2
_bg_pids=()
ls -s "$OUT"/*.png
