#!/usr/bin/env bash
# A randomized hostile pusher (issue 12). An office on a real kartotekad: managers, a head of
# sales, an assistant and a custom group-level role; departments (a tree); organizations,
# contacts, tasks, events, notes, links and deals, some in the trash, a conflict, staff
# birthdays and custom fields defined by the administrator. Then non-administrators' PCs
# (real enrolled device certificates, one PC of each enrolled before everybody else's and
# one after, so an equal stamp loses resp. wins the device tie-break) push random Changes
# over mutual TLS: random types (also configuration, server-written and unknown ones),
# existing ids of everybody's records and new ones, fields named twice with different
# values and stamps, stamps below, equal to (copied from the master's version blobs) and
# above the stored ones, owners, assignees, groups and card references naming other users
# and their cards. After every push tests/lib/hostile.py reads the master and judges each
# changed or new row with an oracle of its own (see there).
#   KT_SEED=N     replay a run (the seed is printed)
#   KT_PUSHES=N   number of pushes (default 4000, ~1.5 ms each); make fuzz-hostile: 50000
#   KT_HOSTILE_SECONDS=S  stop pushing after S seconds (default 75, so the script stays
#                 under ~90 s on a busy 2-core machine; 0 = no limit); an info line says so
#   KT_KEEP_GOING=1  report every violation (up to KT_MAX_FAILS, 40) instead of stopping at
#                 the first; KT_HOSTILE_STATS=1 adds the most frequent rejection reasons
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
LIB=$(cd "$(dirname "$0")/../lib" && pwd)
ROOT=$(cd "$LIB/../.." && pwd)
D=$T/data
M=$D/master.db
PUSHES=${KT_PUSHES:-4000}
k() { "$KT" --profile "$T/$1" "${@:2}"; }
die() { echo "FAIL: setup: $*"; exit 1; }

# python bindings once per run (not protoc per message)
mkdir -p "$T/pb"
protoc --python_out="$T/pb" --proto_path="$ROOT/proto" kartoteka.proto || die "protoc --python_out"
/usr/bin/python3 -c "import google.protobuf" 2>/dev/null || die "python3-protobuf is missing (installer/deps.sh)"

init_server "$D"
# a custom role: a department head's assistant, group level on the cards, may rename sections
"$KTD" role set --data "$D" --role team --from manager --rights \
  'org=group/group/own contact=group/group/own task=group/group/own event=group/group/own note=group/group/own link=group/group/own deal=group/group/own section=all/own/none' \
  >/dev/null || die "role set team"
u() { "$KTD" user add --data "$D" --user "$1" --role "$2" ${3:+--group "$3"} --password-file "$T/pw" >/dev/null || die "user add $1"; }
u anna manager; u asya assistant; u lena team north
u boris manager north; u vera manager north-spb; u gleb manager; u head head_of_sales
"$KTD" user birthday --data "$D" --user boris --birthday 1985-04-12 >/dev/null || die "birthday"
"$KTD" user birthday --data "$D" --user vera --birthday 1990-09-01 >/dev/null || die "birthday"
start_server "$D"
# enrolment order = device id order (UUIDv7): the hostile PCs *_e first, the victims'
# PCs, then the hostile PCs *_l
for p in anna:anna_e asya:asya_e lena:lena_e boss:boss anna:anna boris:boris vera:vera gleb:gleb head:head \
         anna:anna_l asya:asya_l lena:lena_l; do
  enroll "$D" "${p%%:*}" "$T/${p#*:}" || die "enroll $p"
  sleep 0.002
done

# the administrator's office configuration
k boss group add north >/dev/null && k boss group add north-spb --parent north >/dev/null &&
  k boss group add south >/dev/null || die "groups"
k boss field add org --name inn --label ИНН --type text >/dev/null &&
  k boss field add contact --name skype --label Skype --type phone >/dev/null &&
  k boss field add task --name cost --label Cost --type money >/dev/null &&
  k boss field add deal --name source --label Source --type choice --choices web,fair >/dev/null &&
  k boss field add event --name online --label Online --type bool >/dev/null || die "custom fields"
k boss section label deal Сделки >/dev/null 2>&1 || true
k boss sync >/dev/null || die "boss sync"
for p in anna boris vera gleb head; do k $p sync >/dev/null || die "sync $p"; done

