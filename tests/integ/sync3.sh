#!/usr/bin/env bash
# Three PCs share one card index through a real kartotekad: each edits offline
# (including the same field of the same card), deletes and restores, adds a
# custom field; after syncing in any order every replica and the master print
# the same canonical dump, and the conflict log keeps the losing edit. A raw
# client that speaks protobuf is refused for bad changes without partial apply.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
D=$T/data
init_server "$D"
add_user "$D" anna head_of_sales; add_user "$D" boris head_of_sales
add_user "$D" vera administrator  # vera adds a custom field: office configuration
start_server "$D"
for u in anna boris vera; do enroll "$D" $u "$T/$u" || { echo "FAIL: enroll $u"; exit 1; }; done
k() { "$KT" --profile "$T/$1" "${@:2}"; }

ORG=$(k anna add org --set name="ООО Ромашка" --set city=Москва --set phone="+7 495 123-45-67")
C1=$(k anna add contact --set last_name=Иванова --set first_name=Мария --set org="$ORG")
check "anna syncs" k anna sync
check "boris syncs" k boris sync
check "vera syncs" k vera sync
check_eq "boris got anna's card" "ООО Ромашка" "$(k boris show "$ORG" --json | json 'd["name"]')"
check_eq "vera sees the contact under the org" "1" "$(k vera show "$ORG" --json | json 'len(d["related"])')"

# offline edits, including the same field of the same card
k anna edit "$ORG" --set city=Казань >/dev/null
sleep 0.01
k boris edit "$ORG" --set city=Тверь >/dev/null
k vera edit "$ORG" --set phone="+7 495 765-43-21" >/dev/null
k boris delete "$C1" >/dev/null
k vera field add org --name inn --label ИНН --type text >/dev/null
k vera edit "$ORG" --set inn=7701234567 >/dev/null
T2=$(k boris add task --set title="Позвонить в Ромашку" --set org="$ORG")
check_eq "outbox holds boris's offline work" "3" "$(k boris status --json | json 'd["pending"]')"

# sync in a scrambled order, twice round
for u in vera anna boris anna vera boris; do k $u sync >/dev/null || fail "sync $u"; done
m=$("$KTD" dump --data "$D")
for u in anna boris vera; do check_eq "$u's replica equals the master" "$m" "$(k $u dump)"; done
check_eq "the later edit of the same field won everywhere" "Тверь" "$(k anna show "$ORG" --json | json 'd["city"]')"
check_eq "a different field merged, not overwritten" "+7 495 765-43-21" "$(k boris show "$ORG" --json | json 'd["phone"]')"
check_eq "the custom field and its value arrived" "7701234567" "$(k anna show "$ORG" --json | json 'd["inn"]')"
check_contains "the delete arrived" "$C1" "$(k vera list contact --trash)"
conf=$(k anna conflicts --json)
check_eq "the conflict log has the losing edit" "Казань" "$(echo "$conf" | json 'd[0]["value"]')"
check_eq "... who made it" "anna" "$(echo "$conf" | json 'd[0]["lost_by"]')"
check_eq "... and what was kept" "Тверь" "$(echo "$conf" | json 'd[0]["winner"]')"
check_eq "boris sees the same conflict" "$conf" "$(k boris conflicts --json)"
check_eq "outboxes are empty after sync" "0 0 0" "$(for u in anna boris vera; do k $u status --json | json 'd["pending"]'; done | paste -sd' ')"

# restore and search on another PC
k vera restore "$C1" >/dev/null; k vera sync >/dev/null; k anna sync >/dev/null
check_contains "restore synced, card searchable again" "$C1" "$(k anna search иванова)"
check_contains "a synced task is searchable" "$T2" "$(k vera search ромашку)"

# a fresh PC gets current state, not history
add_user "$D" gleb head_of_sales; enroll "$D" gleb "$T/gleb"
check "fresh replica syncs" k gleb sync
for u in anna boris vera; do k $u sync >/dev/null; done
check_eq "fresh replica equals the master" "$("$KTD" dump --data "$D")" "$(k gleb dump)"

