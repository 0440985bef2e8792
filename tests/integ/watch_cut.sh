#!/usr/bin/env bash
# A long-running sync (`sync --watch`, the agent's loop) whose connection is cut
# between two pages of a big pull rolls the first page back and tries again in
# the same process: the retry must not build on what the rolled-back transaction
# had cached (device numbers, a custom field's column). The replica ends equal
# to the master. The cut comes from tests/lib/faultproxy.py with a fixed plan.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
N=${KT_WATCH_N:-6000}
D=$T/data
init_server "$D"
for u in anna boris vera; do add_user "$D" $u administrator; done
start_server "$D"
enroll "$D" anna "$T/anna"; enroll "$D" vera "$T/vera"
k() { "$KT" --profile "$T/$1" "${@:2}"; }
# a custom field with values, cards from two devices (anna's, vera's) and the
# server's own (a conflict record) in the first page
k anna field add org --name inn --label ИНН --type text >/dev/null
/usr/bin/python3 -c "
print('name,city,inn')
for i in range($N): print(f'Клиент {i:05d},Город {i % 97},77{i:08d}')" >"$T/cards.csv"
k anna import csv "$T/cards.csv" --type org >/dev/null
ORG=$(k anna list org --limit 1 --json | json 'd[0]["id"]')
check "anna sends $N cards" k anna sync
k vera sync >/dev/null
k vera edit "$ORG" --set city=Тверь >/dev/null
k anna edit "$ORG" --set city=Казань >/dev/null
k vera sync >/dev/null; k anna sync >/dev/null
check "the conflict log has an entry" test "$(k anna conflicts --json | json 'len(d)')" -ge 1

CUT=${KT_WATCH_CUT:-}
if [ -z "$CUT" ]; then  # the size of a full pull, measured once through a clean proxy
  add_user "$D" gleb administrator
  echo off >"$T/faults"
  /usr/bin/python3 "$(dirname "$0")/../lib/faultproxy.py" --target "$SRV_ADDR" \
    --faults-file "$T/faults" >"$T/probe.log" 2>&1 &
  _bg_pids+=($!)
  for _ in $(seq 100); do grep -q '^listening' "$T/probe.log" && break; sleep 0.05; done
  inv=$("$KTD" invite --data "$D" --user gleb --address "$(sed -n 's/^listening //p' "$T/probe.log")")
  k gleb connect --invite "$inv" --password-file "$T/pw" >/dev/null
  k gleb sync >/dev/null
  total=$(sed -n 's/^end 2 .* s2c=\([0-9]*\).*/\1/p' "$T/probe.log")
  CUT=$(( total * 19 / 20 ))   # in the second (last) page of the pull
  echo "a full pull is $total bytes; the cut comes after $CUT"
fi
echo off >"$T/faults2"
/usr/bin/python3 "$(dirname "$0")/../lib/faultproxy.py" --target "$SRV_ADDR" \
  --faults-file "$T/faults2" --weights 1,0,0,0 --plan "cut:s2c:$CUT" >"$T/proxy.log" 2>&1 &
_bg_pids+=($!)
for _ in $(seq 100); do grep -q '^listening' "$T/proxy.log" && break; sleep 0.05; done
inv=$("$KTD" invite --data "$D" --user boris --address "$(sed -n 's/^listening //p' "$T/proxy.log")")
k boris connect --invite "$inv" --password-file "$T/pw" >/dev/null || fail "connect boris"
echo on >"$T/faults2"
"$KT" --profile "$T/boris" sync --watch 2>"$T/watch.err" &
W=$!; _bg_pids+=($W)
have=0
for _ in $(seq 600); do
  have=$(sqlite3 -cmd '.timeout 2000' "$T/boris/replica.db" 'SELECT count(*) FROM t_org' 2>/dev/null || echo 0)
  [ "$have" -ge "$N" ] && break; sleep 0.1
done
sleep 0.5
kill -TERM $W; wait $W; check_eq "sync --watch stops cleanly" 0 $?
check_contains "the proxy cut the first pull" "cut" "$(grep '^end 2 ' "$T/proxy.log")"
check_contains "sync --watch went on after the cut" "retrying" "$(cat "$T/watch.err")"
check_eq "boris has all $N cards" "$N" "$have$([ "$have" = "$N" ] || tail -3 "$T/watch.err")"
M=$("$KTD" dump --data "$D"); B=$(k boris dump)
if [ "$M" == "$B" ]; then pass "boris's replica equals the master"
else fail "boris's replica equals the master" "$(diff <(echo "$M") <(echo "$B") | sed -n "2p;/^---/,+1p" | grep -o "owner=[^ ]*" | head -4)"; fi
check_eq "... and the custom field's values" "7700000000" \
  "$(sqlite3 "$T/boris/replica.db" "SELECT c_inn FROM t_org WHERE name = 'Клиент 00000'")"
check "boris can edit after all" k boris edit "$ORG" --set inn=1
stop_server "$D"
finish
