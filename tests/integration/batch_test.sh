#!/usr/bin/env bash
# Batch end to end: the real screening_server, `screenctl batch` on a shipgen
# file, killed (kill -9) at random points and resumed: exactly one result per
# input line. Then batch answers == one-by-one `screenctl screen` answers
# (decision, deciding rule ids, list hits, versions; decision ids differ).
# Usage: batch_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$1
SRC=$2
SERVER="$BUILD/services/server/screening_server"
CTL="$BUILD/services/cli/screenctl"
GEN="$BUILD/tools/shipgen/shipgen"
WORK=$(mktemp -d)
PID=""
CPID=""
cleanup() {
  [ -n "$CPID" ] && kill -9 "$CPID" 2>/dev/null
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$WORK/server.log" ] && tail -20 "$WORK/server.log"; exit 1; }
free_port() { python3 "$SRC/tools/free_ports.py"; }

PORT=$(free_port)
"$SERVER" --listen=127.0.0.1:$PORT --metrics_listen= --db="$WORK/db" --rules="$SRC/rules" --seeds="$SRC/seeds" --seed_lists= \
  >>"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 300); do
  set +e; "$CTL" --server=127.0.0.1:$PORT --timeout=2s health >/dev/null 2>&1; rc=$?; set -e
  [ $rc -eq 0 ] && break
  kill -0 $PID 2>/dev/null || fail "server died"
  sleep 0.1
done
[ $rc -eq 0 ] || fail "server not serving"
ctl() { "$CTL" --server=127.0.0.1:$PORT --timeout=20s "$@"; }
# For a client run in the background and killed: exec, so that $! is the
# screenctl process itself (kill -9 of a function's subshell would leave
# screenctl running on, writing the same output as the resumed run).
ctl_exec() { exec "$CTL" --server=127.0.0.1:$PORT --timeout=20s "$@"; }

# exactly_once INPUT OUTPUT: every non-blank data line of INPUT is covered by
# exactly one record's [first_line, last_line], and records are in order.
exactly_once() {
  python3 - "$1" "$2" <<'PY'
import json, sys
inp, out = sys.argv[1], sys.argv[2]
data = [i for i, l in enumerate(open(inp, encoding="utf-8", errors="replace"), 1)
        if l.strip() and not (inp.endswith(".csv") and i == 1)]
seen = {}
prev = 0
for n, rec in enumerate(open(out, encoding="utf-8"), 1):
    r = json.loads(rec)
    a, b = r["first_line"], r["last_line"]
    assert a > prev, f"record {n}: out of order ({a} after {prev})"
    prev = b
    for i in range(a, b + 1):
        assert i not in seen, f"line {i} answered twice (records {seen[i]} and {n})"
        seen[i] = n
missing = [i for i in data if i not in seen]
assert not missing, f"{len(missing)} lines without a result, e.g. {missing[:5]}"
print(f"exactly once: {len(data)} lines, {n} records")
PY
}

# 1. Kill the client at random points, resume until it completes.
"$GEN" --lines=20000 --seed=$RANDOM --listed_rate=0.05 --bad_rate=0.002 --format=csv \
  --names="$SRC/seeds/entities.jsonl" --out="$WORK/ship.csv" 2>/dev/null
kills=0
set +e
ctl_exec batch "$WORK/ship.csv" --out="$WORK/out.jsonl" --progress=never 2>>"$WORK/client.log" &
CPID=$!
sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
kill -9 $CPID 2>/dev/null && kills=$((kills + 1))
wait $CPID 2>/dev/null
CPID=""
for attempt in 1 2 3; do
  ctl_exec batch "$WORK/ship.csv" --out="$WORK/out.jsonl" --resume --progress=never \
    --summary="$WORK/summary.json" 2>>"$WORK/client.log" &
  CPID=$!
  if [ $attempt -lt 3 ]; then
    sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
    kill -9 $CPID 2>/dev/null && kills=$((kills + 1))
  fi
  wait $CPID; rc=$?
  CPID=""
done
set -e
[ $rc -eq 1 ] || [ $rc -eq 2 ] || fail "resumed batch exit code $rc: $(tail -5 "$WORK/client.log")"
exactly_once "$WORK/ship.csv" "$WORK/out.jsonl" || fail "exactly-once check"
echo "killed $kills times"
python3 - "$WORK/summary.json" "$WORK/out.jsonl" <<'PY' || fail "summary does not match the output"
import json, sys
s = json.load(open(sys.argv[1]))
recs = [json.loads(l) for l in open(sys.argv[2])]
assert s["shipments"] == len(recs), (s["shipments"], len(recs))
assert s["errors"] == sum("error" in r for r in recs)
PY

# 2. Batch answers equal one-by-one Screen answers.
"$GEN" --lines=150 --seed=7 --listed_rate=0.2 --format=jsonl \
  --names="$SRC/seeds/entities.jsonl" --out="$WORK/one.jsonl" 2>/dev/null
cat "$SRC/seeds/shipments/sample-orders.jsonl" >> "$WORK/one.jsonl"
set +e; ctl batch "$WORK/one.jsonl" --out="$WORK/one.out.jsonl" --progress=never 2>/dev/null; set -e
exactly_once "$WORK/one.jsonl" "$WORK/one.out.jsonl" || fail "exactly once (jsonl)"
n=0
while IFS= read -r line; do
  n=$((n + 1))
  set +e; printf '%s' "$line" | ctl screen - >"$WORK/single.$n.json" 2>"$WORK/single.$n.err"; set -e
done <"$WORK/one.jsonl"
python3 - "$WORK" "$n" <<'PY' || fail "batch and single answers differ"
import json, sys, os
work, n = sys.argv[1], int(sys.argv[2])
batch = {}
for l in open(f"{work}/one.out.jsonl"):
    r = json.loads(l); batch[r["first_line"]] = r
def rule_ids(resp):
    out = []
    for f in resp.get("findings", []):
        if f.get("informational"): continue
        if f["rule_id"] not in out: out.append(f["rule_id"])
    return out
compared = errors = 0
for i in range(1, n + 1):
    b = batch[i]
    text = open(f"{work}/single.{i}.json").read().strip()
    if not text:  # Screen refused it (bad JSON or invalid request)
        assert "error" in b, f"line {i}: batch answered, single refused: {b}"
        errors += 1
        continue
    s = json.loads(text)
    assert "error" not in b, f"line {i}: batch error {b['error']}, single answered"
    want = (s["decision"].replace("DECISION_", ""), rule_ids(s),
            sorted((m["list"], m["entity_id"]) for m in s.get("party_matches", [])),
            s["rule_set_version"], s["list_version"])
    got = (b["decision"], b["rule_ids"],
           sorted((h["list"], h["entity_id"]) for h in b["list_hits"]),
           b["rule_set_version"], b["list_version"])
    assert want == got, f"line {i}: single {want} != batch {got}"
    assert s["decision_id"] != b["decision_id"]
    compared += 1
print(f"batch == single: {compared} answers compared, {errors} refused by both")
PY
kill -TERM $PID; wait $PID || true; PID=""
echo "batch: ok"
