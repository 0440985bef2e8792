# agent.sh — run `kartoteka agent` in a private D-Bus session with a mock
# notification daemon (python3-dbusmock, advertising actions) that logs every
# Notify call. start_agent NAME PROFILE: sets AGENT_PGID_<NAME>; the Notify log
# is $T/NAME.notify.log, the session bus address $T/NAME.bus.
start_agent() {
  local name=$1 profile=$2 log="$T/$1.notify.log"
  : >"$log"; rm -f "$T/$name.bus"
  setsid dbus-run-session -- bash -c '
    /usr/bin/python3 -m dbusmock --session --template notification_daemon \
      -p "{\"capabilities\": \"body actions\"}" -l "$1" >/dev/null 2>&1 &
    gdbus wait --session --timeout 10 org.freedesktop.Notifications || exit 1
    echo "$DBUS_SESSION_BUS_ADDRESS" >"$4"
    exec "$2" --profile "$3" agent' _ "$log" "$KT" "$profile" "$T/$name.bus" 2>"$T/$name.agent.err" &
  local pid=$!
  _bg_pids+=($pid)
  eval "AGENT_PGID_$name=$pid"
}
stop_agent() {
  local pgid; eval "pgid=\$AGENT_PGID_$1"
  kill -TERM -- -"$pgid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$pgid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- -"$pgid" 2>/dev/null
  wait "$pgid" 2>/dev/null
  if grep -qE 'Sanitizer|runtime error' "$T/$1.agent.err"; then echo "FAIL: sanitizer report in agent $1"; cat "$T/$1.agent.err"; fi
}
# wait_notify NAME TEXT [SECONDS]: 0 when a Notify call containing TEXT was logged
wait_notify() {
  local end=$(( $(date +%s) + ${3:-10} ))
  while [ "$(date +%s)" -le $end ]; do
    grep -q "Notify.*$2" "$T/$1.notify.log" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}
# notify_id NAME TEXT: the daemon's id of the latest notification containing
# TEXT (the mock numbers new notifications 1, 2, ... in the order of the log)
notify_id() { grep ' Notify ' "$T/$1.notify.log" | grep -n -- "$2" | tail -1 | cut -d: -f1; }
# invoke_action NAME ID ACTION: the user presses a button of notification ID
# (the daemon emits ActionInvoked, as a real one does)
invoke_action() {
  DBUS_SESSION_BUS_ADDRESS=$(cat "$T/$1.bus") gdbus call --session \
    --dest org.freedesktop.Notifications --object-path /org/freedesktop/Notifications \
    --method org.freedesktop.DBus.Mock.EmitSignal \
    org.freedesktop.Notifications ActionInvoked us "[<uint32 $2>, <'$3'>]" >/dev/null
}
