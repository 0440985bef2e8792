#!/usr/bin/env bash
# `make demo`: a narrated walk-through in a temporary folder — a server, two
# managers and a head of sales on three PCs (profiles): each manager sees only
# their own clients, the duplicate check, sync both ways, a simultaneous edit and
# the conflict log, a reminder that appears only for the person it is for, a
# client handed over to another manager, a disabled account, the audit log.
set -euo pipefail
BIN=$(cd "${1:?usage: demo.sh BINDIR}" && pwd)
D=$(mktemp -d "${TMPDIR:-/tmp}/kartoteka-demo.XXXXXX")
trap 'kill $SRV 2>/dev/null || true; wait 2>/dev/null; rm -rf "$D"' EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# every command the story tells is shown as it is typed (paths shortened, invites elided)
show() {
  local line='$' a
  for a in "$@"; do
    case $a in
      '&') ;;                                       # the one word that stays bare
      *[[:space:]\(\)\;\&\|\<\>\*\?\$\'\"]*) a="\"$a\"" ;;   # quoted as one would type it
    esac
    line+=" $a"
  done
  printf '%s\n' "$line" | sed -E "s|$BIN/||g; s|$D/||g; s|KT1\.[A-Za-z0-9_-]+|KT1.…|g"
}
run() { show "$@"; "$@"; }
echo "demo password 1" > "$D/pw"
KD=$BIN/kartotekad

say "The administrator sets up the office server: two managers and a head of sales"
run "$KD" init --data "$D/server" --admin boss --password-file "$D/pw"
run "$KD" user add --data "$D/server" --user anna --role manager --password-file "$D/pw"
run "$KD" user add --data "$D/server" --user boris --role manager --password-file "$D/pw"
run "$KD" user add --data "$D/server" --user vera --role head_of_sales --password-file "$D/pw"
show "$KD" serve --data "$D/server" --listen 127.0.0.1:0 '&'
"$KD" serve --data "$D/server" --listen 127.0.0.1:0 >"$D/serve.out" 2>"$D/serve.log" &
SRV=$!
for _ in $(seq 100); do grep -q '^listening' "$D/serve.out" 2>/dev/null && break; sleep 0.05; done
ADDR=$(sed -n 's/^listening //p' "$D/serve.out")
echo "kartotekad is listening on $ADDR"

say "Anna, Boris and Vera connect their PCs with one-time invites"
for u in anna boris vera; do
  show "$KD" invite --data "$D/server" --user $u --address "$ADDR"
  INV=$("$KD" invite --data "$D/server" --user $u --address "$ADDR")
  run "$BIN/kartoteka" --profile "$D/$u" connect --invite "$INV" --password-file "$D/pw" --device-name "$u-pc"
done
A() { run "$BIN/kartoteka" --profile "$D/anna" "$@"; }
B() { run "$BIN/kartoteka" --profile "$D/boris" "$@"; }
V() { run "$BIN/kartoteka" --profile "$D/vera" "$@"; }

say "Anna adds her client and a contact, then syncs"
A add org --set name="ООО Ромашка" --set city=Москва --set phone="+7 495 123-45-67" | tee "$D/org.id"
ORG=$(tail -1 "$D/org.id")
A add contact --set last_name=Иванова --set first_name=Мария --set org="ООО Ромашка"
A sync

say "Boris is a manager too: Anna's clients are not on his PC at all"
B sync
B search Ромашка
echo "(nothing found: the server sent Boris only his own cards)"
say "... and he cannot quietly create the same client again"
B add org --set name="Ромашка" --set phone="8 (495) 123-45-67" || true

say "Vera, the head of sales, sees the whole base and finds the client by a fragment of its phone"
V sync
V search 123-45

say "Anna and Vera edit the same field offline; the later edit wins, the other is kept in the conflict log"
A edit "$ORG" --set city=Казань
sleep 0.05
V edit "$ORG" --set city=Тверь
A sync; V sync; A sync
A show "$ORG"
A conflicts

WHEN=$(date -d '+1 hour' +%Y-%m-%dT%H:%M)
say "Anna plans a call about her client for Boris: refused, Boris may not see that client"
A add event --set type=call --set title="Перезвонить в Ромашку" --set org="$ORG" --set assignee=boris \
  --set start="$WHEN" --set remind_before=15m
A sync || echo "(the call waits on Anna's PC until it is fixed)"

say "Anna leaves; Vera hands her client over to Boris"
V edit "$ORG" --set owner=boris
V sync; A sync || true; B sync
echo "-- Anna's clients now:"; A list org
echo "-- Boris's clients now:"; B list org

say "Vera plans the call for Boris with a reminder: it is on Boris's PC, not on Anna's"
V add event --set type=call --set title="Перезвонить в Ромашку" --set org="$ORG" --set assignee=boris \
  --set start="$WHEN" --set remind_before=15m
V sync; B sync
echo "-- Boris's reminders:"; B remind list
echo "-- Anna's reminders:"; A remind list || true
echo "(\`kartoteka agent\` shows them as desktop notifications when they are due)"
run "$KD" user disable --data "$D/server" --user anna
A sync || echo "(Anna's PC removed the card index when the server said the account is disabled)"

say "Copying the base out is a right: Boris may not export; Vera may, and the server records it"
B export xlsx "$D/clients-boris.xlsx" --type org || true
V export xlsx "$D/clients.xlsx" --type org

say "Every sensitive act is in the server's hash-chained audit log"
run "$KD" audit --data "$D/server" --action reassign
run "$KD" audit --data "$D/server" --action export
run "$KD" audit --data "$D/server" --action denied.export
run "$KD" audit --data "$D/server" --verify

say "Status of Boris's PC"
B status
say "Done. Everything ran against a real kartotekad over TLS in $D (removed now)."
