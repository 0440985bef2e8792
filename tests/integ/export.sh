#!/usr/bin/env bash
# Export to files Excel opens: CSV (UTF-8 BOM, ';', CRLF, quoting) that import
# reads back to the same cards, and .xlsx (a real workbook: header labels,
# numbers as numbers); filters and field lists; bad input leaves no file.
# With a server: export is a right — a manager is refused (and the attempt is
# audited), the head of sales exports and the server's audit log records it;
# with the server down nothing is exported.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
k() { "$KT" --profile "$T/$1" "${@:2}"; }
py() { /usr/bin/python3 -c "$@"; }

# ---- a standalone card index -----------------------------------------------------------------
k solo init --local >/dev/null
k solo add org --set name='ООО "Ромашка"; филиал' --set city=Москва --set phone="+7 495 123-45-67" --set employees=42 >/dev/null
k solo add org --set name="Лютик" --set comment=$'две\nстроки' --set city=Тверь >/dev/null
k solo add org --set name="Василёк" --set city=Москва --set employees=7 >/dev/null
check_contains "export csv" "exported 3 org cards" "$(k solo export csv "$T/o.csv" --type org)"
check_eq "the CSV starts with a BOM and a header of labels" "efbbbf" "$(head -c 3 "$T/o.csv" | od -An -tx1 | tr -d ' \n')"
check_contains "... ';'-separated, CRLF lines" $'Name;Legal name' "$(head -1 "$T/o.csv")"
check_eq "... CRLF line ends" "4" "$(grep -c $'\r$' "$T/o.csv")"
k back init --local >/dev/null
check_contains "import reads the export back" "imported 3 rows" "$(k back import csv "$T/o.csv" --type org 2>/dev/null)"
fields=name,city,employees,comment,phone
strip='import json,sys; print(sorted(json.dumps({k:v for k,v in r.items() if k in "name city employees comment phone".split()}, ensure_ascii=False) for r in json.load(sys.stdin)))'
check_eq "... the same cards: quotes, ';' and line breaks survive" \
  "$(k solo list org --fields $fields --json | py "$strip")" "$(k back list org --fields $fields --json | py "$strip")"
check_contains "a filter and a field list" "exported 2 org cards" \
  "$(k solo export csv "$T/m.csv" --type org --where city=Москва --fields name,employees --sort name)"
check_eq "... only those columns and rows, sorted" $'Name;Employees\r\nВасилёк;7\r\n"ООО ""Ромашка""; филиал";42\r' \
  "$(tail -c +4 "$T/m.csv")"
# hiding a field takes it off the forms, not out of the data: it is still exported
k solo field hide org city >/dev/null
k solo export csv "$T/h.csv" --type org >/dev/null
check_contains "a hidden field is still exported" ";City;" "$(head -1 "$T/h.csv")"
check_contains "... with its values" "Тверь" "$(cat "$T/h.csv")"
k solo field show org city >/dev/null
check_contains "export xlsx" "exported 3 org cards" "$(k solo export xlsx "$T/o.xlsx" --type org --fields name,employees,city)"
xl=$(py 'import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); print(z.testzip() is None, "xl/workbook.xml" in z.namelist()); print(z.read("xl/worksheets/sheet1.xml").decode())' "$T/o.xlsx")
check_contains "... a valid workbook" "True True" "$xl"
check_contains "... a bold header of labels" '<c r="A1" s="1" t="inlineStr"><is><t>Name</t>' "$xl"
check_contains "... numbers as numbers" '<v>42</v>' "$xl"
check_contains "... text as text" 'Тверь' "$xl"

# references: an organization by its name when the name is unique (import resolves it back)
k solo add contact --set last_name=Петрова --set org="Лютик" >/dev/null
k solo export csv "$T/c.csv" --type contact --fields last_name,org >/dev/null
check_eq "a contact's organization is written by its name" $'Surname;Organization\r\nПетрова;Лютик\r' "$(tail -c +4 "$T/c.csv")"
check_contains "... which import resolves back" "imported 1 row" "$(k back import csv "$T/c.csv" --type contact 2>/dev/null)"
check_eq "... to the same organization" "Лютик" \
  "$(k back show "$(k back list contact --json | json 'd[0]["org"]')" --json | json 'd["name"]')"
k solo add org --set name="ЛЮТИК" >/dev/null
k solo export csv "$T/c2.csv" --type contact --fields last_name,org >/dev/null
check_contains "... and by its id when two organizations share the name" "Петрова;$(k solo list contact --json | json 'd[0]["org"]')" "$(cat "$T/c2.csv")"

# bad input: a clear error, a non-zero status and no file (not even a part)
check_fails "an unknown format" "unsupported export format 'pdf'" k solo export pdf "$T/x.pdf" --type org
check_fails "an unknown type" "unknown type 'orgs'" k solo export csv "$T/x.csv" --type orgs
check_fails "an unknown field" "no field|unknown field" k solo export csv "$T/x.csv" --type org --fields name,nosuch
check_fails "no --type" "say which cards with --type" k solo export csv "$T/x.csv"
check_fails "a folder that does not exist" "cannot write $T/nowhere/x.csv" k solo export csv "$T/nowhere/x.csv" --type org
check_eq "... and no file was left" "" "$(ls "$T" | grep -E '^x\.|\.part$')"

# ---- with the office server ---------------------------------------------------------------------
D=$T/data
init_server "$D"
add_user "$D" anna manager; add_user "$D" head head_of_sales
start_server "$D"
for u in anna head; do enroll "$D" $u "$T/$u" || { echo "FAIL: enroll $u"; exit 1; }; done
k anna add org --set name="Клиент Анны" >/dev/null; k anna sync >/dev/null; k head sync >/dev/null
check_fails "a manager may not export" "your role \(manager\) may not export cards" k anna export csv "$T/anna.csv" --type org
check_eq "... and nothing was written" "" "$(ls "$T" | grep '^anna\.csv')"
check_contains "... the attempt is in the server's audit log" "anna" "$("$KTD" audit --data "$D" --action denied.export)"
check_contains "the head of sales exports" "exported 1 org card" "$(k head export xlsx "$T/head.xlsx" --type org)"
check_contains "... and the server recorded it" "head" "$("$KTD" audit --data "$D" --action export)"
check_contains "... with the count, format and file" "1 rows as xlsx to head.xlsx" "$("$KTD" audit --data "$D" --action export)"
check_contains "every format asks the server: ods" "exported 1 org card" "$(k head export ods "$T/head.ods" --type org)"
check_contains "... and it is recorded as ods" "1 rows as ods to head.ods" "$("$KTD" audit --data "$D" --action export)"
check_fails "a manager may not export a card to HTML either" "may not export" k anna export html "$T/anna.html" --id "$(k anna list org --json | json 'd[0]["id"]')"
check_eq "... no file" "" "$(ls "$T" | grep '^anna\.html')"
stop_server "$D"
check_fails "with the server down nothing is exported" "needs the office server" k head export csv "$T/off.csv" --type org
check_eq "... no file" "" "$(ls "$T" | grep '^off\.csv')"
finish
