#!/usr/bin/env bash
# A card's identity through files: our vCards and calendars carry each card's id as UID and
# import keeps it, so a card exported and imported back is found again (skipped, or updated
# with --on-duplicate update) instead of doubled; another program's UID gives a derived id,
# so a calendar imported twice makes its events once. Also: vCard 4.0 export, a calendar
# export of events and tasks together, a mixed calendar's columns not reported as unmapped,
# and an id that names a card of another type refused with its line.
source "$(dirname "$0")/../lib/integ.sh"
k() { "$KT" --profile "$T/$1" "${@:2}"; }
py() { /usr/bin/python3 -c "$@"; }
export TZ=Europe/Moscow
D=$(cd "$(dirname "$0")/../data/import" && pwd)

k a init --local >/dev/null
k a add org --set name="ООО Вектор" --set city=Москва >/dev/null
k a add contact --set last_name=Петров --set first_name=Иван --set phone_mobile="+7 916 123-45-67" --set org="ООО Вектор" >/dev/null
k a add contact --set last_name=Kowalska --set first_name=Maria --set email=maria@example.pl >/dev/null
k a add event --set type=meeting --set title="Планёрка" --set start="2026-11-23 10:00" --set duration=60 >/dev/null
k a add task --set title="Отправить счёт" --set due="2026-11-25 18:00" --set priority=high >/dev/null
ids() { k "$1" list "$2" --json | json '" ".join(sorted(r["id"] for r in d))'; }

# ---- vCard: the ids travel as UID ----------------------------------------------------------------
check_contains "vCard 3.0 export" "exported 2 contact cards" "$(k a export vcard "$T/c.vcf")"
check "... VERSION:3.0" grep -q '^VERSION:3.0' "$T/c.vcf"
k b init --local >/dev/null
k b add org --set name="ООО Вектор" >/dev/null
check_contains "import of our vCards" "imported 2 rows" "$(k b import "$T/c.vcf" 2>&1)"
check_eq "... the cards keep their ids" "$(ids a contact)" "$(ids b contact)"
out=$(k b import "$T/c.vcf" 2>&1)
check_contains "the same file again: nothing doubled" "2 skipped" "$out"
check_contains "... and the reason names the card" "the same card (id" "$out"
check_eq "... still 2 contacts" "2" "$(k b list contact --json | json 'len(d)')"
PETROV=$(k a list contact --where last_name=Петров --json | json 'd[0]["id"]')
k a edit "$PETROV" --set position=Директор >/dev/null
k a export vcard "$T/c2.vcf" >/dev/null
out=$(k b import "$T/c2.vcf" --on-duplicate update 2>&1)
check_contains "--on-duplicate update merges into the same card" "updated" "$out"
check_contains "... the new value is there" '"position":"Директор"' "$(k b show "$PETROV" --json)"
check_contains "... the note counts the field (English)" "the same card (id) as" "$out"
check_contains "... 1 field, singular" ": 1 field changed" "$out"
k a edit "$PETROV" --set position=Бухгалтер >/dev/null
k a export vcard "$T/c3.vcf" >/dev/null
check_contains "... in Russian: изменено 1 поле" "та же карточка (идентификатор), что и Петров" \
  "$(LANG=ru_RU.UTF-8 k b import "$T/c3.vcf" --on-duplicate update 2>&1)"
check_contains "... with the singular form" "изменено 1 поле" "$(LANG=ru_RU.UTF-8 k b import "$T/c2.vcf" --on-duplicate update 2>&1)"
check_eq "... still 2 contacts" "2" "$(k b list contact --json | json 'len(d)')"
k b delete "$PETROV" >/dev/null
check_contains "a card in the trash is not made again" "is in the trash" "$(k b import "$T/c.vcf" 2>&1)"
check_eq "... 1 live contact" "1" "$(k b list contact --json | json 'len(d)')"
out=$(k b import "$T/c.vcf" --on-duplicate create 2>&1)
check_contains "--on-duplicate create makes new cards (new ids)" "imported 2 rows" "$out"
check_eq "... 3 live contacts" "3" "$(k b list contact --json | json 'len(d)')"

