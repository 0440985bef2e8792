#!/usr/bin/env bash
# A card's history (issue 18): the server keeps every change of a field (who,
# from which PC, when, old -> new), in order; a reader sees it with the rights
# of the card (refused like the card itself, colleagues' phones masked without
# see_contacts); offline the PC shows its unsent changes and says the rest needs
# the server; the history survives `kartotekad backup` + `restore`; the
# retention setting removes what is older; the table is append-only.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
D=$T/data
init_server "$D"
add_user "$D" anna manager; add_user "$D" boris manager; add_user "$D" lead head_of_sales
"$KTD" role set --data "$D" --role junior --from manager --rights 'org.read=all contact.read=all' >/dev/null \
  || { echo "FAIL: role set junior"; exit 1; }
add_user "$D" jun junior
start_server "$D"
ADDR=$SRV_ADDR
join() { # join USER PROFILE PC-NAME
  "$KT" --profile "$T/$2" connect --invite "$("$KTD" invite --data "$D" --user "$1")" \
    --password-file "$T/pw" --device-name "$3" >/dev/null || { echo "FAIL: connect $2"; exit 1; }
}
join anna anna1 anna-office; join anna anna2 anna-laptop; join boris boris boris-pc
join lead lead lead-pc; join jun jun jun-pc
k() { "$KT" --profile "$T/$1" "${@:2}"; }

ORG=$(k anna1 add org --set name="Ромашка" --set city=Москва --set phone="+7 495 111-22-33")
k anna1 sync >/dev/null
k anna1 edit "$ORG" --set city=Тверь >/dev/null; k anna1 sync >/dev/null
k anna2 sync >/dev/null
k anna2 edit "$ORG" --set city=Казань >/dev/null; k anna2 sync >/dev/null
k lead sync >/dev/null
k lead edit "$ORG" --set comment="звонить после обеда" --set phone="+7 495 999-00-00" >/dev/null
k lead sync >/dev/null
k anna1 sync >/dev/null

check "history of a card (json)" k anna1 history "$ORG" --json
J=$(cat "$T/.out")
check_eq "the card's kind" "org" "$(echo "$J" | json 'd["kind"]')"
check_eq "online, from the server" "True" "$(echo "$J" | json 'd["online"]')"
check_eq "city changes in order: who, PC, old -> new" \
  "anna anna-office Москва Тверь|anna anna-laptop Тверь Казань" \
  "$(echo "$J" | json '"|".join("%s %s %s %s" % (c["user"], c["device_name"], c["old"], c["new"]) for c in d["changes"] if c["field"]=="city")')"
check_eq "the creation comes first: who, which PC" "created anna anna-office None" \
  "$(echo "$J" | json '"%s %s %s %s" % (d["changes"][0]["field"], d["changes"][0]["user"], d["changes"][0]["device_name"], d["changes"][0]["old"])')"
check_eq "the lead's edit is last, from lead-pc" "lead lead-pc" \
  "$(echo "$J" | json '"%s %s" % (d["changes"][-1]["user"], d["changes"][-1]["device_name"])')"
check_eq "entries come in the server's order" "True" \
  "$(echo "$J" | json '[c["seq"] for c in d["changes"]] == sorted(c["seq"] for c in d["changes"])')"
check_eq "times are in order too" "True" \
  "$(echo "$J" | json '[c["at"] for c in d["changes"]] == sorted(c["at"] for c in d["changes"])')"
check_eq "the owner sees her card's phones" "+7 495 111-22-33 -> +7 495 999-00-00" \
  "$(echo "$J" | json '" ".join("%s -> %s" % (c["old"], c["new"]) for c in d["changes"] if c["field"]=="phone")')"

