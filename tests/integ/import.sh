#!/usr/bin/env bash
# Import as offices move in (issue 16): files imitating real exports — a Russian
# Excel CSV in CP1251 with ';', Excel's UTF-16 LE "Unicode text" (tab, BOM), an
# Outlook contacts CSV in Russian, a Google Contacts CSV (' ::: ', --05-17) —
# are read without --map or --encoding; every bad input is named by its line
# and nothing is imported; --skip-bad-rows, --dry-run, --on-duplicate
# skip/update/create, --create-missing; ours -> CSV export -> import loses
# nothing, and LibreOffice (when installed) reads our export with the right
# values. With a real server: duplicates and merge — every dependent card
# moves, the merge syncs to a second PC, and is refused without the rights.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
k() { "$KT" --profile "$T/$1" "${@:2}"; }
n_of() { k "$1" list "$2" --json | json 'len(d)'; }

k solo init --local >/dev/null

# ---- files as Excel, Outlook and Google write them ---------------------------------------------
printf 'Название;Город;ИНН;Годовой оборот;Телефон\r\nООО "Ромашка";Москва;7701234567;1 250 000,50;+7 495 111-22-33\r\nИП Петров;Тверь;;;\r\n' \
  | iconv -f utf-8 -t cp1251 > "$T/excel1251.csv"
out=$(k solo import "$T/excel1251.csv" --type org --json)
check_eq "CP1251 ';' CSV: detected, both rows imported" "2 cp1251" "$(echo "$out" | json 'str(d["imported"]) + " " + d["encoding"]')"
check_eq "... money as Excel writes it" "1250000.50" "$(k solo list org --where 'name=ООО "Ромашка"' --json | json 'd[0]["turnover"]')"

printf 'Название\tГород\tТелефон\r\nЛютик\tКазань\t+7 843 000-11-22\r\n' | iconv -f utf-8 -t utf-16le | { printf '\xff\xfe'; cat; } > "$T/unicode.txt"
check_contains "Excel's UTF-16 LE Unicode text (tab, BOM)" "imported 1 row" "$(k solo import text "$T/unicode.txt" --type org)"
check_eq "... its Cyrillic arrived" "Казань" "$(k solo list org --where name=Лютик --json | json 'd[0]["city"]')"

cat > "$T/outlook.csv" <<'CSV'
"Обращение","Имя","Отчество","Фамилия","Суффикс","Организация","Отдел","Должность","Рабочий телефон","Мобильный телефон","Адрес эл. почты","День рождения","Заметки"
"","Иван","Петрович","Сидоров","","ООО ""Ромашка""","","Директор","+7 (495) 111-22-44","+7 916 000-11-22","sidorov@romashka.example","0.0.00","Клиент с 2010"
"","Анна","","Белова","","","","","","","belova@example.com","17.05.1985",""
CSV
out=$(k solo import csv "$T/outlook.csv" --type contact 2>&1)
check_contains "Outlook (Russian) contacts: no --map needed" "imported 2 rows" "$out"
check_contains "... the columns that match no field are listed" "column 1 'Обращение' matches no field: skipped" "$out"
c=$(k solo list contact --where last_name=Сидоров --json)
check_eq "... fields, the organization by its name, 0.0.00 = no birthday" "Петрович Директор +7 916 000-11-22 None" \
  "$(echo "$c" | json 'd[0]["middle_name"] + " " + d[0]["position"] + " " + d[0]["phone_mobile"] + " " + str(d[0].get("birthday"))')"
check_eq "... the contact belongs to ООО \"Ромашка\"" "$(k solo list org --where 'name=ООО "Ромашка"' --json | json 'd[0]["id"]')" "$(echo "$c" | json 'd[0]["org"]')"

