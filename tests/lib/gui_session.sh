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
# sanitizer builds: the font and toolkit libraries' process-long caches are not
# reported as leaks (lsan-gtk.supp says which and why); anything else still is
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lsan-gtk.supp:print_suppressions=0}
gui_run() {
  xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- bash -c '
    /usr/libexec/at-spi-bus-launcher --launch-immediately >/dev/null 2>&1 &
    gdbus wait --session --timeout 15 org.a11y.Bus >/dev/null 2>&1
    export GSK_RENDERER=cairo GDK_BACKEND=x11 NO_AT_BRIDGE=0
    # sanitizer builds: no GL probe at display open (the renderer is cairo anyway),
    # so Mesa'"'"'s driver is not loaded: its leak shows as an unloaded <unknown module>
    # that no suppression can name
    [ "${BUILD:-}" = asan ] && export GDK_DEBUG=gl-disable
    unset GTK_A11Y
    "$@"' gui "$@"
}
