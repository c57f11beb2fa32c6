#!/usr/bin/env python3
"""Cluster mode (issue 17) against a real loopback cluster: 3 nats-server
processes forming one JetStream cluster and 2-3 screening_server replicas,
all started by tools/cluster.sh.

  cluster_test.py BUILD SRC decisions   ids per replica, GetDecision of any
                                        replica's decision on every replica,
                                        audit verify of every chain, flags
  cluster_test.py BUILD SRC outage      all NATS nodes down: UNAVAILABLE and
                                        NOT_SERVING, no answer without a
                                        record; service resumes when they return
  cluster_test.py BUILD SRC kill        kill -9 of a replica and of one NATS
                                        node under load from a retrying client:
                                        no failed call, every received decision
                                        retrievable on every replica
  cluster_test.py BUILD SRC versions    content-addressed versions shared: an
                                        import+activate through one replica is
                                        served by all 3 within 2 s; rules
                                        published on one, activated through
                                        another; rollback; cluster status
  cluster_test.py BUILD SRC activations 20 activations/rollbacks under load
                                        balanced over 3 replicas: 0 failed
                                        calls, every answer names a pair that
                                        was active (oracle) and its decision
                                        is the one that pair gives
  cluster_test.py BUILD SRC failover    idempotent Screen: kill -9 of a replica
                                        under load, 10 rounds, clients retrying
                                        with the same request_id: no failed
                                        call, every decision retrievable on
                                        every replica, no request id recorded
                                        twice; racing and repeated deliveries
                                        of one request id get one decision

A missing nats-server is a failure (tools/install-deps.sh installs it).
"""
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

BUILD, SRC, SCENARIO = sys.argv[1], sys.argv[2], sys.argv[3]
CTL = os.path.join(BUILD, "services/cli/screenctl")
SERVER = os.path.join(BUILD, "services/server/screening_server")
SHIPMENTS = sorted(
    os.path.join(SRC, "seeds/shipments", f)
    for f in os.listdir(os.path.join(SRC, "seeds/shipments")) if f.endswith(".json"))


def fail(msg):
    print("FAIL:", msg, flush=True)
    raise SystemExit(1)


