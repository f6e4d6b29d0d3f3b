#!/usr/bin/env bash
# A qala fleet on one machine, from real parts, on 127.0.0.1 only and under one project-local
# directory ($FLEET_DIR, default .fleet/):
#
#   nginx :18080  load balancer + tile cache (honours the tiles' Cache-Control: versioned
#     │           tile URLs are immutable, TileJSON is revalidated), access log with
#     │           $upstream_cache_status
#     ├── qala serve :18081 ┐  writes, LISTEN, items → primary (DATABASE_URL)
#     ├── qala serve :18082 ├─ whole-layer reads → replica (QALA_READ_DATABASE_URL), after
#     └── qala serve :18083 ┘  waiting for it to replay the primary's writes
#   PostgreSQL 15 primary :56432 ──streaming replication (pg_basebackup -R)──▶ replica :56433
#
# Active health checks: open-source nginx has none (its max_fails only notices a replica
# after a request to it failed), so `start` also runs a loop that asks every replica's
# /readyz each second and takes a replica that is not ready out of nginx's upstreams
# (`down`, then a graceful reload), and puts it back once ready: a restarted replica gets
# no traffic while it loads its layers. Transitions are logged in $FLEET_DIR/logs/health.log.
#
# Usage: deploy/fleet.sh start | stop [--purge] | status | kill N | restart N | nginx-upstreams N
#   FLEET_SCALE=N   also load `qala synth --scale N` (default: the fixtures only)
#   QALA_BIN=path   the qala binary (default target/release/qala, else target/debug/qala)
# PostgreSQL refuses to run as root: as root, its programs run as `postgres` (runuser) on
# directories owned by it, as the project-local cluster does (crates/qala-store/src/embedded.rs).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
FLEET=${FLEET_DIR:-$REPO/.fleet}
PGBIN=${QALA_PG_BINDIR:-/usr/lib/postgresql/15/bin}
if [ -z "${QALA_BIN:-}" ]; then
  QALA_BIN=$REPO/target/release/qala
  [ -x "$QALA_BIN" ] || QALA_BIN=$REPO/target/debug/qala
fi
PRIMARY_PORT=${FLEET_PRIMARY_PORT:-56432}
REPLICA_PORT=${FLEET_REPLICA_PORT:-56433}
NGINX_PORT=${FLEET_NGINX_PORT:-18080}
QALA_PORTS=(18081 18082 18083)
PG=$FLEET/pg
LOGS=$FLEET/logs
RUN=$FLEET/run

