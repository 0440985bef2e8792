#!/usr/bin/env bash
# The CLI's languages (issue 15): `kartoteka` speaks the PC's locale like the
# desktop app (the same catalogues, found the same way: kt_i18n) — its help,
# its errors and notes in Russian, Polish or English — while what programs
# read stays the same whatever the locale: --json output is byte-identical,
# and so are ids, command and option names.
source "$(dirname "$0")/../lib/integ.sh"
have_locale() { locale -a 2>/dev/null | grep -qiE "^${1}\.utf-?8$"; }
for l in ru_RU pl_PL; do
  if ! have_locale "$l"; then
    echo "PASS: skipped: no $l.UTF-8 locale here (installer/deps.sh generates it as root)"; finish; fi
done
if ! ls "$KT_BUILD_DIR"/share/locale/ru/LC_MESSAGES/kartoteka.mo >/dev/null 2>&1; then
  echo "PASS: skipped: no catalogues built (no msgfmt here)"; finish; fi
P=$T/prof
# lang LANG CMD...: CMD in LANG (LC_ALL and LANGUAGE unset, as on an office PC)
lang() { local L=$1; shift; env -u LC_ALL -u LANGUAGE LANG="$L" "$KT" "$@"; }

# help, the list of commands and one command's
ru=$(lang ru_RU.UTF-8 help); pl=$(lang pl_PL.UTF-8 help); en=$(lang C.UTF-8 help)
check_contains "[ru] help is Russian" "Картотека — картотека клиентов офиса." "$ru"
check_contains "[ru] ... a command's summary too" "переместить карточку в корзину" "$ru"
check_contains "[pl] help is Polish" "Kartoteka — kartoteka klientów biura." "$pl"
check_contains "[pl] ... a command's summary too" "przenieś kartę do kosza" "$pl"
check_contains "[en] help is English" "Kartoteka — the office card index." "$en"
check_contains "[en] ... a command's summary too" "move a card to the trash" "$en"
check_eq "the command names are the same in every language" \
  "$(sed -n 's/^  \([a-z]*\) .*/\1/p' <<<"$en")" "$(sed -n 's/^  \([a-z]*\) .*/\1/p' <<<"$ru")"
check_eq "... in Polish too" \
  "$(sed -n 's/^  \([a-z]*\) .*/\1/p' <<<"$en")" "$(sed -n 's/^  \([a-z]*\) .*/\1/p' <<<"$pl")"
# init, connect, login and demo say what they do in the locale's language too
check_contains "[ru] help: init's summary" "создать отдельную картотеку" "$ru"
check_contains "[ru] help: connect's summary" "подключиться к серверу офиса по приглашению администратора" "$ru"
check_contains "[ru] help: login's summary" "снова войти со своим паролем" "$ru"
check_contains "[pl] help: connect's summary" "dołącz do serwera biura z zaproszeniem od administratora" "$pl"
check_contains "[ru] help init: an option's help" "отдельная картотека на этом компьютере" "$(lang ru_RU.UTF-8 help init)"
out=$(lang ru_RU.UTF-8 help list)
check_contains "[ru] help list: the usage line" "использование: kartoteka list" "$out"
check_contains "[ru] ... the options heading" "параметры:" "$out"
check_contains "[ru] ... an option's help" "--limit N" "$out"
check_contains "[ru] ... translated" "не больше N карточек" "$out"
check_contains "[pl] help list: an option's help" "najwyżej N kart" "$(lang pl_PL.UTF-8 list --help)"
check_contains "[en] help list: an option's help" "at most N cards" "$(lang en_US.UTF-8 help list)"
# en_US has no catalogue: English, the msgids
check_eq "en_US.UTF-8 is the C locale's English" "$(lang C.UTF-8 help admin)" "$(lang en_US.UTF-8 help admin)"
check_eq "LANG=C (not UTF-8) is English too" "$en" "$(lang C help)"

