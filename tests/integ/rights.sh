#!/usr/bin/env bash
# Rights with a real server: two managers and a head of sales. Each replica
# holds exactly what the role allows, compared record by record against a
# query on the master's record tables; a reassignment moves a card (with its
# contacts, tasks and notes) out of one replica and into another, and the old
# replica's files (database and WAL) no longer contain its text; role changes
# rebuild a replica; hidden contact fields; the duplicate claim check; a
# disabled user's replica is wiped; remote administration; the audit log.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
D=$T/data
init_server "$D"
add_user "$D" anna manager; add_user "$D" boris manager; add_user "$D" head head_of_sales
start_server "$D"
for u in boss anna boris head; do enroll "$D" $u "$T/$u" || { echo "FAIL: enroll $u"; exit 1; }; done
k() { "$KT" --profile "$T/$1" "${@:2}"; }
M=$D/master.db

# anna's and boris's clients, made on their own PCs
A1=$(k anna add org --set name="Zebrafirm Anna" --set phone="+7 495 111-22-33" --set city=Москва)
A2=$(k anna add org --set name="Ромашка Анны" --set tax_id=7701000001)
AC=$(k anna add contact --set last_name=Петрова --set org="$A1" --set phone_mobile="+7 916 000-00-01")
AT=$(k anna add task --set title="Позвонить Зебре" --set org="$A1")
AN=$(k anna add note --set title="Заметка Анны" --set text="секретное условие Zebranote" --set org="$A1")
B1=$(k boris add org --set name="Борис и сыновья" --set phone="+7 495 999-88-77")
BC=$(k boris add contact --set last_name=Борисов --set first_name=Олег)
# a task may be given only to somebody who sees its client (the server refuses
# otherwise, see reminders.sh); anna's task stays hers when the head of sales
# hands its card over to boris, though the card leaves her PC
BX=$(k anna add org --set name="Борисова лавка")
BT=$(k anna add task --set title="Задача Бориса для Анны" --set org="$BX" --set assignee=anna)
k anna sync >/dev/null || fail "sync anna"
k head sync >/dev/null && k head edit "$BX" --set owner=boris >/dev/null
for u in head anna boris head anna boris; do k $u sync >/dev/null || fail "sync $u"; done

# the expected visible set of a manager, straight from the master's record tables
expect_ids() {
  local u=$1
  sqlite3 "$M" "
    SELECT id FROM t_org WHERE owner = '$u'
    UNION ALL SELECT c.id FROM t_contact c LEFT JOIN t_org o ON o.id = c.org
      WHERE COALESCE(o.owner, c.owner) = '$u'
    UNION ALL SELECT t.id FROM t_task t LEFT JOIN t_org o ON o.id = t.org
      LEFT JOIN t_contact c ON c.id = t.contact LEFT JOIN t_org co ON co.id = c.org
      WHERE COALESCE(o.owner, co.owner, c.owner, t.owner) = '$u' OR t.assignee = '$u'
    UNION ALL SELECT t.id FROM t_event t LEFT JOIN t_org o ON o.id = t.org
      LEFT JOIN t_contact c ON c.id = t.contact LEFT JOIN t_org co ON co.id = c.org
      WHERE COALESCE(o.owner, co.owner, c.owner, t.owner) = '$u' OR t.assignee = '$u'
    UNION ALL SELECT t.id FROM t_note t LEFT JOIN t_org o ON o.id = t.org
      LEFT JOIN t_contact c ON c.id = t.contact LEFT JOIN t_org co ON co.id = c.org
      WHERE COALESCE(o.owner, co.owner, c.owner, t.owner) = '$u'
    UNION ALL SELECT t.id FROM t_deal t LEFT JOIN t_org o ON o.id = t.org
      LEFT JOIN t_contact c ON c.id = t.contact LEFT JOIN t_org co ON co.id = c.org
      WHERE COALESCE(o.owner, co.owner, c.owner, t.owner) = '$u'
    UNION ALL SELECT id FROM t_group UNION ALL SELECT id FROM t_field_def
    UNION ALL SELECT id FROM t_section UNION ALL SELECT id FROM t_reminder WHERE owner = '$u'
    UNION ALL SELECT id FROM t_staff
    UNION ALL SELECT f.id FROM t_conflict f JOIN t_org o ON o.id = f.rid WHERE o.owner = '$u'" | sort
}
replica_ids() {
  local tabs="org contact task event note link deal group field_def section conflict reminder staff" q="" t
  for t in $tabs; do q="$q${q:+ UNION ALL }SELECT id FROM t_$t"; done
  sqlite3 "$T/$1/replica.db" "$q" | sort
}
# the master's canonical lines of exactly these ids
master_lines() { "$KTD" dump --data "$D" | grep -F -f <(echo "$1" | sed 's/^/ /; s/$/ /'); }
same_as_master() {
  local u=$1 ids; ids=$(expect_ids "$u")
  check_eq "$u's replica holds exactly what the role allows" "$ids" "$(replica_ids "$u")"
  check_eq "$u's records equal the master's, record by record" "$(master_lines "$ids")" "$(k "$u" dump)"
}
same_as_master anna
same_as_master boris
check_eq "the head of sales holds the whole base" "$("$KTD" dump --data "$D")" "$(k head dump)"
check_contains "anna has boris's task assigned to her" "Задача Бориса" "$(k anna list task)"
check_eq "... but not the card it belongs to" "" "$(k anna list org | grep Борис)"
check_eq "anna's search finds nothing of boris's" "0" "$(k anna search Борис --json | json 'len([r for r in d if r["kind"]!="task"])')"

