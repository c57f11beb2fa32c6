#!/usr/bin/env bash
# A/B of screening_server configurations under es_loadgen (issue 19 item 3:
# gRPC callback threads vs the worker pool, inline evaluation, where the
# decision is written). Starts one server per configuration (real lists,
# recording on, metrics off), then for ROUNDS rounds runs every
# configuration back to back at each in-flight count, so drift hits all
# alike; prints calls/s and server CPU per call, the median per
# configuration and in-flight count.
# Usage: config_ab.sh BUILD_DIR NAME='flags' [NAME='flags' ...]
#   flags starting with @PATH run the screening_server binary at PATH (e.g. a
#   copy of the one before a change): NAME='@/tmp/old_server --workers=1'
#   env: MIX (typical), INFLIGHT ("8 32"), DURATION (3s), ROUNDS (3), SERVER_BIN
set -euo pipefail
BUILD=$1; shift
SRC=$(cd "$(dirname "$0")/../.." && pwd)
MIX=${MIX:-typical}
INFLIGHT=${INFLIGHT:-8 32}
DURATION=${DURATION:-3s}
ROUNDS=${ROUNDS:-3}
SERVER="${SERVER_BIN:-$BUILD/services/server/screening_server}"
CTL="$BUILD/services/cli/screenctl"
GEN="$BUILD/tools/load/es_loadgen"
W=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT
declare -A PORT PID
NAMES=()
for spec in "$@"; do
  name=${spec%%=*}; flags=${spec#*=}; NAMES+=("$name")
  PORT[$name]=$(python3 "$SRC/tools/free_ports.py")
  bin=$SERVER
  if [[ $flags == @* ]]; then bin=${flags%% *}; bin=${bin#@}; flags=${flags#@"$bin"}; fi
  # shellcheck disable=SC2086
  "$bin" --listen=127.0.0.1:${PORT[$name]} --db="$W/db-$name" --rules="$SRC/rules" \
    --seeds="$SRC/seeds" --seed_lists="$SRC/seeds/lists" --metrics_listen= $flags >"$W/$name.log" 2>&1 &
  PID[$name]=$!; PIDS+=(${PID[$name]})
done
for name in "${NAMES[@]}"; do
  for _ in $(seq 1 1200); do
    [ "$("$CTL" --server=127.0.0.1:${PORT[$name]} --timeout=2s health 2>/dev/null)" = "SERVING" ] && break
    sleep 0.1
  done
done
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); mix $MIX; $ROUNDS rounds of $DURATION"
for r in $(seq 1 "$ROUNDS"); do
  for n in $INFLIGHT; do
    for name in "${NAMES[@]}"; do
      "$GEN" --server=127.0.0.1:${PORT[$name]} --server_pid=${PID[$name]} --mix="$MIX" --inflight="$n" \
        --duration="$DURATION" --warmup=1s --label="$name" | tee -a "$W/results"
    done
  done
done
python3 - "$W/results" "${NAMES[@]}" <<'PY'
import sys, statistics
rows = [dict(f.split("=", 1) for f in l.split()[1:]) for l in open(sys.argv[1]) if l.startswith("RESULT ")]
print("| config | in flight | calls/s (median) | server CPU us/call (median) | p99 us (median) |")
print("|---|---|---|---|---|")
for name in sys.argv[2:]:
    for n in sorted({r["inflight"] for r in rows}, key=int):
        rs = [r for r in rows if r["label"] == name and r["inflight"] == n]
        med = lambda k: statistics.median(float(r[k]) for r in rs)
        print(f'| {name} | {n} | {med("calls_s"):.0f} | {med("server_cpu_us_per_call"):.1f} | {med("p99_us"):.0f} |')
PY
