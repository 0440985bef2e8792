#!/usr/bin/env bash
# `make run` (installer/run-local.sh): a local office server and a profile of
# one's own with a sample client; the commands it suggests work, and so do the
# README's first examples on that profile (its sample card is not the README's
# client, which the server's duplicate check would refuse).
source "$(dirname "$0")/../lib/integ.sh"
R=$T/run
out=$(env -u DISPLAY -u WAYLAND_DISPLAY KARTOTEKA_RUN_DIR=$R USER=ivanov "$(dirname "$0")/../../installer/run-local.sh" "$KT_BIN" 2>&1); rc=$?
[ -f "$R/server.pid" ] && _bg_pids+=("$(cat "$R/server.pid")")
check_eq "make run starts" 0 "$rc"
check_contains "... and says how to use it" "Kartoteka is running" "$out"
K="$KT --profile $R/profile"
check_contains "its suggested search finds the sample client" "ООО Василёк" "$($K search васил)"
check "its suggested contact is added" $K add contact --set last_name=Петрова --set org="ООО Василёк"
# the README's first example, line by line as written there, on this profile
readme=$(sed -n '/^## Using the card index/,/^```$/p' "$(dirname "$0")/../../README.md" | sed -n '/^ORG=/,/^\$K add event/p')
check_contains "the README example is found" "add org" "$readme"
while IFS= read -r line; do
  check "README: ${line:0:60}" bash -c "K='$K'; ORG=\$(cat '$T/org' 2>/dev/null); $line; rc=\$?; [ -n \"\${ORG:-}\" ] && echo \"\$ORG\" > '$T/org'; exit \$rc"
done <<<"$readme"
check_eq "... the README's client was added, next to the sample" "2" "$($K list org --json | json 'len(d)')"
check_contains "without a display it says so and opens no window" "No display here" "$out"

# with a display, make run opens the desktop app on the profile (a second run: the server and
# the profile exist already)
source "$(dirname "$0")/../lib/gui_session.sh"
if gui_available; then
  cat > "$T/run.sh" <<SH
KARTOTEKA_RUN_DIR=$R USER=ivanov "$(cd "$(dirname "$0")/../.." && pwd)/installer/run-local.sh" "$KT_BIN" > "$T/run2.out" 2>&1
for i in \$(seq 50); do pgrep -f "kartoteka-gtk --profile $R/profile" > "$T/gtk.pid" && break; sleep 0.1; done
sleep 1
pkill -f "kartoteka-gtk --profile $R/profile"
exit 0
SH
  gui_run bash "$T/run.sh" 2>/dev/null
  check_contains "with a display it says the app is opening" "The desktop app is opening" "$(cat "$T/run2.out")"
  check "... and the app ran on that profile" test -s "$T/gtk.pid"
fi
finish
