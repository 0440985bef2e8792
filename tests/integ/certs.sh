#!/usr/bin/env bash
# Certificates renew themselves (issue 13). With certificates that live 15 s
# (KT_TEST_CERT_SECONDS, honoured for tests only) an office keeps syncing
# across several renewals of the server certificate (new TLS connections get
# the new one at once; the PCs trust the office CA, so nothing changes for
# them) and of every PC's device certificate (renewed over the authenticated
# channel by `sync`, and by a `sync --watch` whose one connection outlives
# several certificates), each bound to the same device id. A replaced device
# certificate is refused; a server started with a due certificate renews it
# first; `kartotekad check` shows the dates, and a CA that ends within a year
# is announced there and in the server's log; `kartotekad ca rotate` replaces
# it (every PC enrolls again, the data stays).
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
export KT_TEST_CERT_SECONDS=15
D=$T/data
init_server "$D"
add_user "$D" anna
add_user "$D" boris head_of_sales
start_server "$D"
enroll "$D" anna "$T/a" || fail "enroll anna"
enroll "$D" boris "$T/b" || fail "enroll boris"
enroll "$D" anna "$T/w" || fail "enroll anna's second PC"
cp "$T/a/device.crt" "$T/a-first.crt"

fpr() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
cn() { openssl x509 -in "$1" -noout -subject -nameopt multiline | sed -n 's/ *commonName *= //p'; }
# the certificate a new TLS connection is shown, verified against the office CA
served() {
  openssl s_client -connect "$SRV_ADDR" -CAfile "$D/ca.crt" -verify_return_error </dev/null 2>/dev/null |
    openssl x509 -noout -fingerprint -sha256 | cut -d= -f2
}
IDA=$(cn "$T/a/device.crt"); IDB=$(cn "$T/b/device.crt"); IDW=$(cn "$T/w/device.crt")
check_contains "device ids are the certificates' names" "$IDA" "$("$KTD" device list --data "$D")"

# anna's second PC stays connected the whole time (live updates)
"$KT" --profile "$T/w" sync --watch >"$T/w.out" 2>"$T/w.err" &
WPID=$!; _bg_pids+=($WPID)

declare -A S A B W
bad=0; n=0
end=$((SECONDS + 42))
while [ $SECONDS -lt $end ]; do
  n=$((n + 1))
  "$KT" --profile "$T/a" add org --set name="Клиент $n" >/dev/null 2>>"$T/a.err" || bad=$((bad + 1))
  "$KT" --profile "$T/a" sync >/dev/null 2>>"$T/a.err" || bad=$((bad + 1))
  "$KT" --profile "$T/b" sync >/dev/null 2>>"$T/b.err" || bad=$((bad + 1))
  S[$(served)]=1; A[$(fpr "$T/a/device.crt")]=1; B[$(fpr "$T/b/device.crt")]=1
  W[$(fpr "$T/w/device.crt")]=1
  [ "$(cn "$T/a/device.crt")" = "$IDA" ] && [ "$(cn "$T/b/device.crt")" = "$IDB" ] &&
    [ "$(cn "$T/w/device.crt")" = "$IDW" ] || bad=$((bad + 100))
  sleep 1
done
echo "rounds $n; server certificates ${#S[@]}, anna ${#A[@]}, boris ${#B[@]}, watching PC ${#W[@]}"
check_eq "every add and sync of $n rounds worked" 0 "$bad"
check "the server renewed its certificate at least 3 times" test "${#S[@]}" -ge 4
check "anna's PC renewed its certificate at least 3 times" test "${#A[@]}" -ge 4
check "boris's PC too" test "${#B[@]}" -ge 4
check "the watching PC too, on its one connection" test "${#W[@]}" -ge 4
check "... which is still running" kill -0 "$WPID"
check_not_contains "... and never went offline" "offline" "$(cat "$T/w.err")"
check_eq "boris received every card" "$n" "$("$KT" --profile "$T/b" list org --json | json 'len(d)')"
for _ in $(seq 50); do
  [ "$("$KT" --profile "$T/w" list org --json | json 'len(d)')" = "$n" ] && break; sleep 0.1
done
check_eq "the watching PC received every card live" "$n" "$("$KT" --profile "$T/w" list org --json | json 'len(d)')"
check_eq "still three devices, the same ids" "3" "$("$KTD" device list --data "$D" | grep -c -e "$IDA" -e "$IDB" -e "$IDW")"
check "device certificates chain to the office CA" openssl verify -CAfile "$D/ca.crt" "$T/a/device.crt" "$T/b/device.crt" "$T/w/device.crt"
check_eq "the server presents its server.crt" "$(fpr "$D/server.crt")" "$(served)"
check_eq "the database keeps the same certificate (what a restore writes back)" \
  "$(fpr "$D/server.crt")" "$(sqlite3 "$D/master.db" "SELECT value FROM meta WHERE key = 'pki_server.crt'" | openssl x509 -noout -fingerprint -sha256 | cut -d= -f2)"
