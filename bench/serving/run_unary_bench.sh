#!/usr/bin/env bash
# Unary Screen throughput against its ceiling (issue 19): es_loadgen
# (closed-loop, asynchronous) against four servers started side by side on
# this machine:
#   echo    es_loadgen --echo_listen: the same Screen method as a generated
#           handler (request parsed, a fixed CLEAR answer built): the issue's
#           echo, the ceiling of the RPC here;
#   echoraw es_loadgen --echo_listen --echo_raw: the raw method, no parsing,
#           a pre-serialised answer (a stricter ceiling);
#   rec     screening_server on the embedded default (real lists), recording
#           every decision (the default);
#   norec   the same with --record_decisions=false.
# For each mix (typical, heavy) and in-flight count (1 8 32 128) the four run
# back to back, so drift on a shared machine hits all alike. Prints every
# run, then the table: best calls/s per server and the ratios to echo (and to
# the raw echo), server CPU per call at that point, p99 at 32 in flight, and
# recording on vs off.
# Usage: run_unary_bench.sh [BUILD_DIR] [SOURCE_DIR]
#   env: DURATION (5s), WARMUP (1s), INFLIGHT ("1 8 32 128"), MIXES ("typical heavy"),
#        CHANNELS (2), SERVER_FLAGS (extra flags for both screening servers),
#        SERVER_BIN (another screening_server binary, e.g. a copy of the one before)
set -euo pipefail
BUILD=${1:-build}
SRC=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
INFLIGHT=${INFLIGHT:-1 8 32 128}
MIXES=${MIXES:-typical heavy}
CHANNELS=${CHANNELS:-2}
SERVER="${SERVER_BIN:-$BUILD/services/server/screening_server}"
CTL="$BUILD/services/cli/screenctl"
GEN="$BUILD/tools/load/es_loadgen"
W=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT
free_port() { python3 "$SRC/tools/free_ports.py"; }

declare -A PORT PID
start_echo() {  # name extra-flags...
  local name=$1; shift
  "$GEN" --echo_listen=127.0.0.1:0 "$@" >"$W/$name.out" 2>&1 &
  PID[$name]=$!; PIDS+=(${PID[$name]})
  for _ in $(seq 1 100); do grep -q "listening on port" "$W/$name.out" && break; sleep 0.05; done
  PORT[$name]=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$W/$name.out")
}
start_echo echo
start_echo echoraw --echo_raw
start_server() {  # name extra-flags...
  local name=$1; shift
  PORT[$name]=$(free_port)
  "$SERVER" --listen=127.0.0.1:${PORT[$name]} --db="$W/db-$name" --rules="$SRC/rules" \
    --seeds="$SRC/seeds" --seed_lists="$SRC/seeds/lists" --metrics_listen= ${SERVER_FLAGS:-} "$@" >"$W/$name.log" 2>&1 &
  PID[$name]=$!; PIDS+=(${PID[$name]})
  for _ in $(seq 1 1200); do
    [ "$("$CTL" --server=127.0.0.1:${PORT[$name]} --timeout=2s health 2>/dev/null)" = "SERVING" ] && return 0
    sleep 0.1
  done
  echo "server $name not SERVING"; tail "$W/$name.log"; exit 1
}
start_server rec
start_server norec --record_decisions=false
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== lists: $("$CTL" --server=127.0.0.1:${PORT[rec]} status | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["entity_count"], "entities,", d["rule_count"], "rules")')"
echo "== duration $DURATION after $WARMUP warm-up, $CHANNELS channels"
for mix in $MIXES; do
  for n in $INFLIGHT; do
    for s in echo echoraw rec norec; do
      "$GEN" --server=127.0.0.1:${PORT[$s]} --server_pid=${PID[$s]} --mix=$mix --inflight=$n \
        --channels=$CHANNELS --duration=$DURATION --warmup=$WARMUP --label=$s | tee -a "$W/results"
    done
  done
done
python3 - "$W/results" <<'PY'
import sys, re
rows = []
for line in open(sys.argv[1]):
    if not line.startswith("RESULT "): continue
    kv = dict(f.split("=", 1) for f in line.split()[1:])
    rows.append(kv)
def best(label, mix):
    rs = [r for r in rows if r["label"] == label and r["mix"] == mix]
    return max(rs, key=lambda r: float(r["calls_s"])) if rs else None
def at(label, mix, n):
    for r in rows:
        if r["label"] == label and r["mix"] == mix and r["inflight"] == str(n): return r
print()
print("| mix | echo calls/s | rec calls/s (of echo) | norec calls/s (of echo) | rec/norec | server CPU us/call echo / rec / norec | p99 at 32: echo / rec (ratio) | raw echo calls/s, CPU us/call | rec of raw echo |")
print("|---|---|---|---|---|---|---|---|---|")
for mix in sorted({r["mix"] for r in rows}, key=lambda m: (m != "typical", m)):
    e, r, n, x = best("echo", mix), best("rec", mix), best("norec", mix), best("echoraw", mix)
    if not (e and r and n and x): continue
    ec, rc, nc, xc = float(e["calls_s"]), float(r["calls_s"]), float(n["calls_s"]), float(x["calls_s"])
    e32, r32 = at("echo", mix, 32), at("rec", mix, 32)
    p99 = "-"
    if e32 and r32:
        p99 = f'{e32["p99_us"]} / {r32["p99_us"]} us ({float(r32["p99_us"]) / max(1.0, float(e32["p99_us"])):.1f}x)'
    print(f'| {mix} | {ec:.0f} (at {e["inflight"]}) | {rc:.0f} ({100 * rc / ec:.0f} %, at {r["inflight"]}) | '
          f'{nc:.0f} ({100 * nc / ec:.0f} %, at {n["inflight"]}) | {100 * rc / nc:.0f} % | '
          f'{e["server_cpu_us_per_call"]} / {r["server_cpu_us_per_call"]} / {n["server_cpu_us_per_call"]} | {p99} | '
          f'{xc:.0f} (at {x["inflight"]}), {x["server_cpu_us_per_call"]} | {100 * rc / xc:.0f} % |')
errs = [r for r in rows if r["errors"] != "0"]
if errs:
    print("ERRORS in", len(errs), "runs:", [(r["label"], r["mix"], r["inflight"], r["codes"]) for r in errs])
    sys.exit(1)
PY
