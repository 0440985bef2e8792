#!/usr/bin/env bash
# Tags (issue 18): a multi-value field synced per value. Two PCs tag one card
# offline: both tags survive on both PCs and the master; a removal on one PC and
# an add on the other both survive; the same tag added on both is one tag; a
# manager who may not edit a card cannot tag it (nor by a hand-made push);
# --where tags=…, search, export/import (csv, vCard), history, and the purge of
# a reassigned card's tags on the old owner's PC.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
office anna:head_of_sales boris:head_of_sales mila:manager
k() { "$KT" --profile "$T/$1" "${@:2}"; }
tags() { k "$1" show "$2" --json | json '", ".join(d.get("tags") or [])'; }
mtags() { sqlite3 "$D/master.db" "SELECT coalesce(tags, '') FROM t_$1 WHERE id = '$2'"; }

ORG=$(k anna add org --set name="ООО Ромашка" --set city=Москва)
check "anna syncs the card" k anna sync
check "boris gets it" k boris sync

# offline on both PCs: different tags
check "anna tags the card VIP offline" k anna edit "$ORG" --set tags+=VIP
check "boris tags the card Опт offline" k boris edit "$ORG" --set tags+=Опт
check "anna syncs" k anna sync
check "boris syncs" k boris sync
check "anna syncs again" k anna sync
check_eq "both tags on anna's PC" "VIP, Опт" "$(tags anna "$ORG")"
check_eq "both tags on boris's PC" "VIP, Опт" "$(tags boris "$ORG")"
check_eq "both tags on the master" "VIP, Опт" "$(mtags org "$ORG")"

# one removes, the other adds
k anna edit "$ORG" --set tags-=vip >/dev/null
k boris edit "$ORG" --set tags+=Новый >/dev/null
for u in anna boris anna; do k $u sync >/dev/null || fail "sync $u"; done
check_eq "the removal and the add both survive (anna)" "Новый, Опт" "$(tags anna "$ORG")"
check_eq "... (boris)" "Новый, Опт" "$(tags boris "$ORG")"
check_eq "... (master)" "Новый, Опт" "$(mtags org "$ORG")"

# the same tag on both (spelt differently): one tag
k anna edit "$ORG" --set tags+=Ёлка >/dev/null
k boris edit "$ORG" --set "tags+= елка " >/dev/null
for u in anna boris anna; do k $u sync >/dev/null || fail "sync $u"; done
# (the later of the two spellings wins, like any field: here boris's)
check_eq "the same tag added on both PCs is one tag" "елка, Новый, Опт" "$(tags anna "$ORG")"
check_eq "... on boris's PC too" "$(tags anna "$ORG")" "$(tags boris "$ORG")"
check_eq "one tag record on the master for it" "1" \
  "$(sqlite3 "$D/master.db" "SELECT count(*) FROM t_tagging WHERE org = '$ORG' AND tag IN ('Ёлка', 'елка')")"
# a removed tag added again comes back
k anna edit "$ORG" --set tags-=Новый >/dev/null; k anna sync >/dev/null
k boris sync >/dev/null; k boris edit "$ORG" --set tags+=новый >/dev/null
for u in boris anna; do k $u sync >/dev/null || fail "sync $u"; done
check_eq "a tag removed and added again is back" "елка, Новый, Опт" "$(tags anna "$ORG")"
# replace the set
check "tags=… replaces the set" k anna edit "$ORG" --set "tags=VIP, Опт"
check_eq "... to exactly those" "VIP, Опт" "$(tags anna "$ORG")"
for u in anna boris; do k $u sync >/dev/null || fail "sync $u"; done
check_eq "... on boris's PC too" "VIP, Опт" "$(tags boris "$ORG")"
m=$("$KTD" dump --data "$D")
check_eq "anna's replica equals the master" "$m" "$(k anna dump)"
# the card's history has the changes of its tags: the list before and after, who, which PC
h=$(k anna history "$ORG" --field tags --json)
hl() { echo "$h" | json "$1"; }
check_eq "the first change: anna tagged VIP" "anna: None -> VIP" "$(hl '"%s: %s -> %s" % (d["changes"][0]["user"], d["changes"][0]["old"], d["changes"][0]["new"])')"
check_eq "the second: boris added Опт (the list before and after)" "boris: VIP -> VIP, Опт" \
  "$(hl '"%s: %s -> %s" % (d["changes"][1]["user"], d["changes"][1]["old"], d["changes"][1]["new"])')"
