#!/usr/bin/env bash
# From one PC to the office (issue 18): `kartoteka connect --invite … --upload`
# on a profile made with `init --local` sends its cards to the server as the
# connecting user's, through the ordinary push: ids kept (contacts still point at
# their organizations), the local user's name becomes the account's, a card the
# server refuses as a duplicate of a colleague's stays on the PC with its refusal,
# the trash and fields the office lacks are reported, the standalone file is
# kept. Without --upload (and no terminal) nothing changes. A connect killed at
# any point finishes with a rerun (no invite needed) or a sync, without
# duplicates.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
office boris:manager
for u in anna vera1 vera2 vera3 vera4 vera5; do add_user "$D" $u; done
kb() { "$KT" --profile "$T/boris" "$@"; }
master() { sqlite3 "$D/master.db" "$1"; }

# a standalone base of 1,000 cards (organizations) with contacts, a diary entry,
# a card in the trash and a custom field the office does not have
mkbase() {  # PROFILE LOCALUSER
  local p=$1
  "$KT" --profile "$p" init --local --user "$2" >/dev/null
  /usr/bin/python3 - "$p.csv" "$p" <<'PY'
import sys
tag = sys.argv[2].rsplit("/", 1)[-1]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("name;city;phone\n")
    for i in range(1000):
        f.write(f"ООО «{tag} {i:04d}»;Тверь;+7 4822 {hash(tag) % 90 + 10:02d}-{i // 100:02d}-{i % 100:02d}\n")
PY
  "$KT" --profile "$p" import csv "$p.csv" --type org >/dev/null || echo "FAIL: import into $p"
}
P=$T/solo
mkbase "$P" anna
ks() { "$KT" --profile "$P" "$@"; }
ORG=$(ks list org --limit 1 --json | json 'd[0]["id"]')
C1=$(ks add contact --set last_name=Сидорова --set first_name=Анна --set org="$ORG" --set email=sidorova@solo.ru)
E1=$(ks add event --set type=call --set title="Позвонить Сидоровой" --set start=2026-12-10T10:00 --set org="$ORG" --set assignee=anna)
TR=$(ks add org --set name="ООО Корзина" --set city=Тверь)
ks delete "$TR" >/dev/null
ks field add org --name inn_old --label "Старый ИНН" --type text >/dev/null
ks edit "$ORG" --set inn_old=123 >/dev/null
# Boris already has a client with the e-mail of one of the solo cards
DUP=$(ks add org --set name="ООО Дубль" --set city=Тверь --set email=office@dubl.ru)
kb add org --set name="ООО Дубль-Борис" --set city=Тверь --set email=office@dubl.ru >/dev/null
kb sync >/dev/null
CARDS=$(ks list org --json | json 'len(d)')
check_eq "the standalone base has 1,001 live organizations" 1001 "$CARDS"

INV=$("$KTD" invite --data "$D" --user anna)
check_fails "without --upload and no terminal nothing changes" "standalone card index with 1003 card" \
  ks connect --invite "$INV" --password-file "$T/pw" </dev/null
check_eq "... the profile is still standalone" local "$(ks status --json | json 'd["mode"]')"
check_eq "... no staging folder is left" "" "$(ls -d "$P/connect.tmp" 2>/dev/null)"

out=$(ks --json connect --invite "$INV" --password-file "$T/pw" --upload 2>"$T/up.err")
check_eq "connect --upload connects" True "$(echo "$out" | json 'd["connected"]')"
check_eq "... copies every live card" 1003 "$(echo "$out" | json 'd["cards"]')"
check_eq "... the server refused none" 0 "$(echo "$out" | json 'd["refused"]')"
check_eq "... and said one duplicates a colleague's client" 1 "$(echo "$out" | json 'd["duplicates"]')"
check_eq "... reports the card left in the trash" 1 "$(echo "$out" | json 'd["trash_left"]')"
check_contains "... and the field the office lacks" inn_old "$(echo "$out" | json 'd["dropped_fields"]')"
KEPT=$(echo "$out" | json 'd["kept"]')
check "the standalone file is kept" test -f "$KEPT"
check_eq "... whole" 1001 "$("$KT" --profile "$T/keptprof" list org --json 2>/dev/null | json 'len(d)' 2>/dev/null || sqlite3 "$KEPT" 'SELECT count(*) FROM t_org WHERE deleted = 0')"
check_eq "the profile is connected" server "$(ks status --json | json 'd["mode"]')"
check_eq "the master has anna's 1,001 organizations" 1001 "$(master "SELECT count(*) FROM t_org WHERE owner = 'anna' AND deleted = 0")"
check_eq "... with the same ids" 1 "$(master "SELECT count(*) FROM t_org WHERE id = '$ORG' AND owner = 'anna'")"
check_eq "... the contact still points at its organization" "$ORG" "$(master "SELECT org FROM t_contact WHERE id = '$C1'")"
check_eq "... the call is assigned to the account" anna "$(master "SELECT assignee FROM t_event WHERE id = '$E1'")"
check_eq "the duplicate is kept on the server (offline work is never lost)" 1 "$(master "SELECT count(*) FROM t_org WHERE id = '$DUP'")"
check_contains "... and listed as a duplicate to look at" "ООО Дубль" "$(ks conflicts 2>&1)"
check_fails "a second connect is refused" "already connected" ks connect --invite "$INV" --password-file "$T/pw" --upload

# killed at some point of the connect: a rerun (or a sync) finishes, no duplicates
i=0
for delay in 0.05 0.2 0.35 0.5 0.8; do
  i=$((i+1)); u=vera$i; Q=$T/$u
  mkbase "$Q" "$u"
  inv=$("$KTD" invite --data "$D" --user $u)
  "$KT" --profile "$Q" connect --invite "$inv" --password-file "$T/pw" --upload >/dev/null 2>&1 &
  pid=$!
  sleep $delay
  kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
  # finish: a rerun of the connect without the invite (enrolled already), else
  # with it (the kill came before the server enrolled), else with a new one (the
  # kill came after the server spent it, before the certificate was saved);
  # then a sync sends what a kill during the push left
  mode=$("$KT" --profile "$Q" status --json | json 'd["mode"]')
  echo "# killed after ${delay}s: profile $mode, staged card index: $(ls "$Q/connect.tmp/replica.db" 2>/dev/null || echo none), unsent $("$KT" --profile "$Q" status --json | json 'd["pending"]')"
  if [ "$mode" = local ]; then
    "$KT" --profile "$Q" connect --upload >/dev/null 2>&1 ||
      "$KT" --profile "$Q" connect --invite "$inv" --password-file "$T/pw" --upload >/dev/null 2>&1 ||
      "$KT" --profile "$Q" connect --invite "$("$KTD" invite --data "$D" --user $u)" \
        --password-file "$T/pw" --upload >/dev/null 2>"$T/re.err" || echo "rerun failed: $(cat "$T/re.err")"
  fi
  "$KT" --profile "$Q" sync >/dev/null 2>&1 || "$KT" --profile "$Q" sync >/dev/null 2>&1
  check_eq "killed after ${delay}s: the master has all of $u's 1,000 cards, once" "1000 1000" \
    "$(master "SELECT count(*), count(DISTINCT id) FROM t_org WHERE owner = '$u'" | tr '|' ' ')"
  check_eq "... and the PC is connected with nothing left to send" "server 0" \
    "$("$KT" --profile "$Q" status --json | json '"%s %d" % (d["mode"], d["pending"])')"
done
finish
