#!/usr/bin/env bash
# A reminder counts as fired only once a notification was shown (issue 13):
# boris's first PC runs the agent with no session bus at all, then with a bus
# but no notification daemon. The agent says at start that it cannot reach a
# notification service, does not mark the due reminder fired (so his second
# PC still shows it), and shows it — as missed — as soon as a daemon appears
# on its bus, recording it then.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
source "$(dirname "$0")/../lib/agent.sh"
D=$T/data
init_server "$D"
add_user "$D" anna; add_user "$D" boris head_of_sales
start_server "$D"
enroll "$D" anna "$T/anna"; enroll "$D" boris "$T/b1"; enroll "$D" boris "$T/b2"
k() { "$KT" --profile "$T/$1" "${@:2}"; }
at() { date -d "@$(( $(date +%s) + $1 ))" +%Y-%m-%dT%H:%M:%S; }
# held NAME TITLE CASE: the agent says at start that it cannot show notifications,
# and again when TITLE comes due (it stays due)
held() {
  if wait_log "$1" "cannot reach a desktop notification service" 10; then pass "$3: said at start"
  else fail "$3: said at start" "$(tail -5 "$T/$1.agent.err")"; fi
  if wait_log "$1" "$2\" stays due" 25; then pass "$3: said when the reminder comes due"
  else fail "$3: said when the reminder comes due" "$(tail -5 "$T/$1.agent.err")"; fi
}
state() { k "$1" remind list --json | json '[r["state"] for r in d if r["id"]=="'"$2"'"][0]'; }

ORG=$(k anna add org --set name="ООО Ромашка")
EV=$(k anna add event --set type=call --set title="Позвонить в Ромашку" --set org="$ORG" \
     --set assignee=boris --set start="$(at 3600)" --set remind_at="$(at 4)")
k anna sync >/dev/null

# 1. no session bus at all
start_agent_nobus b1 "$T/b1"
held b1 "Позвонить в Ромашку" "no session bus"
sleep 2 # a sync round of the agent
stop_agent b1
check_eq "the reminder is not marked fired on that PC" "pending" "$(state b1 "$EV")"
check "...and the PC syncs" k b1 sync
check "boris's second PC syncs" k b2 sync
check_eq "...where it is still due" "pending" "$(state b2 "$EV")"
start_agent b2 "$T/b2"
if wait_notify b2 "Позвонить в Ромашку" 25; then pass "boris's second PC shows it"; else
  fail "boris's second PC shows it" "$(tail -5 "$T/b2.agent.err")"; fi
sleep 1.5
stop_agent b2
check_eq "...and marks it fired" "fired" "$(state b2 "$EV")"
k b1 sync >/dev/null
check_eq "which reaches the first PC" "fired" "$(state b1 "$EV")"

# 2. a session bus, the notification daemon comes later (a desktop still starting)
EV2=$(k anna add event --set type=call --set title="Согласовать скидку" --set org="$ORG" \
     --set assignee=boris --set start="$(at 3600)" --set remind_at="$(at 4)")
k anna sync >/dev/null
start_agent_nodaemon b1 "$T/b1"
held b1 "Согласовать скидку" "a bus without a notification daemon"
check_eq "...not marked fired" "pending" "$(state b1 "$EV2")"
check_not_contains "...the first reminder is not shown again" "Позвонить" "$(cat "$T/b1.agent.err")"
start_daemon b1 >/dev/null
if wait_notify b1 "Согласовать скидку" 10; then pass "the daemon appears: the held reminder is shown"; else
  fail "the daemon appears: the held reminder is shown" "$(tail -5 "$T/b1.agent.err")"; fi
check_contains "...as missed" "Missed: Call: Согласовать скидку" "$(grep ' Notify ' "$T/b1.notify.log")"
check_contains "...the agent says notifications work again" "notifications work again" "$(cat "$T/b1.agent.err")"
for _ in $(seq 30); do [ "$(state b1 "$EV2")" = fired ] && break; sleep 0.2; done
check_eq "...and marks it fired" "fired" "$(state b1 "$EV2")"
sleep 1.5 # the agent's sync sends the state
stop_agent b1
check_eq "it was shown once" "1" "$(grep -c 'Notify.*Согласовать скидку' "$T/b1.notify.log")"
k b2 sync >/dev/null
check_eq "the second PC knows it was shown" "fired" "$(state b2 "$EV2")"
start_agent b2 "$T/b2"
sleep 4
stop_agent b2
check_not_contains "...and does not show it" "Согласовать" "$(cat "$T/b2.notify.log")"

stop_server "$D"
finish
