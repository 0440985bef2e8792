#!/usr/bin/env bash
# Export to the formats other programs read, judged by those programs: LibreOffice
# headless opens our .ods/.xlsx/.csv (converted to CSV and compared value by value
# with `list --json`), python3-vobject parses our vCards (names, phones), python3-
# icalendar our .ics (events, alarms, repeat rules, tasks); the HTML list and card
# are escaped UTF-8 with the related cards; the text table is aligned by display
# width. Round trips through `import` (ours -> file -> ours) once the import
# pipeline reads these formats. Bad requests leave no file. The third-party checks
# run when those programs are installed (installer/deps.sh installs them).
source "$(dirname "$0")/../lib/integ.sh"
k() { "$KT" --profile "$T/$1" "${@:2}"; }
py() { /usr/bin/python3 -c "$@"; }
export TZ=Europe/Moscow

k solo init --local >/dev/null
k solo add org --set name='ООО "Ромашка" & <Ко>' --set city=Москва --set employees=42 --set turnover="1 250 000,50" >/dev/null
k solo add org --set name="Zażółć Sp. z o.o." --set city=Gdańsk --set comment=$'две\nстроки' >/dev/null
k solo add contact --set last_name=Петров --set first_name=Иван --set middle_name=Сергеевич \
  --set phone_mobile="+7 916 123-45-67" --set phone_work="+7 495 111-22-33" --set email=petrov@example.ru \
  --set org='ООО "Ромашка" & <Ко>' --set birthday=1980-05-17 --set position=Директор \
  --set comment=$'Звонить после обеда, лучше в среду;\nвторая строка' >/dev/null
k solo add contact --set last_name=Kowalska --set first_name=Maria --set phone_home="+48 601 234 567" \
  --set org="Zażółć Sp. z o.o." --set city=Gdańsk >/dev/null
k solo add event --set type=meeting --set title="Планёрка" --set start="2026-11-23 10:00" --set duration=90 \
  --set remind_before=15m --set rrule="FREQ=WEEKLY;BYDAY=MO" --set org='ООО "Ромашка" & <Ко>' >/dev/null
k solo add event --set type=call --set title="Звонок, важный" --set start="2026-12-01 15:30" --set status=done >/dev/null
k solo add task --set title="Отправить счёт" --set due="2026-11-25 18:00" --set priority=high \
  --set remind_at="2026-11-25 12:00" --set description="до обеда" >/dev/null
ORG=$(k solo list org --json | json '[r["id"] for r in d if r["name"].startswith("ООО")][0]')

# ---- every format is written, and only whole ----------------------------------------------------
for f in ods vcard html text; do
  check_contains "export $f of contacts" "exported 2 contact cards" "$(k solo export $f "$T/c.$f" --type contact)"
done
check_contains "export ical of events" "exported 2 event cards" "$(k solo export ical "$T/e.ics" --type event)"
check_contains "export ical of tasks" "exported 1 task card" "$(k solo export ical "$T/t.ics" --type task)"
check_contains "export ods of organizations" "exported 2 org cards" "$(k solo export ods "$T/o.ods" --type org)"
check_contains "export xlsx of organizations" "exported 2 org cards" "$(k solo export xlsx "$T/o.xlsx" --type org)"
check_contains "export xlsx of contacts" "exported 2 contact cards" "$(k solo export xlsx "$T/c.xlsx" --type contact)"
check_contains "export xlsx of events" "exported 2 event cards" "$(k solo export xlsx "$T/e.xlsx" --type event)"
check_contains "vCard needs no --type" "exported 2 contact cards" "$(k solo export vcard "$T/c2.vcf")"
check_eq "no part files are left" "" "$(ls "$T" | grep -E '\.part|\.content')"

