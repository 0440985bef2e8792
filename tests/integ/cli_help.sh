#!/usr/bin/env bash
# The CLI command table (issue 14): every command's help is generated from its
# entry, so `help CMD` and `CMD --help` are the same text (sub-commands too:
# `help admin user add`, `admin user add --help`); every option the
# command's code compares against is in that help; the option check runs
# before the command: an unknown option or an option without its value is a
# usage error (exit 2) that names it, and nothing is created or opened.
source "$(dirname "$0")/../lib/integ.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)/client/cli
P=$T/nothing-here # no profile: the check must fail before anything opens it
k() { "$KT" --profile "$P" "$@"; }
# opts_of CMD [SUB ...]: the options its help lists, one a line ("--name" or "--name ARG")
opts_of() { k "$@" --help | sed -n '/^options:$/,/^[^ ]/p' | sed -n 's/^  \(--[a-z-]*\)\( [^ ]*\)\?  .*/\1\2/p'; }
# subs_of CMD: the paths of its sub-commands down to those that run ("admin user add"),
# from the commands its help lists (the words of a usage line before its arguments)
subs_of() {
  k help "$1" | sed -n '/^commands (/,$p' | sed -n 's/^  \([a-z]\)/\1/p' |
    awk '{p=""; for (i = 1; i <= NF && $i ~ /^[a-z][a-z-]*$/; i++) p = p (p ? " " : "") $i; print p}'
}

# check_entry CMD [SUB ...]: help, the option check and the usage errors of one entry
check_entry() {
  local c="$*" out rc syn listed missing err bad noval o a first
  out=$(k "$@" --help 2>&1); rc=$?
  check_eq "$c --help exits 0 with its usage" "0 usage: kartoteka $c" \
    "$rc $(head -1 <<<"$out" | cut -d' ' -f1-$(($# + 2)))"
  check_eq "help $c is $c --help" "$out" "$(k help "$@" 2>&1)"
  check_eq "$c -h is $c --help" "$out" "$(k "$@" -h 2>&1)"
  # every option in the usage synopsis is in the options list, and the reverse
  syn=$(sed -n '1,/^  [^ ]/p' <<<"$out" | grep -o -- '--[a-z][a-z-]*' | sort -u)
  listed=$(opts_of "$@" | cut -d' ' -f1 | sort -u)
  missing=$(comm -23 <(echo "$syn") <(echo "$listed") | tr '\n' ' ')
  check_eq "$c: every option of its usage line is explained" "" "$missing"
  missing=$(comm -13 <(echo "$syn") <(echo "$listed") | grep -v -- '--json' | tr '\n' ' ')
  # (report's options differ per report: its more help explains them under each)
  [ -n "$syn" ] && [ "$c" != report ] && check_eq "$c: every option it explains is in its usage line" "" "$missing"
  # an unknown option: a usage error naming it, exit 2, no profile created
  err=$(k "$@" --no-such-option 2>&1 >/dev/null); rc=$?
  check_eq "$c --no-such-option is a usage error" 2 "$rc"
  check_contains "$c: the error names the option" "unknown option '--no-such-option' for $c" "$err"
  check_contains "$c: the error shows the usage" "usage: kartoteka $c" "$err"
  # a misspelt option (its first one with a letter more): the nearest is suggested
  first=$(opts_of "$@" | grep -v -- '^--json' | head -1 | cut -d' ' -f1)
  if [ -n "$first" ]; then
    err=$(k "$@" "${first}x" 2>&1 >/dev/null); rc=$?
    check_eq "$c ${first}x is a usage error naming $first" "2 did you mean '$first'?" \
      "$rc $(grep -o "did you mean '[^']*'?" <<<"$err")"
  fi
  # each listed option passes the check (the trailing unknown one is what fails);
  # one that takes a value without it is a usage error
  bad=""; noval=""
  while read -r o a; do
    [ -n "$o" ] || continue
    if [ -n "$a" ]; then
      e=$(k "$@" "$o" VALUE --zz-unknown 2>&1); r=$?
      [ $r -eq 2 ] && [[ "$e" == *"'--zz-unknown'"* ]] || bad+="$o "
      e=$(k "$@" "$o" 2>&1); r=$?
      [ $r -eq 2 ] && [[ "$e" == *"$o needs a value"* ]] || noval+="$o "
    else
      e=$(k "$@" "$o" --zz-unknown 2>&1); r=$?
      [ $r -eq 2 ] && [[ "$e" == *"'--zz-unknown'"* ]] || bad+="$o "
    fi
  done < <(opts_of "$@")
  check_eq "$c: every option its help lists is accepted" "" "$bad"
  check_eq "$c: an option without its value is a usage error" "" "$noval"
}

