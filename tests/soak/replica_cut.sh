#!/usr/bin/env bash
# Power cuts of a replica (make soak, issue 20): anna's `kartoteka` runs with
# kt_cutvfs as its SQLite VFS (tests/soak/cutvfs_preload.so, LD_PRELOAD), so a
# kill -9 drops every write it had not synced, like a power cut of the PC. Each
# cycle does one local edit (add, edit, import) or a sync that pulls what boris
# just sent, and cuts it at a random moment within 1.5 times that kind of
# operation's last duration (every other cycle only after it has finished, then
# one more cut of a sync-less CLI run: `status`). After each cut: the replica
# opens (integrity check, `status`), every edit the CLI reported saved is still
# there with its value, and nothing reported saved has left the outbox without
# reaching the server. Self-check first: an sqlite3 with synchronous=OFF under
# the same shim must lose its last write, else the shim is not in effect.
#   KT_REPLICA_CUTS=N cycles (30)   KT_SEED=N replays
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
CUTS=${KT_REPLICA_CUTS:-30}
SEED=${KT_SEED:-$$}
RANDOM=$SEED
echo "seed $SEED (KT_SEED to repeat)"
SHIM=${KT_CUTVFS_SHIM:-$(cd "$(dirname "$0")/../.." && pwd)/build/soak/cutvfs_preload.so}
[ -f "$SHIM" ] || { fail "the shim $SHIM is built (tests/soak/run.sh builds it)"; finish; }
mkfifo "$T/nap"; exec {NAPFD}<>"$T/nap"
nap_us() { local s; printf -v s '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)); read -r -t "$s" -u "$NAPFD" _; }

# self-check: the shim drops unsynced writes
LD_PRELOAD=$SHIM sqlite3 "$T/self.db" 'PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;' \
  'CREATE TABLE t(x); INSERT INTO t VALUES (1);' '.shell kill -9 $PPID' >/dev/null 2>&1
check_eq "self-check: a kill -9 under the shim loses a write that was not synced" "" \
  "$(sqlite3 "$T/self.db" '.tables' 2>&1)"
LD_PRELOAD=$SHIM sqlite3 "$T/self2.db" 'PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;' \
  'CREATE TABLE t(x); INSERT INTO t VALUES (1);' '.shell kill -9 $PPID' >/dev/null 2>&1
check_eq "self-check: ... and keeps one that was (synchronous=FULL)" "1" "$(sqlite3 "$T/self2.db" 'SELECT x FROM t' 2>&1)"

D=$T/data
init_server "$D"; add_user "$D" anna head_of_sales; add_user "$D" boris head_of_sales
start_server "$D"
enroll "$D" anna "$T/a"; enroll "$D" boris "$T/b"
kb() { "$KT" --profile "$T/b" "$@"; }
{ echo 'name,city'; for ((i = 0; i < 2000; i++)); do echo "Борис $i,Город"; done; } >"$T/b0.csv"
kb import csv "$T/b0.csv" --type org >/dev/null && kb sync >/dev/null || fail "boris's first cards"
"$KT" --profile "$T/a" sync >/dev/null || fail "anna's first pull"

declare -A SAVED=()  # card id -> the city the CLI last reported saved for it
declare -A TOOK=([add]=100000 [edit]=100000 [import]=300000 [sync]=300000 [status]=50000)
ncut=0 nfin=0 lost=0 bad=0 gone=0 batch=0 unreported=0
declare -A NKIND=()
for ((c = 1; c <= CUTS; c++)); do
  ids=("${!SAVED[@]}")
  case $((RANDOM % 5)) in
    0) kind=add; args=(add org --set "name=Анна $c" --set "city=Г$c") ;;
    1) if [ ${#ids[@]} -gt 0 ]; then kind=edit; id=${ids[RANDOM % ${#ids[@]}]}; args=(edit "$id" --set "city=Е$c")
       else kind=add; args=(add org --set "name=Анна $c" --set "city=Г$c"); fi ;;
    2) kind=import; n=$((RANDOM % 300 + 1))
       { echo 'name,city'; for ((i = 0; i < n; i++)); do echo "Импорт $c-$i,И$c"; done; } >"$T/imp.csv"
       args=(import csv "$T/imp.csv" --type org) ;;
    *) kind=sync; args=(sync)
       if ((RANDOM % 2)); then # boris sends some cards for anna to pull
         batch=$((batch + 1)); n=$((RANDOM % 500 + 1))
         { echo 'name,city'; for ((i = 0; i < n; i++)); do echo "Борис $batch-$i,Б"; done; } >"$T/b.csv"
         kb import csv "$T/b.csv" --type org >/dev/null && kb sync >/dev/null || fail "boris sends batch $batch"
       fi ;;
  esac
  NKIND[$kind]=$(( ${NKIND[$kind]:-0} + 1 ))
  t=${EPOCHREALTIME/./}
  LD_PRELOAD=$SHIM "$KT" --profile "$T/a" "${args[@]}" >"$T/out" 2>"$T/err" &
  CL=$!
  if ((c % 2)); then
    wait $CL 2>/dev/null; rc=$?
    TOOK[$kind]=$((${EPOCHREALTIME/./} - t))
    nfin=$((nfin + 1))
  else
    nap_us $(((RANDOM * 32768 + RANDOM) % (TOOK[$kind] * 3 / 2 + 1)))
    kill -KILL $CL 2>/dev/null
    wait $CL 2>/dev/null; rc=$?
  fi
  if [ $rc -eq 0 ]; then # reported saved
    case $kind in
      add) SAVED[$(head -1 "$T/out")]=Г$c ;;
      edit) SAVED[$id]=Е$c ;;
      import) while read -r iid; do SAVED[$iid]=И$c; done < <(sqlite3 "$T/a/replica.db" \
                "SELECT id FROM t_org WHERE name LIKE 'Импорт $c-%'") ;;
    esac
  elif [ $kind = edit ] &&
       [ "$(sqlite3 "$T/a/replica.db" "SELECT city FROM t_org WHERE id = '$id'")" = "Е$c" ]; then
    # killed after its commit, before it said so: the edit is durable (the cut came after
    # it), so it is the card's saved value from now on (before, this read as a lost edit)
    SAVED[$id]=Е$c; unreported=$((unreported + 1))
  fi
  # the cut after a finished operation: a run that opens the replica and reads it
  if ((c % 2)); then LD_PRELOAD=$SHIM "$KT" --profile "$T/a" status >/dev/null 2>&1 & CL=$!
    nap_us $((RANDOM % TOOK[status] + 1)); kill -KILL $CL 2>/dev/null; wait $CL 2>/dev/null; fi
  ncut=$((ncut + 1))
  # the replica opens and holds every saved edit
  ic=$(sqlite3 "$T/a/replica.db" 'PRAGMA integrity_check' 2>&1)
  [ "$ic" = ok ] || { bad=$((bad + 1)); fail "cut $c ($kind): replica damaged" "$ic"; }
  "$KT" --profile "$T/a" status >/dev/null 2>"$T/err" || { bad=$((bad + 1)); fail "cut $c ($kind): the replica does not open" "$(cat "$T/err")"; }
  for id in "${!SAVED[@]}"; do printf '%s|%s\n' "$id" "${SAVED[$id]}"; done | LC_ALL=C sort >"$T/want"
  sqlite3 "$T/a/replica.db" "SELECT id || '|' || city FROM t_org WHERE deleted = 0" | LC_ALL=C sort >"$T/have"
  miss=$(LC_ALL=C comm -23 "$T/want" "$T/have" | wc -l)
  if [ "$miss" -gt 0 ]; then
    lost=$((lost > miss ? lost : miss))
    fail "cut $c ($kind): $miss saved edits missing or changed" "$(LC_ALL=C comm -23 "$T/want" "$T/have" | head -3)"
  fi
