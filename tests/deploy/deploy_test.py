#!/usr/bin/env python3
"""deploy/ consistency test (issue 17, deliverable 3).

No Debian 12 package validates Kubernetes manifests offline: Debian's
kubernetes-client (kubectl 1.20) takes the schema from an API server. So this
test checks the manifests' structure and, above all, that they agree with the
binaries and with each other, the mistakes a schema would not catch either:
  - every YAML document parses and has apiVersion, kind, metadata.name, and
    the fields its kind needs (selectors, templates, containers, ports);
  - selectors (workloads, Services, PDBs) match the pod labels they target;
    volumeMounts, ConfigMaps, probe ports name things that exist;
  - every screening_server flag in the manifests and deploy/*.flags is a flag
    the built binary knows (--help), and the probe's screenctl flags too;
  - readiness is the gRPC health service exportscreen.v1.ScreeningService,
    liveness is not (a deliberately NOT_SERVING replica is never restarted);
  - the --nats URLs name the NATS StatefulSet's pods through its headless
    Service; the NATS routes name all of its replicas; Envoy's health check
    and address agree with the Service;
  - deploy/entrypoint.sh derives a valid replica id from a pod name;
  - deploy/runtime-packages.sh names installed packages for the binaries;
  - the probes work: the manifest's own args (paths made local, no --nats)
    start a TLS server with access control, and the readiness command, run
    as written, exits 0 once it serves; /livez answers 200.
Usage: deploy_test.py BUILD_DIR SOURCE_DIR
"""
import os
import re
import subprocess
import sys
import tempfile
import time

import yaml

BUILD, SRC = sys.argv[1], sys.argv[2]
SERVER = os.path.join(BUILD, "services/server/screening_server")
CTL = os.path.join(BUILD, "services/cli/screenctl")
DEPLOY = os.path.join(SRC, "deploy")
K8S = os.path.join(DEPLOY, "k8s")
HEALTH_SERVICE = "exportscreen.v1.ScreeningService"
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def flags_of(binary):
    out = subprocess.run([binary, "--helpfull"], capture_output=True, text=True, timeout=30)
    text = out.stdout + out.stderr
    found = set(re.findall(r"^\s+--([a-z0-9_]+) ", text, re.M))
    if not found:
        sys.exit(f"FAIL: no flags read from {binary} --helpfull")
    return found


def load_manifests():
    docs = []
    for name in sorted(os.listdir(K8S)):
        if not name.endswith(".yaml"):
            continue
        with open(os.path.join(K8S, name)) as f:
            for doc in yaml.safe_load_all(f):
                if doc is not None:
                    docs.append((name, doc))
    return docs


REQUIRED = {
    "Deployment": ["spec.selector.matchLabels", "spec.template.metadata.labels",
                   "spec.template.spec.containers"],
    "StatefulSet": ["spec.selector.matchLabels", "spec.template.metadata.labels",
                    "spec.template.spec.containers", "spec.serviceName", "spec.replicas"],
    "Service": ["spec.selector", "spec.ports"],
    "PodDisruptionBudget": ["spec.selector.matchLabels"],
    "ConfigMap": ["data"],
    "Namespace": [],
    "NetworkPolicy": ["spec.podSelector.matchLabels"],
    "Kustomization": ["resources"],
}
API = {"Deployment": "apps/v1", "StatefulSet": "apps/v1", "Service": "v1",
       "PodDisruptionBudget": "policy/v1", "ConfigMap": "v1", "Namespace": "v1",
       "NetworkPolicy": "networking.k8s.io/v1",
       "Kustomization": "kustomize.config.k8s.io/v1beta1"}


