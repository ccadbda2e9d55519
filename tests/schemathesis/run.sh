#!/usr/bin/env bash
# A bounded schemathesis run against the served OpenAPI document: the release
# binary with the demo data, on a fresh data folder (SQLite), or on PostgreSQL when
# ACADEMY_DATABASE_URL is set; once with a learner's token and once with the admin's.
# Checks: no 5xx, and no status code the document does not list. Pinned version, fixed seed.
#   bash tests/schemathesis/run.sh          (MAX_EXAMPLES=10 SEED=20261205)
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
VERSION=4.32.5
MAX_EXAMPLES=${MAX_EXAMPLES:-10}
SEED=${SEED:-20261205}

step() { printf '\n==> %s\n' "$*"; }

step "schemathesis $VERSION"
venv="${SCHEMATHESIS_VENV:-$HOME/.cache/academy-schemathesis}"
if [ ! -x "$venv/bin/schemathesis" ] || ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$VERSION"; then
  python3 -m venv "$venv" || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$venv"; }
  "$venv/bin/pip" install -q "schemathesis==$VERSION"
fi

# shellcheck source=tests/support/demo_server.sh
source tests/support/demo_server.sh
academy_release_bin

step "start the server"
# PostgreSQL needs a configured signing secret (every process must share it): one per run.
export ACADEMY_JWT_SECRET="${ACADEMY_JWT_SECRET:-$(python3 -c 'import secrets; print(secrets.token_hex(32))')}"
# The fuzzer signs in with wrong passwords and verifies random codes far more often than any
# person: lift the throttles so that it keeps reaching the handlers.
export ACADEMY_LOGIN_ACCOUNT_FAILURES=1000000 ACADEMY_LOGIN_CLIENT_FAILURES=1000000
export ACADEMY_VERIFY_RATE_PER_MINUTE=1000000
start_demo_server "$bin"
password="$ACADEMY_DEMO_PASSWORD"
url="$ACADEMY_URL"

token() {
  curl -fsS -X POST "$url/api/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"$password\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

status=0
for who in emma@olivia-agro.example admin@iberobio.example; do
  step "schemathesis as $who (seed $SEED, $MAX_EXAMPLES examples per operation)"
  # Signing out would end the token's session half-way through the run. One worker: with two,
  # Hypothesis parses lambdas' sources in two threads and CPython 3.11's ast.parse is not
  # thread-safe ("AST constructor recursion depth mismatch", a crash of the tool, not a finding).
  "$venv/bin/schemathesis" run "$url/api/openapi.json" --url "$url" \
    -H "Authorization: Bearer $(token "$who")" \
    --checks not_a_server_error,status_code_conformance \
    --exclude-path /api/auth/logout \
    --phases examples,coverage,fuzzing --max-examples "$MAX_EXAMPLES" --seed "$SEED" \
    --generation-deterministic --no-shrink --workers 1 --request-timeout 20 \
    --no-color --warnings off --report junit --report-dir "$work/report" || status=$?
done
if [ "$status" -ne 0 ]; then
  echo "--- server log (tail) ---"
  tail -n 40 "$work/server.log" || true
fi
exit "$status"
