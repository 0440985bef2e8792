#!/usr/bin/env bash
# The list's filters and column sort in the desktop app, driven through
# AT-SPI under Xvfb (tests/lib/gui_test_list.py): a standalone profile with
# 30 organizations in three cities, stages, temperatures and owners and a
# custom choice field; the rows the app shows for each filter, search and
# sort equal what `kartoteka list --where/--sort` prints. Skipped when the
# desktop packages are missing (installer/deps.sh installs them).
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/gui_session.sh"
if ! gui_available; then echo "PASS: skipped: no Xvfb/AT-SPI/kartoteka-gtk here"; finish; fi
export LANG=en_US.UTF-8
P=$T/prof
k() { "$KT" --profile "$P" "$@"; }
k init --local --user anna >/dev/null
k field add org --name segment --label Segment --type choice --choices retail,wholesale >/dev/null ||
  fail "a custom choice field is added"
names=(Альфа Бета Вега Гамма Дельта Ёлка Жасмин Заря Исток Кедр Лада Мир Нива Омега Прогресс
       Радуга Сокол Тайга Уют Феникс Хвоя Цитадель Чайка Шторм Эра Юг Янтарь Aster Bolt Cedar)
cities=(Москва Казань Тверь)
temps=(cold warm hot)
stages=(0.5 0.7 0.9 1.0)
owners=(anna boris vera)
segs=(retail wholesale "")
for i in "${!names[@]}"; do
  seg=${segs[i % 3]}
  k add org --set name="ООО ${names[i]}" --set city="${cities[i % 3]}" \
    --set temperature="${temps[(i / 3) % 3]}" --set stage="${stages[i % 4]}" \
    --set owner="${owners[(i / 2) % 3]}" ${seg:+--set segment=$seg} >/dev/null ||
    fail "organization $i is added"
done
[ "$(k list org | wc -l)" = 30 ] && pass "30 organizations" || fail "30 organizations"
cat > "$T/session.sh" <<SH
"$KT_BIN/kartoteka-gtk" --profile "$P" >"$T/gtk.log" 2>&1 &
pid=\$!
KT_CLI="$KT" KT_PROFILE="$P" PYTHONPATH="$(cd "$(dirname "$0")/../lib" && pwd)" /usr/bin/python3 "$(cd "$(dirname "$0")/../lib" && pwd)/gui_test_list.py" \$pid
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
