#!/usr/bin/env bash
# Mass edit (issue 18): `kartoteka edit TYPE --where F=V --set F=V [--dry-run]`
# changes every matching card as ordinary synced edits, with the mass_update
# right (head of sales, administrator): refused on the PC without it, refused
# by the server for a PC that claims it falsely, recorded in the audit log with
# its count, all cards or none, and only with the server's leave (offline:
# nothing changed; a dry run still counts).
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
office anna:manager lead:head_of_sales
k() { "$KT" --profile "$T/$1" "${@:2}"; }
for n in 1 2 3; do k anna add org --set name="Москва $n" --set city=Москва --set temperature=cold >/dev/null; done
TV=$(k anna add org --set name="Тверь" --set city=Тверь --set temperature=cold)
k anna sync >/dev/null; k lead sync >/dev/null
temps() { k "$1" list org --where city="$2" --json | json '" ".join(sorted(x.get("temperature") or "-" for x in d))'; }

check_fails "a manager may not edit many cards" "mass_update" \
  k anna edit org --where city=Москва --set temperature=hot
check_eq "... nothing changed on her PC" "cold cold cold" "$(temps anna Москва)"
check_eq "... nothing waits to be sent" "0" "$(k anna outbox list --json | json 'len(d)')"

check "a dry run" k lead edit org --where city=Москва --set temperature=hot --dry-run --json
check_eq "... counts 3 of 3" "3 3 True" "$(json '"%d %d %s" % (d["matched"], d["changed"], d["dry_run"])' < "$T/.out")"
check_eq "... and changes nothing" "cold cold cold" "$(temps lead Москва)"

check "the head of sales edits every Moscow client" k lead edit org --where city=Москва --set temperature=hot
check_contains "... says how many" "changed 3 of 3 matching cards" "$(cat "$T/.out")"
check_eq "... three edits wait to be sent, as if typed" "3" "$(k lead outbox list --json | json 'len(d)')"
k lead sync >/dev/null; k anna sync >/dev/null
check_eq "anna's PC got the edits" "hot hot hot" "$(temps anna Москва)"
check_eq "the other client is untouched" "cold" "$(temps anna Тверь)"
check_contains "the batch is in the audit log with its count" \
  "3 cards: where city=Москва set temperature=hot" "$("$KTD" audit --data "$D" 2>/dev/null | grep ' mass_edit ')"
id=$(k anna list org --where city=Москва --json | json 'd[0]["id"]')
check_contains "each card's history names the head of sales" "lead" "$(k anna history "$id" --field temperature)"
check "running it again changes nothing new" k lead edit org --where city=Москва --set temperature=hot --json
check_eq "... 3 matched, 0 changed" "3 0" "$(json '"%d %d" % (d["matched"], d["changed"])' < "$T/.out")"

# the server decides too: a PC that claims the right is refused there
sqlite3 "$T/anna/replica.db" "UPDATE meta SET value = value || ' +mass_update' WHERE key = 'rights'"
check_fails "a PC claiming the right is refused by the server" "may not edit many cards" \
  k anna edit org --where city=Москва --set temperature=warm
check_eq "... nothing changed" "hot hot hot" "$(temps anna Москва)"
check_contains "... and the attempt is audited" "denied.mass_edit" "$("$KTD" audit --data "$D" 2>/dev/null)"

# bad input: a clear error, nothing changed
check_fails "a bad value" "temperature" k lead edit org --where city=Москва --set temperature=boiling
check_eq "... nothing changed (all or none)" "hot hot hot" "$(temps lead Москва)"
check_fails "nothing matches" "no org matches" k lead edit org --where city=Омск --set temperature=hot
check_fails "no --set" "give the fields" k lead edit org --where city=Москва
check_fails "no type" "say which cards" k lead edit --where city=Москва --set temperature=hot
check_fails "an unknown field in the filter" "colour|unknown field|no field" \
  k lead edit org --where colour=red --set temperature=hot
stop_server "$D"
check_fails "offline: needs the server's leave" "needs the office server" \
  k lead edit org --where city=Тверь --set temperature=warm
check_eq "... nothing changed" "cold" "$(temps lead Тверь)"
check "offline dry run still counts" k lead edit org --where city=Тверь --set temperature=warm --dry-run
finish
