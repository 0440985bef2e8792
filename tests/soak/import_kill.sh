#!/usr/bin/env bash
# kill -9 of a PC during `kartoteka import csv` (make soak, issue 20), at
# KT_IMPORT_KILLS (30) random points spread over the import (µs from its start,
# up to 1.2 times a whole import's duration; the distinct points (0.1 ms steps) of the kills
# that hit a running import are counted). An import is one transaction: after
# each kill the replica passes its integrity check and holds all of that
# import's cards or none, each with its outbox entry (nothing half-imported,
# nothing imported twice); a kill after the import reported success keeps them.
# At the end the next sync completes and the master holds exactly the imports
# that committed, each card once.
#   KT_IMPORT_N=N rows per import (2000)   KT_SEED=N replays
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
KILLS=${KT_IMPORT_KILLS:-30}
N=${KT_IMPORT_N:-2000}
SEED=${KT_SEED:-$$}
RANDOM=$SEED
echo "seed $SEED (KT_SEED to repeat)"
mkfifo "$T/nap"; exec {NAPFD}<>"$T/nap"
nap_us() { local s; printf -v s '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)); read -r -t "$s" -u "$NAPFD" _; }
D=$T/data
init_server "$D"; add_user "$D" anna head_of_sales
start_server "$D"
enroll "$D" anna "$T/a"
csv() { { echo 'name,city'; for ((i = 0; i < N; i++)); do echo "Импорт $1-$i,Город $((i % 97))"; done; } >"$T/imp.csv"; }
q() { sqlite3 "$T/a/replica.db" "$@"; }
csv 0
t=${EPOCHREALTIME/./}
"$KT" --profile "$T/a" import csv "$T/imp.csv" --type org >/dev/null || fail "a whole import"
took=$((${EPOCHREALTIME/./} - t))
echo "a whole import of $N cards takes $((took / 1000)) ms"
committed=1 kills=0 bad=0 partial=0
declare -A POINTS=()
for ((r = 1; r <= KILLS; r++)); do
  csv "$r"
  t=${EPOCHREALTIME/./}
  "$KT" --profile "$T/a" import csv "$T/imp.csv" --type org >"$T/out" 2>&1 &
  CL=$!
  pt=$(((RANDOM * 32768 + RANDOM) % (took * 12 / 10) + 1))
  nap_us $pt
  kill -KILL $CL 2>/dev/null && hit=1 || hit=0
  wait $CL 2>/dev/null; rc=$?
  [ $hit = 1 ] && [ $rc -ne 0 ] && kills=$((kills + 1)) && POINTS[$((pt / 100))]=1
  ic=$(q 'PRAGMA integrity_check' 2>&1)
  [ "$ic" = ok ] || { bad=$((bad + 1)); fail "kill $r: replica damaged" "$ic"; }
  IFS='|' read -r n nout < <(q "SELECT count(*), (SELECT count(*) FROM outbox o JOIN t_org t ON t.rowid = o.rid
    WHERE t.name LIKE 'Импорт $r-%') FROM t_org WHERE name LIKE 'Импорт $r-%'")
  if [ "$n" != 0 ] && [ "$n" != "$N" ]; then partial=$((partial + 1)); fail "kill $r: $n of $N cards half-imported"; fi
  [ "$nout" = "$n" ] || { bad=$((bad + 1)); fail "kill $r: $n cards but $nout outbox entries"; }
  [ $rc -eq 0 ] && [ "$n" != "$N" ] && fail "kill $r: the import reported success but $n of $N cards are there"
  [ "$n" = "$N" ] && committed=$((committed + 1))
  [ $((r % 10)) -eq 0 ] && { "$KT" --profile "$T/a" sync >/dev/null || fail "sync after kill $r"; } # keep the replica small
done
echo "numbers: $kills kills during the import at ${#POINTS[@]} distinct points (0.1 ms steps); $committed imports committed"
echo "soak: client-kill-import points=${#POINTS[@]} kills=$kills worst=half_imported:$partial,damaged:$bad"
check "killed during the import in most rounds" test $kills -ge $((KILLS / 2))
check "the next sync completes" "$KT" --profile "$T/a" sync
m=$("$KTD" dump --data "$D")
check_eq "the master holds exactly the committed imports" "$((committed * N))" "$(echo "$m" | grep -c '^org .*name=Импорт ')"
check_eq "each card once" "$((committed * N))" "$(echo "$m" | grep -o 'name=Импорт [0-9-]*' | sort -u | wc -l)"
check_eq "the replica equals the master" "$m" "$("$KT" --profile "$T/a" dump)"
stop_server "$D"
finish