# an error: no profile (nothing is created)
err() { lang "$1" --profile "$P" show nosuchid 2>&1 >/dev/null; }
check_contains "[ru] an error is Russian" "нет профиля" "$(err ru_RU.UTF-8)"
check_contains "[pl] an error is Polish" "brak profilu" "$(err pl_PL.UTF-8)"
check_contains "[en] an error is English" "no profile in $P" "$(err C.UTF-8)"
check_eq "... and none made a profile" "no" "$([ -e "$P" ] && echo yes || echo no)"
# a usage error keeps its exit status and names the option as typed
e=$(lang ru_RU.UTF-8 --profile "$P" list org --limt 5 2>&1); rc=$?
check_eq "[ru] a usage error still exits 2" 2 "$rc"
check_contains "[ru] ... in Russian, the option as typed" "неизвестный параметр '--limt' для list; может быть, '--limit'?" "$e"
check_contains "[pl] a usage error in Polish" "nieznana opcja '--limt' dla list; czy chodziło o '--limit'?" \
  "$(lang pl_PL.UTF-8 --profile "$P" list org --limt 5 2>&1)"

# a card index, for the output of commands that work
check "init --local" lang C.UTF-8 --profile "$P" init --local --user anna
ORG=$(lang ru_RU.UTF-8 --profile "$P" add org --set name="ООО Ромашка" --set city=Москва --set stage=0.7)
check_eq "[ru] add still prints just the id" 36 "${#ORG}"
lang C.UTF-8 --profile "$P" add deal --set date=2026-11-20 --set amount="12 500,50" --set org="$ORG" \
  --set state=invoice >/dev/null
lang C.UTF-8 --profile "$P" add contact --set last_name=Żółkiewska --set org="$ORG" >/dev/null
check_contains "[ru] a confirmation in Russian" "изменено полей: 1" \
  "$(lang ru_RU.UTF-8 --profile "$P" edit "$ORG" --set city=Тверь)"
check_contains "[pl] a confirmation in Polish" "zmieniono pól: 1" \
  "$(lang pl_PL.UTF-8 --profile "$P" edit "$ORG" --set city=Москва)"
check_contains "[ru] a note in Russian" "(ничего не найдено)" \
  "$(lang ru_RU.UTF-8 --profile "$P" list task 2>&1)"
check_contains "[ru] table headings in Russian" "Подпись" "$(lang ru_RU.UTF-8 --profile "$P" field list org)"
check_contains "[pl] table headings in Polish" "Etykieta" "$(lang pl_PL.UTF-8 --profile "$P" field list org)"
check_contains "[ru] a card's sales figures in Russian" "Покупок" "$(lang ru_RU.UTF-8 --profile "$P" show "$ORG")"

# the library's messages (a value's check, a store's refusal) speak the same language
bad() { lang "$1" --profile "$P" add org --set name=X --set phone=abc 2>&1 >/dev/null; }
check_contains "[ru] an invalid phone is said in Russian" "phone: 'abc' — не номер телефона" "$(bad ru_RU.UTF-8)"
check_contains "[pl] an invalid phone is said in Polish" "phone: 'abc' to nie jest numer telefonu" "$(bad pl_PL.UTF-8)"
check_contains "[en] an invalid phone is said in English" "phone: 'abc' is not a phone number" "$(bad C.UTF-8)"
check_eq "... and nothing was added" "0" "$(lang C.UTF-8 --profile "$P" list org --json | grep -c '"name":"X"')"
check_contains "[ru] a bad date too" "неверная дата '2026-02-30'" \
  "$(lang ru_RU.UTF-8 --profile "$P" add deal --set date=2026-02-30 --set amount=1 --set org="$ORG" 2>&1)"
check_contains "[pl] a required field, with the card's noun" "firma: trzeba wypełnić pole name" \
  "$(lang pl_PL.UTF-8 --profile "$P" add org --set city=Łódź 2>&1)"
check_contains "[en] ... in English as before" "an organization needs name: add --set name=VALUE" \
  "$(lang C.UTF-8 --profile "$P" add org --set city=Łódź 2>&1)"

# an event's title names its type by the translated label, never the code (call)
lang C.UTF-8 --profile "$P" add event --set type=call --set title=Ромашка \
  --set start="$(date +%Y-%m-%d)T23:59" >/dev/null
check_contains "[ru] an event's title: the type's label" "звонок Ромашка" "$(lang ru_RU.UTF-8 --profile "$P" list event)"
check_contains "[pl] ... in Polish" "telefon Ромашка" "$(lang pl_PL.UTF-8 --profile "$P" list event)"
check_contains "[ru] today: the label, not the code" "звонок: Ромашка" "$(lang ru_RU.UTF-8 --profile "$P" today)"
check_contains "[en] today: in English" "Call: Ромашка" "$(lang C.UTF-8 --profile "$P" today)"
# a built-in choice's English label is a word (Call), the stored code stays call
en=$(lang C.UTF-8 --profile "$P" list event)
check_contains "[en] the list shows the type's label" "Call Ромашка" "$en"
check_not_contains "[en] ... never the bare code" "call Ромашка" "$en"
check_contains "... and the stored value is the code" '"type":"call"' "$(lang C.UTF-8 --profile "$P" list event --json)"
check_contains "... --where type=call still finds it" "Ромашка" \
  "$(lang C.UTF-8 --profile "$P" list event --where type=call)"
