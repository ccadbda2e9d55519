#!/usr/bin/env bash
# The quiz on PostgreSQL against the database's own ceiling, side by side in one run:
#   1. bench_quiz on SQLite (the whole server, in process);
#   2. bench_quiz on PostgreSQL (the whole server, the database on the same host);
#   3. pgbench replaying one learner's statements (bench/quiz-statements.sql) on a copy of the
#      database bench_quiz seeded: PostgreSQL alone, with no server taking CPU beside it;
#   4. and 5. the same as 2. and 3. with `synchronous_commit=off`: commits that do not wait for
#      the disk, the guarantee SQLite gives with the server's WAL and `synchronous=NORMAL` (a
#      commit survives the server's crash, not always the machine's). PostgreSQL's default waits
#      for fdatasync at every commit (about 0.6 ms on these machines, pg_test_fsync).
# Each row is learners per second (a start plus a submission each); ROUNDS interleaved rounds.
#
#   bench/pg-ceiling.sh [BENCH_QUIZ]      (default target/release/examples/bench_quiz)
#   ROUNDS=3 PG_ADMIN=postgres://root@127.0.0.1:5432/postgres?sslmode=disable bench/pg-ceiling.sh
#
# Needs pgbench (Debian: postgresql-client) and a PostgreSQL server the admin URL may create
# databases on.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=${1:-${CARGO_TARGET_DIR:-target}/release/examples/bench_quiz}
ROUNDS=${ROUNDS:-3}
PG_ADMIN=${PG_ADMIN:-postgres://root@127.0.0.1:5432/postgres?sslmode=disable}
BASE=${PG_ADMIN%%\?*}; BASE=${BASE%/*}
# pgbench connects with the admin URL's options too (`sslmode=disable`: no TLS to 127.0.0.1).
case $PG_ADMIN in *\?*) QUERY="?${PG_ADMIN#*\?}"; ASYNC="$PG_ADMIN&" ;; *) QUERY=""; ASYNC="$PG_ADMIN?" ;; esac
ASYNC="${ASYNC}options[synchronous_commit]=off"
command -v pgbench >/dev/null || { echo "pgbench is not installed (apt-get install postgresql-client)"; exit 1; }

learners_per_s() { sed -n 's/.*median of [0-9]*, burst 2 (warm): [0-9]* req\/s (\([0-9]*\) learners\/s).*/\1/p'; }

TEMPLATE=$(ACADEMY_BENCH_DATABASE_URL=$PG_ADMIN "$BENCH" --runs 1 --bursts 1 --keep-database \
    | sed -n 's/^kept database //p')
[ -n "$TEMPLATE" ] || { echo "bench_quiz kept no database"; exit 1; }
trap 'psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS \"$TEMPLATE\" WITH (FORCE)" >/dev/null' EXIT
read -r COURSE VERSION FIRST COUNT < <(psql -At -F ' ' "$BASE/$TEMPLATE" -c \
    "SELECT (SELECT course_id FROM quiz_versions LIMIT 1), (SELECT id FROM quiz_versions LIMIT 1),
            (SELECT MIN(user_id) FROM enrolments), (SELECT COUNT(*) FROM enrolments)")
CLIENTS=8
PER=$((COUNT / CLIENTS))

printf '%-6s %-40s %s\n' round "what" "learners/s"
pgbench_copy() { # round, label, PGOPTIONS
    local copy="pg_ceiling_$1" tps
    psql -q "$PG_ADMIN" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $copy" -c "CREATE DATABASE $copy TEMPLATE \"$TEMPLATE\""
    tps=$(PGOPTIONS=$3 pgbench -n -M prepared -c $CLIENTS -j 2 -T 6 -f bench/quiz-statements.sql \
        -D course="$COURSE" -D version="$VERSION" -D first="$FIRST" -D per="$PER" \
        "$BASE/$copy$QUERY" 2>&1 | sed -n 's/^tps = \([0-9]*\).*/\1/p')
    psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $copy WITH (FORCE)"
    printf '%-6s %-40s %s\n' "$1" "$2" "$tps"
}
server_row() { # round, label, database URL ("" for SQLite)
    local out
    if [ -n "$3" ]; then
        out=$(ACADEMY_BENCH_DATABASE_URL=$3 "$BENCH" --runs 3 --bursts 2 | learners_per_s)
    else
        out=$("$BENCH" --runs 3 --bursts 2 | learners_per_s)
    fi
    printf '%-6s %-40s %s\n' "$1" "$2" "$out"
}
for round in $(seq "$ROUNDS"); do
    server_row "$round" "server on SQLite (warm)" ""
    server_row "$round" "server on PostgreSQL (warm)" "$PG_ADMIN"
    server_row "$round" "server on PostgreSQL, commit off (warm)" "$ASYNC"
    pgbench_copy "$round" "PostgreSQL alone (pgbench)" ""
    pgbench_copy "$round" "PostgreSQL alone, commit off (pgbench)" "-c synchronous_commit=off"
done
