#!/usr/bin/env bash
# Cluster mode (issue 17) throughput and the cost of the acknowledged
# publish: es_loadgen (closed loop, unary Screen, mix `typical`) against
#   embedded  one screening_server on its own RocksDB (no --nats);
#   cluster1  replica r1 of a loopback cluster (3 NATS nodes, R=3 streams,
#             tools/cluster.sh), alone under load;
#   cluster3  all 3 replicas of that cluster, one es_loadgen each at once
#             (calls/s summed, p99 the worst of the three).
# At 1 call in flight the p50 difference cluster1 - embedded is the added
# latency of waiting for JetStream's ack per decision. cpu_us: CPU time per
# answered call of everything serving it (embedded: the server; cluster:
# the 3 replicas and the 3 NATS nodes together), from /proc/PID/stat over
# the whole run (warm-up included, divided by the calls of the measured
# part scaled to the whole run).
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

# CPU seconds (user + system) of the given processes so far.
cpu_s() {
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  awk -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz }'
}
# CPU per call: cpu seconds since $2 over the run / (calls/s x run seconds).
per_call() {  # CPU_NOW CPU_BEFORE CALLS_S
  awk -v a="$1" -v b="$2" -v c="$3" -v s="$RUN_S" 'BEGIN { printf "%.0f", (a - b) * 1e6 / (c * s) }'
}
RUN_S=$(( ${DURATION%s} + ${WARMUP%s} ))
NPIDS=$(cat "$CLUSTER_DIR"/nats*.pid)
RPIDS=$(cat "$CLUSTER_DIR"/r*.pid)
CPIDS="$NPIDS $RPIDS"
# The cluster's CPU per call split: the 3 NATS nodes, the 3 replicas.
split() {  # NATS_BEFORE REPLICAS_BEFORE CALLS_S
  echo "nats $(per_call "$(cpu_s $NPIDS)" "$1" "$3") + replicas $(per_call "$(cpu_s $RPIDS)" "$2" "$3")"
}

printf "%-10s %8s %10s %8s %8s %8s\n" server inflight calls_s p50_us p99_us cpu_us
for n in $INFLIGHT; do
  t0=$(cpu_s $EPID)
  "$GEN" --server=127.0.0.1:$EPORT --inflight=$n --duration=$DURATION --warmup=$WARMUP \
    --label=embedded >"$W/e.out" 2>&1
  read -r c p50 p99 < <(result "$W/e.out")
  printf "%-10s %8s %10s %8s %8s %8s\n" embedded "$n" "$c" "$p50" "$p99" \
    "$(per_call "$(cpu_s $EPID)" "$t0" "$c")"
  t0=$(cpu_s $CPIDS); n0=$(cpu_s $NPIDS); r0=$(cpu_s $RPIDS)
  "$GEN" --server=127.0.0.1:$REPLICA_PORT_1 --inflight=$n --duration=$DURATION \
    --warmup=$WARMUP --label=cluster1 >"$W/c1.out" 2>&1
  read -r c p50 p99 < <(result "$W/c1.out")
  printf "%-10s %8s %10s %8s %8s %8s   (%s)\n" cluster1 "$n" "$c" "$p50" "$p99" \
    "$(per_call "$(cpu_s $CPIDS)" "$t0" "$c")" "$(split "$n0" "$r0" "$c")"
  t0=$(cpu_s $CPIDS); n0=$(cpu_s $NPIDS); r0=$(cpu_s $RPIDS)
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
  printf "%-10s %8s %10s %8s %8s %8s   (3 x %s in flight; p50s %s; %s)\n" cluster3 "$n" "$total" "-" \
    "$worst" "$(per_call "$(cpu_s $CPIDS)" "$t0" "$total")" "$n" "$p50s" \
    "$(split "$n0" "$r0" "$total")"
done
grep -h "es_load\|error" "$W"/*.out | grep -iv "^RESULT" | head -5 || true
