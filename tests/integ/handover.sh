#!/usr/bin/env bash
# Hand-over (issue 18): `kartoteka admin handover --from anna --to boris` moves
# anna's clients with their contacts, events, tasks, deals and notes to boris
# in one audited server operation: every moved record gets the new owner, with
# --with-tasks anna's open tasks and planned events on them become boris's;
# anna's PC purges them at its next sync, boris's PC gets them with their
# reminders and birthdays. --where picks clients, --dry-run changes nothing.
# Bad input: to an unknown or disabled user, to oneself, nothing to move, a bad
# filter, not an administrator — a clear error and nothing changed. A server
# killed in the middle of a big hand-over leaves no half-moved client, and a
# rerun moves the rest.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
D=$T/data
init_server "$D"
add_user "$D" anna manager; add_user "$D" boris manager; add_user "$D" vera manager
start_server "$D"
ADDR=$SRV_ADDR
for u in boss anna boris; do enroll "$D" $u "$T/$u" || { echo "FAIL: enroll $u"; exit 1; }; done
k() { "$KT" --profile "$T/$1" "${@:2}"; }
master() { "$KTD" dump --data "$D"; }
owner_of() { master | grep -- "$1" | grep -o 'owner=[^@ ]*' | head -1; }

TOMORROW=$(date -d '+1 day' +%Y-%m-%dT10:00)
O1=$(k anna add org --set name="Ромашка" --set city=Москва)
C1=$(k anna add contact --set last_name=Петров --set org="$O1" --set birthday="$(date -d '+1 day' +1980-%m-%d)")
E1=$(k anna add event --set type=call --set title="Позвонить Петрову" --set start="$TOMORROW" \
  --set org="$O1" --set assignee=anna --set status=planned --json | json 'd["id"]')
T1=$(k anna add task --set title="Счёт Петрову" --set contact="$C1" --set assignee=anna --json | json 'd["id"]')
T0=$(k anna add task --set title="Старый счёт" --set org="$O1" --set assignee=anna --set status=done --json | json 'd["id"]')
D1=$(k anna add deal --set date=2026-01-20 --set amount=1000 --set org="$O1")
N1=$(k anna add note --set title="Любит звонки" --set text="до обеда" --set org="$O1")
O2=$(k anna add org --set name="Тверская" --set city=Тверь)
C3=$(k anna add contact --set last_name=Одинокова --set birthday="$(date -d '+1 day' +1990-%m-%d)")
k anna sync >/dev/null || fail "anna syncs"
k boss sync >/dev/null; k boris sync >/dev/null
"$KTD" user disable --data "$D" --user vera >/dev/null
before=$(master)

# bad input: a clear error and nothing changed
check_fails "to an unknown user" "no user named nobody" k boss admin handover --from anna --to nobody
check_fails "from an unknown user" "no user named ghost" k boss admin handover --from ghost --to boris
check_fails "to a disabled user" "disabled" k boss admin handover --from anna --to vera
check_fails "to oneself" "themselves" k boss admin handover --from anna --to anna
check_fails "nothing to move" "boris has no clients" k boss admin handover --from boris --to anna
check_fails "nothing matches the filter" "no clients matching" k boss admin handover --from anna --to boris --where city=Омск
check_fails "a filter on no field" "no field 'colour'" k boss admin handover --from anna --to boris --where colour=red
check_fails "a filter without =" "FIELD=VALUE" k boss admin handover --from anna --to boris --where city
check_fails "no --to" "from USER --to USER" k boss admin handover --from anna
check_fails "a manager may not hand over" "administrator" k anna admin handover --from anna --to boris
check_eq "nothing changed by the refusals" "$before" "$(master)"
check_contains "refusals are audited" "denied.handover" "$("$KTD" audit --data "$D" 2>/dev/null)"

check "a dry run" k boss admin handover --from anna --to boris --where city=Москва --with-tasks --dry-run --json
check_eq "... counts one client, its 6 records, 2 open items" "1 7 2 True" \
  "$(json '"%d %d %d %s" % (d["clients"], d["records"], d["reassigned"], d["dry_run"])' < "$T/.out")"
check_eq "... and changes nothing" "$before" "$(master)"

check "hand over the Moscow clients with their tasks" \
  k boss admin handover --from anna --to boris --where city=Москва --with-tasks
check_contains "... says what it did" "handed 1 client of anna to boris (7 records in all); 2 open" "$(cat "$T/.out")"
for id in "$O1" "$C1" "$E1" "$T1" "$T0" "$D1" "$N1"; do
  check_eq "moved: $id" "owner=boris" "$(owner_of "$id")"
done
check_contains "the open task is boris's now" "assignee=boris@" "$(master | grep -- "$T1")"
check_contains "the planned call too" "assignee=boris@" "$(master | grep -- "$E1")"
check_contains "the done task keeps its assignee" "assignee=anna@" "$(master | grep -- "$T0")"
check_eq "the other client stayed" "owner=anna" "$(owner_of "$O2")"
check_contains "audited with counts" "1 clients, 7 records, 2 open tasks and events reassigned" \
  "$("$KTD" audit --data "$D" 2>/dev/null | grep admin.handover)"
