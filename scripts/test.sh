#!/usr/bin/env bash
# Runs the whole suite: type check, lint, unit and integration tests (real FFmpeg).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh test
npx tsc --noEmit -p .
npx eslint .
report="$(mktemp -d)/vitest.json"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
# One plain closing line that any CI can read.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$report" || true
exit "$status"