# an import's choice column: the code, the English label or the Russian one, all stored as the code
printf 'type;title;start\nCall;Имп1;2026-12-01T10:00\ncall;Имп2;2026-12-01T11:00\nзвонок;Имп3;2026-12-01T12:00\nВстреча;Имп4;2026-12-01T13:00\n' \
  > "$T/types.csv"
check_contains "[ru] an import maps Call, call and звонок to the code" "импортировано 4 строки" \
  "$(lang ru_RU.UTF-8 --profile "$P" import "$T/types.csv" --type event 2>&1)"
imp=$(lang C.UTF-8 --profile "$P" list event --json)
check_eq "... all three stored as call" "3" "$(echo "$imp" | grep -o '"type":"call","title":"Имп[123]"' | wc -l)"
check_contains "... and Встреча as meeting" '"type":"meeting","title":"Имп4"' "$imp"

# the library's messages: a choice list's check, an import row's note
check_contains "[ru] a choice list refused in Russian" "event.result: код a указан дважды" \
  "$(lang ru_RU.UTF-8 --profile "$P" field choices event result --choices a,a 2>&1)"
check_contains "[pl] ... in Polish" "event.result: kod a podano dwa razy" \
  "$(lang pl_PL.UTF-8 --profile "$P" field choices event result --choices a,a 2>&1)"
printf 'name;city\nА;Б;В;Г\n' > "$T/bad.csv"
check_contains "[ru] an import row's note in Russian" "строка 2: значений: 4, а в заголовке столбцов: 2" \
  "$(lang ru_RU.UTF-8 --profile "$P" import "$T/bad.csv" --type org 2>&1)"
check_contains "[en] ... in English" "line 2: 4 values but the header names 2 columns" \
  "$(lang C.UTF-8 --profile "$P" import "$T/bad.csv" --type org 2>&1)"

# what programs read: --json is byte-identical in every language (numbers too)
same=""
for args in "show $ORG" "list org" "list deal" "list event" "agenda" "search Ромашка" "field list org" "section list" \
  "status" "check" "history $ORG" "today" "report abc" "edit $ORG --set city=Москва"; do
  # shellcheck disable=SC2086 # the words of the command
  c=$(lang C.UTF-8 --profile "$P" $args --json 2>/dev/null)
  # shellcheck disable=SC2086
  r=$(lang ru_RU.UTF-8 --profile "$P" $args --json 2>/dev/null)
  # shellcheck disable=SC2086
  p=$(lang pl_PL.UTF-8 --profile "$P" $args --json 2>/dev/null)
  { [ -n "$c" ] && [ "$c" == "$r" ] && [ "$c" == "$p" ]; } || same+="[$args] "
done
check_eq "--json is the same under C, ru_RU and pl_PL" "" "$same"
check_contains "... numbers stay as programs read them" '"stage":"0.7"' "$(lang ru_RU.UTF-8 --profile "$P" show "$ORG" --json)"
check_contains "... amounts too" '12500.50' "$(lang pl_PL.UTF-8 --profile "$P" list deal --json)"
# the line a script reads after a change is the same
lang C.UTF-8 --profile "$P" delete "$ORG" >/dev/null
c=$(lang C.UTF-8 --profile "$P" restore "$ORG" --json)
lang C.UTF-8 --profile "$P" delete "$ORG" >/dev/null
check_eq "[pl] restore --json is the same" "$c" "$(lang pl_PL.UTF-8 --profile "$P" restore "$ORG" --json)"
# a CSV export for Excel is the same file whatever the locale
lang C.UTF-8 --profile "$P" export csv "$T/c.csv" --type org >/dev/null 2>&1
lang ru_RU.UTF-8 --profile "$P" export csv "$T/r.csv" --type org >/dev/null 2>&1
check "the CSV export is the same under ru_RU" cmp "$T/c.csv" "$T/r.csv"
finish
