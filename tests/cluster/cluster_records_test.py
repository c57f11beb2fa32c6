#!/usr/bin/env python3
"""Cluster mode (issue 17, slice 4): the records every replica shares
through JetStream streams, on a real loopback cluster (tools/cluster.sh).

  cluster_records_test.py BUILD SRC locations   a report ingested on r1 is
        used by r2's next screening (delay measured, bar 1 s); the same
        batch ingested again (any replica) is stored once; a replica
        restarted behind catches up before SERVING; all NATS nodes down:
        ingest UNAVAILABLE, nothing stored
  cluster_records_test.py BUILD SRC shared_records   a disposition recorded
        on r3 is applied by r2's next screening, listed on every replica
        (replica_id), revoked on r1 everywhere; a re-screening alert raised
        on r2 and the admin actions of every replica listed on all; a
        replica restarted behind catches up
"""
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster_test as ct  # noqa: E402  (helpers; argv: BUILD SRC SCENARIO)
from cluster_test import ctl, fail, health, running, screen, wait_for  # noqa: E402

SRC, SCENARIO = ct.SRC, ct.SCENARIO
TRUST = os.path.join(SRC, "seeds/locations/trust.textproto")
REPORTS = [json.loads(line) for line in open(os.path.join(SRC, "seeds/locations/reports.jsonl"))]


def write(c, name, lines):
    path = os.path.join(c.dir, name)
    with open(path, "w") as f:
        for x in lines:
            f.write(json.dumps(x) + "\n")
    return path


def shipment(c, name, reports):
    """A shipment of the reports' chips to a destination none was seen in."""
    dest = next(d for d in ("NL", "SE", "FR", "DE") if all(r["country"] != d for r in reports))
    s = {"request_id": name, "exporter": "Example Exports Inc.", "destination_country": dest,
         "parties": [{"role": "PARTY_ROLE_ULTIMATE_CONSIGNEE", "name": f"Operator {name}",
                      "address": {"country": dest}, "country": dest}],
         "items": [{"description": "AI accelerator module", "kind": "ITEM_KIND_IC",
                    "tpp": 15800, "die_area_mm2": 814, "datacenter_marketed": True,
                    "quantity": str(len(reports)),
                    "serial_numbers": [r["serial_number"] for r in reports]}]}
    return write(c, name + ".json", [s])


def uses_reports(resp):
    return any(r.get("rule_id") == "rf.location_mismatch" for r in resp.get("rules", []))


def screen_ok(addr, path):
    resp, err = screen(addr, path)
    if resp is None:
        fail(f"screen {path} on {addr}: {err}")
    return resp


def ingest(c, i, path, want_rc=0):
    rc, out, err = ctl(c.addr(i), "location", "import", path, timeout="20s")
    if want_rc is not None and rc != want_rc:
        fail(f"location import {path} on r{i}: rc {rc} {out.strip()} {err.strip()}")
    return rc, out, err


def distinct_reports(n):
    """n reports of distinct serials."""
    out, serials = [], set()
    for r in REPORTS:
        if r["serial_number"] not in serials:
            serials.add(r["serial_number"])
            out.append(r)
        if len(out) == n:
            return out
    fail("not enough distinct serials in the seed reports")


