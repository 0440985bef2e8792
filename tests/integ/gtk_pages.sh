#!/usr/bin/env bash
# The desktop app's pages beyond the sections, driven through AT-SPI under
# Xvfb (tests/lib/gui_test_pages.py): the Trash lists cards deleted with the
# CLI and Restore (a button, and Enter) brings them back; the in-app list of
# reminders shows one missed while the app was closed and one coming due,
# Dismiss and Snooze reach the store, one dismissed with the CLI while listed
# leaves the list within a second, nothing fires twice (an agent started on
# the same profile stays quiet); Conflicts shows a conflict a real kartotekad
# recorded between two users' offline edits, both values and both writers.
# Skipped when the desktop packages are missing.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/gui_session.sh"
if ! gui_available; then echo "PASS: skipped: no Xvfb/AT-SPI/kartoteka-gtk here"; finish; fi
LIB=$(cd "$(dirname "$0")/../lib" && pwd)
at() { date -d "@$(( $(date +%s) + $1 ))" +%Y-%m-%dT%H:%M:%S; }

# ---- (a) + (c): a standalone profile ----------------------------------------------------
P=$T/prof
k() { "$KT" --profile "$P" "$@"; }
k init --local --user anna >/dev/null
k add org --set name="ООО Ромашка" --set city=Москва >/dev/null
GONE=$(k add org --set name="ООО Удалённая" --set city=Тверь)
GONE2=$(k add contact --set last_name=Стёртова --set first_name=Вера)
k add org --set name="Łódź Meble" >/dev/null
k delete "$GONE" >/dev/null
k delete "$GONE2" >/dev/null
check_contains "the CLI lists the deleted org in the trash" "ООО Удалённая" "$(k list org --trash)"
MISSED=$(k add task --set title="Отправить КП Ромашке" --set due="$(at -60)" --set remind_at="$(at -60)")
ELSEWHERE=$(k add task --set title="Сверить акт Łódź" --set due="$(at -90)" --set remind_at="$(at -90)")
SOON=$(k add task --set title="Позвонить в Łódź" --set due="$(at 3600)" --set remind_at="$(at 12)")
check_contains "the missed reminder is pending" "Отправить КП Ромашке" "$(k remind list)"
cat > "$T/session.sh" <<SH
/usr/bin/python3 -m dbusmock --session --template notification_daemon \
  -p '{"capabilities": "body actions"}' -l "$T/notify.log" >/dev/null 2>&1 &
gdbus wait --session --timeout 10 org.freedesktop.Notifications >/dev/null 2>&1
"$KT_BIN/kartoteka-gtk" --profile "$P" >"$T/gtk.log" 2>&1 &
pid=\$!
KT_CLI="$KT" KT_PROFILE="$P" KT_NOTIFY_LOG="$T/notify.log" GONE="$GONE" GONE2="$GONE2" \
  MISSED="$MISSED" SOON="$SOON" ELSEWHERE="$ELSEWHERE" PYTHONPATH="$LIB" /usr/bin/python3 "$LIB/gui_test_pages.py" local \$pid
rc=\$?
kill \$pid 2>/dev/null; wait \$pid 2>/dev/null
exit \$rc
SH
LANG=en_US.UTF-8 gui_run bash "$T/session.sh" 2>"$T/session.err" ||
  fail "the GUI session (trash, reminders) ran to its end" "$(tail -c 600 "$T/session.err")"
if grep -qE 'CRITICAL|runtime error|Sanitizer' "$T/gtk.log"; then fail "the app logged no criticals" "$(head -c 400 "$T/gtk.log")"; else pass "the app logged no criticals"; fi
check_eq "after the session the contact restored with Enter is still live" "False" "$(k show "$GONE2" --json | json 'd["deleted"]')"
check_eq "... and the dismissed reminder stays dismissed" "dismissed" \
  "$(k remind list --json | json '[r["state"] for r in d if r["id"]=="'"$MISSED"'"][0]')"
check_eq "... fired once: shown in the app, never by the agent" "0" "$(grep -c 'Notify.*Отправить КП' "$T/notify.log")"

# ---- (b): a conflict recorded by a real server ----------------------------------------
source "$LIB/server.sh"
office anna:manager boris:head_of_sales
ka() { "$KT" --profile "$T/anna" "$@"; }
kb() { "$KT" --profile "$T/boris" "$@"; }
ORG=$(ka add org --set name="ООО Конфликт" --set city=Москва)
ka sync >/dev/null
kb sync >/dev/null
check_eq "boris has anna's card" "ООО Конфликт" "$(kb show "$ORG" --json | json 'd["name"]')"
ka edit "$ORG" --set city=Казань >/dev/null # both offline, the same field
sleep 0.05
kb edit "$ORG" --set city=Тверь >/dev/null
ka sync >/dev/null; kb sync >/dev/null; ka sync >/dev/null
conf=$(ka conflicts --json)
check_eq "the server recorded the conflict: anna's value lost" "Казань" "$(echo "$conf" | json 'd[0]["value"]')"
check_eq "... boris's kept" "Тверь" "$(echo "$conf" | json 'd[0]["winner"]')"
cat > "$T/session-c.sh" <<SH
"$KT_BIN/kartoteka-gtk" --profile "$T/anna" >"$T/gtk-c.log" 2>&1 &
pid=\$!
KT_CLI="$KT" KT_PROFILE="$T/anna" ORG="$ORG" PYTHONPATH="$LIB" /usr/bin/python3 "$LIB/gui_test_pages.py" conflicts \$pid
rc=\$?
kill \$pid 2>/dev/null; wait \$pid 2>/dev/null
exit \$rc
SH
LANG=en_US.UTF-8 gui_run bash "$T/session-c.sh" 2>"$T/session-c.err" ||
  fail "the GUI session (conflicts) ran to its end" "$(tail -c 600 "$T/session-c.err")"
if grep -qE 'CRITICAL|runtime error|Sanitizer' "$T/gtk-c.log"; then fail "the app logged no criticals (conflicts)" "$(head -c 400 "$T/gtk-c.log")"; else pass "the app logged no criticals (conflicts)"; fi
stop_server "$D" || fail "the server stopped cleanly"
finish
