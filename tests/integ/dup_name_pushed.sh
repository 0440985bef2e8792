#!/usr/bin/env bash
# A name + city duplicate pushed anyway (issue 16) is reported like a phone
# duplicate (issue 13): two managers' PCs, both offline, add a client of the same
# folded name in the same city (another case, ё for е). The server keeps both
# cards and writes a conflict record with cause "duplicate", field = the title
# field, about each: the second writer is told by `sync` and sees it in
# `conflicts`, the first card's owner sees hers, a head of sales sees both, a
# third manager who may not see either card sees nothing. The same name in
# another city is not reported. The master is compared before and after.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
office anna:manager boris:manager carol:manager head:head_of_sales
k() { "$KT" --profile "$T/$1" "${@:2}"; }
M=$D/master.db
for u in anna boris carol head; do k $u sync >/dev/null || fail "first sync of $u"; done
tables() { sqlite3 "$M" "SELECT (SELECT count(*) FROM t_org), (SELECT count(*) FROM t_contact),
  (SELECT count(*) FROM t_conflict), (SELECT count(*) FROM t_conflict WHERE cause = 'duplicate')"; }
m0=$(tables)

stop_server "$D" # both PCs are offline: the claim check sees only their own cards
A=$(k anna add org --set name="ООО «Ёлка»" --set city="Орёл" 2>/dev/null)
AC=$(k anna add contact --set last_name="Фёдоров" --set first_name="Пётр" --set city="Самара" 2>/dev/null)
B=$(k boris add org --set name="ооо «ЕЛКА»" --set city="ОРЕЛ" 2>/dev/null)
BC=$(k boris add contact --set last_name="федоров" --set first_name="петр" --set city="САМАРА" 2>/dev/null)
B2=$(k boris add org --set name="ООО «Ёлка»" --set city="Тула" 2>/dev/null)
check_eq "both PCs saved their cards offline" "5" "$(echo "$A $AC $B $BC $B2" | wc -w)"
start_server "$D" "$SRV_ADDR"

out=$(k anna sync 2>&1)
check_not_contains "the first writer's sync has nothing to report" "note:" "$out"
out=$(k boris sync 2>/dev/null); rc=$?
check_eq "the second writer's sync succeeds: nothing was refused" "0" "$rc"
check_contains "...and tells him at once, naming the other card's owner" \
  "note: your new organization has the name and city ооо «ЕЛКА» of a client assigned to anna; it was kept" "$out"
check_not_contains "...nothing of anna's card: not how she wrote it" "Ёлка" "$out"
k anna sync >/dev/null || fail "anna's second sync"
bc=$(k boris conflicts --json)
check_eq "boris's conflicts: both duplicates, about his own cards, naming anna" \
  "$(printf '%s\n' "duplicate $B name boris anna" "duplicate $BC last_name boris anna" | sort)" \
  "$(echo "$bc" | json '"\n".join(sorted(" ".join([c["cause"], c["rid"], c["field"], c["lost_by"], c["won_by"]]) for c in d))')"
check_not_contains "...nothing of anna's card: not its id" "$A" "$bc"
check_not_contains "...nor her contact's" "$AC" "$bc"
ac=$(k anna conflicts --json)
check_eq "the first card's owner sees both, about her cards, naming boris" \
  "$(printf '%s\n' "duplicate $A name boris anna" "duplicate $AC last_name boris anna" | sort)" \
  "$(echo "$ac" | json '"\n".join(sorted(" ".join([c["cause"], c["rid"], c["field"], c["lost_by"], c["won_by"]]) for c in d))')"
check_not_contains "...nothing of boris's card" "$B" "$ac"
check_eq "...and anna's PC does not hold boris's cards" "0" \
  "$(sqlite3 "$T/anna/replica.db" "SELECT count(*) FROM t_org WHERE id IN ('$B', '$B2')")"

k carol sync >/dev/null || fail "carol's sync"
check_eq "a manager who sees neither card sees no report" "0" "$(k carol conflicts --json | json 'len(d)')"
check_eq "...nor the cards" "0" "$(sqlite3 "$T/carol/replica.db" "SELECT count(*) FROM t_org")"
k head sync >/dev/null
check_eq "the head of sales sees all four reports" "4" \
  "$(k head conflicts --json | json 'len([c for c in d if c["cause"] == "duplicate"])')"

read -r o0 c0 f0 d0 <<<"$(echo "$m0" | tr '|' ' ')"
check_eq "the master: every card kept, four duplicate records, nothing else" \
  "$((o0 + 3)) $((c0 + 2)) $((f0 + 4)) $((d0 + 4))" "$(tables | tr '|' ' ')"
check_eq "...the same name in another city is not reported" "0" \
  "$(sqlite3 "$M" "SELECT count(*) FROM t_conflict WHERE rid = '$B2'")"

check "server alive" kill -0 "$SRV_PID"
stop_server "$D"
check_eq "clean shutdown" 0 $?
finish
