#!/usr/bin/env bash
# Browser tests of the qala web app: builds the app if needed, loads the fixtures into a fresh
# database, starts the real `qala serve` on it, runs the tests (node --test, playwright-core
# driving Debian's /usr/bin/chromium), then stops the server and drops the database.
# Called by scripts/test with QALA_TEST_DATABASE_URL set; exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
QALA="${QALA_BIN:-$ROOT/target/debug/qala}"

: "${QALA_TEST_DATABASE_URL:?QALA_TEST_DATABASE_URL must point at a PostgreSQL server with PostGIS (scripts/test sets it)}"
[ -x /usr/bin/chromium ] || { echo "tests/web: /usr/bin/chromium is missing (apt-get install chromium)" >&2; exit 1; }
[ -x "$QALA" ] || cargo build -p qala-cli

if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules ]; then
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ ! -f web/dist/index.html ] || [ -n "$(find web/src web/build.mjs web/package-lock.json -newer web/dist/index.html -print -quit)" ]; then
  (cd web && npm run --silent build)
fi
if [ ! -d tests/web/node_modules ] || [ tests/web/package-lock.json -nt tests/web/node_modules ]; then
  (cd tests/web && npm ci --no-audit --no-fund --loglevel=error)
fi

# A database of our own (not qala_test_*: scripts/test sweeps those), dropped at the end.
DB="qala_web_e2e_$$"
ADMIN_URL="$QALA_TEST_DATABASE_URL"
DB_URL="${ADMIN_URL%/*}/$DB"
SERVER_PID=""
LOG="$(mktemp /tmp/qala-web-serve.XXXXXX.log)"
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  psql "$ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

psql "$ADMIN_URL" -qAt -c "CREATE DATABASE \"$DB\"" >/dev/null
DATABASE_URL="$DB_URL" "$QALA" fixtures load >/dev/null 2>&1 || { echo "tests/web: qala fixtures load failed" >&2; DATABASE_URL="$DB_URL" "$QALA" fixtures load; exit 1; }

# A mapper token for bike-lanes: `qala token create` prints the token once (its last word).
TOKEN_OUT="$(DATABASE_URL="$DB_URL" "$QALA" token create --role mapper --layer bike-lanes 2>"$LOG")" || {
  echo "tests/web: qala token create failed:" >&2; cat "$LOG" >&2; exit 1; }
TOKEN="$(printf '%s\n' "$TOKEN_OUT" | awk 'NF {last=$NF} END {print last}')"
[ -n "$TOKEN" ] || { echo "tests/web: qala token create printed no token" >&2; exit 1; }

# A moderator token for the proposals test.
MOD_OUT="$(DATABASE_URL="$DB_URL" "$QALA" token create --role moderator 2>"$LOG")" || {
  echo "tests/web: qala token create --role moderator failed:" >&2; cat "$LOG" >&2; exit 1; }
MOD_TOKEN="$(printf '%s\n' "$MOD_OUT" | awk 'NF {last=$NF} END {print last}')"

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
DATABASE_URL="$DB_URL" "$QALA" serve --listen "127.0.0.1:$PORT" --web-dir "$ROOT/web/dist" >"$LOG" 2>&1 &
SERVER_PID=$!
# /readyz, not /health: qala serve listens at once and loads its layers afterwards.
for _ in $(seq 1 240); do
  curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "tests/web: qala serve exited:" >&2; cat "$LOG" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null || { echo "tests/web: qala serve did not become ready (/readyz)" >&2; cat "$LOG" >&2; exit 1; }

# editions.test.mjs checks the no-edition path, then publishes an edition with the CLI on this database.
export QALA_WEB_URL="http://127.0.0.1:$PORT" QALA_WEB_TOKEN="$TOKEN" QALA_WEB_MOD_TOKEN="$MOD_TOKEN" QALA_WEB_DATABASE_URL="$DB_URL" QALA_BIN="$QALA"
status=0
# `bash tests/web/run.sh tests/web/walk.test.mjs …`: only those files.
if [ "$#" -gt 0 ]; then
  node --test --test-concurrency=1 "$@" || status=$?
  [ "$status" -ne 0 ] && tail -n 60 "$LOG" >&2
  exit "$status"
fi
node --test web/test/ || status=$?
# One file at a time, in this order (node sorts the files of one run, so each step is its own
# run): the live figures first, then editions.test.mjs publishes the first edition, and the
# mapper tests change the bike-lanes layer last (changes.test.mjs: change sets, preview first).
node --test --test-concurrency=1 tests/web/map.test.mjs tests/web/equity.test.mjs || status=$?
# Every view x language x size (layout, raw codes, axe-core, keyboard popups, first-map time) and search.
node --test --test-concurrency=1 tests/web/everyone.test.mjs tests/web/search.test.mjs tests/web/tools.test.mjs tests/web/figures.test.mjs || status=$?
# The bike view's cycling stress mode (GET /networks/lts…), before any test changes the bike lanes.
node --test tests/web/stress.test.mjs || status=$?
# The equity view's walking profiles (step-free, elderly; GET /networks/walk/barriers).
node --test tests/web/walk.test.mjs || status=$?
node --test tests/web/editions.test.mjs || status=$?
node --test tests/web/mapper.test.mjs || status=$?
node --test tests/web/changes.test.mjs || status=$?
node --test tests/web/proposals.test.mjs || status=$?
if [ "$status" -ne 0 ]; then
  echo "tests/web: failed; the server log follows (last 60 lines)" >&2
  tail -n 60 "$LOG" >&2
fi
[ "$status" -ne 0 ] || rm -f "$LOG"
echo "tests/web: screenshots in tests/web/screenshots/"
exit "$status"
