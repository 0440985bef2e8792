# integ.sh — helpers for integration scripts (sourced). Each check prints
# "PASS: name" or "FAIL: name"; tests/run.sh counts them. Temp dirs are removed
# on exit; background processes started with bg_start are killed.
set -u
# the programs speak the PC's language (kt_i18n): the checks read their English
# messages, so every test runs in English unless it sets LANG for a command itself
export LANG=C.UTF-8
unset LC_ALL LC_MESSAGES LANGUAGE
KT_BIN=${KT_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/${BUILD:-debug}/bin}
KT=$KT_BIN/kartoteka
KTD=$KT_BIN/kartotekad
T=$(mktemp -d /tmp/kt-integ.XXXXXX)
_bg_pids=()
_cleanup() {
  for p in "${_bg_pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  [ -n "${KT_KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap _cleanup EXIT
_nfail=0

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+ — $2}"; _nfail=$((_nfail+1)); }

# a sanitizer report in a command's stderr fails the check whatever its exit code
_san() { if grep -qE 'runtime error:|ERROR: (Address|Leak)Sanitizer' "$T/.err"; then cat "$T/.err"; return 0; fi; return 1; }
# check NAME CMD... : passes when CMD exits 0
check() {
  local n=$1; shift
  if "$@" >"$T/.out" 2>"$T/.err" && ! _san; then pass "$n"; else fail "$n" "exit $?: $(head -c 400 "$T/.err")"; fi
}
# check_fails NAME PATTERN CMD... : CMD must exit non-zero and stderr match PATTERN
check_fails() {
  local n=$1 pat=$2; shift 2
  if "$@" >"$T/.out" 2>"$T/.err"; then fail "$n" "succeeded but should have failed"; return; fi
  if _san; then fail "$n" "sanitizer report"; return; fi
  if grep -qiE -- "$pat" "$T/.err"; then pass "$n"; else fail "$n" "stderr was: $(head -c 400 "$T/.err")"; fi
}
# check_eq NAME EXPECTED ACTUAL
check_eq() { if [ "$2" == "$3" ]; then pass "$1"; else fail "$1" "expected [$2] got [$3]"; fi; }
# check_contains NAME NEEDLE HAYSTACK
check_contains() { if [[ "$3" == *"$2"* ]]; then pass "$1"; else fail "$1" "[$2] not in [$(echo "$3" | head -c 400)]"; fi; }
check_not_contains() { if [[ "$3" != *"$2"* ]]; then pass "$1"; else fail "$1" "[$2] unexpectedly in output"; fi; }

# jq-free JSON probing through Debian's python3
json() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

finish() { exit $(( _nfail > 0 ? 1 : 0 )); }
