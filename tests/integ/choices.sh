#!/usr/bin/env bash
# Choice lists carry a stable code and a label (issue 13): the office renames
# event types and results (code=Label) without breaking the call features.
# Values are stored and synced as codes; show/list print labels, --json codes;
# a label typed in --set or done --result is stored as its code; done --result
# call_back and the call-back list key on the codes whatever the labels; a
# list that drops a code the program needs (call, call_back) is refused — the
# README's old example among them.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
D=$T/data
init_server "$D"
add_user "$D" boris head_of_sales
start_server "$D"
enroll "$D" boss "$T/boss"; enroll "$D" boris "$T/b1"; enroll "$D" boris "$T/b2"
k() { "$KT" --profile "$T/$1" "${@:2}"; }
at() { date -d "@$(( $(date +%s) + $1 ))" +%Y-%m-%dT%H:%M:%S; }

check_fails "the README's old example (drops call_back) is refused" \
  "the choice call_back cannot be removed.*call_back=YourLabel" \
  k boss field choices event result --choices "дозвонились,перезвонить"
check_fails "a type list without call is refused" "the choice call cannot be removed" \
  k boss field choices event type --choices "meeting=Встреча,letter=Письмо"
check_fails "a choice without a code is refused" "every choice needs a code" \
  k boss field choices event result --choices "reached=Дозвонились,=Перезвонить,call_back"
check_fails "a label given twice is refused" "the label Перезвонить is given twice" \
  k boss field choices event result --choices "reached=Перезвонить,call_back=перезвонить"
check_fails "a label that is another choice's code is refused" "the label call_back is also the code" \
  k boss field choices event result --choices "reached=call_back,call_back=Перезвонить"
check "codes with labels are taken (the README's example)" \
  k boss field choices event result --choices "reached=Дозвонились,call_back=Перезвонить,no_answer=Не ответили"
check "...and for the event types" \
  k boss field choices event type --choices "call=Звонок,meeting=Встреча,letter=Письмо,email,visit,other"
check_contains "field list shows codes and labels" "call_back=Перезвонить" "$(k boss field list event)"
check "the office's lists are sent" k boss sync

check "boris's PC receives them" k b1 sync
ORG=$(k b1 add org --set name="ООО Ромашка" --set phone="+7 495 123-45-67")
EV=$(k b1 add event --set type=звонок --set title="Позвонить в Ромашку" --set org="$ORG" \
     --set assignee=boris --set start="$(at -600)")
check_eq "a label typed in --set is stored as its code" "call" "$(k b1 show "$EV" --json | json 'd["type"]')"
check_contains "show prints the label" "Звонок" "$(k b1 show "$EV")"
check_contains "list prints the label" "Звонок" "$(k b1 list event --fields type,title)"
check_contains "list --where takes a label too" "Позвонить в Ромашку" "$(k b1 list event --where type=Звонок)"
check_contains "the call-back list sees the call" "Позвонить в Ромашку" "$(k b1 callbacks)"
NEXT=$(k b1 done "$EV" --result Перезвонить --call-back "$(date -d '+1 day' +%Y-%m-%dT10:00)" --json |
  json 'd["call_back"]')
check_eq "done --result with the label plans the call back" "36" "${#NEXT}"
check_eq "...and stores the code" "call_back" "$(k b1 show "$EV" --json | json 'd["result"]')"
check_contains "...shown by its label" "Перезвонить" "$(k b1 show "$EV")"
check_eq "the planned call back is a call" "call planned" "$(k b1 show "$NEXT" --json | json 'd["type"]+" "+d["status"]')"
check_contains "the diary shows the type's label" "Звонок: Call back: Позвонить в Ромашку" \
  "$(k b1 agenda --from "$(date -d '+1 day' +%Y-%m-%d)" --to "$(date -d '+1 day' +%Y-%m-%d)")"
check "boris syncs" k b1 sync
check_contains "the server stores the codes" "result=call_back" "$("$KTD" dump --data "$D" | grep "^event $EV")"
check_contains "...type too" "type=call@" "$("$KTD" dump --data "$D" | grep "^event $EV")"

# the labels are renamed (translated back): nothing that keys on the codes notices
check "labels renamed" k boss field choices event result --choices "reached=Reached,call_back=Call again,no_answer"
check "...and the types" k boss field choices event type --choices "call=Phone call,meeting,letter,email,visit,other"
check "...and sent" k boss sync
check "boris's other PC syncs" k b2 sync
check_eq "the result is still the code" "call_back" "$(k b2 show "$EV" --json | json 'd["result"]')"
check_contains "...shown by the new label" "Call again" "$(k b2 show "$EV")"
check_contains "...the type too" "Phone call" "$(k b2 show "$EV")"
EV2=$(k b2 add event --set type=call --set title="Звонок Вектору" --set org="$ORG" --set assignee=boris \
      --set start="$(at -300)")
check_contains "the call-back list still sees calls" "Звонок Вектору" "$(k b2 callbacks)"
NEXT2=$(k b2 done "$EV2" --result call_back --json | json 'd["call_back"]')
check_eq "done --result call_back (the code) still plans the call back" "36" "${#NEXT2}"
NEXT3=$(k b2 done "$NEXT" --result "call again" --json | json 'd["call_back"]')
check_eq "...and so does the new label" "36" "${#NEXT3}"
check_fails "the old label is no longer a choice" "not one of" k b2 done "$EV2" --result Перезвонить
check_fails "a result that is neither code nor label is refused" "not one of" k b2 done "$EV2" --result maybe
check "boris's other PC syncs" k b2 sync
check_eq "the replica equals the master" "$("$KTD" dump --data "$D")" "$(k b2 dump)"

stop_server "$D"
finish
