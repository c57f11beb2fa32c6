#!/usr/bin/env bash
# Online backup under load (issue 15 bar): a store holding $TARGET decisions
# (default 1,000,000; filled by es_load itself), then es_load in 3-second
# chunks back to back: $BASE_CHUNKS chunks without a backup, then `screenctl
# admin backup` while the chunks keep running. Compares the p99 of the chunks
# during the backup with the baseline chunks (bar: within 2x), then restores
# the backup offline (screening_server --restore_backup) into a new store,
# starts a server on it and checks `screenctl audit verify` and a replay.
# Usage: backup_bench.sh [BUILD_DIR] [SOURCE_DIR]
#   env: TARGET (1000000), THREADS (4), SERVER_FLAGS (e.g. --backup_rate_limit_mb=0), WORK (a temp dir; kept if set, so a
#   filled store can be reused), BASE_CHUNKS (5)
# Run under the shared CPU lock: flock /tmp/es-cpu.lock bash bench/ops/backup_bench.sh
set -euo pipefail
BUILD=${1:-build}
SRC=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
SERVER="$BUILD/services/server/screening_server"
CTL="$BUILD/services/cli/screenctl"
LOAD="$BUILD/tools/load/es_load"
TARGET=${TARGET:-1000000}
KEEP=${WORK:+1}
W=${WORK:-$(mktemp -d)}
mkdir -p "$W"
PID=""; PID2=""; CHUNKER=""
cleanup() {
  [ -n "$CHUNKER" ] && kill "$CHUNKER" 2>/dev/null || true
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  [ -n "$PID2" ] && kill "$PID2" 2>/dev/null || true
  [ -z "$KEEP" ] && rm -rf "$W" || true
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
count() { "$@" status | python3 -c 'import json,sys; print(json.load(sys.stdin).get("decision_count",0))'; }
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
PORT=$(port)
"$SERVER" --listen=127.0.0.1:$PORT --metrics_listen= --db="$W/db" --rules="$SRC/rules" \
  --seeds="$SRC/seeds" --seed_lists= --backup_root="$W/backups" ${SERVER_FLAGS:-} >>"$W/server.log" 2>&1 &
PID=$!
C=("$CTL" --server=127.0.0.1:$PORT --timeout=1800s)
for _ in $(seq 1 300); do "${C[@]}" health >/dev/null 2>&1 && break; sleep 0.1; done
t0=$(date +%s)
while [ "$(count "${C[@]}")" -lt "$TARGET" ]; do
  "$LOAD" --server=127.0.0.1:$PORT --duration=30s --threads=${THREADS:-4} | grep calls: || true
done
echo "== store: $(count "${C[@]}") decisions (filled in $(( $(date +%s) - t0 )) s), $(du -sh "$W/db" | cut -f1) on disk"

# Load in 3-second chunks, each line: start end p50 p99 calls/s.
( while true; do
    s=$(date +%s.%N)
    out=$("$LOAD" --server=127.0.0.1:$PORT --duration=3s --threads=${THREADS:-4})
    e=$(date +%s.%N)
    echo "$s $e $(echo "$out" | sed -n 's/latency all: p50 \([0-9]*\) us, p99 \([0-9]*\) us.*/\1 \2/p') $(echo "$out" | sed -n 's/.* \([0-9]*\) calls\/s$/\1/p')"
  done ) >"$W/chunks.txt" &
CHUNKER=$!
sleep $(( 3 * ${BASE_CHUNKS:-5} + 1 ))
b0=$(date +%s.%N)
"${C[@]}" admin backup bench >"$W/backup.json"
b1=$(date +%s.%N)
sleep 4
kill "$CHUNKER"; wait "$CHUNKER" 2>/dev/null || true; CHUNKER=""
echo "== backup: $(python3 -c "print(round($b1-$b0,1))") s: $(cat "$W/backup.json" | tr -d '\n')"
python3 - "$W/chunks.txt" "$b0" "$b1" <<'PY'
import sys, statistics
b0, b1 = float(sys.argv[2]), float(sys.argv[3])
base, during = [], []
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 5: continue
    s, e, p50, p99, rate = float(f[0]), float(f[1]), int(f[2]), int(f[3]), int(f[4])
    if e <= b0: base.append((p50, p99, rate))
    elif s < b1 and e > b0: during.append((p50, p99, rate))
def show(name, rows):
    print(f"   {name}: {len(rows)} chunks; p50 median {statistics.median(r[0] for r in rows):.0f} us; "
          f"p99 median {statistics.median(r[1] for r in rows):.0f} us, max {max(r[1] for r in rows)} us; "
          f"calls/s median {statistics.median(r[2] for r in rows):.0f}")
show("before backup", base)
if during:
    show("during backup", during)
    ratio = max(r[1] for r in during) / statistics.median(r[1] for r in base)
    print(f"== p99 during backup (worst chunk) / p99 normal (median chunk) = {ratio:.2f} (bar <= 2)")
else:
    print("== the backup finished inside one chunk boundary; no chunk overlapped it")
PY
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
[ -n "${SKIP_RESTORE:-}" ] && exit 0

# Offline restore into a new store, a server on it, verify and replay.
r0=$(date +%s.%N)
"$SERVER" --restore_backup="$W/backups/bench" --db="$W/restored" 2>&1 | tail -1
r1=$(date +%s.%N)
PORT2=$(port)
"$SERVER" --listen=127.0.0.1:$PORT2 --metrics_listen= --db="$W/restored" --rules="$SRC/rules" \
  --seeds="$SRC/seeds" --seed_lists= >>"$W/server2.log" 2>&1 &
PID2=$!
C2=("$CTL" --server=127.0.0.1:$PORT2 --timeout=1800s)
for _ in $(seq 1 600); do "${C2[@]}" health >/dev/null 2>&1 && break; sleep 0.1; done
v0=$(date +%s.%N)
"${C2[@]}" audit verify
v1=$(date +%s.%N)
"${C2[@]}" audit replay D0000000000000001 >/dev/null
"${C2[@]}" audit replay "$(printf 'D%016x' "$(count "${C2[@]}")")" >/dev/null
echo "== restore $(python3 -c "print(round($r1-$r0,1))") s; restored store $(count "${C2[@]}") decisions; audit verify $(python3 -c "print(round($v1-$v0,1))") s; replay of the first and last decision identical"
