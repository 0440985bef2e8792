#!/usr/bin/env bash
# kartotekad init and offline account administration: a new data folder with
# CA, server certificate and first admin (Argon2id); a second init refused;
# user add/passwd/disable/list; bad input refused with nothing changed.
source "$(dirname "$0")/../lib/integ.sh"
D=$T/data
echo "correct horse battery" > "$T/pw"
echo "short" > "$T/short"

check_fails "init needs --admin" "--admin" "$KTD" init --data "$D"
check_fails "init refuses a weak password" "too short" "$KTD" init --data "$D" --admin boss --password-file "$T/short"
check_eq "nothing left after a refused init" "" "$(ls "$D" 2>/dev/null)"
check "init" "$KTD" init --data "$D" --admin boss --password-file "$T/pw"
check_eq "data folder is private" "700" "$(stat -c %a "$D")"
check_eq "CA key is private" "600" "$(stat -c %a "$D/ca.key")"
check_eq "master database is private" "600" "$(stat -c %a "$D/master.db")"
check "server certificate chains to the CA" openssl verify -CAfile "$D/ca.crt" "$D/server.crt"
check_contains "server certificate names 127.0.0.1" "IP Address:127.0.0.1" "$(openssl x509 -in "$D/server.crt" -noout -text)"
hash=$(sqlite3 "$D/master.db" "SELECT pwhash FROM srv_user WHERE name='boss'")
check_contains "password stored as Argon2id" '$argon2id$' "$hash"
check_not_contains "password not stored in clear" "correct horse" "$(strings "$D/master.db")"
check_eq "synchronous=FULL journal is WAL" "wal" "$(sqlite3 "$D/master.db" 'PRAGMA journal_mode')"
before=$(md5sum < "$D/master.db")
check_fails "second init refused" "already holds a master database" "$KTD" init --data "$D" --admin other --password-file "$T/pw"
check_eq "second init changed nothing" "$before" "$(md5sum < "$D/master.db")"

check "user add" "$KTD" user add --data "$D" --user ivanov --role manager --group Продажи --password-file "$T/pw"
out=$("$KTD" user add --data "$D" --user petrova --role head_of_sales)
check_contains "generated password shown once" "password for petrova" "$out"
js=$("$KTD" user list --data "$D" --json)
check_eq "user list --json" "boss,ivanov,petrova" "$(echo "$js" | json '",".join(u["name"] for u in d)')"
check_eq "role and group kept" "manager Продажи" "$(echo "$js" | json '" ".join([d[1]["role"], d[1]["group"]])')"
check_fails "duplicate user refused" "already exists" "$KTD" user add --data "$D" --user ivanov --password-file "$T/pw"
check_fails "unknown role refused" "unknown role" "$KTD" user add --data "$D" --user x --role king --password-file "$T/pw"
check_fails "bad user name refused" "bad user name" "$KTD" user add --data "$D" --user "a b" --password-file "$T/pw"
check "disable" "$KTD" user disable --data "$D" --user ivanov
check_eq "disabled shown" "True" "$("$KTD" user list --data "$D" --json | json 'd[1]["disabled"]')"
check "passwd" "$KTD" user passwd --data "$D" --user ivanov --password-file "$T/pw"
check_fails "passwd for unknown user" "no user named" "$KTD" user passwd --data "$D" --user ghost --password-file "$T/pw"
check_fails "missing data folder" "does not exist" "$KTD" user list --data "$T/nowhere"
chmod 777 "$D"
check_fails "data folder writable by others refused" "writable by other users" "$KTD" user list --data "$D"
chmod 700 "$D"
check_eq "still three users" "3" "$("$KTD" user list --data "$D" --json | json 'len(d)')"
finish
