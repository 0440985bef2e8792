#!/usr/bin/env bash
# ClaimCheck's per-user budget (issue 16): names are easy to guess, so the server
# answers at most --claim-budget claim keys an hour for each user (a token
# bucket; default 500,000). An honest import of many rows passes under the
# default; over a small budget a hand-made client's ClaimCheck is refused with
# an answer that says what happened and when to retry (the session goes on), the
# refusal is audited, the master is unchanged, and `kartoteka add` stops with the
# server's words instead of quietly checking this PC's cards only.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
D=$T/data
M=$D/master.db
init_server "$D"
"$KTD" role set --data "$D" --role seller --from manager --rights '+import' >/dev/null \
  || { echo "FAIL: role set seller"; exit 1; }
add_user "$D" anna seller; add_user "$D" boris manager
start_server "$D"
for u in anna boris; do enroll "$D" $u "$T/$u" || { echo "FAIL: enroll $u"; exit 1; }; done
k() { "$KT" --profile "$T/$1" "${@:2}"; }
mdump() { "$KTD" dump --data "$D"; }
q() { "$@" >/dev/null 2>&1 || fail "setup: $*"; }
q k boris add org --set name="Лютик" --set city="Казань" --set phone="+7 495 111-22-33"
q k boris sync

# ---- an honest import under the default budget: 6,000 rows, 18,000 keys ------------------------
{ echo 'name,city,phone'
  for i in $(seq 1 6000); do
    if [ "$i" = 5000 ]; then echo "лютик,казань,"; else printf 'Фирма %s,Калуга,+7 484 %07d\n' "$i" "$i"; fi
  done; } > "$T/imp.csv"
out=$(k anna import csv "$T/imp.csv" --type org 2>&1); rc=$?
check_eq "an import of 6,000 rows passes the default budget" "0" "$rc"
check_contains "... checked against the server: boris's client skipped" \
  "line 5001 skipped: a client with this name and city (лютик, казань) already exists, assigned to boris" "$out"
check_contains "... the others imported" "imported 5999 rows; 1 skipped" "$out"
q k anna sync

# ---- a small budget: a hand-made client over it is refused ---------------------------------------
stop_server "$D"
SRV_ARGS="--claim-budget 1000" start_server "$D" "$SRV_ADDR"
RAW() { raw_login anna anna "$@"; }
KEYS=$(for i in $(seq 1 999); do printf 'keys: "n:фирма x%s|москва" ' "$i"; done)
m0=$(mdump)
out=$(RAW "msg:req_id: 3 claim_check { $KEYS keys: \"n:лютик|казань\" }" read \
  'msg:req_id: 4 claim_check { keys: "n:вектор|москва" }' read 'msg:req_id: 5 ping { }' read 2>&1)
check_contains "raw: the first 1,000 keys are answered" 'type: "org" owner: "boris" }' "$out"
check_contains "raw: the next key is refused: what happened" \
  "too many duplicate checks: the server answers 1000 claim keys an hour for each user and anna has" "$out"
check_contains "raw: ... and when to retry" "nothing was checked: try again in 1 minute" "$out"
check_contains "raw: ... and how the limit is raised" "kartotekad serve --claim-budget KEYS" "$out"
check_contains "raw: ... as an answer: the session goes on (ping answered)" "pong" "$out"
check_eq "raw: the master is unchanged" "$m0" "$(mdump)"
check "the server logs it" grep -q "anna asked 1 claim keys .* refused" "$D.serve.err"
check_contains "the refusal is audited" "claim.throttled" "$("$KTD" audit --data "$D" --action claim.throttled 2>&1)"

# ---- the CLI shows it and adds nothing --------------------------------------------------------
r0=$(k anna dump)
k anna add org --set name="Вектор" --set city="Москва" >"$T/.out" 2>"$T/.err"; rc=$?
check_eq "add over the budget: exit 1" "1" "$rc"
check_contains "... the server's words, not a quiet local check" \
  "the server refused the duplicate check: too many duplicate checks" "$(cat "$T/.err")"
check_not_contains "... not 'only the cards on this PC'" "only the cards on this PC" "$(cat "$T/.err")"
check_eq "... nothing added on anna's PC" "$r0" "$(k anna dump)"
check_eq "... nor on the master" "$m0" "$(mdump)"
check "boris's budget is his own" k boris add org --set name="Вектор" --set city="Москва"

check "server alive" kill -0 "$SRV_PID"
stop_server "$D"
check_eq "clean shutdown" 0 $?
finish
