#!/usr/bin/env bash
# Browser tests of the web UI: builds and starts the real server on a free port with a fresh
# data folder, seeds the demo, and drives Debian's Chromium through playwright-core.
# Usage: bash tests/browser/run.sh [test files...]   (default: every tests/browser/*.test.mjs;
# SCREENSHOT_DIR=... to keep the screenshots somewhere; ACADEMY_BIN=... to test a binary already
# built)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/browser/server.sh
source tests/browser/server.sh

step "browser tests against $ACADEMY_URL"
export SCREENSHOT_DIR="${SCREENSHOT_DIR:-$(mktemp -d -t academy-screens-XXXXXX)}"
status=0
node --test --test-concurrency=1 "${@:-tests/browser/}" || status=$?
echo "screenshots: $SCREENSHOT_DIR"
if [ "$status" -ne 0 ]; then
  echo "--- server log (tail) ---"
  tail -n 60 "$work/server.log" || true
fi
exit "$status"
