#!/usr/bin/env bash
# Reminders on the right PC: anna plans a call for boris with a reminder a few
# seconds ahead; boris's agent shows the desktop notification (captured from a
# mock notification daemon on a private D-Bus), anna's does not; boris
# dismisses on one PC and his second PC does not show it; a weekly event fires
# its next occurrence; a reminder missed while the PC was off is reported once
# at agent start. Also the diary commands and bad input.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
source "$(dirname "$0")/../lib/agent.sh"
D=$T/data
init_server "$D"
# boris heads sales (he sees every client); anna and vera are managers with their own clients
add_user "$D" anna; add_user "$D" boris head_of_sales; add_user "$D" vera
start_server "$D"
enroll "$D" anna "$T/anna"; enroll "$D" boris "$T/b1"; enroll "$D" boris "$T/b2"; enroll "$D" vera "$T/vera"
k() { "$KT" --profile "$T/$1" "${@:2}"; }
at() { date -d "@$(( $(date +%s) + $1 ))" +%Y-%m-%dT%H:%M:%S; }

ORG=$(k anna add org --set name="ООО Ромашка")
EV=$(k anna add event --set type=call --set title="Позвонить в Ромашку" --set org="$ORG" \
     --set assignee=boris --set start="$(at 3600)" --set remind_at="$(at 6)")
k anna sync >/dev/null
k b1 sync >/dev/null
check_contains "boris's diary has the call" "Позвонить в Ромашку" "$(k b1 agenda)"
check_not_contains "anna's diary does not" "Позвонить в Ромашку" "$(k anna agenda)"
check_contains "boris's pending reminders list it" "Позвонить в Ромашку" "$(k b1 remind list)"

start_agent anna "$T/anna"
start_agent b1 "$T/b1"
if wait_notify b1 "Позвонить в Ромашку" 20; then pass "boris's PC shows the reminder"; else
  fail "boris's PC shows the reminder" "$(cat "$T/b1.agent.err" | tail -5)"; fi
sleep 1
check_not_contains "anna's PC does not" "Позвонить" "$(cat "$T/anna.notify.log")"
stop_agent anna # (her later `sync` commands must not meet the agent's sync lock)
check_eq "it fired once" "1" "$(grep -c 'Notify.*Позвонить в Ромашку' "$T/b1.notify.log")"

# dismiss on PC 1 (the running agent sends it); PC 2 never shows it
check "dismiss on boris's first PC" k b1 remind dismiss "$EV"
sleep 1.5
stop_agent b1
k b2 sync >/dev/null
check_eq "the dismissal reached boris's second PC" "dismissed" \
  "$(k b2 remind list --json | json '[r["state"] for r in d if r["id"]=="'"$EV"'"][0]')"
start_agent b2 "$T/b2"
sleep 3
check_not_contains "boris's second PC does not show it" "Позвонить в Ромашку" "$(cat "$T/b2.notify.log")"

# a weekly event: its occurrence of today fires
WEEKLY=$(k anna add event --set type=meeting --set title="Планёрка по понедельникам" --set assignee=boris \
  --set start="$(date -d "@$(( $(date +%s) + 8 - 7*86400 ))" +%Y-%m-%dT%H:%M:%S)" \
  --set rrule="FREQ=WEEKLY" --set remind_before=0m)
k anna sync >/dev/null
if wait_notify b2 "Планёрка по понедельникам" 25; then pass "a weekly event fires its next occurrence"; else
  fail "a weekly event fires its next occurrence" "$(tail -5 "$T/b2.agent.err")"; fi
check_eq "...the occurrence of today, not last week's" "1" "$(grep -c 'Notify.*Планёрка' "$T/b2.notify.log")"
stop_agent b2

# the notification's buttons, pressed through the notification daemon: Snooze
# brings it back after the snooze time, Dismiss ends it on all of boris's PCs
check_contains "a short snooze time on boris's first PC" "off for 3s" "$(k b1 remind snooze-time 3s)"
check_fails "a snooze time out of range" "1s to 24h" k b1 remind snooze-time 0s
check_fails "...or not a time" "1s to 24h" k b1 remind snooze-time soon
ACT=$(k anna add event --set type=call --set title="Согласовать скидку" --set org="$ORG" \
  --set assignee=boris --set start="$(at 3600)" --set remind_at="$(at 5)")
