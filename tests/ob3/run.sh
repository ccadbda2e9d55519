#!/usr/bin/env bash
# Open Badges 3.0 credentials against independent verifiers: the release binary, started with
# the demo data on a free loopback port, is driven over HTTP by check.py, and what it issues is
# checked by implementations that are not ours, installed from the package registries:
#   PyPI  openbadgeslib  signature through our did:web, the credential, revocation through the
#                        signed Bitstring Status List (its OB3Verifier)
#         jsonschema     the credential against 1EdTech's JSON Schema (Draft 2019-09), which
#                        ships in openbadgeslib's sdist
#         Pillow         the baked badge's iTXt chunk
#   npm   jose           the JWS against /.well-known/jwks.json
#         ajv            the same schema again (Ajv2019 + ajv-formats)
#         @digitalbazaar/vc-bitstring-status-list   the status bit, before and after revocation
# Each check prints PASS or FAIL; the last line is "ob3: N passed, N failed".
#
# Usage: bash tests/ob3/run.sh
#   ACADEMY_BIN=/path/to/academy   use this binary (otherwise: cargo build --release --locked in
#                                  $CARGO_TARGET_DIR, default ./target)
#   OB3_VENV=...                   the Python virtualenv (default ~/.cache/academy-ob3)
# Always on SQLite in a fresh temporary data folder (ACADEMY_DATABASE_URL is ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
here="$root/tests/ob3"

step() { printf '\n==> %s\n' "$*"; }

# --- Python verifiers, in a cached virtualenv (reinstalled when the pins below change).
venv="${OB3_VENV:-$HOME/.cache/academy-ob3}"
pins=(
  "openbadgeslib==4.6.3"
  "jsonschema[format-nongpl]==4.26.0" # format-nongpl: date-time etc. are asserted, not annotated
  "pillow==13.0.0"
)
# 1EdTech's AchievementCredential schema is vendored only in openbadgeslib's sdist; pinned here.
schema_name="ob_v3p0_achievementcredential_schema.json"
schema_sha256="b7358e895f492e74055dc6bfc7ffc420d0e497f90c4579fb83d9519b86d393ea"
schema="$venv/ob_schemas/$schema_name"

step "Python verifiers (${pins[*]}) in $venv"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.academy-pins" 2>/dev/null)" != "${pins[*]}" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv" || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$venv"; }
  "$venv/bin/pip" install -q --disable-pip-version-check "${pins[@]}"
  printf '%s' "${pins[*]}" >"$venv/.academy-pins"
fi
if ! echo "$schema_sha256  $schema" | sha256sum -c --status 2>/dev/null; then
  sdist="$(mktemp -d)"
  "$venv/bin/pip" download -q --disable-pip-version-check --no-binary :all: --no-deps -d "$sdist" "openbadgeslib==4.6.3"
  mkdir -p "$(dirname "$schema")"
  tar -xzf "$sdist"/openbadgeslib-4.6.3.tar.gz -C "$sdist" --wildcards "*/tests/fixtures/ob_schemas/$schema_name"
  cp "$sdist"/openbadgeslib-4.6.3/tests/fixtures/ob_schemas/"$schema_name" "$schema"
  rm -rf "$sdist"
  echo "$schema_sha256  $schema" | sha256sum -c --quiet || { echo "the 1EdTech schema in openbadgeslib 4.6.3's sdist is not the pinned one" >&2; exit 1; }
fi

# --- npm verifiers, from tests/ob3/package-lock.json (npm ci only when the lock changed).
step "npm verifiers (tests/ob3/package-lock.json)"
command -v node >/dev/null && command -v npm >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
}
if ! cmp -s "$here/package-lock.json" "$here/node_modules/.academy-lock"; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$here/package-lock.json" "$here/node_modules/.academy-lock"
fi

# --- The server: the release binary, the demo data, a fresh SQLite database. Its public URL
# is http://127.0.0.1:<port>, so the issuer is did:web:127.0.0.1%3A<port>.
# shellcheck source=tests/support/demo_server.sh
source tests/support/demo_server.sh
academy_release_bin
step "start the server ($bin) with the demo data"
unset ACADEMY_DATABASE_URL
start_demo_server "$bin"

# --- The checks.
step "Open Badges 3.0 checks against $ACADEMY_URL"
status=0
OB3_SCHEMA="$schema" OB3_NODE_HELPER="$here/verifiers.mjs" "$venv/bin/python" "$here/check.py" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log (last 50 lines)"
  tail -n 50 "$work/server.log"
fi
exit "$status"
