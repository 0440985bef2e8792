#!/usr/bin/env bash
# The desktop app's card pane (issue 15) against a real kartotekad on
# 127.0.0.1, driven through AT-SPI under Xvfb (tests/lib/gui_test_card.py):
# an organization's related cards in tabs with their counts (contacts,
# events & tasks, deals, notes, related), a row opening its card; the quick
# actions Add a note, Add a deal, Plan a meeting and Reassign through the
# registry-generated form, checked with the CLI (a colleague's PC sees the
# new owner after its sync); a manager's app has no Reassign; a role changed
# on the server while the app stays connected greys Edit out or brings
# Reassign within seconds; a change the server refused (the role made
# read-only while the server was paused) is set back on screen with the
# server's message. Skipped when the desktop
# packages are missing (installer/deps.sh installs them).
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/gui_session.sh"
if ! gui_available; then echo "PASS: skipped: no Xvfb/AT-SPI/kartoteka-gtk here"; finish; fi
source "$(dirname "$0")/../lib/server.sh"
LIB=$(cd "$(dirname "$0")/../lib" && pwd)
office boris:head_of_sales anna:manager vera:manager
k() { "$KT" --profile "$T/$1" "${@:2}"; }
at() { date -d "@$(( $(date +%s) + $1 ))" +%Y-%m-%dT%H:%M; }

ORG=$(k boris add org --set name="ООО Ромашка" --set city=Москва --set phone="+7 495 123-45-67")
k boris add contact --set last_name=Петрова --set first_name=Анна --set org="$ORG" >/dev/null
k boris add contact --set last_name=Сидоров --set first_name=Олег --set org="$ORG" >/dev/null
k boris add event --set type=call --set title="Звонок в Ромашку" --set org="$ORG" \
  --set assignee=boris --set start="$(at 86400)" >/dev/null
k boris add task --set title="Отправить КП" --set org="$ORG" --set due="$(at 172800)" >/dev/null
k boris add deal --set date=2024-03-01 --set amount=12000 --set org="$ORG" >/dev/null
k boris add deal --set date=2024-05-01 --set amount=34000 --set org="$ORG" >/dev/null
k boris add note --set title="Об условиях" --set text="Скидка 5% при оплате вперёд" --set org="$ORG" >/dev/null
VEC=$(k vera add org --set name="ЗАО Вектор" --set city=Тверь)
for u in boris anna vera; do k $u sync >/dev/null || fail "$u syncs"; done

session() { # USER MODE LOG
  cat > "$T/session-$2.sh" <<SH
"$KT_BIN/kartoteka-gtk" --profile "$T/$1" >"$T/$3" 2>&1 &
pid=\$!
KT_CLI="$KT" KTD="$KTD" KT_DATA="$D" KT_SRV_PID="$SRV_PID" KT_T="$T" KT_USER="$1" KT_ORG="$ORG" KT_VEC="$VEC" \
  PYTHONPATH="$LIB" /usr/bin/python3 "$LIB/gui_test_card.py" \$pid $2
rc=\$?
kill \$pid 2>/dev/null; wait \$pid 2>/dev/null
exit \$rc
SH
  LANG=en_US.UTF-8 gui_run bash "$T/session-$2.sh" 2>"$T/session-$2.err" ||
    fail "the $2 session ran to its end" "$(tail -c 600 "$T/session-$2.err")"
  if grep -qE 'CRITICAL|runtime error|Sanitizer' "$T/$3"; then
    fail "the app logged no criticals ($2)" "$(grep -m3 -E 'CRITICAL|runtime error|Sanitizer' "$T/$3")"
  else pass "the app logged no criticals ($2)"; fi
}
session boris head gtk-head.log
session vera manager gtk-manager.log
check_eq "the server holds vera's card as it was" "Тверь" "$(k anna sync >/dev/null; k boris sync >/dev/null; k boris show "$VEC" --json | json 'd.get("city")')"
stop_server "$D" || true
finish
