#!/usr/bin/env bash
# `kartoteka batch [FILE|-]`: one command a line in one process, each through
# the same dispatch as a separate invocation. The same commands give the same
# stdout one by one and in a batch (ids and times aside: two profiles); after
# each command a marker line "\x1e<status>"; a failing line does not stop the
# rest; an unclosed quote is named with its line; --json per line and for the
# whole batch; a coprocess driver reads each answer to its marker, sees another
# process's writes and holds no lock between lines; a read-only card index reads.
source "$(dirname "$0")/../lib/integ.sh"
A=$T/a B=$T/b
RS=$'\x1e'
"$KT" --profile "$A" init --local --user ivanov >/dev/null && "$KT" --profile "$B" init --local --user ivanov >/dev/null ||
  { echo "FAIL: init"; exit 1; }
# the ids and times of two profiles differ: each id becomes ID<n> by first appearance
norm() { /usr/bin/python3 -c '
import re, sys
ids = {}
def idn(m): return ids.setdefault(m.group(0), "ID%d" % (len(ids) + 1))
t = sys.stdin.read()
t = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", idn, t)
t = re.sub(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?([+-]\d\d:\d\d|Z)?", "TIME", t)
sys.stdout.write(t)'; }
# nth FILE N: the stdout of a batch's Nth command (before its marker)
nth() { awk -v n="$2" -v rs="$RS" 'index($0, rs) == 1 {i++; next} i == n - 1' "$1"; }
# one by one: each line of FILE as its own process (the words as a batch splits them: bash's)
one_by_one() { # PROFILE FILE
  local line rc
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    eval "set -- $line"
    "$KT" --profile "$1" "${@:2}" 2>/dev/null; rc=$?
    printf '%s%d\n' "$RS" $rc
  done <"$2"
}

# ---- the same stdout, one by one and in a batch -------------------------------------
cat >"$T/part1" <<'EOF'
PROFILE add org --set "name=ООО Ромашка" --set city=Москва --set phone='+7 495 123-45-67'
PROFILE add org --set name=Лютик\ и\ Ко --set 'city=New York'
PROFILE add contact --set last_name="Иванова \"Маша\"" --set first_name=Мария
PROFILE list org --sort name
PROFILE list org --sort name --json
EOF
sed "s|^PROFILE|$A|" "$T/part1" >"$T/a1"; one_by_one "$A" "$T/a1" >"$T/a1.out"
sed 's|^PROFILE |--profile '"$B"' |' "$T/part1" >"$T/b1"
"$KT" batch "$T/b1" >"$T/b1.out" 2>"$T/b1.err"; rc=$?
check_eq "a batch of adds and lists succeeds" 0 "$rc"
check_eq "... same stdout as one by one (ids and times aside)" "$(norm <"$T/a1.out")" "$(norm <"$T/b1.out")"
check_eq "... a marker line per command" 5 "$(grep -c "^$RS" "$T/b1.out")"
check_eq "... nothing on stderr" "" "$(cat "$T/b1.err")"
# edits, shows, deletes by id: each profile's own ids
ids_of() { grep -oE '^[0-9a-f-]{36}$' "$1" | paste -sd' '; }
read -r AO1 AO2 AC <<<"$(ids_of "$T/a1.out")"
read -r BO1 BO2 BC <<<"$(ids_of "$T/b1.out")"
check_eq "three ids from the batch's adds" 3 "$(ids_of "$T/b1.out" | wc -w)"
part2() { # PROFILE ORG1 ORG2 CONTACT
  cat <<EOF
$1 edit $2 --set city=Тверь --set "comment=a # not a comment"
$1 edit $4 --set org=$2 --set position='Главный бухгалтер'
$1 show $2
$1 show $4 --json
$1 delete $3
$1 list org --trash
$1 restore $3
$1 list contact --json
$1 search Ромашка
EOF
}
part2 "$A" "$AO1" "$AO2" "$AC" >"$T/a2"; one_by_one "$A" "$T/a2" >"$T/a2.out"
part2 "--profile $B" "$BO1" "$BO2" "$BC" >"$T/b2"
"$KT" batch - <"$T/b2" >"$T/b2.out" 2>"$T/b2.err"; rc=$?
check_eq "edits, shows, trash and search in a batch (from stdin) succeed" 0 "$rc"
check_eq "... same stdout as one by one" "$(norm <"$T/a2.out")" "$(norm <"$T/b2.out")"
check_contains "... the edit is there" "a # not a comment" "$(cat "$T/b2.out")"
check_eq "... the cards are the same in both profiles" "$("$KT" --profile "$A" list org --sort name --json | norm)" \
  "$("$KT" --profile "$B" list org --sort name --json | norm)"

# ---- markers, failures, bad lines ---------------------------------------------------
K="$KT --profile $B"
printf '%s\n' "show $BO1" "show no-such-card" "list" "# a comment" "" "frobnicate" \
  "add org --set \"name=unclosed" "edit $BO2 --set city=Казань" "batch" "sync --watch" \
  "list org --no-such-option" "show $BO2" >"$T/bad"
$K batch "$T/bad" >"$T/bad.out" 2>"$T/bad.err"; rc=$?
check_eq "a batch with failing lines exits 1" 1 "$rc"
check_eq "the markers carry each line's status (blank and comment lines have none)" "0 1 2 2 2 0 2 2 2 0" \
  "$(grep "^$RS" "$T/bad.out" | tr -d "$RS" | paste -sd' ')"
check_contains "a failing line does not stop the rest" "Казань" "$(tail -12 "$T/bad.out")"
check_contains "an unclosed quote is named with its line number" "batch: line 7: a double quote" "$(cat "$T/bad.err")"
check_eq "the card of the bad line was not added" 0 "$($K list org | grep -c unclosed)"
check_contains "batch inside batch is refused" "batch cannot run inside batch" "$(cat "$T/bad.err")"
check_contains "sync --watch is refused" "sync cannot run inside batch" "$(cat "$T/bad.err")"
check_contains "an unknown command says so" "unknown command 'frobnicate'" "$(cat "$T/bad.err")"
out=$($K batch </dev/null); rc=$?
check_eq "an empty batch exits 0 and prints nothing" "0 []" "$rc [$out]"
check_fails "a missing file" "cannot read $T/none" $K batch "$T/none"
check_fails "two files is a usage error" "usage: kartoteka batch" $K batch a b

# ---- --json per line, for the whole batch, and the profile per line ---------------------
printf '%s\n' "--json show $BO1" "show $BO1" "show $BO1 --json" >"$T/json"
$K batch "$T/json" >"$T/json.out"
check_eq "--json at the start of a line: JSON" "ООО Ромашка" "$(nth "$T/json.out" 1 | json 'd["name"]')"
check_eq "... the next line without it: text (the name in its title and its field)" "0 2" \
  "$(nth "$T/json.out" 2 | grep -c '^{') $(nth "$T/json.out" 2 | grep -c 'ООО Ромашка')"
check_eq "... --json after the command" "ООО Ромашка" "$(nth "$T/json.out" 3 | json 'd["name"]')"
printf 'show %s\nlist org --sort name\n--profile %s list org --sort name\n' "$BO1" "$A" >"$T/gjson"
$KT --profile "$B" --json batch "$T/gjson" >"$T/gjson.out"
check_eq "--json before batch applies to every line" "ООО Ромашка" \
  "$(nth "$T/gjson.out" 1 | json 'd["name"]')"
check_eq "... and a line's own --profile is that line's" "$($KT --profile "$A" --json list org --sort name)" \
  "$(nth "$T/gjson.out" 3)"

# ---- a coprocess driver: one process, answers read to their markers ----------------------
coproc KB { KARTOTEKA_BUSY_MS=200 "$KT" --profile "$B" batch - 2>"$T/co.err"; }
ask() { # LINE: OUT its stdout, ST its status
  local l; OUT=""
  printf '%s\n' "$1" >&"${KB[1]}"
  while IFS= read -r -u "${KB[0]}" l; do
    [[ $l == "$RS"* ]] && { ST=${l#"$RS"}; return 0; }
    OUT+="$l"$'\n'
  done
  ST=eof; return 1
}
ask "add org --set name=Купава"; NEW=${OUT%$'\n'}
check_eq "coprocess: add answers with an id and status 0" "36 0" "${#NEW} $ST"
check_contains "another process sees the batch's write at once" "Купава" "$($K show "$NEW" 2>&1)"
check "... and may write meanwhile (no lock held between lines)" env KARTOTEKA_BUSY_MS=200 $K add org --set name=Сторонняя
ask "search Сторонняя"
check_contains "the batch sees another process's write" "Сторонняя" "$OUT"
ask "show no-such-card"; check_eq "coprocess: a failing line's status" 1 "$ST"
ask "list org --json"
check_eq "coprocess: --json per line" "4" "$(printf '%s' "$OUT" | json 'len(d)')"
exec {KB_IN}>&"${KB[1]}"; exec {KB[1]}>&-; exec {KB_IN}>&-   # EOF
wait "$KB_PID"; rc=$?
check_eq "coprocess: EOF ends the batch, 1 after a failed line" 1 "$rc"

# ---- a read-only card index -----------------------------------------------------------
"$KT" --profile "$A" list org >/dev/null
DB=$A/replica.db
chmod 0444 "$DB"; rm -f "$DB-wal" "$DB-shm"
RO="$KT --profile $A"
if [ "$(id -u)" -eq 0 ]; then
  chmod 0711 "$T"; chmod 0777 "$A" "$A/backups" 2>/dev/null
  chmod a+r "$T/a2"
  RO="setpriv --reuid=65534 --regid=65534 --clear-groups -- $KT --profile $A"
fi
sum=$(sha256sum "$DB" | cut -d' ' -f1)
printf '%s\n' "list org --sort name" "show $AO1" "add org --set name=Нельзя" "search Ромашка" | $RO batch >"$T/ro.out" 2>"$T/ro.err"
check_eq "read-only card index: reading lines work, the writing one fails (1)" "0 0 1 0" \
  "$(grep "^$RS" "$T/ro.out" | tr -d "$RS" | paste -sd' ')"
check_contains "... the listing is there" "ООО Ромашка" "$(cat "$T/ro.out")"
check_contains "... the writing line says why" "check the file's owner and permissions" "$(cat "$T/ro.err")"
check_eq "... the file is as it was" "$sum" "$(sha256sum "$DB" | cut -d' ' -f1)"
chmod 0644 "$DB"
if grep -lE 'runtime error:|ERROR: (Address|Leak)Sanitizer' "$T"/*.err >/dev/null 2>&1; then
  fail "no sanitizer reports" "$(grep -lE 'runtime error:|Sanitizer' "$T"/*.err)"
else pass "no sanitizer reports"; fi
finish