cat > "$T/google.csv" <<'CSV'
Name,Given Name,Additional Name,Family Name,Birthday,Phone 1 - Type,Phone 1 - Value,E-mail 1 - Type,E-mail 1 - Value,Organization 1 - Name
Ольга Кузнецова,Ольга,,Кузнецова,--05-17,Mobile,+7 916 111-11-11 ::: +7 495 222-22-22,* Home,olga@example.com ::: o.k@work.example,
CSV
check_contains "Google Contacts CSV" "imported 1 row" "$(k solo import "$T/google.csv" --type contact 2>/dev/null)"
g=$(k solo list contact --where last_name=Кузнецова --json)
check_eq "... ' ::: ' spread over the phones and e-mails, --05-17 kept without a year" \
  "+7 916 111-11-11|+7 495 222-22-22|o.k@work.example|--05-17" \
  "$(echo "$g" | json '"|".join([d[0]["phone_mobile"], d[0]["phone_work"], d[0]["email2"], d[0]["birthday"]])')"

# ---- bad input: named by its line, nothing imported ----------------------------------------------
n0=$(n_of solo org)
head -c 3000 /dev/urandom > "$T/garbage.bin"; printf '\0\0' >> "$T/garbage.bin"
check_fails "binary garbage is refused" "binary data|not UTF-8|UTF-16|line [0-9]+" k solo import "$T/garbage.bin" --type org
head -c -1 "$T/unicode.txt" > "$T/trunc.txt"
check_fails "a truncated UTF-16 file: named by its line" "line 2: the file ends in the middle of a character" k solo import "$T/trunc.txt" --type org
printf 'name,comment\nA,ok\nB,"opens here\nC,x\n' > "$T/quote.csv"
check_fails "an unclosed quote: the line where it opens" "line 3: a quoted value opens here and is never closed" k solo import "$T/quote.csv" --type org
printf 'name,city\nA,X\nB,Y,Z\n' > "$T/cols.csv"
check_fails "too many columns: its line" "line 3: 3 values but the header names 2 columns" k solo import "$T/cols.csv" --type org
printf 'Название,Наименование\nA,B\n' > "$T/two.csv"
check_fails "two columns mapped to one field" "columns 1 \('Название'\) and 2 \('Наименование'\) both map to the field name" k solo import "$T/two.csv" --type org
printf 'Фамилия;Дата рождения\nИванов;01.01.1990\nПетров;1990/13/45\n' > "$T/date.csv"
check_fails "a date in no known format: line and column" "line 3, column 2 \(Дата рождения\): birthday" k solo import "$T/date.csv" --type contact
printf 'name\n\xcd\xe0\xe7\n' | { printf '\xef\xbb\xbf'; cat; } > "$T/lie.csv"
check_fails "a file that claims UTF-8 (BOM) and is not" "line 2: bytes that are not UTF-8" k solo import "$T/lie.csv" --type org
check_eq "... after all of them nothing was imported" "$n0" "$(n_of solo org)"
check_eq "... nor a contact" "3" "$(n_of solo contact)"

printf 'name,employees\nGood1,1\nBad,many\nGood2,2\n' > "$T/some.csv"
out=$(k solo import "$T/some.csv" --type org --dry-run 2>&1)
check_contains "dry run names every problem" "line 3, column 2 (employees)" "$out"
check_eq "... and imports nothing" "$n0" "$(n_of solo org)"
out=$(k solo import "$T/some.csv" --type org --skip-bad-rows 2>&1)
check_contains "--skip-bad-rows imports the good rows" "imported 2 rows" "$out"
check_contains "... and reports every skipped line" "line 3, column 2 (employees): employees: not a number" "$out"

