#!/usr/bin/env bash
# Cost of the operations features (issue 15 bars), measured back to back in
# one run, rounds interleaved so drift hits every variant alike:
#   base     --metrics_listen= --access_log=   (no interceptor, no endpoint)
#   metrics  --metrics_listen=127.0.0.1:PORT, /metrics scraped every
#            $SCRAPE_EVERY s (default 0.5 s; Prometheus' default is 15 s)
#   access   metrics as above plus --access_log=FILE (one JSON line per call)
# Each round: a fresh server on the same seeded store, es_load for $DURATION.
# Prints calls/s and p50/p99 per round and the throughput ratios.
# Usage: overhead_bench.sh [BUILD_DIR] [SOURCE_DIR]
#   env: DURATION (10s), THREADS (4), ROUNDS (3), SCRAPE_EVERY (0.5)
# Run under the shared CPU lock: flock /tmp/es-cpu.lock bash bench/ops/overhead_bench.sh
set -euo pipefail
BUILD=${1:-build}
SRC=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
SERVER="$BUILD/services/server/screening_server"
CTL="$BUILD/services/cli/screenctl"
LOAD="$BUILD/tools/load/es_load"
W=$(mktemp -d); PID=""; SCRAPER=""
cleanup() {
  [ -n "$SCRAPER" ] && kill "$SCRAPER" 2>/dev/null || true
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
port() { python3 "$SRC/tools/free_ports.py"; }
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown); duration ${DURATION:-10s}, ${THREADS:-4} client threads, scrape every ${SCRAPE_EVERY:-0.5}s"

start() {  # variant
  local variant=$1 extra=()
  GPORT=$(port); MPORT=$(port)
  case $variant in
    base) extra=(--metrics_listen= --access_log=) ;;
    metrics) extra=(--metrics_listen=127.0.0.1:$MPORT --access_log=) ;;
    access) extra=(--metrics_listen=127.0.0.1:$MPORT --access_log="$W/access.jsonl") ;;
  esac
  "$SERVER" --listen=127.0.0.1:$GPORT --db="$W/db" --rules="$SRC/rules" \
    --seeds="$SRC/seeds" --seed_lists= "${extra[@]}" >>"$W/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 200); do "$CTL" --server=127.0.0.1:$GPORT health >/dev/null 2>&1 && break; sleep 0.1; done
  if [ "$variant" != base ]; then
    python3 - "$MPORT" "${SCRAPE_EVERY:-0.5}" <<'PY' &
import sys, time, urllib.request
port, every = sys.argv[1], float(sys.argv[2])
n = 0
while True:
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
    n += 1
    time.sleep(every)
PY
    SCRAPER=$!
  fi
}
stop() {
  [ -n "$SCRAPER" ] && { kill "$SCRAPER" 2>/dev/null || true; wait "$SCRAPER" 2>/dev/null || true; SCRAPER=""; }
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
}

declare -A SUM RATES CPU
for v in base metrics access; do SUM[$v]=0; RATES[$v]=""; CPU[$v]=""; done
ORDERS=("base metrics access" "metrics access base" "access base metrics")
for r in $(seq 1 "${ROUNDS:-3}"); do
  # The order rotates: the store grows with every run (memtable flushes,
  # compactions), so no variant always runs last.
  for v in ${ORDERS[$(( (r - 1) % 3 ))]}; do
    start "$v"
    cpu0=$(awk '{print $14 + $15}' /proc/$PID/stat)
    out=$("$LOAD" --server=127.0.0.1:$GPORT --duration=${DURATION:-10s} --threads=${THREADS:-4})
    cpu1=$(awk '{print $14 + $15}' /proc/$PID/stat)
    calls=$(echo "$out" | sed -n 's/^calls: \([0-9]*\) ok.*/\1/p')
    # Server CPU per call (user + system, clock ticks of 1/100 s), in ns:
    # less sensitive to other load on a shared machine than calls/s.
    ns=$(( (cpu1 - cpu0) * 10000000 / calls ))
    stop
    rate=$(echo "$out" | sed -n 's/.* \([0-9]*\) calls\/s$/\1/p')
    lat=$(echo "$out" | grep 'latency all' | sed 's/latency all: //')
    printf "round %d %-8s %6s calls/s  server CPU %4d us/call  %s\n" "$r" "$v" "$rate" $((ns / 1000)) "$lat"
    SUM[$v]=$((SUM[$v] + rate))
    RATES[$v]="${RATES[$v]} $rate"
    CPU[$v]="${CPU[$v]} $ns"
  done
done
python3 - "${SUM[base]}" "${SUM[metrics]}" "${SUM[access]}" "$W/access.jsonl" "${RATES[base]}" "${RATES[metrics]}" "${RATES[access]}" "${CPU[base]}" "${CPU[metrics]}" "${CPU[access]}" <<'PY'
import sys, statistics
cb, cm, ca = (statistics.median(map(float, a.split())) / 1000 for a in sys.argv[8:11])
print(f"== server CPU per call (median): base {cb:.1f} us, metrics {cm:.1f} us, access {ca:.1f} us")
print(f"== CPU-derived throughput ratios: metrics/base {cb/cm:.4f} (cost {100*(1-cb/cm):.2f} %, bar < 2 %), "
      f"access/metrics {cm/ca:.4f} (cost {100*(1-cm/ca):.2f} %, bar < 5 %), access/base {cb/ca:.4f}")
base, metrics, access = map(float, sys.argv[1:4])
lines = sum(1 for _ in open(sys.argv[4]))
mb, mm, ma = (statistics.median(map(float, a.split())) for a in sys.argv[5:8])
print(f"== medians: base {mb:.0f}, metrics {mm:.0f}, access {ma:.0f} calls/s; "
      f"metrics/base {mm/mb:.4f}, access/metrics {ma/mm:.4f}, access/base {ma/mb:.4f}")
print(f"== totals over rounds: base {base:.0f}, metrics {metrics:.0f}, access {access:.0f}")
print(f"== metrics+scrape / base = {metrics/base:.4f}  (cost {100*(1-metrics/base):.2f} %, bar < 2 %)")
print(f"== access log / metrics  = {access/metrics:.4f}  (cost {100*(1-access/metrics):.2f} %, bar < 5 %)")
print(f"== access log / base     = {access/base:.4f}")
print(f"== access-log lines written: {lines}")
PY
