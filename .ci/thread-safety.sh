#!/usr/bin/env bash
# Clang's lock checking over every project source (services/, tests/,
# tools/, bench/) without a full build: -fsyntax-only
# with -Wthread-safety as errors, each source file with the flags of the
# build/ compile database (the CI runs the same check as part of the clang
# build in .ci/sanitizers.sh). Usage: .ci/thread-safety.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
python3 - "$BUILD/compile_commands.json" <<'PY'
import json, shlex, subprocess, sys, concurrent.futures, os
db = json.load(open(sys.argv[1]))
jobs = []
for e in db:
    f = e["file"]
    if not f.endswith(".cc") or "/build" in f.split("/tests/")[0].split("/services/")[0][-12:] \
            or "/proto/gen/" in f or not any(d in f for d in ("/services/", "/tests/", "/tools/", "/bench/")):
        continue
    args = shlex.split(e["command"])
    keep = [a for a in args[1:] if a.startswith(("-I", "-D", "-std=", "-isystem"))]
    jobs.append((f, ["clang++", "-fsyntax-only", "-Wthread-safety", "-Werror=thread-safety",
                     "-Wno-unknown-warning-option"] + keep + [f], e["directory"]))
def run(j):
    f, cmd, d = j
    r = subprocess.run(cmd, cwd=d, capture_output=True, text=True)
    return f, r.returncode, r.stderr
bad = 0
with concurrent.futures.ThreadPoolExecutor(os.cpu_count()) as ex:
    for f, rc, err in ex.map(run, jobs):
        if rc != 0:
            bad += 1
            print(err)
print(f"thread-safety: {len(jobs)} files, {bad} with errors")
sys.exit(1 if bad else 0)
PY