check "history for people" k anna1 history "$ORG"
[ -n "${KT_SHOW:-}" ] && cat "$T/.out"
H=$(cat "$T/.out")
check_contains "the human table names the laptop" "anna-laptop" "$H"
check_contains "... with the old and new value" "Казань" "$H"
check_eq "a first value replaced nothing" "-" "$(echo "$H" | grep 'звонить' | awk '{print $6}')"
check "only one field" k anna1 history "$ORG" --field city --json
check_eq "--field city: two changes" "2" "$(json 'len(d["changes"])' < "$T/.out")"
check "the newest change only" k anna1 history "$ORG" --limit 1 --json
check_eq "--limit 1: the lead's last edit, more to come" "1 True" \
  "$(json '"%d %s" % (len(d["changes"]), d["more"])' < "$T/.out")"
for i in $(seq 1 30); do k anna1 edit "$ORG" --set employees=$i >/dev/null; k anna1 sync >/dev/null; done
check "all of them with --limit 0" k anna1 history "$ORG" --field employees --limit 0 --json
check_eq "30 edits of employees, in order" "$(seq -s, 1 30)" \
  "$(json '",".join(c["new"] for c in d["changes"])' < "$T/.out")"

# rights: a colleague who may not read the card is refused like the card itself
check_fails "another manager may not read its history" "there is no" k boris history "$ORG"
check_fails "... nor ask for it by type guess" "there is no" k boris history "$ORG" --field city
check_contains "the miss is audited" "history.notfound" "$("$KTD" audit --data "$D" 2>/dev/null | tail -5)"
k jun sync >/dev/null
check "a reader without see_contacts gets the history" k jun history "$ORG" --json
check_eq "... with the colleague's phone masked" "True" \
  "$(json '" ".join(str(c["hidden"] and c["new"] is None and c["old"] is None) for c in d["changes"] if c["field"]=="phone")' < "$T/.out")"
check_eq "... and the other fields shown" "Казань" \
  "$(json '[c["new"] for c in d["changes"] if c["field"]=="city"][-1]' < "$T/.out")"
check_not_contains "... no phone digits anywhere" "999-00-00" "$(cat "$T/.out")"

# bad input
check_fails "no id" "give the id" k anna1 history
check_fails "two ids" "exactly one" k anna1 history "$ORG" "$ORG"
check_fails "a bad --limit" "limit takes" k anna1 history "$ORG" --limit many
check_fails "an unknown field" "no field 'colour'" k anna1 history "$ORG" --field colour
check_fails "an unknown card" "there is no" k anna1 history 01234567-89ab-7def-8123-456789abcdef
check_fails "not an id at all" "there is no" k anna1 history nonsense
check_fails "--history-days takes a number" "history-days" "$KTD" serve --data "$D" --history-days soon

# a hostile client: requests by hand (the raw protocol)
LIB=$(cd "$(dirname "$0")/../lib" && pwd)
RAW() { local p=$1 u=$2; shift 2
  KT_CERT=$T/$p/device.crt KT_KEY=$T/$p/device.key /usr/bin/python3 "$LIB/rawclient.py" 127.0.0.1 \
    "${SRV_ADDR##*:}" "$D/ca.crt" 'msg:req_id: 1 hello { protocol_version: 1 }' read \
    "msg:req_id: 2 login { user: \"$u\" password: \"correct horse battery\" }" read "$@" 2>>"$T/rc.err"; }
out=$(RAW boris boris "msg:req_id: 3 history_request { id: \"$ORG\" }" read \
  "msg:req_id: 4 history_request { type: \"reminder\" id: \"$ORG\" }" read \
  "msg:req_id: 5 history_request { type: \"org\" id: \"' OR 1=1 --\" field: \"city; DROP TABLE t_org\" }" read \
  'msg:req_id: 6 ping { nonce: 7 }' read)
check_eq "raw: three refusals alike (not found), the connection stays" "3" "$(grep -o 'code: -4 message: "there is no' <<<"$out" | wc -l)"
check_contains "raw: ... and answers a ping after them" "nonce: 7" "$out"
check_not_contains "raw: nothing of the card leaks" "Ромашка" "$out"
out=$(RAW anna1 anna "msg:req_id: 3 history_request { id: \"$ORG\" max: 4000000000 before: 18446744073709551615 }" read \
  "msg:req_id: 4 history_request { id: \"$ORG\" field: \"no_such\" }" read)
