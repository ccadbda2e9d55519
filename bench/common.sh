# Shared by the bench/*.sh scripts: start a release `academy` on a fresh data dir, sample RSS.
# Source it; needs BIN (the release binary) and REPO (the checkout, for courses/ and static/).

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BIN=${BIN:-$REPO/target/release/academy}
PORT=${PORT:-18080}
URL="http://127.0.0.1:$PORT"
ADMIN_EMAIL=admin@bench.example
ADMIN_PASSWORD=bench-admin-password-123

# The tools the scripts use, from Debian when missing (as root, like CI).
need=()
for tool in hey bc curl psql; do
  command -v "$tool" >/dev/null || need+=("$([ "$tool" = psql ] && echo postgresql-client || echo "$tool")")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# start_server WORKDIR [DATABASE_URL]: fresh data under WORKDIR, admin user, server in the
# background; sets SERVER_PID.
start_server() {
  local work=$1 db=${2:-}
  mkdir -p "$work"
  export ACADEMY_DATA_DIR="$work/data" ACADEMY_COURSES_DIR="$REPO/courses" \
         ACADEMY_STATIC_DIR="$REPO/static" ROCKET_PORT=$PORT ROCKET_ADDRESS=127.0.0.1 \
         ROCKET_LOG_LEVEL=critical RUST_LOG=${RUST_LOG:-warn} \
         ACADEMY_JWT_SECRET=bench-secret-bench-secret-bench-secret-0123
  if [ -n "$db" ]; then export ACADEMY_DATABASE_URL="$db"; else unset ACADEMY_DATABASE_URL; fi
  (cd "$work" && echo "$ADMIN_PASSWORD" | "$BIN" user add --email $ADMIN_EMAIL --name Admin \
      --role admin --password-stdin >/dev/null)
  (cd "$work" && exec "$BIN" serve >"$work/server.log" 2>&1) &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    curl -fs "$URL/health" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "the server did not start; log:" >&2; cat "$work/server.log" >&2; return 1
}

stop_server() { kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true; }

rss_mib() { awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$1/status" 2>/dev/null || echo 0; }

# sample_rss PID FILE: one "seconds rss_mib" line every 0.5 s until killed.
sample_rss() {
  local pid=$1 file=$2 t0; t0=$(date +%s.%N)
  while kill -0 "$pid" 2>/dev/null; do
    echo "$(echo "$(date +%s.%N) - $t0" | bc) $(rss_mib "$pid")" >>"$file"
    sleep 0.5
  done
}

# login EMAIL PASSWORD -> access token
login() {
  curl -fs -X POST "$URL/api/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"$2\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# p99 in ms from hey's report
# (few responses: hey prints no 99% line; the slowest is the p99 then)
hey_p99() { awk '/Slowest:/ {s=$2} / 99% in / {p=$3} END {printf "%.0f", (p ? p : s)*1000}' "$1"; }
hey_p50() { awk '/ 50% in / {printf "%.0f", $3*1000}' "$1"; }
hey_codes() { awk '/Status code distribution/ {f=1; next} f && /\[/ {printf "%s%s", sep, $0; sep=","} f && /^$/ {f=0}' "$1" | tr -s ' '; }