# ---- duplicates: skip, update, create; --create-missing --------------------------------------------
printf 'name,phone,city,comment\nРомашка 2,8 (495) 111 22 33,Тула,update me\nНовая,+7 812 000-00-09,Омск,\n' > "$T/dup.csv"
out=$(k solo import "$T/dup.csv" --type org 2>&1)
check_contains "a row with an existing client's phone is skipped (default)" "line 2 skipped: a client with this phone (8 (495) 111 22 33) already exists" "$out"
check_contains "... the new one imported" "imported 1 row" "$out"
printf 'name,phone,comment\n"ООО ""Ромашка""",+7 495 111 22 33,обновлено\n' > "$T/upd.csv"
check_contains "--on-duplicate update edits the existing card" "1 updated" "$(k solo import "$T/upd.csv" --type org --on-duplicate update)"
check_eq "... with the row's values, keeping the others" "ООО \"Ромашка\"|обновлено|Москва" \
  "$(k solo list org --where 'name=ООО "Ромашка"' --json | json '"|".join([d[0]["name"], d[0]["comment"], d[0]["city"]])')"
check_eq "... no second card" "1" "$(k solo list org --where 'name=ООО "Ромашка"' --json | json 'len(d)')"
# the update's note counts the fields changed in the user's language (ngettext plural forms)
printf 'name,phone,comment\n"ООО ""Ромашка""",+7 495 111 22 33,zmiana\n' > "$T/upd-pl.csv"
check_contains "the update note in Polish: 1 pole" "zgodność (telefon) z ООО \"Ромашка\": zmieniono 1 pole" \
  "$(LANG=pl_PL.UTF-8 k solo import "$T/upd-pl.csv" --type org --on-duplicate update 2>&1)"
printf 'name,phone,comment,city\n"ООО ""Ромашка""",+7 495 111 22 33,снова,Тверь\n' > "$T/upd-ru.csv"
check_contains "... in Russian: 2 поля" "совпадение (телефон) с ООО \"Ромашка\": изменено 2 поля" \
  "$(LANG=ru_RU.UTF-8 k solo import "$T/upd-ru.csv" --type org --on-duplicate update 2>&1)"
printf 'name,phone,comment,city\n"ООО ""Ромашка""",+7 495 111 22 33,обновлено,Москва\n' > "$T/upd-en.csv"
check_contains "... in English: 2 fields" "same phone as ООО \"Ромашка\": 2 fields changed" \
  "$(k solo import "$T/upd-en.csv" --type org --on-duplicate update 2>&1)"
printf 'name,phone\nРомашка-клон,+7 495 111 22 33\n' > "$T/clone.csv"
check_contains "--on-duplicate create adds it anyway" "imported 1 row" "$(k solo import "$T/clone.csv" --type org --on-duplicate create)"
printf 'Фамилия;Организация\nОрлов;ООО Новая Фирма\nСоколов;ооо новая фирма\n' > "$T/miss.csv"
check_fails "a contact of an organization that does not exist: named, --create-missing offered" "line 2, column 2 \(Организация\): org: no organization named 'ООО Новая Фирма'.*--create-missing" k solo import "$T/miss.csv" --type contact
out=$(k solo import "$T/miss.csv" --type contact --create-missing 2>&1)
check_contains "--create-missing creates it once for both rows" "imported 2 rows; 1 referenced card created" "$out"

# ---- round trip ours -> CSV -> import, and LibreOffice reads our CSV -------------------------------
check "export csv" k solo export csv "$T/rt.csv" --type contact
k back init --local >/dev/null
k solo export csv "$T/rto.csv" --type org >/dev/null
check_contains "the organizations read back" "imported" "$(k back import "$T/rto.csv" --type org --force 2>&1)"
check_contains "the contacts read back" "imported" "$(k back import "$T/rt.csv" --type contact --force 2>&1)"
strip='import json,sys; print(sorted(json.dumps({k:v for k,v in r.items() if k not in ("id","created","updated","org","owner")}, ensure_ascii=False, sort_keys=True) for r in json.load(sys.stdin)))'
check_eq "ours -> CSV -> import loses nothing (contacts)" "$(k solo list contact --json | /usr/bin/python3 -c "$strip")" "$(k back list contact --json | /usr/bin/python3 -c "$strip")"
check_eq "... (organizations)" "$(k solo list org --json | /usr/bin/python3 -c "$strip")" "$(k back list org --json | /usr/bin/python3 -c "$strip")"
if command -v soffice >/dev/null; then
  prof=$(mktemp -d)
  (cd "$T" && timeout 120 soffice -env:UserInstallation=file://$prof --headless --infilter='CSV:59,34,76,1' \
     --convert-to 'csv:Text - txt - csv (StarCalc):44,34,76,1' --outdir "$T/lo" "$T/rto.csv" >/dev/null 2>&1)
  rm -rf "$prof"
  if [ -f "$T/lo/rto.csv" ]; then
    check_contains "LibreOffice reads our CSV: the name with quotes" '"ООО ""Ромашка"""' "$(cat "$T/lo/rto.csv")"
    check_contains "... and the turnover as a number" "1250000.5" "$(cat "$T/lo/rto.csv")"
  else
    fail "LibreOffice did not convert our CSV"
  fi
