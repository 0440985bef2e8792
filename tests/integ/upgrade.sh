#!/usr/bin/env bash
# Rolling upgrades with real processes. An office upgrades the server first,
# then its PCs one by one: meanwhile an older PC pulls values of fields it does
# not know (KT_TEST_UNKNOWN_FIELDS makes this kartoteka play one that lacks
# contact.nickname). It must keep syncing (before: "a change has the unknown
# field" stopped every sync), keep the values as received, send them back
# unchanged with its own edits (the server keeps the writer's version), and
# show them once upgraded. Peers too old for each other are refused with a
# message that names the program to upgrade and the versions (KT_TEST_PROTOCOL
# and KT_TEST_SCHEMA make a binary claim other versions; rawclient.py plays a
# newer PC).
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
LIB=$(dirname "$0")/../lib
D=$T/data
init_server "$D"
for u in anna boris; do add_user "$D" $u administrator; done
start_server "$D"
for u in anna boris; do enroll "$D" $u "$T/$u" || { echo "FAIL: enroll $u"; exit 1; }; done
k() { "$KT" --profile "$T/$1" "${@:2}"; }
old() { KT_TEST_UNKNOWN_FIELDS=contact.nickname "$KT" --profile "$T/$1" "${@:2}"; }
field_of() { json "d.get('$1') or ''"; }

k anna field add contact --name nickname --label Прозвище --type text >/dev/null
C=$(k anna add contact --set last_name=Иванов --set nickname=Кит)
check "anna (upgraded) sends a card with the new field" k anna sync
check "the older PC syncs although it does not know the field" old boris sync
check_eq "... has the card" "Иванов" "$(old boris show "$C" --json | field_of last_name)"
check_eq "... does not show the unknown field" "" "$(old boris show "$C" --json | field_of nickname)"
check_eq "... keeps the value as received" "Кит" \
  "$(sqlite3 "$T/boris/replica.db" "SELECT value FROM kept_value WHERE name = 'nickname'")"

before=$("$KTD" dump --data "$D" | grep "^contact $C" | grep -o 'nickname=[^ ]*')
old boris edit "$C" --set last_name=Петров >/dev/null
check "the older PC pushes its own edit of the card" old boris sync
master=$("$KTD" dump --data "$D" | grep "^contact $C")
check_contains "the server took the edit" "last_name=Петров@" "$master"
check_eq "... and kept the field as anna wrote it (value, stamp, device)" "$before" \
  "$(echo "$master" | grep -o 'nickname=[^ ]*')"

k anna edit "$C" --set nickname=Китёнок >/dev/null
check "anna changes the field" k anna sync
check "the older PC syncs again" old boris sync
check_eq "... and keeps the newer value" "Китёнок" \
  "$(sqlite3 "$T/boris/replica.db" "SELECT value FROM kept_value WHERE name = 'nickname'")"

# boris's PC is upgraded: the same replica opened by a kartoteka that knows the field
check_eq "the upgraded PC shows the value" "Китёнок" "$(k boris show "$C" --json | field_of nickname)"
check_eq "... nothing is kept aside any more" "0" \
  "$(sqlite3 "$T/boris/replica.db" "SELECT count(*) FROM kept_value")"
check "... and syncs" k boris sync
check_eq "... its replica equals the master" "$("$KTD" dump --data "$D")" "$(k boris dump)"

# ---- versions in Hello --------------------------------------------------------------
RC() { /usr/bin/python3 "$LIB/rawclient.py" 127.0.0.1 "${SRV_ADDR##*:}" "$D/ca.crt" "$@"; }
out=$(RC 'msg:req_id: 1 hello { protocol_version: 1 device_id: "x" schema_version: 999 }' read expect-close 2>&1)
check_contains "a PC with a newer schema: the server says to upgrade the server" \
  "upgrade kartotekad on the server" "$out"
check_contains "... with both schemas" "kartotekad has schema $(sqlite3 "$D/master.db" "PRAGMA user_version"), this PC\\'s kartoteka schema 999" "$out"
out=$(RC 'msg:req_id: 1 hello { protocol_version: 7 min_protocol_version: 7 }' read expect-close 2>&1)
check_contains "a PC that needs a newer protocol: upgrade the server" \
  "kartotekad speaks protocol 1, this PC\\'s kartoteka needs protocol 7 or newer; upgrade kartotekad on the server" "$out"
out=$(RC 'msg:req_id: 1 hello { protocol_version: 1 }' read 2>&1)
check_contains "an older PC (no schema stated) is welcome" "hello_ok" "$out"
check_contains "... and told the server's versions" "schema_version: " "$out"
check "a PC from an older schema syncs with this server" env KT_TEST_SCHEMA=1 "$KT" --profile "$T/anna" sync
check_fails "a kartoteka that needs a newer protocol is refused" \
  "upgrade kartotekad on the server" env KT_TEST_PROTOCOL=5-6 "$KT" --profile "$T/anna" sync
stop_server "$D"
KT_TEST_PROTOCOL=2-3 start_server "$D" "$SRV_ADDR"
check_fails "a server that dropped this PC's protocol: upgrade kartoteka on this PC" \
  "it speaks protocol 1, the server \\(kartotekad\\) needs protocol 2 or newer; upgrade kartoteka on this PC" \
  k anna sync
stop_server "$D"
KT_TEST_SCHEMA=1 start_server "$D" "$SRV_ADDR"
check_fails "an older server (schema 1): upgrade kartotekad first" \
  "kartotekad has schema 1, this PC's kartoteka schema" k anna sync
stop_server "$D"
start_server "$D" "$SRV_ADDR"
check "the upgraded server and PC sync again" k anna sync
stop_server "$D"
finish