# reassignment: the head of sales gives Zebrafirm to boris
check "head reassigns anna's card to boris" k head edit "$A1" --set owner=boris
k anna sync >/dev/null; k head sync >/dev/null
check "anna syncs after the reassignment" k anna sync
check_eq "the card left anna's replica" "" "$(k anna list org --json | json '" ".join(r["name"] for r in d)' | grep Zebra)"
check_eq "... with its contact and task" "0" "$(sqlite3 "$T/anna/replica.db" "SELECT (SELECT count(*) FROM t_contact WHERE id='$AC') + (SELECT count(*) FROM t_task WHERE id='$AT')")"
check_eq "... and its note" "0" "$(sqlite3 "$T/anna/replica.db" "SELECT count(*) FROM t_note WHERE id='$AN'")"
k anna status >/dev/null # another open/close of the replica must not bring anything back
for f in "$T/anna"/replica.db*; do
  check_eq "no trace of the card's text in $(basename "$f")" "0" "$(grep -a -c -i -e zebrafirm -e zebranote "$f")"
done
check "boris syncs" k boris sync
check_contains "the card is in boris's replica" "Zebrafirm Anna" "$(k boris list org)"
check_contains "... with its note" "Zebranote" "$(k boris show "$AN")"
same_as_master anna
same_as_master boris
check_contains "the reassignment is in the audit log" "reassign $A1 org from anna to boris" "$("$KTD" audit --data "$D")"
check_fails "a manager may not reassign" "may not give organization cards to another person" sh -c "'$KT' --profile '$T/boris' edit '$B1' --set owner=anna >/dev/null && '$KT' --profile '$T/boris' sync"
check_eq "... the refused change left the master as it was" "boris" "$(sqlite3 "$M" "SELECT owner FROM t_org WHERE id='$B1'")"

# duplicate claim check: the server answers across the whole base
check_fails "a client with boris's phone is refused" "already exists, assigned to boris" k anna add org --set name="Двойник" --set phone="8 (495) 999-88-77"
check_fails "... and by tax id" "already exists, assigned to anna" k boris add org --set name="Двойник 2" --set tax_id="7701000001"
check_eq "... without giving away the card" "" "$(k anna list org | grep -i 'Борис и')"
check "--force adds it anyway" k anna add org --set name="Двойник" --set phone="8 (495) 999-88-77" --force
check "a new phone passes" k anna add org --set name="Новый клиент" --set phone="+7 495 321-00-00"
# claims follow edits: a changed phone is claimed at once, and other edits keep it
k boris edit "$B1" --set phone="+7 495 555-44-33" >/dev/null; k boris sync >/dev/null
k boris edit "$B1" --set comment="звонить после обеда" >/dev/null; k boris sync >/dev/null
check_fails "a phone changed on a card is claimed (and kept by later edits)" "already exists, assigned to boris" \
  k anna add org --set name="Двойник 3" --set phone="8 495 555 44 33"

# import uses the claim check too: duplicates of existing clients are skipped and named
printf 'name,phone\nИмпорт один,+7 495 700-00-01\nИмпорт два,+7 (495) 321-00-00\nИмпорт три,+7 495 111-22-33\n' > "$T/imp.csv"
# (import is a right: the manager role has none, the head of sales has it)
n0=$(k anna list org --json | json 'len(d)')
check_fails "a manager may not import" "your role \(manager\) may not import cards; ask your administrator" \
  k anna import csv "$T/imp.csv" --type org