else
  echo "SKIP: LibreOffice not installed (libreoffice-calc-nogui)"
fi

# ---- with a server: duplicates, merge, sync, rights -------------------------------------------------
office head:head_of_sales anna:manager boris:assistant
k head sync >/dev/null
O1=$(k head add org --set name="Берёза" --set city=Тула --set phone="+7 4872 11-22-33")
O2=$(k head add org --set name="БЕРЕЗА" --set city="тула" --force)
C2=$(k head add contact --set last_name=Дубов --set org="$O2")
E2=$(k head add event --set title=Звонок --set start=2026-12-10T10:00 --set org="$O2")
TK=$(k head add task --set title="Счёт" --set org="$O2")
DL=$(k head add deal --set amount=500 --set org="$O2")
NT=$(k head add note --set text="важно" --set org="$O2")
d=$(k head duplicates --json)
check_eq "duplicates: the two cards, same name in the same city" "60 2" "$(echo "$d" | json 'str(d[0]["score"]) + " " + str(len(d[0]["cards"]))')"
check_contains "... with the reason" "same name and city" "$(k head duplicates)"
check "merge" k head merge "$O1" "$O2"
for x in "$C2" "$E2" "$TK" "$DL" "$NT"; do
  check_eq "merge moved $(k head show "$x" --json | json 'd["kind"]') to KEEP" "$O1" "$(k head show "$x" --json | json 'd["org"]')"
done
check_contains "OTHER is in the trash" "$O2" "$(k head list org --trash --json)"
check "the merge syncs" k head sync
enroll "$D" head "$T/head2" && k head2 sync >/dev/null
check_eq "a second PC of the user sees the merge: the deal on KEEP" "$O1" "$(k head2 show "$DL" --json | json 'd["org"]')"
check_not_contains "... and OTHER not among its live cards" "$O2" "$(k head2 list org --json)"
check_eq "the master has the moved contact" "$O1" "$(sqlite3 "$D/master.db" "SELECT org FROM t_contact WHERE id = '$C2'")"
A1=$(k anna add org --set name="Анин клиент" --set city=Омск)
A2=$(k anna add org --set name="АНИН КЛИЕНТ" --set city=Омск --force)
k anna sync >/dev/null; k head sync >/dev/null
# the head of sales reassigns one to himself; anna may not merge a card that is not hers
k head edit "$A2" --set owner=head >/dev/null && k head sync >/dev/null && k anna sync >/dev/null
check_fails "merge without the rights on OTHER is refused" "may not|not yours|right|cannot|no card" k anna merge "$A1" "$A2"
echo "# anna was told: $(head -c 300 "$T/.err")"
k boris sync >/dev/null
check_fails "an assistant (sees all, edits none) may not merge" "may not" k boris merge "$A1" "$A2"
echo "# boris was told: $(head -c 300 "$T/.err")"
check_eq "... nothing changed" "" "$(k boris list org --trash --json | grep -o "$A2")"
check_eq "... nothing changed: A1 is live" "False" "$(k anna show "$A1" --json | json 'd["deleted"]')"
check "server alive" kill -0 "$SRV_PID"
stop_server "$D"
finish
