#!/usr/bin/env bash
# A whole exportscreen cluster on loopback (issue 17): 3 nats-server
# processes with JetStream forming one cluster (routes between them, each on
# its own client, route and monitoring port and store directory) and N
# screening_server replicas in cluster mode (--nats=all three, --replica_id
# r1..rN, streams with R=3), for tests, benchmarks and a demo.
#
#   tools/cluster.sh [N]              start, print the addresses, run until
#                                     Ctrl-C (then stop everything)
#   tools/cluster.sh start [N]        start in the background and return
#   tools/cluster.sh stop             stop what `start` started
#   tools/cluster.sh nats I|replica I (re)start one NATS node (1-3) or replica
#                                     (replica I --no-wait: do not wait
#                                     until it is SERVING)
#   tools/cluster.sh env              print the addresses (shell variables)
#
# Environment: CLUSTER_DIR (state: store dirs, logs, pids, cluster.env;
# default a new temporary directory for the foreground form,
# /tmp/exportscreen-cluster otherwise), BUILD_DIR (default build),
# ES_SERVER_FLAGS (extra screening_server flags, e.g. --seed_lists= for the
# small hand-written seeds). Ports are picked free at start and kept in
# cluster.env, so restarts reuse them.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$SRC/build}
case "$BUILD" in /*) ;; *) BUILD="$SRC/$BUILD" ;; esac
SERVER="$BUILD/services/server/screening_server"
CTL="$BUILD/services/cli/screenctl"
cmd=${1:-run}
if [[ "$cmd" =~ ^[0-9]+$ ]]; then set -- run "$cmd"; cmd=run; fi

die() { echo "cluster.sh: $*" >&2; exit 1; }
# N distinct free loopback ports below the kernel's ephemeral range (see
# tools/free_ports.py for why not bind(0)).
free_ports() { python3 "$SRC/tools/free_ports.py" "$1"; }
command -v nats-server >/dev/null || die "nats-server not installed (bash tools/install-deps.sh)"

load_env() {
  [ -f "$CLUSTER_DIR/cluster.env" ] || die "no cluster in $CLUSTER_DIR (run start first)"
  # shellcheck disable=SC1091
  source "$CLUSTER_DIR/cluster.env"
}

start_nats() {  # I
  local i=$1 routes="" j
  for j in 1 2 3; do
    [ "$j" = "$i" ] && continue
    local rp="NATS_ROUTE_PORT_$j"
    routes+="${routes:+,}nats://127.0.0.1:${!rp}"
  done
  local cp="NATS_PORT_$i" rport="NATS_ROUTE_PORT_$i" mp="NATS_HTTP_PORT_$i"
  mkdir -p "$CLUSTER_DIR/nats$i"
  nats-server -js -a 127.0.0.1 -p "${!cp}" -m "${!mp}" -n "node$i" --cluster_name exportscreen \
    --cluster "nats://127.0.0.1:${!rport}" --routes "$routes" -sd "$CLUSTER_DIR/nats$i" \
    >>"$CLUSTER_DIR/nats$i.log" 2>&1 &
  echo $! >"$CLUSTER_DIR/nats$i.pid"
}

wait_jetstream() {  # every node's /healthz answers ok (JetStream up, meta leader known)
  local i ok
  for _ in $(seq 1 300); do
    ok=0
    for i in 1 2 3; do
      local mp="NATS_HTTP_PORT_$i"
      python3 - "${!mp}" 2>/dev/null <<'PY' && ok=$((ok + 1))
import sys, urllib.request
body = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=2).read()
sys.exit(0 if b'"ok"' in body else 1)
PY
    done
    [ $ok -eq 3 ] && return 0
    sleep 0.1
  done
  die "JetStream cluster not healthy after 30 s (logs in $CLUSTER_DIR/nats*.log)"
}

start_replica() {  # I
  local i=$1
  local pp="REPLICA_PORT_$i"
  mkdir -p "$CLUSTER_DIR/r$i"
  # shellcheck disable=SC2086
  (cd "$SRC" && exec "$SERVER" --listen="127.0.0.1:${!pp}" --db="$CLUSTER_DIR/r$i/db" \
    --rules="$SRC/rules" --seeds="$SRC/seeds" --metrics_listen= --backup_root= \
    --nats="$NATS_URLS" --replica_id="r$i" --stream_replicas=3 ${ES_SERVER_FLAGS:-}) \
    >>"$CLUSTER_DIR/r$i.log" 2>&1 &
  echo $! >"$CLUSTER_DIR/r$i.pid"
}

wait_replica() {  # I
  local i=$1
  local pp="REPLICA_PORT_$i"
  for _ in $(seq 1 1200); do
    [ "$("$CTL" --server="127.0.0.1:${!pp}" --timeout=2s health 2>/dev/null)" = "SERVING" ] && return 0
    kill -0 "$(cat "$CLUSTER_DIR/r$i.pid")" 2>/dev/null || die "replica r$i died (log: $CLUSTER_DIR/r$i.log)"
    sleep 0.1
  done
  die "replica r$i not SERVING after 120 s (log: $CLUSTER_DIR/r$i.log)"
}

stop_all() {
  [ -d "${CLUSTER_DIR:-}" ] || return 0
  local f
  for f in "$CLUSTER_DIR"/r*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  for f in "$CLUSTER_DIR"/r*.pid; do
    [ -f "$f" ] || continue
    for _ in $(seq 1 50); do kill -0 "$(cat "$f")" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
  for f in "$CLUSTER_DIR"/nats*.pid; do
    [ -f "$f" ] || continue
    kill "$(cat "$f")" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$(cat "$f")" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
}

start_all() {  # N
  local n=$1 i urls=""
  [ -x "$SERVER" ] && [ -x "$CTL" ] || die "build first: tools/build.sh screening_server screenctl"
  mkdir -p "$CLUSTER_DIR"
  local ports
  read -r -a ports <<<"$(free_ports $((9 + n)))"
  {
    for i in 1 2 3; do
      echo "NATS_PORT_$i=${ports[$((3 * i - 3))]}"
      echo "NATS_ROUTE_PORT_$i=${ports[$((3 * i - 2))]}"
      echo "NATS_HTTP_PORT_$i=${ports[$((3 * i - 1))]}"
    done
    for i in $(seq 1 "$n"); do echo "REPLICA_PORT_$i=${ports[$((8 + i))]}"; done
    echo "REPLICAS=$n"
  } >"$CLUSTER_DIR/cluster.env"
  load_env
  for i in 1 2 3; do
    local cp="NATS_PORT_$i"
    urls+="${urls:+,}nats://127.0.0.1:${!cp}"
  done
  echo "NATS_URLS=$urls" >>"$CLUSTER_DIR/cluster.env"
  load_env
  for i in 1 2 3; do start_nats "$i"; done
  wait_jetstream
  for i in $(seq 1 "$n"); do start_replica "$i"; done
  for i in $(seq 1 "$n"); do wait_replica "$i"; done
  print_env
}

print_env() {
  load_env
  local i
  echo "NATS_URLS=$NATS_URLS"
  for i in $(seq 1 "$REPLICAS"); do
    local pp="REPLICA_PORT_$i"
    echo "REPLICA_$i=127.0.0.1:${!pp}"
  done
  echo "CLUSTER_DIR=$CLUSTER_DIR"
}

case "$cmd" in
  run)
    CLUSTER_DIR=${CLUSTER_DIR:-$(mktemp -d /tmp/exportscreen-cluster.XXXXXX)}
    trap stop_all EXIT
    trap 'exit 0' INT TERM
    start_all "${2:-3}"
    echo "cluster running (Ctrl-C stops it); e.g. $CTL --server=\$REPLICA_1 status"
    while true; do sleep 3600; done
    ;;
  start)
    CLUSTER_DIR=${CLUSTER_DIR:-/tmp/exportscreen-cluster}
    [ -f "$CLUSTER_DIR/nats1.pid" ] && die "a cluster already runs in $CLUSTER_DIR (stop it first)"
    trap stop_all EXIT  # a failed start leaves nothing running
    start_all "${2:-3}"
    trap - EXIT
    ;;
  stop)
    CLUSTER_DIR=${CLUSTER_DIR:-/tmp/exportscreen-cluster}
    stop_all
    ;;
  nats)
    CLUSTER_DIR=${CLUSTER_DIR:-/tmp/exportscreen-cluster}
    load_env; start_nats "${2:?node 1-3}"
    ;;
  replica)
    CLUSTER_DIR=${CLUSTER_DIR:-/tmp/exportscreen-cluster}
    load_env; start_replica "${2:?replica number}"
    [ "${3:-}" = "--no-wait" ] || wait_replica "$2"
    ;;
  env)
    CLUSTER_DIR=${CLUSTER_DIR:-/tmp/exportscreen-cluster}
    print_env
    ;;
  *) die "unknown command $cmd (run, start, stop, nats I, replica I, env)" ;;
esac
