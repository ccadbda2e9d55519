#!/usr/bin/env bash
# xAPI against a real learning record store: installs Ralph (ralph-malph[cli,lrs] from PyPI)
# in a virtualenv and runs the suite's Ralph test, which starts `ralph runserver -b fs` on a
# free loopback port, sends the platform's statements to it, queries them back, stops the LRS
# while a statement is queued and checks it arrives once the LRS is back (and none twice).
# Usage: bash tests/xapi/run.sh   (ACADEMY_TEST_DATABASE_URL=postgres://... for PostgreSQL)
set -euo pipefail
cd "$(dirname "$0")/../.."

venv="${RALPH_VENV:-$HOME/.cache/academy-ralph}"
if [ ! -x "$venv/bin/ralph" ]; then
  python3 -m venv "$venv" || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$venv"; }
  # Ralph's auth module imports requests without declaring it.
  "$venv/bin/pip" install -q "ralph-malph[cli,lrs]==5.1.0" "requests>=2.31"
fi
# Ralph 5.1.0's file-system LRS backend writes with operation CREATE, which refuses any write
# once its statements file exists (the second statement ever stored gets a 500, "Statement
# indexation failed"). Its own APPEND operation is what an LRS needs: this venv's Python is
# told to use it (a .pth line runs at interpreter start-up).
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
cat >"$site/academy_ralph_fs_append.py" <<'PY'
"""Make Ralph's file-system LRS backend append statements (see tests/xapi/run.sh)."""
try:
    from ralph.backends.data.base import BaseOperationType
    from ralph.backends.lrs.fs import FSLRSBackend

    FSLRSBackend.default_operation_type = BaseOperationType.APPEND
except Exception:  # pip itself runs in this venv before ralph is installed
    pass
PY
echo "import academy_ralph_fs_append" >"$site/academy_ralph_fs_append.pth"
ACADEMY_TEST_RALPH="$venv/bin/ralph" cargo test --locked --test api xapi:: -- --ignored