check_eq "the last: the set replaced" "VIP, Опт" "$(hl 'd["changes"][-1]["new"]')"
check_eq "every tag change is a row of the card's history, from a named PC" "ok" \
  "$(hl '"ok" if len(d["changes"]) >= 7 and all(c["field"] == "tags" and c["device"] for c in d["changes"]) else d["changes"]')"
check_eq "boris's replica equals the master" "$m" "$(k boris dump)"

# bad input
check_fails "a comma-only tag list names nothing wrong but a tag with a line break is refused" \
  "line breaks" k anna edit "$ORG" --set "tags+=a$(printf '\001')b"
check_fails "+= on a field that is not tags is refused" "not a tags field" k anna edit "$ORG" --set city+=X
check_fails "a tags field cannot go on a deal" "organizations and contacts" \
  k anna field add deal --name labels --label Метки --type tags
check_fails "--where takes one tag" "one tag per filter" k anna list org --where "tags=VIP,Опт"

# filters, search
O2=$(k anna add org --set name="ЗАО Лютик" --set tags=Розница)
check_eq "--where tags=vip finds the card (contains, folded)" "$ORG" "$(k anna list org --where tags=vip --json | json 'd[0]["id"] if len(d)==1 else d')"
check_contains "--where tags!=VIP lists the others" "$O2" "$(k anna list org --where tags!=VIP)"
check_not_contains "... not the tagged card" "$ORG" "$(k anna list org --where tags!=VIP)"
check_contains "search finds a card by its tag" "$ORG" "$(k anna search опт)"
k anna export csv "$T/vip.csv" --type org --where tags=VIP >/dev/null || fail "export csv"
check_contains "export --where honours tags" "Ромашка" "$(cat "$T/vip.csv")"
check_not_contains "... and leaves the rest out" "Лютик" "$(cat "$T/vip.csv")"
check_contains "the tags are one cell" ';VIP, Опт' "$(cat "$T/vip.csv")"

# import: the csv back into a standalone base, Google's "Labels", a vCard's CATEGORIES
L() { "$KT" --profile "$T/local" "$@"; }
L init --local >/dev/null
check "the exported csv imports" L import csv "$T/vip.csv" --type org
check_eq "... with its tags" "VIP, Опт" "$(L list org --where tags=опт --json | json '", ".join(d[0]["tags"])')"
printf 'Name,Labels\nИП Сидоров,VIP ::: * myContacts ::: Опт\n' >"$T/google.csv"
check "a Google export imports" L import csv "$T/google.csv" --type org
check_eq "... its Labels as tags" "* myContacts, VIP, Опт" \
  "$(L list org --where "name=ИП Сидоров" --json | json '", ".join(d[0]["tags"])')"
CT=$(k anna add contact --set last_name=Петрова --set first_name=Анна --set "tags=Клиент, VIP")
k anna export vcard "$T/c.vcf" --type contact --where tags=клиент >/dev/null || fail "export vcard"
check_contains "vCard CATEGORIES carries the tags" "CATEGORIES:VIP,Клиент" "$(tr -d '\r' <"$T/c.vcf")"
check "the vCard imports" L import vcard "$T/c.vcf" --type contact
check_eq "... with its tags" "VIP, Клиент" "$(L list contact --json | json '", ".join(d[0]["tags"])')"
check "a custom tags field" L field add contact --name hobby --label Увлечения --type tags
LC=$(L list contact --json | json 'd[0]["id"]')
check "... takes tags" L edit "$LC" --set "hobby+=Рыбалка" --set "hobby+=рыбалка"
check_eq "... once" "Рыбалка" "$(L show "$LC" --json | json '", ".join(d["hobby"])')"

