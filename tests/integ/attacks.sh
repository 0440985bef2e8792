#!/usr/bin/env bash
# A malicious but logged-in client: a manager's PC (a real enrolled device
# certificate) speaking raw protobuf to a real kartotekad. Every attack must be
# refused with a clear error, leave the master as it was (`kartotekad dump`
# before/after) and, where the server audits it, leave a row in the audit log:
# reading colleagues' cards by id or through the feed, writing them, reassigning,
# protected fields, forged device ids, replays, stolen or stale session tokens,
# admin requests without the right, hidden cards in search and on disk, password
# guessing, tampering with the audit log, a revoked PC reconnecting.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
LIB=$(cd "$(dirname "$0")/../lib" && pwd)
D=$T/data
M=$D/master.db
init_server "$D"
"$KTD" role set --data "$D" --role junior --from manager --rights 'org.read=all contact.read=all' >/dev/null \
  || { echo "FAIL: role set junior"; exit 1; }
add_user "$D" anna manager; add_user "$D" boris manager; add_user "$D" head head_of_sales
add_user "$D" jun junior; add_user "$D" victim manager; add_user "$D" asst assistant; add_user "$D" mallory manager
start_server "$D"
# anna2 is anna's second PC: the attacker's raw client uses its certificate, so the
# device counters of anna's normal PC are not disturbed
for p in mallory:mallory boss:bossp anna:anna anna:anna2 boris:boris head:head jun:jun victim:victim; do
  enroll "$D" "${p%%:*}" "$T/${p#*:}" || { echo "FAIL: enroll $p"; exit 1; }
done
k() { "$KT" --profile "$T/$1" "${@:2}"; }
dump() { "$KTD" dump --data "$D"; }
# the audit rows as the human listing prints them, but with the device's id (people
# see the PC's name; who did what is checked here by the certificate's device)
audit() {
  "$KTD" audit --data "$D" --json "$@" | /usr/bin/python3 -c 'import json, sys
for r in json.load(sys.stdin):
    print(r["seq"], r["time"], r["actor"] or "-", r["device"], r["action"],
          r["object"] + (" " + r["detail"] if r["detail"] else ""))'
}
sq() { sqlite3 -cmd '.timeout 5000' "$@"; }
cnt() { grep -o -- "$1" <<<"$2" | wc -l; }
nact() { audit --action "$1" | grep -c .; }  # audit rows of an action so far
# RC PROFILE STEP...: the raw client with PROFILE's device certificate
RC() {
  local p=$1; shift
  KT_CERT=$T/$p/device.crt KT_KEY=$T/$p/device.key \
    /usr/bin/python3 "$LIB/rawclient.py" 127.0.0.1 "${SRV_ADDR##*:}" "$D/ca.crt" "$@" 2>>"$T/rc.err"
}
PW="correct horse battery"
HELLO='msg:req_id: 1 hello { protocol_version: 1 }'
login() { echo "msg:req_id: 2 login { user: \"$1\" password: \"${2:-$PW}\" }"; }
resume() { echo "msg:req_id: 2 resume { token: \"$1\" }"; }
# AS PROFILE USER STEP...: hello and login on PROFILE's certificate, then STEPs
AS() { local p=$1 u=$2; shift 2; RC "$p" "$HELLO" read "$(login "$u")" read "$@"; }
token() { sed -n 's/.*auth_ok {.* token: "\([0-9a-f]*\)".*/\1/p' <<<"$1"; }
now() { echo $(( $(date +%s%3N) << 16 )); }
# push text: CHANGE... each "COUNTER TYPE ID FIELDS" where FIELDS is FieldValue text
push() {
  local s="msg:req_id: 3 push {" c
  for c in "$@"; do
    read -r ctr typ id fields <<<"$c"
    s+=" changes { counter: $ctr type: \"$typ\" id: \"$id\" $fields }"
  done
  echo "$s }"
}
txt() { echo "fields { name: \"$1\" text: \"$2\" stamp: ${3:-$(now)} }"; }
num() { echo "fields { name: \"$1\" num: $2 stamp: ${3:-$(now)} }"; }
uuid7() {
  /usr/bin/python3 -c 'import os,time
b=bytearray(int(time.time()*1000).to_bytes(6,"big")+os.urandom(10))
b[6]=0x70|(b[6]&15); b[8]=0x80|(b[8]&0x3f); h=b.hex()
print(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")'
}

# ---- the office: anna's client with a task, boris's clients (one in the trash) ----
A1=$(k anna add org --set name="Annafirm Alpha" --set phone="+7 495 111-22-33")
AT=$(k anna add task --set title="Call Annafirm" --set org="$A1")
B1=$(k boris add org --set name="Borisfirm Secret" --set phone="+7 495 999-88-77")
B2=$(k boris add org --set name="Borisfirm Trashed")
for u in anna boris; do k $u sync >/dev/null || fail "setup: sync $u"; done
k boris delete "$B2" >/dev/null && k boris sync >/dev/null || fail "setup: boris deletes a card"
[ -n "$A1" ] && [ -n "$AT" ] && [ -n "$B1" ] && [ -n "$B2" ] || { echo "FAIL: setup cards"; exit 1; }
A2DEV=$(k anna2 status --json | json 'd["device"]')
BDEV=$(k boris status --json | json 'd["device"]')

# ---- 1. reading a colleague's card by id ------------------------------------------
RND=$(uuid7)
before=$(dump)
out=$(AS anna2 anna "msg:req_id: 3 get { type: \"org\" id: \"$B1\" }" read \
  "msg:req_id: 4 get { type: \"org\" id: \"$RND\" }" read \
  "msg:req_id: 5 get { type: \"org\" id: \"$A1\" }" read)
hidden=$(grep '^req_id: 3 ' <<<"$out"); missing=$(grep '^req_id: 4 ' <<<"$out")
check_contains "1 get of a colleague's card: not found" "error { code: -4 " "$hidden"
check_eq "1 ... the very same answer as for an id that does not exist" \
  "$(sed "s/$RND/ID/g; s/^req_id: 4 //" <<<"$missing")" "$(sed "s/$B1/ID/g; s/^req_id: 3 //" <<<"$hidden")"
check_not_contains "1 ... nothing of the card in the answers" "Borisfirm" "$out"
check_contains "1 (control) her own card is read by id" "Annafirm Alpha" "$(grep '^req_id: 5 ' <<<"$out")"
check_eq "1 ... master unchanged" "$before" "$(dump)"
check_contains "1 ... audited (get.notfound)" "anna $A2DEV get.notfound $B1 org" "$(audit --action get.notfound)"

# ---- 2. a pull whose feed would hold out-of-scope records --------------------------
out=$(AS anna2 anna 'msg:req_id: 3 pull { }' read)
check_contains "2 anna's full pull has her card" "Annafirm Alpha" "$out"
check_not_contains "2 ... not boris's card id" "$B1" "$out"
check_not_contains "2 ... nor his trashed one" "$B2" "$out"
check_not_contains "2 ... nor his cards' names" "Borisfirm" "$out"
check_not_contains "2 ... nor his phone" "999-88-77" "$out"
out=$(AS jun jun 'msg:req_id: 3 pull { }' read)
check_contains "2 junior (reads all) pulls boris's card" "Borisfirm Secret" "$out"
check_contains "2 ... by its id" "$B1" "$out"
check_not_contains "2 ... without its phone (no see_contacts)" "999-88-77" "$out"
check_not_contains "2 ... nor anna's phone" "111-22-33" "$out"
check_contains "2 ... a full pull is audited" "pull.full" "$(audit --user jun)"

# ---- 3. edit, delete, restore of a colleague's card ---------------------------------
before=$(dump); n0=$(nact denied.push)
out=$(AS anna2 anna "$(push "1001 org $B1 $(txt name Hijacked)" "1002 org $B1 $(num deleted 1)" \
  "1003 org $B2 $(num deleted 0)")" read)
check_eq "3 anna's edit, delete and restore of boris's cards: all rejected" 3 "$(cnt 'status: REJECTED' "$out")"
check_eq "3 ... each with KT_EPERM (-9)" 3 "$(cnt 'code: -9' "$out")"
check_eq "3 ... each with a reason" 3 "$(cnt "reason: \"there is no organization [0-9a-f-]* that you may change\"" "$out")"
out=$(AS jun jun "$(push "1001 org $B1 $(txt name Hijacked)" "1002 org $B1 $(num deleted 1)" \
  "1003 org $B2 $(num deleted 0)")" read)
