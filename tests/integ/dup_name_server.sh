#!/usr/bin/env bash
# The name + city claim across the whole base (issue 16): a new client card whose
# folded name and city equal a live card's is refused like a phone duplicate, also
# when the card is a colleague's that this PC does not hold. Two managers' PCs on a
# real kartotekad: boris's cards are synced, anna cannot see them; anna's `add` of
# the same name in the same city (other case, ё for е) is refused with exit 1 naming
# boris, writing nothing to her replica or the master; --force adds it; another city
# passes; import skips such a row and says why; a renamed or trashed card no longer
# blocks. A raw client asking the server for name keys learns what a phone check
# tells (the fact and the manager), nothing of the card.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
D=$T/data
M=$D/master.db
init_server "$D"
# anna may import (to see import's check), but sees only her own clients like boris
"$KTD" role set --data "$D" --role seller --from manager --rights '+import' >/dev/null \
  || { echo "FAIL: role set seller"; exit 1; }
add_user "$D" anna seller; add_user "$D" boris manager
start_server "$D"
for u in anna boris; do enroll "$D" $u "$T/$u" || { echo "FAIL: enroll $u"; exit 1; }; done
k() { "$KT" --profile "$T/$1" "${@:2}"; }
mdump() { "$KTD" dump --data "$D"; }
q() { "$@" >/dev/null 2>&1 || fail "setup: $*"; }

B1=$(k boris add org --set name="ООО «Ёлка»" --set city="Орёл")
B2=$(k boris add org --set name="Лютик" --set city="Казань")
B3=$(k boris add org --set name="Василёк" --set city="Тверь")
B4=$(k boris add org --set name="Одуванчик" --set city="Псков")
BC=$(k boris add contact --set last_name="Фёдоров" --set first_name="Пётр" --set city="Самара")
q k boris sync; q k anna sync
check_eq "boris's cards are on the master" "4 1" \
  "$(sqlite3 "$M" "SELECT count(*) FROM t_org WHERE id IN ('$B1','$B2','$B3','$B4')") $(sqlite3 "$M" "SELECT count(*) FROM t_contact WHERE id = '$BC'")"
check_eq "... and not on anna's PC" "0" \
  "$(sqlite3 "$T/anna/replica.db" "SELECT count(*) FROM t_org")"
check_eq "the master keeps their name keys" "5" "$(sqlite3 "$M" "SELECT count(*) FROM srv_claim WHERE key LIKE 'n:%'")"

# ---- refused: same folded name, same city, another case and е for ё --------------------------
refused() { # NAME PATTERN ARGS...: refused with exit 1, nothing written anywhere
  local name=$1 pat=$2; shift 2
  local r0 m0 rc
  r0=$(k anna dump); m0=$(mdump)
  k anna "$@" >"$T/.out" 2>"$T/.err"; rc=$?
  check_eq "$name: exit 1" "1" "$rc"
  if grep -qE -- "$pat" "$T/.err"; then pass "$name: the message"; else fail "$name: the message" "$(cat "$T/.err")"; fi
  check_eq "$name: nothing printed on stdout (no id)" "" "$(cat "$T/.out")"
  check_eq "$name: anna's replica unchanged" "$r0" "$(k anna dump)"
  check_eq "$name: the master unchanged" "$m0" "$(mdump)"
}
refused "the same name and city as boris's card" \
  "^kartoteka: a client with this name and city \(ооо «ЕЛКА», ОРЕЛ\) already exists, assigned to boris; nothing was added\. A client card has one manager: if you are to work with it, ask a head of sales to hand it over to you; or add it anyway with --force$" \
  add org --set name="ооо «ЕЛКА»" --set city="ОРЕЛ"
check_not_contains "... nothing of boris's card but its manager: not its id" "$B1" "$(cat "$T/.err")"
check_not_contains "... nor how he wrote it" "Ёлка" "$(cat "$T/.err")"
refused "a contact with the same names in the same city" "a client with this name and city \(федоров петр, САМАРА\) already exists, assigned to boris" \
  add contact --set last_name="федоров" --set first_name="петр" --set city="САМАРА"
check_eq "... still nothing of boris's on anna's PC" "0" "$(sqlite3 "$T/anna/replica.db" "SELECT count(*) FROM t_org")"

