#!/usr/bin/env bash
# Operator and audit workflows end to end with the real binaries: list
# import + diff + dry run on a real change (a new Entity List entity names the
# affected past decision) + activate + rollback; rule publish + diff +
# activate + rollback; a broken rule file is rejected with FILE:LINE and the
# active set stays; admin log; audit list / verify / replay.
# Usage: operator_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$1; SRC=$2
SERVER="$BUILD/services/server/screening_server"
CTL="$BUILD/services/cli/screenctl"
W=$(mktemp -d); PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -20 "$W/server.log"; exit 1; }
PORT=$(python3 "$SRC/tools/free_ports.py")
"$SERVER" --listen=127.0.0.1:$PORT --metrics_listen= --db="$W/db" --rules="$SRC/rules" --seeds="$SRC/seeds" --seed_lists= >"$W/server.log" 2>&1 &
PID=$!
C=("$CTL" --server=127.0.0.1:$PORT --timeout=30s)
for _ in $(seq 1 100); do "${C[@]}" health >/dev/null 2>&1 && break; sleep 0.1; done
j() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
code() { set +e; "$@" >"$W/out" 2>"$W/err"; echo $?; set -e; }

# A past decision about a party that is not listed yet.
cat >"$W/req.json" <<'JSON'
{"request_id":"op-1","destination_country":"CN",
 "parties":[{"role":"PARTY_ROLE_ULTIMATE_CONSIGNEE","name":"Quantum Harbor Trading Co., Ltd.","country":"CN"}],
 "items":[{"kind":"ITEM_KIND_OTHER","description":"Cable","quantity":10}]}
JSON
[ "$(code "${C[@]}" screen "$W/req.json")" = 0 ] || fail "first screen not CLEAR: $(cat "$W/out")"
D1=$(j 'd["decision_id"]' <"$W/out")
LISTS_V1=$(j 'd["list_version"]' <"$W/out")
RULES_V1=$(j 'd["rule_set_version"]' <"$W/out")

# New Entity List entry, imported as a new (inactive) version.
cat >"$W/new.jsonl" <<'JSONL'
{"entity_id":"EL:quantum-harbor","list":"EL","source_id":"quantum-harbor","type":"ENTITY_TYPE_ORGANIZATION","primary_name":"Quantum Harbor Trading Co., Ltd.","countries":["CN"],"license_requirement":"For all items subject to the EAR. (See §744.11 of the EAR).","license_policy":"Presumption of denial","federal_register_citations":["91 FR 99999"]}
JSONL
"${C[@]}" lists import --format=entities_jsonl --replace=false "$W/new.jsonl" >"$W/out" 2>/dev/null || fail "import"
LISTS_V2=$(j 'd["list_version"]' <"$W/out")
[ "$(j 'd["added"]' <"$W/out")" = 1 ] || fail "import delta: $(cat "$W/out")"
"${C[@]}" lists diff "$LISTS_V2" >"$W/out" || fail "lists diff"
grep -q "EL:quantum-harbor" "$W/out" && grep -q '"added"' "$W/out" || fail "diff content: $(cat "$W/out")"

# Dry run under the candidate version names the affected decision.
"${C[@]}" dry-run --lists="$LISTS_V2" --last=100 >"$W/out" 2>"$W/err" || fail "dry-run"
grep -q "$D1" "$W/err" || fail "dry run does not name $D1: $(cat "$W/err")"
grep -q "DECISION_CLEAR -> DECISION_LICENSE_REQUIRED" "$W/err" || fail "dry run change: $(cat "$W/err")"
grep -q "EL:quantum-harbor" "$W/err" || fail "dry run why"

# Activate, screen, roll back.
"${C[@]}" lists activate "$LISTS_V2" >/dev/null || fail "activate"
[ "$(code "${C[@]}" screen "$W/req.json")" = 3 ] || fail "after activation: $(head -c 300 "$W/out")"
"${C[@]}" rollback >"$W/out" || fail "rollback"
[ "$(j 'd["list_version"]' <"$W/out")" = "$LISTS_V1" ] || fail "rollback version"
[ "$(code "${C[@]}" screen "$W/req.json")" = 0 ] || fail "after rollback"

# Ownership links and the item catalogue are versioned the same way.
cat >"$W/own.jsonl" <<'JSONL'
{"owner_entity_id":"EL:huawei-technologies","owner_name":"Huawei Technologies Co., Ltd.","owned_name":"Lakeside Optical Components Ltd","owned_country":"HU","percent":60,"source":"operator test"}
JSONL
"${C[@]}" lists import --format=ownership_jsonl --replace=false --activate "$W/own.jsonl" >"$W/out" 2>/dev/null || fail "ownership import"
[ "$(j 'd["added"]' <"$W/out")" = 1 ] || fail "ownership delta: $(cat "$W/out")"
cat >"$W/own_req.json" <<'JSON'
{"request_id":"op-own","destination_country":"HU","as_of_date":"2026-11-29",
 "parties":[{"role":"PARTY_ROLE_END_USER","name":"Lakeside Optical Components Ltd","country":"HU"}],
 "items":[{"kind":"ITEM_KIND_OTHER","description":"Lens","quantity":1}]}
