#!/usr/bin/env bash
# What people and scripts read from the CLI (issue 13, "rough edges"): human
# tables aligned by display width (Cyrillic, wide characters), --json on every
# listing command with the record type as `kind`, plain UTF-8 and proper
# escaping, the diary's tables, --help and "did you mean" for commands.
source "$(dirname "$0")/../lib/integ.sh"
P=$T/prof
k() { "$KT" --profile "$P" "$@"; }
# dcol TEXT NEEDLE...: the display column where each NEEDLE starts in its line of TEXT
# (wide characters count 2), one number per needle, space-separated
dcol() {
  /usr/bin/python3 - "$@" <<'PY'
import sys, unicodedata
text, needles = sys.argv[1], sys.argv[2:]
def width(s):
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
out = []
for n in needles:
    line = next((l for l in text.splitlines() if n in l), None)
    out.append(str(width(line[:line.index(n)])) if line is not None else "missing")
print(" ".join(out))
PY
}
# nodup: reads JSON on stdin; prints "ok" when no object anywhere repeats a key
nodup() {
  /usr/bin/python3 -c '
import json, sys
bad = []
def hook(pairs):
    keys = [k for k, _ in pairs]
    bad.extend(k for k in set(keys) if keys.count(k) > 1)
    return dict(pairs)
json.load(sys.stdin, object_pairs_hook=hook)
print("ok" if not bad else "repeated: " + ",".join(sorted(set(bad))))'
}
k init --local --user ivanov >/dev/null

# ---- display width -------------------------------------------------------------
k field add org --name inn --label "ИНН клиента" --type text >/dev/null
k field label org city --label Город >/dev/null
ORG=$(k add org --set name="ООО Ромашка" --set city=Москва --set phone="+7 495 123-45-67" --set inn=7701000001 2>/dev/null)
JP=$(k add org --set name="東京商事" --set city=Tokyo 2>/dev/null)
PL=$(k add org --set name="Łódź Meble" --set city=Kraków 2>/dev/null)
out=$(k show "$ORG")
check_eq "show: values after Cyrillic and Latin labels start in one column" "23 23 23 23" \
  "$(dcol "$out" ivanov Москва 7701000001 "+7 495")"
out=$(k list org --fields city)
check_eq "list: columns after Cyrillic, Polish and wide titles line up" "80 80 80" \
  "$(dcol "$out" Москва Tokyo Kraków)"

# ---- --json: the record type is `kind`, text is plain UTF-8 -------------------------
E1=$(k add event --set type=call --set title="Позвонить в Ромашку" --set org="$ORG" \
  --set start="$(date -d '-1 day' +%Y-%m-%dT10:00)" --set remind_before=15m)
js=$(k show "$E1" --json)
check_eq "an event's JSON has no repeated key" ok "$(nodup <<<"$js")"
check_eq "... the record type is kind" event "$(json 'd["kind"]' <<<"$js")"
check_eq "... and type is the event's own field" call "$(json 'd["type"]' <<<"$js")"
js=$(k show "$ORG" --json)
check_eq "show --json: related cards carry kind" "event" "$(json '",".join(r["kind"] for r in d["related"])' <<<"$js")"
check_contains "... Cyrillic is written as UTF-8" '"city":"Москва"' "$js"
check_not_contains "... never as \\u escapes" '\u' "$js"
check_eq "list --json: kind and no repeated key" "event ok" \
  "$(k list event --json | json 'd[0]["kind"]') $(k list event --json | nodup)"
check_eq "search --json: kind" "event,org" "$(k search ромаш --json | json '",".join(sorted(r["kind"] for r in d))')"
check_eq "agenda --json: kind" "event" \
  "$(k agenda --from "$(date -d '-2 day' +%F)" --json | json 'd[0]["kind"]')"
check_eq "add --json: id and kind" "note" "$(k add note --set text=x --json | json 'd["kind"]')"
check_eq "section list --json: kind" "org" "$(k section list --json | json 'd[0]["kind"]')"
for c in "group list" "field list org" "conflicts" "remind list" "today" "callbacks" "status"; do
  # shellcheck disable=SC2086
  check "$c --json is one JSON document" /usr/bin/python3 -c 'import json,sys; json.load(sys.stdin)' \
    < <(k $c --json)
done
Q=$T/"профиль \"1\""
"$KT" --profile "$Q" init --local --user ivanov >/dev/null
check_eq "status --json escapes the profile path" "$Q" "$("$KT" --profile "$Q" status --json | json 'd["profile"]')"
check_eq "init --json too" "$T/p2\"" "$("$KT" --profile "$T/p2\"" init --local --json | json 'd["profile"]')"

