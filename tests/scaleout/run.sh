#!/usr/bin/env bash
# Scale-out proof (issue 17): two `academy` processes behind nginx (round robin), over one
# PostgreSQL database and one S3 server (the s3s example), started at the same moment on an
# empty database. tests/scaleout/check.py then checks that they behave as one server: both
# get traffic, one winner per slot under a booking storm split between them, a quiz started
# on one and graded on the other, refresh-token reuse detected across them, a material
# uploaded through one and downloaded through the other, sign-in throttling and the verify
# rate limit counted once for both, one course import, Open Badges credentials of one
# verified by the other, and the browser's cookie session through the balancer.
# Usage: bash tests/scaleout/run.sh
#   ACADEMY_BIN, S3_SERVER_BIN: binaries to use (otherwise `cargo build --release --locked`,
#   and `--example s3_server`, into ${CARGO_TARGET_DIR:-target}); PG_ADMIN_URL: another
#   PostgreSQL server; KEEP_WORK=1 keeps the work folder (logs, nginx config) for a look.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://root@127.0.0.1:5432/test}"

step() { printf '\n==> %s\n' "$*"; }

step "tools"
if ! command -v nginx >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
fi
# Debian's package starts the system service where it can: this script never uses it.
nginx -v
for tool in psql curl python3; do command -v "$tool" >/dev/null || { echo "needs $tool"; exit 1; }; done

step "binaries"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
if [ -n "${ACADEMY_BIN:-}" ]; then
  bin="$ACADEMY_BIN"
else
  cargo build --release --locked
  bin="$CARGO_TARGET_DIR/release/academy"
fi
if [ -n "${S3_SERVER_BIN:-}" ]; then
  s3bin="$S3_SERVER_BIN"
else
  cargo build --release --locked --example s3_server
  s3bin="$CARGO_TARGET_DIR/release/examples/s3_server"
fi
for b in "$bin" "$s3bin"; do [ -x "$b" ] || { echo "not an executable: $b"; exit 1; }; done
echo "academy: $bin"
echo "s3 server: $s3bin"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # url, what
  for _ in $(seq 1 240); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.25; done
  echo "$2 did not answer at $1"
  return 1
}
wait_port() { # port, what
  for _ in $(seq 1 240); do
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$1" 2>/dev/null && return 0
    sleep 0.25
  done
  echo "$2 is not listening on port $1"
  return 1
}

