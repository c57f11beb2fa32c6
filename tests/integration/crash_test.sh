#!/usr/bin/env bash
# Crash test in the style of RocksDB's db_crashtest: the real screening_server
# is killed with SIGKILL at a random moment while an operator changes versions
# (list import + activation, activation of an older list version, rollback, UN
# XML import) and while `screenctl batch` screens a shipment file through it.
# After every kill the server is restarted on the same store and must:
#   - reach SERVING on a whole active pair: the active list version is the one
#     active before the kill or a version created during the round, and the
#     snapshot's entity count equals that version's stored entity count;
#   - have lost no version that existed before the kill, and a version the
#     kill left stored but inactive activates whole;
#   - pass `audit verify` (every stored decision is a link of the hash chain);
#   - hold a stored decision, with the same decision class, for every answer
#     the batch client received before the kill (all of them up to 100 per
#     round, else a random 100 plus the newest).
# Usage: crash_test.sh BUILD_DIR SOURCE_DIR [ROUNDS (default 12)] [SEED]
set -euo pipefail
BUILD=$1
SRC=$2
ROUNDS=${3:-12}
SEED=${4:-$(date +%s)}
RANDOM=$SEED
echo "crash test: $ROUNDS rounds, seed $SEED (rerun: $0 BUILD SRC $ROUNDS $SEED)"
SERVER="$BUILD/services/server/screening_server"
CTL="$BUILD/services/cli/screenctl"
GEN="$BUILD/tools/shipgen/shipgen"
BIS="$SRC/seeds/lists/bis_csl_2026-07-31/bis_lists_from_csl_2026-07-31.csv"
UN="$SRC/seeds/lists/un_consolidated_2026-02/UN_consolidated.xml"
WORK=$(mktemp -d)
PID=""
CPIDS=()
cleanup() {
  for p in "${CPIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL (seed $SEED, round ${round:-setup}): $*"
  [ -f "$WORK/server.log" ] && tail -20 "$WORK/server.log"
  exit 1
}
free_port() { python3 "$SRC/tools/free_ports.py"; }
PORT=$(free_port)
ctl() { "$CTL" --server=127.0.0.1:$PORT --timeout=30s "$@"; }
# exec: $! is then screenctl itself, so that kill -9 reaches it.
ctl_exec() { exec "$CTL" --server=127.0.0.1:$PORT --timeout=30s "$@"; }

# A port found free can be taken by another test (ctest -j) before the
# server binds it, at the first start or between a kill and the restart:
# then the server exits with "cannot listen on"; start() takes another port
# (at most 3 times). Any other exit while starting fails the test.
start() {
  local attempt
  for attempt in 1 2 3; do
    local mark
    mark=0
    [ -f "$WORK/server.log" ] && mark=$(wc -l <"$WORK/server.log")
    "$SERVER" --listen=127.0.0.1:$PORT --db="$WORK/db" --rules="$SRC/rules" --seeds="$SRC/seeds" \
      --seed_lists= --metrics_listen= >>"$WORK/server.log" 2>&1 &
    PID=$!
    for _ in $(seq 1 600); do
      [ "$(ctl --timeout=2s health 2>/dev/null)" = "SERVING" ] && return 0
      if ! kill -0 $PID 2>/dev/null; then
        if tail -n +$((mark + 1)) "$WORK/server.log" | grep -q "cannot listen on"; then
          echo "port $PORT taken by another process; restarting on another port"
          PORT=$(free_port)
          continue 2
        fi
        fail "server died while starting"
      fi
      sleep 0.1
    done
    fail "server not SERVING 60 s after a restart"
  done
  fail "no free port after 3 attempts"
}

# versions.json -> "ACTIVE_LIST ACTIVE_RULES"; status.json + versions.json:
# the snapshot's entity count must equal the active version's stored count.
check_whole() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
status = json.load(open(sys.argv[1]))
versions = json.load(open(sys.argv[2]))
allowed = set(sys.argv[3].split())
lv, rv = status["list_version"], status["rule_set_version"]
stored = {v["version"]: v for v in versions["list_versions"]}
assert lv in stored, f"active list version {lv} is not stored"
assert lv in allowed, f"active list version {lv} is neither the one before the kill nor a new one: {sorted(allowed)}"
assert rv in {r["version"] for r in versions["rule_sets"]}, f"active rule set {rv} is not stored"
want = int(stored[lv].get("entity_count", 0))
got = int(status.get("entity_count", 0))
assert want == got, f"list version {lv}: {got} entities served, {want} stored"
PY
}

# The received answers (batch output) have stored decisions of the same class.
check_received() {
  local out=$1
  [ -s "$out" ] || { echo 0; return 0; }
  python3 - "$out" "$RANDOM" >"$WORK/ids" <<'PY'
import json, random, sys
recs = []
for line in open(sys.argv[1], encoding="utf-8"):
    try:
        r = json.loads(line)
    except ValueError:
        continue  # the last line may be cut by the kill
    if "decision_id" in r:
        recs.append((r["decision_id"], r["decision"]))
random.seed(int(sys.argv[2]))
pick = recs if len(recs) <= 100 else random.sample(recs, 100) + [max(recs)]
for d, c in pick:
    print(d, c)
PY
  local n=0
  while read -r id cls; do
    ctl decision "$id" >"$WORK/dec.json" 2>"$WORK/dec.err" ||
      fail "answer $id was received by the client but is not stored: $(cat "$WORK/dec.err")"
    grep -q "\"decision\":\"DECISION_$cls\"" "$WORK/dec.json" ||
      fail "stored decision $id is not $cls: $(head -c 300 "$WORK/dec.json")"
    n=$((n + 1))
  done <"$WORK/ids"
  echo $n
}

