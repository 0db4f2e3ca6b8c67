#!/usr/bin/env bash
# The static checks both test tiers start with: the type check and the lint. They are
# independent and each keeps one core busy, so they run side by side; either failing fails this.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc --noEmit -p . &
typecheck=$!
lint_status=0
npx eslint . || lint_status=$?
wait "$typecheck"
exit "$lint_status"
