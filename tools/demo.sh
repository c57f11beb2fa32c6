#!/usr/bin/env bash
# README command 1: installs what is missing, builds, starts screening_server
# on its embedded default (RocksDB under var/db, seeded from seeds/ and
# rules/ when empty) and screens the sample shipments in seeds/shipments/.
# The server keeps running in the background; stop it with
#   kill $(cat var/server.pid)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
bash tools/build.sh screening_server screenctl
BIN="${BUILD_DIR:-build}"
ADDR="${ADDR:-127.0.0.1:50051}"
mkdir -p var
if [ -f var/server.pid ] && kill -0 "$(cat var/server.pid)" 2>/dev/null; then
  echo "demo: stopping the previous server (pid $(cat var/server.pid))"
  kill "$(cat var/server.pid)"
  while kill -0 "$(cat var/server.pid)" 2>/dev/null; do sleep 0.2; done
fi
"$BIN/services/server/screening_server" --listen="$ADDR" --db=var/db \
  --rules=rules --seeds=seeds --seed_lists=seeds/lists --reload_rules \
  >var/server.log 2>&1 &
echo $! >var/server.pid
CTL=("$BIN/services/cli/screenctl" --server="$ADDR" --timeout=10s)
for _ in $(seq 1 100); do
  "${CTL[@]}" health >/dev/null 2>&1 && break
  kill -0 "$(cat var/server.pid)" 2>/dev/null || { cat var/server.log; exit 1; }
  sleep 0.2
done
echo "== server $(cat var/server.pid) on $ADDR: $("${CTL[@]}" health)"
"${CTL[@]}" status
echo
printf '%-45s %-26s %s\n' "SAMPLE" "DECISION" "WHY (first findings)"
for f in seeds/shipments/*.json; do
  set +e
  out=$("${CTL[@]}" screen "$f")
  code=$?
  set -e
  if [ $code -eq 1 ] || [ $code -eq 64 ]; then
    printf '%-45s %s\n' "$(basename "$f")" "ERROR (exit $code)"
    continue
  fi
  python3 - "$(basename "$f")" "$out" <<'PY'
import json, sys
name, out = sys.argv[1], json.loads(sys.argv[2])
cites = {r["rule_id"]: r.get("citation", "") for r in out.get("rules", [])}
why = []
for x in out.get("findings", []):
    if x.get("informational") or x["rule_id"] in [w.split(" ")[0] for w in why]:
        continue
    why.append(f"{x['rule_id']} [{cites.get(x['rule_id'], '')}]")
why = why[:3]
hits = [f"{m['list']}:{m['listed_name']} ({m['score']:.2f})" for m in out.get("party_matches", [])][:2]
print(f"{name:45s} {out['decision'].replace('DECISION_',''):26s} {'; '.join(hits + why)}")
PY
done
echo
echo "full answers: ${CTL[*]} screen seeds/shipments/FILE.json"
echo "server log: var/server.log   stop: kill \$(cat var/server.pid)"
