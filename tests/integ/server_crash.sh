#!/usr/bin/env bash
# Durability of the master (issue #3).
# 1. kill -9 of the server at KT_CRASH_KILLS (100) or more points while a PC
#    pushes KT_CRASH_N (10,000) changes, a restart after each: once the resyncs
#    are done exactly N cards are on the server, none twice, and the replica
#    equals the master. The kill delay is steered so that the push spreads over
#    the kills (a kill counts when the outbox is still not empty after it).
# 2. Power cuts: the server runs on the test VFS (KARTOTEKAD_TEST_VFS=cut: writes
#    not yet synced die with the process). Each cycle adds cards offline, syncs,
#    kills the server (every other cycle after the sync ended, else at a random
#    point within 1.5 times the last sync's duration), and checks that every card the PC holds as
#    acknowledged (no longer in its outbox) is in what the restart recovers.
#    synchronous=FULL: KT_CRASH_CUTS (30) cuts lose nothing. Every KT_CRASH_FRESH (25)
#    cuts the master and the PC start again from a copy of one enrolled pair (made once,
#    copied with the server stopped): each cut imports 1-700 cards, and without the fresh
#    start a cut's sync and the dump that checks it grew with all the cuts before it
#    (1,000 cuts: 350,000 cards, 2.3 s a cut on average instead of a constant cost).
# 3. The same cycles with synchronous=NORMAL (KARTOTEKAD_TEST_SYNC=normal) must
#    be caught losing an acknowledged change within KT_CRASH_NORMAL_MAX (20)
#    cuts; if they are not, the harness cannot see a loss and the test fails.
# KT_SEED fixes the random kill points; the numbers are printed ("numbers:").
# KT_CRASH_PARTS (123) picks the parts to run (make soak runs 1 and 23 apart, at scale);
# a "soak:" line per part gives its count of distinct kill points or cuts and its worst case.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
N=${KT_CRASH_N:-10000}
KILLS=${KT_CRASH_KILLS:-100}
CUTS=${KT_CRASH_CUTS:-30}
NORMAL_MAX=${KT_CRASH_NORMAL_MAX:-20}
FRESH=${KT_CRASH_FRESH:-25}
PARTS=${KT_CRASH_PARTS:-123}
SEED=${KT_SEED:-$$}
RANDOM=$SEED
echo "seed $SEED (KT_SEED to repeat)"
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkfifo "$T/nap"; exec {NAPFD}<>"$T/nap"
SRV_PID=
trap '[ -n "$SRV_PID" ] && kill -KILL $SRV_PID 2>/dev/null; _cleanup' EXIT
nap() { read -r -t "$1" -u "$NAPFD" _; } # sleeps without a process: ms-accurate
nap_us() { local s; printf -v s '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)); nap "$s"; }

# serve DATA [VAR=VALUE...]: start kartotekad on $PORT with those variables set
serve() {
  local d=$1 line; shift
  : >"$T/serve.out"
  env "$@" "$KTD" serve --data "$d" --listen 127.0.0.1:$PORT >"$T/serve.out" 2>>"$T/serve.err" &
  SRV_PID=$!
  for _ in $(seq 1000); do
    line=; read -r line <"$T/serve.out"
    [[ $line == listening* ]] && return 0
    kill -0 $SRV_PID 2>/dev/null || return 1
    nap 0.005
  done
  return 1
}
crash() { kill -KILL $SRV_PID 2>/dev/null; local rc=$?; wait $SRV_PID 2>/dev/null; return $rc; }
invite() { "$KTD" invite --data "$1" --user anna --address 127.0.0.1:$PORT; }
connect() { "$KT" --profile "$1" connect --invite "$2" --password-file "$T/pw" >/dev/null; } # PROFILE INVITE
pending() { # the outbox size as `kartoteka status --json` reports it
  local s; s=$("$KT" --profile "$1" status --json 2>/dev/null)
  [[ $s =~ \"pending\":\ ?([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
}

# ---- 1. kill -9 during a 10,000-change push --------------------------------------
if [[ $PARTS == *1* ]]; then
declare -A POINTS=() # distinct kill points: 0.1 ms steps from the start of the sync, kills during the push
D=$T/d1 P=$T/p1
init_server "$D"; add_user "$D" anna head_of_sales  # imports: a right
serve "$D" || { fail "server start" "$(cat "$T/serve.err")"; finish; }
connect "$P" "$(invite "$D")" || fail "connect"
{ echo 'name,city'; for ((i = 0; i < N; i++)); do printf 'Клиент %05d,Город %d\n' $i $((i % 97)); done; } >"$T/cards.csv"
check "import $N cards offline (one transaction)" "$KT" --profile "$P" import csv "$T/cards.csv" --type org
check_eq "all of them wait in the outbox" "$N" "$(pending "$P")"
crash

t0=$SECONDS
left=$N kills=0 in_push=0 progress=0 lost_acks=0 rounds=0 left_at_k=-1
delay=30000 dmin=30000 dmax=30000 # µs from starting the sync to the kill: 1..delay, steered below
while [ $left -gt 0 ] && [ $rounds -lt $((KILLS * 5)) ]; do
  rounds=$((rounds + 1))
  serve "$D" || { fail "server restart $rounds" "$(tail -3 "$T/serve.err")"; break; }
  "$KT" --profile "$P" sync >/dev/null 2>&1 &
  CL=$!
  pt=$(((RANDOM * 32768 + RANDOM) % delay + 1))
  nap_us $pt
  crash && kills=$((kills + 1))
  wait $CL 2>/dev/null
  # the PC's outbox and the master's cards, both processes stopped
  IFS='|' read -r now master < <(sqlite3 "$P/replica.db" \
    "ATTACH '$D/master.db' AS m; SELECT (SELECT count(*) FROM outbox), (SELECT count(*) FROM m.t_org)")
  [ "$now" -gt 0 ] && in_push=$((in_push + 1)) && POINTS[$((pt / 100))]=1
  [ $in_push -eq $KILLS ] && [ $left_at_k -lt 0 ] && left_at_k=$now
  prog=$((left - now))
  [ $prog -gt 0 ] && progress=$((progress + 1))
  # the master applied a batch whose ack the PC never got: the resend must be a no-op
  [ "$master" -gt $((N - now)) ] && lost_acks=$((lost_acks + 1))
  left=$now
  # Steer the kill window (a stochastic approximation): aim at want/1000 batches
  # of 500 changes (cl_sync.c) acknowledged per round, so that the rest of the
  # push spreads over the kills up to 1.4·KILLS; window × ≈exp(0.2·(want - got)).
  # Once there were KILLS kills, let the push finish.
  if [ $in_push -ge $KILLS ]; then
    delay=$((delay * 3 / 2 + 1000))
  else
    kl=$((KILLS * 14 / 10 - in_push))
    want=$((left * 1000 / 500 / (kl > 0 ? kl : 1)))
    x=$((200 * ((want < 1000 ? want : 1000) - prog * 2) / 1000))
    x=$((x < -600 ? -600 : x > 200 ? 200 : x))
    delay=$((delay * (1000 + x + x * x / 2000) / 1000))
  fi
  delay=$((delay < 2000 ? 2000 : delay > 3000000 ? 3000000 : delay))
  dmin=$((delay < dmin ? delay : dmin)) dmax=$((delay > dmax ? delay : dmax))
done
echo "numbers: part 1: $kills kills in $rounds rounds, $in_push of them with the push unfinished;" \
  "$progress rounds acknowledged something ($((N - (left_at_k < 0 ? 0 : left_at_k))) changes by kill $KILLS);" \
  "$lost_acks times the master had committed a batch whose ack was lost;" \
  "kill window 1..$((dmin / 1000)) to 1..$((dmax / 1000)) ms; $((SECONDS - t0)) s"
echo "soak: server-kill points=${#POINTS[@]} kills=$in_push worst=commits_whose_ack_was_lost:$lost_acks"
check "at least $KILLS kills during the push" test $in_push -ge $KILLS
check_eq "the push finished between the kills" 0 "$left"
serve "$D" || fail "server restart"
check "final sync completes" "$KT" --profile "$P" sync
check "and again, nothing left" "$KT" --profile "$P" sync
m=$("$KTD" dump --data "$D")
check_eq "exactly $N cards on the server" "$N" "$(echo "$m" | grep -c '^org ')"
check_eq "none twice (ids unique)" "$N" "$(echo "$m" | awk '$1 == "org" {print $2}' | sort -u | wc -l)"
check_eq "each with its own name" "$N" "$(echo "$m" | grep '^org ' | grep -o 'name=Клиент [0-9]*' | sort -u | wc -l)"
check_eq "the replica equals the master" "$m" "$("$KT" --profile "$P" dump)"
check_eq "outbox empty" "0" "$(pending "$P")"
check_eq "master passes the integrity check" "ok" "$(sqlite3 "$D/master.db" 'PRAGMA integrity_check')"
kill -TERM $SRV_PID; wait $SRV_PID 2>/dev/null
check_not_contains "no sanitizer report from the server" "Sanitizer" "$(cat "$T/serve.err")"
fi

# ---- 2 and 3. power cuts ------------------------------------------------------------
# power_cuts full|normal MAX: up to MAX cycles of (new cards, sync, kill -9 as a
# power cut, compare); normal stops at the first loss. Sets CUT_N (cycles run),
# CUT_LOST (acknowledged cards missing after the cut that lost most, 0 = none),
# CUT_RISKY (cuts that came after new acks) and CUT_ACKED (acks checked in all).
power_cuts() {
  local mode=$1 max=$2 d=$T/d_$1 p=$T/p_$1 envs=(KARTOTEKAD_TEST_VFS=cut)
  [ "$mode" = normal ] && envs+=(KARTOTEKAD_TEST_SYNC=normal)
  CUT_N=0 CUT_LOST=0 CUT_RISKY=0 CUT_ACKED=0 CUT_FRESH=0
  # a template (the master with anna's PC enrolled, both stopped) that every FRESH cuts
  # replaces the pair, so that a cut's cost (the import, the sync, the dump of the master)
  # does not grow with the cuts before it
  local td=$T/tpl_$1 tp=$T/tplp_$1
  init_server "$td"; add_user "$td" anna head_of_sales
  local inv; inv=$(invite "$td") # before the start: nothing else may open the database while
  # the server runs on the cut VFS with writes unsynced (srv_cutvfs.h)
  serve "$td" "${envs[@]}" || { fail "$mode: server start" "$(tail -3 "$T/serve.err")"; return; }
  connect "$tp" "$inv" || { fail "$mode: connect"; return; }
  # a clean stop checkpoints (syncs) the enrollment, which NORMAL could lose too
  kill -TERM $SRV_PID; wait $SRV_PID 2>/dev/null
  fresh_pair() { rm -rf "$d" "$p"; cp -a "$td" "$d" && cp -a "$tp" "$p"; }
  fresh_pair || { fail "$mode: copy of the template"; return; }
  serve "$d" "${envs[@]}" || { fail "$mode: server restart" "$(tail -3 "$T/serve.err")"; return; }
  local acked_before=0 k now n_ok n_srv miss t took=60000
  while [ $CUT_N -lt "$max" ]; do
    CUT_N=$((CUT_N + 1))
    k=$((RANDOM % 700 + 1))
    { echo 'name,city'; for ((i = 0; i < k; i++)); do echo "Отрезок $mode $CUT_N-$i,Город"; done; } >"$T/cut.csv"
    "$KT" --profile "$p" import csv "$T/cut.csv" --type org >/dev/null || fail "$mode: import $CUT_N"
    t=${EPOCHREALTIME/./}
    "$KT" --profile "$p" sync >/dev/null 2>&1 &
    CL=$!
    if ((CUT_N % 2)); then
      wait $CL 2>/dev/null
      took=$((${EPOCHREALTIME/./} - t))
    else # anywhere in 1.5 times the last whole sync
      nap_us $(((RANDOM * 32768 + RANDOM) % (took * 3 / 2 + 1)))
    fi
    crash
    wait $CL 2>/dev/null
    # acknowledged = the PC's cards that left its outbox (it drops entries only on an ack)
    now=$(pending "$p")
    sqlite3 "$p/replica.db" "SELECT id FROM t_org WHERE rowid NOT IN (SELECT rid FROM outbox)" |
      LC_ALL=C sort >"$T/acked"
    n_ok=$(wc -l <"$T/acked")
    [ $(($(sqlite3 "$p/replica.db" 'SELECT count(*) FROM t_org') - ${now:-0})) -eq "$n_ok" ] ||
      fail "$mode: status --json pending ($now) does not match the outbox"
    [ "$n_ok" -gt $acked_before ] && CUT_RISKY=$((CUT_RISKY + 1))
    acked_before=$n_ok
    CUT_ACKED=$((CUT_ACKED + n_ok))
    # what the restart recovers (read with the server stopped)
    "$KTD" dump --data "$d" | awk '$1 == "org" {print $2}' | LC_ALL=C sort >"$T/onserver"
    n_srv=$(wc -l <"$T/onserver")
    miss=$(LC_ALL=C comm -23 "$T/acked" "$T/onserver" | wc -l)
    if [ "$miss" -gt 0 ]; then
      echo "$mode: cut $CUT_N lost $miss acknowledged cards (PC: $n_ok acknowledged, $now pending; server: $n_srv)"
      [ "$miss" -gt $CUT_LOST ] && CUT_LOST=$miss
      [ "$mode" = normal ] && return
    fi
    # every FRESH cuts (not after the last: the checks below go on with this pair) a new
    # pair from the template, the server stopped
    if [ $((CUT_N % FRESH)) -eq 0 ] && [ $CUT_N -lt "$max" ]; then
      fresh_pair || { fail "$mode: copy of the template after cut $CUT_N"; return; }
      acked_before=0 CUT_FRESH=$((CUT_FRESH + 1))
    fi
    serve "$d" "${envs[@]}" || { fail "$mode: restart after cut $CUT_N" "$(tail -3 "$T/serve.err")"; return; }
  done
}

if [[ $PARTS == *2* ]]; then
t0=$SECONDS
: >"$T/serve.err"
power_cuts full "$CUTS"
echo "soak: master-cut cuts=$CUT_N risky=$CUT_RISKY worst=lost:$CUT_LOST"
echo "numbers: part 2: synchronous=FULL: $CUT_N power cuts, $CUT_RISKY right after new acks," \
  "$CUT_ACKED acknowledged-card checks, lost $CUT_LOST; $CUT_FRESH fresh starts;" \
  "$((SECONDS - t0)) s ($((SECONDS - t0 > 0 ? (SECONDS - t0) * 1000 / (CUT_N > 0 ? CUT_N : 1) : 0)) ms a cut)"
check_contains "the server ran on the cut VFS" "KARTOTEKAD_TEST_VFS=cut" "$(cat "$T/serve.err")"
check_eq "FULL: $CUT_N power cuts lost no acknowledged change" 0 $CUT_LOST
check "FULL: a third or more of the cuts came right after new acks" test $CUT_RISKY -ge $((CUT_N / 3))
check "FULL: sync completes after the last cut" "$KT" --profile "$T/p_full" sync
crash # one more cut
check_eq "FULL: the replica equals the master after one more cut" "$("$KTD" dump --data "$T/d_full")" \
  "$("$KT" --profile "$T/p_full" dump)"
check_eq "FULL: master passes the integrity check" "ok" "$(sqlite3 "$T/d_full/master.db" 'PRAGMA integrity_check')"
check_not_contains "no sanitizer report from the server" "Sanitizer" "$(cat "$T/serve.err")"
fi

if [[ $PARTS == *3* ]]; then
t0=$SECONDS
: >"$T/serve.err"
power_cuts normal "$NORMAL_MAX"
echo "soak: master-cut-normal cuts=$CUT_N worst=caught_at:$CUT_N"
echo "numbers: part 3: synchronous=NORMAL: lost $CUT_LOST acknowledged cards at power cut $CUT_N" \
  "(budget $NORMAL_MAX; $CUT_RISKY cuts right after new acks); $((SECONDS - t0)) s"
check_contains "the server ran with synchronous=NORMAL" "KARTOTEKAD_TEST_SYNC=normal" "$(cat "$T/serve.err")"
check "NORMAL: the harness catches a lost acknowledged push" test $CUT_LOST -gt 0
crash
check_not_contains "no sanitizer report from the server" "Sanitizer" "$(cat "$T/serve.err")"
fi
finish
