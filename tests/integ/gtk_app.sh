#!/usr/bin/env bash
# The desktop app (kartoteka-gtk) driven through AT-SPI under Xvfb with a
# session bus: sections, the list, search as you type, a card opened from the
# list (tests/lib/gui_test_basic.py). Skipped when the desktop packages are
# missing (installer/deps.sh installs them).
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/gui_session.sh"
if ! gui_available; then echo "PASS: skipped: no Xvfb/AT-SPI/kartoteka-gtk here"; finish; fi
P=$T/prof
k() { "$KT" --profile "$P" "$@"; }
k init --local --user anna >/dev/null
k add org --set name="ООО Ромашка" --set city=Москва --set phone="+7 495 123-45-67" >/dev/null
V=$(k add org --set name="ООО Василёк" --set city=Тверь --set phone="+7 4822 55-01-02")
k add org --set name="Łódź Meble Sp. z o.o." --set city="Łódź" >/dev/null
k add contact --set last_name=Петрова --set first_name=Анна --set org="$V" >/dev/null
k add task --set title="Отправить КП Васильку" --set due="$(date -d yesterday +%F)T18:00" --set org="$V" >/dev/null
k add event --set type=call --set title="Позвонить в Ромашку" --set start="$(date +%F)T23:30" >/dev/null
cat > "$T/session.sh" <<SH
"$KT_BIN/kartoteka-gtk" --profile "$P" >"$T/gtk.log" 2>&1 &
pid=\$!
KT_CLI="$KT" KT_PROFILE="$P" PYTHONPATH="$(cd "$(dirname "$0")/../lib" && pwd)" /usr/bin/python3 "$(cd "$(dirname "$0")/../lib" && pwd)/gui_test_basic.py" \$pid
rc=\$?
kill \$pid 2>/dev/null; wait \$pid 2>/dev/null
exit \$rc
SH
LANG=en_US.UTF-8 gui_run bash "$T/session.sh" 2>"$T/session.err" ||
  fail "the GUI session ran to its end" "$(tail -c 600 "$T/session.err")"
if grep -qE 'CRITICAL|runtime error|Sanitizer' "$T/gtk.log"; then fail "the app logged no criticals" "$(head -c 400 "$T/gtk.log")"; else pass "the app logged no criticals"; fi
# editing: the form, Ctrl+N / Ctrl+S / Esc, invalid values marked on their fields
sed -e 's/gui_test_basic.py/gui_test_edit.py/' -e 's/gtk.log/gtk-edit.log/' "$T/session.sh" >"$T/session-edit.sh"
LANG=en_US.UTF-8 gui_run bash "$T/session-edit.sh" 2>"$T/session-edit.err" ||
  fail "the editing session ran to its end" "$(tail -c 600 "$T/session-edit.err")"
if grep -qE 'CRITICAL|runtime error|Sanitizer' "$T/gtk-edit.log"; then fail "the app logged no criticals while editing" "$(head -c 400 "$T/gtk-edit.log")"; else pass "the app logged no criticals while editing"; fi
# an upgraded program opens a card index from the version before (the core's writer
# upgrades it before the window reads it): 0023 undone by hand, back to schema 22
sqlite3 "$P/replica.db" "DELETE FROM meta WHERE key = 'claim_backfill'; PRAGMA user_version = 22;"
cat > "$T/old.sh" <<SH
LANG=en_US.UTF-8 NO_AT_BRIDGE=1 timeout 60 "$KT_BIN/kartoteka-gtk" --profile "$P" --bench-startup 2>"$T/gtk-old.log"
SH
out=$(gui_run bash "$T/old.sh" 2>/dev/null)
check_contains "a card index of the version before opens in the window (rows shown)" "first rows on screen" "$out"
check "... and is upgraded" test "$(sqlite3 "$P/replica.db" "PRAGMA user_version")" -gt 22
finish
