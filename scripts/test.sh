#!/usr/bin/env bash
# Runs the whole suite: type check, lint, unit and integration tests (real FFmpeg).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh test
scripts/check.sh
report="$(mktemp -d)/vitest.json"
status=0
# The profile reporter ends the run with the slowest files and tests and the count of assertions.
npx vitest run --reporter=default --reporter=./test/support/profile-reporter.ts --reporter=json --outputFile.json="$report" "$@" || status=$?
# One plain closing line that any CI can read.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$report" || true
exit "$status"
