#!/usr/bin/env bash
# The card's timeline (issue 18): `show ID --timeline [--oldest-first] [--json]`
# lists the card's events, tasks, deals and notes — written on two PCs and
# synced — in date order with their results and amounts, newest first by
# default; an organization's timeline includes its contacts' records once.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
office anna:head_of_sales boris:head_of_sales
k() { "$KT" --profile "$T/$1" "${@:2}"; }
ORG=$(k anna add org --set name="Ромашка")
CON=$(k anna add contact --set last_name=Петров --set org="$ORG")
k anna add event --set type=call --set title="Первый звонок" --set start=2025-11-03T10:00 \
  --set org="$ORG" --set status=done --set result=reached >/dev/null
k anna add deal --set date=2026-01-20 --set amount=125000 --set state=paid --set org="$ORG" >/dev/null
k anna sync >/dev/null; k boris sync >/dev/null
k boris add task --set title="Выставить счёт" --set due=2026-01-10T12:00 --set org="$ORG" >/dev/null
k boris add event --set type=meeting --set title="Встреча с Петровым" --set start=2026-02-02T15:00 \
  --set contact="$CON" --set status=planned >/dev/null
k boris add note --set title="Любит звонки до обеда" --set text="и не любит письма" --set org="$ORG" >/dev/null
k boris add link --set url=https://example.org --set title="сайт" --set org="$ORG" >/dev/null
k boris sync >/dev/null; k anna sync >/dev/null

check "timeline as JSON" k anna show "$ORG" --timeline --json
J=$(cat "$T/.out")
check_eq "newest first: note (created today), meeting, deal, task, call" \
  "note event deal task event" "$(echo "$J" | json '" ".join(x["kind"] for x in d["timeline"])')"
check_eq "dated by their own dates" "created start date due start" \
  "$(echo "$J" | json '" ".join(x["dated_by"] for x in d["timeline"])')"
check_eq "the deal's amount and state" "125000.00 paid" \
  "$(echo "$J" | json '[ "%s %s" % (x["amount"], x["state"]) for x in d["timeline"] if x["kind"]=="deal"][0]')"
check_eq "the contact's meeting is on the org's timeline" "Встреча с Петровым" \
  "$(echo "$J" | json 'd["timeline"][1]["title"]')"
check_not_contains "links and contacts are not events of the story" "example.org" "$J"
check "oldest first" k anna show "$ORG" --timeline --oldest-first --json
check_eq "... the first call comes first" "Первый звонок" "$(json 'd["timeline"][0]["title"]' < "$T/.out")"
check "timeline for people" k anna show "$ORG" --timeline
H=$(cat "$T/.out"); [ -n "${KT_SHOW:-}" ] && echo "$H"
check_contains "the call's result" "Reached" "$H"
check_contains "the deal's amount" "125" "$H"
check_contains "a heading with the count" "5 on the timeline" "$H"
check_eq "one line per item, newest first" "Любит звонки до обеда" "$(echo "$H" | sed -n 3p | awk '{$1=$2=$3=""; print}' | sed 's/^ *//; s/  .*//')"
check "the contact's own timeline" k boris show "$CON" --timeline --json
check_eq "... just its meeting" "meeting" "$(json '" ".join(x["type"] for x in d["timeline"])' < "$T/.out")"
check_fails "--oldest-first alone" "goes with --timeline" k anna show "$ORG" --oldest-first
check_fails "an unknown option" "unknown option" k anna show "$ORG" --timelines
check_fails "an unknown card" "no card|not found|there is no" k anna show 01234567-89ab-7def-8123-456789abcdef --timeline
finish
