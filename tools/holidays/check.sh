#!/usr/bin/env bash
# Checks that src/bookings/holidays.json is what tools/holidays/generate.mjs
# makes from the date-holidays version pinned in package-lock.json and the
# PyPI holidays version pinned in tools/holidays/pt_regions.py (installed in a
# venv at $HOLIDAYS_VENV, default ~/.cache/academy-holidays-venv).
# Usage: bash tools/holidays/check.sh   (from anywhere; exits non-zero if stale)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if [[ ! -d node_modules/date-holidays ]]; then
  npm ci --no-audit --no-fund
fi

# python-holidays, for the Azores and Madeira (PT-20, PT-30).
pin="$(sed -n 's/^HOLIDAYS_VERSION = "\(.*\)"$/\1/p' tools/holidays/pt_regions.py)"
[[ -n "$pin" ]] || { echo "no HOLIDAYS_VERSION in tools/holidays/pt_regions.py" >&2; exit 1; }
venv="${HOLIDAYS_VENV:-$HOME/.cache/academy-holidays-venv}"
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import holidays, sys; sys.exit(holidays.__version__ != '$pin')" 2>/dev/null; then
  python3 -m venv "$venv" || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$venv"; }
  "$venv/bin/pip" install -q "holidays==$pin"
fi

tmp="$(mktemp "${TMPDIR:-/tmp}/holidays.XXXXXX.json")"
trap 'rm -f "$tmp"' EXIT

HOLIDAYS_PYTHON="$venv/bin/python" node tools/holidays/generate.mjs "$tmp"

if ! diff -u src/bookings/holidays.json "$tmp"; then
  echo "holidays.json is stale: run HOLIDAYS_PYTHON=$venv/bin/python node tools/holidays/generate.mjs" >&2
  exit 1
fi
echo "src/bookings/holidays.json is up to date"
