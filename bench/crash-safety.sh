#!/usr/bin/env bash
# SIGKILL the server during concurrent writes; every acknowledged write must
# be there after a restart, and SQLite's integrity_check must say ok.
#
#   bench/crash-safety.sh [BIN]                          20 rounds on SQLite
#   ROUNDS=5 DATABASE_URL=postgres://root@127.0.0.1:5432/crash bench/crash-safety.sh [BIN]
#
# Each round: WRITERS loops POST partners (one INSERT each) and learners' module completions
# (a transaction) as fast as they can; after 1 to 3 s the server gets SIGKILL. A write counts
# as acknowledged when its 201/204 reached the client. The server is restarted on the same data
# and every acknowledged partner and completion must be listed. With PostgreSQL the database
# named in DATABASE_URL is dropped and created first (it must not be a database you need).
set -euo pipefail
source "$(dirname "$0")/common.sh"
BIN=${1:-$BIN}
ROUNDS=${ROUNDS:-20}; WRITERS=${WRITERS:-8}; DB=${DATABASE_URL:-}
WORK=$(mktemp -d /tmp/academy-crash.XXXXXX)
trap 'stop_server' EXIT

if [ -n "$DB" ]; then
  name=${DB##*/}; admin=${DB%/*}/postgres
  psql -q "$admin" -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" -c "CREATE DATABASE \"$name\""
fi
start_server "$WORK" "$DB"
TOKEN=$(login $ADMIN_EMAIL "$ADMIN_PASSWORD")
# One partner and SME, and one learner per writer, enrolled in a course.
PARTNER=$(curl -fs -X POST "$URL/api/partners" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"name":"Crash partner","country":"ES","region":"Madrid"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
SME=$(curl -fs -X POST "$URL/api/smes" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d "{\"name\":\"Crash SME\",\"country\":\"ES\",\"region\":\"Madrid\",\"sector\":\"Diagnostics\",\"partner_id\":$PARTNER}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
COURSE=$(curl -fs "$URL/api/courses" -H "authorization: Bearer $TOKEN" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["slug"])')
MODULES=$(curl -fs "$URL/api/courses/$COURSE" -H "authorization: Bearer $TOKEN" | python3 -c 'import json,sys; print(" ".join(m["slug"] for m in json.load(sys.stdin)["modules"]))')
for w in $(seq 1 "$WRITERS"); do
  curl -fs -X POST "$URL/api/users" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d "{\"email\":\"writer$w@crash.example\",\"name\":\"Writer $w\",\"role\":\"learner\",\"password\":\"writer-password-$w\",\"sme_id\":$SME}" >/dev/null
  LT[$w]=$(login "writer$w@crash.example" "writer-password-$w")
  curl -fs -X POST "$URL/api/courses/$COURSE/enrolment" -H "authorization: Bearer ${LT[$w]}" >/dev/null
done
: >"$WORK/acked-partners"; : >"$WORK/acked-completions"

writer() { # writer W ROUND: partners and module completions until the server dies
  local w=$1 r=$2 n=0 code m
  while :; do
    n=$((n+1))
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/api/partners" -H "authorization: Bearer $TOKEN" \
      -H 'content-type: application/json' -d "{\"name\":\"r$r-w$w-$n\",\"country\":\"PT\",\"region\":\"Norte\"}") || true
    [ "$code" = 201 ] && echo "r$r-w$w-$n" >>"$WORK/acked-partners"
    [ "$code" = 000 ] && return 0
    if [ $((n % 4)) = 0 ]; then
      for m in $MODULES; do
        code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/api/courses/$COURSE/modules/$m/completion" \
          -H "authorization: Bearer ${LT[$w]}") || true
        [ "$code" = 204 ] && echo "$w $m" >>"$WORK/acked-completions"
        [ "$code" = 000 ] && return 0
      done
    fi
  done
}

lost_total=0; acked_total=0
for r in $(seq 1 "$ROUNDS"); do
  pids=()
  for w in $(seq 1 "$WRITERS"); do writer "$w" "$r" & pids+=($!); done
  sleep "$(python3 -c 'import random; print(round(random.uniform(1, 3), 2))')"
  kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  for p in "${pids[@]}"; do wait "$p" || true; done
  (cd "$WORK" && exec "$BIN" serve >>"$WORK/server.log" 2>&1) & SERVER_PID=$!
  for _ in $(seq 1 300); do curl -fs "$URL/health" >/dev/null 2>&1 && break; sleep 0.2; done
  stored=$(curl -fs "$URL/api/partners" -H "authorization: Bearer $TOKEN" | python3 -c 'import json,sys; print("\n".join(p["name"] for p in json.load(sys.stdin)["items"]))')
  lost=$(comm -23 <(sort -u "$WORK/acked-partners") <(echo "$stored" | sort -u) | wc -l)
  for w in $(seq 1 "$WRITERS"); do
    done_modules=$(curl -fs "$URL/api/courses/$COURSE/progress" -H "authorization: Bearer ${LT[$w]}" | python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["completed_modules"]))')
    lost=$((lost + $(comm -23 <(awk -v w="$w" '$1==w {print $2}' "$WORK/acked-completions" | sort -u) <(echo "$done_modules" | sort -u) | wc -l)))
  done
  acked=$(( $(wc -l <"$WORK/acked-partners") + $(wc -l <"$WORK/acked-completions") ))
  integrity=n/a
  if [ -z "$DB" ]; then integrity=$(sqlite3 "$WORK/data/academy.db" 'PRAGMA integrity_check' | tr '\n' ' '); fi
  echo "round $r: acknowledged so far $acked, lost $lost, integrity_check: $integrity"
  lost_total=$lost
  acked_total=$acked
  if [ -z "$DB" ] && [ "$integrity" != "ok " ]; then echo "INTEGRITY CHECK FAILED"; exit 1; fi
done
echo "result: $ROUNDS rounds of SIGKILL on ${DB:-SQLite}; $acked_total acknowledged writes, $lost_total lost"
[ "$lost_total" = 0 ]
