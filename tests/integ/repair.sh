#!/usr/bin/env bash
# A damaged replica no longer strands the PC (issue 13): boris's replica
# (3,000 pulled cards and five unsent edits) gets leaf pages in the middle of
# the file overwritten, as a failing disk does. Every command then points to
# `kartoteka repair`, which keeps the device's certificate and session, saves
# the unsent changes it can still read, rebuilds the card index from the
# server and re-applies them, so the next sync sends them — no new invite,
# nothing typed lost. Without the server nothing is changed; while the agent
# runs the repair waits for it to stop.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
D=$T/data
init_server "$D"
add_user "$D" boris head_of_sales
start_server "$D"
enroll "$D" boss "$T/boss"; enroll "$D" boris "$T/b1"; enroll "$D" boris "$T/b2"
k() { "$KT" --profile "$T/$1" "${@:2}"; }
srv() { "$KTD" dump --data "$D" | grep "^$1 $2 "; }

X=$(k b1 add org --set name="Первая" --set city=Тверь)
k b1 sync >/dev/null
/usr/bin/python3 -c '
print("name;city;phone")
for i in range(3000): print(f"Организация {i};Город {i % 50};+7 495 {i:07d}")' >"$T/orgs.csv"
k boss import csv "$T/orgs.csv" --type org >/dev/null
k boss sync >/dev/null
check "boris's PC receives 3,000 cards" k b1 sync
Z=$(k b1 list org --where name="Организация 7" --json | json 'd[0]["id"]')
DEV=$(k b1 status --json | json 'd["device"]')

# five unsent edits: a changed card, a new one with a contact and a call, a card to the trash
k b1 edit "$X" --set city=Псков >/dev/null
Y=$(k b1 add org --set name="ООО Новая" --set phone="+7 812 555-01-02")
C=$(k b1 add contact --set last_name=Петрова --set first_name=Анна --set org="$Y")
E=$(k b1 add event --set type=call --set title="Позвонить Петровой" --set contact="$C" \
    --set start=2027-01-15T10:00)
k b1 delete "$Z" >/dev/null
check_eq "five changes wait to be sent" "5" "$(k b1 status --json | json 'd["pending"]')"

# the disk fails under the replica
pages=$(/usr/bin/python3 "$(dirname "$0")/../lib/corrupt.py" "$T/b1/replica.db" t_org 6 "$X" "$Y" "$Z")
check_eq "six pages in the middle of the file are overwritten" "6" "$(echo "$pages" | wc -w)"
check_fails "the damaged card index names the repair" "damaged.*kartoteka repair" k b1 list org

# without the server nothing changes
stop_server "$D"
check_fails "repair without the server fails" "cannot reach|connection refused" k b1 repair
check_contains "...saying nothing was changed" "nothing was changed" "$(cat "$T/.err")"
check "...the card index is where it was" test -f "$T/b1/replica.db"
check_eq "...and no copy was left" "" "$(ls "$T/b1" | grep -E 'damaged|repairing')"
"$KTD" serve --data "$D" --listen "$SRV_ADDR" >"$D.serve2.out" 2>>"$D.serve.err" &
SRV_PID=$!; _bg_pids+=($SRV_PID)
for _ in $(seq 100); do grep -q '^listening' "$D.serve2.out" 2>/dev/null && break; sleep 0.05; done

# nor while another program (the agent) holds the profile's sync lock
flock -o "$T/b1/sync.lock" sleep 30 &
W=$!; _bg_pids+=($W)
sleep 0.3
check_fails "repair while another program syncs the profile is refused" "stop it" k b1 repair
kill "$W"; wait "$W" 2>/dev/null

out=$(k b1 repair 2>"$T/repair.err"); rc=$?
check_eq "kartoteka repair succeeds" "0" "$rc"
check_contains "...reads the unsent changes" "Read from it: 5 unsent changes (all there were)" "$out"
check_contains "...rebuilds from the server" "Rebuilt from the office server: 300" "$out"
check_contains "...and queues them" "5 changes of yours" "$out"
check_eq "the damaged file is kept aside" "1" "$(ls "$T/b1" | grep -c '^replica.db.damaged-[0-9-]*$')"
check_eq "the card index works again" "3001" "$(k b1 list org --json | json 'len(d)')"
check_eq "five changes wait to be sent" "5" "$(k b1 status --json | json 'd["pending"]')"
check_eq "the same device" "$DEV" "$(k b1 status --json | json 'd["device"]')"
check "the next sync sends them, with the old session (no password)" k b1 sync
check_contains "the edit reached the server" "city=Псков@" "$(srv org "$X")"
check_contains "...the new card" "name=ООО Новая@" "$(srv org "$Y")"
check_contains "...its contact" "last_name=Петрова@" "$(srv contact "$C")"
check_contains "...the call" "title=Позвонить Петровой@" "$(srv event "$E")"
check_contains "...the card moved to the trash" "deleted=true@" "$(srv org "$Z")"
check "boris's other PC syncs" k b2 sync
check_eq "...and has them" "Псков Петрова" \
  "$(echo "$(k b2 show "$X" --json | json 'd["city"]') $(k b2 show "$C" --json | json 'd["last_name"]')")"
k b1 edit "$Y" --set city=Омск >/dev/null
check "an edit after the repair is sent (its change number is a new one)" k b1 sync
check_contains "...and stored" "city=Омск@" "$(srv org "$Y")"
check_eq "the repaired replica equals the master" "$("$KTD" dump --data "$D")" "$(k b1 dump)"
check_not_contains "no sanitizer report" "runtime error" "$(cat "$T/repair.err")"
stop_server "$D"
finish
