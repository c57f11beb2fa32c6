#!/usr/bin/env bash
# End-to-end: the real screening_server binary driven by the real screenctl,
# on its embedded default (the real lists in seeds/lists, as README command 1).
# Usage: e2e_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$1
SRC=$2
SERVER="$BUILD/services/server/screening_server"
CTL="$BUILD/services/cli/screenctl"
WORK=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$WORK/server.log" ] && tail -20 "$WORK/server.log"; exit 1; }

free_port() { python3 "$SRC/tools/free_ports.py"; }

start() {  # rules_dir [seed_lists_dir]
  PORT=$(free_port)
  "$SERVER" --listen=127.0.0.1:$PORT --metrics_listen= --db="$WORK/db" --rules="$1" --seeds="$SRC/seeds" \
    --seed_lists="${2:-$SRC/seeds/lists}" ${EXTRA_FLAGS:-} >>"$WORK/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 600); do
    set +e; "$CTL" --server=127.0.0.1:$PORT --timeout=2s health >/dev/null 2>&1; rc=$?; set -e
    [ $rc -eq 0 ] || [ $rc -eq 5 ] && return 0
    kill -0 $PID 2>/dev/null || fail "server died"
    sleep 0.1
  done
  fail "server did not answer health"
}
ctl() { "$CTL" --server=127.0.0.1:$PORT --timeout=10s "$@"; }
# The server answers health (NOT_SERVING) while it loads (importing the
# real lists takes a moment); wait for SERVING.
wait_serving() {
  for _ in $(seq 1 600); do
    [ "$(ctl health 2>/dev/null)" = "SERVING" ] && return 0
    kill -0 $PID 2>/dev/null || fail "server died"
    sleep 0.1
  done
  return 1
}
stop() { kill -TERM $PID; wait $PID || fail "server exit code $? on SIGTERM"; PID=""; }

# 1. Empty rules directory: NOT_SERVING, Screen UNAVAILABLE.
mkdir -p "$WORK/empty_rules"
start "$WORK/empty_rules"
set +e; out=$(ctl health); rc=$?; set -e
[ "$out" = "NOT_SERVING" ] && [ $rc -eq 5 ] || fail "empty rules: health '$out' rc $rc"
set +e; ctl screen "$SRC/seeds/shipments/01-clear-workstation-gpu-de.json" 2>"$WORK/err"; rc=$?; set -e
[ $rc -eq 1 ] && grep -q UNAVAILABLE "$WORK/err" || fail "empty rules: screen rc $rc"
stop
rm -rf "$WORK/db"

# 1b. Seed lists folder without bootstrap.txt: NOT_SERVING, store left empty.
start "$SRC/rules" "$WORK/no_lists"
set +e; out=$(ctl health); rc=$?; set -e
[ "$out" = "NOT_SERVING" ] && [ $rc -eq 5 ] || fail "missing seed lists: health '$out' rc $rc"
# The server answers health while it loads; the reason is logged when the
# load gives up, which may come a moment later: wait for it (bounded).
for _ in $(seq 1 100); do grep -q "bootstrap.txt" "$WORK/server.log" && break; sleep 0.1; done
grep -q "bootstrap.txt" "$WORK/server.log" || fail "missing seed lists: no reason logged"
stop
rm -rf "$WORK/db"

# 2. Seeded start on the real lists: SERVING, decisions by exit code.
start "$SRC/rules"
wait_serving || fail "not serving"
ctl status | grep -q '"serving":true' || fail "status"
ctl status | python3 -c '
import json, sys
d = json.load(sys.stdin)
n, by = int(d["entity_count"]), d["entity_counts_by_list"]
assert n > 20000, n
for code, least in {"EL": 3000, "SDN": 14000, "UN": 1000, "DPL": 1500, "MEU": 50, "UVL": 200}.items():
    assert int(by.get(code, 0)) >= least, (code, by)
' || fail "embedded default is not the real lists: $(ctl status)"
# A party on the real lists but not among the 12 hand-written ones.
cat >"$WORK/bnc.json" <<'JSON'
{"request_id": "real-sdn", "exporter": "Example Exports Inc.", "destination_country": "ES",
 "parties": [{"role": "PARTY_ROLE_END_USER", "name": "Banco Nacional de Cuba", "country": "ES"}],
 "items": [{"description": "Ethernet cable assembly", "kind": "ITEM_KIND_OTHER", "quantity": 1}]}
JSON
set +e; ctl screen "$WORK/bnc.json" >"$WORK/bnc.out"; rc=$?; set -e
[ $rc -ne 0 ] && [ $rc -ne 1 ] || fail "Banco Nacional de Cuba (SDN:306): exit $rc: $(head -c 400 "$WORK/bnc.out")"
grep -q '"SDN"' "$WORK/bnc.out" || fail "no SDN match for Banco Nacional de Cuba: $(head -c 400 "$WORK/bnc.out")"
for f in "$SRC"/seeds/shipments/*.json; do
  set +e; ctl screen "$f" >"$WORK/out.json"; rc=$?; set -e
  case "$(basename "$f")" in
    *-clear-*) want=0 ;; *-review-*) want=2 ;; *-license-*) want=3 ;; *-prohibited-*) want=4 ;;
  esac
  [ $rc -eq $want ] || fail "$(basename "$f"): exit $rc, want $want: $(head -c 400 "$WORK/out.json")"
done
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["decision_id"])' "$WORK/out.json")
set +e; echo '{"parties":[{"name":"x"}]}' | ctl screen - 2>"$WORK/err"; rc=$?; set -e
[ $rc -eq 1 ] && grep -q "destination_country" "$WORK/err" || fail "bad input: rc $rc $(cat "$WORK/err")"
before=$(ctl status)

# 3. Kill and restart: data kept.
stop
start "$SRC/rules"
wait_serving || fail "not serving after restart"
ctl decision "$id" | grep -q "$id" || fail "decision $id lost"
after=$(ctl status)
v() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["rule_set_version"], d["list_version"])' "$1"; }
[ "$(v "$before")" = "$(v "$after")" ] || fail "versions changed across restart"
stop

# 4. Fail-safe restart (issue 12): a rule directory with a typo and
# --reload_rules keeps the stored active pair serving, with FILE:LINE in the
# status warnings; the active versions are unchanged.
cp -r "$SRC/rules" "$WORK/broken_rules"
printf '\nred_flag { meta { id: "rf.typo" } condition { attr: "item.no_such_attribute" gt: 1 } }\n' \
  >> "$WORK/broken_rules/red_flags.textproto"
EXTRA_FLAGS=--reload_rules start "$WORK/broken_rules"
wait_serving || fail "a broken rule directory at restart took the service down"
st=$(ctl status)
echo "$st" | grep -q 'red_flags.textproto:[0-9]' || fail "no FILE:LINE warning in status: $st"
[ "$(v "$before")" = "$(v "$st")" ] || fail "active versions changed by a broken rule directory"
stop
echo "e2e: ok"