start
SEED_LIST=$(ctl status | python3 -c 'import json,sys; print(json.load(sys.stdin)["list_version"])')
"$GEN" --lines=30000 --seed=$SEED --listed_rate=0.05 --format=jsonl \
  --names="$SRC/seeds/entities.jsonl" --out="$WORK/ship.jsonl" 2>/dev/null

mid_op=0
checked=0
declare -A made=()  # list versions each import (bis, un) has made so far
for round in $(seq 1 "$ROUNDS"); do
  ctl lists versions >"$WORK/before.json"
  BEFORE=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["active"]["list_version"]); print(" ".join(v["version"] for v in d["list_versions"]))' "$WORK/before.json")
  ACTIVE_BEFORE=$(echo "$BEFORE" | head -1)
  STORED_BEFORE=$(echo "$BEFORE" | tail -1)
  rm -f "$WORK/out.jsonl"
  ( ctl_exec batch "$WORK/ship.jsonl" --out="$WORK/out.jsonl" --progress=never --window=64 ) \
    >/dev/null 2>>"$WORK/client.log" &
  CPIDS=($!)
  sleep "0.$((RANDOM % 5))"
  case $((round % 4)) in
    1) op="import BIS CSV + activate"; allow="new"; made_by=bis
       ( ctl_exec lists import --format=bis_csv --activate "$BIS" ) >>"$WORK/op.log" 2>&1 & ;;
    2) op="activate the seed list version"; allow="$SEED_LIST"; made_by=""
       ( ctl_exec lists activate "$SEED_LIST" ) >>"$WORK/op.log" 2>&1 & ;;
    3) op="import UN XML + activate"; allow="new"; made_by=un
       ( ctl_exec lists import --format=un_xml --activate "$UN" ) >>"$WORK/op.log" 2>&1 & ;;
    0) op="rollback"; allow="$STORED_BEFORE"; made_by=""
       ( ctl_exec rollback ) >>"$WORK/op.log" 2>&1 & ;;
  esac
  OPID=$!
  CPIDS+=($OPID)
  # Half of the rounds kill within 250 ms of the operation's start (an import
  # takes longer, so those kills land mid-operation on any machine), the
  # other half anywhere in 1.5 s (the operation may also have completed).
  if [ $((round % 8)) -lt 4 ]; then ms=$((RANDOM % 250)); else ms=$((RANDOM % 1500)); fi
  sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
  running="done"
  kill -0 $OPID 2>/dev/null && running="in flight" && mid_op=$((mid_op + 1))
  kill -9 $PID
  wait $PID 2>/dev/null || true
  PID=""
  # The clients would retry until their deadline: what they received is in
  # their output already.
  for p in "${CPIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  CPIDS=()

  start
  ctl status >"$WORK/status.json"
  ctl lists versions >"$WORK/after.json"
  NEW=$(python3 -c '
import json, sys
before = set(sys.argv[2].split())
after = [v["version"] for v in json.load(open(sys.argv[1]))["list_versions"]]
lost = before - set(after)
assert not lost, f"versions lost by the kill: {sorted(lost)}"
print(" ".join(v for v in after if v not in before))' "$WORK/after.json" "$STORED_BEFORE") ||
    fail "versions lost"
  # Old or new, whole: the version active before the kill, or the operation's
  # target (a version the import created; the seed version; for a rollback
  # one of the versions stored before), and served == stored counts.
  # List version ids are content-addressed: an import whose result equals a
  # version an earlier round's import of the same file made is that version
  # (not a new one).
  [ "$allow" = "new" ] && allow="$NEW ${made[$made_by]:-}"
  [ -n "$made_by" ] && made[$made_by]="${made[$made_by]:-} $NEW"
  check_whole "$WORK/status.json" "$WORK/after.json" "$ACTIVE_BEFORE $allow" || fail "active pair not whole"
  # A version the kill left stored but inactive must be whole as well:
  # activate it and compare served with stored counts.
  for v in $NEW; do
    if ! grep -q "\"list_version\":\"$v\"" "$WORK/status.json"; then
      ctl lists activate "$v" >/dev/null || fail "new version $v does not activate"
      ctl status >"$WORK/status2.json"
      check_whole "$WORK/status2.json" "$WORK/after.json" "$v" || fail "new version $v not whole"
      echo "round $round: inactive new version $v activated whole"
    fi
  done
  ctl audit verify >"$WORK/verify.json" || fail "audit verify after the kill: $(cat "$WORK/verify.json")"
  n=$(check_received "$WORK/out.jsonl")
  checked=$((checked + n))
  recs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["records_checked"])' "$WORK/verify.json")
  echo "round $round: $op, killed with the operation $running; active $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["list_version"])' "$WORK/status.json") (before $ACTIVE_BEFORE); chain ok over $recs decisions; $n received answers found stored"
done
echo "crash test: $ROUNDS kills, $mid_op with the operation in flight, $checked received answers checked: ok"
[ $mid_op -gt 0 ] || fail "no kill landed while an operation was in flight"
kill -TERM $PID; wait $PID || true; PID=""