# ---- LibreOffice reads our spreadsheets -----------------------------------------------------------
if command -v soffice >/dev/null 2>&1; then
  lo_csv() { # FILE OUTDIR: FILE converted to a ';'-separated UTF-8 CSV by LibreOffice
    mkdir -p "$2"
    local in=(); [[ "$1" == *.csv ]] && in=(--infilter='CSV:59,34,76,1')
    timeout 120 soffice -env:UserInstallation=file://"$T/lo-profile" --headless "${in[@]}" \
      --convert-to 'csv:Text - txt - csv (StarCalc):59,34,76,1' --outdir "$2" "$1" >/dev/null 2>&1
  }
  lo_csv "$T/o.ods" "$T/lo-ods"; lo_csv "$T/o.xlsx" "$T/lo-xlsx"; lo_csv "$T/c.ods" "$T/lo-cods"; lo_csv "$T/c.xlsx" "$T/lo-cxlsx"
  k solo export csv "$T/o.csv" --type org >/dev/null
  lo_csv "$T/o.csv" "$T/lo-csv"
  for f in lo-ods/o.csv lo-xlsx/o.csv lo-cods/c.csv lo-csv/o.csv; do
    check "LibreOffice opened ${f%%/*} and wrote $f" test -s "$T/$f"
  done
  # the values LibreOffice sees are the cards' values: names, cities, numbers as numbers
  cmp_lo='
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig"), delimiter=";"))
cards = json.load(open(sys.argv[2]))
head = rows[0]
def col(label): return head.index(label)
want = {(c["name"], c.get("city") or "", str(c.get("employees") or "")) for c in cards}
got = {(r[col("Name")], r[col("City")], r[col("Employees")]) for r in rows[1:]}
print("same" if want == got else "differ: %r vs %r" % (want, got))
print(sorted(r[col("Annual turnover")] for r in rows[1:]))
print(sorted(r[col("Comment")] for r in rows[1:]))'
  k solo list org --json > "$T/orgs.json"
  for f in lo-ods lo-xlsx lo-csv; do
    out=$(py "$cmp_lo" "$T/$f/o.csv" "$T/orgs.json" 2>&1)
    check_contains "LibreOffice reads the same organizations from our ${f#lo-}" "same" "$out"
    check_contains "... the turnover as a number" "1250000.5" "$out"
    check_contains "... two lines in one cell" "две\\nстроки" "$out"
  done
  out=$(py 'import csv,sys
for r in csv.reader(open(sys.argv[1], encoding="utf-8-sig"), delimiter=";"): print("|".join(r))' "$T/lo-cods/c.csv")
  check_contains "LibreOffice reads a contact's birthday from our ods as a date" "|1980-05-17|" "$out"
  check_contains "... and the names" "Петров|Иван|Сергеевич|Директор|ООО \"Ромашка\" & <Ко>" "$out"
  check_contains "LibreOffice reads a contact's birthday from our xlsx as a date" "1980-05-17" "$(cat "$T/lo-cxlsx/c.csv")"
  check "... stored as a date (a number with a date format), not text" py 'import openpyxl, sys, datetime
ws = openpyxl.load_workbook(sys.argv[1]).active
col = [c.value for c in ws[1]].index("Birthday") + 1
assert any(isinstance(ws.cell(r, col).value, datetime.datetime) for r in range(2, ws.max_row + 1))' "$T/c.xlsx"
else
  echo "NOTE: soffice not installed: LibreOffice checks skipped (installer/deps.sh installs it)"
fi

# ---- vobject reads our vCards ---------------------------------------------------------------------
if py 'import vobject' 2>/dev/null; then
  out=$(py '
import sys, vobject
for c in vobject.readComponents(open(sys.argv[1], encoding="utf-8").read()):
    n = c.n.value
    tels = sorted((t.params.get("TYPE", [""])[0].upper(), t.value) for t in c.contents.get("tel", []))
    print(c.fn.value, "|", n.family, n.given, n.additional, "|", tels, "|", c.contents["org"][0].value[0] if "org" in c.contents else "",
          "|", c.contents["bday"][0].value if "bday" in c.contents else "", "|", repr(c.contents["note"][0].value) if "note" in c.contents else "")
' "$T/c.vcard" 2>&1)
  check_contains "vobject reads our vCard: FN and N" "Иван Сергеевич Петров | Петров Иван Сергеевич" "$out"
  check_contains "... the phones with their types" "[('CELL', '+7 916 123-45-67'), ('WORK', '+7 495 111-22-33')]" "$out"
  check_contains "... the organization (quotes, & and < intact)" 'ООО "Ромашка" & <Ко>' "$out"
  check_contains "... the birthday" "1980-05-17" "$out"
  check_contains "... a note with a comma, a semicolon and a line break" "'Звонить после обеда, лучше в среду;\\nвторая строка'" "$out"
  check_contains "... the second contact" "Maria Kowalska | Kowalska Maria" "$out"
else
  echo "NOTE: python3-vobject not installed: vCard checks skipped"
fi

# ---- python-icalendar reads our .ics ------------------------------------------------------------
if py 'import icalendar' 2>/dev/null; then
  out=$(py '
import sys, icalendar
for f in sys.argv[1:]:
    cal = icalendar.Calendar.from_ical(open(f, "rb").read())
    for e in cal.walk():
        if e.name not in ("VEVENT", "VTODO"): continue
        start = e.get("DTSTART") or e.get("DUE")
        alarms = [str(a.get("TRIGGER").dt) for a in e.walk("VALARM")]
        rr = e.get("RRULE")
        print(e.name, "|", str(e.get("SUMMARY")), "|", start.dt.isoformat(), "|", e.get("DURATION").dt if e.get("DURATION") else "",
              "|", rr.to_ical().decode() if rr else "", "|", alarms, "|", str(e.get("STATUS") or ""), "|", e.get("PRIORITY") or "")
' "$T/e.ics" "$T/t.ics" 2>&1)
  check_contains "python-icalendar reads our event: title, start in UTC, duration" "VEVENT | Планёрка | 2026-11-23T07:00:00+00:00 | 1:30:00" "$out"
  check_contains "... its repeat rule" "FREQ=WEEKLY;BYDAY=MO" "$out"
  check_contains "... its reminder 15 minutes before" "['-1 day, 23:45:00']" "$out"
  check_contains "... a comma in a title" "VEVENT | Звонок, важный | 2026-12-01T12:30:00+00:00" "$out"
  check_contains "... a task with its due time, alarm at a time, priority" "VTODO | Отправить счёт | 2026-11-25T15:00:00+00:00 |  |  | ['2026-11-25 09:00:00+00:00'] |  | 1" "$out"
else
  echo "NOTE: python3-icalendar not installed: iCalendar checks skipped"
fi

# ---- HTML and text ----------------------------------------------------------------------------------
h=$(cat "$T/c.html")
check_contains "HTML: UTF-8, a table with the labels as headings" '<meta charset="utf-8">' "$h"
check_contains "... labels" "<th>Surname</th><th>Name</th>" "$h"
check_contains "... values escaped" "<td>ООО &quot;Ромашка&quot; &amp; &lt;Ко&gt;</td>" "$h"
check_contains "... line breaks kept" "лучше в среду;<br>вторая строка" "$h"
check_contains "one card ready to print" "exported card $ORG" "$(k solo export html "$T/card.html" --id "$ORG")"
h=$(cat "$T/card.html")
check_contains "... its title" "<h1>ООО &quot;Ромашка&quot; &amp; &lt;Ко&gt;</h1>" "$h"
check_contains "... its fields" "<dt>City</dt><dd>Москва</dd>" "$h"
check_contains "... its contacts" "<h2>Contacts</h2>" "$h"
check_contains "... by name" "Петров Иван Сергеевич" "$h"
check_contains "... its events" "Планёрка" "$h"
check_not_contains "... and not another client's" "Kowalska" "$h"
check_eq "... well-formed enough for a parser" "ok" "$(py '
import sys, html.parser
class P(html.parser.HTMLParser):
    def __init__(s): super().__init__(); s.stack = []
    def handle_starttag(s, t, a):
        if t not in ("meta", "br"): s.stack.append(t)
    def handle_endtag(s, t):
        assert s.stack.pop() == t, t
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read()); print("ok" if not p.stack else p.stack)' "$T/card.html" 2>&1)"
check_eq "the text table lines up by display width" "ok" "$(py '
import sys, unicodedata
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
w = lambda s: sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in s)
head = lines[0]; col = head.index("Mobile phone")
starts = [w(l[:l.index("+7 916")]) for l in lines if "+7 916" in l]
print("ok" if len(lines) == 3 and starts == [w(head[:col])] else (starts, w(head[:col]), lines))' "$T/c.text")"
check_contains "... one line per card (a comment's line break becomes a space)" "лучше в среду; вторая строка" "$(cat "$T/c.text")"
check "an empty selection is a valid HTML page" k solo export html "$T/none.html" --type contact --where city=Тверь
check_contains "... with the headings" "<th>Surname</th>" "$(cat "$T/none.html")"

# ---- round trips through import (once the pipeline reads these formats) ---------------------------
# every field but the ids and times the program keeps; a reference by the name of what it names
cards() { # PROFILE TYPE
  k "$1" list org --json > "$T/.orgs.json"
  k "$1" list "$2" --json | py 'import json,sys
orgs = {o["id"]: o["name"] for o in json.load(open(sys.argv[1]))}
out = []
for r in json.load(sys.stdin):
    r = {k: v for k, v in r.items() if k not in ("id", "created", "updated", "kind")}
    if "org" in r: r["org"] = orgs.get(r["org"], r["org"])
    out.append(json.dumps(r, ensure_ascii=False, sort_keys=True))
print(sorted(out))' "$T/.orgs.json"
}
if k solo import --help 2>&1 | grep -q vcard; then
  k back init --local >/dev/null
  for f in org:o.ods org:o.xlsx contact:c.vcard contact:c.xlsx contact:c.ods event:e.xlsx; do
    t=${f%%:*}; file=${f#*:}; fmt=${file##*.}
    k "back-$fmt" init --local >/dev/null
    k "back-$fmt" list org --json | grep -q name || k "back-$fmt" import ods "$T/o.ods" --type org >/dev/null 2>&1
    check "import $fmt reads our $file" k "back-$fmt" import "$fmt" "$T/$file" --type "$t"
    check_eq "... the same $t cards ($fmt round trip)" "$(cards solo "$t")" "$(cards "back-$fmt" "$t")"
  done
  for t in event task; do
    k "back-$t" init --local >/dev/null
    k "back-$t" import ods "$T/o.ods" --type org >/dev/null 2>&1
    file=$([ $t = event ] && echo e.ics || echo t.ics)
    check "import ical reads our $t export" k "back-$t" import ical "$T/$file" --type $t
    check_eq "... the same ${t}s (ical round trip)" "$(cards solo $t)" "$(cards "back-$t" $t)"
  done
else
  echo "NOTE: import does not read vcard/ods/xlsx/ical yet: round trips are in the unit tests (test_vcard, test_ical, test_sheet)"
fi

# ---- files as other programs write them, through import -----------------------------------------
if k solo import --help 2>&1 | grep -q vcard; then
  D=$(cd "$(dirname "$0")/../data/import" && pwd)
  k real init --local >/dev/null
  check_contains "a phone's vCard 3.0 (format detected)" "imported 2 rows" "$(k real import "$D/phone_3.0.vcf" --create-missing 2>&1)"
  c=$(k real list contact --where last_name=Петров --json)
  check_contains "... its numbers by kind" '"phone_work":"+7 495 111-22-33","phone_mobile":"+7 916 123-45-67","phone_home":"+7 495 444-55-66"' "$c"
  check_contains "... a second mobile number is not lost" "+7 903 765-43-21" "$c"
  check_contains "... its organization created" "$(k real list org --json | json 'd[0]["id"]')" "$c"
  check_contains "... a birthday without a year" '"birthday":"--05-17"' "$(k real list contact --where last_name=Сидорова --json)"
  check_contains "a 2.1 vCard with quoted-printable Cyrillic" "imported 1 row" "$(k real import vcard "$D/phone_2.1.vcf" 2>&1)"
  check_contains "... CHARSET=WINDOWS-1251 read" '"last_name":"Смирнова","first_name":"Ольга"' "$(k real list contact --where last_name=Смирнова --json)"
  check_contains "an Outlook vCard" "imported 1 row" "$(k real import "$D/outlook.vcf" --create-missing 2>&1)"
  check_contains "... its work phone (the fax left out) and address" '"phone_work":"+7 (495) 777-88-99","phone_mobile":"+7 (926) 000-11-22","email":"vasiliev@vector.ru","address":"ул. Ленина, 1, 101000, Россия","city":"Москва"' \
    "$(k real list contact --where last_name=Васильев --json)"
  check_contains "a Google Contacts vCard" "imported 2 rows" "$(k real import "$D/google.vcf" --create-missing 2>&1)"
  check_contains "... both e-mails" '"email":"maria@example.pl","email2":"m.kowalska@firma.pl"' "$(k real list contact --where last_name=Kowalska --json)"
  check_contains "a calendar app's .ics (VTIMEZONE, VALARM, RRULE)" "imported 4 rows" "$(k real import "$D/calendar.ics" 2>&1)"
  check_contains "... the meeting in Moscow time, weekly, reminded 15 min before" '"start":"2026-11-23T10:00:00+03:00","duration":60,"status":"planned","remind_before":15,"rrule":"FREQ=WEEKLY;BYDAY=MO"' \
    "$(k real list event --where title=Планёрка --json)"
  check_contains "... the task" '"due":"2026-11-25T18:00:00+03:00","priority":"high","status":"open","remind_before":60' "$(k real list task --json)"
  check_contains "an XLSX made by LibreOffice (dates and numbers as stored)" "1 row would be created" \
    "$(k real import "$D/libreoffice.xlsx" --type contact --dry-run 2>&1)"
  check_contains "an ODS made by LibreOffice" "1 row would be created" "$(k real import "$D/libreoffice.ods" --type contact --dry-run 2>&1)"
  printf 'BEGIN:VCARD\nVERSION:3.0\nN:Ок;Первый;;;\nEND:VCARD\nBEGIN:VCARD\nVERSION:3.0\nTEL:123\nEND:VCARD\n' > "$T/noname.vcf"
  check_fails "a vCard without N or FN is named by its line" "line 5.*neither N nor FN" k real import "$T/noname.vcf"
  printf 'BEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\n' > "$T/nocal.ics"
  check_fails "an .ics without VCALENDAR" "no BEGIN:VCALENDAR" k real import ical "$T/nocal.ics" --type event
  head -c 2000 "$D/libreoffice.xlsx" > "$T/cut.xlsx"
  check_fails "a truncated workbook" "not a complete zip" k real import "$T/cut.xlsx" --type contact
  check_eq "... and nothing of them was imported" "0" "$(k real list contact --where last_name=Ок --json | json 'len(d)')"
fi

# ---- bad requests: a clear error and no file ------------------------------------------------------
check_fails "vCard of organizations" "vcard export holds contact cards" k solo export vcard "$T/x.vcf" --type org
check_fails "iCalendar of contacts" "ical export holds event task cards" k solo export ical "$T/x.ics" --type contact
check_fails "--id of an unknown card" "not found|no card|unknown" k solo export html "$T/x.html" --id 01900000-0000-7000-8000-000000000000
check_fails "--id with --type" "leave out --type" k solo export html "$T/x.html" --id "$ORG" --type org
check_fails "an unknown format" "supported: csv, xlsx, ods, vcard, ical, html, text" k solo export pdf "$T/x.pdf" --type org
check_fails "ods into a folder that does not exist" "cannot write" k solo export ods "$T/nowhere/x.ods" --type org
check_eq "... and no file was left" "" "$(ls "$T" | grep -E '^x\.|\.part|\.content')"
finish
