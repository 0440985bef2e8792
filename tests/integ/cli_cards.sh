#!/usr/bin/env bash
# The card index from the command line, with Russian and Polish data: init,
# add/edit/show/list/search, trash, custom fields, labels, sections, groups,
# and the bad inputs (clear message, non-zero exit, nothing written).
source "$(dirname "$0")/../lib/integ.sh"
P=$T/prof
k() { "$KT" --profile "$P" "$@"; }

check_fails "missing profile is explained" "init --local" k list org
check "init --local" k init --local --user ivanov
check_fails "second init refused" "already exists" k init --local

ORG=$(k add org --set name="ООО Ромашка" --set city=Москва --set phone="+7 (495) 123-45-67" --set email=Info@Romashka.RU --set stage=0.7 --set temperature=warm)
check_eq "add prints an id" 36 "${#ORG}"
"$KT" --profile "$T/solo" init --local --user petrov >/dev/null
"$KT" --profile "$T/solo" add org --set name="ООО Берёзка" --set city=Тверь >/dev/null 2>"$T/add.err"
check_eq "a standalone card index adds a client without a note about a server" "" "$(cat "$T/add.err")"
PL=$(k add org --set name="Łódź Meble Sp. z o.o." --set city="Łódź" --set phone="+48 42 630 12 34" --set country=Polska)
C1=$(k add contact --set last_name=Иванова --set first_name=Мария --set middle_name=Петровна --set org="$ORG" --set phone_mobile="8 916 555-12-34" --set birthday=1985-03-08 --set position="Главный бухгалтер")
C2=$(k add contact --set last_name=Żółkiewska --set first_name=Agnieszka --set org="Łódź Meble Sp. z o.o." --set email=a.zolkiewska@meble.pl)
check_eq "ref by name resolves" "$PL" "$(k show "$C2" --json | json 'd["org"]')"
E1=$(k add event --set type=call --set title="Позвонить насчёт счёта" --set start="2026-12-01T10:00" --set org="$ORG" --set contact="$C1" --set duration=30m)
D1=$(k add deal --set date=2026-11-20 --set amount="12 500,50" --set org="$ORG" --set state=invoice)
N1=$(k add note --set text="Просили прайс на 2027 год" --set org="$ORG")
T1=$(k add task --set title="Отправить КП" --set due=2026-11-25T18:00 --set org="$ORG" --set priority=high)

out=$(k show "$ORG")
check_contains "show has name" "ООО Ромашка" "$out"
check_contains "show lists related contact" "Иванова Мария Петровна" "$out"
check_contains "show lists related event" "Позвонить насчёт счёта" "$out"
check_contains "show lists related deal" "12500.50" "$out"
check_contains "show lists related note" "$N1" "$out"
check_contains "show lists related task" "Отправить КП" "$out"
check_contains "a contact shows its organization by name" "Organization         ООО Ромашка" "$(k show "$C1")"
check_contains "... and so does a list column" "Łódź Meble Sp. z o.o." "$(k list contact --fields org | grep Żółkiewska)"
check_contains "... while --json keeps the id" "\"org\":\"$ORG\"" "$(k list contact --json | grep Иванова)"
js=$(k show "$ORG" --json)
check_eq "show --json related count" 5 "$(echo "$js" | json 'len(d["related"])')"
check_eq "email normalised" "info@romashka.ru" "$(echo "$js" | json 'd["email"]')"
check_eq "owner defaults to the user" "ivanov" "$(echo "$js" | json 'd["owner"]')"
check_eq "money as decimal string" "12500.50" "$(k show "$D1" --json | json 'd["amount"]')"
check_eq "duration in minutes" "30" "$(k show "$E1" --json | json 'd["duration"]')"

# search: Cyrillic prefix, case, Polish diacritics, phone fragments
check_contains "search ромаш finds ООО Ромашка" "$ORG" "$(k search ромаш)"
check_contains "search РОМАШКА (case)" "$ORG" "$(k search РОМАШКА)"
check_contains "search lodz finds Łódź" "$PL" "$(k search lodz)"
check_contains "search zolk finds Żółkiewska" "$C2" "$(k search zolk)"
check_contains "search phone fragment 555-12" "$C1" "$(k search 555-12)"
check_contains "search phone fragment 4951234" "$ORG" "$(k search 4951234)"
check_contains "search middle fragment 3012" "$PL" "$(k search '630 12')"
check_eq "search --type restricts" "[]" "$(k search ромаш --type contact --json | tr -d ' \n')"
check_eq "search --json is an array" "list" "$(k search мар --json | json 'type(d).__name__')"
check_contains "search two words" "$C1" "$(k search 'иван мар')"
check_contains "search ё equals е" "$E1" "$(k search счета)"

