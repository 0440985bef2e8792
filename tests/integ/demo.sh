#!/usr/bin/env bash
# `make demo` (installer/demo.sh) runs from start to end against a real
# kartotekad and tells the story it promises: sync, rights (a manager does not
# see a colleague's client, a refused assignment, a hand-over, no export), a
# reminder on the right PC, the audit log; and it cleans up after itself.
source "$(dirname "$0")/../lib/integ.sh"
# the demo runs the programs of a folder: these note each PC's device id as it connects
mkdir "$T/bin"
ln -s "$KT_BIN/kartotekad" "$T/bin/kartotekad"
cat >"$T/bin/kartoteka" <<SH
#!/usr/bin/env bash
"$KT_BIN/kartoteka" "\$@"; rc=\$?
if [ "\$3" = connect ] && [ \$rc = 0 ]; then
  "$KT_BIN/kartoteka" --profile "\$2" status --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["device"])' >>"$T/devices"
fi
exit \$rc
SH
chmod +x "$T/bin/kartoteka"
out=$(TMPDIR=$T "$(dirname "$0")/../../installer/demo.sh" "$T/bin" 2>&1); rc=$?
check_eq "the demo runs to the end" 0 "$rc"
check_contains "... a manager does not see a colleague's clients" "Anna's clients are not on his PC" "$out"
check_contains "... the duplicate claim check answers" "already exists, assigned to anna" "$out"
check_contains "... the conflict log keeps the losing edit" "conflict" "$out"
check_contains "... a call for someone who may not see the client is refused" "may not see" "$out"
check_contains "... the hand-over is audited" "reassign" "$out"
check_contains "... a manager may not export" "your role (manager) may not export cards" "$out"
check_contains "... the head of sales exports, and the server records it" "export org 1 rows as xlsx to clients.xlsx" "$out"
check_contains "... the refused export is on record too" "denied.export org as xlsx" "$out"
check_contains "... the audit log verifies" "the audit log is intact" "$out"
check_contains "... Boris's PC is online" "status:   online" "$out"
# it tells the story without noise: every command it narrates is shown, no log lines, no device ids
for c in "kartotekad serve" "kartotekad invite" "kartoteka --profile anna connect" \
  "kartoteka --profile anna add org" "kartoteka --profile anna add event" "kartoteka --profile vera add event"; do
  check_contains "... shows the command it runs: $c" "\$ $c " "$out"
done
check_eq "... no UTC-stamped log lines" "0" "$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z ' <<<"$out")"
check_eq "... three PCs connected" "3" "$(wc -l <"$T/devices")"
while read -r dev; do check_not_contains "... no device id ($dev)" "$dev" "$out"; done <"$T/devices"
check_contains "... the count agrees with the noun" "exported 1 org card to" "$out"
check_not_contains "... (not \"1 org cards\")" "1 org cards" "$out"
dir=$(sed -n 's/.*over TLS in \(\S*\) (removed now).*/\1/p' <<<"$out")
check_contains "... in a folder under TMPDIR" "$T/kartoteka-demo." "$dir"
check "... which it removed" test ! -e "$dir"
finish