say() { printf 'fleet: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# PostgreSQL's programs as the owner of its directories.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

password() { cat "$FLEET/password"; }
url() { echo "postgres://qala:$(password)@127.0.0.1:$1/qala"; }
PRIMARY_URL() { url "$PRIMARY_PORT"; }
REPLICA_URL() { url "$REPLICA_PORT"; }

pg_running() { as_pg "$PGBIN/pg_ctl" status -D "$1" >/dev/null 2>&1; }

start_primary() {
  if [ ! -f "$PG/primary/PG_VERSION" ]; then
    say "initdb primary"
    mkdir -p "$PG/run"
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$FLEET/password"
    chmod 600 "$FLEET/password"
    cp "$FLEET/password" "$PG/initdb.pw"
    [ "$(id -u)" = 0 ] && chown -R postgres: "$PG"
    as_pg "$PGBIN/initdb" -D "$PG/primary" -U qala --pwfile="$PG/initdb.pw" \
      --auth-host=scram-sha-256 --auth-local=peer -E UTF8 --locale=C.UTF-8 >"$LOGS/initdb.log"
    rm -f "$PG/initdb.pw"
    as_pg tee -a "$PG/primary/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
port = $PRIMARY_PORT
unix_socket_directories = '$PG/run'
wal_level = replica
max_wal_senders = 4
wal_keep_size = '256MB'
hot_standby = on
max_connections = 100
shared_buffers = '256MB'
CONF
  fi
  if ! pg_running "$PG/primary"; then
    as_pg "$PGBIN/pg_ctl" start -w -D "$PG/primary" -l "$PG/primary.log" >/dev/null
  fi
  PGPASSWORD=$(password) "$PGBIN/psql" -h 127.0.0.1 -p "$PRIMARY_PORT" -U qala -d postgres -Atqc \
    "SELECT 1 FROM pg_database WHERE datname = 'qala'" | grep -q 1 ||
    PGPASSWORD=$(password) "$PGBIN/createdb" -h 127.0.0.1 -p "$PRIMARY_PORT" -U qala qala
}

load_data() {
  if [ -f "$FLEET/loaded" ]; then return; fi
  say "loading the fixtures into the primary"
  DATABASE_URL=$(PRIMARY_URL) "$QALA_BIN" -q fixtures load
  if [ -n "${FLEET_SCALE:-}" ]; then
    say "loading synthetic layers at scale $FLEET_SCALE"
    rm -rf "$FLEET/synthetic"
    "$QALA_BIN" -q synth --scale "$FLEET_SCALE" --out "$FLEET/synthetic" --fixtures "$REPO/fixtures" >"$FLEET/synthetic.txt"
    # lines: "  N features  PATH  (SYNTHETIC kind)"; each becomes a new version of its layer
    # (synthetic buildings replace the fixtures' as `buildings`), as bench/tiles/run.sh does.
    while read -r _ _ path _ kind; do
      kind=${kind%)}
      slug=$(basename "$path" .geojson)
      slug=${slug%-synthetic}
      say "ingest $slug ($kind)"
      DATABASE_URL=$(PRIMARY_URL) "$QALA_BIN" -q ingest "$path" --layer "$slug" --kind "$kind" >/dev/null
    done <"$FLEET/synthetic.txt"
  fi
  touch "$FLEET/loaded"
}

start_replica() {
  if [ ! -f "$PG/replica/PG_VERSION" ]; then
    say "pg_basebackup -R: the streaming replica"
    as_pg env PGPASSWORD="$(password)" "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U qala \
      -D "$PG/replica" -R -X stream -c fast
    echo "port = $REPLICA_PORT" | as_pg tee -a "$PG/replica/postgresql.auto.conf" >/dev/null
  fi
  if ! pg_running "$PG/replica"; then
    as_pg "$PGBIN/pg_ctl" start -w -D "$PG/replica" -l "$PG/replica.log" >/dev/null
  fi
  local rec
  rec=$(PGPASSWORD=$(password) "$PGBIN/psql" -h 127.0.0.1 -p "$REPLICA_PORT" -U qala -d qala -Atqc "SELECT pg_is_in_recovery()")
  [ "$rec" = t ] || die "the replica on $REPLICA_PORT is not in recovery"
}

# start_qala I: the I-th qala serve (0-based), in the background; waits for its /readyz.
start_qala() {
  local i=$1 port=${QALA_PORTS[$1]}
  if [ -f "$RUN/qala-$i.pid" ] && kill -0 "$(cat "$RUN/qala-$i.pid")" 2>/dev/null; then return; fi
  DATABASE_URL=$(PRIMARY_URL) QALA_READ_DATABASE_URL=$(REPLICA_URL) RUST_LOG=${RUST_LOG:-info} \
    setsid "$QALA_BIN" serve --listen "127.0.0.1:$port" --web-dir "$REPO/web/dist" \
    --public-url "http://127.0.0.1:$NGINX_PORT" --trust-forwarded-for \
    >>"$LOGS/qala-$i.log" 2>&1 </dev/null &
  echo $! >"$RUN/qala-$i.pid"
}

wait_ready() {
  local i=$1 port=${QALA_PORTS[$1]} t=0
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do
    kill -0 "$(cat "$RUN/qala-$i.pid")" 2>/dev/null || die "qala $i exited: see $LOGS/qala-$i.log"
    sleep 0.2
    t=$((t + 1))
    [ $t -lt 3000 ] || die "qala $i not ready after 600 s"
  done
}