# list: where, sort by collation
k add org --set name="Альфа" --set city=Казань >/dev/null
k add org --set name="Яблоко" --set city=Москва >/dev/null
k add org --set name="Ёлка" --set city=Москва >/dev/null
names=$(LANG=ru_RU.UTF-8 k list org --where city=москва --json | json '",".join(o["name"] for o in d)')
check_eq "list --where city (case-insensitive) sorted by ru collation" "Ёлка,ООО Ромашка,Яблоко" "$names"
sorted=$(k list org --sort name --json | json '",".join(o["name"] for o in d)')
check_eq "list --sort name by collation" "Łódź Meble Sp. z o.o.,Альфа,Ёлка,ООО Ромашка,Яблоко" "$sorted"
check_eq "list --where name~ contains" "1" "$(k list org --where 'name~ромаш' --json | json 'len(d)')"
check_eq "list --where stage" "1" "$(k list org --where stage=0.7 --json | json 'len(d)')"
check_eq "list --where date range" "1" "$(k list deal --where 'date>2026-11-01' --json | json 'len(d)')"

# edit
check "edit" k edit "$ORG" --set city=Санкт-Петербург --set employees=42
check_eq "edit took" "Санкт-Петербург" "$(k show "$ORG" --json | json 'd["city"]')"
check_contains "search finds the new city" "$ORG" "$(k search петербург)"
check_not_contains "search forgets the old city" "$ORG" "$(k search москва --type org)"
check_eq "edit with no change" "nothing changed" "$(k edit "$ORG" --set city=Санкт-Петербург)"

# trash
check "delete to trash" k delete "$C1"
check_not_contains "trashed card not listed" "$C1" "$(k list contact)"
check_contains "list --trash shows it" "$C1" "$(k list contact --trash)"
check_not_contains "trashed card not found by search" "$C1" "$(k search Иванова)"
check_fails "delete twice" "already in the trash" k delete "$C1"
check "restore" k restore "$C1"
check_contains "restored card listed" "$C1" "$(k list contact)"

# custom fields, labels, sections, groups
check "field add" k field add org --name inn_kpp --label "ИНН/КПП" --type text
check "custom field set" k edit "$ORG" --set inn_kpp="7701234567/770101001"
check_eq "custom field shown" "7701234567/770101001" "$(k show "$ORG" --json | json 'd["inn_kpp"]')"
check_contains "custom field searchable" "$ORG" "$(k search 7701234567)"
check "custom choice field" k field add contact --name source --label Источник --type choice --choices "сайт,выставка,звонок"
check_fails "custom choice validated" "not one of" k edit "$C1" --set source=реклама
check "custom choice value" k edit "$C1" --set source=Выставка
check_eq "choice canonical spelling" "выставка" "$(k show "$C1" --json | json 'd["source"]')"
check_eq "custom field in list --where" "1" "$(k list contact --where source=выставка --json | json 'len(d)')"
check "label rename" k field label org name --label "Название"
check_contains "renamed label shown" "Название" "$(k show "$ORG")"
check "event results configurable" k field choices event result --choices "reached=дозвонились,no_answer=не дозвонились,call_back=перезвонить"
check "event result from the new list" k edit "$E1" --set result=перезвонить
check_eq "...stored as its code" "call_back" "$(k show "$E1" --json | json 'd["result"]')"
check_fails "old result value rejected" "not one of" k edit "$E1" --set result=order
check "section rename" k section rename org --label Клиенты
check "section hide" k section hide note
out=$(k section list)
check_contains "section renamed" "Клиенты" "$out"
check_contains "section hidden" "hidden" "$out"
check_fails "custom field name clash" "already has a field" k field add org --name city --type text
check_fails "custom field bad type" "bad field type" k field add org --name x1 --type blob
check_fails "custom field bad name" "bad field name" k field add org --name "Bad Name" --type text
G1=$(k group add Продажи)
G2=$(k group add "Продажи Москва" --parent Продажи)
check_contains "group tree" "  Продажи Москва" "$(k group list)"
check_fails "a group that does not exist is refused, naming the groups" \
  "grp: there is no group 'Nonexistent'; the groups are: Продажи, Продажи Москва" k add org --set name=Z --set grp=Nonexistent
