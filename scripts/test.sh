#!/usr/bin/env bash
# Runs the whole suite: type check, lint, unit and integration tests (real FFmpeg).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh test
work="$(mktemp -d)"
report="$work/vitest.json"
# The static checks run beside the tests on idle cycles only (nice 19): the live-media files leave
# about half a core idle on average, and at the lowest priority the checks cannot slow the tests'
# FFmpeg and servers. Their verdict is read after the tests.
nice -n 19 scripts/check.sh >"$work/checks.log" 2>&1 &
checks=$!
status=0
# The profile reporter ends the run with the slowest files and tests and the count of assertions.
npx vitest run --reporter=default --reporter=./test/support/profile-reporter.ts --reporter=json --outputFile.json="$report" "$@" || status=$?
check_status=0
wait "$checks" || check_status=$?
if [ "$check_status" -ne 0 ]; then
  cat "$work/checks.log"
  echo "Static checks (type check, lint): FAILED"
  status=1
else
  echo "Static checks (type check, lint): passed"
fi
# One plain closing line that any CI can read.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$report" || true
exit "$status"