def get(doc, path):
    for part in path.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return None
        doc = doc[part]
    return doc


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_structure(docs):
    for name, doc in docs:
        kind = doc.get("kind")
        where = f"{name}: {kind} {get(doc, 'metadata.name')}"
        if not check(kind in REQUIRED, f"{name}: unknown kind {kind}"):
            continue
        check(doc.get("apiVersion") == API[kind], f"{where}: apiVersion {doc.get('apiVersion')}")
        if kind != "Kustomization":
            check(get(doc, "metadata.name"), f"{where}: no metadata.name")
        for path in REQUIRED[kind]:
            check(get(doc, path) is not None, f"{where}: no {path}")
        if kind in ("Deployment", "StatefulSet"):
            check(matches(get(doc, "spec.selector.matchLabels"),
                          get(doc, "spec.template.metadata.labels") or {}),
                  f"{where}: selector does not match the pod labels")
            spec = get(doc, "spec.template.spec")
            volumes = {v["name"] for v in spec.get("volumes", [])}
            volumes |= {get(t, "metadata.name") for t in doc["spec"].get("volumeClaimTemplates", [])}
            for c in spec["containers"]:
                check(c.get("image"), f"{where}: container {c.get('name')} has no image")
                ports = {p.get("name") for p in c.get("ports", [])}
                ports |= {p.get("containerPort") for p in c.get("ports", [])}
                for m in c.get("volumeMounts", []):
                    check(m["name"] in volumes, f"{where}: mount of unknown volume {m['name']}")
                for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                    port = get(c, f"{probe}.httpGet.port")
                    if port is not None:
                        check(port in ports, f"{where}: {probe} port {port} not a container port")
    kust = [d for _, d in docs if d.get("kind") == "Kustomization"]
    if check(len(kust) == 1, "deploy/k8s: no kustomization.yaml"):
        for res in kust[0]["resources"]:
            check(os.path.exists(os.path.join(K8S, res)), f"kustomization: missing {res}")


def pods(docs):
    return [(d, get(d, "spec.template.metadata.labels")) for _, d in docs
            if d.get("kind") in ("Deployment", "StatefulSet")]


def check_selectors(docs):
    for name, doc in docs:
        kind = doc.get("kind")
        selector = {"Service": get(doc, "spec.selector"),
                    "PodDisruptionBudget": get(doc, "spec.selector.matchLabels"),
                    "NetworkPolicy": get(doc, "spec.podSelector.matchLabels")}.get(kind)
        if kind in ("Service", "PodDisruptionBudget", "NetworkPolicy"):
            check(any(matches(selector, labels) for _, labels in pods(docs)),
                  f"{name}: {kind} {get(doc, 'metadata.name')} selects no workload")


def by_kind(docs, kind, name):
    found = [d for _, d in docs if d.get("kind") == kind and get(d, "metadata.name") == name]
    if not check(len(found) == 1, f"expected one {kind} {name}, found {len(found)}"):
        sys.exit("FAIL: " + "; ".join(failures))
    return found[0]


def check_exportscreen(docs, server_flags, ctl_flags):
    deploy = by_kind(docs, "Deployment", "exportscreen")
    service = by_kind(docs, "Service", "exportscreen")
    check(service["spec"].get("clusterIP") == "None", "exportscreen Service is not headless")
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    args = container["args"]
    for arg in args:
        m = re.match(r"--([a-z0-9_]+)", arg)
        check(m and m.group(1) in server_flags, f"exportscreen arg {arg}: not a screening_server flag")
    ready = get(container, "readinessProbe.exec.command") or []
    check(ready and ready[0].endswith("/screenctl"), "readiness is not a screenctl exec probe")
    check(ready[-2:] == ["health", HEALTH_SERVICE], f"readiness does not check {HEALTH_SERVICE}: {ready}")
    for arg in ready[1:-2]:
        m = re.match(r"--([a-z0-9_]+)=", arg)
        check(m and m.group(1) in ctl_flags, f"readiness arg {arg}: not a screenctl flag")
    live = container.get("livenessProbe", {})
    check(get(live, "httpGet.path") == "/livez",
          "liveness must be /livez (true while deliberately NOT_SERVING), not gRPC health")
    check(HEALTH_SERVICE not in str(live), "liveness checks the readiness service")
    listen = [a for a in args if a.startswith("--metrics_listen=")]
    check(listen and listen[0].endswith(":9464"), "metrics port is not 9464")
    nats_arg = [a for a in args if a.startswith("--nats=")]
    if check(len(nats_arg) == 1, "no --nats flag: not cluster mode"):
        urls = nats_arg[0].split("=", 1)[1].split(",")
        sts = by_kind(docs, "StatefulSet", "nats")
        expected = [f"nats://nats-{i}.{sts['spec']['serviceName']}:4222"
                    for i in range(sts["spec"]["replicas"])]
        check(urls == expected, f"--nats {urls} != the StatefulSet's pods {expected}")
    check(f"--stream_replicas={by_kind(docs, 'StatefulSet', 'nats')['spec']['replicas']}" in args,
          "--stream_replicas differs from the NATS replica count")
    pdb = by_kind(docs, "PodDisruptionBudget", "exportscreen")
    check(pdb["spec"].get("minAvailable", 0) < deploy["spec"]["replicas"],
          "exportscreen PDB forbids every eviction")


