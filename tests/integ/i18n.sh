#!/usr/bin/env bash
# The desktop app's languages: every string of the app and of the registry
# (sections, field labels per type, choice labels) has a Russian and a Polish
# translation (the template regenerated from the sources, the catalogues
# merged with it, nothing untranslated or fuzzy), and the app shows Russian,
# Polish or English as the PC's locale says (AT-SPI under Xvfb).
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/gui_session.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v msgfmt >/dev/null || [ ! -x "$KT_BUILD_DIR/tools/registry_strings" ]; then
  echo "PASS: skipped: no gettext tools or registry_strings here"; finish; fi
"$ROOT/tools/make_pot.sh" "$KT_BUILD_DIR/tools/registry_strings" "$T/po" >/dev/null 2>"$T/pot.err" ||
  fail "the template is made" "$(cat "$T/pot.err")"
for l in ru pl; do
  st=$(msgfmt -c --statistics -o /dev/null "$T/po/$l.po" 2>&1)
  check_contains "[$l] every string is translated" "translated messages." "$st"
  check_not_contains "[$l] ... none untranslated" "untranslated" "$st"
  check_not_contains "[$l] ... none fuzzy" "fuzzy" "$st"
done
n=$(grep -c '^msgid ' "$T/po/kartoteka.pot")
[ "$n" -gt 150 ] && pass "the template holds the registry's strings ($n)" || fail "template size" "$n"

if ! gui_available; then echo "PASS: skipped the window: no Xvfb/AT-SPI here"; finish; fi
P=$T/prof
k() { "$KT" --profile "$P" "$@"; }
k init --local --user anna >/dev/null
k add org --set name="ООО Ромашка" --set city=Москва --set stage=0.7 >/dev/null 2>&1
k add org --set name="ООО Василёк" --set city=Тверь >/dev/null 2>&1
k add org --set name="Łódź Meble" --set city="Łódź" >/dev/null 2>&1
for lang in ru pl en; do
  case $lang in ru) L=ru_RU.UTF-8 ;; pl) L=pl_PL.UTF-8 ;; en) L=en_US.UTF-8 ;; esac
  cat > "$T/session-$lang.sh" <<SH
LANG=$L LC_ALL=$L "$KT_BIN/kartoteka-gtk" --profile "$P" >"$T/gtk-$lang.log" 2>&1 &
pid=\$!
PYTHONPATH="$ROOT/tests/lib" /usr/bin/python3 "$ROOT/tests/lib/gui_test_lang.py" \$pid $lang
rc=\$?
kill \$pid 2>/dev/null; wait \$pid 2>/dev/null
exit \$rc
SH
  gui_run bash "$T/session-$lang.sh" 2>>"$T/session.err" ||
    fail "[$lang] the GUI session ran to its end" "$(tail -c 600 "$T/session.err")"
done
finish