work="$(mktemp -d)"
# nginx's workers run as another user when the script runs as root: they must reach their
# temp folders under the work folder.
chmod 711 "$work"
db="academy_scaleout_$$"
pids=()
show_logs() {
  for f in a.log b.log s3.log nginx/error.log demo.log; do
    [ -s "$work/$f" ] || continue
    printf '\n----- last lines of %s -----\n' "$f"
    tail -n 40 "$work/$f"
  done
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$rc" != 0 ]; then show_logs; fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  if [ -n "${KEEP_WORK:-}" ]; then echo "work folder kept: $work"; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "PostgreSQL database, S3 server"
psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $db"
s3_port="$(free_port)"
S3_ACCESS_KEY=scaleout S3_SECRET_KEY=scaleout-secret-key-0123456789 \
  "$s3bin" "$work/s3" "$s3_port" academy >"$work/s3.log" 2>&1 &
pids+=($!)
wait_port "$s3_port" "the S3 server"

lb_port="$(free_port)"
port_a="$(free_port)"
port_b="$(free_port)"
while [ "$port_b" = "$port_a" ] || [ "$port_b" = "$lb_port" ]; do port_b="$(free_port)"; done
while [ "$port_a" = "$lb_port" ]; do port_a="$(free_port)"; done

# What both processes share: one database, one secret, one public URL (the balancer's), one
# bucket. Each has its own data dir (and so its own Open Badges signing key).
export ACADEMY_DATABASE_URL="${PG_ADMIN_URL%/*}/$db"
export ACADEMY_JWT_SECRET="scale-out-processes-share-this-secret-0123456789"
export ACADEMY_PUBLIC_URL="http://127.0.0.1:$lb_port"
export ACADEMY_S3_BUCKET=academy
export ACADEMY_S3_ENDPOINT="http://127.0.0.1:$s3_port"
export ACADEMY_S3_ACCESS_KEY=scaleout
export ACADEMY_S3_SECRET_KEY=scaleout-secret-key-0123456789
export ACADEMY_TRUSTED_PROXIES=127.0.0.1
export ACADEMY_VERIFY_RATE_PER_MINUTE=10
# The first sign-in lock lasts a minute (default 1 s), so that "locked" can be observed
# without racing the clock; the number of failures before it is the default (5).
export ACADEMY_LOGIN_LOCK_SECONDS=60
export ACADEMY_COURSES_DIR="$root/courses"
export ACADEMY_STATIC_DIR="$root/static"
export ACADEMY_LOG_FORMAT=json
export ACADEMY_WEEKLY_DIGEST=false
export ROCKET_ADDRESS=127.0.0.1
export ROCKET_LOG_LEVEL=critical
unset ACADEMY_SMTP_URL ACADEMY_XAPI_ENDPOINT ACADEMY_IMPORT_ON_START ACADEMY_CREDENTIAL_KEYS_DIR

step "two processes started at the same moment on the empty database (migrations and course import race)"
for name in a b; do
  port="$port_a"; [ "$name" = b ] && port="$port_b"
  mkdir -p "$work/$name"
  (
    cd "$work"
    while [ ! -e "$work/go" ]; do sleep 0.01; done
    ROCKET_PORT="$port" ACADEMY_DATA_DIR="$work/$name" exec "$bin" >"$work/$name.log" 2>&1
  ) &
  pids+=($!)
done
touch "$work/go"
wait_http "http://127.0.0.1:$port_a/health" "process A"
wait_http "http://127.0.0.1:$port_b/health" "process B"
echo "A on $port_a, B on $port_b"

step "nginx on $lb_port (round robin over both)"
mkdir -p "$work/nginx/temp"
sed -e "s|@PREFIX@|$work/nginx|g" -e "s|@LB_PORT@|$lb_port|g" \
    -e "s|@PORT_A@|$port_a|g" -e "s|@PORT_B@|$port_b|g" \
    tests/scaleout/nginx.conf.template >"$work/nginx/nginx.conf"
nginx_cmd=(nginx -p "$work/nginx/" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log")
"${nginx_cmd[@]}" -t -q
"${nginx_cmd[@]}" -g 'daemon off;' &
pids+=($!)
wait_http "http://127.0.0.1:$lb_port/health" "nginx"

step "demo data (seeded once, after the start: the demo imports the courses itself)"
# A's data dir: the demo's own start-up registers A's signing key, not a third one.
(cd "$work" && ACADEMY_DATA_DIR="$work/a" "$bin" demo >"$work/demo.log" 2>&1) || { echo "academy demo failed"; exit 1; }
password="$(sed -n "s/.*password: *\([^ ]*\).*/\1/p" "$work/demo.log" | head -n1)"
[ -n "$password" ] || { echo "no password in the demo's output"; exit 1; }

step "checks"
set +e
SCALEOUT_LB="http://127.0.0.1:$lb_port" \
SCALEOUT_A="http://127.0.0.1:$port_a" \
SCALEOUT_B="http://127.0.0.1:$port_b" \
SCALEOUT_S3="http://127.0.0.1:$s3_port" \
SCALEOUT_DB="$ACADEMY_DATABASE_URL" \
SCALEOUT_PASSWORD="$password" \
SCALEOUT_COURSES="$root/courses" \
SCALEOUT_LOG_A="$work/a.log" \
SCALEOUT_LOG_B="$work/b.log" \
  python3 tests/scaleout/check.py
rc=$?
set -e
if [ "$rc" != 0 ]; then
  printf '\nnginx access log (last 30 lines):\n'
  tail -n 30 "$work/nginx/access.log" || true
fi
exit "$rc"
