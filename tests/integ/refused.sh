#!/usr/bin/env bash
# Changes the server refused are not stuck forever (issue 13): `status` and
# `outbox list` show each refused change with its card and the server's reason
# (kept on the replica, so it is there offline and after restarts); `outbox
# drop ID|--all-refused` gives a change up (the card goes back to the server's
# copy, a new card the server never accepted is removed); putting the card in
# the trash clears the refusal (a never-accepted new card is not sent, and the
# next sync removes it; a refused edit is set back and the deletion alone sent);
# a never-synced new card deleted on the PC never reaches the server unless
# restored first; and an unknown owner or assignee is refused on the PC before
# saving, with the office's users named.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
office anna:manager vera:manager boris:head_of_sales
k() { "$KT" --profile "$T/$1" "${@:2}"; }
at() { date -d "@$(( $(date +%s) + $1 ))" +%Y-%m-%dT%H:%M:%S; }
M=$D/master.db
pending() { k "$1" status --json | json 'd["pending"]'; }

ORG=$(k anna add org --set name="ООО Ромашка")
k vera add org --set name="ЗАО Вектор" >/dev/null
k anna sync >/dev/null || fail "anna syncs"
k vera sync >/dev/null || fail "vera syncs"

# a new event for someone who may not see the client: refused at every sync
EV=$(k anna add event --set type=call --set title="Перезвонить Ромашке" --set org="$ORG" \
  --set assignee=vera --set start="$(at 7200)")
check_fails "the server refuses the event" "vera may not see the organization" k anna sync
out=$(k anna sync 2>/dev/null)
check_contains "sync says where to look and what to do" "see \`kartoteka status\`" "$out"
st=$(k anna status)
check_contains "status lists the refused change with its card" "$EV  event    \"Call Перезвонить Ромашке\" new" "$st"
check_contains "...and the server's reason" 'refused by the server: event cannot be assigned: vera may not see the organization "ООО Ромашка"' "$st"
check_contains "...and how to get out of it" "kartoteka outbox drop ID" "$st"
check_eq "status --json has it, with the reason" "$EV event refused" \
  "$(k anna status --json | json '" ".join([d["refused"][0]["id"], d["refused"][0]["type"], d["refused"][0]["state"]]) if "vera may not see" in d["refused"][0]["refused"] else "no reason"')"
check_eq "outbox list --json shows the new card's refused change" "new refused" \
  "$(k anna outbox list --json | json '" ".join([e["change"]+" "+e["state"] for e in d if e["id"]=="'"$EV"'"])')"
check_contains "agenda --user vera on anna's PC still lists it meanwhile" "Перезвонить Ромашке" "$(k anna agenda --user vera)"

# trashing the never-accepted event clears it: it is not sent, the outbox is empty
check "anna puts the event in the trash" k anna delete "$EV"
check_eq "nothing waits to be sent" "0" "$(pending anna)"
check_eq "...status lists no refusal" "[]" "$(k anna status --json | json 'd["refused"]')"
check_not_contains "agenda --user vera no longer lists it" "Перезвонить Ромашке" "$(k anna agenda --user vera)"
check_contains "...it is in anna's trash until the next sync" "Перезвонить Ромашке" "$(k anna list event --trash)"
check "sync succeeds again" k anna sync
check_eq "the server never had it" "0" "$(sqlite3 "$M" "SELECT count(*) FROM t_event WHERE id='$EV'")"
check_fails "...and, the server having confirmed it, it left anna's PC" "no card with id" k anna show "$EV"

# a refused edit of an accepted event: outbox drop sets it back to the server's copy
E2=$(k anna add event --set type=call --set title="Звонок в Ромашку" --set org="$ORG" \
  --set assignee=anna --set start="$(at 3600)")
k anna sync >/dev/null || fail "E2 accepted"
k anna edit "$E2" --set assignee=vera >/dev/null
check_fails "the reassignment to vera is refused" "vera may not see" k anna sync
check_eq "outbox list shows an edit of the assignee" "edit refused ['assignee']" \
  "$(k anna outbox list --json | json '" ".join([e["change"]+" "+e["state"]+" "+str(e["fields"]) for e in d if e["id"]=="'"$E2"'"])')"
check_fails "drop of a card with nothing unsent" "no unsent change of $ORG" k anna outbox drop "$ORG"
stop_server "$D"
check_fails "drop needs the server's copy: offline it changes nothing" "cannot reach the server.*nothing was dropped" k anna outbox drop "$E2"
check_eq "...the change still waits" "1" "$(pending anna)"
check_contains "...and the reason is still known offline" "vera may not see" "$(k anna status)"
start_server "$D" "$SRV_ADDR"
check_contains "outbox drop sets the card back" "dropped 1 change: the card is set back to the server's copy" "$(k anna outbox drop "$E2")"
check_eq "...the assignee is anna again" "anna" "$(k anna show "$E2" --json | json 'd["assignee"]')"
check_eq "...nothing waits" "0" "$(pending anna)"
check "...and sync succeeds" k anna sync

