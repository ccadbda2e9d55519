# Sourced, from the repository's root, by the scripts that drive a release `academy` over HTTP
# with the demo data (tests/browser/server.sh, tests/schemathesis/run.sh, tests/ob3/run.sh).
# Expects `root` (the repository) and `step` from the sourcing script.
#
#   academy_release_bin        sets `bin`: $ACADEMY_BIN when set (a copy of a release build, so
#                              parallel work does not race on the target directory), otherwise
#                              `cargo build --release --locked` into ${CARGO_TARGET_DIR:-target}
#   start_demo_server "$bin"   a fresh data folder, `academy demo`, then the server on a free
#                              port, waited for until /health answers. Exports ACADEMY_URL,
#                              ACADEMY_PUBLIC_URL, ACADEMY_DATA_DIR, ACADEMY_DEMO_PASSWORD; sets
#                              `work` (the folder; the log is $work/server.log) and `server_pid`.
#                              Stopped and removed when the sourcing script exits.
# Other settings (ACADEMY_DATABASE_URL, throttles) are whatever the caller exported before.

academy_release_bin() {
  if [ -n "${ACADEMY_BIN:-}" ]; then
    bin="$ACADEMY_BIN"
  else
    step "cargo build --release"
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
    cargo build --release --locked
    bin="$CARGO_TARGET_DIR/release/academy"
  fi
}

stop_demo_server() {
  if [ -n "${server_pid:-}" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "${work:-}" ]; then rm -rf "$work"; fi
}

start_demo_server() {
  local bin="$1" port demo_out
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  work="$(mktemp -d)"
  server_pid=""
  trap stop_demo_server EXIT INT TERM
  export ACADEMY_DATA_DIR="$work/data" ACADEMY_STATIC_DIR="$root/static" \
         ACADEMY_COURSES_DIR="$root/courses" ACADEMY_PUBLIC_URL="http://127.0.0.1:$port" \
         ROCKET_ADDRESS=127.0.0.1 ROCKET_PORT="$port" \
         ROCKET_LOG_LEVEL="${ROCKET_LOG_LEVEL:-critical}" RUST_LOG="${RUST_LOG:-warn}"
  mkdir -p "$ACADEMY_DATA_DIR"
  demo_out="$(cd "$work" && "$bin" demo)"
  ACADEMY_DEMO_PASSWORD="$(printf '%s\n' "$demo_out" | sed -n 's/.*password: *\([^ ]*\).*/\1/p' | head -n1)"
  if [ -z "$ACADEMY_DEMO_PASSWORD" ]; then
    printf '%s\n' "$demo_out" >&2
    echo "could not read the demo password from 'academy demo'" >&2
    exit 1
  fi
  export ACADEMY_DEMO_PASSWORD
  (cd "$work" && exec "$bin" >"$work/server.log" 2>&1) &
  server_pid=$!
  export ACADEMY_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 120); do
    curl -fsS "$ACADEMY_URL/health" >/dev/null 2>&1 && return 0
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "the server stopped during start-up:" >&2
      cat "$work/server.log" >&2
      exit 1
    fi
    sleep 0.5
  done
  echo "the server did not become healthy" >&2
  cat "$work/server.log" >&2
  exit 1
}
