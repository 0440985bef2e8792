#!/usr/bin/env bash
# kill -9 of the server at 100+ points while a PC pushes 10,000 changes:
# after restarts and resyncs exactly 10,000 cards are on the server, none
# twice, and the PC's replica equals the master. (KT_CRASH_N / KT_CRASH_KILLS
# scale it.) A push is acknowledged only after its commit is durable
# (synchronous=FULL), and a resent batch is a no-op by its change numbers.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
N=${KT_CRASH_N:-10000}
KILLS=${KT_CRASH_KILLS:-100}
D=$T/data
init_server "$D"; add_user "$D" anna
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
serve() {
  "$KTD" serve --data "$D" --listen 127.0.0.1:$PORT >"$T/serve.out" 2>>"$T/serve.err" &
  SRV_PID=$!
  for _ in $(seq 200); do grep -q '^listening' "$T/serve.out" 2>/dev/null && return 0; sleep 0.01; done
  return 1
}
serve
"$KT" --profile "$T/p" connect --invite "$("$KTD" invite --data "$D" --user anna --address 127.0.0.1:$PORT)" \
  --password-file "$T/pw" >/dev/null || fail "connect"
/usr/bin/python3 -c "
print('name,city')
for i in range($N): print(f'Клиент {i:05d},Город {i % 97}')" > "$T/cards.csv"
check "import $N cards offline (one transaction)" "$KT" --profile "$T/p" import csv "$T/cards.csv" --type org
check_eq "all of them wait in the outbox" "$N" "$("$KT" --profile "$T/p" status --json | json 'd["pending"]')"
kill -KILL $SRV_PID; wait $SRV_PID 2>/dev/null

RANDOM=${KT_SEED:-$$}
kills=0; rounds=0
while [ $kills -lt $KILLS ] && [ $rounds -lt $((KILLS * 3)) ]; do
  rounds=$((rounds+1))
  serve || { fail "server restart"; break; }
  "$KT" --profile "$T/p" sync >/dev/null 2>&1 &
  CL=$!
  sleep "0.0$(( RANDOM % 9 + 1 ))"
  if kill -KILL $SRV_PID 2>/dev/null; then kills=$((kills+1)); fi
  wait $SRV_PID 2>/dev/null
  wait $CL 2>/dev/null
  pending=$("$KT" --profile "$T/p" status --json | json 'd["pending"]')
  # once everything is sent, keep killing during pulls of a fresh replica too
  [ "$pending" -eq 0 ] && [ $kills -ge $KILLS ] && break
done
echo "server killed $kills times in $rounds rounds"
check "at least $KILLS kills" test $kills -ge $KILLS
serve
check "final sync completes" "$KT" --profile "$T/p" sync
check "and again, nothing left" "$KT" --profile "$T/p" sync
m=$("$KTD" dump --data "$D")
check_eq "exactly $N cards on the server" "$N" "$(echo "$m" | grep -c '^org ')"
check_eq "none twice (names unique)" "$N" "$(echo "$m" | grep '^org ' | grep -o 'name=Клиент [0-9]*' | sort -u | wc -l)"
check_eq "the replica equals the master" "$m" "$("$KT" --profile "$T/p" dump)"
check_eq "outbox empty" "0" "$("$KT" --profile "$T/p" status --json | json 'd["pending"]')"
check_eq "master passes the integrity check" "ok" "$(sqlite3 "$D/master.db" 'PRAGMA integrity_check')"
kill -TERM $SRV_PID; wait $SRV_PID 2>/dev/null
check_not_contains "no sanitizer report from the server" "Sanitizer" "$(cat "$T/serve.err")"
finish