k anna sync >/dev/null
start_agent b1 "$T/b1"
if wait_notify b1 "Согласовать скидку" 20; then pass "the reminder is shown"; else
  fail "the reminder is shown" "$(tail -5 "$T/b1.agent.err")"; fi
check_contains "...with Dismiss and Snooze buttons" '"dismiss", "Dismiss", "snooze", "Snooze 3 s"' \
  "$(grep 'Согласовать' "$T/b1.notify.log")"
state() { k "$1" remind list --json | json '[r["state"] for r in d if r["id"]=="'"$2"'"][0]'; }
invoke_action b1 "$(notify_id b1 'Согласовать скидку')" snooze
sleep 1
check_eq "Snooze (pressed in the daemon) is recorded" "snoozed" "$(state b1 "$ACT")"
check_eq "...the notification is closed" "1" "$(grep -c 'CloseNotification' "$T/b1.notify.log")"
shown() { grep -c "Notify.*$2" "$T/$1.notify.log"; }
for _ in $(seq 50); do [ "$(shown b1 'Согласовать скидку')" -ge 2 ] && break; sleep 0.2; done
check_eq "...and it comes back after the snooze time" "2" "$(shown b1 'Согласовать скидку')"
invoke_action b1 "$(notify_id b1 'Согласовать скидку')" dismiss
sleep 1
check_eq "Dismiss (pressed in the daemon) is recorded" "dismissed" "$(state b1 "$ACT")"
sleep 4
check_eq "...and it does not come back" "2" "$(shown b1 'Согласовать скидку')"
check_contains "the agent logs both" "reminder dismissed: Call: Согласовать скидку" "$(cat "$T/b1.agent.err")"
stop_agent b1
k b2 sync >/dev/null
check_eq "the dismissal reached boris's second PC" "dismissed" "$(state b2 "$ACT")"
start_agent b2 "$T/b2"
sleep 4
check_not_contains "...which does not show it" "Согласовать" "$(cat "$T/b2.notify.log")"
stop_agent b2

# missed while the PC was off
k anna add event --set title="Отправить счёт" --set assignee=boris --set start="$(at -1800)" \
  --set remind_at="$(at -3600)" >/dev/null
k anna add task --set title="Подписать договор" --set assignee=boris --set due="$(at -600)" \
  --set remind_before=30m >/dev/null
k anna sync >/dev/null
start_agent b1 "$T/b1"
# (the weekly series' occurrence of last week was never shown on this PC either)
if wait_notify b1 "missed reminders" 15; then pass "missed reminders reported at start"; else
  fail "missed reminders reported at start" "$(grep Notify "$T/b1.notify.log" | tail -3)"; fi
sleep 1
check_contains "...with what was missed" "Отправить счёт" "$(cat "$T/b1.notify.log")"
check_eq "...once" "1" "$(grep -c 'missed reminders' "$T/b1.notify.log")"
check_not_contains "the dismissed call is not among them" "Позвонить" "$(cat "$T/b1.notify.log" | sed -n '2,$p')"
stop_agent b1

# the diary
check_contains "today shows the overdue task" "overdue" "$(k b1 today)"
check_contains "agenda expands the weekly series" "Планёрка" "$(k b1 agenda --from "$(date -d '+7 days' +%Y-%m-%d)" --to "$(date -d '+8 days' +%Y-%m-%d)")"
check_fails "bad rrule refused" "repeat rule" k anna add event --set title=x --set start="$(at 60)" --set rrule="FREQ=EVERY-SO-OFTEN"
check_fails "an assignee who is not a user is refused on the PC, which names the users" \
  "no user named nobody in this office; the users are: anna, boris, boss, vera" \
  k anna add task --set title="Кому?" --set assignee=nobody --set due="$(at 600)"
