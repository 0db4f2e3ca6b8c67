#!/usr/bin/env bash
# Regenerates the pictures in docs/screenshots from the browser tests, which take them as they go:
# the player in each state, the embed at each size and language, the portal, the console in English
# and Chinese, the approval panel and the archive. About four minutes; run it after a visible change.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ensure-deps.sh test
mkdir -p docs/screenshots
COURTCAST_SCREENSHOTS=1 npx vitest run \
  test/e2e/player-embed.test.ts test/e2e/embed-fit.test.ts test/e2e/accessibility.test.ts \
  test/e2e/console.test.ts test/e2e/governance-console.test.ts test/e2e/archive-page.test.ts test/e2e/watch-page.test.ts
ls -1 docs/screenshots
