#!/usr/bin/env bash
# Randomized convergence under rights: the PCs belong to users of mixed roles —
# managers anna (two PCs) and boris (a second PC joins halfway), the head of
# sales vera, the administrator gleb, and dina, a team lead with a custom
# group-level role that does not see colleagues' phones and e-mails. Groups
# north (with the subgroup north-spb) and south; users belong to them. Besides
# adds, edits (phones too), deletes and restores, the operations reassign cards
# (`edit ID --set owner=NAME`), move them between groups (`--set grp=`), move
# contacts to another organization, give tasks to somebody else, and (the
# administrator) add custom fields, of type phone and email too; between and
# during rounds a user's role or groups change (`kartoteka admin user role` from
# the administrator's PC, else `kartotekad user role` on the data folder while
# the server runs). PCs sync in random order through the fault proxy, as in
# converge.sh (cuts, resets, kill -9, background syncs, `sync --watch`).
#
# Refusals are allowed: an operation the PC's copy of the user's rights forbids
# fails at once (counted by kind), and a change the server refuses is either
# undone (rights: KT_EPERM) or stays in the outbox (a task given to somebody who
# cannot see its client). Anything else that fails an operation fails the test.
#
# Every KT_CHECK_EVERY rounds and at the end, a clean round (faults off) syncs
# every PC until a whole pass moves nothing, and then each replica must equal
# the master filtered by its user's rights at that moment — nothing missing,
# nothing extra, protected fields absent, every other field and version equal.
# The filter is tests/lib/rights_oracle.py, an independent model of DESIGN.md's
# visibility rules over the master's dump (it does not ask the server).
# Outboxes: `kartoteka` has no outbox command yet (`outbox list|drop` is a later
# issue), so the script reads the replica's outbox table (read only). A record
# with an entry left there after the clean round is one whose change the server
# refused and which waits for a correction (a task given to somebody who cannot
# see its client): the replica legitimately holds the unsent edit, so that
# record is left out of that PC's comparison on both sides and counted, and the
# entry must have a denied.* line in the audit log. Differences are printed
# with the PC, user, role, groups, record, field and both values with their
# versions, and have a kind (rights_oracle.py KINDS): missing, extra, field,
# protected-shown, custom-email, conflict-protected, conflict-assignee,
# refused-kept (a record this PC had a change refused for). KT_KNOWN="KIND ..."
# prints the differences of those kinds but does not fail on them (for runs
# that look for other faults while known ones wait for a fix).
# At the end: every card added is in the master, or left in its PC's outbox, or
# was refused by the server (audit); only users whose role had the reassign
# right reassigned; the server holds the roles the script set; integrity,
# sanitizers, clean shutdown, and (KT_BATCH=1) every PC's batch and sqlite3 process ended
# cleanly. About 15-30 s on 2 cores (KT_BATCH=0: two to four times that). Prints "round N
# took MS", the time in each kind of event and "rounds took MS" (setup included).
#   KT_SEED=N  rerun one scenario (the seed is printed; timing still varies)
#   KT_ROUNDS=N rounds (10)   KT_OPS=N operations per PC and round (7)
#   KT_CHECK_EVERY=N clean checkpoint every N rounds (2)   KT_KNOWN="KIND ..." (none)
#   KT_PCS=8 adds a second PC of the head of sales (vera2) for 8 PCs in all (7; make soak)
#   KT_KEEP=1 keep a failed run's files (dumps of each failed checkpoint: dump.*.roundN)
#   KT_BATCH=1 (default) each PC's operations, plain syncs and role changes go through one
#     `kartoteka batch -` process per PC (fifos; each answer read to its marker line), and
#     the reads of its replica (cards, custom fields, outbox) through one read-only `sqlite3`
#     process per PC; syncs that are killed with -9, run in the background or --watch stay
#     processes of their own. KT_BATCH=0: a process per operation and per read (the old way).
#     KT_READS=batch (with KT_BATCH=1): the cards read with six `list`s through the batch
#     instead of sqlite3 (kept to compare: about 27 ms a read against 1.5 ms, as bash reads
#     a pipe a byte at a time; the card order differs, so the picks do too)
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
LIB=$(cd "$(dirname "$0")/../lib" && pwd)
SEED=${KT_SEED:-$(( ((RANDOM << 15) | RANDOM) % 1000000 + 1 ))}
echo "seed=$SEED (rerun: KT_SEED=$SEED tests/run.sh converge_rights)"
RANDOM=$SEED
ROUNDS=${KT_ROUNDS:-10}; OPS=${KT_OPS:-7}; CHECK_EVERY=${KT_CHECK_EVERY:-2}
P=(anna anna2 boris vera gleb dina)
LATE=boris2                                   # joins halfway
declare -A USER=([anna]=anna [anna2]=anna [boris]=boris [boris2]=boris [vera]=vera [vera2]=vera [gleb]=gleb [dina]=dina)
[ "${KT_PCS:-7}" -ge 8 ] && P+=(vera2)
USERS=(anna boris vera gleb dina)
ADMIN=gleb
declare -A ROLE=([anna]=manager [boris]=manager [vera]=head_of_sales [gleb]=administrator [dina]=lead)
declare -A GRP=([anna]=north [boris]=south [vera]="" [gleb]="" [dina]=north)
declare -A ROLE0 REASSIGNER=()
for u in "${USERS[@]}"; do ROLE0[$u]=${ROLE[$u]}; done
GROUPS_ALL=(north north-spb south)
# the team lead's role: group level on client records, no see_contacts (and the
# same rights, as the oracle reads them)
LEAD_RIGHTS="org=group/group/own contact=group/group/own task=group/group/own event=group/group/own note=group/group/own link=group/group/own deal=group/group/own"
LEAD_JSON='{"read": {"org": "group", "contact": "group", "task": "group", "event": "group", "note": "group", "link": "group", "deal": "group", "conflict": "group"}, "see_contacts": false}'
has_reassign() { case $1 in administrator|head_of_sales) return 0 ;; *) return 1 ;; esac; }
t_start=$(date +%s%N)

