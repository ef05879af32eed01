#!/usr/bin/env bash
# Runs every test (unit and end-to-end) and ends with one line: "N passed, N failed",
# counting GoogleTest cases from Bazel's test.xml files (a target that produced no
# test.xml, e.g. a crash, counts as one failure).
set -uo pipefail
cd "$(dirname "$0")/.."

bazel test //... "$@"
status=$?
# The test logs of this configuration (not the bazel-testlogs symlink, which the last
# Bazel command of any configuration, e.g. a `-c opt` benchmark build, re-points).
testlogs=$(bazel info bazel-testlogs "$@" 2>/dev/null) || testlogs=bazel-testlogs

passed=0
failed=0
while IFS= read -r target; do
  dir="$testlogs/${target#//}"
  dir="${dir/://}"
  xml="$dir/test.xml"
  if [ -f "$xml" ]; then
    line=$(grep -m1 -o '<testsuites [^>]*>' "$xml" || true)
    tests=$(sed -n 's/.* tests="\([0-9]*\)".*/\1/p' <<<"$line")
    fails=$(sed -n 's/.* failures="\([0-9]*\)".*/\1/p' <<<"$line")
    errs=$(sed -n 's/.* errors="\([0-9]*\)".*/\1/p' <<<"$line")
    tests=${tests:-0}; fails=${fails:-0}; errs=${errs:-0}
    if [ "$tests" -eq 0 ] && ! grep -q '<testsuites' "$xml"; then
      failed=$((failed + 1)); continue
    fi
    passed=$((passed + tests - fails - errs))
    failed=$((failed + fails + errs))
    # A target that failed without a failing case (crash, timeout, leak check) still fails.
    if [ "$fails" -eq 0 ] && [ "$errs" -eq 0 ] && [ -f "$dir/test.log" ] &&
       grep -q -E '^-- Test timed out|^FAIL: |Test.*TIMEOUT' "$dir/test.log"; then
      failed=$((failed + 1))
    fi
  else
    failed=$((failed + 1))
  fi
done < <(bazel query 'tests(//...) except attr(tags, manual, //...)' 2>/dev/null | sort)

if [ $status -ne 0 ] && [ $failed -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ] && [ $status -eq 0 ]
