# server.sh — start/stop a real kartotekad for integration scripts (sourced
# after integ.sh). start_server DIR [ADDR:PORT] sets SRV_PID and SRV_ADDR (a given
# address: the restart of a server the profiles already know).
echo "correct horse battery" > "$T/pw"
echo "wrong password here" > "$T/wrongpw"

# init_server DIR: a data folder with admin "boss" (password in $T/pw)
init_server() { "$KTD" init --data "$1" --admin boss --password-file "$T/pw" >/dev/null; }

start_server() {
  local d=$1 out="$1.serve.out"
  : >"$out"
  # shellcheck disable=SC2086 # SRV_ARGS: extra serve options, word-split on purpose
  "$KTD" serve --data "$d" --listen "${2:-127.0.0.1:0}" ${SRV_ARGS:-} >"$out" 2>>"$d.serve.err" &
  SRV_PID=$!; _bg_pids+=($SRV_PID)
  for _ in $(seq 100); do grep -q '^listening' "$out" 2>/dev/null && break; sleep 0.05; done
  SRV_ADDR=$(sed -n 's/^listening //p' "$out")
  [ -n "$SRV_ADDR" ] || { echo "FAIL: server did not start: $(cat "$d.serve.err")"; exit 1; }
}

stop_server() {
  kill -TERM "$SRV_PID" 2>/dev/null
  wait "$SRV_PID" 2>/dev/null
  local rc=$?
  if grep -qE 'Sanitizer|runtime error' "$1.serve.err" 2>/dev/null; then
    echo "FAIL: sanitizer report in the server log"; cat "$1.serve.err"
  fi
  return $rc
}

# add_user DIR NAME [ROLE]
add_user() { "$KTD" user add --data "$1" --user "$2" --role "${3:-manager}" --password-file "$T/pw" >/dev/null; }
# office USER:ROLE ...: a master in $D=$T/data with these accounts, a running server,
# and an enrolled profile $T/USER for each
office() {
  D=$T/data
  init_server "$D"
  local u
  for u in "$@"; do add_user "$D" "${u%%:*}" "${u#*:}"; done
  start_server "$D"
  for u in "$@"; do enroll "$D" "${u%%:*}" "$T/${u%%:*}" || { echo "FAIL: enroll ${u%%:*}"; exit 1; }; done
}
# enroll DIR USER PROFILE: invite + connect
enroll() {
  local inv; inv=$("$KTD" invite --data "$1" --user "$2") || return 1
  "$KT" --profile "$3" connect --invite "$inv" --password-file "$T/pw" >/dev/null
}

# raw_login PROFILE USER STEP...: tests/lib/rawclient.py on PROFILE's device
# certificate against the running server, after Hello and USER's Login (req_ids 1
# and 2); the STEPs follow (rawclient's msg:/read/expect-close). Errors to $T/rc.err.
raw_login() {
  local p=$1 u=$2; shift 2
  KT_CERT=$T/$p/device.crt KT_KEY=$T/$p/device.key /usr/bin/python3 \
    "$(dirname "${BASH_SOURCE[0]}")/rawclient.py" 127.0.0.1 "${SRV_ADDR##*:}" "$D/ca.crt" \
    'msg:req_id: 1 hello { protocol_version: 1 }' read \
    "msg:req_id: 2 login { user: \"$u\" password: \"$(cat "$T/pw")\" }" read "$@" 2>>"$T/rc.err"
}