check_eq "3 junior (reads all, edits own): all rejected" 3 "$(cnt 'status: REJECTED' "$out")"
check_eq "3 ... KT_EPERM" 3 "$(cnt 'code: -9' "$out")"
check_contains "3 ... edit: may not" "you may not change this organization: it is boris\\'s" "$out"
check_contains "3 ... delete/restore: may not" "you may not delete or restore this organization" "$out"
check_eq "3 ... master unchanged" "$before" "$(dump)"
den=$(audit --action denied.push)
check_eq "3 ... audited (denied.push), one row per push, for anna" 1 "$(grep -c -E "^[0-9]+ \S+ anna $A2DEV denied.push ($B1|$B2) .*\(3 of 3 changes of this push refused" <<<"$den")"
check_eq "3 ... and for junior" 1 "$(grep -c -E "^[0-9]+ \S+ jun \S+ denied.push ($B1|$B2) .*\(3 of 3 changes" <<<"$den")"
check_eq "3 ... nothing else" 2 "$(( $(nact denied.push) - n0 ))"

# ---- 4. taking a card over / planting one on a colleague -----------------------------
NEWID=$(uuid7)
before=$(dump); n0=$(nact denied.push)
out=$(AS anna2 anna "$(push "1004 org $B1 $(txt owner anna)" \
  "1005 org $NEWID $(txt name Planted) $(txt owner boris)" "1006 org $A1 $(txt owner boris)")" read)
check_eq "4 owner=anna on boris's card, a new card owned by boris, her card given to boris: rejected" \
  3 "$(cnt 'status: REJECTED' "$out")"
check_eq "4 ... KT_EPERM" 3 "$(cnt 'code: -9' "$out")"
check_eq "4 ... without the reassign right" 2 "$(cnt 'may not give organization cards to another person' "$out")"
out=$(AS jun jun "$(push "1004 org $B1 $(txt owner jun)")" read)
check_contains "4 junior taking boris's card: rejected" "status: REJECTED reason: \"you may not change this organization: it is boris\\'s" "$out"
check_eq "4 ... master unchanged" "$before" "$(dump)"
check_eq "4 ... the planted card is not on the master" 0 "$(sq "$M" "SELECT count(*) FROM t_org WHERE id='$NEWID'")"
check_eq "4 ... audited, a row per push" 2 "$(( $(nact denied.push) - n0 ))"
check_contains "4 ... with the count" "anna $A2DEV denied.push $B1 org: there is no organization $B1 that you may change (3 of 3 changes" "$(audit --action denied.push)"

# ---- 5. protected fields ------------------------------------------------------------
before=$(dump); n0=$(nact denied.push)
out=$(AS jun jun "$(push "1005 org $B1 $(txt phone '+7 000 000-00-00')" "1006 org $B1 $(txt email x@evil.example)")" read)
check_eq "5 junior writing phone/e-mail of boris's card: rejected" 2 "$(cnt 'status: REJECTED' "$out")"
check_contains "5 ... phone is protected" "phone of a colleague\\'s card is protected" "$out"
check_contains "5 ... e-mail is protected" "email of a colleague\\'s card is protected" "$out"
check_eq "5 ... KT_EPERM" 2 "$(cnt 'code: -9' "$out")"
check_eq "5 ... master unchanged" "$before" "$(dump)"
check_eq "5 ... audited" 1 "$(( $(nact denied.push) - n0 ))"
check_contains "5 ... with the reason" "jun" "$(audit --action denied.push | grep "$B1 org: phone of a colleague's card is protected")"

# ---- 6. forged identities -------------------------------------------------------------
out=$(RC anna2 "msg:req_id: 1 hello { protocol_version: 1 device_id: \"00000000-0000-0000-0000-000000000000\" client_name: \"evil\" }" read \
  "$(login anna)" read \
  "msg:req_id: 3 push { changes { counter: 1010 type: \"org\" id: \"$A1\" fields { name: \"city\" text: \"Forgedville\" stamp: $(now) device: \"$BDEV\" } } }" read)
check_contains "6 a push with a forged FieldValue.device and Hello device_id is applied" "push_ack { results { server_seq:" "$out"
line=$(dump | grep "^org $A1 ")
check_contains "6 ... the value is attributed to the certificate's device" "city=Forgedville@" "$line"
check_eq "6 ... (anna2), not boris's" "$A2DEV" "$(grep -o 'city=Forgedville@[0-9]*/[0-9a-f-]*' <<<"$line" | sed 's|.*/||')"
before=$(dump)
out=$(RC anna2 "$HELLO" read "$(login boris)" read)
check_contains "6 logging in as boris on anna's PC (right password): refused" "error { code: -11 message: \"wrong user name or password\"" "$out"
wrong=$(RC anna2 "$HELLO" read "$(login boris "$(cat "$T/wrongpw")")" read)
check_eq "6 ... answered exactly like a wrong password" "$(sed -n 2p <<<"$wrong")" "$(sed -n 2p <<<"$out")"
check_eq "6 ... master unchanged" "$before" "$(dump)"
check_contains "6 ... audited" "boris $A2DEV login.failed" "$(audit --action login.failed)"
check_eq "6 ... the failures count against the PC's own user (anna), not boris" "2 0" \
  "$(sq "$M" "SELECT (SELECT failures FROM srv_user WHERE name='anna')||' '||(SELECT failures FROM srv_user WHERE name='boris')")"
out=$(AS anna2 anna)
check_contains "6 ... anna logs in on her PC (the count starts again)" "auth_ok" "$out"

# ---- 7. replaying a change set ----------------------------------------------------------
P=$(push "1020 org $A1 $(txt comment replay-one)")
out=$(AS anna2 anna "$P" read)
check_contains "7 a change is applied once" "push_ack { results { server_seq:" "$out"
before=$(dump)
out=$(AS anna2 anna "$P" read)
check_contains "7 the same push again: acknowledged as applied, nothing new" "push_ack { results { } }" "$out"
check_eq "7 ... master unchanged" "$before" "$(dump)"
out=$(AS anna2 anna "$(push "1020 org $A1 $(txt comment replay-two)")" read)
check_contains "7 the same change number with other content: a no-op" "push_ack { results { } }" "$out"
check_eq "7 ... master unchanged" "$before" "$(dump)"

# ---- 10. hidden cards through search, lists and the replica's files ---------------------
check "10 anna's PC syncs" k anna sync
check_eq "10 search finds none of boris's cards" 0 "$(k anna search Borisfirm --json | json 'len(d)')"
check_eq "10 ... nor his phone" 0 "$(k anna search 999-88-77 --json | json 'len(d)')"
check_eq "10 list org has exactly anna's cards" \
  "$(sq "$M" "SELECT id FROM t_org WHERE owner='anna' AND COALESCE(deleted,0)=0 ORDER BY id")" \
  "$(k anna list org --json | json '"\n".join(sorted(r["id"] for r in d))')"
check_fails "10 show by id of boris's card: not found" "$B1|not found|no such|there is no" k anna show "$B1"
for f in "$T/anna"/replica.db*; do
  check_eq "10 no trace of boris's cards in $(basename "$f")" 0 "$(grep -a -c -e Borisfirm -e 999-88-77 "$f")"
done

# ---- 9. raising one's own role, editing the users table -----------------------------------
users=$("$KTD" user list --data "$D"); roles=$("$KTD" role list --data "$D"); before=$(dump)
out=$(AS anna2 anna \
  'msg:req_id: 3 admin_request { op: "user.role" args: "anna" params { key: "role" value: "administrator" } }' read \
  'msg:req_id: 4 admin_request { op: "user.add" args: "mallory" params { key: "role" value: "administrator" } params { key: "password" value: "mallory-secret-1" } }' read \
  'msg:req_id: 5 admin_request { op: "user.passwd" args: "boss" params { key: "password" value: "mallory-secret-1" } }' read \
  'msg:req_id: 6 admin_request { op: "invite" args: "boss" }' read \
  'msg:req_id: 7 admin_request { op: "role.set" args: "manager" params { key: "rights" value: "org=all +manage_users" } }' read \
  'msg:req_id: 8 admin_request { op: "device.revoke" args: "'"$BDEV"'" }' read)
check_contains "9 anna making herself administrator: KT_EPERM" \
  'req_id: 3 admin_response { code: -9 message: "only an administrator may do that (your role is manager)" }' "$out"
check_eq "9 ... and adding a user, a password, an invite, a role, a revoke: all KT_EPERM" 6 "$(cnt 'admin_response { code: -9 ' "$out")"
check_not_contains "9 ... no invite handed out" "KT2." "$out"
check_eq "9 user list unchanged" "$users" "$("$KTD" user list --data "$D")"
check_contains "9 ... anna is still a manager" "manager" "$(grep '^anna ' <<<"$users")"
check_eq "9 role list unchanged" "$roles" "$("$KTD" role list --data "$D")"
check_eq "9 ... master unchanged" "$before" "$(dump)"
check_contains "9 ... audited (denied.admin)" "anna $A2DEV denied.admin user.role anna" "$(audit --action denied.admin)"
out=$(AS head head 'msg:req_id: 3 admin_request { op: "user.role" args: "head" params { key: "role" value: "administrator" } }' read)
check_contains "9 head of sales (no manage_users): KT_EPERM" \
  'admin_response { code: -9 message: "only an administrator may do that (your role is head_of_sales)" }' "$out"
check_contains "9 ... head is still head_of_sales" "head_of_sales" "$("$KTD" user list --data "$D" | grep '^head ')"
check_contains "9 ... audited" "head" "$(audit --action denied.admin | grep ' user.role head')"

# ---- 8. session tokens ----------------------------------------------------------------------
nref() { audit --action resume.refused | grep -c .; }
out=$(AS anna2 anna); TK=$(token "$out")
check_eq "8 (control) login hands out a token" 64 "${#TK}"
check_contains "8 (control) resume with it works" "auth_ok" "$(RC anna2 "$HELLO" read "$(resume "$TK")" read)"
r0=$(nref)
out=$(AS anna2 anna 'msg:req_id: 3 logout { }' read); TK=$(token "$out")
check_contains "8 logout" "logged out" "$out"
check_contains "8 ... then resume with its token: refused" 'error { code: -11 message: "the session has ended' \
  "$(RC anna2 "$HELLO" read "$(resume "$TK")" read)"
TK=$(token "$(AS anna2 anna)")
"$KTD" user passwd --data "$D" --user anna --password-file "$T/pw" >/dev/null || fail "8 user passwd"
check_contains "8 after a password change: refused" 'error { code: -11 message: "the password or rights changed' \
  "$(RC anna2 "$HELLO" read "$(resume "$TK")" read)"
TK=$(token "$(AS anna2 anna)")
AS anna2 anna timeout:4 sleep:2.5 read >"$T/live.out" &
live=$!
sleep 0.8
"$KTD" user disable --data "$D" --user anna >/dev/null || fail "8 user disable"
wait $live
check_contains "8 a disabled user's live session is ended (KT_EDISABLED)" "error { code: -25 " "$(sed -n 3p "$T/live.out")"
check_contains "8 after disable: resume refused with KT_EDISABLED" 'error { code: -25 message: "this account is disabled' \
  "$(RC anna2 "$HELLO" read "$(resume "$TK")" read)"
check_contains "8 ... and login too" 'error { code: -25 ' "$(AS anna2 anna)"
"$KTD" user enable --data "$D" --user anna >/dev/null || fail "8 user enable"
TK=$(token "$(AS anna2 anna)")
check_contains "8 anna's token on boris's PC: refused" 'error { code: -11 message: "this session belongs to another device' \
  "$(RC boris "$HELLO" read "$(resume "$TK")" read)"
check_contains "8 a made-up token: refused" 'error { code: -11 message: "the session has ended' \
  "$(RC anna2 "$HELLO" read "$(resume "$(printf '%064d' 7)")" read)"
check_eq "8 ... every refusal audited (resume.refused)" 5 "$(( $(nref) - r0 ))"
check_contains "8 ... with the reason" "boris $BDEV resume.refused" "$(audit --action resume.refused | grep 'another device')"

# ---- 11. password guessing --------------------------------------------------------------------
ms() { sed -n 's/^ms=\([0-9]*\) .*/\1/p' <<<"$1" | tail -1; }
answer() { sed -n 's/^ms=[0-9]* //p' <<<"$1" | tail -1; }
try() { RC victim "$HELLO" read "$(login "$1" "${2:-$PW}")" timed-read; }
# guesses count against the PC's own user: the unknown names are tried on mallory's PC
tryx() { RC mallory "$HELLO" read "$(login "$1" "${2:-$PW}")" timed-read; }
su=0; sv=0
for i in 1 2 3; do
  u=$(tryx nosuchuser "guess $i"); v=$(try victim "guess $i")
  su=$((su + $(ms "$u"))); sv=$((sv + $(ms "$v")))
done
check_eq "11 wrong password of an existing user: the usual message" \
  'req_id: 2 error { code: -11 message: "wrong user name or password" }' "$(answer "$v")"
check_eq "11 ... the same for an unknown user name" "$(answer "$v")" "$(answer "$u")"
check "11 ... in similar time (both verify a hash: ${su} ms vs ${sv} ms for 3 tries)" \
  awk -v a="$su" -v b="$sv" 'BEGIN { exit !(a <= 3 * b && b <= 3 * a) }'
t3=$(date +%s%3N)
# the time each failure was counted (the throttle's reference; the audit row is written
# after that write is synced, so audit times are off by a sync)
lastf() { sq "$M" "SELECT last_failure FROM srv_user WHERE name='victim'"; }
l3=$(lastf)
out=$(try victim "guess 4")
check_contains "11 the 4th guess right away: told to wait" 'error { code: -21 message: "too many wrong passwords; wait 1 s' "$out"
# the wait must not tell which user names exist
check_eq "11 ... the same answer for the 4th guess of an unknown user name" "$(answer "$out")" "$(answer "$(tryx nosuchuser "guess 4")")"
# guess again until the server checks a password again
until_checked() {
  local o
  for _ in $(seq 60); do
    o=$(try victim "$1"); [[ "$o" == *"code: -21"* ]] || break; sleep 0.1
  done
  echo "$o"
}
out=$(until_checked "guess 4"); t4=$(date +%s%3N); l4=$(lastf)
check_contains "11 ... later the 4th guess is checked" "wrong user name or password" "$out"
out=$(until_checked "guess 5"); t5=$(date +%s%3N); l5=$(lastf)
check_contains "11 ... then the 5th" "wrong user name or password" "$out"
ts=($(sq "$M" "SELECT ts FROM srv_audit WHERE actor='victim' AND action='login.failed' ORDER BY seq"))
check_eq "11 five failures audited" 5 "${#ts[@]}"
check "11 ... the guesses told to wait are audited too (login.refused)" \
  test "$(sq "$M" "SELECT count(*) FROM srv_audit WHERE actor='victim' AND action='login.refused' AND detail LIKE 'too many wrong passwords%'")" -ge 1
check "11 ... and those under an unknown name" \
  test "$(sq "$M" "SELECT count(*) FROM srv_audit WHERE actor='nosuchuser' AND action='login.refused'")" -ge 1
check "11 ... the 4th was checked ≥ 1 s after the 3rd (server clock: $((l4 - l3)) ms; client waited $((t4 - t3)) ms)" \
  test $((l4 - l3)) -ge 1000 -a $((t4 - t3)) -ge 800
check "11 ... the 5th ≥ 2 s after the 4th, a growing delay (server: $((l5 - l4)) ms; client: $((t5 - t4)) ms)" \
  test $((l5 - l4)) -ge 2000 -a $((t5 - t4)) -ge 1800
# ten failures lock the account: the earlier ones (and their waits) are taken as done an hour
# ago (failures over a day old that did not lock are forgotten)
sq "$M" "UPDATE srv_user SET failures = 9, last_failure = CAST(strftime('%s', 'now') AS INTEGER) * 1000 - 3600000 WHERE name = 'victim'"
check_contains "11 the 10th failure" "wrong user name or password" "$(try victim "guess 10")"
check_contains "11 ... locks the account" "locked" "$("$KTD" user list --data "$D" | grep '^victim ')"
check_contains "11 ... even the right password is refused with a lock message" \
  'error { code: -20 message: "the account is locked' "$(try victim)"
check_contains "11 ... a lock is per account: anna still logs in" "auth_ok" "$(AS anna2 anna)"
check "11 the administrator lifts the lock" "$KTD" user enable --data "$D" --user victim
check_contains "11 ... and the right password works again" "auth_ok" "$(try victim)"

# ---- 12. editing or deleting audit rows -----------------------------------------------------
for c in C1 C2 C3 C4 C5; do
  cp -a "$D" "$T/$c"; rm -f "$T/$c/master.db-wal" "$T/$c/master.db-shm"
  sq "$M" ".backup '$T/$c/master.db'"
done
check_fails "12 deleting an audit row is refused by a trigger" "append-only" sqlite3 "$T/C1/master.db" "DELETE FROM srv_audit WHERE seq=3"
check_fails "12 editing one too" "append-only" sqlite3 "$T/C1/master.db" "UPDATE srv_audit SET detail='x' WHERE seq=3"
check "12 (control) the copy verifies" "$KTD" audit --data "$T/C1" --verify
sqlite3 "$T/C1/master.db" "DROP TRIGGER srv_audit_no_update; UPDATE srv_audit SET detail='nothing to see' WHERE seq=3" \
  || fail "12 tampering with the copy"
check_fails "12 an edited row: --verify fails and names the row" "row 3" "$KTD" audit --data "$T/C1" --verify
sqlite3 "$T/C2/master.db" "DROP TRIGGER srv_audit_no_delete; DELETE FROM srv_audit WHERE seq=3" || fail "12 tampering with the copy"
check_fails "12 a deleted row: --verify fails and names it" "row 3 is missing" "$KTD" audit --data "$T/C2" --verify
sqlite3 "$T/C3/master.db" "DROP TRIGGER srv_audit_no_update; UPDATE srv_audit SET actor='boss' WHERE action='denied.admin'" \
  || fail "12 tampering with the copy"
check_fails "12 a denied request blamed on someone else: --verify fails" "broken at row [0-9]+" "$KTD" audit --data "$T/C3" --verify
# the newest rows deleted: the shorter chain checks out alone, but a daily backup's head
# (or a head written down earlier) is no longer in it
rm -rf "$T/C4/backups"; mkdir -p "$T/C4/backups"
"$KTD" backup --data "$T/C4" --out "$T/C4/backups/master-20261201-030000.db" >/dev/null || fail "12 backup of the copy"
check_contains "12 (control) the backup's head is in the log" "the newest entry of 1 backup" \
  "$("$KTD" audit --data "$T/C4" --verify)"
sqlite3 "$T/C4/master.db" "DROP TRIGGER srv_audit_no_delete; DELETE FROM srv_audit WHERE seq > (SELECT max(seq) - 2 FROM srv_audit)" \
  || fail "12 tampering with the copy"
check_fails "12 the newest rows deleted: --verify fails against the backup" \
  "master-20261201-030000.db holds row [0-9]+, but the log ends at row [0-9]+; its newest rows were deleted" \
  "$KTD" audit --data "$T/C4" --verify
sqlite3 "$T/C4/backups/master-20261201-030000.db" "UPDATE meta SET value='another-history' WHERE key='epoch'"
check_contains "12 a backup from before a restore is not compared" "1 made before a restore not compared" \
  "$("$KTD" audit --data "$T/C4" --verify)"
rm -rf "$T/C5/backups"
head5=$("$KTD" audit --data "$T/C5" --verify | sed -n 's/^head: \([0-9]*:[0-9a-f]*\).*/\1/p')
check_contains "12 --verify prints the head to keep" ":" "$head5"
check "12 (control) the kept head is found" "$KTD" audit --data "$T/C5" --verify --head "$head5"
check "12 ... by its first 16 hex digits too" "$KTD" audit --data "$T/C5" --verify --head "${head5:0:$(( ${#head5} - 48 ))}"
sqlite3 "$T/C5/master.db" "DROP TRIGGER srv_audit_no_delete; DELETE FROM srv_audit WHERE seq = (SELECT max(seq) FROM srv_audit)" \
  || fail "12 tampering with the copy"
check_fails "12 the newest row deleted: --verify --head fails" "its newest rows were deleted" \
  "$KTD" audit --data "$T/C5" --verify --head "$head5"
check_fails "12 a mistyped head is a clear error" "give it as SEQ:HASH" "$KTD" audit --data "$T/C5" --verify --head "12:xyz"
check "12 the real log is intact" "$KTD" audit --data "$D" --verify
check_contains "12 ... says so" "the audit log is intact" "$(cat "$T/.out")"

# ---- 13. a revoked device ---------------------------------------------------------------------
check_contains "13 (control) anna2 connects before the revoke" "auth_ok" "$(AS anna2 anna)"
check_contains "13 the admin finds the device" "$A2DEV" "$("$KTD" device list --data "$D")"
AS anna2 anna timeout:4 sleep:2.5 read >"$T/live.out" &
live=$!
sleep 0.8
check "13 revoke" "$KTD" device revoke --data "$D" --id "$A2DEV"
wait $live
check_contains "13 its live session is ended at once" "error { code: -23 " "$(sed -n 3p "$T/live.out")"
before=$(dump)
out=$(RC anna2 read expect-close)
check_contains "13 reconnecting: refused right after the TLS handshake (KT_EREVOKED)" \
  'error { code: -23 message: "this device was revoked by the administrator' "$out"
check_contains "13 ... and the connection is closed" "closed" "$out"
out=$(RC anna2 "$HELLO" read "$(login anna)" read 2>/dev/null)
check_not_contains "13 ... no way to log in" "auth_ok" "$out"
check_eq "13 ... master unchanged" "$before" "$(dump)"
check_contains "13 ... the revoke is audited" "admin.device.revoke $A2DEV" "$(audit --action admin.device)"
check "13 anna's other PC still logs in" k anna login --password-file "$T/pw"
check "13 ... and syncs" k anna sync

# ---- 14. live updates carry only what the subscriber may read ------------------------------
AS boris boris 'msg:req_id: 3 subscribe { }' read timeout:6 read read read >"$T/sub.out" &
sub=$!
sleep 1
k head add org --set name=NotifySecret --set owner=anna >/dev/null
k head add org --set name=NotifyVisible --set owner=boris >/dev/null
check "14 head of sales sends two cards (anna's and boris's) in one push" k head sync
wait $sub
out=$(cat "$T/sub.out")
check_contains "14 boris's live connection gets the change set with the notify" "NotifyVisible" "$out"
check_not_contains "14 ... without anna's card" "NotifySecret" "$out"

# ---- 15. a field named twice in one change -------------------------------------------------
# the rights check once read one occurrence and the merge kept the other (the higher stamp)
enroll "$D" anna "$T/anna3" || fail "15 enroll anna's third PC"
enroll "$D" asst "$T/asst" || fail "15 enroll the assistant's PC"
check_contains "13 a revoked device's attempt is audited" "anna $A2DEV device.refused" "$(audit --action device.refused)"
N1=$(uuid7); N2=$(uuid7)
lo=$(now); hi=$(( lo + 65536 ))
before=$(dump); n0=$(nact denied.push)
out=$(AS anna3 anna "$(push "2001 org $N1 $(txt name Twice) $(txt owner boris $hi) $(txt owner anna $lo)" \
  "2002 note $N2 $(txt title Planted) $(txt org "$B1" $hi) $(txt org "$A1" $lo)" \
  "2003 org $A1 $(txt city Same $hi) $(txt city Same $hi)")" read)
check_eq "15 owner twice (colleague higher), org twice (colleague's card higher), a field twice: refused" \
  3 "$(cnt 'status: REJECTED' "$out")"
check_eq "15 ... as invalid (KT_EINVAL)" 3 "$(cnt 'code: -1 }' "$out")"
check_contains "15 ... saying why" "field owner is named twice in one change" "$out"
check_eq "15 ... master unchanged" "$before" "$(dump)"
check_eq "15 ... no card planted on boris" 0 "$(sq "$M" "SELECT count(*) FROM t_org WHERE id='$N1'")"
check_eq "15 ... no note planted in boris's card" 0 "$(sq "$M" "SELECT count(*) FROM t_note WHERE id='$N2'")"
check_eq "15 ... audited, one row" 1 "$(( $(nact denied.push) - n0 ))"

# ---- 16. a value sent with exactly the stored stamp ------------------------------------------
# the check skipped it ("changes nothing"), the merge broke the tie by device id: a device
# enrolled later (anna3, asst) won. Stamps are visible to anyone who reads the record.
stamp_of() { dump | grep "^$1 $2 " | grep -o " $3=[^@]*@[0-9]*" | sed 's/.*@//'; }
k bossp field add org --name prio --label "Priority" --type text >/dev/null && k bossp sync >/dev/null \
  || fail "16 setup: the administrator adds a custom field"
FD=$(sq "$M" "SELECT id FROM t_field_def WHERE name='prio'")
H1=$(k head add org --set name="Given to anna" --set owner=anna)
k head sync >/dev/null || fail "16 setup: head gives anna a card"
check_eq "16 (control) the card is anna's" "anna" "$(sq "$M" "SELECT owner FROM t_org WHERE id='$H1'")"
before=$(dump); n0=$(nact denied.push)
out=$(AS anna3 anna "$(push "2010 field_def $FD $(txt label Hacked "$(stamp_of field_def "$FD" label)")")" read \
  "$(push "2011 org $H1 $(txt owner boris "$(stamp_of org "$H1" owner)")")" read)
check_contains "16 a manager relabelling the administrator's field with its stamp: refused" \
  "you may not change this field definition" "$out"
check_contains "16 a manager giving away (stored stamp) the card his head assigned him: refused" \
  "may not give organization cards to another person" "$out"
out=$(AS asst asst "$(push "2012 org $B1 $(txt name Renamed "$(stamp_of org "$B1" name)")")" read)
check_contains "16 a read-only role renaming a colleague's card with its stamp: refused" \
  "you may not change this organization" "$out"
check_eq "16 ... KT_EPERM" 1 "$(cnt 'code: -9' "$out")"
check_eq "16 ... master unchanged" "$before" "$(dump)"
check_eq "16 ... audited" 3 "$(( $(nact denied.push) - n0 ))"
out=$(AS anna3 anna "$(push "2013 org $A1 $(txt comment "same stamp, own card" "$(stamp_of org "$A1" comment)")")" read)
check_contains "16 (control) the same stamp on her own card wins the tie and is applied" "server_seq:" "$out"

# ---- 17. refusals that are not about rights carry a code and are audited ------------------
n0=$(nact denied.push)
FAR=$(( ($(date +%s%3N) + 3600000) << 16 ))
out=$(AS anna3 anna "$(push "2020 org $A1 $(txt city Future $FAR)" "2021 org $A1 $(txt employees many)" \
  "2022 conflict $(uuid7) $(txt value x)" "2023 nosuch $(uuid7) $(txt x y)" "2024 org not-an-id $(txt city x)")" read)
check_eq "17 clock, invalid value, server-only type, unknown type, bad id: all refused" 5 "$(cnt 'status: REJECTED' "$out")"
check_eq "17 ... none without a code" 0 "$(grep -o 'results { status: REJECTED reason: "[^"]*" }' <<<"$out" | wc -l)"
check_contains "17 ... the clock one as KT_ECLOCK" "ahead of the server\\'s; set the correct time" "$out"
check_eq "17 ... KT_ECLOCK (-15)" 1 "$(cnt 'code: -15' "$out")"
check_eq "17 ... audited like rights refusals" 1 "$(( $(nact denied.push) - n0 ))"
check_contains "17 ... with the count" "(5 of 5 changes of this push refused" "$(audit --action denied.push)"

# ---- 18. what one hostile push may cost the other PCs -------------------------------------------
n0=$(nact denied.push)
res=$(/usr/bin/python3 "$LIB/bigpush.py" 127.0.0.1 "${SRV_ADDR##*:}" "$D/ca.crt" asst "$PW" "$T/asst" "$T/anna" 5000 "$B1")
echo "measured, a push of 5000 refused changes: $res"
check_eq "18 a push of 5000 refused changes: all refused" "answer=push_ack refused=5000" "$(grep -o 'answer=[^ ]* refused=[0-9]*' <<<"$res")"
check_eq "18 ... one audit row" 1 "$(( $(nact denied.push) - n0 ))"
check_contains "18 ... with the count" "(5000 of 5000 changes of this push refused" "$(audit --action denied.push | tail -1)"
ms=$(sed -n 's/.*ping_max_ms=\([0-9-]*\).*/\1/p' <<<"$res")
[ "${ms:-9999}" -ge 0 ] && [ "${ms:-9999}" -lt 1000 ] && pass "18 ... another PC waited ${ms} ms at most (< 1000)" \
  || fail "18 ... another PC waited too long" "$res"
res=$(/usr/bin/python3 "$LIB/bigpush.py" 127.0.0.1 "${SRV_ADDR##*:}" "$D/ca.crt" asst "$PW" "$T/asst" "$T/anna" 200000 "$B1")
echo "measured, a push of 200000 refused changes: $res"
check_contains "18 a push of 200000 changes: refused whole (KT_ETOOBIG)" "answer=error:-13" "$res"
ms=$(sed -n 's/.*ping_max_ms=\([0-9-]*\).*/\1/p' <<<"$res")
[ "${ms:-9999}" -ge 0 ] && [ "${ms:-9999}" -lt 1000 ] && pass "18 ... another PC waited ${ms} ms at most (< 1000)" \
  || fail "18 ... another PC waited too long" "$res"
check_contains "18 ... audited" "a push may hold at most 5000 changes" "$(audit --action denied.push | tail -1)"

# ---- 19. an assignee records results but does not move the task -----------------------------
# junior reads every card and edits his own; boris gives him a call on boris's client
JT=$(k boris add task --set title="Call Borisfirm for boris" --set org="$B1" --set assignee=jun)
k boris sync >/dev/null || fail "19 setup: boris assigns junior a task on his card"
J1=$(k jun add org --set name="Junfirm")
k jun sync >/dev/null || fail "19 setup: junior's own card"
before=$(dump); n0=$(nact denied.push)
out=$(AS jun jun "$(push "2030 task $JT $(txt org "$J1")")" read)
check_contains "19 junior moving boris's task (assigned to him) into his own card: refused" \
  "you may not move this task to another card or person" "$out"
out=$(AS jun jun "$(push "2031 task $JT $(txt assignee head)")" read)
check_contains "19 ... nor passing it to somebody else" "you may not move this task" "$out"
J2=$(uuid7)
out=$(AS jun jun "$(push "2032 task $J2 $(txt title Planted) $(txt org "$B1") $(txt assignee jun)")" read)
check_contains "19 ... nor creating a task on boris's card by assigning it to himself" "you may not create this task" "$out"
check_eq "19 ... master unchanged" "$before" "$(dump)"
out=$(AS jun jun "$(push "2033 task $JT $(txt status done)")" read)
check_contains "19 ... but he records that it is done" "server_seq:" "$out"
check_eq "19 ... which boris sees" "done" "$(k boris sync >/dev/null; k boris show "$JT" --json | json 'd["status"]')"

check "server alive" kill -0 "$SRV_PID"
stop_server "$D"; check_eq "clean shutdown" 0 $?
finish
