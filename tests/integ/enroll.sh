#!/usr/bin/env bash
# Device enrollment and login against a real kartotekad: invites are one-time
# and expire, the client checks the server against the invite's CA
# fingerprint, every later connection is mutual TLS, a revoked device is
# refused at once, wrong passwords are throttled and then lock the account.
# Enrollment is one step that is undone whole: a wrong password or a damaged
# invite spends nothing and leaves no device behind (issue 13).
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
D=$T/data
init_server "$D"
add_user "$D" ivanov
add_user "$D" petrova
start_server "$D"

INV=$("$KTD" invite --data "$D" --user ivanov)
check_contains "invite is a KT2 token" "KT2." "$INV"
check "connect with the invite" "$KT" --profile "$T/p1" connect --invite "$INV" --password-file "$T/pw"
check_eq "device key is private" "600" "$(stat -c %a "$T/p1/device.key")"
check_eq "replica is private" "600" "$(stat -c %a "$T/p1/replica.db")"
check "device certificate chains to the office CA" openssl verify -CAfile "$D/ca.crt" "$T/p1/device.crt"
check_eq "profile knows the server" "server" "$("$KT" --profile "$T/p1" status --json | json 'd["mode"]')"
DEV=$("$KT" --profile "$T/p1" status --json | json 'd["device"]')
check_contains "server lists the device" "$DEV" "$("$KTD" device list --data "$D")"
check_fails "an invite works only once" "already used" "$KT" --profile "$T/p2" connect --invite "$INV" --password-file "$T/pw"
check_eq "nothing left behind by a refused connect" "" "$(ls "$T/p2" 2>/dev/null)"
check_fails "garbage invite" "not a Kartoteka invite" "$KT" --profile "$T/p3" connect --invite "hello" --password-file "$T/pw"

INV2=$("$KTD" invite --data "$D" --user petrova)
sqlite3 "$D/master.db" "UPDATE srv_invite SET expires = 1 WHERE used = 0"
check_fails "expired invite refused" "expired" "$KT" --profile "$T/p4" connect --invite "$INV2" --password-file "$T/pw"

# a server whose certificate does not match the invite's fingerprint
D2=$T/other
init_server "$D2"
"$KTD" user add --data "$D2" --user petrova --password-file "$T/pw" >/dev/null
SAVED_ADDR=$SRV_ADDR; SAVED_PID=$SRV_PID
start_server "$D2"
OTHER_ADDR=$SRV_ADDR; OTHER_PID=$SRV_PID
SRV_ADDR=$SAVED_ADDR; SRV_PID=$SAVED_PID
INV3=$("$KTD" invite --data "$D" --user petrova)
FAKE=$(/usr/bin/python3 - "$INV3" "$OTHER_ADDR" <<'PY'
import base64, hashlib, sys
tok, addr = sys.argv[1], sys.argv[2]
raw = base64.urlsafe_b64decode(tok[4:] + "=" * (-len(tok[4:]) % 4))[:-4]  # KT2: 4-byte check
parts = raw.decode().split("|")
parts[0] = addr  # the right fingerprint, but the wrong server's address
p = "|".join(parts).encode()
print("KT2." + base64.urlsafe_b64encode(p + hashlib.sha256(b"KT2" + p).digest()[:4]).decode().rstrip("="))
PY
)
check_fails "server not matching the invite is refused" "does not match the invite" "$KT" --profile "$T/p5" connect --invite "$FAKE" --password-file "$T/pw"
check "the genuine invite still works afterwards" "$KT" --profile "$T/p5" connect --invite "$INV3" --password-file "$T/pw"