def check_nats(docs):
    sts = by_kind(docs, "StatefulSet", "nats")
    svc = by_kind(docs, "Service", sts["spec"]["serviceName"])
    check(svc["spec"].get("clusterIP") == "None", "nats Service is not headless")
    conf = by_kind(docs, "ConfigMap", "nats-config")["data"]["nats.conf"]
    routes = re.findall(r"nats-route://([a-z0-9.-]+):(\d+)", conf)
    expected = [(f"nats-{i}.{svc['metadata']['name']}", "6222") for i in range(sts["spec"]["replicas"])]
    check(routes == expected, f"NATS routes {routes} != {expected}")
    check("jetstream" in conf and "store_dir" in conf, "NATS has no JetStream file storage")
    check(sts["spec"].get("volumeClaimTemplates"), "NATS has no persistent volume")


def check_flagfile(server_flags):
    with open(os.path.join(DEPLOY, "screening_server.flags")) as f:
        for line in f:
            line = line.strip().lstrip("#")
            m = re.match(r"--([a-z0-9_]+)(=|$)", line)
            if m:
                check(m.group(1) in server_flags, f"screening_server.flags: unknown flag --{m.group(1)}")


def check_envoy():
    with open(os.path.join(DEPLOY, "envoy.yaml")) as f:
        envoy = yaml.safe_load(f)
    cluster = envoy["static_resources"]["clusters"][0]
    hc = cluster["health_checks"][0]["grpc_health_check"]["service_name"]
    check(hc == HEALTH_SERVICE, f"envoy health check {hc}")
    addr = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]
    host = addr["socket_address"]["address"]
    check(host == "exportscreen.exportscreen.svc.cluster.local",
          f"envoy upstream {host} is not the headless Service")


def check_entrypoint():
    with tempfile.TemporaryDirectory() as tmp:
        fake = os.path.join(tmp, "server")
        with open(fake, "w") as f:
            f.write('#!/bin/sh\nprintf "%s\\n" "$@"\n')
        os.chmod(fake, 0o755)
        env = dict(os.environ, EXPORTSCREEN_SERVER_BIN=fake,
                   EXPORTSCREEN_REPLICA_ID="exportscreen-5d8f7c9b6d-X7k2p")
        script = os.path.join(DEPLOY, "entrypoint.sh")
        out = subprocess.run(["sh", script, "--nats=nats://n:4222", "--listen=0.0.0.0:1"],
                             capture_output=True, text=True, env=env, timeout=10).stdout.split()
        check(out[0] == "--replica_id=exportscreen_5d8f7c9b6d_x7k2p", f"entrypoint id: {out}")
        env["EXPORTSCREEN_REPLICA_ID"] = "a-very-long-deployment-name-for-exportscreen-5d8f7c9b6d-x7k2p"
        out = subprocess.run(["sh", script, "--nats=nats://n:4222"], capture_output=True,
                             text=True, env=env, timeout=10).stdout.split()
        rid = out[0].split("=", 1)[1]
        check(re.fullmatch(r"[a-z0-9_]{1,32}", rid) and rid.endswith("x7k2p"), f"long id: {rid}")
        out = subprocess.run(["sh", script, "--listen=127.0.0.1:1"], capture_output=True,
                             text=True, env=env, timeout=10).stdout.split()
        check(out == ["--listen=127.0.0.1:1"], f"embedded mode got a replica id: {out}")
        out = subprocess.run(["sh", script, "--nats=nats://n:4222", "--replica_id=r9"],
                             capture_output=True, text=True, env=env, timeout=10).stdout.split()
        check(out == ["--nats=nats://n:4222", "--replica_id=r9"], f"explicit id overridden: {out}")


