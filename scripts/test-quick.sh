#!/usr/bin/env bash
# The everyday tier: type check, lint, unit tests and the integration files that run no FFmpeg in
# real time, in a few minutes. The whole suite (scripts/test.sh) stays what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh test
scripts/check.sh
# Integration files chosen by the suite profile: each finishes in seconds and does not wait out a
# delay. A file that grows slow leaves this list rather than slowing every edit-test loop.
quick=(
  test/integration/api.test.ts
  test/integration/archive-finalize-retry.test.ts
  test/integration/cluster.test.ts
  test/integration/control.test.ts
  test/integration/deploy-files.test.ts
  test/integration/embedded-store.test.ts
  test/integration/object-store.contract.test.ts
  test/integration/origin-cache.test.ts
  test/integration/portal.test.ts
  test/integration/s3-store-errors.test.ts
  test/integration/slate-cache.test.ts
  test/integration/state-move.test.ts
  test/integration/state-store.contract.test.ts
  test/integration/zmq-client.test.ts
)
npx vitest run --reporter=default --reporter=./test/support/profile-reporter.ts test/unit "${quick[@]}" "$@"