cmds=$(k help | sed -n 's/^  \([a-z]*\) .*/\1/p')
check_eq "help lists every command" 40 "$(echo "$cmds" | wc -l)"
nsubs=0
for c in $cmds; do
  check_entry "$c"
  while read -r path; do
    [ -n "$path" ] || continue
    # shellcheck disable=SC2086 # the path's words are the sub-command's words
    check_entry $path
    nsubs=$((nsubs + 1))
  done < <(subs_of "$c")
done
check_eq "the sub-commands of admin, field, section, group, template, mail, doc, remind, outbox" \
  42 "$nsubs"
check_eq "nothing was created by the failed commands" "no" "$([ -e "$P" ] && echo yes || echo no)"

# every option a command's code compares against is in the help of a command of
# that file (cli_handover.c is admin's, cli_mass.c edit's, cli_timeline.c show's;
# cli_util.c's query options are those of every file that calls cli_query_opt;
# cli_batch.c compares other commands' options: the ones a batch refuses)
for f in "$SRC"/cli_*.c; do
  b=$(basename "$f" .c)
  case $b in cli_main | cli_cmd | cli_util | cli_batch) continue ;; esac
  owners=$(grep -o 'cli_entry_[a-z]* =' "$f" | sed 's/cli_entry_\([a-z]*\) =/\1/')
  case $b in cli_handover) owners=admin ;; cli_mass) owners=edit ;; cli_timeline) owners=show ;; esac
  [ -n "$owners" ] || { fail "$b declares no command entry"; continue; }
  code=$(grep -o 'strcmp([^,]*, "--[a-z-]*")' "$f" | grep -o -- '--[a-z-]*' | sort -u)
  if grep -q 'cli_query_word(' "$f"; then
    code=$( (echo "$code"; grep -o 'strcmp([^,]*, "--[a-z-]*")' "$SRC/cli_util.c" | grep -o -- '--[a-z-]*') | sort -u)
  fi
  help=$(for c in $owners; do
    opts_of "$c"
    # shellcheck disable=SC2086
    while read -r path; do [ -n "$path" ] && opts_of $path; done < <(subs_of "$c")
  done | cut -d' ' -f1 | sort -u)
  missing=$(comm -23 <(echo "$code") <(echo "$help") | grep . | tr '\n' ' ')
  check_eq "$b: every option its code reads is in the help ($(echo $owners))" "" "$missing"
done

# --opt=VALUE is an option with its value; a flag takes none
check_fails "--limit=5 is --limit 5 (the check goes on to the next word)" "unknown option '--zz-unknown' for list" \
  k list org --limit=5 --zz-unknown
check_fails "a flag with =VALUE is an unknown option" "unknown option '--trash=1' for list" k list org --trash=1
check_fails "the nearest option is suggested" "did you mean '--limit'?" k list org --limt 5
check_fails "a value that looks like an option is still the value" "unknown option '--zz-unknown'" \
  k search --type --trash --zz-unknown
# the generated help is the one `help admin` once lacked things in
check_contains "help admin lists --birthday" "--birthday YYYY-MM-DD|none" "$(k help admin)"
check_contains "help admin shows device list" "admin device list" "$(k help admin)"
check_contains "report --help still explains every report" "rfm [--from DATE]" "$(k report --help)"
check_contains "help admin shows admin user add's options" "admin user add NAME [--role R]" "$(k help admin)"
check_fails "an unknown sub-command names the nearest" "unknown sub-command 'usr' for admin; did you mean 'user'?" \
  k admin usr
check_fails "... at every level" "unknown sub-command 'ad' for admin user; did you mean 'add'?" \
  k admin user ad
check_fails "a command of sub-commands needs one" "admin user what?" k admin user
check_fails "help of an unknown sub-command is a usage error" "unknown sub-command 'nope' for field" \
  k help field nope
check_fails "a sub-command's option is not another's" "unknown option '--label' for field hide" \
  k field hide org name --label X
# no command file walks its words for options by hand: every option goes through
# the one parser (cli_args_next), so the strcmp on argv left are sub-command words
check_eq "no command compares argv with an option" "" \
  "$(grep -n 'strcmp(argv\[[^]]*\], "-' "$SRC"/cli_*.c | grep -v cli_main.c)"
check_fails "the options before the command are a table too: the nearest is named" \
  "unknown option '--profil' for kartoteka; did you mean '--profile'?" "$KT" --profil "$P" list org
check_fails "... --profile=DIR is --profile DIR" "no profile in $P" "$KT" --profile="$P" list org
check_fails "... and --profile needs its value" "--profile needs a value" "$KT" --profile
check_fails "an unknown command is still a usage error" "unknown command 'lst'; did you mean 'list'" k lst
finish
