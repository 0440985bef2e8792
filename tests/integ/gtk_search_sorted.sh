#!/usr/bin/env bash
# A search in the desktop app with the list sorted by name and many hits
# (2,400 of 3,000 organizations: the reader's sort index walk, only its first
# rows known until a worker builds the rest), driven through AT-SPI under
# Xvfb (tests/lib/gui_test_sorted.py): the first rows and, scrolled to the
# end, the last rows equal `kartoteka list --where name~ив --sort name`; then
# newest first again. Skipped when the desktop packages are missing.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/gui_session.sh"
if ! gui_available; then echo "PASS: skipped: no Xvfb/AT-SPI/kartoteka-gtk here"; finish; fi
export LANG=en_US.UTF-8
P=$T/prof
k() { "$KT" --profile "$P" "$@"; }
k init --local --user anna >/dev/null
{
  echo "name,city"
  for i in $(seq 1 3000); do
    case $((i % 5)) in
      0) echo "ООО Петров $i,Москва" ;;
      1|3) echo "АО Иванов $i,Казань" ;;
      *) echo "ООО Иванов $i,Тверь" ;;
    esac
  done
} >"$T/orgs.csv"
k import "$T/orgs.csv" --type org >/dev/null || fail "3,000 organizations are imported"
[ "$(k list org | wc -l)" = 3000 ] && pass "3,000 organizations" || fail "3,000 organizations"
cat > "$T/session.sh" <<SH
"$KT_BIN/kartoteka-gtk" --profile "$P" >"$T/gtk.log" 2>&1 &
pid=\$!
KT_CLI="$KT" KT_PROFILE="$P" PYTHONPATH="$(cd "$(dirname "$0")/../lib" && pwd)" /usr/bin/python3 "$(cd "$(dirname "$0")/../lib" && pwd)/gui_test_sorted.py" \$pid
rc=\$?
kill \$pid 2>/dev/null; wait \$pid 2>/dev/null
exit \$rc
SH
gui_run bash "$T/session.sh" 2>"$T/session.err" ||
  fail "the GUI session ran to its end" "$(tail -c 600 "$T/session.err")"
if grep -qE 'CRITICAL|runtime error|Sanitizer' "$T/gtk.log"; then
  fail "the app logged no criticals" "$(head -c 400 "$T/gtk.log")"
else pass "the app logged no criticals"; fi
finish