# ---- vCard 4.0 ---------------------------------------------------------------------------------
check_contains "vCard 4.0 export" "exported 2 contact cards" "$(k a export vcard4 "$T/c4.vcf")"
check "... VERSION:4.0" grep -q '^VERSION:4.0' "$T/c4.vcf"
check "... types in lower case (RFC 6350)" grep -q '^TEL;TYPE=cell;VALUE=text:' "$T/c4.vcf"
k c init --local >/dev/null
k c add org --set name="ООО Вектор" >/dev/null
check_contains "our 4.0 vCards read back" "imported 2 rows" "$(k c import "$T/c4.vcf" 2>&1)"
check_contains "... phone and organization" '"phone_mobile":"+7 916 123-45-67"' "$(k c show "$PETROV" --json)"
if py 'import vobject' 2>/dev/null; then
  check_eq "python3-vobject reads our vCard 4.0" "Иван Петров|+7 916 123-45-67" "$(py '
import sys, vobject
for c in vobject.readComponents(open(sys.argv[1], encoding="utf-8").read()):
    if c.n.value.family == "Петров": print(c.fn.value + "|" + c.tel.value)' "$T/c4.vcf")"
fi

# ---- iCalendar: events and tasks in one file, ids kept -------------------------------------------
check_contains "ical export without --type: events and tasks" "exported 2 event and task cards" "$(k a export ical "$T/all.ics")"
check "... a VEVENT" grep -q '^BEGIN:VEVENT' "$T/all.ics"
check "... and a VTODO" grep -q '^BEGIN:VTODO' "$T/all.ics"
k d init --local >/dev/null
out=$(k d import "$T/all.ics" --strict 2>&1)
check_contains "the mixed calendar imports (--strict: every column is someone's)" "imported 2 rows" "$out"
check_not_contains "... no column reported as unmapped" "matches no field" "$out"
check_eq "... the event keeps its id" "$(ids a event)" "$(ids d event)"
check_eq "... the task keeps its id" "$(ids a task)" "$(ids d task)"
check_contains "the same calendar again: nothing doubled" "2 skipped" "$(k d import "$T/all.ics" 2>&1)"

# ---- another program's UID: a derived id, the same every time ------------------------------------
k e init --local >/dev/null
check_contains "a calendar app's .ics" "imported 4 rows" "$(k e import "$D/calendar.ics" 2>&1)"
first=$(ids e event)
out=$(k e import "$D/calendar.ics" 2>&1)
check_contains "... imported again: its events are found by UID" "4 skipped" "$out"
check_eq "... the same events, not doubled" "$first" "$(ids e event)"
k f init --local >/dev/null
k f import "$D/calendar.ics" >/dev/null 2>&1
check_eq "... another PC derives the same ids from the UIDs" "$first" "$(ids f event)"
sed 's/^SUMMARY:Планёрка$/SUMMARY:Планёрка отдела/' "$D/calendar.ics" > "$T/cal2.ics"
check_contains "--on-duplicate update takes the calendar's changes" "updated" "$(k e import "$T/cal2.ics" --on-duplicate update 2>&1)"
check_contains "... the new title" "Планёрка отдела" "$(k e list event --json)"

# ---- an id that is another type's card -----------------------------------------------------------
ORG=$(k a list org --json | json 'd[0]["id"]')
printf 'BEGIN:VCARD\nVERSION:3.0\nN:Сидоров;Олег;;;\nUID:%s\nEND:VCARD\n' "$ORG" > "$T/bad.vcf"
check_fails "a UID naming an organization is refused with its line" "line 1.*organization" k a import "$T/bad.vcf"
check_eq "... and nothing was imported" "0" "$(k a list contact --where last_name=Сидоров --json | json 'len(d)')"
check_fails "an unknown export format names vcard4 too" "vcard4" k a export pdf "$T/x.pdf" --type org

finish
