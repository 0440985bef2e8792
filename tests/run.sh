#!/usr/bin/env bash
# Runs every test: cmocka unit binaries in build/$BUILD/tests, then the
# integration scripts tests/integ/*.sh (which start real processes), then the
# fuzz corpus replay. Prints one closing line "N passed, N failed".
# Usage: tests/run.sh [unit|integ|NAME-substring]
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-debug}
export KT_BUILD_DIR="$PWD/build/$BUILD"
export KT_BIN="$KT_BUILD_DIR/bin"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
filter=${1:-}
pass=0; fail=0; failed_names=()
logdir=$(mktemp -d /tmp/kt-tests.XXXXXX)

run_unit() {
  local bin=$1 name; name=$(basename "$bin")
  local log="$logdir/$name.log"
  CMOCKA_MESSAGE_OUTPUT=stdout "$bin" >"$log" 2>&1; local rc=$?
  local p f
  p=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$log" | awk '{print $4}' | tail -1)
  f=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$log" | awk '{print $4}' | tail -1)
  p=${p:-0}; f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  if grep -qE 'runtime error:|ERROR: AddressSanitizer|ERROR: LeakSanitizer' "$log"; then f=$((f+1)); fi
  pass=$((pass+p)); fail=$((fail+f))
  if [ "$f" -gt 0 ]; then failed_names+=("$name"); echo "FAIL $name (log: $log)"; sed -n '1,60p' "$log" | grep -E 'FAIL|ERROR|error|runtime' | head -20
  else echo "ok   $name ($p)"; fi
}

run_integ() {
  local sh=$1 name; name=$(basename "$sh" .sh)
  local log="$logdir/$name.log"
  bash "$sh" >"$log" 2>&1; local rc=$?
  local p f
  p=$(grep -c '^PASS: ' "$log"); f=$(grep -c '^FAIL: ' "$log")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  if grep -qE 'runtime error:|ERROR: AddressSanitizer|ERROR: LeakSanitizer' "$log"; then f=$((f+1)); fi
  pass=$((pass+p)); fail=$((fail+f))
  if [ "$f" -gt 0 ]; then failed_names+=("$name"); echo "FAIL $name (log: $log)"; grep -E '^FAIL: |runtime error|Sanitizer' "$log" | head -20
  else echo "ok   $name ($p)"; fi
}

if [ "$filter" != integ ] && [ "$filter" != fuzz ]; then
  for b in "$KT_BUILD_DIR"/tests/test_*; do
    [ -x "$b" ] || continue
    case "$filter" in ""|unit) ;; integ) continue ;; *) [[ "${b##*/}" == *"$filter"* ]] || continue ;; esac
    run_unit "$b"
  done
fi
if [ "$filter" != unit ] && [ "$filter" != fuzz ]; then
  for s in tests/integ/*.sh; do
    [ -f "$s" ] || continue
    case "$filter" in ""|integ) ;; *) [[ "$s" == *"$filter"* ]] || continue ;; esac
    run_integ "$s"
  done
fi
# fuzz corpus replay: every saved input of every harness, one test per harness
if [ -z "$filter" ] || [ "$filter" = fuzz ]; then
  for b in "$KT_BUILD_DIR"/fuzz/replay_*; do
    [ -x "$b" ] || continue
    name=${b##*/replay_}; dir=tests/fuzz/corpus/$name
    [ -d "$dir" ] || continue
    log="$logdir/fuzz_$name.log"
    if "$b" "$dir" >"$log" 2>&1 && ! grep -qE 'runtime error:|Sanitizer' "$log"; then
      pass=$((pass+1)); echo "ok   fuzz replay $name ($(ls "$dir" | wc -l) inputs)"
    else
      fail=$((fail+1)); failed_names+=("fuzz_$name"); echo "FAIL fuzz replay $name (log: $log)"
    fi
  done
fi
if [ ${#failed_names[@]} -gt 0 ]; then echo "failed: ${failed_names[*]}"; else rm -rf "$logdir"; fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
