#!/usr/bin/env bash
# The store mode of the command table (issue 14): cli_main opens the profile's
# card index as the command's entry declares. A reading command works on a
# card index whose file is read-only (chmod 0444) and leaves it as it was; a
# writing one refuses clearly and writes nothing; sub-commands declare their
# own mode (template list reads, template add writes).
source "$(dirname "$0")/../lib/integ.sh"
P=$T/prof
k() { "$KT" --profile "$P" "$@"; }
DB=$P/replica.db

check "init --local" k init --local --user ivanov
ORG=$(k add org --set name="ООО Ромашка" --set city=Москва)
check_eq "add prints an id" 36 "${#ORG}"
k add contact --set last_name=Иванова --set org="$ORG" >/dev/null
printf 'Здравствуйте, {{org.name}}!\n' >"$T/body.txt"
check "a group to list" k group add "Отдел продаж"
check "a template to list" k template add --name hello --subject Привет --body-file "$T/body.txt"
k list org >/dev/null # today's backup is made: the read-only runs below make none
# the card index read-only, as a copy on a read-only share would be. Root
# writes whatever the mode says: as root, the commands run as nobody (the
# folder stays writable for SQLite's -wal/-shm files, the card index is not)
chmod 0444 "$DB"
# (no connection is open: what a WAL file held is in the card index, as in a copy of it)
[ -s "$DB-wal" ] && fail "the WAL is checkpointed when no command runs" "$(ls -la "$DB-wal")"
rm -f "$DB-wal" "$DB-shm"
if [ "$(id -u)" -eq 0 ]; then
  chmod 0711 "$T"
  chmod 0777 "$P" "$P/backups"
  chmod a+r "$T/body.txt"
  k() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$KT" --profile "$P" "$@"; }
fi
sum_before=$(sha256sum "$DB" | cut -d' ' -f1)

check_contains "list reads a read-only card index" "ООО Ромашка" "$(k list org 2>&1)"
check_contains "search too" "ООО Ромашка" "$(k search Ромашка 2>&1)"
check_contains "show too" "Москва" "$(k show "$ORG" 2>&1)"
check_eq "show --json too" "ООО Ромашка" "$(k show "$ORG" --json | json 'd["name"]')"
check_contains "dump too" "$ORG" "$(k dump 2>&1)"
check "today too" k today
check "agenda too" k agenda
check "check too" k check
check_contains "status too" "ivanov" "$(k status 2>&1)"
check_contains "a reading sub-command too: field list" "city" "$(k field list org 2>&1)"
check_contains "... template list" "hello" "$(k template list 2>&1)"
check_contains "... section list" "org" "$(k section list 2>&1)"
check_contains "... group list" "Отдел продаж" "$(k group list 2>&1)"
check "... remind list" k remind list
check "... outbox list" k outbox list
check "duplicates too" k duplicates --type org
check_eq "the reading commands left the file as it was" "$sum_before" "$(sha256sum "$DB" | cut -d' ' -f1)"

# writing commands refuse clearly, exit 1, and write nothing
check_fails "add refuses a read-only card index" "check the file's owner and permissions" k add org --set name=Лютик
k add org --set name=Лютик >/dev/null 2>&1
check_eq "... exit 1 (an error, not a usage error)" 1 "$?"
check_fails "edit too" "check the file's owner and permissions" k edit "$ORG" --set city=Тверь
check_fails "delete too" "check the file's owner and permissions" k delete "$ORG"
check_fails "a writing sub-command too: field add" "check the file's owner and permissions" k field add org --name zz_extra --label Extra --type int
check_fails "... template add" "check the file's owner and permissions" k template add --name x --body-file "$T/body.txt"
check_fails "... remind days" "check the file's owner and permissions" k remind days 3
check_eq "nothing was written" "$sum_before" "$(sha256sum "$DB" | cut -d' ' -f1)"
chmod 0644 "$DB"
k() { "$KT" --profile "$P" "$@"; }
check_eq "writable again: the card is as it was" "Москва" "$(k show "$ORG" --json | json 'd["city"]')"
check "and writing works again" k edit "$ORG" --set city=Тверь
check_eq "... the change is there" "Тверь" "$(k show "$ORG" --json | json 'd["city"]')"
finish