# a PC that has not heard the office's users yet (enrolled, never synced) leaves it to the server
enroll "$D" anna "$T/anna2"
BAD=$(k anna2 add task --set title="Кому?" --set assignee=nobody --set due="$(at 600)")
check_fails "...and by the server" "no user named nobody" k anna2 sync
check_eq "...and the task waits in the outbox, not lost" "1" "$(k anna2 status --json | json 'd["pending"]')"
check_fails "a second sync is refused again, not taken as a duplicate" "no user named nobody" k anna2 sync
check_eq "...still waiting" "1" "$(k anna2 status --json | json 'd["pending"]')"
k anna2 edit "$BAD" --set assignee=boris >/dev/null
check "after the fix it is sent whole" k anna2 sync
k anna sync >/dev/null
check_contains "the server has the whole task" "title=Кому?" "$("$KTD" dump --data "$D" | grep "$BAD")"
# an assignee who may not see the client: refused by the server, nothing changes
VORG=$(k vera add org --set name="ЗАО Вектор")
k vera sync >/dev/null
ANNA_CONTACT=$(k anna add contact --set last_name="Сидорова" --set org="$ORG")
k anna sync >/dev/null
NOSEE=$(k anna add task --set title="Перезвонить Ромашке" --set org="$ORG" --set assignee=vera --set due="$(at 7200)")
out=$(k anna sync 2>&1); rc=$?
check_eq "a task for someone who cannot see the client is refused" "1" "$rc"
check_contains "...saying who cannot see what" 'vera may not see the organization "ООО Ромашка"' "$out"
check_contains "...and what to do" "assign it to someone who can see this client" "$out"
check_eq "...it waits in anna's outbox" "1" "$(k anna status --json | json 'd["pending"]')"
check_not_contains "...the server has nothing of it" "$NOSEE" "$("$KTD" dump --data "$D")"
k vera sync >/dev/null
check_not_contains "...and vera's diary does not show it" "Перезвонить Ромашке" "$(k vera agenda)"
check_contains "the refusal is in the audit log" "denied.assign" "$("$KTD" audit --data "$D")"
k anna edit "$NOSEE" --set assignee=anna >/dev/null
check "assigned to somebody who sees the client it is sent" k anna sync
check_contains "...and the server has it" "$NOSEE" "$("$KTD" dump --data "$D")"
VIA=$(k anna add event --set title="Поздравить Сидорову" --set contact="$ANNA_CONTACT" --set assignee=vera \
  --set start="$(at 7200)")
check_fails "a contact of anna's organization is anna's client too" "vera may not see the contact" k anna sync
k anna edit "$VIA" --set assignee=boris >/dev/null
check "the head of sales sees every client: assigning to him is fine" k anna sync
k b1 sync >/dev/null
HOS=$(k b1 add task --set title="Сверка с Вектором" --set org="$VORG" --set assignee=anna --set due="$(at 7200)")
check_fails "even the head of sales cannot give anna a task about vera's client" \
  "anna may not see the organization \"ЗАО Вектор\"" k b1 sync
k b1 edit "$HOS" --set assignee=vera >/dev/null
check "...but vera's own client can be vera's task" k b1 sync
k vera sync >/dev/null
check_contains "...which reaches vera's diary" "Сверка с Вектором" "$(k vera agenda)"
check_fails "bad agenda date" "bad date" k b1 agenda --from 2026-13-45
check_fails "snooze of an unknown card" "no reminder" k b1 remind snooze 01a20000-0000-7000-8000-000000000000
# the call-back list, and recording what happened
CALL=$(k anna add event --set type=call --set title="Звонок Ромашке" --set org="$ORG" --set assignee=boris \
  --set start="$(at -3600)")
k anna add event --set type=meeting --set title="Не звонок" --set org="$ORG" --set assignee=boris \
  --set start="$(at -3600)" >/dev/null
k anna sync >/dev/null; k b1 sync >/dev/null
cb=$(k b1 callbacks)
check_contains "boris's call-back list has the call with the client" "Звонок Ромашке — ООО Ромашка" "$cb"
check_contains "...marked overdue" "[overdue]" "$cb"
check_not_contains "...only calls" "Не звонок" "$cb"
check_not_contains "anna's own list does not have boris's call" "Звонок Ромашке" "$(k anna callbacks 2>&1)"
check_contains "...but she can look at his" "Звонок Ромашке" "$(k anna callbacks --user boris)"
NEXT=$(k b1 done "$CALL" --result call_back --comment "просили перезвонить завтра" \
  --call-back "$(date -d '+1 day' +%Y-%m-%dT10:00)" --json | json 'd["call_back"]')
check_eq "done with a call back plans the next call" "36" "${#NEXT}"
check "...and syncs" k b1 sync
k b2 sync >/dev/null
check_eq "the result reached boris's other PC" "done call_back просили перезвонить завтра" \
  "$(k b2 show "$CALL" --json | json 'd["status"]+" "+d["result"]+" "+d["comment"]')"
