#!/usr/bin/env bash
# Batch benchmark: N shipment lines (default 1,000,000, CSV from shipgen)
# end to end through a real screening_server on a temp db, client and server
# on this machine. Builds nothing. Reports lines/s and peak RSS (VmHWM) of
# client and server. Bars (issue 19): >= 60,000 lines/s, client+server RSS <= 1 GiB.
# Usage: run_batch_bench.sh [BUILD_DIR] [SOURCE_DIR]   env: N, LISTED_RATE,
#        SERVER_FLAGS (extra server flags), CLIENT_FLAGS, KEEP=1 (keep files),
#        SERVER_BIN / CTL_BIN (other binaries, e.g. copies of the ones before)
set -euo pipefail
BUILD=${1:-build}
SRC=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
N=${N:-1000000}
LISTED_RATE=${LISTED_RATE:-0.01}
SERVER="${SERVER_BIN:-$BUILD/services/server/screening_server}"
CTL="${CTL_BIN:-$BUILD/services/cli/screenctl}"
GEN="$BUILD/tools/shipgen/shipgen"
for b in "$SERVER" "$CTL" "$GEN"; do [ -x "$b" ] || { echo "missing $b (build it first)"; exit 1; }; done
WORK=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
     "$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== source: $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?'), build: $BUILD"
"$GEN" --lines="$N" --seed=1 --listed_rate="$LISTED_RATE" --format=csv \
  --names="$SRC/seeds/entities.jsonl" --out="$WORK/ship.csv"
echo "== input: $WORK/ship.csv, $(du -h "$WORK/ship.csv" | cut -f1)"

PORT=$(python3 "$SRC/tools/free_ports.py")
# shellcheck disable=SC2086
"$SERVER" --listen=127.0.0.1:$PORT --metrics_listen= --db="$WORK/db" --rules="$SRC/rules" --seeds="$SRC/seeds" --seed_lists= \
  ${SERVER_FLAGS:-} >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 600); do
  if "$CTL" --server=127.0.0.1:$PORT --timeout=2s health >/dev/null 2>&1; then break; fi
  kill -0 $PID 2>/dev/null || { echo "server died"; tail "$WORK/server.log"; exit 1; }
  sleep 0.1
done
echo "== server: pid $PID, RSS before the run $(awk '/VmRSS/ {print $2, $3}' /proc/$PID/status)"

start=$(date +%s.%N)
set +e
# shellcheck disable=SC2086
/usr/bin/time -v "$CTL" --server=127.0.0.1:$PORT batch "$WORK/ship.csv" --out="$WORK/out.jsonl" \
  --progress=never --summary="$WORK/summary.json" ${CLIENT_FLAGS:-} 2>"$WORK/client.err"
rc=$?
set -e
end=$(date +%s.%N)
server_hwm=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)
server_cpu=$(awk '{printf "%.1f", ($14+$15)/100}' /proc/$PID/stat)
kill -TERM $PID; wait $PID || true; PID=""
client_hwm=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/client.err")
client_cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.1f", u+s}' "$WORK/client.err")
grep -v -E '^\s+(Command|Average|Exit|Socket|Signals|Swaps|File system|Page size|Voluntary|Involuntary|Minor|Major|Percent|Elapsed|User time|System time|Maximum)' "$WORK/client.err" | head -30
python3 - "$N" "$start" "$end" "$client_hwm" "$server_hwm" "$client_cpu" "$server_cpu" "$rc" "$WORK/out.jsonl" <<'PY'
import sys
n, start, end = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
chwm, shwm = int(sys.argv[4]), int(sys.argv[5])
secs = end - start
records = sum(1 for _ in open(sys.argv[9]))
rate = n / secs
total = (chwm + shwm) / 1024
print(f"== {n} lines ({records} shipments) in {secs:.1f} s: {rate:,.0f} lines/s, {records/secs:,.0f} shipments/s "
      f"(bar >= 60,000 lines/s: {'PASS' if rate >= 60000 else 'MISS'})")
print(f"== peak RSS: client {chwm/1024:.0f} MiB + server {shwm/1024:.0f} MiB = {total:.0f} MiB "
      f"(bar <= 1024 MiB: {'PASS' if total <= 1024 else 'MISS'})")
print(f"== CPU seconds: client {sys.argv[6]}, server {sys.argv[7]}; batch exit code {sys.argv[8]}")
PY