JSON
[ "$(code "${C[@]}" screen "$W/own_req.json")" = 3 ] || fail "affiliates rule via imported ownership: $(head -c 400 "$W/out")"
grep -q "own.affiliates_50" "$W/out" || fail "affiliates finding"
cat >"$W/items.jsonl" <<'JSONL'
{"part_number":"OPTEST-ACCEL-1","vendor":"Example","model":"Accelerator 1","item":{"kind":"ITEM_KIND_IC","tpp":6000,"die_area_mm2":600,"datacenter_marketed":true},"spec_source":"operator test"}
JSONL
"${C[@]}" lists import --format=items_jsonl --replace=false --activate "$W/items.jsonl" >"$W/out" 2>/dev/null || fail "items import"
cat >"$W/item_req.json" <<'JSON'
{"request_id":"op-item","destination_country":"DE","parties":[{"name":"Rheinland Engineering Simulation GmbH","country":"DE"}],
 "items":[{"part_number":"OPTEST-ACCEL-1","quantity":1}]}
JSON
code "${C[@]}" screen "$W/item_req.json" >/dev/null
grep -q '"eccn":"3A090.a"' "$W/out" || fail "catalogue item not classified: $(head -c 600 "$W/out")"
"${C[@]}" rollback >/dev/null && "${C[@]}" rollback >/dev/null || fail "rollback imports"
[ "$("${C[@]}" status | j 'd["list_version"]')" = "$LISTS_V1" ] || fail "rollback to seed lists"

# Rules: publish a variant, diff, activate, roll back.
mkdir "$W/rules2"; cp "$SRC"/rules/*.textproto "$W/rules2/"
sed -i 's/review: 0.80/review: 0.82/' "$W/rules2/thresholds.textproto"
"${C[@]}" rules publish "$W/rules2" >"$W/out" || fail "publish"
RULES_V2=$(j 'd["version"]' <"$W/out")
[ "$RULES_V2" != "$RULES_V1" ] || fail "same version"
"${C[@]}" rules diff "$RULES_V2" >"$W/out" || fail "rules diff"
grep -q "thresholds.match" "$W/out" && grep -q '"changed"' "$W/out" || fail "rules diff content: $(cat "$W/out")"
"${C[@]}" rules activate "$RULES_V2" >/dev/null || fail "rules activate"
[ "$("${C[@]}" status | j 'd["rule_set_version"]')" = "$RULES_V2" ] || fail "rules not active"
"${C[@]}" rollback >/dev/null || fail "rules rollback"
[ "$("${C[@]}" status | j 'd["rule_set_version"]')" = "$RULES_V1" ] || fail "rules rollback version"

# A broken rule file is rejected with file and line; the active set stays.
mkdir "$W/broken"; cp "$SRC"/rules/*.textproto "$W/broken/"
printf 'classification {\n  meta { id: "cls.broken" title: "x" citation: "y" jurisdiction: "US-EAR" effective_from: "2025-01-01" }\n  condition { attr: "item.no_such_attribute" ge: 1 }\n  eccn: "3A090.a"\n}\n' >>"$W/broken/classification.textproto"
[ "$(code "${C[@]}" rules publish "$W/broken")" = 1 ] || fail "broken rules accepted"
grep -q "classification.textproto:[0-9]*" "$W/err" || fail "no file:line: $(cat "$W/err")"
[ "$(code "${C[@]}" rules validate "$W/broken")" = 5 ] || fail "local validate"
[ "$("${C[@]}" status | j 'd["rule_set_version"]')" = "$RULES_V1" ] || fail "active rules changed"

# Admin log and audit.
"${C[@]}" admin log --limit=20 >"$W/out" || fail "admin log"
for m in ImportList Activate Rollback PublishRuleSet DryRun; do grep -q "\"$m\"" "$W/out" || fail "admin log lacks $m"; done
"${C[@]}" audit list --party=quantum --from=2020-01-01T00:00:00Z >"$W/out" || fail "audit list"
grep -q "$D1" "$W/out" || fail "audit list lacks $D1"
"${C[@]}" audit verify >"$W/out" || fail "audit verify: $(cat "$W/out")"
"${C[@]}" audit replay "$D1" >/dev/null 2>"$W/err" || fail "replay: $(cat "$W/err")"
grep -q "identical" "$W/err" || fail "replay output"
echo "operator: ok"