# rights: mila (a manager) may not tag anna's card, not even by a hand-made push
check "mila syncs" k mila sync
check_fails "mila cannot tag a card that is not hers" "no card with id" k mila edit "$ORG" --set tags+=Взлом
MO=$(k mila add org --set name="ИП Милина" --set tags=Своя)
check "mila tags her own card and syncs" k mila sync
check_eq "... her tag is on the master" "Своя" "$(mtags org "$MO")"
LIB=$(cd "$(dirname "$0")/../lib" && pwd)
RAW() { local p=$1 u=$2; shift 2
  KT_CERT=$T/$p/device.crt KT_KEY=$T/$p/device.key /usr/bin/python3 "$LIB/rawclient.py" 127.0.0.1 \
    "${SRV_ADDR##*:}" "$D/ca.crt" 'msg:req_id: 1 hello { protocol_version: 1 }' read \
    "msg:req_id: 2 login { user: \"$u\" password: \"correct horse battery\" }" read "$@" 2>>"$T/rc.err"; }
tagid() { /usr/bin/python3 -c 'import hashlib,sys,uuid
h=bytearray(hashlib.sha256(("tag|%s|%s|%s" % tuple(sys.argv[1:4])).encode()).digest()[:16])
h[6]=(h[6]&15)|0x80; h[8]=(h[8]&0x3f)|0x80; print(uuid.UUID(bytes=bytes(h)))' "$@"; }
NOW=$(( $(date +%s%3N) << 16 ))
TID=$(tagid "$ORG" tags взлом)
check_eq "the test derives tag ids like the program" "$(sqlite3 "$T/mila/replica.db" "SELECT id FROM t_tagging WHERE tag = 'Своя'")" "$(tagid "$MO" tags своя)"
# (raw pushes from PCs of their own: their change numbers would pass the real PCs')
enroll "$D" mila "$T/milaraw" && enroll "$D" anna "$T/annaraw" || fail "enroll raw PCs"
before=$("$KTD" dump --data "$D")
tagpush() { # counter type id org field tag
  echo "msg:req_id: $1 push { changes { counter: $1 type: \"tagging\" id: \"$2\" fields { name: \"org\" text: \"$3\" stamp: $NOW } fields { name: \"field\" text: \"$4\" stamp: $NOW } fields { name: \"tag\" text: \"$5\" stamp: $NOW } } }"; }
out=$(RAW milaraw mila "$(tagpush 900001 "$TID" "$ORG" tags Взлом)" read)
check_contains "a hand-made tag on anna's card from mila is refused" "rejected" "${out,,}"
out=$(RAW annaraw anna "$(tagpush 900002 "$(tagid "$ORG" tags other)" "$ORG" tags Взлом)" read \
  "$(tagpush 900003 "$(tagid "$ORG" name x)" "$ORG" name x)" read \
  "msg:req_id: 900004 push { changes { counter: 900004 type: \"org\" id: \"$ORG\" fields { name: \"tags\" text: \"Взлом\" stamp: $NOW } } }" read)
check_contains "a tag whose id is not derived from it is refused" "must be derived" "$out"
check_contains "a tag of a field that is not tags is refused" "not a tags field" "$out"
check_contains "the card's tags field itself cannot be pushed" "list of tags" "$out"
check_eq "the master is unchanged by all of them" "$before" "$("$KTD" dump --data "$D")"
check_eq "... and its tags too" "VIP, Опт" "$(mtags org "$ORG")"

# a reassigned card leaves the old owner's PC with its tags
k anna sync >/dev/null
check "anna gives mila's card to boris" k anna edit "$MO" --set owner=boris
k anna sync >/dev/null
check "mila syncs" k mila sync
check_eq "mila's PC has no tags of the card any more" "0" \
  "$(sqlite3 "$T/mila/replica.db" "SELECT count(*) FROM t_tagging WHERE org = '$MO'")"
check "boris syncs" k boris sync
check_eq "boris has the card with its tag" "Своя" "$(tags boris "$MO")"
check_eq "boris's list --where finds it" "$MO" "$(k boris list org --where tags=своя --json | json 'd[0]["id"]')"

stop_server "$D"
finish
