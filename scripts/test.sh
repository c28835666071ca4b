#!/usr/bin/env bash
# The whole test suite: installs what is missing (including the Python/Chromium test oracles), builds, lints
# (fails fast, before the long tests), runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test-deps
npm run --silent lint
npm test