class Cluster:
    def __init__(self, replicas, server_flags=""):
        if shutil.which("nats-server") is None:
            fail("nats-server not installed (bash tools/install-deps.sh installs it)")
        self.dir = tempfile.mkdtemp(prefix="es-cluster-test.")
        self.env = dict(os.environ, CLUSTER_DIR=self.dir, BUILD_DIR=BUILD,
                        ES_SERVER_FLAGS=("--seed_lists= " + server_flags).strip())
        self.replicas = replicas
        self.keep = False  # a failed run keeps its directory (logs, stores)

    def script(self, *args, timeout=180):
        r = subprocess.run(["bash", os.path.join(SRC, "tools/cluster.sh"), *args],
                           env=self.env, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            self.dump_logs()
            fail(f"cluster.sh {' '.join(args)}: rc {r.returncode}: {r.stdout} {r.stderr}")
        return r.stdout

    def start(self):
        t = time.time()
        self.script("start", str(self.replicas))
        self.ports = {}
        for line in open(os.path.join(self.dir, "cluster.env")):
            k, _, v = line.strip().partition("=")
            self.ports[k] = v
        print(f"cluster of 3 NATS nodes and {self.replicas} replicas up in "
              f"{time.time() - t:.1f} s", flush=True)

    def addr(self, i):
        return "127.0.0.1:" + self.ports[f"REPLICA_PORT_{i}"]

    def pid(self, name):
        return int(open(os.path.join(self.dir, name + ".pid")).read())

    def kill9(self, name):
        os.kill(self.pid(name), signal.SIGKILL)
        for _ in range(100):
            try:
                os.kill(self.pid(name), 0)
            except ProcessLookupError:
                return
            # A killed child of a finished shell is reaped by init.
            try:
                if open(f"/proc/{self.pid(name)}/stat").read().split()[2] == "Z":
                    return
            except FileNotFoundError:
                return
            time.sleep(0.05)

    def dump_logs(self):
        for f in sorted(os.listdir(self.dir)):
            if f.endswith(".log"):
                lines = open(os.path.join(self.dir, f), errors="replace").read().splitlines()
                print(f"--- {f} (last 15 lines)")
                print("\n".join(lines[-15:]))

    def stop(self):
        subprocess.run(["bash", os.path.join(SRC, "tools/cluster.sh"), "stop"], env=self.env,
                       capture_output=True, timeout=60)
        if self.keep:
            print("kept for inspection:", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def running(replicas, server_flags=""):
    """A started cluster, stopped afterwards; a failure prints the logs and
    keeps the directory."""
    c = Cluster(replicas, server_flags)
    try:
        c.start()
        yield c
    except BaseException:
        c.dump_logs()
        c.keep = True
        raise
    finally:
        c.stop()


def ctl(addr, *args, timeout="10s"):
    r = subprocess.run([CTL, f"--server={addr}", f"--timeout={timeout}", *args],
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


def screen(addr, shipment):
    # The exit code names the decision class; an RPC error prints nothing
    # on stdout.
    rc, out, err = ctl(addr, "screen", shipment)
    if not out.strip().startswith("{"):
        return None, err.strip() or f"rc {rc}"
    return json.loads(out), ""


def health(addr):
    return ctl(addr, "health", timeout="2s")[1].strip()


def wait_for(what, fn, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if fn():
            return time.time()
        time.sleep(0.1)
    fail(f"{what}: not within {timeout} s")


def check_retrievable(cluster, answers, replicas):
    """Every (id, decision) answered is stored, the same, on every replica."""
    for i in replicas:
        for k in range(0, len(answers), 200):
            chunk = answers[k:k + 200]
            rc, out, err = ctl(cluster.addr(i), "decision", *[a[0] for a in chunk])
            if rc != 0:
                fail(f"decisions not all retrievable on r{i}: {err.strip()}")
            records = [json.loads(line) for line in out.splitlines()]
            if len(records) != len(chunk):
                fail(f"r{i}: {len(records)} records for {len(chunk)} ids")
            for (did, decision), rec in zip(chunk, records):
                if rec["decision_id"] != did or rec["response"]["decision"] != decision:
                    fail(f"decision {did} on r{i}: {rec['decision_id']} "
                         f"{rec['response']['decision']}, answered {decision}")


def check_audit(cluster, replicas, expected_records=None):
    for i in replicas:
        rc, out, err = ctl(cluster.addr(i), "audit", "verify", timeout="60s")
        if rc != 0:
            fail(f"audit verify on r{i}: rc {rc} {err.strip()}")
        v = json.loads(out.strip().splitlines()[-1])
        if not v.get("ok"):
            fail(f"audit verify on r{i}: {v}")
        got = int(v.get("records_checked", 0))
        if expected_records is not None and got != expected_records:
            fail(f"audit verify on r{i} checked {got} records, want {expected_records}")


def audit_pages(addr, *flags):
    """Every page of `screenctl audit list` on addr: the decision ids in order."""
    ids, token = [], ""
    for _ in range(100):
        rc, out, err = ctl(addr, "audit", "list", *flags, f"--page_token={token}")
        if rc != 0:
            fail(f"audit list {flags} on {addr}: rc {rc} {err.strip()}")
        page = json.loads(out)
        ids += [r["response"]["decision_id"] for r in page.get("records", [])]
        token = page.get("nextPageToken", page.get("next_page_token", ""))
        if not token:
            return ids
    fail(f"audit list {flags}: more than 100 pages")


def check_audit_list(c, answers):
    """`audit list` on any replica lists every replica's decisions, newest first,
    pages without loss or repetition; --replica picks one chain."""
    want = {a[0] for a in answers}
    for i in (1, 2, 3):
        deadline = time.time() + 5
        while True:
            ids = audit_pages(c.addr(i), "--limit=1000")
            if set(ids) >= want or time.time() > deadline:
                break
            time.sleep(0.2)
        if set(ids) != want or len(ids) != len(want):
            fail(f"audit list on r{i}: {len(ids)} ids, want the {len(want)} answered: "
                 f"missing {sorted(want - set(ids))[:5]}, extra {sorted(set(ids) - want)[:5]}")
        paged = audit_pages(c.addr(i), "--limit=4")
        if paged != ids:
            fail(f"audit list on r{i} in pages of 4 differs from one page: {paged} vs {ids}")
    only = audit_pages(c.addr(1), "--limit=3", "--replica=r3")
    if not only or set(only) != {d for d in want if d.startswith("r3-")}:
        fail(f"audit list --replica=r3 on r1: {only}")
    for flags, field in ((["--page_token=m1:r1=x"], "page_token"),
                         (["--page_token=17"], "page_token"),
                         (["--replica=R 1"], "replica")):
        rc, _, err = ctl(c.addr(2), "audit", "list", *flags)
        if rc == 0 or "INVALID_ARGUMENT" not in err or field not in err:
            fail(f"audit list {flags}: rc {rc} {err.strip()}, want INVALID_ARGUMENT naming {field}")
    # Replay of any replica's decision on another one: same answer.
    for did in sorted(want)[:: max(1, len(want) // 4)]:
        for i in (1, 2, 3):
            rc, _, err = ctl(c.addr(i), "audit", "replay", did)
            if rc != 0 or "identical" not in err:
                fail(f"audit replay {did} on r{i}: rc {rc} {err.strip()}")
    print(f"audit list on each replica: all {len(want)} decisions of the 3 chains, newest first, "
          f"the same in pages of 4; --replica=r3 gives r3's {len(only)}", flush=True)


def scenario_decisions():
    with running(3) as c:
        answers, by_replica = [], {1: [], 2: [], 3: []}
        for n, shipment in enumerate(SHIPMENTS):
            i = n % 3 + 1
            resp, err = screen(c.addr(i), shipment)
            if resp is None:
                fail(f"screen {shipment} on r{i}: {err}")
            did = resp["decision_id"]
            if not did.startswith(f"r{i}-D"):
                fail(f"decision id {did} from r{i} does not carry its replica id")
            answers.append((did, resp["decision"]))
            by_replica[i].append(did)
        ids = [a[0] for a in answers]
        if len(set(ids)) != len(ids):
            fail(f"decision ids collide: {ids}")
        for i in (1, 2, 3):  # per replica chain: r<i>-D...1, 2, ...
            want = [f"r{i}-D{k:016x}" for k in range(1, len(by_replica[i]) + 1)]
            if by_replica[i] != want:
                fail(f"r{i} ids {by_replica[i]}, want {want}")
        # Asked right after the answer on another replica (read-your-writes).
        t = time.time()
        check_retrievable(c, answers, (1, 2, 3))
        print(f"{len(answers)} decisions answered on 3 replicas, each retrievable on all 3 "
              f"({time.time() - t:.1f} s for {3 * len(answers)} lookups)", flush=True)
        check_audit(c, (1, 2, 3), expected_records=len(answers))
        print("audit verify: every replica checks all 3 chains", flush=True)
        check_audit_list(c, answers)
        for bad, want in (("X-D0000000000000001", "INVALID_ARGUMENT"),
                          ("r1-D00000000000000zz", "INVALID_ARGUMENT"),
                          ("r9-D0000000000000001", "NOT_FOUND"),
                          ("r1-Dffffffffffffff00", "NOT_FOUND")):
            rc, _, err = ctl(c.addr(2), "decision", bad)
            if rc == 0 or want not in err:
                fail(f"decision {bad}: rc {rc} {err.strip()}, want {want}")
        # Flags: cluster mode needs a valid replica id; stream replicas 1..5.
        db = os.path.join(c.dir, "flagdb")
        for flags, field in ((["--nats=" + c.ports["NATS_URLS"]], "replica_id"),
                             (["--nats=" + c.ports["NATS_URLS"], "--replica_id=R 1"], "replica_id"),
                             (["--replica_id=r1"], "replica_id"),
                             (["--nats=" + c.ports["NATS_URLS"], "--replica_id=r7",
                               "--stream_replicas=0"], "stream_replicas")):
            r = subprocess.run([SERVER, "--listen=127.0.0.1:0", f"--db={db}", "--metrics_listen=",
                                *flags], capture_output=True, text=True, timeout=30)
            if r.returncode == 0 or field not in r.stderr or "INVALID_ARGUMENT" not in r.stderr:
                fail(f"screening_server {flags}: rc {r.returncode} {r.stderr[-300:]}")
        print("bad cluster flags refused, naming the flag", flush=True)


def scenario_outage():
    with running(2) as c:
        before, err = screen(c.addr(1), SHIPMENTS[0])
        if before is None:
            fail(f"screen before the outage: {err}")
        for n in (1, 2, 3):
            c.kill9(f"nats{n}")
        t0 = time.time()
        wait_for("NOT_SERVING on both replicas with every NATS node down",
                 lambda: all(health(c.addr(i)) == "NOT_SERVING" for i in (1, 2)), 10)
        print(f"all NATS nodes killed: both replicas NOT_SERVING after {time.time() - t0:.1f} s",
              flush=True)
        for n in range(6):
            i = n % 2 + 1
            resp, err = screen(c.addr(i), SHIPMENTS[n % len(SHIPMENTS)])
            if resp is not None:
                fail(f"r{i} answered {resp['decision_id']} with the log down")
            if "UNAVAILABLE" not in err:
                fail(f"r{i} with the log down: {err}, want UNAVAILABLE")
        for n in (1, 2, 3):
            c.script("nats", str(n))
        t1 = time.time()
        wait_for("SERVING again after NATS returned",
                 lambda: all(health(c.addr(i)) == "SERVING" for i in (1, 2)), 60)
        print(f"NATS restarted: both replicas SERVING after {time.time() - t1:.1f} s", flush=True)
        answers = [(before["decision_id"], before["decision"])]
        for n in range(4):
            i = n % 2 + 1
            resp, err = screen(c.addr(i), SHIPMENTS[n % len(SHIPMENTS)])
            if resp is None:
                fail(f"screen on r{i} after recovery: {err}")
            answers.append((resp["decision_id"], resp["decision"]))
        # Publishing resumes first; a replica's consumer of the others'
        # decisions resubscribes once JetStream answers again (it may lag
        # the SERVING state by a few seconds).
        t2 = time.time()
        for attempt in range(30):
            try:
                check_retrievable(c, answers, (1, 2))
                break
            except SystemExit:
                if attempt == 29:
                    raise
                time.sleep(0.5)
        check_audit(c, (1, 2))
        print(f"after recovery: answers recorded, retrievable on both (after "
              f"{time.time() - t2:.1f} s), chains verify", flush=True)
        # Shut down with every NATS node down: promptly, not after one NATS
        # timeout per subscription, heartbeat and publish (over 30 s before).
        for n in (1, 2, 3):
            c.kill9(f"nats{n}")
        wait_for("NOT_SERVING with NATS down again", lambda: health(c.addr(2)) == "NOT_SERVING", 10)
        pid = c.pid("r2")
        t3 = time.time()
        os.kill(pid, signal.SIGTERM)
        while time.time() - t3 < 30 and running_pid(pid):
            time.sleep(0.1)
        took = time.time() - t3
        if took > 10:
            fail(f"r2 took {took:.1f} s to stop after SIGTERM with NATS down (bar 10 s)")
        print(f"SIGTERM with every NATS node down: r2 stopped after {took:.1f} s", flush=True)


def running_pid(pid):
    """False once the process has exited (a zombie not yet reaped by its
    new parent counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class LoadThreads:
    """Threads running self.run(t) until the `with` block ends."""

    def __init__(self, threads):
        self.stop, self.lock = threading.Event(), threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(t,)) for t in range(threads)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()


class RetryingClient(LoadThreads):
    """Screens in a loop over all replicas; a failed call is retried on the
    next replica (0.1 s apart, for up to 30 s). Records every answer."""

    def __init__(self, cluster, replicas, threads):
        self.c, self.replicas = cluster, replicas
        self.answers, self.failed, self.retries = [], [], 0
        super().__init__(threads)

    def run(self, t):
        n = t
        while not self.stop.is_set():
            shipment = SHIPMENTS[n % len(SHIPMENTS)]
            err, attempt, deadline = "", 0, time.time() + 30
            while True:
                i = self.replicas[(n + attempt) % len(self.replicas)]
                resp, err = screen(self.c.addr(i), shipment)
                if resp is not None:
                    with self.lock:
                        self.answers.append((resp["decision_id"], resp["decision"]))
                        self.retries += attempt
                    break
                if time.time() > deadline:
                    with self.lock:
                        self.failed.append(err)
                    break
                attempt += 1
                time.sleep(0.1)
            n += 1


def scenario_kill():
    with running(3) as c:
        with RetryingClient(c, (1, 2, 3), threads=3) as client:
            time.sleep(2)
            c.kill9("r3")
            print(f"kill -9 r3 after {len(client.answers)} answers", flush=True)
            time.sleep(1.5)
            c.kill9("nats2")
            print(f"kill -9 NATS node2 after {len(client.answers)} answers", flush=True)
            time.sleep(2)
            c.script("replica", "3")
            print(f"r3 restarted and SERVING after {len(client.answers)} answers", flush=True)
            c.script("nats", "2")
            time.sleep(3)
        print(f"retrying client: {len(client.answers)} answers, {client.retries} retries, "
              f"{len(client.failed)} failed calls", flush=True)
        if client.failed:
            fail(f"{len(client.failed)} calls failed after retries: {client.failed[:3]}")
        if len(client.answers) < 50:
            fail(f"only {len(client.answers)} answers under load")
        ids = [a[0] for a in client.answers]
        if len(set(ids)) != len(ids):
            fail("a decision id was answered twice")
        check_retrievable(c, client.answers, (1, 2, 3))
        check_audit(c, (1, 2, 3))
        print("every received decision retrievable on every replica; chains verify", flush=True)


# A list version that changes shipment 01's answer (its consignee listed).
EXTRA_ENTITY = json.dumps({
    "entity_id": "EL:cluster-test-rheinland", "list": "EL", "source_id": "cluster-test-rheinland",
    "type": "ENTITY_TYPE_ORGANIZATION", "primary_name": "Rheinland Engineering Simulation GmbH",
    "countries": ["DE"], "license_requirement": "For all items subject to the EAR.",
    "license_policy": "Presumption of denial", "federal_register_citations": ["99 FR 12345"]})


def status(addr):
    rc, out, err = ctl(addr, "status", timeout="5s")
    if rc != 0:
        fail(f"status of {addr}: {err.strip()}")
    s = json.loads(out)
    return s.get("rule_set_version", ""), s.get("list_version", "")


def cluster_status(addr):
    rc, out, err = ctl(addr, "cluster", "status", timeout="10s")
    if rc != 0:
        fail(f"cluster status on {addr}: {err.strip()}")
    return json.loads(out)


def import_list(c, i, content, *flags):
    # The file name is part of the content (each entity's source_file).
    path = os.path.join(c.dir, "extra.jsonl")
    with open(path, "w") as f:
        f.write(content + "\n")
    rc, out, err = ctl(c.addr(i), "lists", "import", "--format=entities_jsonl", "--replace=false",
                       *flags, path, timeout="30s")
    if rc != 0:
        fail(f"lists import on r{i}: rc {rc} {err.strip()}")
    return json.loads(out)


def scenario_versions():
    with running(3) as c:
        pairs = {i: status(c.addr(i)) for i in (1, 2, 3)}
        if len(set(pairs.values())) != 1:
            fail(f"replicas seeded from the same seeds serve different versions: {pairs}")
        rules0, lists0 = pairs[1]
        if not lists0.startswith("L-") or len(lists0) != 14:
            fail(f"list version id {lists0} is not content-addressed (L-<12 hex>)")
        print(f"3 replicas seeded alike serve one pair: rules={rules0} lists={lists0}",
              flush=True)

        # Import and activate once, through r1: every replica serves it.
        t0 = time.time()
        imported = import_list(c, 1, EXTRA_ENTITY, "--activate")
        returned = time.time() - t0
        lists1 = imported["list_version"]
        t_all = wait_for("all replicas serving the imported version",
                         lambda: all(status(c.addr(i)) == (rules0, lists1) for i in (1, 2, 3)), 10)
        took = t_all - t0
        print(f"import+activate through r1: returned after {returned:.2f} s, all 3 replicas "
              f"serve {lists1} after {took:.2f} s", flush=True)
        if took > 2.0:
            fail(f"all replicas served the new version after {took:.2f} s (bar: 2 s)")
        resp, err = screen(c.addr(3), SHIPMENTS[0])
        if resp is None or resp["list_version"] != lists1 or resp["decision"] == "CLEAR":
            fail(f"r3's answer for shipment 01 after the import: {resp or err}")
        # The same import again (on another replica) is the same version.
        again = import_list(c, 2, EXTRA_ENTITY)
        if again["list_version"] != lists1:
            fail(f"the same content imported on r2 is {again['list_version']}, not {lists1}")

        # Rules published on r2 and activated through r3 (r3 fetches them).
        rules_dir = os.path.join(c.dir, "rules2")
        shutil.copytree(os.path.join(SRC, "rules"), rules_dir)
        first = sorted(f for f in os.listdir(rules_dir) if f.endswith(".textproto"))[0]
        with open(os.path.join(rules_dir, first), "a") as f:
            f.write("\n# cluster test: another rule-set version, same rules\n")
        rc, out, err = ctl(c.addr(2), "rules", "publish", rules_dir, timeout="30s")
        if rc != 0:
            fail(f"rules publish on r2: {err.strip()}")
        rules1 = json.loads(out)["version"]
        rc, out, err = ctl(c.addr(3), "rules", "activate", rules1, timeout="30s")
        if rc != 0:
            fail(f"rules activate {rules1} through r3: {err.strip()}")
        for i in (1, 2, 3):
            if status(c.addr(i)) != (rules1, lists1):
                fail(f"r{i} serves {status(c.addr(i))} after the rules activation")
        print(f"rules {rules1} published on r2, activated through r3: served by all 3",
              flush=True)

        # Rollback through r2 walks the shared stack back.
        for want in ((rules0, lists1), (rules0, lists0)):
            rc, out, err = ctl(c.addr(2), "lists", "rollback", timeout="30s")
            if rc != 0:
                fail(f"rollback through r2: {err.strip()}")
            for i in (1, 2, 3):
                if status(c.addr(i)) != want:
                    fail(f"after rollback r{i} serves {status(c.addr(i))}, want {want}")
        print("two rollbacks through r2: every replica back at the seeded pair", flush=True)

        # Fail closed: an unknown version is refused and nothing changes.
        rc, _, err = ctl(c.addr(1), "lists", "activate", "L-000000000000", timeout="30s")
        if rc == 0:
            fail("activating an unknown list version succeeded")
        if any(status(c.addr(i)) != (rules0, lists0) for i in (1, 2, 3)):
            fail("a refused activation changed what a replica serves")

        cs = cluster_status(c.addr(3))
        ids = [r["replica_id"] for r in cs.get("replicas", [])]
        if ids != ["r1", "r2", "r3"]:
            fail(f"cluster status lists replicas {ids}")
        for r in cs["replicas"]:
            if (r.get("rule_set_version"), r.get("list_version")) != (rules0, lists0) or \
                    not r.get("serving") or not r.get("address"):
                fail(f"cluster status of {r.get('replica_id')}: {r}")
        if (cs["active"]["rule_set_version"], cs["active"]["list_version"]) != (rules0, lists0):
            fail(f"cluster status active {cs['active']}")
        print(f"cluster status: control revision {cs['control_revision']}, stack depth "
              f"{cs.get('stack_depth')}, 3 live replicas serving the active pair", flush=True)


class OracleClient(LoadThreads):
    """Screens the shipments in a loop, balanced over all replicas; records
    every answer's pair and decision and every failed call."""

    def __init__(self, cluster, threads):
        self.c = cluster
        self.answers, self.failed = [], []
        super().__init__(threads)

    def run(self, t):
        n = t
        while not self.stop.is_set():
            k = n % len(SHIPMENTS)
            i = n % 3 + 1
            resp, err = screen(self.c.addr(i), SHIPMENTS[k])
            with self.lock:
                if resp is None:
                    self.failed.append((i, err))
                else:
                    self.answers.append(((resp["rule_set_version"], resp["list_version"]), k,
                                         resp["decision"], i))
            n += 1


def scenario_activations():
    with running(3) as c:
        base = status(c.addr(1))
        lists2 = import_list(c, 2, EXTRA_ENTITY)["list_version"]  # stored, not active
        pair2 = (base[0], lists2)
        active_ever = {base}
        times = []
        with OracleClient(c, threads=3) as client:
            time.sleep(1)
            for a in range(20):
                i = a % 3 + 1
                t = time.time()
                if a % 2 == 0:
                    active_ever.add(pair2)  # before it can be served
                    rc, _, err = ctl(c.addr(i), "lists", "activate", lists2, timeout="30s")
                    want = pair2
                else:
                    rc, _, err = ctl(c.addr(i), "rollback", timeout="30s")
                    want = base
                if rc != 0:
                    fail(f"activation {a} through r{i}: {err.strip()}")
                times.append(time.time() - t)
                for j in (1, 2, 3):
                    if status(c.addr(j)) != want:
                        fail(f"after activation {a} r{j} serves {status(c.addr(j))}, want {want}")
                time.sleep(0.3)
        answers, failed = client.answers, client.failed
        by_pair = {}
        decisions = {}
        for pair, k, decision, i in answers:
            by_pair[pair] = by_pair.get(pair, 0) + 1
            decisions.setdefault((pair, k), set()).add(decision)
        print(f"20 activations/rollbacks through r1-r3 under load: {len(answers)} answers "
              f"({', '.join(f'{p[1]}: {n}' for p, n in sorted(by_pair.items()))}), "
              f"{len(failed)} failed calls; activation returned after max "
              f"{max(times):.2f} s, mean {sum(times) / len(times):.2f} s", flush=True)
        if failed:
            fail(f"{len(failed)} failed calls, e.g. {failed[:3]}")
        never = [p for p in by_pair if p not in active_ever]
        if never:
            fail(f"answers name pairs that were never active: {never}")
        mixed = {key: d for key, d in decisions.items() if len(d) != 1}
        if mixed:
            fail(f"one pair and shipment answered differently: {mixed}")
        if by_pair.get(pair2, 0) == 0 or by_pair.get(base, 0) == 0:
            fail(f"not both pairs answered under load: {by_pair}")
        if decisions.get((pair2, 0)) == decisions.get((base, 0)):
            fail("the imported version did not change shipment 01's answer")
        if len(answers) < 100:
            fail(f"only {len(answers)} answers under load")
        print("every answer names a pair that was active and that pair's decision", flush=True)


# --- failover: idempotent Screen (issue 17, slice 5) ---------------------

def shipment_with_id(dirpath, k, request_id):
    """The seed shipment k under `request_id`, as a file for screenctl."""
    body = json.load(open(SHIPMENTS[k % len(SHIPMENTS)]))
    body["request_id"] = request_id
    path = os.path.join(dirpath, request_id + ".json")
    with open(path, "w") as f:
        json.dump(body, f)
    return path


class IdempotentClient(LoadThreads):
    """Each logical request has its own request_id; a failed call is retried
    with the same request_id (same bytes) on the next replica, 0.1 s apart,
    for up to 30 s. Every 4th answered request is delivered once more to
    another replica (a client that lost the answer) and must get the same
    decision id."""

    def __init__(self, cluster, threads):
        self.c = cluster
        self.dir = tempfile.mkdtemp(prefix="failover.", dir=cluster.dir)
        self.answers, self.failed, self.mismatched = {}, [], []
        self.retries = self.repeats = self.slow = 0
        super().__init__(threads)

    def call(self, rid, path, first):
        """(response, attempts) retrying over the replicas, or (None, n)."""
        attempt, deadline = 0, time.time() + 30
        while True:
            i = (first + attempt) % 3 + 1
            t0 = time.time()
            resp, err = screen(self.c.addr(i), path)
            if time.time() - t0 > 0.4:  # screenctl's own retries waited out a kill
                with self.lock:
                    self.slow += 1
            if resp is not None:
                return resp, attempt
            if time.time() > deadline:
                with self.lock:
                    self.failed.append((rid, err))
                return None, attempt
            attempt += 1
            time.sleep(0.1)

    def run(self, t):
        n = 0
        while not self.stop.is_set():
            rid = f"fo-{t}-{n}"
            path = shipment_with_id(self.dir, t + n, rid)
            resp, attempts = self.call(rid, path, t + n)
            if resp is not None:
                with self.lock:
                    self.answers[rid] = (resp["decision_id"], resp["decision"])
                    self.retries += attempts
                if n % 4 == 0:
                    again, attempts = self.call(rid, path, t + n + 1)
                    with self.lock:
                        self.repeats += 1
                        self.retries += attempts
                        if again is not None and again["decision_id"] != resp["decision_id"]:
                            self.mismatched.append((rid, resp["decision_id"], again["decision_id"]))
            n += 1


def all_records(c, i):
    """Every decision of replica i's own chain (audit list, paged)."""
    records, token = [], ""
    while True:
        rc, out, err = ctl(c.addr(i), "audit", "list", "--limit=1000", f"--replica=r{i}",
                           f"--page_token={token}", timeout="30s")
        if rc != 0:
            fail(f"audit list on r{i}: {err.strip()}")
        page = json.loads(out)
        records += page.get("records", [])
        token = page.get("next_page_token", "")
        if not token:
            return records


def check_once_per_request_id(c, answers):
    """No request id recorded twice across all replicas' chains, and each
    answered request's record is the decision answered."""
    recorded = {}
    for i in (1, 2, 3):
        for r in all_records(c, i):
            rid = r.get("request", {}).get("request_id", "")
            if rid.startswith("fo-") or rid.startswith("race-"):
                recorded.setdefault(rid, []).append(r["decision_id"])
    twice = {rid: ids for rid, ids in recorded.items() if len(ids) > 1}
    if twice:
        fail(f"{len(twice)} request ids recorded more than once, e.g. "
             f"{sorted(twice.items())[:3]}")
    for rid, (did, _) in answers.items():
        if recorded.get(rid) != [did]:
            fail(f"request {rid} answered {did}, recorded as {recorded.get(rid)}")
    return len(recorded)


def race_one_id(c, k):
    """Three callers deliver one request id at once to r1, r2, r3: one
    decision for all three."""
    rid = f"race-{k}"
    path = shipment_with_id(c.dir, k, rid)
    got = [None] * 3

    def deliver(j):
        for _ in range(50):
            resp, err = screen(c.addr(j + 1), path)
            if resp is not None:
                got[j] = resp["decision_id"]
                return
            time.sleep(0.1)
    threads = [threading.Thread(target=deliver, args=(j,)) for j in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if None in got or len(set(got)) != 1:
        fail(f"{rid} delivered to r1, r2, r3 at once: decisions {got}")
    return rid, got[0]


def scenario_failover():
    t0 = time.time()
    with running(3, "--idempotency_window=10m") as c:
        races = dict(race_one_id(c, k) for k in range(6))
        print(f"6 request ids each delivered to r1, r2, r3 at once: one decision each",
              flush=True)
        with IdempotentClient(c, threads=3) as client:
            time.sleep(1)
            for rnd in range(10):
                victim = rnd % 3 + 1
                time.sleep(0.3 + 0.1 * (rnd % 4))
                c.kill9(f"r{victim}")
                time.sleep(0.5)
                c.script("replica", str(victim))
                with client.lock:
                    done = len(client.answers)
                print(f"round {rnd + 1}: kill -9 r{victim}, restarted; {done} requests "
                      f"answered so far", flush=True)
            time.sleep(1)
        answers = dict(client.answers)
        print(f"idempotent clients: {len(answers)} requests answered, {client.retries} "
              f"retries, {client.repeats} repeated deliveries, {len(client.failed)} failed "
              f"calls, {len(client.mismatched)} repeats answered differently, {client.slow} calls "
              f"over 0.4 s (retried inside screenctl)", flush=True)
        if client.failed:
            fail(f"{len(client.failed)} requests failed after retries: {client.failed[:3]}")
        if client.mismatched:
            fail(f"a repeated request id got another decision: {client.mismatched[:3]}")
        if len(answers) < 50:
            fail(f"only {len(answers)} requests answered under load")
        # A kill is seen as a retry here, or inside screenctl (its gRPC retry
        # policy waits for the replica to come back): a call over 0.4 s.
        if client.retries + client.slow == 0:
            fail("no call was retried or delayed: the kills did not hit the load")
        ids = [a[0] for a in answers.values()]
        if len(set(ids)) != len(ids):
            fail("one decision id answered for two request ids")
        for rid, did in races.items():
            answers[rid] = (did, None)
        check_retrievable(c, [(d, dec) for d, dec in answers.values() if dec is not None],
                          (1, 2, 3))
        n = check_once_per_request_id(c, answers)
        check_audit(c, (1, 2, 3))
        print(f"{n} request ids recorded once each across the 3 chains; every received "
              f"decision retrievable on every replica; chains verify "
              f"({time.time() - t0:.0f} s in all)", flush=True)


if __name__ == "__main__":  # cluster_records_test.py imports the helpers
    {"decisions": scenario_decisions, "outage": scenario_outage, "kill": scenario_kill,
     "versions": scenario_versions, "activations": scenario_activations,
     "failover": scenario_failover}[SCENARIO]()
    print("PASS", SCENARIO)
