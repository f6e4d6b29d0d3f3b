#!/usr/bin/env bash
# Soak test of `qala serve` (issue 11; on demand, never in CI): SOAK_SECONDS (default 600) of
# mixed reads, uploads and rollbacks against 127.0.0.1, with one PostgreSQL restart at 1/3
# and one kill -9 of the server at 2/3. Reports requests, 5xx, connection errors by fault,
# latency percentiles, RSS and lost versions (exit 1 if any, 2 on an unexpected 5xx/panic).
# Usage: bench/soak/run.sh            (QALA=target/release/qala to soak a release build)
# Uses its own fresh project-local cluster in target/soak/home; stops it on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
QALA="${QALA:-$PWD/target/debug/qala}"
SOAK_SECONDS="${SOAK_SECONDS:-600}"
WORK="$PWD/target/soak"
export QALA_HOME="$WORK/home"
OUT="${SOAK_OUT:-bench/soak/results-$(date +%F).txt}"
unset DATABASE_URL

[ -x "$QALA" ] || cargo build -p qala-cli

# The driver owns the server and writes its pid here; this is the fallback if it dies.
cleanup() {
  local pid
  if [ -f "$WORK/serve.pid" ]; then
    pid=$(cat "$WORK/serve.pid")
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "qala serve"; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$WORK/serve.pid"
  fi
  "$QALA" --quiet db stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

# A fresh cluster every run, so versions and tokens are only this run's.
if [ -d "$QALA_HOME" ]; then "$QALA" --quiet db stop >/dev/null 2>&1 || true; fi
rm -rf "$QALA_HOME" "$WORK/tmp"
mkdir -p "$QALA_HOME" "$WORK/tmp"
: >"$WORK/serve.log"
"$QALA" --quiet db start
"$QALA" --quiet fixtures load
SOAK_ADMIN_TOKEN=$("$QALA" --quiet token create --role admin --label soak-admin 2>/dev/null)
SOAK_MAPPER_TOKEN=$("$QALA" --quiet token create --role mapper --layer bike-lanes --label soak-mapper 2>/dev/null)
DATABASE_URL=$("$QALA" db url)
export SOAK_ADMIN_TOKEN SOAK_MAPPER_TOKEN DATABASE_URL
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

HEADER="qala soak test (bench/soak/run.sh), $(date -u +%FT%TZ)
commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates sql || echo ' (+ local changes)'), binary ${QALA#"$PWD"/}
machine: $(nproc) cores (shared with other work), load average at start $(cut -d' ' -f1-3 /proc/loadavg)
$SOAK_SECONDS s: PostgreSQL restart (qala db stop, ${SOAK_PG_DOWN_S:-8} s down, qala db start) at 1/3, kill -9 of qala serve (restart after ${SOAK_KILL_DOWN_S:-2} s) at 2/3

"
set +e
python3 bench/soak/soak.py --qala "$QALA" --home "$QALA_HOME" --port "$PORT" \
  --seconds "$SOAK_SECONDS" --readers "${SOAK_READERS:-4}" --think-ms "${SOAK_THINK_MS:-20}" \
  --write-every-s "${SOAK_WRITE_EVERY_S:-2}" --pg-down-s "${SOAK_PG_DOWN_S:-8}" \
  --kill-down-s "${SOAK_KILL_DOWN_S:-2}" --tmpdir "$WORK/tmp" --server-log "$WORK/serve.log" \
  --pid-file "$WORK/serve.pid" --out "$OUT" --header "$HEADER"
rc=$?
set -e
echo "report: $OUT; server log: $WORK/serve.log; exit $rc"
exit "$rc"
