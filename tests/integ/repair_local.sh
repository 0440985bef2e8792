#!/usr/bin/env bash
# A standalone card index (init --local) keeps daily backups of itself
# (issue 13): at most 3, each fsynced and integrity-checked before it counts;
# a damaged card index is never backed up over the good ones. `kartoteka
# repair` restores the newest good backup and reads back from the damaged
# file whatever changed since that it can still read.
source "$(dirname "$0")/../lib/integ.sh"
P=$T/office
k() { "$KT" --profile "$P" "$@"; }
backups() { ls "$P/backups" 2>/dev/null | grep -c '^replica-.*\.db$'; }
age_backups() { touch -d '2 days ago' "$P"/backups/*.db; }

k init --local --user ivanov >/dev/null
/usr/bin/python3 -c '
print("name;city")
for i in range(2000): print(f"Клиент {i};Город {i % 40}")' >"$T/orgs.csv"
check "2,000 cards imported" k import csv "$T/orgs.csv" --type org
check_eq "the first command of the day made a backup" "1" "$(backups)"
check_eq "...only one a day" "1" "$(k list org --json >/dev/null; backups)"
check "the backup passes the integrity check" sqlite3 "$P"/backups/*.db "PRAGMA integrity_check"
check_eq "...it is a whole file (no WAL beside it)" "0" "$(ls "$P/backups" | grep -c -- '-wal')"
for i in 1 2 3; do age_backups; sleep 1.1; k list org --limit 1 >/dev/null; done
check_eq "at most 3 backups are kept" "3" "$(backups)"
NEWEST=$(ls "$P/backups" | sort | tail -1)
check_eq "...the newest holds the 2,000 cards" "2000" \
  "$(sqlite3 "$P/backups/$NEWEST" "SELECT count(*) FROM t_org WHERE deleted = 0")"

# after the backup: a new card and an edit
FIRST=$(k list org --where name="Клиент 0" --json | json 'd[0]["id"]')
NEW=$(k add org --set name="ООО После бэкапа" --set city=Казань)
k edit "$FIRST" --set city=Самара >/dev/null
pages=$(/usr/bin/python3 "$(dirname "$0")/../lib/corrupt.py" "$P/replica.db" t_org 6 "$FIRST" "$NEW")
check_eq "six pages in the middle of the file are overwritten" "6" "$(echo "$pages" | wc -w)"
check_fails "the damaged card index names the repair" "damaged.*kartoteka repair" k list org
age_backups
out=$(k status 2>&1)
check_contains "a damaged card index is not backed up" "no backup made, the card index failed its check" "$out"
check_eq "...the good backups stay" "3" "$(backups)"
check_eq "...the newest is still the good one" "$NEWEST" "$(ls "$P/backups" | sort | tail -1)"

out=$(k repair); rc=$?
check_eq "kartoteka repair succeeds" "0" "$rc"
check_contains "...restores the newest backup" "Restored the backup $P/backups/$NEWEST" "$out"
check_contains "...keeps the damaged file" "replica.db.damaged-" "$out"
check_eq "the card index works again" "2001" "$(k list org --json | json 'len(d)')"
check_eq "the card added after the backup was read back" "Казань" "$(k show "$NEW" --json | json 'd["city"]')"
check_eq "...and the edit" "Самара" "$(k show "$FIRST" --json | json 'd["city"]')"
check "the repaired card index passes the integrity check" sqlite3 "$P/replica.db" "PRAGMA integrity_check"
check "...search works (its index was rebuilt with the rest)" k search "После"
check_contains "...finds the card" "ООО После бэкапа" "$(k search "После")"
check "editing works" k edit "$NEW" --set city=Уфа
finish
