#!/usr/bin/env bash
# `make screenshots`: PNGs of the desktop app's main screens in Russian and
# English, over the demo office base, under Xvfb: build/$BUILD/screenshots/.
# Usage: tools/screenshots.sh BINDIR OUTDIR
set -euo pipefail
BIN=$(cd "${1:?usage: screenshots.sh BINDIR OUTDIR}" && pwd)
OUT=${2:?usage: screenshots.sh BINDIR OUTDIR}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$BIN/kartoteka" --profile "$T/demo" init --local --user anna --demo >/dev/null
for lang in ru en; do
  case $lang in ru) L=ru_RU.UTF-8 ;; en) L=en_US.UTF-8 ;; esac
  cat > "$T/s.sh" <<SH
LANG=$L LC_ALL=$L GSK_RENDERER=cairo GDK_BACKEND=x11 "$BIN/kartoteka-gtk" --profile "$T/demo" >"$T/gtk.log" 2>&1 &
pid=\$!
PYTHONPATH="$ROOT/tests/lib" /usr/bin/python3 "$ROOT/tests/lib/gui_screens.py" \$pid "$OUT" $lang
kill \$pid 2>/dev/null; wait \$pid 2>/dev/null; exit 0
SH
  xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- bash -c '
    /usr/libexec/at-spi-bus-launcher --launch-immediately >/dev/null 2>&1 &
    gdbus wait --session --timeout 15 org.a11y.Bus >/dev/null 2>&1; bash "$1"' s "$T/s.sh"
done
ls "$OUT"/*.png
