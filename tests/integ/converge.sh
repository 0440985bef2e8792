#!/usr/bin/env bash
# Randomized convergence: several PCs (four profiles at the start: anna, boris,
# vera and a second PC of anna's; gleb joins halfway) add, edit (often the same
# field of the same card on different PCs), delete and restore cards, add and
# rename custom fields, and sync in random order through a fault proxy that
# slows, cuts and resets connections; some syncs are killed with kill -9, some
# run while the same PC keeps editing, some PCs run `sync --watch` for a round.
# A failed sync is allowed; losing data is not. After a clean final round every
# replica's dump equals the master's byte for byte, every card added exists
# exactly once (but one deleted on its PC before it was ever sent, which never
# reaches the server), and every field and trash state written by only one PC
# holds that PC's last value.
#   KT_SEED=N      rerun one scenario (the seed is printed; timing still varies)
#   KT_CLIENTS=N   profiles at the start (4 or 5)    KT_ROUNDS=N rounds (6)
#   KT_OPS=N       operations per PC and round (6)   KT_KEEP=1 keep a failed run's files
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
LIB=$(cd "$(dirname "$0")/../lib" && pwd)
SEED=${KT_SEED:-$(( ((RANDOM << 15) | RANDOM) % 1000000 + 1 ))}
echo "seed=$SEED (rerun: KT_SEED=$SEED tests/run.sh converge)"
RANDOM=$SEED
NCL=${KT_CLIENTS:-4}; ROUNDS=${KT_ROUNDS:-6}; OPS=${KT_OPS:-6}
ALLP=(anna boris vera anna2 gleb dina)        # profiles (one more joins halfway)
declare -A USER=([anna]=anna [boris]=boris [vera]=vera [anna2]=anna [gleb]=gleb [dina]=dina)
P=("${ALLP[@]:0:NCL}")
USERS=(anna boris vera gleb dina)
t_start=$(date +%s%N)

D=$T/data
init_server "$D"
for u in "${USERS[@]}"; do add_user "$D" "$u" administrator; done
start_server "$D"
echo off >"$T/faults"
/usr/bin/python3 "$LIB/faultproxy.py" --target "$SRV_ADDR" --seed "$SEED" \
  --faults-file "$T/faults" >"$T/proxy.log" 2>&1 &
_bg_pids+=($!)
for _ in $(seq 100); do grep -q '^listening' "$T/proxy.log" 2>/dev/null && break; sleep 0.05; done
PROXY=$(sed -n 's/^listening //p' "$T/proxy.log")
[ -n "$PROXY" ] || { echo "FAIL: the fault proxy did not start: $(cat "$T/proxy.log")"; exit 1; }
# every PC enrolls through the proxy (faults off), so its profile names the proxy
for p in "${P[@]}"; do
  inv=$("$KTD" invite --data "$D" --user "${USER[$p]}" --address "$PROXY")
  "$KT" --profile "$T/$p" connect --invite "$inv" --password-file "$T/pw" >/dev/null ||
    { echo "FAIL: enroll $p"; exit 1; }
done
check_eq "profiles talk to the proxy" "$PROXY" "$("$KT" --profile "$T/anna" status --json | json 'd["server"]')"

# ---- helpers ---------------------------------------------------------------------
# k PROFILE ARGS...: one CLI command, its stderr kept in the profile's log
k() { echo "+ ${*:2}" >>"$T/$1.log"; "$KT" --profile "$T/$1" "${@:2}" 2>>"$T/$1.log"; }
# R=random in [0,N)
rnd() { R=$((RANDOM % $1)); }
OPS_LOG=$T/ops.log   # round \t profile \t op \t id \t field \t value
oplog() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$@" >>"$OPS_LOG"; }
nops=0; nbadops=0; badop=""
badop() { nbadops=$((nbadops+1)); [ -n "$badop" ] || badop="$1: $(tail -3 "$T/$2.log" | tr '\n' ' ')"; }

