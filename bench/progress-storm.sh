#!/usr/bin/env bash
# The pool-deadlock check over HTTP: CLIENTS concurrent GET /api/courses/{slug}/progress for DURATION
# seconds (the request that deadlocked the pool), against a RELEASE binary on SQLite.
#   bench/progress-storm.sh [BIN]     CLIENTS=64 DURATION=10 PORT=18080
set -euo pipefail
source "$(dirname "$0")/common.sh"
BIN=${1:-$BIN}; CLIENTS=${CLIENTS:-64}; DURATION=${DURATION:-10}
WORK=$(mktemp -d /tmp/academy-progress-storm.XXXXXX)
trap 'stop_server' EXIT
start_server "$WORK"
TOKEN=$(login $ADMIN_EMAIL "$ADMIN_PASSWORD")
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
auth=(-H "authorization: Bearer $TOKEN" -H 'content-type: application/json')
P=$(curl -fs -X POST "$URL/api/partners" "${auth[@]}" -d '{"name":"P","country":"ES","region":"R"}' | json '["id"]')
S=$(curl -fs -X POST "$URL/api/smes" "${auth[@]}" -d "{\"name\":\"S\",\"country\":\"ES\",\"region\":\"R\",\"sector\":\"Diagnostics\",\"partner_id\":$P}" | json '["id"]')
curl -fs -X POST "$URL/api/users" "${auth[@]}" -d "{\"email\":\"l@bench.example\",\"name\":\"L\",\"role\":\"learner\",\"password\":\"learner-password-1\",\"sme_id\":$S}" >/dev/null
LT=$(login l@bench.example learner-password-1)
COURSE=$(curl -fs "$URL/api/courses" -H "authorization: Bearer $LT" | json '["items"][0]["slug"]')
curl -fs -X POST "$URL/api/courses/$COURSE/enrolment" -H "authorization: Bearer $LT" >/dev/null
hey -z "${DURATION}s" -c "$CLIENTS" -t 30 -H "authorization: Bearer $LT" "$URL/api/courses/$COURSE/progress" >"$WORK/progress.txt"
# Right after the storm: does the catalogue answer?
t=$(curl -s -o /dev/null -w '%{time_total}' "$URL/api/courses" -H "authorization: Bearer $LT")
echo "binary:    $BIN"
echo "progress:  $CLIENTS clients x ${DURATION}s: $(awk '/Requests\/sec/ {print $2}' "$WORK/progress.txt") req/s, p50 $(hey_p50 "$WORK/progress.txt") ms, p99 $(hey_p99 "$WORK/progress.txt") ms, statuses $(hey_codes "$WORK/progress.txt")"
echo "catalogue right after: ${t}s"
