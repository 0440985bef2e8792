#!/usr/bin/env bash
# Birthdays follow the client (issue 13): a contact of an organization is the
# organization owner's client (the scope the replica and the server use), so
# when the head of sales hands an organization over to another manager, its
# contacts' birthdays are reminded to the new manager, and the old one's PC no
# longer has them. A contact the head of sales wrote on a manager's
# organization is that manager's birthday too; a contact without an
# organization stays its own owner's.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
office anna:manager boris:manager head:head_of_sales
k() { "$KT" --profile "$T/$1" "${@:2}"; }

ORG=$(k anna add org --set name="ООО Берёзка")
k anna add contact --set last_name=Сидорова --set first_name=Мария --set org="$ORG" \
  --set birthday="$(date +1980-%m-%d)" >/dev/null
k anna add contact --set last_name=Кузнецов --set first_name=Пётр --set org="$ORG" \
  --set birthday="$(date -d '+1 day' +1975-%m-%d)" >/dev/null
k anna add contact --set last_name=Одинокова --set first_name=Вера \
  --set birthday="$(date +1990-%m-%d)" >/dev/null
k anna sync >/dev/null || fail "anna syncs"
check_contains "before: anna's day has her client's birthday" "Birthday: Сидорова Мария" "$(k anna today)"

k head sync >/dev/null
check "the head of sales hands the organization to boris" k head edit "$ORG" --set owner=boris
k head sync >/dev/null
# the head of sales adds a contact (his own card) to boris's organization
k head add contact --set last_name=Новикова --set first_name=Ольга --set org="$ORG" \
  --set birthday="$(date +1985-%m-%d)" >/dev/null
k head sync >/dev/null
k anna sync >/dev/null
k boris sync >/dev/null

bt=$(k boris today)
check_contains "boris's day has the birthday of his new client's contact" "Birthday: Сидорова Мария" "$bt"
check_contains "...and of the contact the head of sales added" "Birthday: Новикова Ольга" "$bt"
check_contains "boris's reminders list tomorrow's birthday" "Birthday: Кузнецов Пётр" "$(k boris remind list)"
check_contains "...and boris's agenda" "Birthday: Кузнецов Пётр" "$(k boris agenda)"
at=$(k anna today)
check_not_contains "anna's day no longer has it" "Сидорова" "$at"
check_not_contains "...nor her reminders" "Кузнецов" "$(k anna remind list)"
check_eq "...the contact left anna's PC" "0" \
  "$(sqlite3 "$T/anna/replica.db" "SELECT count(*) FROM t_contact WHERE last_name IN ('Сидорова', 'Кузнецов')")"
check_contains "a contact without an organization stays anna's birthday" "Birthday: Одинокова Вера" "$at"
ht=$(k head today)
check_not_contains "the head of sales, who holds the whole base, is not reminded of boris's clients" "Новикова" "$ht"
check_not_contains "...nor of anna's" "Одинокова" "$ht"

check "server alive" kill -0 "$SRV_PID"
stop_server "$D"
finish