D=$T/data
init_server "$D"
"$KTD" role set --data "$D" --role lead --from manager --rights "$LEAD_RIGHTS" >/dev/null ||
  { echo "FAIL: role set lead"; exit 1; }
for u in "${USERS[@]}"; do
  "$KTD" user add --data "$D" --user "$u" --role "${ROLE[$u]}" ${GRP[$u]:+--group "${GRP[$u]}"} \
    --password-file "$T/pw" >/dev/null || { echo "FAIL: user add $u"; exit 1; }
  has_reassign "${ROLE[$u]}" && REASSIGNER[$u]=1
done
start_server "$D"
echo off >"$T/faults"
/usr/bin/python3 "$LIB/faultproxy.py" --target "$SRV_ADDR" --seed "$SEED" \
  --faults-file "$T/faults" >"$T/proxy.log" 2>&1 &
_bg_pids+=($!)
for _ in $(seq 100); do grep -q '^listening' "$T/proxy.log" 2>/dev/null && break; sleep 0.05; done
PROXY=$(sed -n 's/^listening //p' "$T/proxy.log")
[ -n "$PROXY" ] || { echo "FAIL: the fault proxy did not start: $(cat "$T/proxy.log")"; exit 1; }
for p in "${P[@]}"; do
  inv=$("$KTD" invite --data "$D" --user "${USER[$p]}" --address "$PROXY")
  "$KT" --profile "$T/$p" connect --invite "$inv" --password-file "$T/pw" >/dev/null ||
    { echo "FAIL: enroll $p"; exit 1; }
done

# ---- helpers ---------------------------------------------------------------------
k() { echo "+ ${*:2}" >>"$T/$1.log"; "$KT" --profile "$T/$1" "${@:2}" 2>>"$T/$1.log"; }