done
echo "numbers: $ncut cuts ($nfin after the operation finished), kinds: $(for k in "${!NKIND[@]}"; do printf '%s %s ' $k ${NKIND[$k]}; done)," \
  "${#SAVED[@]} saved cards checked after each cut; $unreported edits durable though killed before they said so"
echo "soak: replica-cut cuts=$ncut worst=lost:$lost,damaged:$bad"
check_eq "no saved edit lost in $ncut cuts" 0 "$lost"
check_eq "the replica opened after every cut" 0 "$bad"
check "the next sync completes" "$KT" --profile "$T/a" sync
check "and again" "$KT" --profile "$T/a" sync
kb sync >/dev/null
m=$("$KTD" dump --data "$D")
# id|city of the master's cards (the test's cities have no spaces), against the saved edits
echo "$m" | awk '$1 == "org" { c = ""; for (i = 3; i <= NF; i++) if ($i ~ /^city=/) { c = substr($i, 6); sub(/@.*/, "", c) } print $2 "|" c }' |
  LC_ALL=C sort >"$T/onserver"
check_eq "every saved edit reached the server (nothing unsent lost)" "" "$(LC_ALL=C comm -23 "$T/want" "$T/onserver" | head -3)"
check_eq "the replica equals the master" "$m" "$("$KT" --profile "$T/a" dump)"
check_eq "the outbox is empty" 0 "$(sqlite3 "$T/a/replica.db" 'SELECT count(*) FROM outbox')"
stop_server "$D"
finish
