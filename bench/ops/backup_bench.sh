#!/usr/bin/env bash
# Online backup under load (issue 15 bar): a store holding $TARGET decisions
# (default 1,000,000; filled by es_load itself), then es_load in 3-second
# chunks back to back: $BASE_CHUNKS chunks without a backup, then $BACKUPS
# `screenctl admin backup`s 6 s apart while the chunks keep running.
# Compares the p99 of the chunks that overlap a backup with the p99 of the
# others, median and worst (bar: within 2x), then restores
# the backup offline (screening_server --restore_backup) into a new store,
# starts a server on it and checks `screenctl audit verify` and a replay.
# Usage: backup_bench.sh [BUILD_DIR] [SOURCE_DIR]
#   env: TARGET (1000000), THREADS (4), SERVER_FLAGS, WORK (a temp dir; kept
#   if set, so a filled store can be reused), BASE_CHUNKS (5), BACKUPS (5)
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
port() { python3 "$SRC/tools/free_ports.py"; }
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
# BACKUPS backups (default 5), one every 6 s (every other load chunk), so
# that several chunks overlap a backup and several do not.
: >"$W/backups.txt"
for i in $(seq 1 "${BACKUPS:-5}"); do
  b0=$(date +%s.%N)
  "${C[@]}" admin backup bench >"$W/backup.json"
  b1=$(date +%s.%N)
  echo "$b0 $b1" >>"$W/backups.txt"
  echo "== backup $i: $(python3 -c "print(round($b1-$b0,2))") s: $(tr -d '\n' <"$W/backup.json")"
  sleep 6
done
kill "$CHUNKER"; wait "$CHUNKER" 2>/dev/null || true; CHUNKER=""
python3 - "$W/chunks.txt" "$W/backups.txt" <<'PY'
import sys, statistics
spans = [tuple(map(float, l.split())) for l in open(sys.argv[2]) if l.strip()]
first = spans[0][0]
base, during, between = [], [], []
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 5: continue
    s, e, p50, p99, rate = float(f[0]), float(f[1]), int(f[2]), int(f[3]), int(f[4])
    row = (p50, p99, rate)
    if any(s < b1 and e > b0 for b0, b1 in spans): during.append(row)
    elif e <= first: base.append(row)
    else: between.append(row)
def show(name, rows):
    if not rows:
        print(f"   {name}: no chunk"); return
    print(f"   {name}: {len(rows)} chunks; p50 median {statistics.median(r[0] for r in rows):.0f} us; "
          f"p99 median {statistics.median(r[1] for r in rows):.0f} us, max {max(r[1] for r in rows)} us; "
          f"calls/s median {statistics.median(r[2] for r in rows):.0f}")
normal = base + between
show("before the backups", base)
show("between backups", between)
show("overlapping a backup", during)
if during:
    med = statistics.median(r[1] for r in during) / statistics.median(r[1] for r in normal)
    worst = max(r[1] for r in during) / max(r[1] for r in normal)
    print(f"== p99 overlapping a backup / p99 of the other chunks: median {med:.2f}, worst {worst:.2f} (bar <= 2)")
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