# ---- one `kartoteka batch -` and one read-only sqlite3 per PC (KT_BATCH=1) ---------------
BATCH=${KT_BATCH:-1}; READS=${KT_READS:-sqlite}
RS=$'\x1e'                  # the batch's marker byte (and ours for sqlite3's answers)
declare -A BQ=() BA=() BE=() BPID=() SQ_Q=() SQ_A=() SQPID=()
# batch_start PC: its two processes on fifos (restarted when its replica is replaced)
batch_start() {
  local p=$1 fd
  [ "$BATCH" = 1 ] || return 0
  batch_stop "$p"
  rm -f "$T/$p".{bq,ba,sq,sa}; mkfifo "$T/$p".{bq,ba,sq,sa}
  : >>"$T/$p.batch.log"
  "$KT" --profile "$T/$p" batch - <"$T/$p.bq" >"$T/$p.ba" 2>>"$T/$p.batch.log" &
  BPID[$p]=$!
  exec {fd}>"$T/$p.bq"; BQ[$p]=$fd
  exec {fd}<"$T/$p.ba"; BA[$p]=$fd
  exec {fd}<"$T/$p.batch.log"; BE[$p]=$fd
  batch_err "$p"                # what the file held before
  stdbuf -oL sqlite3 -readonly -batch -noheader -list -cmd '.timeout 3000' "$T/$p/replica.db" \
    <"$T/$p.sq" >"$T/$p.sa" 2>>"$T/$p.sq.log" &
  SQPID[$p]=$!
  exec {fd}>"$T/$p.sq"; SQ_Q[$p]=$fd
  exec {fd}<"$T/$p.sa"; SQ_A[$p]=$fd
}
# batch_close PC: EOF to both (the processes end once every copy of the fifos' write
# ends is closed: later PCs' processes inherited them, so close all before waiting)
batch_close() {
  local p=$1 fd
  for fd in "${BQ[$p]:-}" "${BA[$p]:-}" "${BE[$p]:-}" "${SQ_Q[$p]:-}" "${SQ_A[$p]:-}"; do
    [ -n "$fd" ] && exec {fd}>&-
  done
  unset "BQ[$p]" "BA[$p]" "BE[$p]" "SQ_Q[$p]" "SQ_A[$p]"
}
nbatch_bad=0
batch_wait() { # PC: its batch ends with 0 or 1 (a failed line), sqlite3 with 0
  local p=$1 rc
  if [ -n "${BPID[$p]:-}" ]; then
    wait "${BPID[$p]}"; rc=$?
    [ $rc -le 1 ] || { nbatch_bad=$((nbatch_bad+1)); echo "the batch of $p ended with $rc"; }
    unset "BPID[$p]"
  fi
  if [ -n "${SQPID[$p]:-}" ]; then
    wait "${SQPID[$p]}"; rc=$?
    [ $rc = 0 ] || { nbatch_bad=$((nbatch_bad+1)); echo "the sqlite3 of $p ended with $rc"; }
    unset "SQPID[$p]"
  fi
}
batch_stop() { [ -n "${BPID[$1]:-}" ] || return 0; batch_close "$1"; batch_wait "$1"; }
# batch_err PC: ERR = what its batch wrote to stderr since the last call
batch_err() {
  local l=""; ERR=""
  while IFS= read -r -u "${BE[$1]}" l; do ERR+=$l$'\n'; done
  ERR+=$l
}
# ask PC WORDS...: one command through the PC's batch. OUT its stdout (no trailing
# newline, as $(...) gives it), ERR its stderr (also appended to the PC's log); returns
# its exit status (125: the batch process is gone)
ask() {
  local p=$1 w line="" l="" rc=125; shift
  for w in "$@"; do line+=" '${w//\'/\'\\\'\'}'"; done
  printf '%s\n' "$line" >&"${BQ[$p]}"
  OUT=""
  while IFS= read -r -u "${BA[$p]}" l; do
    if [[ $l == "$RS"* ]]; then rc=${l#"$RS"}; break; fi
    OUT+=$l$'\n'
  done
  [ $rc = 125 ] && OUT+=$l
  while [[ $OUT == *$'\n' ]]; do OUT=${OUT%$'\n'}; done
  batch_err "$p"
  [ $rc = 125 ] && ERR+="(the batch process of $p is gone)"
  [ -n "$ERR" ] && printf '%s' "$ERR" >>"$T/$p.log"
  return "$rc"
}
# kb PC WORDS...: like k (stdout to ours), through the batch when there is one
kb() {
  [ -n "${BQ[$1]:-}" ] || { k "$@"; return; }
  echo "+ ${*:2}" >>"$T/$1.log"
  local rc=0; ask "$@" || rc=$?
  [ -n "$OUT" ] && printf '%s\n' "$OUT"
  return $rc
}
# sqr PC SQL: SQ = the rows (one a line) of a read of the PC's replica
sqr() {
  if [ -z "${SQ_Q[$1]:-}" ]; then mapfile -t SQ < <(sq "$1" "$2"); return; fi
  local l=""
  printf '%s;\n.print %s\n' "$2" "$RS" >&"${SQ_Q[$1]}"
  SQ=()
  while IFS= read -r -u "${SQ_A[$1]}" l && [[ $l != "$RS"* ]]; do SQ+=("$l"); done
}
# sqf PC SQL: the same for a long answer (read from a file: bash reads a pipe a byte at a time)
sqf() {
  if [ -z "${SQ_Q[$1]:-}" ]; then mapfile -t SQ < <(sq "$1" "$2"); return; fi
  local l=""
  printf '.once %s\n%s;\n.print %s\n' "$T/$1.rows" "$2" "$RS" >&"${SQ_Q[$1]}"
  while IFS= read -r -u "${SQ_A[$1]}" l && [[ $l != "$RS"* ]]; do :; done
  mapfile -t SQ <"$T/$1.rows"
}
rnd() { R=$((RANDOM % $1)); }
OPS_LOG=$T/ops.log   # round \t profile \t op \t id \t field \t value
oplog() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$@" >>"$OPS_LOG"; }
nops=0; nbadops=0; badop=""
declare -A NREF=()   # refused at once by the PC's copy of the rights, by kind
# run_op PROFILE KIND CLI-ARGS...: an operation; a refusal for rights is counted,
# any other failure is a bad operation. Sets OUT to its stdout.
run_op() {
  local p=$1 kind=$2 rc=0; shift 2
  echo "+ $*" >>"$T/$p.log"
  local msg
  if [ -n "${BQ[$p]:-}" ]; then
    ask "$p" "$@" || rc=$?
    [ $rc = 0 ] && return 0
    msg=${ERR//$'\n'/ }
  else
    # its own stderr file: a background sync of this PC writes to the log meanwhile
    OUT=$("$KT" --profile "$T/$p" "$@" 2>"$T/$p.err") || rc=$?
    cat "$T/$p.err" >>"$T/$p.log"
    [ $rc = 0 ] && return 0
    msg=$(tr '\n' ' ' <"$T/$p.err")
  fi
  if [[ $msg == *"that you may change"* || $msg == *"is protected"* || $msg == *" may not "* ]]; then
    NREF[$kind]=$(( ${NREF[$kind]:-0} + 1 ))
  elif [[ $msg =~ no\ [a-z]+\ with\ id || $msg == *"is already in the trash"* || $msg == *"is not in the trash"* ]] &&
       [ -n "${BG[$p]:-}${WATCH[$p]:-}" ]; then
    NREF[gone]=$(( ${NREF[gone]:-0} + 1 ))   # the card (or the one it refers to) was revoked,
                                             # or another PC's delete of it pulled, by this
                                             # PC's background sync meanwhile
  else
    nbadops=$((nbadops+1)); [ -n "$badop" ] || badop="$p $kind ($*): $msg"
  fi
  return 1
}

WORDS=(Москва Казань Тверь Łódź Kraków Gdańsk "New York" Самара Ёлкино Żółć)
declare -A FIELDS=([org]="city industry region comment phone email temperature employees"
                   [contact]="position city comment phone_mobile email last_name"
                   [task]="description status priority title")
declare -A HOT=([org]="city phone" [contact]="position phone_mobile" [task]="status description")
value() {
  rnd 100
  case $1 in
    temperature) local c=(cold warm hot); V=${c[R % 3]} ;;
    status) local c=(open in_progress done cancelled); V=${c[R % 4]} ;;
    priority) local c=(low normal high); V=${c[R % 3]} ;;
    employees) V=$((R * 37 + RANDOM % 7)) ;;
    owner|assignee) V=${USERS[R % ${#USERS[@]}]} ;;
    grp) if [ $R -lt 20 ]; then V=""; else V=${GROUPS_ALL[R % ${#GROUPS_ALL[@]}]}; fi ;;
    phone|phone_mobile|cp*) V="+7 9$((R % 90 + 10)) $((RANDOM % 900 + 100))-$((RANDOM % 90 + 10))" ;;
    email|ce*) V="u$R.$((RANDOM % 1000))@example.com" ;;
    name|title|last_name) V="${WORDS[R % ${#WORDS[@]}]} $2" ;;
    *) if [ $R -lt 8 ]; then V=""
       elif [ $R -lt 40 ]; then V=${WORDS[R % ${#WORDS[@]}]}
       else V="${WORDS[R % ${#WORDS[@]}]} $2"; fi ;;
  esac
}

sq() { sqlite3 -cmd '.timeout 3000' "$T/$1/replica.db" "$2" 2>>"$T/$1.log"; }
ADDED=()   # "type id profile" of every add, in order
# known PC: CARDS = "type|id|deleted" of the replica's orgs, contacts, tasks (in that
# order, each in table order), and C_org, C_contact, C_task each type's part of it (one
# read of three answers: bash loops over hundreds of cards per operation cost more
# than the operation itself)
CARD_TYPES=(org contact task)
known() {
  if [ "$READS" = batch ] && [ -n "${BQ[$1]:-}" ]; then known_listed "$1"; return; fi
  local t q=()
  for t in "${CARD_TYPES[@]}"; do
    q+=(".once $T/$1.rows.$t" "SELECT '$t', id, coalesce(deleted,0) FROM t_$t;")
  done
  if [ -n "${SQ_Q[$1]:-}" ]; then
    local l=""
    printf '%s\n' "${q[@]}" ".print $RS" >&"${SQ_Q[$1]}"
    while IFS= read -r -u "${SQ_A[$1]}" l && [[ $l != "$RS"* ]]; do :; done
  else
    sqlite3 -cmd '.timeout 3000' "$T/$1/replica.db" "${q[@]}" 2>>"$T/$1.log"
  fi
  mapfile -t C_org <"$T/$1.rows.org"
  mapfile -t C_contact <"$T/$1.rows.contact"
  mapfile -t C_task <"$T/$1.rows.task"
  CARDS=("${C_org[@]}" "${C_contact[@]}" "${C_task[@]}")
}
# the same through the batch's `list` (KT_READS=batch; in the order list gives)
known_listed() {
  local t tr l trash
  C_org=() C_contact=() C_task=()
  for t in "${CARD_TYPES[@]}"; do
    for tr in 0 1; do
      trash=(); [ $tr = 1 ] && trash=(--trash)
      ask "$1" list "$t" "${trash[@]}" || continue
      while read -r l _; do [ -n "$l" ] && eval "C_$t+=(\"\$t|\$l|\$tr\")"; done <<<"$OUT"
    done
  done
  CARDS=("${C_org[@]}" "${C_contact[@]}" "${C_task[@]}")
}
# ids_of TYPE: IDS = the ids of the replica's cards of one type
ids_of() {
  case $1 in org) IDS=("${C_org[@]#*|}") ;; contact) IDS=("${C_contact[@]#*|}") ;; task) IDS=("${C_task[@]#*|}") ;; esac
  IDS=("${IDS[@]%|*}")
}

