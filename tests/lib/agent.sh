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
# start_agent_nobus NAME PROFILE: the agent with no session bus at all (a
# console login, a service without a desktop session).
start_agent_nobus() {
  local name=$1 profile=$2
  : >"$T/$name.notify.log"
  setsid env -u DBUS_SESSION_BUS_ADDRESS -u DISPLAY -u WAYLAND_DISPLAY XDG_RUNTIME_DIR="$T/$name.norun" \
    "$KT" --profile "$profile" agent 2>"$T/$name.agent.err" &
  local pid=$!
  _bg_pids+=($pid)
  eval "AGENT_PGID_$name=$pid"
}
# start_agent_nodaemon NAME PROFILE: a private session bus with no
# notification daemon on it yet; start_daemon NAME puts the mock daemon there.
start_agent_nodaemon() {
  local name=$1 profile=$2
  : >"$T/$name.notify.log"; rm -f "$T/$name.bus"
  setsid dbus-run-session -- bash -c '
    echo "$DBUS_SESSION_BUS_ADDRESS" >"$3"
    exec "$1" --profile "$2" agent' _ "$KT" "$profile" "$T/$name.bus" 2>"$T/$name.agent.err" &
  local pid=$!
  _bg_pids+=($pid)
  eval "AGENT_PGID_$name=$pid"
  for _ in $(seq 50); do [ -s "$T/$name.bus" ] && break; sleep 0.1; done
}
start_daemon() {
  local name=$1
  DBUS_SESSION_BUS_ADDRESS=$(cat "$T/$name.bus") /usr/bin/python3 -m dbusmock --session \
    --template notification_daemon -p '{"capabilities": "body actions"}' \
    -l "$T/$name.notify.log" >/dev/null 2>&1 &
  _bg_pids+=($!)
  DBUS_SESSION_BUS_ADDRESS=$(cat "$T/$name.bus") gdbus wait --session --timeout 10 org.freedesktop.Notifications
}
# wait_log NAME TEXT [SECONDS]: 0 when the agent's stderr has TEXT
wait_log() {
  local end=$(( $(date +%s) + ${3:-10} ))
  while [ "$(date +%s)" -le $end ]; do
    grep -q -- "$2" "$T/$1.agent.err" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}
