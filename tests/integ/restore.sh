#!/usr/bin/env bash
# Backups and the restore drill: an online backup while the server runs;
# more edits from two PCs after it; the server's data destroyed; restore from
# the backup alone (keys included); the PCs reconnect, notice the restore,
# re-send what they wrote and re-read — in the end the server holds every edit.
# Bad input: a corrupt backup, restore onto a running server, a full disk.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
D=$T/data
init_server "$D"
add_user "$D" anna head_of_sales; add_user "$D" boris head_of_sales
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
serve() {
  "$KTD" serve --data "$D" --listen 127.0.0.1:$PORT >"$D.serve.out" 2>>"$T/serve.err" &
  SRV_PID=$!; _bg_pids+=($SRV_PID)
  for _ in $(seq 100); do grep -q '^listening' "$D.serve.out" 2>/dev/null && break; sleep 0.05; done
}
serve
for u in anna boris; do
  "$KT" --profile "$T/$u" connect --invite "$("$KTD" invite --data "$D" --user $u --address 127.0.0.1:$PORT)" \
    --password-file "$T/pw" >/dev/null || fail "connect $u"
done
k() { "$KT" --profile "$T/$1" "${@:2}"; }
A1=$(k anna add org --set name="До бэкапа" --set city=Москва); k anna sync >/dev/null; k boris sync >/dev/null

check "online backup while serving" "$KTD" backup --data "$D" --out "$T/b1.db"
check "the backup passes the check" "$KTD" check --data "$D"
check_eq "backup is a checked SQLite file" "ok" "$(sqlite3 "$T/b1.db" 'PRAGMA integrity_check')"
check_fails "restore refused while the server runs" "already running" "$KTD" restore --data "$D" --from "$T/b1.db"

# work after the backup, acknowledged by the server
A2=$(k anna add org --set name="После бэкапа" --set city=Тверь)
k boris edit "$A1" --set city=Казань >/dev/null
B1=$(k boris add contact --set last_name=Сидорова --set org="$A1")
k anna sync >/dev/null; k boris sync >/dev/null
check_eq "server had the late edits" "2" "$("$KTD" dump --data "$D" | grep -cE 'После бэкапа|Сидорова')"

# disaster: the whole data folder is gone
stop_server "$D"
rm -rf "$D"
check "restore from the backup alone" "$KTD" restore --data "$D" --from "$T/b1.db"
check "keys restored with the database" test -f "$D/ca.key" -a -f "$D/server.crt"
check_eq "the server went back to the backup" "0" "$("$KTD" dump --data "$D" | grep -c 'После бэкапа')"
serve
k anna sync >/dev/null 2>"$T/anna.err"; k boris sync >/dev/null 2>"$T/boris.err"
k anna sync >/dev/null; k boris sync >/dev/null
m=$("$KTD" dump --data "$D")
check_contains "anna's post-backup card is back" "После бэкапа" "$m"
check_contains "boris's post-backup contact is back" "Сидорова" "$m"
check_contains "boris's post-backup edit is back" "city=Казань" "$m"
check_eq "anna equals the master" "$m" "$(k anna dump)"
check_eq "boris equals the master" "$m" "$(k boris dump)"

# the server's own daily backups (interval and count are settings)
stop_server "$D"
sqlite3 "$D/master.db" "INSERT OR REPLACE INTO meta VALUES ('backup_interval_s', '1'), ('backup_keep', '2')"
serve
sleep 3.5
check_eq "automatic backups, the newest 2 kept" "2" "$(ls "$D/backups" | grep -c '^master-.*\.db$')"
newest=$(ls "$D/backups"/master-*.db | tail -1)
check_eq "an automatic backup passes the integrity check" "ok" "$(sqlite3 "$newest" 'PRAGMA integrity_check')"
check_contains "the server log carries the audit head after a backup" "audit head " "$(grep 'daily backup written' "$T/serve.err" | tail -1)"
jhead=$(grep 'daily backup written' "$T/serve.err" | tail -1 | sed -n 's/.*audit head \([0-9]*:[0-9a-f]*\).*/\1/p')
stop_server "$D"
check "the logged head is in the audit log" "$KTD" audit --data "$D" --verify --head "$jhead"
check_contains "... and so are the daily backups' heads" "the newest entry of 2 backups" "$(cat "$T/.out")"
serve

# bad input
head -c 20000 /dev/urandom > "$T/junk.db"
stop_server "$D"
before=$(md5sum < "$D/master.db")
check_fails "a corrupt backup is refused" "not a Kartoteka backup|damaged" "$KTD" restore --data "$D" --from "$T/junk.db"
sqlite3 "$T/other.db" "CREATE TABLE x(y); INSERT INTO x VALUES (1);"
check_fails "a foreign database is refused" "not a Kartoteka server" "$KTD" restore --data "$D" --from "$T/other.db"
check_eq "the current database is untouched" "$before" "$(md5sum < "$D/master.db")"
check_fails "backup to a missing folder" "cannot write the backup" "$KTD" backup --data "$D" --out "$T/nowhere/b.db"
check_fails "a device is not a backup file" "not a regular file" "$KTD" backup --data "$D" --out /dev/null
mkdir -p "$T/full"
check_fails "a full disk during backup (ENOSPC injected)" "disk is full" \
  strace -f -o /dev/null -e trace=pwrite64 -e inject=pwrite64:error=ENOSPC:when=3+ \
  "$KTD" backup --data "$D" --out "$T/full/b.db"
check_eq "no half-written backup left" "" "$(ls "$T/full")"
finish