def check_runtime_packages():
    out = subprocess.run(["bash", os.path.join(DEPLOY, "runtime-packages.sh"), SERVER, CTL],
                         capture_output=True, text=True, timeout=60)
    check(out.returncode == 0, f"runtime-packages.sh failed: {out.stderr}")
    pkgs = out.stdout.split()
    for must in ("libgrpc++1.51", "libnats3.4", "libicu72"):
        check(must in pkgs, f"runtime packages lack {must}: {pkgs}")
    with open(os.path.join(DEPLOY, "Dockerfile")) as f:
        dockerfile = f.read()
    check("FROM debian:12" in dockerfile, "Dockerfile is not on Debian 12")
    check("tools/install-deps.sh --build-only" in dockerfile, "Dockerfile does not use install-deps.sh")
    check("runtime-packages.sh" in dockerfile, "Dockerfile does not install the runtime packages")


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_certs(tmp):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
            "-days", "2", "-subj", "/CN=test-ca", cwd=tmp)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tls.key", "-out", "tls.csr",
            "-subj", "/CN=exportscreen", cwd=tmp)
    with open(os.path.join(tmp, "san.ext"), "w") as f:
        f.write("subjectAltName=DNS:exportscreen.exportscreen.svc.cluster.local,DNS:localhost\n")
    openssl("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "tls.crt", "-days", "2", "-extfile", "san.ext", cwd=tmp)


def local_args(args, tmp, grpc_port, http_port):
    """The manifest's args with its in-image paths mapped to this machine."""
    paths = {"/etc/exportscreen/tls": tmp, "/etc/exportscreen/auth": tmp,
             "/var/lib/exportscreen": tmp, "/opt/exportscreen": SRC}
    out = []
    for arg in args:
        if arg.startswith("--nats=") or arg.startswith("--stream_replicas="):
            continue  # embedded mode: no NATS here; the flags are checked above
        if arg.startswith("--seed_lists="):
            arg = "--seed_lists="  # the hand-written seeds: a fast start
        for image_path, local in paths.items():
            arg = arg.replace(image_path, local)
        arg = re.sub(r"^--listen=0\.0\.0\.0:\d+", f"--listen=0.0.0.0:{grpc_port}", arg)
        arg = re.sub(r"^--metrics_listen=0\.0\.0\.0:\d+", f"--metrics_listen=127.0.0.1:{http_port}", arg)
        out.append(arg)
    return out


def check_probes_live(docs):
    sys.path.insert(0, os.path.join(SRC, "tools"))
    import free_ports  # tools/free_ports.py
    import urllib.request
    container = by_kind(docs, "Deployment", "exportscreen")["spec"]["template"]["spec"]["containers"][0]
    with tempfile.TemporaryDirectory() as tmp:
        make_certs(tmp)
        token_hash = subprocess.run([CTL, "auth", "hash-token"], input="probe-test-token\n",
                                    capture_output=True, text=True, timeout=10).stdout.strip()
        with open(os.path.join(tmp, "auth.textproto"), "w") as f:
            f.write(f'principals {{ name: "erp" roles: ROLE_SCREENING_CLIENT token_sha256: "{token_hash}" }}\n')
        grpc_port, http_port = free_ports.free_ports(2)
        args = local_args(container["args"], tmp, grpc_port, http_port)
        probe = [CTL if a.endswith("/screenctl") else a.replace("/etc/exportscreen/tls", tmp)
                 for a in container["readinessProbe"]["exec"]["command"]]
        probe = [re.sub(r"^--server=localhost:\d+", f"--server=localhost:{grpc_port}", a) for a in probe]
        with open(os.path.join(tmp, "server.log"), "w") as log:
            server = subprocess.Popen([SERVER, *args], stdout=log, stderr=subprocess.STDOUT)
        try:
            ready = False
            for _ in range(300):
                if server.poll() is not None:
                    break
                if subprocess.run(probe, capture_output=True, timeout=10).returncode == 0:
                    ready = True
                    break
                time.sleep(0.1)
            with open(os.path.join(tmp, "server.log")) as f:
                log_tail = f.read()[-2000:]
            if check(ready, f"readiness probe never passed: {probe}\n{log_tail}"):
                url = f"http://127.0.0.1:{http_port}{container['livenessProbe']['httpGet']['path']}"
                with urllib.request.urlopen(url, timeout=5) as res:
                    check(res.status == 200, f"liveness {url}: {res.status}")
        finally:
            server.terminate()
            server.wait(timeout=30)


def main():
    server_flags, ctl_flags = flags_of(SERVER), flags_of(CTL)
    docs = load_manifests()
    check_structure(docs)
    check_selectors(docs)
    check_exportscreen(docs, server_flags, ctl_flags)
    check_nats(docs)
    check_flagfile(server_flags)
    check_envoy()
    check_entrypoint()
    check_runtime_packages()
    check_probes_live(docs)
    if failures:
        print("FAIL:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print(f"deploy: {len(docs)} manifests, flags, probes, selectors, NATS routes, "
          f"Envoy, entry point and runtime packages agree")


if __name__ == "__main__":
    main()
