#!/usr/bin/env bash
# kartoteka report through the real CLI: human tables, --json and --csv of
# hand-checked numbers, --help, bad input (unknown report, measure, period,
# option: a clear error naming the valid ones and a non-zero exit), `today`
# listing the user's lapsed clients and `show` an organization's sales.
# With a real kartotekad: a manager's reports cover only her own clients
# (offline too: they read the replica), asking for a colleague's is refused,
# the head of sales sees everybody's, and an undated quote synced through the
# server is left out and counted in a note.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
k() { "$KT" --profile "$T/$1" "${@:2}"; }
py() { /usr/bin/python3 -c "$@"; }

# ---- a standalone card index -------------------------------------------------------------
k solo init --local --user ivanov >/dev/null
R=$(k solo add org --set name="ООО Ромашка" --set phone="+7 495 123-45-67")
L=$(k solo add org --set name="Лютик")
V=$(k solo add org --set name="Василёк" --set owner=petrov)
for d in 2026-01-10 2026-02-10 2026-03-12 2026-04-10; do
  k solo add deal --set org="$R" --set date=$d --set amount=1000 --set state=invoice >/dev/null
done
k solo add deal --set org="$L" --set date=2026-06-01 --set amount=500 --set paid=200 >/dev/null
k solo add deal --set org="$V" --set date=2026-05-15 --set amount=2000 >/dev/null
k solo add deal --set org="$V" --set date=2026-06-15 --set amount=-100 >/dev/null
check "a deal may have no date (a quote)" k solo add deal --set org="$L" --set amount=300 --set state=quote

# ABC as of 2026-07-01 (the 12 months before): Ромашка 4000, Василёк 2000 - 100
# refund = 1900, Лютик 500; total 6400. Before Василёк 62.5 % -> A; before
# Лютик 92.19 % -> B.
J=$(k solo report abc --at 2026-07-01 --json)
check_eq "abc --json: the clients by value" "ООО Ромашка 4000.00 A|Василёк 1900.00 A|Лютик 500.00 B" \
  "$(echo "$J" | json '"|".join("%s %s %s" % (c["client"], c["value"], c["class"]) for c in d["tables"]["clients"])')"
check_eq "... shares are numbers, exact to 0.01 %" "62.5 92.19 100.0" \
  "$(echo "$J" | json '" ".join(str(c["cumulative"]) for c in d["tables"]["clients"])')"
check_eq "... the undated deal is left out and counted" "['left out: 1 deal without a date']" \
  "$(echo "$J" | json 'd["notes"]')"
check_eq "... the params are the defaults filled in" "amount 2025-07-02 2026-07-01 75/20/5" \
  "$(echo "$J" | json '" ".join(d["params"][k] for k in ("measure", "from", "to", "split"))')"
H=$(k solo report abc --at 2026-07-01)
check_contains "human: a heading" "ABC analysis (75/20/5): sales, 2025-07-02 .. 2026-07-01" "$H"
check_contains "human: aligned columns" "     1  ООО Ромашка  ivanov  4000.00    62.50         62.50  A" "$H"
check_not_contains "human: ids stay out of the table" "$R" "$H"
check_contains "human: the notes" "  - left out: 1 deal without a date" "$H"
k solo report abc --at 2026-07-01 --csv > "$T/abc.csv"
check_eq "--csv: Excel's CSV (BOM, ';', CRLF) of the main table" "efbbbf" "$(head -c 3 "$T/abc.csv" | od -An -tx1 | tr -d ' \n')"
check_eq "... a header of labels, then rows" $'Rank;Client;Id;Owner;Sum;Share %;Cumulative %;Class\r' \
  "$(head -1 "$T/abc.csv" | tail -c +4)"
check_contains "... with the card's id" "1;ООО Ромашка;$R;ivanov;4000.00;62.50;62.50;A" "$(cat "$T/abc.csv")"
check_eq "--csv --table classes" $'Class;Clients;Clients %;Sum;Share %\r\nA;2;66.67;5900.00;92.19\r' \
  "$(k solo report abc --at 2026-07-01 --csv --table classes | head -2 | tail -c +4)"
check_fails "--table that does not exist" "report abc has no table 'nosuch'; its tables: clients classes" \
  k solo report abc --csv --table nosuch

# lapsed: Ромашка bought monthly (median 30 days) and not for 82 days
check_eq "lapsed --json" "ООО Ромашка +7 495 123-45-67 2026-04-10 30 82 52" \
  "$(k solo report lapsed --at 2026-07-01 --json | json '" ".join(str(c[k]) for c in d["tables"]["clients"] for k in ("client", "phone", "last", "usual", "since", "overdue"))')"
check_contains "today lists the user's lapsed clients" "ООО Ромашка, +7 495 123-45-67: last bought 2026-04-10" "$(k solo today)"
check_eq "today --json: a lapsed entry" "lapsed $R" \
  "$(k solo today --json | json '" ".join(" ".join((x["type"], x["id"])) for x in d if x["type"] == "lapsed")')"
