#!/usr/bin/env bash
# A class on the platform: CLIENTS learners for DURATION seconds on a realistic mix
# (examples/bench_mix.rs: catalogue, course and module pages, completions, progress, quiz
# start/autosave/submit, slots, booking and cancelling, bookings) against the RELEASE binary,
# on SQLite, or on PostgreSQL when PG is given (a fresh database is created and dropped).
#
#   bench/mixed-load.sh [BIN]                       CLIENTS=200 DURATION=60 PORT=18080
#   PG=postgres://root@127.0.0.1:5432 bench/mixed-load.sh
#
# Prints the per-action table and summary line of bench_mix, and the server's RSS (at rest
# after set-up, peak during the run, at the end).
set -euo pipefail
source "$(dirname "$0")/common.sh"
BIN=${1:-$BIN}; CLIENTS=${CLIENTS:-200}; DURATION=${DURATION:-60}
MIX=${MIX:-${CARGO_TARGET_DIR:-$REPO/target}/release/examples/bench_mix}
[ -x "$MIX" ] || (cd "$REPO" && cargo build --release --locked --example bench_mix)
WORK=$(mktemp -d /tmp/academy-mixed-load.XXXXXX)
DB_URL=""
if [ -n "${PG:-}" ]; then
  db="academy_bench_mix_$$"
  psql "$PG/postgres" -qc "CREATE DATABASE $db"
  DB_URL="$PG/$db"
fi
cleanup() {
  stop_server
  kill "${SAMPLER:-}" 2>/dev/null || true
  [ -n "${PG:-}" ] && psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
}
trap cleanup EXIT
start_server "$WORK" "$DB_URL"
sample_rss "$SERVER_PID" "$WORK/rss.txt" & SAMPLER=$!
"$MIX" "$URL" "$ADMIN_EMAIL" "$ADMIN_PASSWORD" "$CLIENTS" "$DURATION" | tee "$WORK/mix.txt"
status=${PIPESTATUS[0]}
kill "$SAMPLER" 2>/dev/null || true
echo "database:  ${DB_URL:-SQLite (embedded default)}"
echo "RSS MiB:   peak $(awk 'm<$2 {m=$2} END {print m}' "$WORK/rss.txt"), at the end $(rss_mib "$SERVER_PID")"
exit "$status"
