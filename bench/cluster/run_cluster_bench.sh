#!/usr/bin/env bash
# Cluster mode (issue 17) throughput and the cost of the acknowledged
# publish: es_loadgen (closed loop, unary Screen, mix `typical`) against
#   embedded  one screening_server on its own RocksDB (no --nats);
#   cluster1  replica r1 of a loopback cluster (3 NATS nodes, R=3 streams,
#             tools/cluster.sh), alone under load;
#   cluster3  all 3 replicas of that cluster, one es_loadgen each at once
#             (calls/s summed, p99 the worst of the three).
# At 1 call in flight the p50 difference cluster1 - embedded is the added
# latency of waiting for JetStream's ack per decision.
# Usage: run_cluster_bench.sh [BUILD_DIR] [SOURCE_DIR]
#   env: DURATION (5s), WARMUP (1s), INFLIGHT ("1 32"), SEED_LISTS (empty =
#        the small hand-written seeds; seeds/lists = the real lists)
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
SRC=$(cd "${2:-$(dirname "$0")/../..}" && pwd)
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
INFLIGHT=${INFLIGHT:-1 32}
SEED_LISTS=${SEED_LISTS:-}
SERVER="$BUILD/services/server/screening_server"
CTL="$BUILD/services/cli/screenctl"
GEN="$BUILD/tools/load/es_loadgen"
W=$(mktemp -d)
EPID=""
export CLUSTER_DIR="$W/cluster" BUILD_DIR="$BUILD" ES_SERVER_FLAGS="--seed_lists=$SEED_LISTS"
cleanup() {
  [ -n "$EPID" ] && kill "$EPID" 2>/dev/null
  bash "$SRC/tools/cluster.sh" stop >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT
free_port() { python3 "$SRC/tools/free_ports.py"; }
result() { grep '^RESULT' "$1" | sed 's/.*calls_s=\([0-9]*\).*p50_us=\([0-9]*\).*p99_us=\([0-9]*\).*/\1 \2 \3/'; }

EPORT=$(free_port)
(cd "$SRC" && exec "$SERVER" --listen=127.0.0.1:$EPORT --db="$W/embedded" --rules=rules \
  --seeds=seeds --seed_lists="$SEED_LISTS" --metrics_listen= --backup_root=) >"$W/embedded.log" 2>&1 &
EPID=$!
for _ in $(seq 1 600); do
  [ "$("$CTL" --server=127.0.0.1:$EPORT --timeout=2s health 2>/dev/null)" = SERVING ] && break
  sleep 0.1
done
bash "$SRC/tools/cluster.sh" start 3 >/dev/null
source "$CLUSTER_DIR/cluster.env"

printf "%-10s %8s %10s %8s %8s\n" server inflight calls_s p50_us p99_us
for n in $INFLIGHT; do
  "$GEN" --server=127.0.0.1:$EPORT --inflight=$n --duration=$DURATION --warmup=$WARMUP \
    --label=embedded >"$W/e.out" 2>&1
  read -r c p50 p99 < <(result "$W/e.out")
  printf "%-10s %8s %10s %8s %8s\n" embedded "$n" "$c" "$p50" "$p99"
  "$GEN" --server=127.0.0.1:$REPLICA_PORT_1 --inflight=$n --duration=$DURATION \
    --warmup=$WARMUP --label=cluster1 >"$W/c1.out" 2>&1
  read -r c p50 p99 < <(result "$W/c1.out")
  printf "%-10s %8s %10s %8s %8s\n" cluster1 "$n" "$c" "$p50" "$p99"
  gens=()
  for i in 1 2 3; do
    pp="REPLICA_PORT_$i"
    "$GEN" --server=127.0.0.1:${!pp} --inflight=$n --duration=$DURATION --warmup=$WARMUP \
      --label=cluster3-r$i >"$W/c3-$i.out" 2>&1 &
    gens+=($!)
  done
  wait "${gens[@]}"
  total=0; worst=0; p50s=""
  for i in 1 2 3; do
    read -r c p50 p99 < <(result "$W/c3-$i.out")
    total=$((total + c)); [ "$p99" -gt "$worst" ] && worst=$p99; p50s+="$p50 "
  done
  printf "%-10s %8s %10s %8s %8s   (3 x %s in flight; p50s %s)\n" cluster3 "$n" "$total" "-" "$worst" "$n" "$p50s"
done
grep -h "es_load\|error" "$W"/*.out | grep -iv "^RESULT" | head -5 || true
