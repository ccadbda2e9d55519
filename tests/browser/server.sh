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

# shellcheck source=tests/support/demo_server.sh
source tests/support/demo_server.sh
academy_release_bin
step "start the server"
unset ACADEMY_DATABASE_URL
start_demo_server "$bin"

