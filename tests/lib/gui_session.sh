# gui_session.sh — runs a command inside a private X server (Xvfb) with its
# own session bus and accessibility bus, as testing.md describes: the desktop
# app under test is started by that command. Sourced by integ scripts:
#   gui_run SCRIPT [ARGS...]   runs SCRIPT under xvfb-run + dbus-run-session
# Skips (exit 0 with a note) when the desktop packages are not installed.
gui_available() {
  command -v xvfb-run >/dev/null && command -v xdotool >/dev/null &&
    [ -x /usr/libexec/at-spi-bus-launcher ] && /usr/bin/python3 -c 'import pyatspi' 2>/dev/null &&
    [ -x "$KT_BIN/kartoteka-gtk" ]
}
gui_run() {
  xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- bash -c '
    /usr/libexec/at-spi-bus-launcher --launch-immediately >/dev/null 2>&1 &
    gdbus wait --session --timeout 15 org.a11y.Bus >/dev/null 2>&1
    export GSK_RENDERER=cairo GDK_BACKEND=x11 NO_AT_BRIDGE=0
    unset GTK_A11Y
    "$@"' gui "$@"
}
