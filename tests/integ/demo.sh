#!/usr/bin/env bash
# `make demo` (installer/demo.sh) runs from start to end against a real
# kartotekad and tells the story it promises: sync, rights (a manager does not
# see a colleague's client, a refused assignment, a hand-over, no export), a
# reminder on the right PC, the audit log; and it cleans up after itself.
source "$(dirname "$0")/../lib/integ.sh"
out=$(TMPDIR=$T "$(dirname "$0")/../../installer/demo.sh" "$KT_BIN" 2>&1); rc=$?
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
dir=$(sed -n 's/.*over TLS in \(\S*\) (removed now).*/\1/p' <<<"$out")
check_contains "... in a folder under TMPDIR" "$T/kartoteka-demo." "$dir"
check "... which it removed" test ! -e "$dir"
finish
