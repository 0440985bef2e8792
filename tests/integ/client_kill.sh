#!/usr/bin/env bash
# kill -9 of a client during a pull: each page and its cursor commit together,
# so the replica stays consistent (integrity check, cursor never ahead of the
# data) and the next sync completes to a replica equal to the master.
#   KT_KILL_N=N cards (30000)   KT_KILL_ROUNDS=N kills (8; make soak runs hundreds)
#   KT_KILL_SPREAD=P kill up to P % of a whole pull's time (80; make soak: 110, so that
#   kills land between the pages too, after the first commit); a kill that came after the
#   pull's end narrows the window by 10 %, one that hit widens it by 2 %
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
N=${KT_KILL_N:-30000}
ROUNDS=${KT_KILL_ROUNDS:-8}
SPREAD=${KT_KILL_SPREAD:-80} # kill points: 20 ms to SPREAD % of a whole pull
D=$T/data
init_server "$D"; add_user "$D" anna head_of_sales; add_user "$D" boris head_of_sales
start_server "$D"
enroll "$D" anna "$T/a"; enroll "$D" boris "$T/b"
/usr/bin/python3 -c "
print('name,city')
for i in range($N): print(f'Клиент {i:05d},Город {i % 97}')" > "$T/cards.csv"
"$KT" --profile "$T/a" import csv "$T/cards.csv" --type org >/dev/null
check "anna sends $N cards" "$KT" --profile "$T/a" sync
SEED=${KT_SEED:-$$}
RANDOM=$SEED
echo "seed $SEED (KT_SEED to repeat)"
# boris's profile before its first pull, and how long a whole pull takes here
cp -a "$T/b" "$T/b.empty"
cp -a "$T/b.empty" "$T/b.timing"
t0=$(date +%s%N); "$KT" --profile "$T/b.timing" sync >/dev/null || fail "a whole pull"
full_ms=$(( ($(date +%s%N) - t0) / 1000000 )); rm -rf "$T/b.timing"
echo "a whole pull of $N cards takes $full_ms ms"
kills=0 bad=0
declare -A POINTS=() # distinct kill points (0.1 ms steps into the pull) of the kills that hit a running pull
# each round starts from the empty replica, or (every third round) goes on from what
# the last killed pull left, and is killed at a random moment inside the pull
for i in $(seq $ROUNDS); do
  if [ $((i % 3)) -ne 0 ]; then rm -rf "$T/b"; cp -a "$T/b.empty" "$T/b"; fi
  "$KT" --profile "$T/b" sync >/dev/null 2>&1 &
  CL=$!
  # µs into the pull: from 20 ms to SPREAD % of a whole pull; a point is a 0.1 ms step
  span=$(( full_ms * SPREAD * 10 > 20001 ? full_ms * SPREAD * 10 - 20000 : 1 ))
  us=$(( 20000 + (RANDOM * 32768 + RANDOM) % span )); ms=$((us / 1000))
  sleep "$(printf '%d.%06d' $((us / 1000000)) $((us % 1000000)))"
  kill -KILL $CL 2>/dev/null
  wait $CL 2>/dev/null; rc=$?
  # a kill counts when it ended the pull (137: killed; a pull that had already ended
  # but was not yet reaped took the signal without effect)
  if [ $rc -eq 137 ]; then kills=$((kills+1)); POINTS[$((us / 100))]=1
    full_ms=$((full_ms * 102 / 100))
  else # the pull had ended: the window follows the machine's speed (a loaded machine
    full_ms=$((full_ms * 9 / 10)) # may have measured the whole pull slower than it runs later)
    [ $full_ms -lt 30 ] && full_ms=30
  fi
  ic=$(sqlite3 "$T/b/replica.db" 'PRAGMA integrity_check')
  [ "$ic" == ok ] || { bad=$((bad+1)); fail "replica damaged after kill $i" "$ic"; }
  # (the cards and the staff records of the three accounts)
  have=$(sqlite3 "$T/b/replica.db" 'SELECT (SELECT count(*) FROM t_org) + (SELECT count(*) FROM t_staff)')
  cur=$(sqlite3 "$T/b/replica.db" "SELECT coalesce((SELECT value FROM meta WHERE key='pull_seq'),0)")
  echo "round $i: killed after $ms ms: cursor $cur, records $have"
  # the feed numbers each record once; the cursor may never point past what the replica holds
  [ "$cur" -le "$((have + 1))" ] || { bad=$((bad+1)); false; } || fail "cursor ahead of the data after kill $i" "cursor $cur, records $have"
done
echo "client killed $kills times during its pull"
echo "soak: client-kill-pull points=${#POINTS[@]} kills=$kills worst=damaged:$bad"
need=$((SPREAD > 80 ? ROUNDS / 3 : ROUNDS * 3 / 4)) # a wider spread ends more kills after the pull
check "killed during the pull at least $need of $ROUNDS times" test $kills -ge $need
check "the replica survived every kill" test "$(sqlite3 "$T/b/replica.db" 'PRAGMA integrity_check')" == ok
check "the next sync completes" "$KT" --profile "$T/b" sync
check_eq "boris has all $N cards" "$N" "$(sqlite3 "$T/b/replica.db" 'SELECT count(*) FROM t_org')"
check_eq "boris equals the master" "$("$KTD" dump --data "$D")" "$("$KT" --profile "$T/b" dump)"
last=$(printf '%05d' $((N - 1)))
check_contains "search index complete after the kills" "Клиент $last" "$("$KT" --profile "$T/b" search "клиент $last")"
stop_server "$D"
finish