check_contains "renewals are audited" "device.renewed" "$("$KTD" audit --data "$D" --action device.renewed)"
check "the renewals are in the server's log" grep -q "server certificate renewed" "$D.serve.err"

# a replaced certificate is refused: anna's first one, on a copy of her profile
mkdir -p "$T/a2" && cp "$T/a"/{replica.db,device.key,ca.crt} "$T/a2/" && cp "$T/a-first.crt" "$T/a2/device.crt"
check_fails "a replaced device certificate is refused" "expired|not known" "$KT" --profile "$T/a2" sync
check "anna's PC still syncs" "$KT" --profile "$T/a" sync

check_contains "kartotekad check shows the server certificate's dates" "server certificate: valid until" "$("$KTD" check --data "$D")"
check_not_contains "... and no CA warning for a new CA" "warning" "$("$KTD" check --data "$D" 2>&1)"

# a server started with a certificate that is due renews it before it listens
stop_server "$D"
OLD=$(fpr "$D/server.crt")
sleep 11
start_server "$D"
check "a server started after its certificate was due renewed it first" test "$(fpr "$D/server.crt")" != "$OLD"
check_eq "... and presents the new one (it verifies against the CA)" "$(fpr "$D/server.crt")" "$(served)"
check "server alive" kill -0 "$SRV_PID"
kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null
stop_server "$D"; check_eq "server stops cleanly" 0 $?

# the CA's own end is announced a year ahead: a copy of the office whose CA ends in 100 days
cp -a "$D" "$T/old"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/old/ca.key" \
  -out "$T/old/ca.crt" -days 100 -subj "/CN=Kartoteka CA old" 2>/dev/null
check_contains "kartotekad check warns when the CA ends within a year" \
  "warning: the office CA (ca.crt) expires on" "$("$KTD" check --data "$T/old" 2>/dev/null)"
check_contains "... on stderr too" "expires on" "$("$KTD" check --data "$T/old" 2>&1 >/dev/null)"
start_server "$T/old"
check_contains "the server logs it at warning level when it starts" "warn pki: the office CA (ca.crt) expires on" "$(cat "$T/old.serve.err")"
check_fails "a CA is not rotated under a running server" "already running" "$KTD" ca rotate --data "$T/old"
stop_server "$T/old"

# rotating the CA: a new CA and server certificate, every PC enrolled again, the data kept
OLDFPR=$(sqlite3 "$T/old/master.db" "SELECT value FROM meta WHERE key = 'ca_fpr'")
check_contains "kartotekad ca rotate" "3 devices revoked" "$("$KTD" ca rotate --data "$T/old")"
NEWFPR=$(sqlite3 "$T/old/master.db" "SELECT value FROM meta WHERE key = 'ca_fpr'")
check "... a new CA fingerprint" test "$NEWFPR" != "$OLDFPR"
check_eq "... it is the new ca.crt's" "$NEWFPR" "$(openssl x509 -in "$T/old/ca.crt" -noout -fingerprint -sha256 | cut -d= -f2)"
check "... the server certificate is the new CA's" openssl verify -CAfile "$T/old/ca.crt" "$T/old/server.crt"
check_eq "... with the same names" "$(openssl x509 -in "$D/server.crt" -noout -ext subjectAltName | tail -1)" "$(openssl x509 -in "$T/old/server.crt" -noout -ext subjectAltName | tail -1)"
check_eq "... every device revoked" 3 "$("$KTD" device list --data "$T/old" | grep -c revoked)"
check_not_contains "... and no CA warning any more" "warning" "$("$KTD" check --data "$T/old" 2>&1)"
start_server "$T/old"
mkdir -p "$T/a3" && cp "$T/a"/{replica.db,device.key,device.crt,ca.crt} "$T/a3/"
sqlite3 "$T/a3/replica.db" "UPDATE meta SET value = '$SRV_ADDR' WHERE key = 'server'"
check_fails "a PC of the old CA is refused" "certificate" "$KT" --profile "$T/a3" sync
check "anna enrolls again with a new invite" enroll "$T/old" anna "$T/a4"
check "... and syncs" "$KT" --profile "$T/a4" sync
check_eq "... her cards are all there" "$n" "$("$KT" --profile "$T/a4" list org --json | json 'len(d)')"
check_contains "the rotation is audited" "ca.rotate" "$("$KTD" audit --data "$T/old" --action ca.rotate)"
stop_server "$T/old"
finish
