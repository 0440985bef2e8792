#!/usr/bin/env bash
# What people and scripts read from the CLI (issue 13, "rough edges"): human
# tables aligned by display width (Cyrillic, wide characters), --json on every
# listing command with the record type as `kind`, plain UTF-8 and proper
# escaping, the diary's tables, --help and "did you mean" for commands.
source "$(dirname "$0")/../lib/integ.sh"
P=$T/prof
k() { "$KT" --profile "$P" "$@"; }
# dcol TEXT NEEDLE...: the display column where each NEEDLE starts in its line of TEXT
# (wide characters count 2), one number per needle, space-separated
dcol() {
  /usr/bin/python3 - "$@" <<'PY'
import sys, unicodedata
text, needles = sys.argv[1], sys.argv[2:]
def width(s):
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
out = []
for n in needles:
    line = next((l for l in text.splitlines() if n in l), None)
    out.append(str(width(line[:line.index(n)])) if line is not None else "missing")
print(" ".join(out))
PY
}
k init --local --user ivanov >/dev/null

# ---- display width -------------------------------------------------------------
k field add org --name inn --label "ИНН клиента" --type text >/dev/null
k field label org city --label Город >/dev/null
ORG=$(k add org --set name="ООО Ромашка" --set city=Москва --set phone="+7 495 123-45-67" --set inn=7701000001 2>/dev/null)
JP=$(k add org --set name="東京商事" --set city=Tokyo 2>/dev/null)
PL=$(k add org --set name="Łódź Meble" --set city=Kraków 2>/dev/null)
out=$(k show "$ORG")
check_eq "show: values after Cyrillic and Latin labels start in one column" "23 23 23 23" \
  "$(dcol "$out" ivanov Москва 7701000001 "+7 495")"
out=$(k list org --fields city)
check_eq "list: columns after Cyrillic, Polish and wide titles line up" "80 80 80" \
  "$(dcol "$out" Москва Tokyo Kraków)"

finish
