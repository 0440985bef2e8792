#!/usr/bin/env bash
# What each PC holds must be the master filtered by its user's rights, in the
# corners converge_rights.sh found (issue 12), each as a fixed scenario: a
# phone that becomes a colleague's (a reassignment within the group) is
# forgotten; a custom e-mail field is protected like the built-in one; a
# conflict about a phone keeps the numbers from those who may not see them; a
# task's assignee gets the conflict about it; a refused change sent again with
# the same number (its answer lost) is refused again, not taken for applied.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
LIB=$(cd "$(dirname "$0")/../lib" && pwd)
D=$T/data
init_server "$D"
# a lead reads and edits the cards of her group, and does not see colleagues' phones
"$KTD" role set --data "$D" --role lead --from manager \
  --rights "org=group/group/own contact=group/group/own task=group/group/own" >/dev/null
add_user "$D" anna manager; add_user "$D" boris manager; add_user "$D" dina lead
add_user "$D" vera head_of_sales
start_server "$D"
for u in boss anna boris dina vera; do enroll "$D" $u "$T/$u" || { echo "FAIL: enroll $u"; exit 1; }; done
enroll "$D" boris "$T/boris2" || { echo "FAIL: enroll boris2"; exit 1; }
k() { "$KT" --profile "$T/$1" "${@:2}"; }
q() { "$@" >/dev/null 2>&1; }
q k boss group add north; q k boss sync
"$KTD" user role --data "$D" --user dina --group north >/dev/null
"$KTD" user role --data "$D" --user boris --group north >/dev/null
q k boss field add org --name cemail --label "E-mail 3" --type email; q k boss sync
for u in anna boris boris2 dina vera; do q k $u sync; done
row() { k "$1" dump | grep -- "$2"; }

# ---- a phone that becomes a colleague's ----------------------------------------------
D1=$(k dina add org --set name=Dina1 --set grp=north)
q k dina edit "$D1" --set phone="+7 916 111-22-33"; q k dina sync
check_contains "(control) dina's own card shows its phone on her PC" "phone=+7 916 111-22-33" "$(row dina "$D1")"
q k vera sync; q k vera edit "$D1" --set owner=boris; q k vera sync; q k dina sync
check_contains "the card, now boris's, is still in dina's group: she still has it" "org $D1" "$(row dina "$D1")"
check_not_contains "... but no longer its phone (a colleague's)" "phone=" "$(row dina "$D1")"
check_not_contains "... not even in the replica file" "916 111-22-33" "$(sqlite3 "$T/dina/replica.db" "SELECT phone FROM t_org WHERE id='$D1'")"
q k boris sync
check_contains "boris, the new owner, has the phone" "phone=+7 916 111-22-33" "$(row boris "$D1")"

# ---- a custom e-mail field --------------------------------------------------------------
B1=$(k boris add org --set name=Boris1 --set grp=north --set cemail=secret@example.com --set phone="+7 495 000-00-01")
q k boris sync; q k dina sync
check_contains "(control) dina has boris's card of her group" "org $B1" "$(row dina "$B1")"
check_not_contains "... without its custom e-mail (protected like the built-in one)" "secret@example.com" "$(row dina "$B1")"
check_not_contains "... nor its phone" "000-00-01" "$(row dina "$B1")"
check_contains "vera (head of sales, sees contacts) has the custom e-mail" "cemail=secret@example.com" "$(q k vera sync; row vera "$B1")"

# ---- a conflict about a phone -----------------------------------------------------------
q k boris2 sync
q k boris edit "$B1" --set phone="+7 495 111-11-11"; q k boris2 edit "$B1" --set phone="+7 495 222-22-22"
q k boris sync; q k boris2 sync; q k boris sync; q k dina sync
check_contains "(control) the master has the conflict" "rid=$B1" "$("$KTD" dump --data "$D" | grep '^conflict')"
check_contains "boris sees the numbers in his conflicts" "+7 495 111-11-11" "$(k boris conflicts)"
dc=$(row dina '^conflict')
check_contains "dina has the conflict about a card of her group" "rid=$B1" "$dc"
check_not_contains "... without the first number" "111-11-11" "$dc"
check_not_contains "... or the second" "222-22-22" "$dc"
check_contains "... her conflicts list says the values are protected" "(protected)" "$(k dina conflicts)"

# ---- the assignee gets the conflict about his task --------------------------------------
T1=$(k anna add task --set title=Call --set assignee=boris); q k anna sync; q k boris sync
q k anna edit "$T1" --set status=done; q k boris edit "$T1" --set status=cancelled
q k boris sync; q k anna sync; q k boris sync
check_contains "(control) the master has the conflict about anna's task" "rid=$T1" "$("$KTD" dump --data "$D" | grep '^conflict')"
check_contains "boris, the task's assignee, has it on his PC" "rid=$T1" "$(row boris '^conflict')"

# ---- a refused change sent again with the same number -----------------------------------
NOW=$(( $(date +%s%3N) << 16 ))
CH="changes { counter: 1000 type: \"org\" id: \"$B1\" fields { name: \"city\" text: \"Тула\" stamp: $NOW } }"
out=$(KT_CERT=$T/anna/device.crt KT_KEY=$T/anna/device.key /usr/bin/python3 "$LIB/rawclient.py" \
  127.0.0.1 "${SRV_ADDR##*:}" "$D/ca.crt" 'msg:req_id: 1 hello { protocol_version: 1 }' read \
  'msg:req_id: 2 login { user: "anna" password: "correct horse battery" }' read \
  "msg:req_id: 3 push { $CH }" read "msg:req_id: 4 push { $CH }" read | grep push_ack)
check_eq "a refused change, and the same change again: refused both times" 2 "$(grep -c 'status: REJECTED' <<<"$out")"
check_eq "... the master unchanged" "" "$(sqlite3 "$D/master.db" "SELECT city FROM t_org WHERE id='$B1'")"

check "server alive" kill -0 "$SRV_PID"
stop_server "$D"; check_eq "clean shutdown" 0 $?
finish