check_eq "... and nothing was added" "$n0" "$(k anna list org --json | json 'len(d)')"
k anna sync >/dev/null; k head sync >/dev/null
out=$(k head import csv "$T/imp.csv" --type org 2>&1)
check_contains "import adds the new client" "imported 1 row; 2 skipped" "$out"
check_contains "... names the duplicate of a colleague's client" "line 4 skipped: a client with this phone (+7 495 111-22-33) already exists, assigned to boris" "$out"
check_contains "... and of another's" "line 3 skipped: a client with this phone (+7 (495) 321-00-00) already exists, assigned to anna" "$out"
check_eq "... and really skipped them" "1" "$(k head list org --json | json 'len([r for r in d if r["name"].startswith("Импорт")])')"
# a bigger file asks the server about its keys a thousand at a time (two requests here),
# and a duplicate past the first thousand is still found
{ echo 'name,phone,email'
  for i in $(seq 1 1500); do
    if [ "$i" = 1200 ]; then echo "Пакет $i,+7 495 111-22-33,"; else printf 'Пакет %s,+7 812 %03d-%02d-%02d,p%s@example.ru\n' "$i" $((i / 10000)) $((i / 100 % 100)) $((i % 100)) "$i"; fi
  done; } > "$T/imp2.csv"
out=$(k head import csv "$T/imp2.csv" --type org 2>&1)
check_contains "a 1,500-row import checks its claims in batches" "imported 1499 rows; 1 skipped" "$out"
check_contains "... the duplicate past the first thousand named" "line 1201 skipped: a client with this phone (+7 495 111-22-33) already exists, assigned to boris" "$out"

# role changes rebuild the replica under the new rights
check "the administrator makes boris an assistant from his PC" k boss admin user role boris --role assistant
check "boris syncs under the new role" k boris sync
check_eq "an assistant holds the whole base" "$("$KTD" dump --data "$D" | grep -c .)" "$(k boris dump | grep -c .)"
check "back to manager" k boss admin user role boris --role manager
check "boris syncs again" k boris sync
same_as_master boris

# rights narrowed while a PC was offline: the edit it made is refused and set back
k head edit "$B1" --set city=Тула >/dev/null
check "head is made a manager meanwhile" "$KTD" user role --data "$D" --user head --role manager
check_fails "head's sync reports the refusal" "refused a change" k head sync
check_eq "the master kept boris's card as it was" "" "$(sqlite3 "$M" "SELECT city FROM t_org WHERE id='$B1'")"
check_eq "the card left head's PC (not his to see any more)" "0" "$(sqlite3 "$T/head/replica.db" "SELECT count(*) FROM t_org WHERE id='$B1'")"
check_eq "nothing is left waiting in head's outbox" "0" "$(k head status --json | json 'd["pending"]')"
check "head is head of sales again" "$KTD" user role --data "$D" --user head --role head_of_sales
check "head syncs" k head sync
check_eq "... and holds the whole base again" "$("$KTD" dump --data "$D")" "$(k head dump)"

# hidden contact fields: a role that reads everything but not others' phones
check "the administrator defines a role" "$KTD" role set --data "$D" --role junior --from manager --rights "org.read=all contact.read=all"
add_user "$D" gleb junior; enroll "$D" gleb "$T/gleb"
check "gleb syncs" k gleb sync
check_contains "gleb sees boris's card" "Борис и сыновья" "$(k gleb show "$B1")"
check_eq "... but not its phone" "" "$(k gleb show "$B1" --json | json 'd.get("phone") or ""')"
check_eq "the phone is nowhere in gleb's replica" "0" "$(grep -a -c '999-88-77' "$T/gleb/replica.db")"
check_fails "a non-admin cannot administer" "only an administrator.*nothing was sent" k anna admin user role anna --role administrator
# a PC that does not know its rights (never synced, or a hand-made client) asks: the server refuses
sqlite3 "$T/anna/replica.db" "DELETE FROM meta WHERE key = 'rights'"
check_fails "... and the server refuses it too" "only an administrator" k anna admin user role anna --role administrator
check_contains "... which is audited" "denied.admin" "$("$KTD" audit --data "$D" --user anna)"

# group level: a team lead reads the cards of her department and its subgroups
check "admin adds a department" k boss group add north
check "... and a subgroup" k boss group add north-spb --parent north
k boss sync >/dev/null; k boris sync >/dev/null
BN=$(k boris add org --set name="Северный клиент" --set grp=north)
BP=$(k boris add org --set name="Питерский клиент" --set grp=north-spb)
BS=$(k boris add org --set name="Южный клиент")
check_fails "a group the office does not have is refused on the PC" \
  "there is no group 'south'; the groups are: north, north-spb" k boris add org --set name="Ещё южный" --set grp=south