# enrollment is one step: the invite and the password are checked before anything
# is spent, and a failure leaves no device registered on the server
ndev() { "$KTD" device list --data "$D" | wc -l; }
add_user "$D" vera
INV6=$("$KTD" invite --data "$D" --user vera)
N0=$(ndev)
check_fails "connect with a wrong password is refused" "wrong password for vera" "$KT" --profile "$T/p6" connect --invite "$INV6" --password-file "$T/wrongpw"
check_eq "... nothing left behind on the PC" "" "$(ls "$T/p6" 2>/dev/null)"
check_eq "... and no device registered on the server" "$N0" "$(ndev)"
check_fails "an invite missing its last character is damaged" "this invite is damaged \(incomplete or mistyped\): copy it again whole" "$KT" --profile "$T/p6" connect --invite "${INV6%?}" --password-file "$T/pw"
check_fails "... one mistyped character too" "this invite is damaged" "$KT" --profile "$T/p6" connect --invite "${INV6:0:30}$([ "${INV6:30:1}" = A ] && echo B || echo A)${INV6:31}" --password-file "$T/pw"
check_eq "... and no device registered" "$N0" "$(ndev)"
check "the same invite with the right password then works" "$KT" --profile "$T/p6" connect --invite "$INV6" --password-file "$T/pw"
check_eq "... one device more" "$((N0 + 1))" "$(ndev)"
check_eq "... the device is vera's" "vera" "$("$KTD" device list --data "$D" | tail -1 | awk '{print $2}')"
check "... and it syncs" "$KT" --profile "$T/p6" sync
check_fails "... the invite is spent now" "already used" "$KT" --profile "$T/p7" connect --invite "$INV6" --password-file "$T/pw"
check_contains "a wrong password at enrollment is audited" "vera" "$("$KTD" audit --data "$D" --action enroll.failed)"
check_contains "an enrollment is audited" "vera" "$("$KTD" audit --data "$D" --action enroll)"

# password guessing through enrollment is throttled like logins, against the invite's user
add_user "$D" gleb
INV7=$("$KTD" invite --data "$D" --user gleb)
for i in 1 2 3; do "$KT" --profile "$T/p8" connect --invite "$INV7" --password-file "$T/wrongpw" 2>/dev/null; done
check_eq "three failures counted against gleb" 3 "$(sqlite3 "$D/master.db" "SELECT failures FROM srv_user WHERE name = 'gleb'")"
check_fails "then enrollment waits too" "wait [0-9]+ s" "$KT" --profile "$T/p8" connect --invite "$INV7" --password-file "$T/pw"
check_eq "... nothing registered meanwhile" "$((N0 + 1))" "$(ndev)"
sqlite3 "$D/master.db" "UPDATE srv_user SET failures = 10, locked = 1 WHERE name = 'gleb'"
check_fails "a locked account cannot enroll" "locked" "$KT" --profile "$T/p8" connect --invite "$INV7" --password-file "$T/pw"
"$KTD" user enable --data "$D" --user gleb >/dev/null
check "after the unlock the same invite enrolls" "$KT" --profile "$T/p8" connect --invite "$INV7" --password-file "$T/pw"
check_eq "... and the failures are forgotten" 0 "$(sqlite3 "$D/master.db" "SELECT failures FROM srv_user WHERE name = 'gleb'")"
add_user "$D" hana
INV8=$("$KTD" invite --data "$D" --user hana)
"$KTD" user disable --data "$D" --user hana >/dev/null
check_fails "an invite of an account disabled since is refused" "disabled" "$KT" --profile "$T/p9" connect --invite "$INV8" --password-file "$T/pw"
check_eq "... nothing registered" "$((N0 + 2))" "$(ndev)"

# passwords
check "login" "$KT" --profile "$T/p1" login --password-file "$T/pw"
check_fails "wrong password" "wrong user name or password" "$KT" --profile "$T/p1" login --password-file "$T/wrongpw"
"$KT" --profile "$T/p1" login --password-file "$T/wrongpw" 2>/dev/null
"$KT" --profile "$T/p1" login --password-file "$T/wrongpw" 2>/dev/null
check_fails "then delays" "wait [0-9]+ s" "$KT" --profile "$T/p1" login --password-file "$T/pw"
sqlite3 "$D/master.db" "UPDATE srv_user SET failures = 10, locked = 1 WHERE name = 'ivanov'"
check_fails "then a lock" "locked" "$KT" --profile "$T/p1" login --password-file "$T/pw"
check "admin lifts the lock" "$KTD" user enable --data "$D" --user ivanov
check "login after unlock" "$KT" --profile "$T/p1" login --password-file "$T/pw"
check "disable" "$KTD" user disable --data "$D" --user ivanov
check_fails "disabled account refused" "disabled" "$KT" --profile "$T/p1" login --password-file "$T/pw"
"$KTD" user enable --data "$D" --user ivanov >/dev/null

# revocation
check "revoke" "$KTD" device revoke --data "$D" --id "$DEV"
check_fails "revoked device refused at once" "revoked" "$KT" --profile "$T/p1" login --password-file "$T/pw"
check "server alive" kill -0 "$SRV_PID"
stop_server "$D"; check_eq "server stops cleanly" 0 $?
SRV_PID=$OTHER_PID; stop_server "$D2" >/dev/null
finish