S=$(k solo show "$R")
check_contains "show: the number of purchases" "Purchases            4" "$S"
check_contains "show: first and last purchase" "First purchase       2026-01-10" "$S"
check_contains "show: the debt (nothing paid)" "Debt                 4000.00" "$S"
check_eq "show --json: sales" "4 2026-04-10 4000.00 4000.00" \
  "$(k solo show "$L" --json >/dev/null; k solo show "$R" --json | json '" ".join(str(d["sales"][k]) for k in ("purchases", "last_purchase", "total", "debt"))')"

# every report runs, in every form, with the defaults
for r in period activity lapsed vip abc rfm funnel managers; do
  check "report $r" k solo report $r
  check "report $r --json is one JSON document" sh -c "'$KT' --profile '$T/solo' report $r --json | /usr/bin/python3 -c 'import json,sys; json.load(sys.stdin)'"
  check "report $r --csv" k solo report $r --csv
done
check_contains "--help explains every report" "rfm [--from DATE]" "$(k solo report --help)"
check_contains "... its segments" "champions (R 4-5, F 4-5, M 4-5)" "$(k solo report --help)"
check_contains "help report" "The client file per period" "$(k solo help report)"

# bad input: a clear error naming the valid values, a non-zero exit
check_fails "an unknown report" "unknown report 'top'; the reports are: period activity lapsed vip abc rfm funnel managers" \
  k solo report top
check_fails "no report named" "which report\? one of: period activity" k solo report
check_fails "an unknown measure" "unknown measure 'profit'; use amount \(sales\), paid \(payments\) or units" \
  k solo report abc --measure profit
check_fails "an unknown period" "unknown period 'week'; use month, quarter or year" k solo report period --period week
check_fails "an option the report has not" "report lapsed has no option --month; its options:" k solo report lapsed --month 2026-01
check_fails "an unknown option" "unknown option '--colour'" k solo report funnel --colour red
check_fails "a bad date" "--at: bad date" k solo report abc --at 2026-02-30
check_fails "--json and --csv together" "give --json or --csv, not both" k solo report abc --json --csv
k solo report abc --measure profit >/dev/null 2>&1
check_eq "... the exit status is 2 (a usage error)" "2" "$?"

# ---- with the office server: a manager sees her own clients -------------------------------
D=$T/data
init_server "$D"
add_user "$D" anna manager; add_user "$D" boris manager; add_user "$D" head head_of_sales
start_server "$D"
for u in anna boris head; do enroll "$D" $u "$T/$u" || { echo "FAIL: enroll $u"; exit 1; }; done
A1=$(k anna add org --set name="Клиент Анны")
A2=$(k anna add org --set name="Второй Анны")
B1=$(k boris add org --set name="Клиент Бориса")
k anna add deal --set org="$A1" --set date=2026-06-10 --set amount=300 >/dev/null
k anna add deal --set org="$A2" --set date=2026-06-11 --set amount=100 >/dev/null
k anna add deal --set org="$A2" --set amount=50 --set state=quote >/dev/null
k anna add event --set type=call --set result=reached --set start=2026-06-12T10:00 --set org="$A1" >/dev/null
k boris add deal --set org="$B1" --set date=2026-06-05 --set amount=1000 >/dev/null
for u in anna boris head anna boris; do k $u sync >/dev/null || fail "sync $u"; done
check_eq "the head of sales ranks everybody's clients" "Клиент Бориса|Клиент Анны|Второй Анны" \
  "$(k head report abc --at 2026-07-01 --json | json '"|".join(c["client"] for c in d["tables"]["clients"])')"
check_contains "... an undated quote synced through the server is left out and counted" \
  "left out: 1 deal without a date" "$(k head report abc --at 2026-07-01)"
AJ=$(k anna report abc --at 2026-07-01 --json)
check_eq "a manager's report covers only her own clients" "Клиент Анны|Второй Анны" \
  "$(echo "$AJ" | json '"|".join(c["client"] for c in d["tables"]["clients"])')"
check_eq "... her totals, not the office's (A 300 of 400, B 100)" "300.00 100.00" \
  "$(echo "$AJ" | json '" ".join(c["value"] for c in d["tables"]["classes"][:2])')"
check_contains "... and says so" "only your own clients" "$(echo "$AJ" | json 'd["notes"]')"
check_fails "... a colleague's clients are refused" "your role \(manager\) sees only your own clients" \
  k anna report abc --owner boris
check_eq "managers: a manager gets her own row" "anna 2 400.00 1" \
  "$(k anna report managers --at 2026-06-30 --json | json '" ".join(" ".join(str(m[k]) for k in ("manager", "clients", "sales")) + " " + str(e["call"]) for m, e in zip(d["tables"]["managers"], d["tables"]["events_by_type"]))')"
check_eq "... the head of sales every manager's" "anna 400.00|boris 1000.00" \
  "$(k head report managers --at 2026-06-30 --json | json '"|".join(m["manager"] + " " + m["sales"] for m in d["tables"]["managers"])')"
check_eq "--owner: one manager's clients, for the head of sales" "Клиент Бориса" \
  "$(k head report abc --at 2026-07-01 --owner boris --json | json '"|".join(c["client"] for c in d["tables"]["clients"])')"
stop_server "$D"
check_eq "reports work offline (they read the replica)" "Клиент Анны|Второй Анны" \
  "$(k anna report abc --at 2026-07-01 --json | json '"|".join(c["client"] for c in d["tables"]["clients"])')"
finish
