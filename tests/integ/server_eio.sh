#!/usr/bin/env bash
# A disk that fails under the server (issue 13): fsync errors injected into the
# running kartotekad (strace -e inject=fdatasync:error=EIO) are logged at level
# error with what the administrator should do (they were a line at level info);
# the push is refused, the client keeps the change and sends it once the disk
# works again.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
D=$T/data
init_server "$D"
add_user "$D" anna
start_server "$D"
enroll "$D" anna "$T/anna"
k() { "$KT" --profile "$T/$1" "${@:2}"; }
ORG=$(k anna add org --set name="ООО Ромашка")
strace -f -qq -o /dev/null -p "$SRV_PID" -e trace=fdatasync,fsync \
  -e inject=fdatasync:error=EIO -e inject=fsync:error=EIO &
STRACE=$!; _bg_pids+=($STRACE)
sleep 1 # attached
check_fails "a push while the disk fails is refused" "disk input/output error" k anna sync
kill "$STRACE"; wait "$STRACE" 2>/dev/null
line=$(grep ' error db: ' "$D.serve.err" | head -1)
check_contains "the server logs it at level error" "disk input/output error on the master database" "$line"
check_contains "...saying what failed" "flushing to disk failed" "$line"
check_contains "...and what to do" "check the disk now" "$line"
check_contains "...up to restoring the latest backup" "kartotekad restore" "$line"
check_eq "the change waits on the PC" "1" "$(k anna status --json | json 'd["pending"]')"
check "the disk works again: it is sent" k anna sync
check_contains "...and stored" "$ORG" "$("$KTD" dump --data "$D")"
stop_server "$D"
check_eq "the server kept running" "0" "$?"
finish
