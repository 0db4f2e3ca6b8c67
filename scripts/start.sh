#!/usr/bin/env bash
# Runs Courtcast on embedded defaults with a demo hearing and a synthetic courtroom encoder.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh runtime
exec npx tsx server/main.ts --demo "$@"