# anna's clients (one will be handed over to boris with her task on it)
A1=$(k anna add org --set name="Anna Alpha" --set phone="+7 495 111-22-33" --set inn=7701000001)
A2=$(k anna add org --set name="Anna Beta" --set city=Тверь)
A3=$(k anna add org --set name="Anna Trashed")
AX=$(k anna add org --set name="Anna to Boris")
AC=$(k anna add contact --set last_name=Петрова --set org="$A1" --set phone_mobile="+7 916 000-00-01" --set skype="+7 916 000-00-09")
AC2=$(k anna add contact --set last_name=Сидоров --set email=sidorov@example.com)
k anna add task --set title="Call Alpha" --set org="$A1" --set assignee=anna --set cost=1500 >/dev/null
k anna add task --set title="Boris's now, anna's task" --set org="$AX" --set assignee=anna >/dev/null
k anna add event --set title="Meeting" --set start=2026-12-20T10:00 --set contact="$AC" --set online=1 >/dev/null
k anna add note --set title="Alpha note" --set text="secret terms" --set org="$A1" >/dev/null
k anna add link --set url=https://alpha.example --set org="$A1" >/dev/null
k anna add deal --set date=2026-11-01 --set amount=1000.50 --set org="$A1" --set source=web >/dev/null
k anna add note --set title="Sidorov note" --set text="about him" --set contact="$AC2" >/dev/null
k anna sync >/dev/null && k anna delete "$A3" >/dev/null && k anna sync >/dev/null || die "anna's cards"
# boris's (department north), one in the trash, one contact without an org
B1=$(k boris add org --set name="Boris North" --set grp=north --set phone="+7 495 999-88-77")
B2=$(k boris add org --set name="Boris Trashed" --set grp=north)
BC=$(k boris add contact --set last_name=Борисов --set org="$B1" --set phone_work="+7 495 999-88-70")
BC2=$(k boris add contact --set last_name=Одинокий --set grp=north --set messenger=@lonely)
k boris add task --set title="Boris task" --set org="$B1" >/dev/null
k boris add event --set title="Boris call" --set start=2026-12-21T11:00 --set org="$B1" --set type=call >/dev/null
k boris add note --set title="Lonely note" --set text="n" --set contact="$BC2" >/dev/null
k boris add deal --set date=2026-10-10 --set amount=99 --set contact="$BC" >/dev/null
k boris add link --set url=https://boris.example --set org="$B1" >/dev/null
k boris sync >/dev/null && k boris delete "$B2" >/dev/null && k boris sync >/dev/null || die "boris's cards"
# vera's (north-spb, a subgroup of north): lena's department sees it; a task for lena
V1=$(k vera add org --set name="Vera Piter" --set grp=north-spb --set email=piter@example.com)
k vera add contact --set last_name=Верина --set org="$V1" --set phone_home="+7 812 000-11-22" >/dev/null
k vera sync >/dev/null || die "vera's cards"
k vera add task --set title="For lena" --set org="$V1" --set assignee=lena >/dev/null
k vera add event --set title="Vera visit" --set start=2026-12-22T12:00 --set org="$V1" --set assignee=vera >/dev/null
k vera sync >/dev/null || die "vera's task"
# gleb's (no department), a task for the assistant
G1=$(k gleb add org --set name="Gleb Solo" --set phone="+7 495 123-00-00")
k gleb add task --set title="Asya, check Gleb Solo" --set org="$G1" --set assignee=asya >/dev/null
k gleb add contact --set last_name=Глебов --set org="$G1" >/dev/null
k gleb sync >/dev/null || die "gleb's cards"
# the head of sales: cards for others, a hand-over, an edit of anna's card, a trashed contact
k head sync >/dev/null || die "head sync"
H1=$(k head add org --set name="South Client" --set owner=gleb --set grp=south)
k head add org --set name="Given to anna" --set owner=anna >/dev/null
HC=$(k head add contact --set last_name=Южный --set org="$H1" --set owner=vera)
k head add task --set title="Head's task for asya" --set org="$B1" --set assignee=asya >/dev/null
k head edit "$AX" --set owner=boris >/dev/null && k head edit "$A1" --set comment="head was here" >/dev/null || die "head edits"
k head sync >/dev/null && k head delete "$HC" >/dev/null && k head sync >/dev/null || die "head's cards"
# a conflict: boris and the head of sales change B1's city at the same time
k boris edit "$B1" --set city=Мурманск >/dev/null && k head edit "$B1" --set city=Архангельск >/dev/null &&
  k head sync >/dev/null && k boris sync >/dev/null || die "conflict"
for t in org contact task event note link deal field_def group conflict staff; do
  n=$(sqlite3 "$M" "SELECT count(*) FROM t_$t"); [ "$n" -gt 0 ] || die "no $t records on the master"
done
pass "setup: $(sqlite3 "$M" "SELECT (SELECT count(*) FROM t_org)+(SELECT count(*) FROM t_contact)+(SELECT count(*) FROM t_task)+(SELECT count(*) FROM t_event)+(SELECT count(*) FROM t_note)+(SELECT count(*) FROM t_link)+(SELECT count(*) FROM t_deal)") cards, $(sqlite3 "$M" "SELECT count(*) FROM t_conflict") conflict(s), $(sqlite3 "$M" "SELECT count(*) FROM t_field_def") custom fields"

# the early PCs must sort below every victim's device, the late ones above
ids=$(for p in anna_e asya_e lena_e boss anna boris vera gleb head anna_l asya_l lena_l; do
  sqlite3 "$T/$p/replica.db" "SELECT value FROM meta WHERE key='device_id'"; done)
check_eq "device ids sort in enrolment order (early hostile PCs < victims' < late)" "$ids" "$(sort <<<"$ids")"

dev=()
for p in anna_e anna_l asya_e asya_l lena_e lena_l; do dev+=(--device "$p:${p%_*}:$T/$p"); done
/usr/bin/python3 "$LIB/hostile.py" --addr "$SRV_ADDR" --ca "$D/ca.crt" --master "$M" --pb "$T/pb" \
  --password-file "$T/pw" --pushes "$PUSHES" --max-seconds "${KT_HOSTILE_SECONDS:-75}" \
  ${KT_SEED:+--seed "$KT_SEED"} "${dev[@]}" 2>"$T/hostile.err" |
  tee "$T/hostile.out"
rc=${PIPESTATUS[0]}
_nfail=$((_nfail + $(grep -c '^FAIL: ' "$T/hostile.out")))
[ "$rc" -eq 0 ] || fail "hostile.py exited with $rc" "$(tail -5 "$T/hostile.err")"
check "server alive after the hostile pushes" kill -0 "$SRV_PID"
check "the master passes an integrity check" test "$(sqlite3 "$M" 'PRAGMA integrity_check')" = ok
check "the audit chain is intact" "$KTD" audit --data "$D" --verify
stop_server "$D"; check_eq "clean shutdown" 0 $?
finish