WORDS=(Москва Казань Тверь Łódź Kraków Gdańsk "New York" Самара Ёлкино Żółć)
declare -A FIELDS=([org]="city industry region comment phone temperature employees owner"
                   [contact]="position city comment phone_mobile last_name"
                   [task]="description status priority title")
declare -A HOT=([org]="city comment" [contact]="position" [task]="status description")
# value FIELD TAG: sets V to a random value for FIELD
value() {
  rnd 100
  case $1 in
    temperature) local c=(cold warm hot); V=${c[R % 3]} ;;
    status) local c=(open in_progress done cancelled); V=${c[R % 4]} ;;
    priority) local c=(low normal high); V=${c[R % 3]} ;;
    employees) V=$((R * 37 + RANDOM % 7)) ;;
    owner) V=${USERS[R % ${#USERS[@]}]} ;;
    phone|phone_mobile) V="+7 9$((R % 90 + 10)) $((RANDOM % 900 + 100))-$((RANDOM % 90 + 10))" ;;
    name|title|last_name) V="${WORDS[R % ${#WORDS[@]}]} $2" ;;
    *) if [ $R -lt 8 ]; then V=""                                # clear the field
       elif [ $R -lt 40 ]; then V=${WORDS[R % ${#WORDS[@]}]}     # shared words: equal values
       else V="${WORDS[R % ${#WORDS[@]}]} $2"; fi ;;
  esac
}

# the cards and custom fields a profile's replica holds now (sqlite3, read only)
sq() { sqlite3 -cmd '.timeout 3000' "$T/$1/replica.db" "$2" 2>>"$T/$1.log"; }
ADDED=()   # "type id" of every add, in order
known() {
  mapfile -t CARDS < <(sq "$1" "SELECT 'org', id, coalesce(deleted,0) FROM t_org UNION ALL
    SELECT 'contact', id, coalesce(deleted,0) FROM t_contact UNION ALL
    SELECT 'task', id, coalesce(deleted,0) FROM t_task")
}

op_add() {
  local p=$1 t sets=() id f
  rnd 10; if [ $R -lt 4 ]; then t=org; elif [ $R -lt 7 ]; then t=contact; else t=task; fi
  local tag="$p-$round-$nops"
  case $t in
    org) value name "$tag"; sets=(name "$V"); value city "$tag"; sets+=(city "$V") ;;
    contact) value last_name "$tag"; sets=(last_name "$V"); value position "$tag"; sets+=(position "$V")
      local orgs=(); for c in "${CARDS[@]}"; do [[ $c == org\|* ]] && orgs+=("${c#org|}"); done
      if [ ${#orgs[@]} -gt 0 ]; then rnd ${#orgs[@]}; sets+=(org "${orgs[R]%|*}"); fi ;;
    task) value title "$tag"; sets=(title "$V"); value status x; sets+=(status "$V")
      value owner x; sets+=(assignee "$V") ;;
  esac
  local args=() i
  for ((i = 0; i < ${#sets[@]}; i += 2)); do args+=(--set "${sets[i]}=${sets[i+1]}"); done
  if id=$(k "$p" add $t "${args[@]}"); then
    ADDED+=("$t $id")
    oplog "$p" add "$id" type "$t"
    for ((i = 0; i < ${#sets[@]}; i += 2)); do oplog "$p" set0 "$id" "${sets[i]}" "${sets[i+1]}"; done
  else badop "add $t" "$p"; fi
}

# picks a card the profile holds: often one of the first few cards (hot: the
# same card edited on several PCs), else any
pick_card() {
  local n=${#CARDS[@]} hot=$(( ${#CARDS[@]} < 4 ? ${#CARDS[@]} : 4 ))
  rnd 2
  if [ $R -eq 0 ]; then rnd $hot; else rnd $n; fi
  IFS='|' read -r CT CID CDEL <<<"${CARDS[R]}"
}

op_edit() {
  local p=$1 f fl
  pick_card
  rnd 2
  if [ $R -eq 0 ]; then fl=(${HOT[$CT]}); else fl=(${FIELDS[$CT]}); fi
  rnd ${#fl[@]}; f=${fl[R]}
  # sometimes a custom field of this type the replica knows
  local cfs; mapfile -t cfs < <(sq "$p" "SELECT name FROM t_field_def WHERE etype='$CT' AND name LIKE 'cf%'")
  if [ ${#cfs[@]} -gt 0 ]; then rnd 3; if [ $R -eq 0 ]; then rnd ${#cfs[@]}; f=${cfs[R]}; fi; fi
  value "$f" "$p-$round-$nops"
  if k "$p" edit "$CID" --set "$f=$V" >/dev/null; then oplog "$p" set "$CID" "$f" "$V"
  else badop "edit $CT.$f" "$p"; fi
}

# a sync of this PC running meanwhile (in the background, or --watch) may have
# brought a colleague's delete or restore of the card since it was read: then
# "already in the trash" / "not in the trash" is the right answer, not a failure
moved_meanwhile() {
  [ -n "${BG[$1]:-}${WATCH[$1]:-}" ] && tail -1 "$T/$1.log" | grep -qE "(already|not) in the trash"
}
op_trash() {
  local p=$1
  pick_card
  if [ "$CDEL" = 1 ]; then
    if k "$p" restore "$CID" >/dev/null; then oplog "$p" set "$CID" deleted 0
    elif ! moved_meanwhile "$p"; then badop restore "$p"; fi
  else
    if k "$p" delete "$CID" >/dev/null; then oplog "$p" set "$CID" deleted 1
    elif ! moved_meanwhile "$p"; then badop delete "$p"; fi
  fi
}

declare -A NCF=()
op_field() {
  local p=$1 t
  rnd 3; t=(org contact task); t=${t[R]}
  local name="cf${NCF[$p]:-0}_$p"
  if k "$p" field add "$t" --name "$name" --label "Поле $name" --type text >/dev/null; then
    NCF[$p]=$(( ${NCF[$p]:-0} + 1 )); oplog "$p" field "-" "$t" "$name"
  else badop "field add" "$p"; fi
}

# renames a custom field this replica knows (its definition record changes, so it
# moves to the end of the server's feed, after the cards that use the field)
op_label() {
  local p=$1 cfs
  mapfile -t cfs < <(sq "$p" "SELECT etype||' '||name FROM t_field_def WHERE name LIKE 'cf%'")
  [ ${#cfs[@]} -gt 0 ] || { op_edit "$p"; return; }
  rnd ${#cfs[@]}; set -- $p ${cfs[R]}
  if k "$p" field label "$2" "$3" --label "Поле $3 ($p-$round-$nops)" >/dev/null; then
    oplog "$p" label "-" "$2" "$3"
  else badop "field label" "$p"; fi
}

do_op() {
  local p=$1
  nops=$((nops+1))
  known "$p"
  rnd 100
  if [ ${#CARDS[@]} -eq 0 ] || [ $R -lt 28 ]; then op_add "$p"
  elif [ $R -lt 75 ]; then op_edit "$p"
  elif [ $R -lt 93 ]; then op_trash "$p"
  elif [ $R -lt 96 ]; then op_label "$p"
  elif [ "${NCF[$p]:-0}" -lt 2 ]; then op_field "$p"
  else op_edit "$p"; fi
}

# syncs: in the foreground, killed with -9 after a random moment, or in the
# background while the same PC keeps working
nsync=0; nsync_fail=0; nkill=0; nbg=0
declare -A BG=() WATCH=()
# syncs still running when the script stops are killed too (only those: a pid
# that was waited for may belong to another process by then)
trap 'for p_ in "${BG[@]}" "${WATCH[@]}"; do kill -KILL "$p_" 2>/dev/null; done; _cleanup' EXIT
# the process itself in the background ($! is kartoteka, not a subshell, so kill -9 hits it)
ksync_bg() { echo "+ sync (background)" >>"$T/$1.log"; "$KT" --profile "$T/$1" sync >/dev/null 2>>"$T/$1.log" & }
sync_rc() { # PROFILE RC
  nsync=$((nsync+1))
  if [ "$2" -eq 137 ]; then nkill=$((nkill+1))   # died of the kill -9
  elif [ "$2" -ne 0 ]; then nsync_fail=$((nsync_fail+1)); fi
}
bg_wait() {
  local p=$1 pid=${BG[$p]:-}
  [ -n "$pid" ] || return 0
  unset "BG[$p]"
  rnd 4
  [ $R -eq 0 ] && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null; sync_rc "$p" $?
}
do_sync() {
  local p=$1
  [ -n "${WATCH[$p]:-}" ] && return 0   # `sync --watch` syncs this PC during this round
  bg_wait "$p"
  rnd 10
  if [ $R -lt 6 ]; then
    local t0=$(date +%s%N)
    k "$p" sync >/dev/null; sync_rc "$p" $?
    echo $(( ($(date +%s%N) - t0) / 1000000 )) >>"$T/sync_ms"
  elif [ $R -lt 8 ]; then
    ksync_bg "$p"
    local pid=$!
    rnd 80; sleep "$(printf '0.%03d' $R)"   # a sync takes ~15-100 ms
    kill -KILL $pid 2>/dev/null
    wait $pid 2>/dev/null; sync_rc "$p" $?
  else
    ksync_bg "$p"
    BG[$p]=$!; nbg=$((nbg+1))
  fi
}

# some rounds a PC runs `sync --watch` (the agent's loop: one long-lived process
# that reconnects after each cut and syncs local edits and colleagues' news)
nwatch=0; nwatch_bad=0
watch_start() {
  echo "+ sync --watch (background)" >>"$T/$1.log"
  "$KT" --profile "$T/$1" sync --watch >/dev/null 2>>"$T/$1.log" &
  WATCH[$1]=$!; nwatch=$((nwatch+1))
}
watch_stop() {
  local p=$1 pid=${WATCH[$1]:-} rc
  [ -n "$pid" ] || return 0
  unset "WATCH[$p]"
  rnd 4
  if [ $R -eq 0 ]; then kill -KILL "$pid" 2>/dev/null; else kill -TERM "$pid" 2>/dev/null; fi
  wait "$pid" 2>/dev/null; rc=$?
  case $rc in 0|137|143) ;; *) nwatch_bad=$((nwatch_bad+1)); echo "watch of $p ended with $rc" ;; esac
}

# ---- the rounds --------------------------------------------------------------------
echo on >"$T/faults"
# halfway a new PC joins (enrolling through the faulty proxy: a cut enrollment
# is tried again with a new invite) and starts from an empty replica
LATE=${ALLP[NCL]:-}
late_join() {
  local p=$1 i inv
  for i in $(seq 10); do
    inv=$("$KTD" invite --data "$D" --user "${USER[$p]}" --address "$PROXY")
    echo "+ connect (try $i)" >>"$T/$p.log"
    if "$KT" --profile "$T/$p" connect --invite "$inv" --password-file "$T/pw" >/dev/null 2>>"$T/$p.log"
    then P+=("$p"); echo "$p joined (enrollment try $i)"; return 0; fi
    rm -rf "${T:?}/$p"
  done
  fail "$p could not enroll through the proxy in 10 tries"
}

for ((round = 1; round <= ROUNDS; round++)); do
  [ -n "$LATE" ] && [ $round -eq $((ROUNDS / 2 + 1)) ] && late_join "$LATE"
  # each round and each event draws from its own seed, so what one sync happened
  # to bring (timing) changes the later choices as little as possible
  rseed=$(( (SEED * 7919 + round) & 0x7fffffff )); RANDOM=$rseed
  for p in "${P[@]}"; do rnd 5; [ $R -eq 0 ] && watch_start "$p"; done
  ev=()
  for p in "${P[@]}"; do
    for ((i = 0; i < OPS; i++)); do ev+=("op $p"); done
    ev+=("sync $p"); rnd 2; [ $R -eq 0 ] && ev+=("sync $p")
  done
  for ((i = ${#ev[@]} - 1; i > 0; i--)); do  # Fisher-Yates with bash's seeded RANDOM
    rnd $((i + 1)); tmp=${ev[i]}; ev[i]=${ev[R]}; ev[R]=$tmp
  done
  for ((i = 0; i < ${#ev[@]}; i++)); do
    RANDOM=$(( rseed * 1000 + i ))
    set -- ${ev[i]}
    if [ "$1" = op ]; then do_op "$2"; else do_sync "$2"; fi
  done
  for p in "${P[@]}"; do bg_wait "$p"; watch_stop "$p"; done
done
echo "foreground sync ms: $(sort -n "$T/sync_ms" | awk '{a[NR]=$1} END {print "min", a[1], "median", a[int((NR+1)/2)], "max", a[NR]}')"
echo "ops: $nops (${#ADDED[@]} adds, $nbadops failed); syncs: $nsync, failed $nsync_fail, killed by -9 $nkill, in the background $nbg; --watch runs $nwatch"
check_eq "every sync --watch stopped cleanly on SIGTERM" 0 "$nwatch_bad"
check_eq "every local operation succeeded" "0" "$nbadops${badop:+ — first: $badop}"

# ---- final clean round ---------------------------------------------------------------
echo off >"$T/faults"
for pass in 1 2; do
  for p in "${P[@]}"; do check "clean sync $pass: $p" k "$p" sync; done
done
t_end=$(date +%s%N)
echo "rounds took $(( (t_end - t_start) / 1000000 )) ms"

# ---- what must hold --------------------------------------------------------------------
M=$("$KTD" dump --data "$D")
for p in "${P[@]}"; do
  R_=$(k "$p" dump)
  if [ "$R_" == "$M" ]; then pass "$p's replica equals the master"
  else fail "$p's replica equals the master" \
    "$(diff <(echo "$M") <(echo "$R_") | head -20 | cut -c1-300)"; fi
done
check_eq "outboxes are empty" "$(printf '0 %.0s' "${P[@]}")" \
  "$(for p in "${P[@]}"; do k "$p" status --json | json 'd["pending"]'; done | tr '\n' ' ')"
# a card added and deleted on one PC before it was ever sent never reaches the master
# (the PC parks it, and the next sync removes it): a card no other PC touched whose
# last trash write by its own PC put it in the trash may be missing there
/usr/bin/python3 - "$OPS_LOG" >"$T/vanish" <<'EOF'
import sys
maker, others, trash = {}, set(), {}
for line in open(sys.argv[1], encoding="utf-8"):
    rnd, prof, op, cid, field, val = line.rstrip("\n").split("\t")
    if op == "add": maker[cid] = prof
    elif maker.get(cid) != prof: others.add(cid)
    elif op == "set" and field == "deleted": trash[cid] = val
for cid in sorted(maker):
    if cid not in others and trash.get(cid) == "1": print(cid)
EOF
want=$(printf '%s\n' "${ADDED[@]}" | sort)
have=$(echo "$M" | grep -E '^(org|contact|task) ' | cut -d' ' -f1,2 | sort)
gone=$(comm -23 <(echo "$want") <(echo "$have") | cut -d' ' -f2 | sort)
echo "cards deleted on their own PC before they were ever sent: $(echo "$gone" | grep -c .)"
check_eq "the master holds no card that no add printed, none twice" "" \
  "$(comm -13 <(echo "$want") <(echo "$have"); echo "$have" | uniq -d)"
check_eq "... and every card added but those deleted on their own PC before they were sent" "" \
  "$(comm -23 <(echo "$gone" | grep .) "$T/vanish")"

# field values and trash states against the operations log
for t in org contact task; do
  k "${P[0]}" list $t --json >"$T/list.$t.json"
  k "${P[0]}" list $t --trash --json >"$T/trash.$t.json"
done
/usr/bin/python3 - "$OPS_LOG" "$T" >"$T/verdict" <<'EOF'
import json, sys
ops, tdir = sys.argv[1], sys.argv[2]
vanish = set(open(f"{tdir}/vanish").read().split())
cards = {}
for t in ("org", "contact", "task"):
    for kind in ("list", "trash"):
        for c in json.load(open(f"{tdir}/{kind}.{t}.json")):
            cards[c["id"]] = c
def shown(c, f):
    v = c.get(f)
    if v is None: return ""
    if v is True: return "1"
    if v is False: return "0"
    return str(v)
adds, writes = {}, {}
for line in open(ops, encoding="utf-8"):
    rnd, prof, op, cid, field, val = line.rstrip("\n").split("\t")
    if op == "add": adds[cid] = val
    elif op == "set0": writes.setdefault((cid, field), []).append(("@add", val))
    elif op == "set": writes.setdefault((cid, field), []).append((prof, val))
single = multi = bad = 0
msgs = []
for cid in adds:
    if "deleted" not in [f for (c, f) in writes if c == cid]:
        writes[(cid, "deleted")] = [("@add", "0")]
for (cid, field), ws in writes.items():
    c = cards.get(cid)
    if c is None and cid in vanish: continue  # never sent (checked above)
    if c is None:
        bad += 1; msgs.append(f"{cid}: missing"); continue
    got = shown(c, field)
    edits = [w for w in ws if w[0] != "@add"]
    writers = {p for p, _ in edits}
    if len(writers) <= 1:
        single += 1
        want = (edits or ws)[-1][1]
        if got != want:
            bad += 1
            msgs.append(f"{adds[cid]} {cid} {field}: written last by {(edits or ws)[-1][0]} as [{want}], holds [{got}]")
    else:
        multi += 1
        if got not in {v for _, v in edits}:
            bad += 1
            msgs.append(f"{adds[cid]} {cid} {field}: holds [{got}], none of the values written {sorted(edits)}")
print(single, multi, bad)
for m in msgs[:15]: print(m)
EOF
read -r nsingle nmulti nbad <"$T/verdict"
echo "fields checked: $nsingle written by one PC, $nmulti by several"
check_eq "no value lost: single-writer fields and trash states hold the last write, shared ones a written value" \
  "0" "$nbad$(tail -n +2 "$T/verdict" | sed 's/^/\n  /')"
echo "conflict log: $(echo "$M" | grep -c '^conflict ') entries"

for p in "${P[@]}"; do
  check_eq "integrity of $p's replica" ok "$(sq "$p" 'PRAGMA integrity_check')"
done
check_eq "integrity of the master" ok "$(sqlite3 -cmd '.timeout 3000' "$D/master.db" 'PRAGMA integrity_check' 2>&1)"
faults=$(grep -cE '^conn [0-9]+ (cut|rst)' "$T/proxy.log")
slow=$(grep -cE '^conn [0-9]+ slow' "$T/proxy.log")
echo "proxy: $(grep -c '^conn ' "$T/proxy.log") connections, $faults cut or reset, $slow slowed"
check "the proxy cut connections" test "$faults" -gt 0
check "syncs failed or were killed along the way" test $((nsync_fail + nkill)) -gt 0
if grep -lE 'runtime error:|ERROR: (Address|Leak)Sanitizer' "$T"/*.log "$D.serve.err" >"$T/san" 2>/dev/null; then
  fail "no sanitizer reports" "$(cat "$T/san")"; grep -hE -A5 'runtime error:|Sanitizer' $(cat "$T/san") | head -40
else pass "no sanitizer reports"; fi
check "server alive" kill -0 "$SRV_PID"
stop_server "$D"; check_eq "clean shutdown" 0 $?
echo "seed=$SEED took $(( ($(date +%s%N) - t_start) / 1000000 )) ms"
if [ "$_nfail" -gt 0 ] && [ -n "${KT_KEEP:-}" ]; then
  keep=/tmp/kt-converge-$SEED; rm -rf "$keep"; cp -a "$T" "$keep"; cp -a "$D".serve.* "$keep"/ 2>/dev/null
  echo "kept: $keep"
fi
finish