# ---- --force adds it; another city is another client -------------------------------------------
A1=$(k anna add org --set name="ооо «ЕЛКА»" --set city="ОРЕЛ" --force 2>"$T/.err")
check_eq "--force adds it" "1" "$(k anna list org --json | json 'len([r for r in d if r["id"] == "'"$A1"'"])')"
check "... and it syncs" k anna sync
A2=$(k anna add org --set name="ООО «Ёлка»" --set city="Тула" 2>"$T/.err")
check_eq "the same name in another city is accepted" "1" "$(k anna list org --json | json 'len([r for r in d if r["id"] == "'"$A2"'"])')"
A3=$(k anna add org --set name="ООО «Ёлка» Север" --set city="Орёл" 2>"$T/.err")
check "... and another name in the same city" test -n "$A3"
q k anna sync

# ---- import: the row is skipped and reported; the others are added ------------------------------
printf 'name,city\nЛЮТИК,казань\nНовая фирма,Казань\n' > "$T/imp.csv"
m0=$(sqlite3 "$M" "SELECT count(*) FROM t_org")
out=$(k anna import csv "$T/imp.csv" --type org --on-duplicate skip 2>&1)
check_contains "import adds the new client" "imported 1 row; 1 skipped" "$out"
check_contains "... and names the colleague's client it skipped" \
  "line 2 skipped: a client with this name and city (ЛЮТИК, казань) already exists, assigned to boris" "$out"
check_not_contains "... nothing of the card itself" "$B2" "$out"
check_eq "... only the new card is on anna's PC" "Новая фирма" \
  "$(sqlite3 "$T/anna/replica.db" "SELECT group_concat(name) FROM t_org WHERE city LIKE '%азань'")"
q k anna sync
check_eq "... and on the master one card more" "$((m0 + 1))" "$(sqlite3 "$M" "SELECT count(*) FROM t_org")"
# a bigger file asks in batches (a thousand keys a request): a name past the first
# thousand keys is still found
{ echo 'name,city'
  for i in $(seq 1 1200); do
    if [ "$i" = 1100 ]; then echo "лютик,Казань"; else echo "Пакет $i,Калуга"; fi
  done; } > "$T/imp2.csv"
out=$(k anna import csv "$T/imp2.csv" --type org --dry-run 2>&1)
check_contains "a 1,200-row import checks its name keys in batches" "1 skipped" "$out"
check_contains "... the duplicate past the first thousand named" \
  "line 1101 skipped: a client with this name and city (лютик, Казань) already exists, assigned to boris" "$out"

# ---- the key follows boris's edits: renamed, or in the trash, it no longer blocks ------------------
refused "before the rename" "already exists, assigned to boris" add org --set name="ВАСИЛЁК" --set city="тверь"
q k boris edit "$B3" --set name="Василёк Плюс"; q k boris sync
A4=$(k anna add org --set name="ВАСИЛЁК" --set city="тверь" 2>"$T/.err")
check "after boris renames his card, anna's add is accepted" test -n "$A4"
refused "the new name is claimed" "already exists, assigned to boris" add org --set name="василек плюс" --set city="Тверь"
refused "before the trash" "already exists, assigned to boris" add org --set name="одуванчик" --set city="ПСКОВ"
q k boris delete "$B4"; q k boris sync
A5=$(k anna add org --set name="одуванчик" --set city="ПСКОВ" 2>"$T/.err")
check "a card in the trash does not block" test -n "$A5"
q k anna sync
check_eq "the master has anna's new cards" "4" \
  "$(sqlite3 "$M" "SELECT count(*) FROM t_org WHERE id IN ('$A1','$A2','$A4','$A5') AND owner = 'anna'")"

# ---- a hostile client asks for name keys by hand: the fact and the manager, nothing more --------
RAW() { raw_login anna anna "$@"; }
out=$(RAW 'msg:req_id: 3 claim_check { keys: "n:лютик|казань" keys: "n:нет такой|нигде" keys: "n:%|%" }' read)
check_contains "raw: a name key is answered with the type and the manager" 'type: "org" owner: "boris" }' "$out"
check_eq "raw: ... one hit (no pattern matching)" "1" "$(grep -o 'hits {' <<<"$out" | wc -l)"
check_not_contains "raw: ... not the card's id" "$B2" "$out"
KEYS=$(for i in $(seq 1 1001); do printf 'keys: "n:x%s|y" ' "$i"; done)
out=$(RAW "msg:req_id: 3 claim_check { $KEYS }" read expect-close 2>&1)
check_contains "raw: more than a thousand keys a request are refused" "at most 1000 a request" "$out"

check "server alive" kill -0 "$SRV_PID"
stop_server "$D"; check_eq "clean shutdown" 0 $?
# (control) it was the server that knew: offline, this PC's cards are all there is
out=$(k anna add org --set name="лютик" --set city="КАЗАНЬ" 2>&1)
check_contains "(control) offline, boris's card is not found: added, with a note" \
  "only the cards on this PC were checked" "$out"
finish