check_fails "... by edit too" "there is no group 'Маркетинг'" k edit "$ORG" --set grp=Маркетинг
check_fails "... and as a parent" "parent: there is no group 'Склад'" k group add "Склад Москва" --parent Склад
check_eq "... nothing was added" "0" "$(k list org --where name=Z --json | json 'len(d)')"
check "a group in another case is the group" k edit "$ORG" --set grp="продажи москва"
check_eq "... written as the group's own name" "Продажи Москва" "$(k show "$ORG" --json | json 'd["grp"]')"
k edit "$ORG" --set grp="Продажи Москва" >/dev/null
check_eq "where grp includes subgroups" "1" "$(k list org --where grp=Продажи --json | json 'len(d)')"

# status / outbox
check_contains "status shows unsent changes" "unsent" "$(k status)"
check_eq "every edit is in the outbox" "true" "$(k status --json | json 'str(d["pending"] >= 10).lower()')"

# bad input: clear message, non-zero exit, nothing written
before=$(k list org --json | json 'len(d)')
check_fails "unknown type lists valid ones" "valid types: org contact" k add company --set name=X
check_fails "unknown field lists valid ones" "valid fields:.*legal_name" k add org --set name=X --set nmae=Y
check_fails "bad date" "bad date" k add contact --set last_name=X --set birthday=2026-02-30
check_fails "wrong type number" "not a number|employees" k add org --set name=X --set employees=many
check_fails "bad money" "amount" k add deal --set date=2026-01-01 --set amount=12abc
check_fails "bad choice" "not one of" k add org --set name=X --set temperature=lukewarm
check_fails "bad email" "e-?mail|@" k add org --set name=X --set email=not-an-email
check_fails "bad phone" "phone" k add org --set name=X --set phone=call-me
check_fails "bad ref" "no org" k add contact --set last_name=X --set org=00000000-0000-7000-8000-000000000000
check_fails "missing required" "needs name" k add org --set city=Тверь
check_fails "unknown id" "no card with id .* in this card index" k show 01234567-89ab-7def-8123-456789abcdef
check_fails "not an id" "not a card id" k edit nonsense --set name=Y
check_fails "system field refused" "set by the program" k edit "$ORG" --set created=2020-01-01
check_fails "bad rrule" "repeat rule" k add event --set start=2026-12-01T10:00 --set title=X --set rrule=FREQ=SOMETIMES
check_fails "unknown command" "unknown command" k frobnicate
check_eq "nothing written by bad input" "$before" "$(k list org --json | json 'len(d)')"

# CSV import: Excel's ; and BOM, quotes with newlines, cp1251, all rows or none
printf '\xEF\xBB\xBFname;city;phone;comment\r\nООО "Лютик";Казань;+7 843 111-22-33;"две\r\nстроки; с ;"\r\nИП Петров;Тверь;;\r\n' > "$T/a.csv"
check "import csv (; BOM CRLF quotes)" k import csv "$T/a.csv" --type org
check_contains "imported card searchable" "Лютик" "$(k search лютик --json)"
check_eq "quoted newline and separator kept" "две
строки; с ;" "$(k list org --where 'name=ООО "Лютик"' --json | json 'd[0]["comment"]')"
n_before=$(k list org --json | json 'len(d)')
printf 'name,employees\nX1,10\nX2,many\n' > "$T/bad.csv"
check_fails "a bad row: clear error with its line and column" "line 3, column 2 \\(employees\\): employees: not a number" k import csv "$T/bad.csv" --type org
check_eq "...and nothing imported" "$n_before" "$(k list org --json | json 'len(d)')"
printf 'Название;Город\nООО Ирис;Омск\n' | iconv -f utf-8 -t cp1251 > "$T/cp.csv"
check_fails "cp1251 read as UTF-8 is explained" "encoding cp1251" k import csv "$T/cp.csv" --type org --encoding utf-8
check "cp1251 with --encoding and --map" k import csv "$T/cp.csv" --type org --encoding cp1251 --map Название=name --map Город=city
check_contains "cp1251 text arrived as UTF-8" "ООО Ирис" "$(k search ирис)"
check_fails "an unknown column with --strict is refused" "1 column matches no field of contact: 'employees'" k import csv "$T/bad.csv" --type contact --strict
check_contains "dry run validates only" "dry run" "$(printf 'name\nY\n' > "$T/y.csv"; k import csv "$T/y.csv" --type org --dry-run)"

# locked and corrupt database
/usr/bin/python3 - "$P/replica.db" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
time.sleep(4)
c.execute("ROLLBACK")
PY
sleep 0.5
KARTOTEKA_BUSY_MS=500 check_fails "locked database" "locked" k add org --set name=Locked
wait
mkdir -p "$T/bad"; head -c 8192 /dev/urandom > "$T/bad/replica.db"
check_fails "corrupt database" "damaged" "$KT" --profile "$T/bad" list org
finish