check_eq "the call is off the list" "[]" "$(k b2 callbacks --json | json '[r["id"] for r in d if r["id"]=="'"$CALL"'"]')"
check_contains "the call back is in tomorrow's agenda" "Call back: Звонок Ромашке" \
  "$(k b2 agenda --from "$(date -d '+1 day' +%Y-%m-%d)" --to "$(date -d '+1 day' +%Y-%m-%d)")"
check_contains "...with a reminder" "Call back: Звонок Ромашке" "$(k b2 remind list)"
check_eq "...for the same client and person" "$ORG boris" "$(k b2 show "$NEXT" --json | json 'd["org"]+" "+d["assignee"]')"
k anna sync >/dev/null
check_eq "anna sees the result on her client" "call_back" "$(k anna show "$CALL" --json | json 'd["result"]')"
check_fails "a result not in the list is refused" "not one of" k b1 done "$CALL" --result maybe
check_fails "a call back in the past is refused" "in the past" k b1 done "$CALL" --call-back 2020-01-01T10:00
check_fails "a task has no result" "a task is just done" k anna done "$BAD" --result reached
check "a task is done" k anna done "$BAD"
check_eq "...and out of the overdue list" "" "$(k anna today | grep Кому)"

# staff birthdays: set on the server machine and remotely, synced to every PC
check_fails "a bad birthday is refused" "write it as YYYY-MM-DD" \
  "$KTD" user add --data "$D" --user gleb --birthday 1990-13-45 --password-file "$T/pw"
check_fails "...and no account was made" "no user named gleb" "$KTD" user birthday --data "$D" --user gleb --birthday 1990-01-01
check "a birthday set on the server machine (server running)" \
  "$KTD" user birthday --data "$D" --user vera --birthday "$(date +1990-%m-%d)"
enroll "$D" boss "$T/boss"
check "...and one set remotely by the administrator" \
  k boss admin user birthday boris --birthday "$(date -d '+2 days' +1985-%m-%d)"
check_fails "...only by an administrator" "only an administrator" k anna admin user birthday anna --birthday 1990-01-01
check_contains "the account list shows it" "birthday $(date -d '+2 days' +1985-%m-%d)" "$("$KTD" user list --data "$D")"
k anna sync >/dev/null; k vera sync >/dev/null; k b2 sync >/dev/null
check_contains "a colleague's birthday today is in anna's day" "Birthday: vera (colleague)" "$(k anna today)"
check_contains "...and on boris's second PC" "Birthday: vera (colleague)" "$(k b2 today)"
check_not_contains "...one's own is not reminded" "Birthday: vera" "$(k vera today)"
check_contains "boris's birthday in two days is in the agenda" "Birthday: boris (colleague)" "$(k anna agenda)"
check_contains "...and reminded (3 days ahead)" "Birthday: boris (colleague)" "$(k anna remind list)"
check_fails "staff records are the server's: a PC cannot change them" "staff records are kept by the office server" \
  k anna edit "$(k anna remind list --json | json '[r["id"] for r in d if r["kind"]=="staff"][0]')" --set birthday=2000-01-01
start_agent anna "$T/anna"
# (its reminder came at 09:00 yesterday: one of the missed ones, with vera's of today)
if wait_notify anna "missed reminders" 20; then pass "anna's agent reminds her of colleagues' birthdays"; else
  fail "anna's agent reminds her of colleagues' birthdays" "$(tail -5 "$T/anna.agent.err")"; fi
check_contains "...boris's among them" "Birthday: boris (colleague)" "$(cat "$T/anna.notify.log")"
stop_agent anna
check "a departed colleague (disabled account)..." "$KTD" user disable --data "$D" --user vera
k boss sync >/dev/null
check_fails "...not even the administrator's PC" "staff records are kept by the office server" \
  k boss edit "$(k anna remind list --json | json '[r["id"] for r in d if r["kind"]=="staff"][0]')" --set birthday=2000-01-01
k anna sync >/dev/null
check_not_contains "...is no longer reminded" "Birthday: vera" "$(k anna today)"
check "clearing a birthday" k boss admin user birthday boris --birthday none
k anna sync >/dev/null
check_not_contains "...removes it from the agenda" "Birthday: boris" "$(k anna agenda)"

stop_server "$D"
finish