# raw protocol client with vera's certificate: bad changes are refused whole
export KT_CERT=$T/vera/device.crt KT_KEY=$T/vera/device.key
RC() { /usr/bin/python3 "$(dirname "$0")/../lib/rawclient.py" 127.0.0.1 "${SRV_ADDR##*:}" "$D/ca.crt" "$@"; }
LOGIN='msg:req_id: 2 login { user: "vera" password: "correct horse battery" }'
NOW=$(( $(date +%s%3N) << 16 ))
FAR=$(( ($(date +%s%3N) + 3600000) << 16 ))
before=$("$KTD" dump --data "$D")
out=$(RC 'msg:req_id: 1 hello { protocol_version: 1 }' read "$LOGIN" read \
  "msg:req_id: 3 push { changes { counter: 100000 type: \"org\" id: \"$ORG\" fields { name: \"nosuch\" text: \"x\" stamp: $NOW } } }" read \
  "msg:req_id: 4 push { changes { counter: 100001 type: \"org\" id: \"$ORG\" fields { name: \"employees\" text: \"many\" stamp: $NOW } } }" read \
  "msg:req_id: 5 push { changes { counter: 100002 type: \"org\" id: \"$ORG\" fields { name: \"city\" text: \"Сочи\" stamp: $FAR } } }" read \
  "msg:req_id: 6 push { changes { counter: 100003 type: \"org\" id: \"$ORG\" fields { name: \"city\" text: \"Сочи\" stamp: $NOW } fields { name: \"bogus\" text: \"y\" stamp: $NOW } } }" read \
  "msg:req_id: 7 push { changes { counter: 100004 type: \"conflict\" id: \"$ORG\" fields { name: \"value\" text: \"x\" stamp: $NOW } } }" read)
check_contains "unknown field refused" "unknown field \\'nosuch" "$out"
check_contains "wrong value type refused" "employees: expected a number" "$out"
check_contains "clock far ahead refused" "clock is" "$out"
check_contains "server-only records cannot be pushed" "written by the office server only" "$out"
check_eq "no partial apply: nothing changed" "$before" "$("$KTD" dump --data "$D")"
out=$(RC 'msg:req_id: 1 hello { protocol_version: 1 }' read "$LOGIN" read \
  "msg:req_id: 3 push { changes { counter: 5 type: \"org\" id: \"$ORG\" fields { name: \"city\" text: \"Старое\" stamp: $NOW } } }" read)
check_contains "a replayed old change number is a no-op" "push_ack { results { } }" "$out"
check_eq "... and changes nothing" "$before" "$("$KTD" dump --data "$D")"
# two pushes sent back to back arrive in one read: one group commit, both acked and applied
NOW=$(( $(date +%s%3N) << 16 ))
out=$(RC 'msg:req_id: 1 hello { protocol_version: 1 }' read "$LOGIN" read \
  "msg:req_id: 3 push { changes { counter: 200000 type: \"org\" id: \"$ORG\" fields { name: \"city\" text: \"Тверь\" stamp: $NOW } } }" \
  "msg:req_id: 4 push { changes { counter: 200001 type: \"org\" id: \"$ORG\" fields { name: \"street\" text: \"ул. Мира\" stamp: $NOW } } }" \
  read read)
check_eq "pipelined pushes both acknowledged" 2 "$(grep -o 'server_seq: [1-9]' <<<"$out" | wc -l)"
dump=$("$KTD" dump --data "$D")
check_contains "... and both applied (1)" "Тверь" "$dump"
check_contains "... and both applied (2)" "ул. Мира" "$dump"
out=$(RC 'msg:req_id: 1 hello { protocol_version: 1 }' read 'msg:req_id: 2 pull { }' read expect-close)
check_contains "pull before login refused" "at this point" "$out"
unset KT_CERT KT_KEY
check "server alive" kill -0 "$SRV_PID"
stop_server "$D"; check_eq "clean shutdown" 0 $?
finish
