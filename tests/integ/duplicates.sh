#!/usr/bin/env bash
# A duplicate created offline does not sync silently (issue 13): two managers'
# PCs, both offline, add a client with the same phone (and a contact with the
# same e-mail). The server keeps both cards (offline work is never lost) and
# writes a conflict record with cause "duplicate" about each: the second writer is
# told at once by `sync` and sees it in `conflicts`, naming the first card's
# owner but nothing of that card; the first card's owner sees it too, naming
# the second writer. Cards of one manager with the same phone are not reported.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
office anna:manager boris:manager head:head_of_sales
k() { "$KT" --profile "$T/$1" "${@:2}"; }
M=$D/master.db
for u in anna boris head; do k $u sync >/dev/null || fail "first sync of $u"; done

stop_server "$D" # both PCs are offline: the claim check sees only their own cards
A=$(k anna add org --set name="Ромашка-Север" --set phone="+7 495 777-66-55" 2>/dev/null)
AC=$(k anna add contact --set last_name=Иванов --set email=ivanov@alpha.example 2>/dev/null)
B=$(k boris add org --set name="Лютик" --set phone="8 (495) 777-66-55" 2>/dev/null)
BC=$(k boris add contact --set last_name=Иванов --set first_name=Иван --set email=IVANOV@Alpha.example 2>/dev/null)
check_eq "both PCs saved their cards offline" "4" "$(echo "$A $AC $B $BC" | wc -w)"
start_server "$D" "$SRV_ADDR"

out=$(k anna sync 2>&1)
check_not_contains "the first writer's sync has nothing to report" "note:" "$out"
out=$(k boris sync 2>/dev/null); rc=$?
check_eq "the second writer's sync succeeds: nothing was refused" "0" "$rc"
check_contains "...and tells him at once, naming the other card's owner" \
  "note: your new organization has the phone 8 (495) 777-66-55 of a client assigned to anna; it was kept: ask a head of sales to hand one of the two cards over or to merge them" "$out"
check_contains "...and that there is more" "(and more: see \`kartoteka conflicts\`)" "$out"
check_eq "sync --json counts warnings (none now: each is told once)" "0" "$(k boris sync --json | json 'd["warned"]')"
bc=$(k boris conflicts --json)
check_eq "boris's conflicts list both duplicates, about his own cards, naming anna" \
  "$(printf '%s\n' "duplicate $B phone boris anna" "duplicate $BC email boris anna" | sort)" \
  "$(echo "$bc" | json '"\n".join(sorted(" ".join([c["cause"], c["rid"], c["field"], c["lost_by"], c["won_by"]]) for c in d))')"
check_not_contains "...nothing of anna's card: not its name" "Ромашка-Север" "$bc$(k boris conflicts)$out"
check_not_contains "...nor its id" "$A" "$bc$out"
check_eq "...and boris's PC does not hold anna's card" "0" \
  "$(sqlite3 "$T/boris/replica.db" "SELECT count(*) FROM t_org WHERE name = 'Ромашка-Север'")"
check_contains "conflicts (human) shows the kind" "duplicate" "$(k boris conflicts)"

k anna sync >/dev/null || fail "anna syncs again"
ac=$(k anna conflicts --json)
check_eq "the first card's owner sees both, about her cards, naming boris" \
  "$(printf '%s\n' "duplicate $A phone boris anna" "duplicate $AC email boris anna" | sort)" \
  "$(echo "$ac" | json '"\n".join(sorted(" ".join([c["cause"], c["rid"], c["field"], c["lost_by"], c["won_by"]]) for c in d))')"
check_not_contains "...nothing of boris's card" "Лютик" "$ac$(k anna conflicts)"

check_eq "nothing is lost: the master has all four cards" "4" \
  "$(sqlite3 "$M" "SELECT (SELECT count(*) FROM t_org WHERE id IN ('$A', '$B')) +
                          (SELECT count(*) FROM t_contact WHERE id IN ('$AC', '$BC'))")"
k head sync >/dev/null
check_eq "the head of sales sees all four reports" "4" \
  "$(k head conflicts --json | json 'len([c for c in d if c["cause"] == "duplicate"])')"

# the same manager's cards with one phone are not a colleague's client
k anna add org --set name="Ромашка-Юг" --set phone="+7 495 100-20-30" >/dev/null
k anna sync >/dev/null
k anna add org --set name="Ромашка-Юг, склад" --set phone="+7 (495) 100-20-30" --force >/dev/null
out=$(k anna sync 2>&1)
check_not_contains "a duplicate of one's own client is not reported" "note:" "$out"
check_eq "...and no record written" "4" "$(sqlite3 "$M" "SELECT count(*) FROM t_conflict WHERE cause = 'duplicate'")"

check "server alive" kill -0 "$SRV_PID"
stop_server "$D"
finish