# a refused edit whose card is then deleted: set back, the deletion alone is sent
E3=$(k anna add event --set type=call --set title="Третий звонок" --set org="$ORG" \
  --set assignee=anna --set start="$(at 3600)")
k anna sync >/dev/null
k anna edit "$E3" --set assignee=vera >/dev/null
k anna sync >/dev/null 2>&1
check "anna deletes the card of the refused edit" k anna delete "$E3"
check_eq "outbox list says what the next sync does" "dropping" \
  "$(k anna outbox list --json | json '" ".join([e["state"] for e in d if e["id"]=="'"$E3"'"])')"
check "the next sync succeeds" k anna sync
check_eq "the server has the event deleted, as it had it otherwise" "1|anna" \
  "$(sqlite3 "$M" "SELECT deleted, assignee FROM t_event WHERE id='$E3'")"
check_eq "...and so has anna's PC" "1 anna" "$(k anna show "$E3" --json | json 'str(int(d["deleted"]))+" "+d["assignee"]')"
check_eq "...nothing waits" "0" "$(pending anna)"

# outbox drop --all-refused: two new events the server never accepted are removed
N1=$(k anna add event --set title="Первый" --set org="$ORG" --set assignee=vera --set start="$(at 600)")
N2=$(k anna add task --set title="Второй" --set org="$ORG" --set assignee=vera --set due="$(at 600)")
OK=$(k anna add note --set text="Заметка, которую сервер примет" --set org="$ORG")
k anna sync >/dev/null 2>&1
check_eq "two refused, the note accepted" "2" "$(k anna status --json | json 'len(d["refused"])')"
check_contains "drop --all-refused" "dropped 2 new cards the server never accepted: removed from this PC" \
  "$(k anna outbox drop --all-refused)"
check_fails "...the first is gone from anna's PC" "no card with id" k anna show "$N1"
check_fails "...and the second" "no card with id" k anna show "$N2"
check_contains "...the accepted note stays" "Заметка" "$(k anna show "$OK")"
check_fails "nothing is left to drop" "refused none of this PC's changes" k anna outbox drop --all-refused
check "sync succeeds" k anna sync

# a never-synced new card deleted on the PC is not sent: restored before the next sync it
# is sent whole, else that sync removes it
NOTE=$(k anna add note --set title="Черновик" --set text="передумала" --set org="$ORG")
k anna delete "$NOTE" >/dev/null
check_eq "a new card deleted before any sync waits for nothing" "0" "$(pending anna)"
check_eq "...outbox list does not show it" "[]" "$(k anna outbox list --json | json '[e["id"] for e in d]')"
k anna restore "$NOTE" >/dev/null
check_eq "restored before a sync, it waits to be sent" "1" "$(pending anna)"
check "...and is sent" k anna sync
check_eq "...whole" "Черновик|передумала|0" "$(sqlite3 "$M" "SELECT title, text, deleted FROM t_note WHERE id='$NOTE'")"
NOTE2=$(k anna add note --set title="Второй черновик" --set text="не нужен" --set org="$ORG")
k anna delete "$NOTE2" >/dev/null
check "deleted before it was ever sent" k anna sync
check_eq "...the server never hears of it" "0" "$(sqlite3 "$M" "SELECT count(*) FROM t_note WHERE id='$NOTE2'")"
check_fails "...and it is gone from anna's PC too" "no card with id" k anna show "$NOTE2"
check_eq "anna's PC holds what the master holds for her" "$("$KTD" dump --data "$D" | grep -c "^note ")" \
  "$(k anna dump | grep -c "^note ")"

# what the PC can know itself: owners and assignees are accounts of the office
check_fails "an unknown assignee is refused before saving" \
  "assignee: there is no user named nobody in this office; the users are: anna, boris, boss, vera" \
  k anna add task --set title="Кому?" --set assignee=nobody
check_fails "...and an unknown owner on edit" "owner: there is no user named ghost" k anna edit "$ORG" --set owner=ghost
check_eq "...nothing was written" "0" "$(pending anna)"
check "a known colleague passes the check (the server judges the rights)" \
  k anna add task --set title="Для Веры" --set assignee=vera
k anna sync >/dev/null

check "server alive" kill -0 "$SRV_PID"
stop_server "$D"
finish
