#!/usr/bin/env bash
# The demo office base (`kartoteka init --local --demo`, `kartoteka demo`) and
# `kartoteka check`: the base is realistic (valid INN check digits, phones,
# e-mails, birthdays this week, planned and overdue calls), deterministic for
# a seed, passes the check, and feeds every report; the check finds a
# damaged value; the bad inputs are refused with nothing written.
source "$(dirname "$0")/../lib/integ.sh"
P=$T/demo
k() { "$KT" --profile "$P" "$@"; }

out=$(k --json init --local --user anna --demo)
check_eq "init --demo makes 300 organizations" 300 "$(echo "$out" | json 'd["orgs"]')"
n=$(echo "$out" | json 'd["contacts"]'); [ "$n" -ge 300 ] && pass "a few hundred contacts ($n)" || fail "contacts" "$n"
n=$(echo "$out" | json 'd["deals"]'); [ "$n" -ge 1000 ] && pass "three years of deals ($n)" || fail "deals" "$n"

n=$(k list org --where tags=VIP --json | json 'len(d)'); [ "$n" -gt 0 ] && pass "VIP clients are tagged ($n)" || fail "VIP tags" "$n"
check_eq "every organization is wholesale or retail (tags)" 300 \
  $(( $(k list org --where tags=Опт --json | json 'len(d)') + $(k list org --where tags=Розница --json | json 'len(d)') ))
check "the demo base passes kartoteka check" k check
check_contains "check says how many records" "records checked" "$(cat "$T/.out")"
check_eq "check --json: ok" True "$(k check --json | json 'd["ok"]')"

# every organization's INN has valid check digits (10 digits: legal entity, 12: entrepreneur)
# the cards without what differs between two runs (ids, times)
cards() { "$KT" --profile "$1" list "$2" --json | json 'json.dumps([{k: v for k, v in o.items() if k not in ("id", "created", "updated", "org", "contact")} for o in d], ensure_ascii=False, sort_keys=True)'; }
k list org --json > "$T/orgs.json"
bad=$(/usr/bin/python3 - "$T/orgs.json" <<'PY'
import json, sys
w10 = [2, 4, 10, 3, 5, 9, 4, 6, 8]
w11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
w12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
def ok(inn):
    d = [int(c) for c in inn]
    if len(d) == 10: return sum(a*b for a, b in zip(w10, d)) % 11 % 10 == d[9]
    if len(d) == 12:
        return (sum(a*b for a, b in zip(w11, d)) % 11 % 10 == d[10] and
                sum(a*b for a, b in zip(w12, d)) % 11 % 10 == d[11])
    return False
orgs = json.load(open(sys.argv[1]))
print(sum(1 for o in orgs if not ok(o["tax_id"])) + (0 if len(orgs) == 300 else 1000))
PY
)
check_eq "every INN has valid check digits" 0 "$bad"
check_eq "every organization has a city phone +7 (...)" 0 "$(json 'sum(1 for o in d if not o["phone"].startswith("+7 ("))' < "$T/orgs.json")"
check_eq "organization names are unique" 300 "$(json 'len({o["name"] for o in d})' < "$T/orgs.json")"

# the diary around today
today=$(k today)
check_contains "today lists birthdays" "Birthday:" "$today"
check_contains "today lists overdue items" "[overdue]" "$today"
check_contains "today lists calls planned for today" "$(date +%F) " "$(echo "$today" | grep -v Birthday | grep -v overdue)"

# every report has something to say
for r in activity lapsed vip abc rfm funnel; do
  rows=$(k report $r --json | json 'sum(len(v) for v in d["tables"].values() if isinstance(v, list))')
  [ "$rows" -gt 0 ] && pass "report $r has rows ($rows)" || fail "report $r has rows" "$rows"
done
check_contains "report lapsed names lapsed clients" "Lapsed clients" "$(k report lapsed)"
check "report managers runs" k report managers
check "report period runs" k report period

# deterministic: the same seed gives the same base (ids apart); another seed another
P2=$T/demo2
"$KT" --profile "$P2" init --local --user anna --demo >/dev/null
for t in org contact deal event task note; do
  check_eq "the same seed makes the same ${t}s" "$(cards "$P" $t)" "$(cards "$P2" $t)"
done
P3=$T/demo3
"$KT" --profile "$P3" init --local --user anna --demo --seed 7 >/dev/null
if [ "$(cards "$P" org)" == "$(cards "$P3" org)" ]; then fail "another seed, another base"; else pass "another seed, another base"; fi

# `kartoteka demo` refuses a card index that has cards; nothing is added
before=$(k list deal --json | json 'len(d)')
check_fails "demo refuses a card index with cards" "only an empty card index" k demo
check_eq "... and adds nothing" "$before" "$(k list deal --json | json 'len(d)')"
check_fails "a bad seed is a usage error" "positive whole number" k demo --seed abc
"$KT" --profile "$T/empty" init --local --user anna >/dev/null
check "demo fills an empty standalone card index" "$KT" --profile "$T/empty" demo --seed 3

# the check finds damage: a required field emptied and a value of the wrong form
/usr/bin/python3 - "$P2/replica.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE t_org SET name = NULL WHERE rowid = (SELECT min(rowid) FROM t_org)")
db.execute("UPDATE t_contact SET email = 'нет почты' WHERE rowid = (SELECT min(rowid) FROM t_contact)")
db.commit()
PY
check_fails "check finds the damage and fails" "problem" "$KT" --profile "$P2" check
out=$("$KT" --profile "$P2" check 2>/dev/null)
check_contains "... names the empty required field" "required field name is empty" "$out"
check_contains "... names the contact's bad e-mail" "contact " "$out"
check_fails "check takes no arguments" "no arguments" k check extra
finish
