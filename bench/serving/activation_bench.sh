#!/usr/bin/env bash
# Activation under load with all real lists (issue 5 bar): imports every real
# list in seeds/lists (env LISTS=DIR for another folder with the same dated
# subfolders) as one list version, then runs es_load against
# the server while activating that version and the seed version alternately.
# Reports activation times and screening p50/p99 overall and during swaps.
# Usage: activation_bench.sh [BUILD_DIR] [SOURCE_DIR]  env: DURATION (20s), THREADS (4)
set -euo pipefail
BUILD=${1:-build}
SRC=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
LISTS="${LISTS:-$SRC/seeds/lists}"
SERVER="$BUILD/services/server/screening_server"
CTL="$BUILD/services/cli/screenctl"
LOAD="$BUILD/tools/load/es_load"
W=$(mktemp -d); PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
PORT=$(python3 "$SRC/tools/free_ports.py")
"$SERVER" --listen=127.0.0.1:$PORT --metrics_listen= --db="$W/db" --rules="$SRC/rules" --seeds="$SRC/seeds" --seed_lists= ${SERVER_FLAGS:-} >"$W/server.log" 2>&1 &
PID=$!
C=("$CTL" --server=127.0.0.1:$PORT --timeout=120s)
for _ in $(seq 1 100); do "${C[@]}" health >/dev/null 2>&1 && break; sleep 0.1; done
ver() { "${C[@]}" status | python3 -c 'import json,sys; print(json.load(sys.stdin)["list_version"])'; }
SEED=$(ver)
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(date +%s.%N)
"${C[@]}" lists import --format=bis_csv --activate "$LISTS/bis_csl_2026-07-31/bis_lists_from_csl_2026-07-31.csv" >/dev/null
"${C[@]}" lists import --format=ofac_sdn --activate "$LISTS/ofac_sdn_2024-05-03/sdn.csv" >/dev/null
"${C[@]}" lists import --format=ofac_sdn --activate "$LISTS/ofac_non_sdn_2025-12/cons_prim.csv" \
  "$LISTS/ofac_non_sdn_2025-12/cons_alt.csv" "$LISTS/ofac_non_sdn_2025-12/cons_add.csv" >/dev/null
# dpl.txt (2023-11) is not imported: the BIS CSV of 2026-07-31 carries the
# complete, newer Denied Persons List, and both use list code DPL.
"${C[@]}" lists import --format=un_xml --activate "$LISTS/un_consolidated_2026-02/UN_consolidated.xml" >/dev/null
t1=$(date +%s.%N)
ALL=$(ver)
"${C[@]}" status | python3 -c 'import json,sys; d=json.load(sys.stdin); print("== all real lists:", d["entity_count"], "entities,", d["name_count"], "names", d["entity_counts_by_list"], "snapshot build", round(d["load_seconds"],2), "s")'
echo "== 4 imports (parse + store + build + activate each): $(python3 -c "print(round($t1-$t0,1))") s"
"$LOAD" --server=127.0.0.1:$PORT --duration=${DURATION:-20s} --threads=${THREADS:-4} \
  --swap_lists="$SEED,$ALL" --swap_every=2s
