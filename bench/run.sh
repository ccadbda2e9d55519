#!/usr/bin/env bash
# The hot paths next to their baselines, in one run, on SQLite and on PostgreSQL (issue 17).
#
#   bash bench/run.sh                 full run (about 5 minutes): both databases, tables
#                                     written into BENCHMARKS.md between the bench/run.sh markers
#   SMOKE=1 bash bench/run.sh         correctness only (CI, under a minute): SQLite, small hubs,
#                                     1 s per scenario; no timings compared, nothing written
#
# Environment: BIN (release binary; otherwise built with cargo build --release --locked),
# DURATION (seconds per scenario, 8), DATABASES ("sqlite postgres"), PG_ADMIN_URL
# (postgres://root@127.0.0.1:5432/test: fresh databases are created next to it and dropped),
# PG_SSLMODE (the server's sslmode to PostgreSQL, disable),
# PORT (18090; nginx on PORT+1), KEEP=1 keeps the work directory.
#
# Per database: a realistic hub is seeded (bench/seed_hub.py: 60 SMEs, 1,500 learners, 2,000
# advisory slots, a year of completions with certificates) and the release server started on
# it, with nginx beside it serving the bytes of one module page as a static file. Then, each
# with wrk -t1 -c32 (bench/wrk/request.lua), back to back:
#   baselines  nginx static file | the same bytes as a static file through Rocket |
#              GET /api/languages (constant, no auth) | GET /health (database ping)
#   hot paths  module page (learner) | catalogue | module page revalidated (If-None-Match) |
#              reports smes, completions, indicators (admin) | certificates (coordinator) |
#              slots (learner)
# measuring req/s, p50, p99 and RSS; then the same request N times one after the other for the
# statements per request (academy_db_statements_total over academy_http_requests_total from
# /metrics; exact, as no request is cancelled midway as at the end of a wrk run). The report
# routes run again on a small hub (10 SMEs; smoke: 30 and 10): their statements per request
# must be the same at both sizes (no N+1), else exit 1; and once more on a hub of the whole
# programme's size (600 SMEs, 1,500 learners): timed under load and one at a time against the
# 100 ms target, and their statements per request again the same. The module page and the
# catalogue must answer an ETag and 304 to If-None-Match with it.
# Any non-2xx/3xx answer fails the run, and so does a booking race (20 learners, one slot)
# with other than exactly one winner.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SMOKE=${SMOKE:-0}
if [ "$SMOKE" = 1 ]; then
  DURATION=${DURATION:-1}; DATABASES=${DATABASES:-sqlite}
  LARGE=(30 450 1000); SMALL=(10 150 333)
else
  DURATION=${DURATION:-8}; DATABASES=${DATABASES:-sqlite postgres}
  LARGE=(60 1500 2000); SMALL=(10 150 333)
fi
PROGRAMME=(600 1500 2000)
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://root@127.0.0.1:5432/test}
# The server and PostgreSQL share the machine, as a deployment on one host would: TLS to
# 127.0.0.1 only burns CPU (it doubled the cost of a quiz request). PG_SSLMODE=prefer measures
# it anyway.
PG_SSLMODE=${PG_SSLMODE:-disable}
PORT=${PORT:-18090}; NGINX_PORT=$((PORT + 1))
URL="http://127.0.0.1:$PORT"; NGINX_URL="http://127.0.0.1:$NGINX_PORT"
ADMIN_EMAIL=admin@bench.example
ADMIN_PASSWORD=bench-admin-password-123
CONNECTIONS=32
COUNT_RUNS=$([ "$SMOKE" = 1 ] && echo 20 || echo 50)
export PGOPTIONS='-c client_min_messages=warning'
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED_AT=$(date -u '+%Y-%m-%d %H:%M UTC')
T_RUN=$(date +%s)

