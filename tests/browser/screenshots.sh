#!/usr/bin/env bash
# The README's screenshots, from the real server with the demo data: starts it like run.sh
# (ACADEMY_BIN=... to use a binary already built) and writes
# docs/screenshots/{learner,advisor,coordinator,admin}-{desktop,phone}.png.
# Usage: bash tests/browser/screenshots.sh [output folder]
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$(realpath -m "${1:-docs/screenshots}")"
# shellcheck source=tests/browser/server.sh
source tests/browser/server.sh

step "screenshots into $out"
node tests/browser/screenshots.mjs "$out"
