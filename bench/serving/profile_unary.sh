#!/usr/bin/env bash
# Where a unary Screen call's server CPU goes (issue 19): starts a
# screening_server (recording on, real lists, metrics off), drives it with
# es_loadgen (closed loop, MIX, INFLIGHT calls in flight) and records it with
# `perf record -g` for SECONDS; prints the server CPU per call, the share of
# each library (dso) and the top symbols by self time.
# Usage: profile_unary.sh [BUILD_DIR] [SOURCE_DIR]
#   env: MIX (typical), INFLIGHT (32), SECONDS_ (8), SERVER_BIN, SERVER_FLAGS,
#        OUT (perf.data path; default a temp file, removed), TOP (30)
set -euo pipefail
BUILD=${1:-build}
SRC=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
MIX=${MIX:-typical}
INFLIGHT=${INFLIGHT:-32}
SECS=${SECONDS_:-8}
TOP=${TOP:-30}
SERVER="${SERVER_BIN:-$BUILD/services/server/screening_server}"
CTL="$BUILD/services/cli/screenctl"
GEN="$BUILD/tools/load/es_loadgen"
W=$(mktemp -d)
OUT=${OUT:-$W/perf.data}
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
PORT=$(python3 "$SRC/tools/free_ports.py")
# shellcheck disable=SC2086
"$SERVER" --listen=127.0.0.1:$PORT --db="$W/db" --rules="$SRC/rules" --seeds="$SRC/seeds" \
  --seed_lists="$SRC/seeds/lists" --metrics_listen= ${SERVER_FLAGS:-} >"$W/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 1200); do
  [ "$("$CTL" --server=127.0.0.1:$PORT --timeout=2s health 2>/dev/null)" = "SERVING" ] && break
  sleep 0.1
done
"$GEN" --server=127.0.0.1:$PORT --server_pid=$PID --mix="$MIX" --inflight="$INFLIGHT" \
  --duration=$((SECS + 2))s --warmup=1s --label=profile >"$W/load.out" 2>&1 &
LOAD=$!
sleep 1.5
perf record -q -F 1999 -g -p "$PID" -o "$OUT" -- sleep "$SECS" 2>/dev/null
wait $LOAD
grep RESULT "$W/load.out"
echo "== by library (self time, % of server samples)"
perf report -i "$OUT" --no-children -g none --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -15
echo "== by thread name (comm)"
perf report -i "$OUT" --no-children -g none --sort comm --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -10
echo "== top $TOP symbols (self time)"
perf report -i "$OUT" --no-children -g none --sort dso,sym --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -"$TOP"