op_add() {
  local p=$1 u=${USER[$1]} t sets=() tag="$1-$round-$nops"
  rnd 10; if [ $R -lt 4 ]; then t=org; elif [ $R -lt 7 ]; then t=contact; else t=task; fi
  case $t in
    org) value name "$tag"; sets=(name "$V"); value city "$tag"; sets+=(city "$V") ;;
    contact) value last_name "$tag"; sets=(last_name "$V"); value position "$tag"; sets+=(position "$V")
      ids_of org; if [ ${#IDS[@]} -gt 0 ]; then rnd 10; [ $R -lt 7 ] && { rnd ${#IDS[@]}; sets+=(org "${IDS[R]}"); }; fi ;;
    task) value title "$tag"; sets=(title "$V"); value status x; sets+=(status "$V")
      rnd 10; if [ $R -lt 6 ]; then sets+=(assignee "$u"); else value assignee x; sets+=(assignee "$V"); fi
      rnd 10
      if [ $R -lt 4 ]; then ids_of org; [ ${#IDS[@]} -gt 0 ] && { rnd ${#IDS[@]}; sets+=(org "${IDS[R]}"); }
      elif [ $R -lt 6 ]; then ids_of contact; [ ${#IDS[@]} -gt 0 ] && { rnd ${#IDS[@]}; sets+=(contact "${IDS[R]}"); }; fi ;;
  esac
  if [ $t != task ]; then
    # a card in the writer's group (when it has one), sometimes in another
    local g=${GRP[$u]%%,*}
    rnd 10
    if [ $R -lt 5 ] && [ -n "$g" ]; then sets+=(grp "$g")
    elif [ $R -lt 7 ]; then value grp x; [ -n "$V" ] && sets+=(grp "$V"); fi
    # a card made for somebody else (the reassign right; refused for the others)
    rnd 10; [ $R -lt 2 ] && { value owner x; sets+=(owner "$V"); }
  fi
  local args=() i
  for ((i = 0; i < ${#sets[@]}; i += 2)); do args+=(--set "${sets[i]}=${sets[i+1]}"); done
  if run_op "$p" "add $t" add $t "${args[@]}"; then
    ADDED+=("$t $OUT $p")
    oplog "$p" add "$OUT" type "$t"
  fi
}

pick_card() { # [TYPE...]: a card of these types (any when none given); 1 when none
  local pool=() c t
  if [ $# -eq 0 ]; then pool=("${CARDS[@]}")
  else   # in CARDS' order, whatever the order of the arguments
    for t in "${CARD_TYPES[@]}"; do
      [[ " $* " == *" $t "* ]] || continue
      case $t in org) pool+=("${C_org[@]}") ;; contact) pool+=("${C_contact[@]}") ;; task) pool+=("${C_task[@]}") ;; esac
    done
  fi
  [ ${#pool[@]} -gt 0 ] || return 1
  local hot=$(( ${#pool[@]} < 4 ? ${#pool[@]} : 4 ))
  rnd 2
  if [ $R -eq 0 ]; then rnd $hot; else rnd ${#pool[@]}; fi
  c=${pool[R]}; CT=${c%%|*}; c=${c#*|}; CID=${c%|*}; CDEL=${c##*|}
}

op_edit() {
  local p=$1 f fl
  pick_card || { op_add "$p"; return; }
  rnd 2
  if [ $R -eq 0 ]; then fl=(${HOT[$CT]}); else fl=(${FIELDS[$CT]}); fi
  rnd ${#fl[@]}; f=${fl[R]}
  local cfs; sqr "$p" "SELECT name FROM t_field_def WHERE etype='$CT' AND name GLOB 'c[fpe][0-9]*'"; cfs=("${SQ[@]}")
  if [ ${#cfs[@]} -gt 0 ]; then rnd 3; if [ $R -eq 0 ]; then rnd ${#cfs[@]}; f=${cfs[R]}; fi; fi
  value "$f" "$p-$round-$nops"
  run_op "$p" "edit $f" edit "$CID" --set "$f=$V" >/dev/null && oplog "$p" set "$CID" "$f" "$V"
}

op_reassign() {
  local p=$1
  pick_card org contact || { op_edit "$p"; return; }
  value owner x
  run_op "$p" reassign edit "$CID" --set "owner=$V" >/dev/null && oplog "$p" set "$CID" owner "$V"
}

op_regroup() {
  local p=$1
  pick_card org contact || { op_edit "$p"; return; }
  value grp x
  run_op "$p" regroup edit "$CID" --set "grp=$V" >/dev/null && oplog "$p" set "$CID" grp "$V"
}

# a contact moves to another organization (or leaves it): its scope follows
op_move() {
  local p=$1
  pick_card contact || { op_edit "$p"; return; }
  ids_of org; V=""
  if [ ${#IDS[@]} -gt 0 ]; then rnd 5; [ $R -gt 0 ] && { rnd ${#IDS[@]}; V=${IDS[R]}; }; fi
  run_op "$p" "move contact" edit "$CID" --set "org=$V" >/dev/null && oplog "$p" set "$CID" org "$V"
}

op_assign() {
  local p=$1
  pick_card task || { op_edit "$p"; return; }
  value assignee x
  run_op "$p" "assign task" edit "$CID" --set "assignee=$V" >/dev/null && oplog "$p" set "$CID" assignee "$V"
}

op_trash() {
  local p=$1
  pick_card || { op_add "$p"; return; }
  if [ "$CDEL" = 1 ]; then run_op "$p" restore restore "$CID" >/dev/null && oplog "$p" set "$CID" deleted 0
  else run_op "$p" delete delete "$CID" >/dev/null && oplog "$p" set "$CID" deleted 1; fi
}

# custom fields: the administrator's (office configuration); text, phone or email
NCF=0
op_field() {
  local p=$1 t
  rnd 3; t=(org contact task); t=${t[R]}
  local kinds=(text text phone email) pre=(cf cf cp ce); rnd 4
  local name="${pre[R]}${NCF}_$p"
  if run_op "$p" "field add" field add "$t" --name "$name" --label "Поле $name" --type "${kinds[R]}" >/dev/null; then
    NCF=$((NCF + 1)); oplog "$p" field "-" "$t" "$name"
  fi
}
op_label() {
  local p=$1 cfs
  sqr "$p" "SELECT etype||' '||name FROM t_field_def WHERE name GLOB 'c[fpe][0-9]*'"; cfs=("${SQ[@]}")
  [ ${#cfs[@]} -gt 0 ] || { op_field "$p"; return; }
  rnd ${#cfs[@]}; set -- $p ${cfs[R]}
  run_op "$p" "field label" field label "$2" "$3" --label "Поле $3 ($p-$round-$nops)" >/dev/null &&
    oplog "$p" label "-" "$2" "$3"
}

do_op() {
  local p=$1 u=${USER[$1]}
  nops=$((nops+1))
  known "$p"
  rnd 100
  if [ ${#CARDS[@]} -eq 0 ] || [ $R -lt 24 ]; then op_add "$p"
  elif [ $R -lt 56 ]; then op_edit "$p"
  elif [ $R -lt 68 ]; then op_trash "$p"
  elif [ $R -lt 78 ]; then op_reassign "$p"
  elif [ $R -lt 86 ]; then op_regroup "$p"
  elif [ $R -lt 91 ]; then op_move "$p"
  elif [ $R -lt 95 ]; then op_assign "$p"
  elif [ "$u" = "$ADMIN" ] && [ $NCF -lt 6 ] && [ $R -lt 98 ]; then op_field "$p"
  elif [ "$u" = "$ADMIN" ]; then op_label "$p"
  else op_edit "$p"; fi
}

# ---- syncs (as in converge.sh) ------------------------------------------------------
nsync=0; nsync_fail=0; nkill=0; nbg=0
declare -A BG=() WATCH=() WATCH_STOPPING=()
trap 'for p_ in "${BG[@]}" "${WATCH[@]}" "${WATCH_STOPPING[@]}" "${BPID[@]}" "${SQPID[@]}"; do kill -KILL "$p_" 2>/dev/null; done; _cleanup' EXIT
ksync_bg() { echo "+ sync (background)" >>"$T/$1.log"; "$KT" --profile "$T/$1" sync >/dev/null 2>>"$T/$1.log" & }
sync_rc() {
  nsync=$((nsync+1))
  if [ "$2" -eq 137 ]; then nkill=$((nkill+1))
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
  [ -n "${WATCH[$p]:-}" ] && return 0
  bg_wait "$p"
  rnd 10
  if [ $R -lt 6 ]; then
    kb "$p" sync >/dev/null; sync_rc "$p" $?
  elif [ $R -lt 8 ]; then
    ksync_bg "$p"
    local pid=$!
    rnd 80; printf -v R '0.%03d' $R; sleep "$R"
    kill -KILL $pid 2>/dev/null
    wait $pid 2>/dev/null; sync_rc "$p" $?
  else
    ksync_bg "$p"
    BG[$p]=$!; nbg=$((nbg+1))
  fi
}
nwatch=0; nwatch_bad=0
watch_start() {
  echo "+ sync --watch (background)" >>"$T/$1.log"
  "$KT" --profile "$T/$1" sync --watch >/dev/null 2>>"$T/$1.log" &
  WATCH[$1]=$!; nwatch=$((nwatch+1))
}
# watch_signal PC: a --watch run gets its stop signal (kill -9 in a quarter of them);
# watch_end PC waits for it (with KT_BATCH=1 the end of a round signals every PC's first,
# then waits: the shutdowns overlap, each one still checked)
watch_signal() {
  local p=$1 pid=${WATCH[$1]:-}
  [ -n "$pid" ] || return 0
  unset "WATCH[$p]"
  rnd 4
  if [ $R -eq 0 ]; then kill -KILL "$pid" 2>/dev/null; else kill -TERM "$pid" 2>/dev/null; fi
  WATCH_STOPPING[$p]=$pid
}
watch_end() {
  local p=$1 pid=${WATCH_STOPPING[$1]:-} rc
  [ -n "$pid" ] || return 0
  unset "WATCH_STOPPING[$p]"
  wait "$pid" 2>/dev/null; rc=$?
  # 1: a refusal by the server ended a round (a role change while it ran)
  case $rc in 0|1|137|143) ;; *) nwatch_bad=$((nwatch_bad+1)); echo "watch of $p ended with $rc" ;; esac
}

# ---- role and group changes ---------------------------------------------------------
ROLES_ALL=(manager head_of_sales assistant lead)
GROUP_SETS=(north south north-spb "north,south" "")
nrole=0; nrole_remote=0
role_change() {
  local us=(anna boris vera dina anna boris vera) u role grp
  rnd ${#us[@]}; u=${us[R]}
  role=${ROLE[$u]}; grp=${GRP[$u]}
  rnd 10
  if [ "$role" != "${ROLE0[$u]}" ] && [ $R -lt 6 ]; then role=${ROLE0[$u]}   # back to the usual role
  elif [ $R -lt 7 ]; then
    local o=(); for r in "${ROLES_ALL[@]}"; do [ "$r" != "$role" ] && o+=("$r"); done
    rnd ${#o[@]}; role=${o[R]}
  fi
  rnd 10
  if [ $R -lt 4 ] || [ "$role" = "${ROLE[$u]}" ]; then
    local o=(); for g in "${GROUP_SETS[@]}"; do [ "$g" != "$grp" ] && o+=("$g"); done
    rnd ${#o[@]}; grp=${o[R]}
  fi
  local how=offline try
  rnd 2
  if [ $R -eq 0 ] && [ -n "$grp" ]; then   # from the administrator's PC, through the proxy
    for try in 1 2 3; do
      if kb "$ADMIN" admin user role "$u" --role "$role" --group "$grp" >/dev/null; then how=remote; break; fi
    done
  fi
  if [ $how = offline ]; then
    "$KTD" user role --data "$D" --user "$u" --role "$role" --group "$grp" >/dev/null 2>>"$T/roles.err" ||
      { fail "role change $u -> $role (groups ${grp:--})" "$(tail -2 "$T/roles.err")"; return; }
  else nrole_remote=$((nrole_remote+1)); fi
  echo "round $round: $u ${ROLE[$u]} (groups ${GRP[$u]:--}) -> $role (groups ${grp:--}), $how"
  ROLE[$u]=$role; GRP[$u]=$grp; nrole=$((nrole+1))
  has_reassign "$role" && REASSIGNER[$u]=1
}

# ---- clean checkpoint: every replica equals the master filtered by its user's rights ----
ncheck=0
json_num() { /usr/bin/python3 -c 'import json,sys
try: d=json.loads(sys.stdin.read().strip().splitlines()[-1]); print(d["pushed"]+d["pulled"]+d["revoked"]+d["undone"])
except Exception: print(-1)'; }
# the same in bash (no python per sync): N from OUT's last line, -1 when it lacks a count
sync_moved() {
  local l=${1##*$'\n'} key; N=0
  for key in pushed pulled revoked undone; do
    if [[ $l == "{"*"}" && $l =~ \"$key\":\ *([0-9]+) ]]; then N=$((N + BASH_REMATCH[1])); else N=-1; return; fi
  done
}
checkpoint() {
  local what=$1 pass p out moved settled=0
  ncheck=$((ncheck+1))
  echo off >"$T/faults"
  for pass in 1 2 3 4 5 6; do
    moved=0
    for p in "${P[@]}"; do
      if [ -n "${BQ[$p]:-}" ]; then
        echo "+ sync --json" >>"$T/$p.log"; ask "$p" sync --json; sync_moved "$OUT"; n=$N
      else out=$(k "$p" sync --json); n=$(echo "$out" | json_num); fi
      [ "$n" = 0 ] || moved=1
    done
    [ $moved = 0 ] && { settled=$pass; break; }
  done
  [ $settled != 0 ] || fail "$what: the PCs settle (a whole clean pass moves nothing)" "still moving after 6 passes"
  "$KTD" dump --data "$D" >"$T/dump.master"
  "$KTD" audit --data "$D" --json >"$T/audit.json"
  local pcs="" pend ids dev
  for p in "${P[@]}"; do
    k "$p" dump >"$T/dump.$p"
    sqr "$p" "SELECT id FROM t_org WHERE rowid IN (SELECT rid FROM outbox WHERE tcode=1)
      UNION ALL SELECT id FROM t_contact WHERE rowid IN (SELECT rid FROM outbox WHERE tcode=2)
      UNION ALL SELECT id FROM t_task WHERE rowid IN (SELECT rid FROM outbox WHERE tcode=3)
      UNION ALL SELECT 'tcode' || tcode FROM outbox WHERE tcode > 3"
    pend=$(printf '%s\n' "${SQ[@]}")
    echo "$pend" | grep . >>"$T/pending.all"
    ids=$(echo "$pend" | grep . | sed 's/.*/"&"/' | paste -sd, -)
    local u=${USER[$p]} g
    g=$(echo "${GRP[$u]}" | tr ',' '\n' | grep . | sed 's/.*/"&"/' | paste -sd, -)
    sqr "$p" "SELECT value FROM meta WHERE key='device_id'"; dev=${SQ[0]:-}
    pcs+="${pcs:+,}{\"pc\": \"$p\", \"user\": \"$u\", \"role\": \"${ROLE[$u]}\", \"groups\": [$g], \"device\": \"$dev\", \"dump\": \"$T/dump.$p\", \"pending\": [$ids]}"
  done
  local tol; tol=$(echo "${KT_KNOWN:-}" | tr ', ' '\n\n' | grep . | sed 's/.*/"&"/' | paste -sd, -)
  echo "{\"roles\": {\"lead\": $LEAD_JSON}, \"audit\": \"$T/audit.json\", \"known\": [$tol], \"pcs\": [$pcs]}" >"$T/spec.json"
  if /usr/bin/python3 "$LIB/rights_oracle.py" "$T/dump.master" "$T/spec.json" >"$T/oracle.out" 2>&1; then
    pass "$what: every replica equals the master filtered by its user's rights (settled in $settled passes)"
    sed 's/^/  /' "$T/oracle.out"
  else
    fail "$what: every replica equals the master filtered by its user's rights" "$(printf '\n%s' "$(cat "$T/oracle.out")")"
    cp "$T/dump.master" "$T/dump.master.round$round"; for p in "${P[@]}"; do cp "$T/dump.$p" "$T/dump.$p.round$round"; done
  fi
  # a change left in an outbox was refused by the server (and is on its record)
  local unexplained
  unexplained=$(grep . "$T/pending.all" 2>/dev/null | sort -u | /usr/bin/python3 -c '
import json, sys
aud = [e for e in json.load(open(sys.argv[1])) if e["action"].startswith("denied.")]
den = {e["object"] for e in aud} | {w for e in aud for w in e["detail"].replace(")", " ").split()}
print(" ".join(l.strip() for l in sys.stdin if l.strip() not in den))' "$T/audit.json")
  check_eq "$what: every change left in an outbox was refused by the server (audit)" "" "$unexplained"
  : >"$T/pending.all"
}

# ---- setup: the groups, made on the administrator's PC --------------------------------
k "$ADMIN" group add north >/dev/null && k "$ADMIN" group add north-spb --parent north >/dev/null &&
  k "$ADMIN" group add south >/dev/null || { echo "FAIL: groups"; exit 1; }
for p in "$ADMIN" "${P[@]}"; do k "$p" sync >/dev/null || { echo "FAIL: first sync of $p"; exit 1; }; done
for p in "${P[@]}"; do batch_start "$p"; done

# ---- the rounds --------------------------------------------------------------------
late_join() {
  local p=$1 i inv
  for i in $(seq 10); do
    inv=$("$KTD" invite --data "$D" --user "${USER[$p]}" --address "$PROXY")
    echo "+ connect (try $i)" >>"$T/$p.log"
    if "$KT" --profile "$T/$p" connect --invite "$inv" --password-file "$T/pw" >/dev/null 2>>"$T/$p.log"
    then P+=("$p"); batch_start "$p"; echo "$p joined (enrollment try $i)"; return 0; fi
    rm -rf "${T:?}/$p"
  done
  fail "$p could not enroll through the proxy in 10 tries"
}

t_rounds=$(date +%s%N)
declare -A TIME_IN=()   # microseconds spent in each kind of event (op, sync, role, stop, check)
us_since() { local t=${EPOCHREALTIME/./}; US=$((10#$t - ${1:-0})); }   # (no subshell)
for ((round = 1; round <= ROUNDS; round++)); do
  us_since; t_round=$US
  echo on >"$T/faults"
  [ $round -eq $((ROUNDS / 2 + 1)) ] && late_join "$LATE"
  rseed=$(( (SEED * 7919 + round) & 0x7fffffff )); RANDOM=$rseed
  for p in "${P[@]}"; do rnd 5; [ $R -eq 0 ] && watch_start "$p"; done
  ev=()
  for p in "${P[@]}"; do
    for ((i = 0; i < OPS; i++)); do ev+=("op $p"); done
    ev+=("sync $p"); rnd 2; [ $R -eq 0 ] && ev+=("sync $p")
  done
  # a role or group change in every round but the first (two in some)
  if [ $round -gt 1 ]; then ev+=("role -"); rnd 3; [ $R -eq 0 ] && ev+=("role -"); fi
  for ((i = ${#ev[@]} - 1; i > 0; i--)); do
    rnd $((i + 1)); tmp=${ev[i]}; ev[i]=${ev[R]}; ev[R]=$tmp
  done
  for ((i = 0; i < ${#ev[@]}; i++)); do
    RANDOM=$(( rseed * 1000 + i ))
    set -- ${ev[i]}
    us_since; t0=$US
    case $1 in op) do_op "$2" ;; sync) do_sync "$2" ;; role) role_change ;; esac
    us_since "$t0"; TIME_IN[$1]=$(( ${TIME_IN[$1]:-0} + US ))
  done
  us_since; t0=$US
  if [ "$BATCH" = 1 ]; then
    for p in "${P[@]}"; do bg_wait "$p"; watch_signal "$p"; done
    for p in "${P[@]}"; do watch_end "$p"; done
  else   # (the old way: one after the other)
    for p in "${P[@]}"; do bg_wait "$p"; watch_signal "$p"; watch_end "$p"; done
  fi
  us_since "$t0"; TIME_IN[stop]=$(( ${TIME_IN[stop]:-0} + US ))
  if [ $round -lt $ROUNDS ] && [ $((round % CHECK_EVERY)) -eq 0 ]; then
    us_since; t0=$US; checkpoint "round $round"; us_since "$t0"; TIME_IN[check]=$(( ${TIME_IN[check]:-0} + US ))
  fi
  us_since "$t_round"; echo "round $round took $((US / 1000)) ms (${#CARDS[@]} cards on the last PC to act)"
done
refused=""; for kd in "${!NREF[@]}"; do refused+="${refused:+, }$kd ${NREF[$kd]}"; done
echo "ops: $nops (${#ADDED[@]} adds; refused at once for rights: ${refused:-none}); role changes: $nrole ($nrole_remote remote)"
echo "syncs: $nsync, failed $nsync_fail, killed by -9 $nkill, in the background $nbg; --watch runs $nwatch"
check_eq "every sync --watch stopped cleanly" 0 "$nwatch_bad"
check_eq "every operation succeeded or was refused for rights" "0" "$nbadops${badop:+ — first: $badop}"
check "some operations were refused for rights" test -n "$refused"
check "roles changed" test "$nrole" -gt 0

# ---- final clean round -----------------------------------------------------------------
checkpoint final
t_end=$(date +%s%N)
echo "rounds took $(( (t_end - t_start) / 1000000 )) ms"
echo "the rounds alone (with their checkpoints): $(( (t_end - t_rounds) / 1000000 )) ms," \
  "$(( (t_end - t_rounds) / 1000000 / ROUNDS )) ms per round (KT_BATCH=$BATCH)"
echo "time in the rounds' events (ms): $(for e in op sync role stop check; do printf '%s %d, ' $e $(( ${TIME_IN[$e]:-0} / 1000 )); done)"
# the PCs' batch and sqlite3 processes: closed (all first: each inherited the others' fifos)
if [ "$BATCH" = 1 ]; then
  for p in "${P[@]}"; do batch_close "$p"; done
  for p in "${P[@]}"; do batch_wait "$p"; done
  check_eq "every PC's batch and sqlite3 process ended cleanly" 0 "$nbatch_bad"
fi

# the server holds the roles and groups the script gave
want=$(for u in "${USERS[@]}"; do echo "$u ${ROLE[$u]} ${GRP[$u]}"; done | sort)
have=$("$KTD" user list --data "$D" --json | /usr/bin/python3 -c '
import json, sys
for u in json.load(sys.stdin):
    if u["name"] != "boss": print(u["name"], u["role"], u.get("group") or "")' | sort)
check_eq "the server's roles and groups are the ones the script set" "$want" "$have"

# every card added is in the master, or left in its PC's outbox, or refused by the server
"$KTD" audit --data "$D" --json >"$T/audit.json"
lost=$(printf '%s\n' "${ADDED[@]}" | /usr/bin/python3 -c '
import json, sys
master = {l.split(" ")[1] for l in open(sys.argv[1], encoding="utf-8") if l.strip()}
aud = [e for e in json.load(open(sys.argv[2])) if e["action"].startswith("denied.")]
den = {e["object"] for e in aud} | {w for e in aud for w in e["detail"].replace(")", " ").split()}
tdir = sys.argv[3]
# a card added and deleted on its own PC before it was ever sent never reaches the
# master (the PC parks it and the next sync removes it): one no other PC touched whose
# last trash write by its own PC put it in the trash may be missing
maker, others, trash = {}, set(), {}
for ln in open(sys.argv[4], encoding="utf-8"):
    rnd, prof, op, oid, field, val = ln.rstrip("\n").split("\t")[:6]
    if op == "add": maker[oid] = prof
    elif maker.get(oid) != prof: others.add(oid)
    elif op == "set" and field == "deleted": trash[oid] = val
vanish = {c for c in maker if c not in others and trash.get(c) == "1"}
import sqlite3
out = []
for line in sys.stdin:
    if not line.strip(): continue
    t, cid, pc = line.split()
    if cid in master or cid in den or cid in vanish: continue
    db = sqlite3.connect(f"file:{tdir}/{pc}/replica.db?mode=ro", uri=True)
    q = f"SELECT count(*) FROM outbox o JOIN t_{t} r ON r.rowid = o.rid WHERE r.id = ?"
    if db.execute(q, (cid,)).fetchone()[0] == 0: out.append(f"{t} {cid} (added on {pc})")
print("\n".join(out))' "$T/dump.master" "$T/audit.json" "$T" "$OPS_LOG")
check_eq "every card added is in the master, waits in its outbox or was refused (audit)" "" "$lost"
adds_in=$(printf '%s\n' "${ADDED[@]}" | cut -d' ' -f2 | grep -cFf - <(cut -d' ' -f2 "$T/dump.master"))
echo "adds in the master: $adds_in of ${#ADDED[@]}"
# reassignments only by users whose role allowed them
bad=$(/usr/bin/python3 -c '
import json, sys
ok = set(sys.argv[2].split())
print(" ".join(sorted({e["actor"] for e in json.load(open(sys.argv[1])) if e["action"] == "reassign" and e["actor"] not in ok})))' \
  "$T/audit.json" "${!REASSIGNER[*]}")
check_eq "only users with the reassign right reassigned cards (audit)" "" "$bad"
echo "audit: $(grep -o '"action": *"reassign"' "$T/audit.json" | wc -l) reassignments," \
  "$(grep -o '"action": *"denied.push"' "$T/audit.json" | wc -l) pushes refused for rights," \
  "$(grep -o '"action": *"denied.assign"' "$T/audit.json" | wc -l) refused assignees"
echo "conflict log: $(grep -c '^conflict ' "$T/dump.master") entries"

for p in "${P[@]}"; do
  check_eq "integrity of $p's replica" ok "$(sq "$p" 'PRAGMA integrity_check')"
done
check_eq "integrity of the master" ok "$(sqlite3 -cmd '.timeout 3000' "$D/master.db" 'PRAGMA integrity_check' 2>&1)"
faults=$(grep -cE '^conn [0-9]+ (cut|rst)' "$T/proxy.log")
echo "proxy: $(grep -c '^conn ' "$T/proxy.log") connections, $faults cut or reset"
check "the proxy cut connections" test "$faults" -gt 0
if grep -lE 'runtime error:|ERROR: (Address|Leak)Sanitizer' "$T"/*.log "$D.serve.err" >"$T/san" 2>/dev/null; then
  fail "no sanitizer reports" "$(cat "$T/san")"; grep -hE -A5 'runtime error:|Sanitizer' $(cat "$T/san") | head -40
else pass "no sanitizer reports"; fi
check "server alive" kill -0 "$SRV_PID"
stop_server "$D"; check_eq "clean shutdown" 0 $?
echo "seed=$SEED took $(( ($(date +%s%N) - t_start) / 1000000 )) ms"
echo "soak: converge-rights rounds=$ROUNDS pcs=${#P[@]} worst=failed_checks:$_nfail"
if [ "$_nfail" -gt 0 ] && [ -n "${KT_KEEP:-}" ]; then
  keep=/tmp/kt-converge-rights-$SEED; rm -rf "$keep"; cp -a "$T" "$keep"; cp -a "$D".serve.* "$keep"/ 2>/dev/null
  echo "kept: $keep"
fi
finish