# ---- the diary: today's overdue calls, when reminders ring -----------------------------
out=$(k today)
check_contains "today lists yesterday's planned call that was not made" "$E1" "$out"
check_contains "... marked overdue" "[overdue]" "$(grep "$E1" <<<"$out")"
check_eq "... and in --json" "True" "$(k today --json | json '[o["overdue"] for o in d if o["id"]=="'"$E1"'"][0]')"
k done "$E1" --result reached >/dev/null
check_not_contains "a call that was made is no longer overdue" "$E1" "$(k today)"
E2=$(k add event --set type=meeting --set title="Встреча" --set start="$(date -d '+1 day' +%Y-%m-%dT10:00)" --set remind_before=30m)
E3=$(k add event --set type=call --set title="Старый звонок" --set start="$(date -d '-2 day' +%Y-%m-%dT10:00)" --set remind_before=15m)
out=$(k remind list)
check_contains "remind list has a header" "Rings" "$(head -1 <<<"$out")"
check_contains "... says when a reminder rings and that it waits" "$(date -d '+1 day' +%F) 09:30  waiting" "$(grep "$E2" <<<"$out")"
check_contains "... and that one in the past was missed" "$(date -d '-2 day' +%F) 09:45  missed" "$(grep "$E3" <<<"$out")"
k remind snooze "$E2" --for 10m >/dev/null
check "... a snoozed one rings at the snooze end" \
  grep -qE "^$(date -d '+10 min' '+%F %H:%M')(:[0-9]+)? +snoozed" <(k remind list | grep "$E2")

# ---- --help on every command, and the nearest command for a typo --------------------------
for c in $(k help | sed -n 's/^  \([a-z]*\) .*/\1/p'); do
  out=$(k "$c" --help 2>&1); rc=$?
  check_eq "kartoteka $c --help prints its usage" "0 usage: kartoteka $c" "$rc $(head -1 <<<"$out" | cut -d' ' -f1-3)"
done
for c in "admin user add" "field add" "remind list" "section rename" "group add"; do
  check_eq "kartoteka $c --help" "usage: kartoteka ${c%% *}" "$(k $c --help | head -1 | cut -d' ' -f1-3)"
done
cmds=$("$KTD" help | sed -n 's/^  \([a-z]*\) .*/\1/p')
check_eq "kartotekad help lists its commands" "init serve invite device backup restore check ca user role audit dump" "$(echo $cmds)"
for c in $cmds; do
  out=$("$KTD" "$c" --help 2>&1); rc=$?
  check_eq "kartotekad $c --help prints its usage" "0 usage: kartotekad $c" "$rc $(head -1 <<<"$out" | cut -d' ' -f1-3)"
done
check_eq "kartotekad user add --help" "usage: kartotekad user" "$("$KTD" user add --help | head -1 | cut -d' ' -f1-3)"
check_fails "a mistyped command suggests the nearest" "unknown command 'serach'; did you mean 'search'\?" k serach ромаш
check_eq "... exit status 2" 2 "$(k serach ромаш 2>/dev/null; echo $?)"
check_fails "... also for kartotekad" "unknown command 'serev'; did you mean 'serve'\?" "$KTD" serev --data "$T/x"
check_fails "... and nothing for a word far from any" "unknown command 'frobnicate'$" k frobnicate

# ---- with an office server: the conflict log as a table --------------------------------
source "$(dirname "$0")/../lib/server.sh"
D=$T/data
init_server "$D"
add_user "$D" anna manager; add_user "$D" vera head_of_sales
start_server "$D"
for u in boss anna vera; do enroll "$D" $u "$T/$u" || fail "enroll $u"; done
s() { "$KT" --profile "$T/$1" "${@:2}"; }
CO=$(s anna add org --set name="ООО Ромашка" --set city=Москва 2>/dev/null)
s anna sync >/dev/null; s vera sync >/dev/null
s anna edit "$CO" --set city=Казань >/dev/null; sleep 0.05; s vera edit "$CO" --set city=Тверь >/dev/null
s anna sync >/dev/null; s vera sync >/dev/null; s anna sync >/dev/null
out=$(s anna conflicts)
check_contains "conflicts prints a header" "When" "$(head -1 <<<"$out")"
check_contains "... with the card by its title and the field by its label" "Organizations: ООО Ромашка  City" "$out"
check "... the lost and the kept value with who wrote them, aligned" \
  grep -qE 'City +Казань +anna +Тверь +vera' <<<"$out"
check_eq "conflicts --json: the conflict records" "conflict city Казань" \
  "$(s anna conflicts --json | json 'd[0]["kind"] + " " + d[0]["field"] + " " + d[0]["value"]')"

# ---- messages that name things a user has --------------------------------------------
VO=$(s vera add org --set name="Клиент Веры" --set phone="+7 495 700-00-01" 2>/dev/null); s vera sync >/dev/null
check_fails "a card anna may not see: not in her part of the base" \
  "no card with id $VO in your part of the base: it does not exist, or it is not yours to see" s anna show "$VO"
check_fails "a manager may not add custom fields, in words" "may not change the office's field definitions" \
  s anna field add org --name inn --label ИНН --type text
check_not_contains "... never the type name field_def" "field_def" "$(cat "$T/.err")"
check_fails "a duplicate client: hand-over, not sharing" "ask a head of sales to hand it over to you" \
  s anna add org --set name="Ещё Веры" --set phone="8 495 700-00-01"
check_not_contains "... no sharing" "share" "$(cat "$T/.err")"
check_fails "an admin command by a manager is refused before any password is asked for" \
  "only an administrator may do that \(your role is manager\); nothing was sent" s anna admin user add zoe </dev/null
check_not_contains "... no password prompt" "assword" "$(cat "$T/.err")"
check_fails "... nor on a standalone profile" "standalone card index" k admin user list

finish