stop_qala() {
  local i=$1 sig=${2:-TERM}
  [ -f "$RUN/qala-$i.pid" ] || return 0
  local pid
  pid=$(cat "$RUN/qala-$i.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$RUN/qala-$i.pid"
}

# nginx_conf N [DOWN]: nginx balancing over the first N replicas; those whose index is in
# the space-separated list DOWN are marked down (not ready, per the health loop).
nginx_conf() {
  local n=$1 down=" ${2:-} " servers="" i mark
  for ((i = 0; i < n; i++)); do
    mark=""
    [[ "$down" == *" $i "* ]] && mark=" down"
    servers+="    server 127.0.0.1:${QALA_PORTS[$i]} max_fails=1 fail_timeout=2s$mark;"$'\n'
  done
  local user_line=""
  [ "$(id -u)" = 0 ] && user_line="user nobody nogroup;"
  cat >"$FLEET/nginx/nginx.conf" <<CONF
# Written by deploy/fleet.sh.
$user_line
worker_processes 2;
pid run/nginx.pid;
error_log logs/error.log warn;
events { worker_connections 4096; }
http {
  log_format fleet '\$msec \$status \$upstream_cache_status \$request_time \$body_bytes_sent "\$upstream_addr" "\$upstream_status" "\$request_method \$request_uri"';
  access_log logs/access.log fleet buffer=256k flush=1s;
  client_body_temp_path tmp/body;
  proxy_temp_path tmp/proxy;
  fastcgi_temp_path tmp/fastcgi;
  uwsgi_temp_path tmp/uwsgi;
  scgi_temp_path tmp/scgi;
  # Tiles only: their Cache-Control decides (versioned URLs: a year, immutable; bare: 60 s;
  # TileJSON: no-cache, revalidated; 302/503: not stored). Vary: accept-encoding keeps
  # the gzip/br/identity copies apart.
  proxy_cache_path cache levels=1:2 keys_zone=tiles:64m max_size=2g inactive=30d use_temp_path=off;
  upstream qala {
    least_conn;
$servers    keepalive 64;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    client_max_body_size 512m;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host \$host;
    proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    # A replica that is down, or still loading the version a URL names (503
    # layer_version_pending), hands the request to the next; never for POSTs.
    proxy_next_upstream error timeout http_502 http_503;
    proxy_next_upstream_tries 3;
    proxy_connect_timeout 1s;
    # TileJSON is never stored (no-cache): kept out of the cache lock, which would make
    # concurrent requests for it wait for each other.
    location ~ ^/tiles/[^/]+\.json\$ {
      proxy_pass http://qala;
    }
    location /tiles/ {
      proxy_pass http://qala;
      proxy_cache tiles;
      proxy_cache_lock on;
      proxy_cache_revalidate on;
      add_header X-Cache-Status \$upstream_cache_status always;
    }
    location / {
      proxy_pass http://qala;
      proxy_read_timeout 600s;
    }
  }
}
CONF
}

start_nginx() {
  local n=${1:-${#QALA_PORTS[@]}}
  mkdir -p "$FLEET/nginx"/{logs,run,cache,tmp}
  echo "$n" >"$FLEET/nginx/upstreams"
  nginx_conf "$n" "${2:-}"
  [ "$(id -u)" = 0 ] && chown -R nobody "$FLEET/nginx/cache" "$FLEET/nginx/tmp"
  if [ -f "$FLEET/nginx/run/nginx.pid" ] && kill -0 "$(cat "$FLEET/nginx/run/nginx.pid")" 2>/dev/null; then
    nginx -p "$FLEET/nginx/" -c nginx.conf -s reload
  else
    # A fresh nginx starts with an empty tile cache (its index lives in its memory).
    rm -rf "${FLEET:?}/nginx/cache/"*
    nginx -p "$FLEET/nginx/" -c nginx.conf
  fi
}

# health_loop: the active health check (see the header). Runs until killed.
health_loop() {
  local prev="" now n i code
  while true; do
    n=$(cat "$FLEET/nginx/upstreams" 2>/dev/null || echo "${#QALA_PORTS[@]}")
    now=""
    for ((i = 0; i < n; i++)); do
      code=$(curl -s -m 1 -o /dev/null -w '%{http_code}' "http://127.0.0.1:${QALA_PORTS[$i]}/readyz" || true)
      [ "$code" = 200 ] || now+="$i "
    done
    # Never every replica down: nginx would have nowhere to send anything, while its
    # passive checks still try each one.
    if [ "$now" != "$prev" ] && [ "$(wc -w <<<"$now")" -lt "$n" ]; then
      if start_nginx "$n" "$now"; then
        echo "$(date -u +%FT%T.%3NZ) not ready: ${now:-none}; nginx upstreams rewritten"
        prev=$now
      fi
    fi
    sleep "${FLEET_HEALTH_INTERVAL_S:-1}"
  done
}

start_health() {
  stop_health
  setsid "$0" health-loop >>"$LOGS/health.log" 2>&1 </dev/null &
  echo $! >"$RUN/health.pid"
}

stop_health() {
  if [ -f "$RUN/health.pid" ]; then
    kill "$(cat "$RUN/health.pid")" 2>/dev/null || true
    rm -f "$RUN/health.pid"
  fi
}

stop_nginx() {
  if [ -f "$FLEET/nginx/run/nginx.pid" ]; then
    nginx -p "$FLEET/nginx/" -c nginx.conf -s quit 2>/dev/null || true
    for _ in $(seq 50); do [ -f "$FLEET/nginx/run/nginx.pid" ] || break; sleep 0.1; done
  fi
}

cmd=${1:-}
shift || true
case "$cmd" in
  start)
    command -v nginx >/dev/null || die "nginx is missing: apt-get install nginx-light"
    [ -x "$QALA_BIN" ] || die "no qala binary at $QALA_BIN: cargo build --release -p qala-cli"
    mkdir -p "$FLEET" "$LOGS" "$RUN" "$PG"
    start_primary
    load_data
    start_replica
    for i in "${!QALA_PORTS[@]}"; do start_qala "$i"; done
    for i in "${!QALA_PORTS[@]}"; do wait_ready "$i"; done
    start_nginx "${#QALA_PORTS[@]}"
    start_health
    say "up: http://127.0.0.1:$NGINX_PORT (primary $PRIMARY_PORT, replica $REPLICA_PORT, qala ${QALA_PORTS[*]})"
    ;;
  stop)
    stop_health
    stop_nginx
    for i in "${!QALA_PORTS[@]}"; do stop_qala "$i"; done
    for d in replica primary; do
      if [ -f "$PG/$d/PG_VERSION" ] && pg_running "$PG/$d"; then
        as_pg "$PGBIN/pg_ctl" stop -w -m fast -D "$PG/$d" >/dev/null
      fi
    done
    if [ "${1:-}" = --purge ]; then rm -rf "$FLEET"; say "removed $FLEET"; fi
    say "stopped"
    ;;
  status)
    for d in primary replica; do pg_running "$PG/$d" && say "$d: running" || say "$d: stopped"; done
    for i in "${!QALA_PORTS[@]}"; do
      code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${QALA_PORTS[$i]}/readyz" || true)
      say "qala $i (:${QALA_PORTS[$i]}): readyz $code"
    done
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$NGINX_PORT/livez" || true)
    say "nginx (:$NGINX_PORT): livez $code"
    ;;
  kill) stop_qala "$1" KILL ;;
  restart) start_qala "$1"; wait_ready "$1" ;;
  nginx-upstreams) start_nginx "$1" ;;
  health-loop) health_loop ;;
  url) case "${1:-primary}" in primary) PRIMARY_URL ;; replica) REPLICA_URL ;; esac ;;
  *) die "usage: deploy/fleet.sh start | stop [--purge] | status | kill N | restart N | nginx-upstreams N | url primary|replica" ;;
esac