def check_diversion_alerts(c):
    """Reports ingested on r1 raise the diversion alerts of r2's shipments
    (on r2: the serial index of decisions is per replica), listed on all."""
    d = c.dir
    r = subprocess.run([os.path.join(ct.BUILD, "tools/locgen/locgen"), "--chips=16",
                        "--chips_per_shipment=4", "--diverted=4", "--days=20", "--day=1s",
                        "--start=now", "--seed=7", f"--reports_out={d}/gen_reports.jsonl",
                        f"--shipments_out={d}/gen_ships.jsonl", f"--truth_out={d}/truth.tsv"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        fail(f"locgen: {r.stderr[-300:]}")
    decisions = []
    for k, line in enumerate(open(f"{d}/gen_ships.jsonl")):
        decisions.append(screen_ok(c.addr(2), write(c, f"gen{k}.json", [json.loads(line)])))
    _, out, _ = ingest(c, 1, f"{d}/gen_reports.jsonl", want_rc=None)
    ids = {x["decision_id"] for x in decisions}

    def diversion(i):
        lines = ctl(c.addr(i), "alerts", "--limit=1000")[1].splitlines()
        return sorted((a["alert_id"], a["decision_id"], a.get("replica_id")) for a in
                      map(json.loads, filter(str.strip, lines))
                      if a.get("kind") == "ALERT_KIND_DIVERSION" and a["decision_id"] in ids)
    t0 = time.time()
    wait_for("diversion alerts of r2's shipments", lambda: diversion(3), 10)
    time.sleep(0.5)
    got = {i: diversion(i) for i in (1, 2, 3)}
    if len({tuple(v) for v in got.values()}) != 1 or any(a[2] != "r2" for a in got[1]):
        fail(f"diversion alerts differ between replicas or were not raised by r2: {got}")
    print(f"{len(got[1])} diversion alerts of r2's shipments ({len(decisions)} screened on r2; "
          f"decisions {sorted({x['decision'] for x in decisions})}) raised by r2 for reports "
          f"ingested on r1 ({out.strip().splitlines()[-1]}), listed on r1..r3 after "
          f"{time.time() - t0:.2f} s", flush=True)


def scenario_locations():
    rep = distinct_reports(4)
    with running(3, f"--location_trust={TRUST}") as c:
        ship = [shipment(c, f"ship{k}", [rep[k]]) for k in range(4)]
        before = screen_ok(c.addr(2), ship[0])
        if uses_reports(before):
            fail(f"r2 flags a location mismatch before any report: {before['rules']}")
        # 1. Ingest on r1; the next screening on r2 uses it.
        batch1 = write(c, "batch1.jsonl", [rep[0]])
        _, out, _ = ingest(c, 1, batch1)
        t0 = time.time()
        if "accepted 1" not in out:
            fail(f"ingest on r1: {out.strip()}")
        first, delay = None, None
        while time.time() - t0 < 5:
            resp = screen_ok(c.addr(2), ship[0])
            first = resp if first is None else first
            if uses_reports(resp):
                delay = time.time() - t0
                break
        if delay is None:
            fail("r2 never used the report ingested on r1 (5 s)")
        seq = {i: screen_ok(c.addr(i), ship[0])["locations_sequence"] for i in (1, 2, 3)}
        print(f"report ingested on r1 used by r2 after {delay * 1000:.0f} ms (first screening "
              f"after the ingest {'used' if uses_reports(first) else 'did NOT use'} it); "
              f"locations_sequence on r1..r3: {seq}", flush=True)
        if not uses_reports(first) or delay > 1.0:
            fail(f"bar: r2's next screening uses the report within 1 s (took {delay:.3f} s)")
        if len(set(seq.values())) != 1 or int(list(seq.values())[0]) < 1:
            fail(f"the location sequence differs between replicas: {seq}")
        # 2. The same batch again (r3, r1): deduplicated, stored once.
        for i in (3, 1):
            _, out, _ = ingest(c, i, batch1)
            if "accepted 0, already stored 1" not in out:
                fail(f"the same batch again on r{i}: {out.strip()}")
        again = {i: screen_ok(c.addr(i), ship[0])["locations_sequence"] for i in (1, 2, 3)}
        if again != seq:
            fail(f"a republished batch moved the location sequence: {seq} -> {again}")
        _, out, _ = ingest(c, 2, write(c, "batch2.jsonl", [rep[0], rep[1]]))
        if "accepted 1, already stored 1" not in out:
            fail(f"a batch with a stored report on r2: {out.strip()}")
        for i in (1, 3):
            if not uses_reports(screen_ok(c.addr(i), ship[1])):
                fail(f"r{i} does not use the report ingested on r2")
        print("the same batch ingested again on r3 and r1: already stored, the location "
              "sequence unchanged; a stored report in a new batch: stored once", flush=True)
        # 3. A replica that was down catches up before it reports SERVING.
        c.kill9("r3")
        ingest(c, 1, write(c, "batch3.jsonl", [rep[2]]))
        c.script("replica", "3")
        wait_for("r3 SERVING after its restart", lambda: health(c.addr(3)) == "SERVING", 60)
        resp = screen_ok(c.addr(3), ship[2])
        if not uses_reports(resp) or resp["locations_sequence"] != screen_ok(
                c.addr(1), ship[2])["locations_sequence"]:
            fail(f"r3 restarted without the report ingested while it was down: {resp}")
        print("r3 killed, a report ingested meanwhile, r3 restarted: SERVING only with it",
              flush=True)
        check_diversion_alerts(c)
        # 4. Fail closed: the log down, an ingest is UNAVAILABLE and stores nothing.
        for n in (1, 2, 3):
            c.kill9(f"nats{n}")
        # Once r1 knows (NOT_SERVING): an ingest in the moment before the
        # client library sees the connection drop can be taken into its
        # reconnect buffer and stored after all (at least once: a resend is
        # deduplicated); that moment is not what this checks.
        wait_for("r1 NOT_SERVING with every NATS node down",
                 lambda: health(c.addr(1)) == "NOT_SERVING", 10)
        batch4 = write(c, "batch4.jsonl", [rep[3]])
        rc, out, err = ingest(c, 1, batch4, want_rc=None)
        if rc == 0 or "UNAVAILABLE" not in err:
            fail(f"ingest with the log down: rc {rc} {out.strip()} {err.strip()}")
        for n in (1, 2, 3):
            c.script("nats", str(n))
        wait_for("SERVING again after NATS returned",
                 lambda: all(health(c.addr(i)) == "SERVING" for i in (1, 2, 3)), 60)
        for i in (1, 2, 3):
            if uses_reports(screen_ok(c.addr(i), ship[3])):
                fail(f"r{i} uses a report whose ingest was refused")
        # SERVING does not wait for JetStream to elect the locations stream's
        # leader: a client retries UNAVAILABLE (nothing was stored).
        deadline = time.time() + 30
        while True:
            rc, out, err = ingest(c, 2, batch4, want_rc=None)
            if rc == 0 or "UNAVAILABLE" not in err or time.time() > deadline:
                break
            time.sleep(0.5)
        if rc != 0 or "accepted 1" not in out:
            fail(f"the refused report ingested after recovery: {out.strip()}")
        for i in (1, 3):
            wait_for(f"r{i} uses it", lambda: uses_reports(screen_ok(c.addr(i), ship[3])), 5)
        print("all NATS nodes down: ingest UNAVAILABLE, nothing stored; after recovery the "
              "report is ingested once and used everywhere", flush=True)


def admin_json(c, i, *args):
    rc, out, err = ctl(c.addr(i), *args, timeout="20s")
    if rc != 0:
        fail(f"{' '.join(args)} on r{i}: rc {rc} {err.strip()}")
    return json.loads(out) if out.strip() else {}


def dismissed_by(resp, dp_id):
    return any(m.get("disposition_id") == dp_id for m in resp.get("party_matches", []))


def scenario_shared_records():
    ship = ct.SHIPMENTS[0]
    with running(3) as c:
        # An alert raised on r2: its CLEAR decision changes with a new list.
        before = screen_ok(c.addr(2), ship)
        if not before["decision"].endswith("CLEAR"):
            fail(f"shipment 01 before the import: {before['decision']}")
        ct.import_list(c, 2, ct.EXTRA_ENTITY, "--activate")
        def alerts_seen(i):
            lines = ctl(c.addr(i), "alerts")[1].splitlines()
            got = [json.loads(line) for line in lines if line.strip()]
            return [a for a in got if a.get("decision_id") == before["decision_id"]]
        for i in (1, 2, 3):
            wait_for(f"the re-screening alert on r{i}", lambda: alerts_seen(i), 10)
        alerts = {i: alerts_seen(i) for i in (1, 2, 3)}
        ids = {i: [(a["alert_id"], a.get("replica_id")) for a in alerts[i]] for i in (1, 2, 3)}
        if len({tuple(v) for v in ids.values()}) != 1 or len(ids[1]) != 1 or ids[1][0][1] != "r2":
            fail(f"the alert raised on r2 is not the same single record on all: {ids}")
        print(f"re-screening alert raised on r2 listed on r1..r3: {ids[1]}", flush=True)
        # A disposition recorded through r3 of r1's decision.
        resp = screen_ok(c.addr(1), ship)
        hit = next((m for m in resp.get("party_matches", [])
                    if m.get("entity_id") == "EL:cluster-test-rheinland"), None)
        if hit is None:
            fail(f"shipment 01 has no hit on the imported entity: {resp.get('party_matches')}")
        dp = admin_json(c, 3, "dismiss", resp["decision_id"], str(hit.get("party_index", 0)),
                        hit["entity_id"], "--reason=cluster test: same name, other firm")
        t0 = time.time()
        first = screen_ok(c.addr(2), ship)
        delay = time.time() - t0
        if not dismissed_by(first, dp["id"]):
            fail(f"r2's next screening after the disposition on r3 did not apply it: {first}")
        print(f"disposition {dp['id']} recorded on r3: r2's next screening applied it "
              f"({delay * 1000:.0f} ms after)", flush=True)
        for i in (1, 2, 3):
            log = admin_json(c, i, "dispositions").get("dispositions", [])
            mine = [d for d in log if d["id"] == dp["id"]]
            if len(mine) != 1 or mine[0].get("replica_id") != "r3":
                fail(f"dispositions on r{i}: {log}")
        # Revoked through r1: no replica applies it any more.
        rv = admin_json(c, 1, "dispositions", "revoke", dp["id"], "--reason=cluster test: undo")
        for i in (2, 3):
            if dismissed_by(screen_ok(c.addr(i), ship), dp["id"]):
                fail(f"r{i} still applies {dp['id']} after its revocation {rv.get('id')} on r1")
        print(f"revoked on r1 ({rv.get('id')}): r2 and r3 no longer apply it; every replica "
              f"lists both records", flush=True)
        # The admin log: every replica's actions on every replica.
        for i in (1, 2, 3):
            acts = admin_json(c, i, "admin", "log", "--limit=1000").get("actions", [])
            by = {a.get("replica_id") for a in acts}
            if not {"r1", "r2", "r3"} <= by:
                fail(f"admin log on r{i} lacks some replica's actions: {sorted(by)}")
        print("admin log: the actions of r1, r2 and r3 listed on every replica", flush=True)
        # A replica down while records are written catches up on restart.
        c.kill9("r3")
        again = admin_json(c, 1, "dismiss", resp["decision_id"], str(hit.get("party_index", 0)),
                           hit["entity_id"], "--reason=cluster test: again")
        c.script("replica", "3")
        wait_for("r3 SERVING after its restart", lambda: health(c.addr(3)) == "SERVING", 60)
        if not dismissed_by(screen_ok(c.addr(3), ship), again["id"]):
            fail(f"r3 restarted without disposition {again['id']} recorded while it was down")
        log = admin_json(c, 3, "dispositions").get("dispositions", [])
        if len(log) != 3 or len({d["id"] for d in log}) != 3:
            fail(f"r3's disposition log after its restart: {log}")
        print("r3 killed, a disposition recorded meanwhile, r3 restarted: it applies it, "
              "3 records, none twice", flush=True)
        # Fail closed: the log down, a disposition is UNAVAILABLE and stored nowhere.
        for n in (1, 2, 3):
            c.kill9(f"nats{n}")
        rc, out, err = ctl(c.addr(2), "dispositions", "revoke", again["id"],
                           "--reason=cluster test: log down", timeout="20s")
        if rc == 0 or "UNAVAILABLE" not in err:
            fail(f"a revocation with the log down: rc {rc} {out.strip()} {err.strip()}")
        for n in (1, 2, 3):
            c.script("nats", str(n))
        wait_for("SERVING again after NATS returned",
                 lambda: all(health(c.addr(i)) == "SERVING" for i in (1, 2, 3)), 60)
        for i in (1, 2, 3):
            log = admin_json(c, i, "dispositions").get("dispositions", [])
            if len(log) != 3:
                fail(f"r{i} after a refused revocation: {len(log)} dispositions, want 3")
        print("all NATS nodes down: a revocation is UNAVAILABLE and stored on no replica",
              flush=True)
        # NATS storage lost (all nodes wiped and restarted) and r1 restarted,
        # which creates the streams afresh: they start again at sequence 1,
        # below what every replica applied. No replica may take the new
        # messages for ones it applied: each refuses Screen and is not
        # SERVING, naming the lost stream.
        for n in (1, 2, 3):
            c.kill9(f"nats{n}")
            shutil.rmtree(os.path.join(c.dir, f"nats{n}"), ignore_errors=True)
        for n in (1, 2, 3):
            c.script("nats", str(n))
        c.kill9("r1")
        c.script("replica", "1", "--no-wait")
        for i in (1, 2, 3):
            seen = {}
            def refused(i=i, seen=seen):
                resp, seen["err"] = screen(c.addr(i), ship)
                return resp is None and "recreated or lost" in seen["err"]
            wait_for(f"r{i} refusing Screen after the NATS storage was lost", refused, 60)
            print(f"r{i}: {seen['err'].splitlines()[0][:240]}", flush=True)
            if health(c.addr(i)) == "SERVING":
                fail(f"r{i} SERVING on a lost dispositions stream")
        print("NATS storage lost: every replica refuses Screen and is NOT_SERVING", flush=True)


if __name__ == "__main__":
    {"locations": scenario_locations, "shared_records": scenario_shared_records}[SCENARIO]()
    print("PASS", SCENARIO)
