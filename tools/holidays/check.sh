#!/usr/bin/env bash
# Checks that src/bookings/holidays.json is what tools/holidays/generate.mjs
# makes from the date-holidays version pinned in package-lock.json.
# Usage: bash tools/holidays/check.sh   (from anywhere; exits non-zero if stale)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if [[ ! -d node_modules/date-holidays ]]; then
  npm ci --no-audit --no-fund
fi

tmp="$(mktemp "${TMPDIR:-/tmp}/holidays.XXXXXX.json")"
trap 'rm -f "$tmp"' EXIT

node tools/holidays/generate.mjs "$tmp"

if ! diff -u src/bookings/holidays.json "$tmp"; then
  echo "holidays.json is stale: run node tools/holidays/generate.mjs" >&2
  exit 1
fi
echo "src/bookings/holidays.json is up to date"
