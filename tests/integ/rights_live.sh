#!/usr/bin/env bash
# Rights changed while a PC stays connected: the server tells the live session
# (Notify with `rights`), the client saves them and its replica is rebuilt
# under them within moments, without a reconnect. Both ways a role changes: an
# administrator's `kartoteka admin user role` (through the server) and
# `kartotekad user role` (another process on the master). Hostile: a client
# that sends such a Notify (or an AuthOk) to the server is shown the door, and
# the master's accounts are as they were.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
office anna:manager boris:manager
enroll "$D" boss "$T/boss" || fail "enroll boss"
M=$D/master.db
k() { "$KT" --profile "$T/$1" "${@:2}"; }
meta() { sqlite3 "$T/$1/replica.db" "SELECT value FROM meta WHERE key = '$2'"; }
BORG=$(k boris add org --set name="Борисова лавка"); k boris sync >/dev/null || fail "sync boris"
k anna sync >/dev/null || fail "sync anna"
check_eq "anna starts as a manager" "manager" "$(meta anna role)"
check_eq "a manager's replica lacks boris's card" "" "$(sqlite3 "$T/anna/replica.db" "SELECT id FROM t_org WHERE id = '$BORG'")"

"$KT" --verbose --profile "$T/anna" sync --watch 2>"$T/watch.err" &
WATCH=$!; _bg_pids+=($WATCH)
sleep 1 # connected and subscribed

# wait_meta PROFILE KEY VALUE SECONDS: polls the replica's settings
wait_meta() {
  local end=$(( $(date +%s%N) + $4 * 1000000000 ))
  while [ "$(date +%s%N)" -lt $end ]; do
    [ "$(meta "$1" "$2")" == "$3" ] && return 0
    sleep 0.05
  done
  return 1
}
wait_row() { # PROFILE ID PRESENT(1|0) SECONDS
  local end=$(( $(date +%s%N) + $4 * 1000000000 ))
  while [ "$(date +%s%N)" -lt $end ]; do
    [ "$(sqlite3 "$T/$1/replica.db" "SELECT count(*) FROM t_org WHERE id = '$2'")" == "$3" ] && return 0
    sleep 0.05
  done
  return 1
}

t0=$(date +%s%N)
check "the administrator makes anna head of sales from his PC" k boss admin user role anna --role head_of_sales
if wait_meta anna role head_of_sales 3; then
  pass "the live session hears the new role within 3 s ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
else fail "the live session hears the new role within 3 s" "role [$(meta anna role)]; $(tail -3 "$T/watch.err")"; fi
check_contains "the new rights are saved (reassign)" "reassign" "$(meta anna rights)"
if wait_row anna "$BORG" 1 3; then pass "the replica is rebuilt under them: boris's card arrives"; else fail "the replica is rebuilt under them: boris's card arrives"; fi
check_contains "the client logged the change" "changed this user's rights (role head_of_sales)" "$(cat "$T/watch.err")"
check_contains "the server logged it" "rights of anna changed" "$(cat "$D.serve.err")"

t0=$(date +%s%N)
check "kartotekad user role (another process) makes her a manager again" "$KTD" user role --data "$D" --user anna --role manager
if wait_meta anna role manager 4; then
  pass "... heard within 4 s ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
else fail "... heard within 4 s" "role [$(meta anna role)]"; fi
check_not_contains "... reassign is gone from the saved rights" "reassign" "$(meta anna rights)"
if wait_row anna "$BORG" 0 3; then pass "... and boris's card left her replica"; else fail "... and boris's card left her replica"; fi
conns=$(sed -n 's/.*auth: conn \([0-9]*\): the rights of anna changed.*/\1/p' "$D.serve.err" | sort -u)
check_eq "both told to one connection (no reconnect)" "1" "$(echo "$conns" | wc -l)"
check "the watching sync is still running" kill -0 $WATCH
kill -TERM $WATCH; wait $WATCH 2>/dev/null

# ---- hostile: a client cannot raise its own rights with such a message ----------
users() { sqlite3 "$M" "SELECT name, role, grp, scope_gen, disabled FROM srv_user ORDER BY name"; }
before=$(users)
out=$(raw_login anna anna \
  'msg:req_id: 3 notify { latest_seq: 1 rights { user_name: "anna" role: "administrator" manage_users: true reassign: true export: true rights { entity: "org" read: ALL edit: ALL del: ALL } } }' \
  read expect-close)
check_contains "a client's Notify with rights: protocol error, connection closed" "closed" "$out"
check_contains "... answered with an error" "error" "$out"
out=$(raw_login anna anna 'msg:req_id: 3 auth_ok { user_name: "anna" role: "administrator" manage_users: true }' read expect-close)
check_contains "a client's AuthOk: connection closed too" "closed" "$out"
check_eq "the master's accounts are as they were" "$before" "$(users)"
out=$(raw_login anna anna 'msg:req_id: 3 admin_request { op: "user.list" }' read)
check_contains "anna still may not administer" "only an administrator" "$out"
check_contains "anna's sync: still a manager" "manager" "$(k anna sync >/dev/null 2>&1; meta anna role)"
stop_server "$D" || fail "server exit" "$(tail -5 "$D.serve.err")"
finish