check_contains "raw: a huge page and cursor are capped, answered" "history {" "$out"
check_contains "raw: an unknown field is a clear error" "has no field" "$out"
out=$(RAW anna1 nobody "msg:req_id: 3 history_request { id: \"$ORG\" }" read expect-close 2>&1)
check_not_contains "raw: before a login nothing is answered" "Ромашка" "$out"
check "the server survived" kill -0 "$SRV_PID"

# append-only
check_fails "the history cannot be rewritten" "append-only" \
  sqlite3 "$D/master.db" "UPDATE srv_history SET new = 'forged'"

# bytes per edit on this small base (the benchmark measures it at scale)
n=$(sqlite3 "$D/master.db" "SELECT count(*) FROM srv_history")
echo "note: $n history entries"

# offline: the unsent changes of this PC, and a note
stop_server "$D"
k anna1 edit "$ORG" --set city=Омск >/dev/null
check "offline history works" k anna1 history "$ORG" --json
check_eq "offline: not from the server" "False" "$(json 'd["online"]' < "$T/.out")"
check_eq "offline: this PC's unsent change" "city Омск True" \
  "$(json '" ".join("%s %s %s" % (c["field"], c["new"], c["unsent"]) for c in d["changes"])' < "$T/.out")"
check_contains "offline: the note says the rest needs the server" "needs the server" \
  "$(json 'd["note"]' < "$T/.out")"
check "offline, for people" k anna1 history "$ORG"
check_contains "... says so" "needs the server" "$(cat "$T/.out")"

# survives a backup and a restore
start_server "$D" "$ADDR"
k anna1 sync >/dev/null
check "online backup" "$KTD" backup --data "$D" --out "$T/b.db"
before=$(k anna1 history "$ORG" --limit 0 --json | json '[(c["seq"], c["field"], c["new"]) for c in d["changes"]]')
stop_server "$D"
rm -rf "$D"
check "restore from the backup" "$KTD" restore --data "$D" --from "$T/b.db"
start_server "$D" "$ADDR"
k anna1 sync >/dev/null 2>&1
check_eq "the history survived the restore" "$before" \
  "$(k anna1 history "$ORG" --limit 0 --json | json '[(c["seq"], c["field"], c["new"]) for c in d["changes"]]')"

# retention: entries older than --history-days go, the rest stays
stop_server "$D"
sqlite3 "$D/master.db" "INSERT INTO srv_history(id, tcode, rid, vidx, stamp, dev, old, new) \
  VALUES (-1, 1, 1, 7, $(( (1600000000000) << 16 )), 1, 'old', 'older')"
total=$(sqlite3 "$D/master.db" "SELECT count(*) FROM srv_history")
: >"$D.serve.out"
"$KTD" serve --data "$D" --listen "$ADDR" --history-days 30 >"$D.serve.out" 2>>"$D.serve.err" &
SRV_PID=$!; _bg_pids+=($SRV_PID)
for _ in $(seq 100); do grep -q '^listening' "$D.serve.out" 2>/dev/null && break; sleep 0.05; done
for _ in $(seq 50); do
  [ "$(sqlite3 "$D/master.db" "SELECT count(*) FROM srv_history WHERE id = -1")" = 0 ] && break; sleep 0.1
done
check_eq "retention removed the entry older than 30 days" "0" \
  "$(sqlite3 "$D/master.db" "SELECT count(*) FROM srv_history WHERE id = -1")"
check_eq "... and kept the others" "$((total - 1))" "$(sqlite3 "$D/master.db" "SELECT count(*) FROM srv_history")"
check_contains "... and said so in the log" "removed 1 history entries" "$(cat "$D.serve.err")"
stop_server "$D"
finish
