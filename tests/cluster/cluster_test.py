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

A missing nats-server is a failure (tools/install-deps.sh installs it).
"""
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
    def __init__(self, replicas):
        if shutil.which("nats-server") is None:
            fail("nats-server not installed (bash tools/install-deps.sh installs it)")
        self.dir = tempfile.mkdtemp(prefix="es-cluster-test.")
        self.env = dict(os.environ, CLUSTER_DIR=self.dir, BUILD_DIR=BUILD,
                        ES_SERVER_FLAGS="--seed_lists=")
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


def scenario_decisions():
    c = Cluster(3)
    try:
        c.start()
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
    except BaseException:
        c.dump_logs()
        c.keep = True
        raise
    finally:
        c.stop()


def scenario_outage():
    c = Cluster(2)
    try:
        c.start()
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
    except BaseException:
        c.dump_logs()
        c.keep = True
        raise
    finally:
        c.stop()


class RetryingClient:
    """Screens in a loop over all replicas; a failed call is retried on the
    next replica (0.1 s apart, for up to 30 s). Records every answer."""

    def __init__(self, cluster, replicas, threads):
        self.c, self.replicas, self.stop = cluster, replicas, threading.Event()
        self.answers, self.failed, self.retries, self.lock = [], [], 0, threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(t,)) for t in range(threads)]

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

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()


def scenario_kill():
    c = Cluster(3)
    try:
        c.start()
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
    except BaseException:
        c.dump_logs()
        c.keep = True
        raise
    finally:
        c.stop()


{"decisions": scenario_decisions, "outage": scenario_outage, "kill": scenario_kill}[SCENARIO]()
print("PASS", SCENARIO)
