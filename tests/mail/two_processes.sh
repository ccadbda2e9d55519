#!/usr/bin/env bash
# Two `academy` processes over one PostgreSQL database, both with their mail worker and their
# reminder job running every second, against a real SMTP server (aiosmtpd from PyPI). A
# session is booked through process A; its reminders become due; both processes race for
# them. Passes when every message arrived exactly once (no two messages with the same
# recipient and subject), the session's 24-hour reminder reached both people once, and the
# outbox holds no message that is not `sent`.
# Usage: bash tests/mail/two_processes.sh   (PG_ADMIN_URL to use another server)
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://root@127.0.0.1:5432/test}"

step() { printf '\n==> %s\n' "$*"; }

step "tools"
venv="${MAIL_SINK_VENV:-$HOME/.cache/academy-mail-sink}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
  python3 -m venv "$venv" || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$venv"; }
  "$venv/bin/pip" install -q "aiosmtpd==1.4.6"
fi

step "cargo build --release"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release --locked
bin="$CARGO_TARGET_DIR/release/academy"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work="$(mktemp -d)"
db="academy_mail2_$$"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

step "SMTP sink, database, demo data"
sink_port="$(free_port)"
"$venv/bin/python" tests/mail/sink.py "$sink_port" "$work/inbox" >"$work/sink.log" 2>&1 &
pids+=($!)
psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $db"
export ACADEMY_DATABASE_URL="${PG_ADMIN_URL%/*}/$db"
export ACADEMY_JWT_SECRET="two-processes-share-this-secret-0123456789"
export ACADEMY_DATA_DIR="$work/data"
export ACADEMY_COURSES_DIR="$root/courses"
export ACADEMY_STATIC_DIR="$root/static"
export ACADEMY_SMTP_URL="smtp://127.0.0.1:$sink_port"
export ACADEMY_MAIL_POLL_MILLISECONDS=100
export ACADEMY_REMINDER_INTERVAL_SECONDS=1
export ACADEMY_WEEKLY_DIGEST=false
export ROCKET_ADDRESS=127.0.0.1
export ROCKET_LOG_LEVEL=critical
mkdir -p "$ACADEMY_DATA_DIR"
demo_out="$(cd "$work" && "$bin" demo)"
password="$(printf '%s\n' "$demo_out" | sed -n 's/.*password: *\([^ ]*\).*/\1/p' | head -n1)"
# The demo's own sessions must not take part: booked "at their start", none is reminded of.
psql "$ACADEMY_DATABASE_URL" -qc "UPDATE bookings b SET created_at = s.starts_at FROM slots s WHERE s.id = b.slot_id"

step "two processes"
ports=()
for name in a b; do
  port="$(free_port)"
  ports+=("$port")
  (cd "$work" && ROCKET_PORT="$port" ACADEMY_PUBLIC_URL="http://127.0.0.1:$port" exec "$bin" >"$work/$name.log" 2>&1) &
  pids+=($!)
done
for port in "${ports[@]}"; do
  for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.5; done
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null
done
a="http://127.0.0.1:${ports[0]}"

login() {
  curl -fsS "$a/api/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"$password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
step "a booking through process A, its reminders made due"
advisor="$(login advisor.finance@iberobio.example)"
learner="$(login emma@olivia-agro.example)"
# The first hour from now+3h (bookings need 2 hours' notice) that the advisor has free (the demo has
# slots of its own), looking up to two weeks ahead: the server refuses slots on the advisor's public
# holidays, and the next day can be one (8 December in Madrid and Lisbon).
slot=""
for h in $(seq 3 336); do
  start="$(date -u -d "+$h hours" +%Y-%m-%dT%H:07:00Z)"
  end="$(date -u -d "+$h hours" +%Y-%m-%dT%H:37:00Z)"
  answer="$(curl -sS "$a/api/slots" -H "authorization: Bearer $advisor" -H 'content-type: application/json' \
    -d "{\"starts_at\":\"$start\",\"ends_at\":\"$end\",\"topic\":\"finance\",\"mode\":\"online\",\"location\":\"https://meet.example/two\"}")"
  slot="$(printf '%s' "$answer" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("id", ""))' 2>/dev/null || true)"
  [ -n "$slot" ] && break
done
[ -n "$slot" ] || { echo "no free hour for a slot in two weeks: $answer"; exit 1; }
answer="$(curl -sS "$a/api/slots/$slot/booking" -H "authorization: Bearer $learner" -H 'content-type: application/json' \
  -d '{"note":"two processes"}')"
booking="$(printf '%s' "$answer" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("id", ""))' 2>/dev/null || true)"
[ -n "$booking" ] || { echo "the booking was refused: $answer"; exit 1; }
# A session more than a day away has no reminder due yet: move it to three hours from now
# (what is tested here is delivery, not the calendar rules the API already applied).
if [ "$h" -gt 20 ]; then
  psql "$ACADEMY_DATABASE_URL" -qc "UPDATE slots SET starts_at = $(date -u +%s) + 10800, ends_at = $(date -u +%s) + 12600 WHERE id = $slot"
fi
# Booked two days ago: the 24-hour reminder is due now, in whichever process looks first.
psql "$ACADEMY_DATABASE_URL" -qc "UPDATE bookings SET created_at = created_at - 172800 WHERE id = $booking"

step "wait for delivery"
for _ in $(seq 1 60); do
  left="$(psql "$ACADEMY_DATABASE_URL" -Atc "SELECT COUNT(*) FROM outbox WHERE status <> 'sent'")"
  reminders="$(psql "$ACADEMY_DATABASE_URL" -Atc "SELECT COUNT(*) FROM outbox WHERE kind = 'reminder'")"
  [ "$left" = 0 ] && [ "$reminders" -ge 2 ] && break
  sleep 1
done
sleep 3 # a duplicate, if any, would arrive now

step "check"
sent="$(psql "$ACADEMY_DATABASE_URL" -Atc "SELECT COUNT(*) FROM outbox WHERE status = 'sent'")"
left="$(psql "$ACADEMY_DATABASE_URL" -Atc "SELECT COUNT(*) FROM outbox WHERE status <> 'sent'")"
reminded="$(psql "$ACADEMY_DATABASE_URL" -Atc "SELECT COUNT(*), COUNT(DISTINCT user_id) FROM outbox WHERE kind = 'reminder'")"
[ "$left" = 0 ] || { echo "$left messages not sent"; psql "$ACADEMY_DATABASE_URL" -c "SELECT id, kind, status, attempts, last_error FROM outbox WHERE status <> 'sent'"; exit 1; }
[ "$reminded" = "2|2" ] || { echo "expected one reminder to each of the two people, got (count|people) $reminded"; exit 1; }
"$venv/bin/python" - "$work/inbox" "$sent" <<'PY'
import collections, email, email.policy, pathlib, sys
inbox, sent = pathlib.Path(sys.argv[1]), int(sys.argv[2])
seen = collections.Counter()
for f in sorted(inbox.glob("*.eml")):
    m = email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
    seen[(str(m["To"]), str(m["Subject"]))] += 1
dupes = {k: n for k, n in seen.items() if n > 1}
print(f"outbox: {sent} sent; the SMTP server received {sum(seen.values())} ({len(seen)} distinct)")
assert not dupes, f"received more than once: {dupes}"
assert sum(seen.values()) == sent, "every sent message arrived, once"
PY
echo "two processes over one PostgreSQL: each message once, each reminder once"