# --- tools (from Debian when missing; root, like CI) ----------------------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || need+=(nginx)
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
case " $DATABASES " in *" postgres "*) command -v psql >/dev/null || need+=(postgresql-client) ;; esac
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ -z "${BIN:-}" ]; then
  (cd "$REPO" && cargo build --release --locked)
  target=${CARGO_TARGET_DIR:-$REPO/target}
  case $target in /*) ;; *) target=$REPO/$target ;; esac
  BIN=$target/release/academy
fi
[ -x "$BIN" ] || { echo "no server binary at $BIN" >&2; exit 1; }

WORK=$(mktemp -d /tmp/academy-bench.XXXXXX)
chmod 755 "$WORK"  # nginx's workers (not root) read the static copy under it
RESULTS=$WORK/results.jsonl; : >"$RESULTS"
META=$WORK/meta.jsonl; : >"$META"
SERVER_PID=""; NGINX_PID=""; SERVER_LOG=""; PG_DBS=()

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
stop_nginx() {
  if [ -n "$NGINX_PID" ]; then
    kill "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
    NGINX_PID=""
  fi
}
cleanup() {
  local status=$?
  if [ "$status" != 0 ] && [ -n "$SERVER_LOG" ] && [ -f "$SERVER_LOG" ]; then
    echo "--- bench/run.sh failed (exit $status); last lines of the server log ($SERVER_LOG):" >&2
    tail -n 40 "$SERVER_LOG" >&2 || true
  fi
  stop_server; stop_nginx
  for db in "${PG_DBS[@]}"; do
    psql -X -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
  if [ "${KEEP:-0}" = 1 ] || [ "$status" != 0 ]; then echo "work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0; }

# start_server DIR: the release server on DIR's data and static copy, in the background; sets
# SERVER_PID and STARTUP_MS (launch to the first 200 from /health).
start_server() {
  local dir=$1 t0 i
  SERVER_LOG=$dir/server.log
  ! curl -s -o /dev/null "$URL/" 2>/dev/null || fail "something already listens on port $PORT (set PORT)"
  t0=$(date +%s%N)
  (cd "$dir" && exec "$BIN" serve >>"$SERVER_LOG" 2>&1) &
  SERVER_PID=$!
  for i in $(seq 1 3000); do
    if curl -fs -o /dev/null "$URL/health" 2>/dev/null; then
      STARTUP_MS=$((($(date +%s%N) - t0) / 1000000))
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited during start-up"
    sleep 0.01
  done
  fail "the server did not answer /health within 60 s"
}

login() {
  curl -fsS -X POST "$URL/api/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"$ADMIN_PASSWORD\"}" | json 'd["access_token"]'
}

# setup_hub KIND NAME SMES LEARNERS SLOTS: a fresh database seeded, the server running on it.
setup_hub() {
  local kind=$1 name=$2 smes=$3 learners=$4 slots=$5 seed_db
  HUB_DIR=$WORK/$kind-$name
  mkdir -p "$HUB_DIR/data"
  cp -r "$REPO/static" "$HUB_DIR/static"
  export ACADEMY_DATA_DIR=$HUB_DIR/data ACADEMY_COURSES_DIR=$REPO/courses \
         ACADEMY_STATIC_DIR=$HUB_DIR/static ROCKET_PORT=$PORT ROCKET_ADDRESS=127.0.0.1 \
         ROCKET_LOG_LEVEL=critical RUST_LOG=${RUST_LOG:-warn} \
         ACADEMY_JWT_SECRET=bench-secret-bench-secret-bench-secret-0123
  # The periodic jobs (reminders, waitlist holds, digests: tens of statements each minute on
  # a seeded hub; the storage sweep) run at start-up and then not again during the run, so
  # that the statements counted per request are the request's own. Their first run at
  # start-up is over before any scenario.
  export ACADEMY_REMINDER_INTERVAL_SECONDS=86400 ACADEMY_STORAGE_SWEEP_INTERVAL_SECONDS=86400
  if [ "$kind" = postgres ]; then
    local db="academy_bench_$$_$name"
    psql -X -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" -c "CREATE DATABASE \"$db\"" >/dev/null
    PG_DBS+=("$db")
    seed_db="${PG_ADMIN_URL%/*}/$db"
    export ACADEMY_DATABASE_URL="$seed_db?sslmode=$PG_SSLMODE"
  else
    unset ACADEMY_DATABASE_URL
    seed_db=$HUB_DIR/data/academy.db
  fi
  # Migrations (user add runs them), the admin, then one start for the course import.
  (cd "$HUB_DIR" && echo "$ADMIN_PASSWORD" | "$BIN" user add --email "$ADMIN_EMAIL" --name "Bench Admin" \
      --role admin --password-stdin >"$HUB_DIR/user-add.log" 2>&1) \
    || { cat "$HUB_DIR/user-add.log" >&2; fail "academy user add failed (migrations or the admin)"; }
  start_server "$HUB_DIR"
  FIRST_STARTUP_MS=$STARTUP_MS
  stop_server
  python3 "$REPO/bench/seed_hub.py" --db "$seed_db" --smes "$smes" --learners "$learners" \
    --slots "$slots" --admin-email "$ADMIN_EMAIL" --facts "$HUB_DIR/facts.json"
  start_server "$HUB_DIR"
  sleep 1
  RSS_REST_MIB=$(($(kib VmRSS) / 1024))
  ADMIN_TOKEN=$(login "$ADMIN_EMAIL")
  local seen
  seen=$(curl -fsS "$URL/api/reports/smes" -H "authorization: Bearer $ADMIN_TOKEN" | json 'len(d["items"])')
  [ "$seen" -ge "$smes" ] || fail "the API lists $seen SMEs after seeding $smes"
  echo "$kind/$name hub: GET /api/reports/smes lists $seen SMEs; start-up ${STARTUP_MS} ms (first start with the course import ${FIRST_STARTUP_MS} ms), RSS at rest ${RSS_REST_MIB} MiB"
}

# scenario GROUP LABEL TARGET PATH [TOKEN] [IF_NONE_MATCH]: wrk against nginx or the server.
scenario() {
  local group=$1 label=$2 target=$3 path=$4 token=${5:-} inm=${6:-} base f probe
  base=$([ "$target" = nginx ] && echo "$NGINX_URL" || echo "$URL")
  f=$WORK/$(echo "$KIND-$HUB-$label" | tr -c 'A-Za-z0-9\n-' '_')
  local hdr=()
  [ -n "$token" ] && hdr+=(-H "authorization: Bearer $token")
  [ -n "$inm" ] && hdr+=(-H "if-none-match: $inm")
  probe=$(curl -s -o /dev/null -w '%{http_code}' "${hdr[@]}" "$base$path")
  curl -fsS "$URL/metrics" >"$f.m0"
  TOKEN=$token IF_NONE_MATCH=$inm WRK_OUT=$f.json \
    wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$REPO/bench/wrk/request.lua" "$base$path" >"$f.txt"
  sleep 0.3
  curl -fsS "$URL/metrics" >"$f.m1"
  # Exact statements per request: N more requests one after the other on one connection
  # (wrk cancels the requests in flight when it stops; they ran statements but are not counted).
  python3 "$REPO/bench/report.py" count --url "$URL" --base "$base" --path "$path" --token "$token" \
    --if-none-match "$inm" --n "$COUNT_RUNS" --out "$f.count"
  python3 "$REPO/bench/report.py" record --out "$RESULTS" --db "$KIND" --hub "$HUB" --group "$group" \
    --label "$label" --target "$target" --probe "$probe" --wrk "$f.json" --m0 "$f.m0" --m1 "$f.m1" \
    --rss-kib "$(kib VmRSS)" --hwm-kib "$(kib VmHWM)" --count "$f.count"
}

# The three coordinator reports, as the admin (every SME): timed and their statements counted
# at each hub size.
report_scenarios() {
  scenario report "GET /api/reports/smes (admin)" rocket /api/reports/smes "$ADMIN_TOKEN"
  scenario report "GET /api/reports/completions (admin)" rocket /api/reports/completions "$ADMIN_TOKEN"
  scenario report "GET /api/reports/indicators (admin)" rocket /api/reports/indicators "$ADMIN_TOKEN"
}

# race SLOT EMAIL...: every learner books the slot at the same moment; exactly one may win.
race() {
  local slot=$1; shift
  local tokens=() e
  for e in "$@"; do tokens+=("$(login "$e")"); done
  RACE=$(python3 - "$URL" "$slot" "${tokens[@]}" <<'EOF'
import json, sys, threading, urllib.request, urllib.error
url, slot, tokens = sys.argv[1], sys.argv[2], sys.argv[3:]
barrier = threading.Barrier(len(tokens))
codes = []
def book(token):
    req = urllib.request.Request(f"{url}/api/slots/{slot}/booking", method="POST",
                                 data=b'{"note":"race"}', headers={
                                     "content-type": "application/json",
                                     "authorization": f"Bearer {token}"})
    barrier.wait()
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            codes.append(r.status)
    except urllib.error.HTTPError as e:
        codes.append(e.code)
    except Exception:
        codes.append(0)
threads = [threading.Thread(target=book, args=(t,)) for t in tokens]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({str(c): codes.count(c) for c in sorted(set(codes))}))
EOF
)
  local stored
  if [ "$KIND" = postgres ]; then
    stored=$(psql -X -A -t "$ACADEMY_DATABASE_URL" -c "SELECT COUNT(*) FROM bookings WHERE slot_id = $slot AND status = 'active'")
  else
    stored=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT COUNT(*) FROM bookings WHERE slot_id = ? AND status = 'active'\", (int(sys.argv[2]),)).fetchone()[0])" "$HUB_DIR/data/academy.db" "$slot")
  fi
  echo "{\"db\":\"$KIND\",\"kind\":\"race\",\"learners\":$#,\"codes\":$RACE,\"stored_active\":$stored}" >>"$META"
  echo "$KIND booking race: $# learners on slot $slot -> answers $RACE, active bookings stored: $stored"
}

echo "bench/run.sh: $([ "$SMOKE" = 1 ] && echo SMOKE || echo full) run, databases: $DATABASES, ${DURATION}s per scenario, $(nproc) cores, load average $LOAD_AT_START"
echo "binary: $BIN"
for KIND in $DATABASES; do
  # --- the large hub: every scenario ---------------------------------------------------------
  HUB=large
  setup_hub "$KIND" large "${LARGE[@]}"
  facts=$HUB_DIR/facts.json
  COORD_TOKEN=$(login "$(json 'd["coordinator_email"]' <"$facts")")
  LEARNER_TOKEN=$(login "$(json 'd["learner_email"]' <"$facts")")
  course=$(json 'd["module_course"]' <"$facts")
  module=$(curl -fsS "$URL/api/courses/$course" -H "authorization: Bearer $LEARNER_TOKEN" | json 'd["modules"][0]["slug"]')
  MODULE_PATH=/api/courses/$course/modules/$module
  # The exact bytes of the learner's module page, as a static file for Rocket and for nginx.
  curl -fsS "$URL$MODULE_PATH" -H "authorization: Bearer $LEARNER_TOKEN" -o "$HUB_DIR/static/bench-module.json"
  MODULE_BYTES=$(stat -c %s "$HUB_DIR/static/bench-module.json")
  ETAG=$(curl -fsS -D - -o /dev/null "$URL$MODULE_PATH" -H "authorization: Bearer $LEARNER_TOKEN" \
         | awk 'tolower($1) == "etag:" {sub(/\r$/, ""); $1 = ""; sub(/^ /, ""); print}')
  # The catalogue's ETag and a revalidation of it (a correctness probe; not timed).
  CAT_ETAG=$(curl -fsS -D - -o /dev/null "$URL/api/courses" -H "authorization: Bearer $LEARNER_TOKEN" \
             | awk 'tolower($1) == "etag:" {sub(/\r$/, ""); $1 = ""; sub(/^ /, ""); print}')
  CAT_304=$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/courses" -H "authorization: Bearer $LEARNER_TOKEN" \
            -H "if-none-match: ${CAT_ETAG:-none}")
  mkdir -p "$HUB_DIR/nginx/logs"
  cat >"$HUB_DIR/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $HUB_DIR/nginx/nginx.pid;
error_log $HUB_DIR/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $HUB_DIR/nginx/client_body;
  proxy_temp_path $HUB_DIR/nginx/proxy;
  fastcgi_temp_path $HUB_DIR/nginx/fastcgi;
  uwsgi_temp_path $HUB_DIR/nginx/uwsgi;
  scgi_temp_path $HUB_DIR/nginx/scgi;
  sendfile on;
  keepalive_requests 1000000;
  default_type application/json;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $HUB_DIR/static;
    location / { try_files \$uri =404; }
  }
}
EOF
  ! curl -s -o /dev/null "$NGINX_URL/" 2>/dev/null || fail "something already listens on port $NGINX_PORT (set PORT)"
  nginx -p "$HUB_DIR/nginx" -c "$HUB_DIR/nginx/nginx.conf" -g 'daemon off;' &
  NGINX_PID=$!
  for _ in $(seq 1 100); do curl -fs -o /dev/null "$NGINX_URL/bench-module.json" && break; sleep 0.05; done
  cmp -s <(curl -fsS "$NGINX_URL/bench-module.json") "$HUB_DIR/static/bench-module.json" || fail "nginx does not serve the module bytes"
  cmp -s <(curl -fsS "$URL/bench-module.json") "$HUB_DIR/static/bench-module.json" || fail "Rocket does not serve the module bytes as a static file"
  echo "{\"db\":\"$KIND\",\"kind\":\"hub\",\"startup_ms\":$STARTUP_MS,\"first_startup_ms\":$FIRST_STARTUP_MS,\"rss_rest_mib\":$RSS_REST_MIB,\"module_path\":\"$MODULE_PATH\",\"module_bytes\":$MODULE_BYTES,\"etag\":$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$ETAG"),\"catalogue_etag\":$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$CAT_ETAG"),\"catalogue_revalidated\":$CAT_304,\"facts\":$(cat "$facts")}" >>"$META"

  scenario baseline "nginx static file" nginx /bench-module.json
  scenario baseline "Rocket static file" rocket /bench-module.json
  scenario baseline "minimal route GET /api/languages" rocket /api/languages
  scenario baseline "GET /health (database ping)" rocket /health
  scenario hot "module page (learner)" rocket "$MODULE_PATH" "$LEARNER_TOKEN"
  scenario hot "catalogue GET /api/courses (learner)" rocket /api/courses "$LEARNER_TOKEN"
  if [ -n "$ETAG" ]; then
    scenario hot "module page revalidated (If-None-Match)" rocket "$MODULE_PATH" "$LEARNER_TOKEN" "$ETAG"
  else
    echo "{\"db\":\"$KIND\",\"hub\":\"large\",\"group\":\"hot\",\"label\":\"module page revalidated (If-None-Match)\",\"missing\":\"the module page has no ETag\"}" >>"$RESULTS"
    echo "$KIND: the module page answers without an ETag: revalidation not measured"
  fi
  report_scenarios
  scenario hot "GET /api/certificates (coordinator)" rocket /api/certificates "$COORD_TOKEN"
  scenario hot "GET /api/slots (learner)" rocket /api/slots "$LEARNER_TOKEN"
  echo "{\"db\":\"$KIND\",\"kind\":\"peak\",\"peak_mib\":$(($(kib VmHWM) / 1024)),\"rss_end_mib\":$(($(kib VmRSS) / 1024))}" >>"$META"
  race "$(json 'd["race_slot"]' <"$facts")" $(json '" ".join(d["race_learners"])' <"$facts")
  stop_nginx
  stop_server

  # --- the small hub: the report routes again, for statements per request ------------------
  HUB=small
  setup_hub "$KIND" small "${SMALL[@]}"
  report_scenarios
  stop_server

  # --- the programme's size: the reports at 600 SMEs ----------------------------------------
  HUB=programme
  setup_hub "$KIND" programme "${PROGRAMME[@]}"
  report_scenarios
  stop_server
done

echo "{\"kind\":\"run\",\"date\":\"$STARTED_AT\",\"nproc\":$(nproc),\"load\":\"$LOAD_AT_START\",\"duration\":$DURATION,\"connections\":$CONNECTIONS,\"seconds\":$(($(date +%s) - T_RUN)),\"large\":\"${LARGE[*]}\",\"small\":\"${SMALL[*]}\",\"programme\":\"${PROGRAMME[*]}\",\"smoke\":$SMOKE}" >>"$META"
python3 "$REPO/bench/report.py" render --results "$RESULTS" --meta "$META" \
  --benchmarks "$REPO/BENCHMARKS.md" $([ "$SMOKE" = 1 ] && echo --smoke)
