#!/usr/bin/env bash
# Other memorable dates (issue 18): a client's date field — custom (a company's
# founding day, a contract renewal) or built in — marked `field yearly TYPE NAME
# on` is reminded every year like a birthday, to the manager whose client it is
# (an organization's owner; a contact of an organization follows it), on every
# PC of the office once synced. Only an administrator may mark a field; other
# kinds of fields and types are refused.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
office anna:manager boris:manager
enroll "$D" boss "$T/boss" || { echo "FAIL: enroll boss"; exit 1; }
k() { "$KT" --profile "$T/$1" "${@:2}"; }
check "a custom date field" k boss field add org --name founded --label "День основания" --type date
check "marked to be reminded every year" k boss field yearly org founded on
check_contains "... says so" "now reminded every year" "$(cat "$T/.out")"
k boss field add contact --name renewal --label "Продление договора" --type date >/dev/null
k boss field yearly contact renewal on >/dev/null
k boss sync >/dev/null; k anna sync >/dev/null; k boris sync >/dev/null
ORG=$(k anna add org --set name="Ромашка" --set founded="$(date -d '+1 day' +2010-%m-%d)")
k anna add contact --set last_name=Петров --set org="$ORG" --set renewal="$(date -d '+2 day' +2020-%m-%d)" >/dev/null
k anna add org --set name="Без даты" >/dev/null
k anna sync >/dev/null; k boris sync >/dev/null
R=$(k anna remind list)
check_contains "anna is reminded of her client's founding day" "День основания: Ромашка" "$R"
check_contains "... and of the contract renewal of its contact" "Продление договора: Петров" "$R"
check_contains "... in the agenda too" "День основания: Ромашка" "$(k anna agenda)"
check_not_contains "boris is not (not his client)" "Ромашка" "$(k boris remind list)"
check "anna's PC lists it as JSON" k anna remind list --json
check_eq "... on the day (this year's)" "$(date -d '+1 day' +%Y-%m-%d)" \
  "$(json '[x for x in d if "Ромашка" in x.get("title","")][0]["at"][:10]' < "$T/.out")"

# the reminder follows the client
k boss sync >/dev/null
k boss edit "$ORG" --set owner=boris >/dev/null; k boss sync >/dev/null
k anna sync >/dev/null; k boris sync >/dev/null
check_contains "after the hand-over boris is reminded" "День основания: Ромашка" "$(k boris remind list)"
check_not_contains "... and anna no longer" "Ромашка" "$(k anna remind list)"

# off again
k boss field yearly org founded off >/dev/null; k boss sync >/dev/null; k boris sync >/dev/null
check_not_contains "switched off: no reminder" "День основания" "$(k boris remind list)"

# bad input
check_fails "only an administrator marks fields" "administrator|may not|not allowed" k anna field yearly org founded on
k anna sync >/dev/null 2>&1
check_fails "not a date field" "not a date field" k boss field yearly org city on
check_fails "not a client's field" "only dates of clients" k boss field yearly deal date on
check_fails "an unknown field" "founded2|no field|unknown" k boss field yearly org founded2 on
check_fails "on or off" "on\|off" k boss field yearly org founded maybe
finish
