#!/usr/bin/env bash
# make soak (issue 20): the crash, power-cut, convergence and fuzz harnesses of
# make check, run at the scale they promise. Not part of make check.
#   SOAK_MINUTES=M  bounds the whole run (60). The counts below are the issue's at 60
#                   minutes and scale with M (a shorter run proves proportionally less).
#                   Schedule: three lanes at once beside the fuzzers (nice 19, the whole
#                   run, the same time each): lane 1 the kill parts one after the other,
#                   lane 2 the power cuts, lane 3 SOAK_CONVERGE_JOBS (3) convergence runs at
#                   a time until the rounds are done; each part stops at its count, so the
#                   fuzzers get the CPU the parts leave and, once they are done, both cores
#   SOAK_SEED=N     the run's seed (printed); each part's seed is derived from it and printed
#   KT_SEED=N tests/soak/run.sh PART   replays one part with that part's printed seed
#   tests/soak/run.sh [PART...]        runs only those parts (names in the table)
# Parts (each reuses a make check harness, parametrised through the environment):
#   server-kill        tests/integ/server_crash.sh part 1: kill -9 of the server at >= 300
#                      distinct points (0.1 ms steps into a push), 10,000 changes, none lost or doubled
#   client-kill-pull   tests/integ/client_kill.sh: kill -9 of a PC at >= 300 points of a pull
#   client-kill-import tests/soak/import_kill.sh: kill -9 of a PC at >= 300 points of an import
#   master-cut         server_crash.sh parts 2 and 3: >= 1,000 power cuts of the master on
#                      the cut VFS under FULL, and the self-check that NORMAL is caught
#   replica-cut        tests/soak/replica_cut.sh: >= 1,000 power cuts of a replica (kt_cutvfs
#                      in `kartoteka` through tests/soak/cutvfs_preload.c) during edits and pulls
#   client-kill-handover tests/soak/handover_kill.sh: kill -9 of the administrator's PC at
#                      >= 300 points of a hand-over of 200 clients, each followed by a rerun
#   client-kill-mail   tests/soak/mail_kill.sh: kill -9 of a PC at >= 300 points of a mailing
#   converge-rights    tests/integ/converge_rights.sh with 8 PCs, runs of 20 rounds (a clean
#                      checkpoint every 10) through the fault proxy, SOAK_CONVERGE_JOBS runs at
#                      a time (own folders, ports picked at run time) until >= 2,000 rounds in
#                      all; SOAK_CONVERGE_ROUNDS=N rounds per run
#   hostile            tests/integ/hostile.sh, the randomized hostile pusher, scaled
#   fuzz-NAME          every libFuzzer target of tests/fuzz (make fuzz-build), all at once
#                      for the whole run; new inputs in build/fuzz/corpus/NAME, crashes
#                      named build/fuzz/artifacts/NAME-crash-<sha1>
# Logs: build/soak/<part>.log (converge-rights: one per job, joined at the end). Exit status 0 only if every part passed.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-debug}
export KT_BUILD_DIR="$PWD/build/$BUILD" KT_BIN="$PWD/build/$BUILD/bin"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
MIN=${SOAK_MINUTES:-60}
SEED=${SOAK_SEED:-$(( ((RANDOM << 15) | RANDOM) % 1000000 + 1 ))}
LOG=build/soak
mkdir -p "$LOG"
t_start=$SECONDS
deadline=$((t_start + MIN * 60))
echo "soak: $MIN minutes, seed $SEED (SOAK_SEED=$SEED repeats the run)"
# scale N: the count N asked for at 60 minutes, for this run's length (at least LOW)
scale() { local n=$(($1 * MIN / 60)); echo $((n < $2 ? $2 : n)); }
part_seed() { # PART: KT_SEED if given (a replay), else derived from the run's seed
  if [ -n "${KT_SEED:-}" ]; then echo "$KT_SEED"; return; fi
  echo $(( (SEED * 7919 + $(printf '%s' "$1" | cksum | cut -d' ' -f1)) % 1000000 + 1 ))
}
want() { [ ${#ONLY[@]} -eq 0 ] && return 0; local p; for p in "${ONLY[@]}"; do [[ $1 == "$p" ]] && return 0; done; return 1; }
ONLY=("$@")
ROWF=$LOG/rows; : >"$ROWF"  # "part|runs|failures|worst|seconds", one line a part (the lanes are subshells)

# run_script PART SCRIPT VAR=VALUE...: one run of an integration script; sets R_PASS,
# R_FAIL (FAIL lines, or 1 for a bad exit without one, plus sanitizer reports), R_SOAK
# (its last "soak:" line) and R_RC (its exit status). The counts are over the part's log.
run_script() {
  local part=$1 sh=$2 log=$LOG/$1.log rc; shift 2
  # its CPU (with every process it waited for) added up in $LOG/PART.cpu
  /usr/bin/time -f 'cpu_seconds %U %S' -o "$log.time" env "$@" bash "$sh" >>"$log" 2>&1; rc=$?
  grep '^cpu_seconds' "$log.time" >>"$LOG/$part.cpu"; rm -f "$log.time"
  R_RC=$rc
  R_PASS=$(grep -c '^PASS: ' "$log"); R_FAIL=$(grep -c '^FAIL: ' "$log")
  [ $rc -ne 0 ] && [ "$R_FAIL" -eq 0 ] && R_FAIL=1
  grep -qE 'runtime error:|ERROR: (Address|Leak)Sanitizer' "$log" && R_FAIL=$((R_FAIL + 1))
  R_SOAK=$(grep '^soak: ' "$log" | tail -1)
}
cpu_s() { cat "$@" 2>/dev/null | awk '{ t += $2 + $3 } END { printf "%d", t }'; } # FILE...: CPU-s in them
field() { [[ " $2 " =~ \ $1=([^ ]*) ]] && echo "${BASH_REMATCH[1]}"; } # KEY "soak: line"
row() { # PART RUNS FAILED WORST SECONDS [CPU-S]
  printf '%s|%s|%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" "$5" "${6:-$(cpu_s "$LOG/$1.cpu")}" >>"$ROWF"
  echo "soak: $1: runs $2, failed $3, worst $4 ($5 s; log $LOG/$1.log)"
}
one() { # PART SCRIPT MINIMUM-FIELD VAR=VALUE...: a part that is one run of a script
  local part=$1 sh=$2 key=$3 t0=$SECONDS s; shift 3
  want "$part" || return 0
  s=$(part_seed "$part"); : >"$LOG/$part.log"; : >"$LOG/$part.cpu"
  echo "soak: $part (seed $s; replay: KT_SEED=$s tests/soak/run.sh $part)"
  run_script "$part" "$sh" KT_SEED="$s" "$@"
  row "$part" "$(field "$key" "$R_SOAK") $key" "$R_FAIL" "$(field worst "$R_SOAK")" $((SECONDS - t0))
}

# fuzz: every target, all at once and for the whole run (nice 19: they take the CPU the
# harnesses leave; each gets the same share); their rows come at the end
FUZZ_NAMES=$(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')
fz=(); for f in $FUZZ_NAMES; do want "fuzz-$f" && fz+=("$f"); done
declare -A FPID=()
LANES=()
trap 'for p in "${FPID[@]}" "${LANES[@]}"; do kill "$p" 2>/dev/null; done' EXIT
if [ ${#fz[@]} -gt 0 ]; then
  if ! nice make --no-print-directory fuzz-build >"$LOG/fuzz-build.log" 2>&1; then
    row fuzz-build 1 1 "see $LOG/fuzz-build.log" 0; fz=()
  fi
  fuzz_s=$((deadline - SECONDS - 30)); [ $fuzz_s -lt 60 ] && fuzz_s=60
  [ ${#fz[@]} -gt 0 ] && echo "soak: fuzzing ${fz[*]} for $fuzz_s s each, all at once beside the other parts"
  for f in "${fz[@]}"; do
    mkdir -p "build/fuzz/corpus/$f" build/fuzz/artifacts
    s=$(part_seed "fuzz-$f")
    echo "soak: fuzz-$f (seed $s; replay: KT_SEED=$s tests/soak/run.sh fuzz-$f)"
    /usr/bin/time -f 'cpu_seconds %U %S' -o "$LOG/fuzz-$f.time" nice -n 19 build/fuzz/fuzz_"$f" -seed="$s" \
      -max_total_time="$fuzz_s" -max_len=70000 -print_final_stats=1 -artifact_prefix="build/fuzz/artifacts/$f-" \
      "build/fuzz/corpus/$f" "tests/fuzz/corpus/$f" >"$LOG/fuzz-$f.log" 2>&1 &
    FPID[$f]=$!
  done
fi

# lane 1: kill -9 at points of a push, a pull, an import, a hand-over, a mailing (the
# asked kills are more than 300 because not every kill hits a running operation: the
# pull's, hand-over's and mailing's kill windows follow the machine's speed, and about
# 85 % of their kills hit; two kills may share a 0.1 ms point)
lane_kills() {
  one server-kill tests/integ/server_crash.sh points KT_CRASH_PARTS=1 KT_CRASH_KILLS="$(scale 330 20)"
  one client-kill-pull tests/integ/client_kill.sh points KT_KILL_N=10000 KT_KILL_SPREAD=110 KT_KILL_ROUNDS="$(scale 450 20)"
  one client-kill-import tests/soak/import_kill.sh points KT_IMPORT_KILLS="$(scale 400 20)"
  one client-kill-handover tests/soak/handover_kill.sh points KT_HANDOVER_KILLS="$(scale 460 20)"
  one client-kill-mail tests/soak/mail_kill.sh points KT_MAIL_KILLS="$(scale 440 20)"
  if want hostile; then
    local t0=$SECONDS s pushes; s=$(part_seed hostile); : >"$LOG/hostile.log"; : >"$LOG/hostile.cpu"
    echo "soak: hostile (seed $s; replay: KT_SEED=$s tests/soak/run.sh hostile)"
    pushes=$(scale 50000 4000)
    run_script hostile tests/integ/hostile.sh KT_SEED="$s" KT_PUSHES="$pushes" KT_HOSTILE_SECONDS=$((MIN * 60 / 20))
    row hostile "$pushes pushes" "$R_FAIL" "-" $((SECONDS - t0))
  fi
}
# lane 2: the power cuts of the master (FULL, then the NORMAL self-check) and of a replica
lane_cuts() {
  one master-cut tests/integ/server_crash.sh cuts KT_CRASH_PARTS=2 KT_CRASH_CUTS="$(scale 1000 30)"
  one master-cut-normal tests/integ/server_crash.sh cuts KT_CRASH_PARTS=3
  # the replica's power cuts: kartoteka under kt_cutvfs through an LD_PRELOAD shim
  if want replica-cut; then
    cc -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g -shared -fPIC -Iserver -o "$LOG/cutvfs_preload.so" \
      tests/soak/cutvfs_preload.c server/srv_cutvfs.c -lsqlite3 -lpthread >"$LOG/replica-cut.log" 2>&1 ||
      row replica-cut 0 1 "the shim does not build (see $LOG/replica-cut.log)" 0
  fi
  [ -f "$LOG/cutvfs_preload.so" ] &&
    one replica-cut tests/soak/replica_cut.sh cuts KT_REPLICA_CUTS="$(scale 1000 30)" KT_CUTVFS_SHIM="$PWD/$LOG/cutvfs_preload.so"
}

# lane 3, converge-rights: runs of 20 rounds, JOBS at a time (a run is mostly waiting: the
# proxy's slow connections pace its syncs; 20 rounds took 26 s and 13 CPU-s here), until
# the rounds asked for are done; each job takes every JOBS-th run (run i: seed base +
# i * 104729). Each PC's operations go through one `kartoteka batch` process (KT_BATCH=1).
# 20 rounds pay the server's start and the 8 enrollments (2-4 s) less often than 10; much
# longer runs cost more per round, not less: the cards pile up, and every role change
# re-sends a user's whole scope through the proxy's slow connections (50-round runs:
# 2.6-4.4 s a round)
crounds=${SOAK_CONVERGE_ROUNDS:-20} cevery=$(( ${SOAK_CONVERGE_ROUNDS:-20} >= 20 ? 10 : 5 ))
cjobs=${SOAK_CONVERGE_JOBS:-3}; [ -n "${KT_SEED:-}" ] && cjobs=1
cwant=$(scale 2000 40)
# converge_job J: job J's runs; its log $LOG/converge-rights.J.log, its sums in .J.sum
converge_job() {
  local j=$1 part=converge-rights.$1 t0=$SECONDS runs=0 rounds=0 fails=0 worst=0 flines=0 s r nl f per i
  local quota=$(( (cwant + cjobs - 1) / cjobs )) base; base=$(part_seed converge-rights)
  : >"$LOG/$part.log"; : >"$LOG/$part.cpu"
  while :; do
    i=$((runs * cjobs + j)); s=$(( (base + i * 104729) % 1000000 + 1 ))
    [ -n "${KT_SEED:-}" ] && s=$KT_SEED # a replay runs the printed seed itself
    echo "soak: converge-rights run $((i + 1)) (seed $s; replay: KT_SEED=$s KT_PCS=8 KT_ROUNDS=$crounds KT_CHECK_EVERY=$cevery tests/integ/converge_rights.sh)"
    echo "==== run $((i + 1)) seed $s" >>"$LOG/$part.log"
    run_script "$part" tests/integ/converge_rights.sh KT_SEED="$s" KT_PCS=8 KT_ROUNDS="$crounds" KT_CHECK_EVERY="$cevery"
    r=$(field rounds "$R_SOAK"); runs=$((runs + 1)) rounds=$((rounds + ${r:-0}))
    # this run's failures: its FAIL lines (the log holds every run's), or 1 for a bad exit
    # without one (that is not lost when a later run passes)
    nl=$(grep -c '^FAIL: ' "$LOG/$part.log"); f=$(( nl - flines )); flines=$nl
    [ "$R_RC" -ne 0 ] && [ $f -eq 0 ] && f=1
    fails=$((fails + f)); [ $f -gt $worst ] && worst=$f
    [ -n "${KT_SEED:-}" ] && break
    [ $rounds -ge $quota ] && break
    per=$(( (SECONDS - t0) / runs )) # another run only if it fits before the deadline
    [ $((SECONDS + per + 30)) -lt $deadline ] || break
  done
  grep -qE 'runtime error:|ERROR: (Address|Leak)Sanitizer' "$LOG/$part.log" && [ $fails -eq 0 ] && fails=1
  echo "$runs $rounds $fails $worst" >"$LOG/$part.sum"
}
lane_converge() {
  want converge-rights || return 0
  local t0=$SECONDS j runs=0 rounds=0 fails=0 worst=0 a b c d pids=()
  echo "soak: converge-rights: $cwant rounds asked, $cjobs runs of $crounds at a time"
  for ((j = 0; j < cjobs; j++)); do converge_job $j & pids+=($!); done
  wait "${pids[@]}"
  : >"$LOG/converge-rights.log"
  for ((j = 0; j < cjobs; j++)); do
    read -r a b c d <"$LOG/converge-rights.$j.sum" 2>/dev/null || { a=0 b=0 c=1 d=1; }
    runs=$((runs + a)) rounds=$((rounds + b)) fails=$((fails + c)); [ "$d" -gt $worst ] && worst=$d
    cat "$LOG/converge-rights.$j.log" >>"$LOG/converge-rights.log"
  done
  row converge-rights "$rounds rounds ($runs runs x 8 PCs)" "$fails" "failed_checks_in_a_run:$worst" $((SECONDS - t0)) \
    "$(cpu_s "$LOG"/converge-rights.[0-9]*.cpu)"
}

lane_kills & LANES+=($!)
lane_cuts & LANES+=($!)
lane_converge & LANES+=($!)
wait "${LANES[@]}"
harness_s=$SECONDS

# the fuzzers' rows (they stop at the run's deadline; 10 CPU-minutes each asked at 60 minutes)
fuzz_cpu_want=$(awk -v m="$MIN" 'BEGIN { printf "%.1f", 10 * m / 60 }')
for f in "${fz[@]}"; do
  wait "${FPID[$f]}"; rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOG/fuzz-$f.log" | tail -1)
  crash=$(sed -n 's/.*Test unit written to \(build\/fuzz\/artifacts\/[^ ]*\).*/\1/p' "$LOG/fuzz-$f.log" | head -1)
  cov=$(grep -oE 'cov: [0-9]+' "$LOG/fuzz-$f.log" | tail -1)
  # (time writes "Command exited with non-zero status N" first when the fuzzer found something)
  read -r _ u sy < <(grep '^cpu_seconds' "$LOG/fuzz-$f.time" 2>/dev/null)
  cpu=$(awk -v u="${u:-0}" -v s="${sy:-0}" 'BEGIN { printf "%.1f", (u + s) / 60 }')
  row "fuzz-$f" "${execs:-0} execs, $cpu CPU-min (of $fuzz_cpu_want)" $((rc != 0)) "${crash:-no crash; ${cov:-cov ?}}" "$fuzz_s" \
    "$(awk -v u="${u:-0}" -v s="${sy:-0}" 'BEGIN { printf "%d", u + s }')"
done

total=$((SECONDS - t_start))
echo
echo "soak: $MIN minutes asked, $((total / 60)) min $((total % 60)) s taken (the counted parts $((harness_s - t_start)) s), seed $SEED"
printf '%-22s | %-40s | %-8s | %-7s | %-6s | %s\n' part runs failures seconds CPU-s "worst case seen"
printf '%s\n' "-----------------------+------------------------------------------+----------+---------+--------+------------------------"
nfail=0
ORDER=(fuzz-build server-kill client-kill-pull client-kill-import client-kill-handover client-kill-mail hostile
  master-cut master-cut-normal replica-cut converge-rights)
for f in $FUZZ_NAMES; do ORDER+=("fuzz-$f"); done
for o in "${ORDER[@]}"; do
  while IFS='|' read -r p n f w t c; do
    [ "$p" = "$o" ] || continue
    printf '%-22s | %-40s | %-8s | %-7s | %-6s | %s\n' "$p" "$n" "$f" "$t" "$c" "$w"
    [ "$f" = 0 ] || nfail=$((nfail + 1))
  done <"$ROWF"
done
echo "soak: CPU-s: what each part's processes used (those it waited for), of $(($(nproc) * total)) CPU-s the run had on $(nproc) cores"
[ $nfail -eq 0 ] && echo "soak: all parts passed" || echo "soak: $nfail part(s) failed (logs in $LOG/)"
[ $nfail -eq 0 ]
