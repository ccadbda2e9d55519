# Sourced by run.sh and screenshots.sh (from the repository's root): installs what is missing,
# builds the server unless ACADEMY_BIN names one, starts it on a free port with a fresh data
# folder after `academy demo`, and exports ACADEMY_URL, ACADEMY_DEMO_PASSWORD, ACADEMY_DATA_DIR
# and CHROMIUM_PATH. The server is stopped and the folder removed when the sourcing script exits.
root="$PWD"

step() { printf '\n==> %s\n' "$*"; }

step "tools"
need=()
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || need+=(chromium)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
export CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium || echo /usr/bin/chromium)}"
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/axe-core ]; then
  # Only the driver library: never a browser download.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi

if [ -n "${ACADEMY_BIN:-}" ]; then
  # A binary built elsewhere (e.g. a copy of a release build, so parallel work does not race on
  # the shared target directory).
  bin="$ACADEMY_BIN"
else
  step "cargo build --release"
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
  cargo build --release --locked
  bin="$CARGO_TARGET_DIR/release/academy"
fi

step "start the server"
port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

export ACADEMY_DATA_DIR="$work/data"
export ACADEMY_STATIC_DIR="$root/static"
export ACADEMY_COURSES_DIR="$root/courses"
export ACADEMY_PUBLIC_URL="http://127.0.0.1:$port"
export ROCKET_ADDRESS=127.0.0.1
export ROCKET_PORT="$port"
export ROCKET_LOG_LEVEL="${ROCKET_LOG_LEVEL:-critical}"
unset ACADEMY_DATABASE_URL
mkdir -p "$ACADEMY_DATA_DIR"

demo_out="$(cd "$work" && "$bin" demo)"
printf '%s\n' "$demo_out"
ACADEMY_DEMO_PASSWORD="$(printf '%s\n' "$demo_out" | sed -n 's/.*password: *\([^ ]*\).*/\1/p' | head -n1)"
if [ -z "$ACADEMY_DEMO_PASSWORD" ]; then
  echo "could not read the demo password from 'academy demo'" >&2
  exit 1
fi
export ACADEMY_DEMO_PASSWORD

(cd "$work" && exec "$bin" >"$work/server.log" 2>&1) &
server_pid=$!
export ACADEMY_URL="http://127.0.0.1:$port"
for _ in $(seq 1 120); do
  if curl -fsS "$ACADEMY_URL/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the server stopped during start-up:" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  sleep 0.5
done
curl -fsS "$ACADEMY_URL/health" >/dev/null || { echo "the server did not become healthy" >&2; cat "$work/server.log" >&2; exit 1; }

