#!/usr/bin/env bash
# Failing logins from many clients at once against the RELEASE binary.
#
#   bench/login-storm.sh [BIN]        (BIN defaults to target/release/academy)
#   CLIENTS=200 STORM=30 IDLE=60 PORT=18080 bench/login-storm.sh /path/to/academy
#
# CLIENTS concurrent failing logins (unknown email: the decoy hash costs the same) for STORM
# seconds, while 4 clients read the catalogue (GET /api/courses); then IDLE seconds of nothing.
# Prints peak RSS during the storm, RSS after the idle time and when it first fell under
# 100 MiB, the logins' status codes and the catalogue's p50/p99. Needs hey (Debian).
set -euo pipefail
source "$(dirname "$0")/common.sh"
BIN=${1:-$BIN}
CLIENTS=${CLIENTS:-200}; STORM=${STORM:-30}; IDLE=${IDLE:-60}
WORK=$(mktemp -d /tmp/academy-login-storm.XXXXXX)
trap 'stop_server; kill $SAMPLER 2>/dev/null || true' EXIT

start_server "$WORK"
TOKEN=$(login $ADMIN_EMAIL "$ADMIN_PASSWORD")
echo "server $SERVER_PID up, RSS $(rss_mib $SERVER_PID) MiB at rest"
sample_rss "$SERVER_PID" "$WORK/rss.txt" & SAMPLER=$!
T_START=$(date +%s.%N)

hey -z "${STORM}s" -c 4 -H "Authorization: Bearer $TOKEN" "$URL/api/courses" >"$WORK/catalogue.txt" &
CAT=$!
hey -z "${STORM}s" -c "$CLIENTS" -t 60 -m POST -T application/json \
    -d '{"email":"nobody@bench.example","password":"not the password 123"}' \
    "$URL/api/auth/login" >"$WORK/storm.txt"
wait $CAT
T_END=$(date +%s.%N)
sleep "$IDLE"
kill $SAMPLER 2>/dev/null || true

storm_end=$(echo "$T_END - $T_START" | bc)
peak=$(awk -v e="$storm_end" '$1 <= e+1 && $2 > m {m=$2} END {print m+0}' "$WORK/rss.txt")
after=$(rss_mib "$SERVER_PID")
under=$(awk -v e="$storm_end" '$1 > e && $2 < 100 {printf "%.0f", $1-e; exit}' "$WORK/rss.txt")
echo "binary:            $BIN"
echo "storm:             $CLIENTS clients x ${STORM}s of failing logins"
echo "login statuses:    $(hey_codes "$WORK/storm.txt")"
echo "login throughput:  $(awk '/Requests\/sec/ {print $2}' "$WORK/storm.txt") req/s, p99 $(hey_p99 "$WORK/storm.txt") ms"
echo "catalogue:         $(awk '/Requests\/sec/ {print $2}' "$WORK/catalogue.txt") req/s, p50 $(hey_p50 "$WORK/catalogue.txt") ms, p99 $(hey_p99 "$WORK/catalogue.txt") ms, statuses $(hey_codes "$WORK/catalogue.txt")"
echo "peak RSS (storm):  $peak MiB"
echo "RSS after ${IDLE}s idle: $after MiB (under 100 MiB after: ${under:-never} s)"
echo "raw files:         $WORK"