check "the card's history names the hand-over" k boss history "$O1" --field owner --json
check_eq "... anna -> boris, by the administrator" "anna boris boss" \
  "$(json '"%s %s %s" % (d["changes"][-1]["old"], d["changes"][-1]["new"], d["changes"][-1]["user"])' < "$T/.out")"

k anna sync >/dev/null; k boris sync >/dev/null
A=$(k anna dump); [ -n "${KT_SHOW:-}" ] && echo "$A"
for id in "$O1" "$C1" "$E1" "$T1" "$D1" "$N1"; do
  check_eq "anna's PC purged $id" "0" "$(echo "$A" | grep -c "^[a-z_]* $id ")"
done
check_eq "... but keeps the done task she was assigned (an assignee reads her own work)" "1" \
  "$(echo "$A" | grep -c "^task $T0 .*assignee=anna@")"
check_contains "anna keeps her other client" "$O2" "$A"
B=$(k boris dump)
for id in "$O1" "$C1" "$E1" "$T1" "$D1" "$N1"; do check_contains "boris's PC has $id" "$id" "$B"; done
check_contains "boris's agenda has the call" "Позвонить Петрову" "$(k boris agenda)"
check_contains "boris is reminded of Петров's birthday" "Петров" "$(k boris remind list)"
check_not_contains "anna no longer is" "Петров" "$(k anna remind list)"

check "hand over the rest" k boss admin handover --from anna --to boris --json
check_eq "... the Tver org and the contact of no organization" "2" "$(json 'd["clients"]' < "$T/.out")"
check_fails "a second run finds nothing" "anna has no clients" k boss admin handover --from anna --to boris
k boris sync >/dev/null
check_contains "boris is reminded of Одинокова's birthday" "Одинокова" "$(k boris remind list)"

# a big hand-over killed in the middle: no half-moved client, a rerun finishes
{ echo "name;city;owner"; for i in $(seq 1 400); do echo "Фирма $i;Казань;boris"; done; } > "$T/orgs.csv"
{ echo "last_name;org;owner"; for i in $(seq 1 400); do echo "Сотрудник $i;Фирма $i;boris"; done; } > "$T/cons.csv"
k boss import csv "$T/orgs.csv" --type org >/dev/null || fail "import orgs"
k boss import csv "$T/cons.csv" --type contact >/dev/null || fail "import contacts"
k boss sync >/dev/null || fail "boss sends boris's 800 cards"
k boss admin handover --from boris --to anna --where city=Казань >/dev/null 2>&1 &
HP=$!
for _ in $(seq 200); do
  n=$(sqlite3 "$D/master.db" "SELECT count(*) FROM t_org WHERE city='Казань' AND owner='anna'" 2>/dev/null)
  [ "${n:-0}" -gt 20 ] && break; sleep 0.02
done
kill -9 "$SRV_PID"; wait "$SRV_PID" 2>/dev/null; wait "$HP" 2>/dev/null
moved=$(sqlite3 "$D/master.db" "SELECT count(*) FROM t_org WHERE city='Казань' AND owner='anna'")
echo "note: $moved of 400 clients moved before the kill"
check_eq "killed mid-way: some moved, not all" "yes" "$([ "$moved" -gt 0 ] && [ "$moved" -lt 400 ] && echo yes || echo "no ($moved)")"
check_eq "no half-moved client: each contact has its org's owner" "0" \
  "$(sqlite3 "$D/master.db" "SELECT count(*) FROM t_contact c JOIN t_org o ON o.id = c.org WHERE o.city='Казань' AND c.owner <> o.owner")"
start_server "$D" "$ADDR"
t0=$(date +%s%N)
check "the rerun finishes the rest" k boss admin handover --from boris --to anna --where city=Казань --json
echo "note: the rerun moved $((400 - moved)) clients with their contacts in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check_eq "... the clients left" "$((400 - moved))" "$(json 'd["clients"]' < "$T/.out")"
check_eq "all 800 cards are anna's" "800" \
  "$(sqlite3 "$D/master.db" "SELECT (SELECT count(*) FROM t_org WHERE city='Казань' AND owner='anna') + (SELECT count(*) FROM t_contact c JOIN t_org o ON o.id = c.org WHERE o.city='Казань' AND c.owner='anna')")"
k anna sync >/dev/null; k boris sync >/dev/null
check_eq "anna's PC has them" "400" "$(k anna list org --where city=Казань --limit 1000 --json | json 'len(d)')"
check_eq "boris's PC purged them" "0" "$(k boris list org --where city=Казань --limit 1000 --json | json 'len(d)')"
stop_server "$D"
finish
