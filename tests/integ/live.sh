#!/usr/bin/env bash
# Live updates: a PC running `kartoteka agent` (subscribed) shows a colleague's
# edit within moments, keeps working while the server is down (the outbox
# waits), reconnects with backoff when it is back, and sends what waited.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
D=$T/data
init_server "$D"
add_user "$D" anna head_of_sales; add_user "$D" boris head_of_sales
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_fixed() {
  "$KTD" serve --data "$D" --listen 127.0.0.1:$PORT >"$D.serve.out" 2>>"$D.serve.err" &
  SRV_PID=$!; _bg_pids+=($SRV_PID)
  for _ in $(seq 100); do grep -q '^listening' "$D.serve.out" 2>/dev/null && break; sleep 0.05; done
}
start_fixed
for u in anna boris; do
  inv=$("$KTD" invite --data "$D" --user $u --address 127.0.0.1:$PORT)
  "$KT" --profile "$T/$u" connect --invite "$inv" --password-file "$T/pw" >/dev/null || fail "connect $u"
done
k() { "$KT" --profile "$T/$1" "${@:2}"; }
ORG=$(k anna add org --set name="ООО Ромашка" --set city=Москва); k anna sync >/dev/null
k boris sync >/dev/null
"$KT" --verbose --profile "$T/boris" agent 2>"$T/agent.err" &
AGENT=$!; _bg_pids+=($AGENT)
sleep 0.5
# wait_for PROFILE ID FIELD VALUE [timeout s]: polls the replica
wait_for() {
  local end=$(( $(date +%s%N) + ${5:-5} * 1000000000 ))
  while [ "$(date +%s%N)" -lt $end ]; do
    [ "$(k $1 show "$2" --json 2>/dev/null | json "d.get('$3')")" == "$4" ] && return 0
    sleep 0.02
  done
  return 1
}
t0=$(date +%s%N)
k anna edit "$ORG" --set city=Казань >/dev/null; k anna sync >/dev/null
if wait_for boris "$ORG" city Казань 5; then pass "agent shows a colleague's edit"; else fail "agent shows a colleague's edit"; fi
echo "edit-to-visible via CLI processes: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
# a small change set comes with the notify: applied without a pull
check_contains "the edit came with the notify" "sent with the notify" "$(cat "$T/agent.err")"
check_contains "only one process syncs a profile" "another Kartoteka program" "$(k boris sync 2>&1)"
k boris edit "$ORG" --set phone="+7 495 000-00-00" >/dev/null
if wait_for anna "$ORG" phone "" 0; then :; fi
sleep 1; k anna sync >/dev/null
check_eq "agent sent boris's local edit by itself" "+7 495 000-00-00" "$(k anna show "$ORG" --json | json 'd["phone"]')"

check_eq "status: online" "True" "$(k anna status --json | json 'd["online"]')"
kill -TERM $SRV_PID; wait $SRV_PID 2>/dev/null
check_eq "status: offline when the server is down" "False" "$(k anna status --json | json 'd["online"]')"
k boris edit "$ORG" --set temperature=hot >/dev/null
check_eq "offline edit waits in the outbox" "1" "$(k boris status --json | json 'd["pending"]')"
check "agent survives the server going away" kill -0 $AGENT
start_fixed
sleep 3
k anna sync >/dev/null
if wait_for anna "$ORG" temperature hot 10; then pass "agent reconnected and sent the waiting edit"; else
  for _ in 1 2 3; do sleep 2; k anna sync >/dev/null; done
  if wait_for anna "$ORG" temperature hot 1; then pass "agent reconnected and sent the waiting edit"; else fail "agent reconnected and sent the waiting edit" "$(tail -5 "$T/agent.err")"; fi
fi
kill -TERM $AGENT; wait $AGENT; check_eq "agent stops cleanly on SIGTERM" 0 $?
stop_server "$D"
finish