k boris sync >/dev/null
check "a group-level role" "$KTD" role set --data "$D" --role team --from manager --rights "org=group/group/own contact=group/group/own"
add_user "$D" lena team; "$KTD" user role --data "$D" --user lena --group north >/dev/null
enroll "$D" lena "$T/lena"
check "lena syncs" k lena sync
lo=$(k lena list org)
check_contains "lena sees her department's card" "Северный клиент" "$lo"
check_contains "... and its subgroup's" "Питерский клиент" "$lo"
check_not_contains "... but not a card outside it" "Южный клиент" "$lo"
check "lena may edit a department card" k lena edit "$BN" --set city=Мурманск
check "... and the server agrees" k lena sync
check_eq "the edit reached the master" "Мурманск" "$(sqlite3 "$M" "SELECT city FROM t_org WHERE id='$BN'")"
check "lena leaves the department" "$KTD" user role --data "$D" --user lena --group ""
check "lena syncs" k lena sync
check_eq "her replica no longer holds the department's cards" "" "$(k lena list org | grep -e Северный -e Питерский)"

# remote administration: add a user and invite them
check "admin adds a user remotely" k boss admin user add vera --role manager --password-file "$T/pw"
check_contains "... listed" "vera" "$(k boss admin user list)"
INV=$(k boss admin invite vera) && check "vera connects with a remote invite" "$KT" --profile "$T/vera" connect --invite "$INV" --password-file "$T/pw"
VDEV=$(k vera status --json | json 'd["device"]')
check_contains "the administrator lists devices from his PC (vera's new PC among them)" "$VDEV" "$(k boss admin device list)"
check_fails "... a manager may not" "only an administrator" k anna admin device list
# every listing answers --json (it printed tab-separated text) and people get a table with headers
check_eq "admin user list --json" "manager" "$(k boss admin user list --json | json '[u["role"] for u in d if u["name"]=="vera"][0]')"
check_eq "admin role list --json" "True" "$(k boss admin role list --json | json '"+manage_users" in [r for r in d if r["name"]=="administrator"][0]["rights"]')"
check_eq "admin device list --json" "vera active" "$(k boss admin device list --json | json '" ".join([x["user"] + " " + x["state"] for x in d if x["user"]=="vera"])')"
check_contains "admin user list has a header line" "Name" "$(k boss admin user list | head -1)"
check "... and aligned columns" grep -qE '^vera +manager +- +active' <(k boss admin user list)
check_eq "kartotekad device list --json" "$VDEV" "$("$KTD" device list --data "$D" --json | json '[x["id"] for x in d if x["user"]=="vera"][0]')"
check_eq "a new manager starts with nothing but the office settings" "0" "$(k vera list org --json | json 'len(d)')"

# a disabled user: sessions end, the replica is wiped on the next connection
k anna sync --watch >/dev/null 2>"$T/watch.err" & W=$!; _bg_pids+=($W)
for _ in $(seq 50); do grep -q . "$T/anna/sync.lock" 2>/dev/null; sleep 0.1; [ "$(k anna status --json 2>/dev/null | json 'd["online"]')" == "True" ] && break; done
sleep 0.5
check "disable anna (on the server machine, while her PC is connected)" "$KTD" user disable --data "$D" --user anna
for _ in $(seq 50); do kill -0 $W 2>/dev/null || break; sleep 0.1; done
check_eq "anna's open session ended at once" "ended" "$(kill -0 $W 2>/dev/null && echo running || echo ended)"
check_contains "... telling her why" "disabled" "$(cat "$T/watch.err")"
check_fails "anna's next sync is refused" "disabled" k anna sync
check_eq "anna's replica was wiped" "0" "$(sqlite3 "$T/anna/replica.db" "SELECT (SELECT count(*) FROM t_org)+(SELECT count(*) FROM t_contact)+(SELECT count(*) FROM t_task)")"
for f in "$T/anna"/replica.db*; do
  check_eq "no trace of anna's cards in $(basename "$f")" "0" "$(grep -a -c -e 'Ромашка Анны' -e 'Петрова' "$f")"
done

# the audit log: logins, administration, bulk pulls; and its chain checks out
a=$("$KTD" audit --data "$D")
for act in login admin.user.role admin.user.add admin.invite pull.full reassign admin.user.disable; do
  check_contains "audit has $act" " $act " "$a"
done
check_contains "audit --verify" "intact" "$("$KTD" audit --data "$D" --verify)"
check_eq "audit --json is a JSON array" "True" "$("$KTD" audit --data "$D" --json | json 'isinstance(d, list) and len(d) > 10')"

check "server alive" kill -0 "$SRV_PID"
stop_server "$D"
# offline, the claim check falls back to the cards on this PC
check_fails "offline claim check still catches a local duplicate" "already exists.*on this PC" k boris add org --set name="Повтор" --set phone="+7 495 555-44-33"
finish
