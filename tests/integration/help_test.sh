#!/usr/bin/env bash
# screening_server --help lists every flag main.cc defines, with its
# default; screenctl help COMMAND prints that command's entry and an
# unknown command is a usage error (64).
set -euo pipefail
BUILD=$1; SRC=$2
SERVER="$BUILD/services/server/screening_server"
CTL="$BUILD/services/cli/screenctl"
# (Abseil exits 1 after printing help.)
help=$("$SERVER" --help 2>&1 || true)
n=0
for flag in $(sed -n 's/^ABSL_FLAG([^,]*, *\([a-z_0-9]*\),.*/\1/p' "$SRC/services/server/main.cc"); do
  n=$((n + 1))
  # The flag's entry runs up to its "default: ...;".
  entry=$(awk -v f="--$flag " 'index($0, f) { on = 1 } on { print } on && /default: / { exit }' <<<"$help")
  [ -n "$entry" ] || { echo "FAIL: --help does not list --$flag"; exit 1; }
  grep -q 'default: ' <<<"$entry" || { echo "FAIL: --$flag has no default shown"; exit 1; }
done
[ "$n" -ge 29 ] || { echo "FAIL: found only $n flags in main.cc"; exit 1; }
grep -q -- '--flagfile' <<<"$help" || { echo "FAIL: usage does not mention --flagfile"; exit 1; }
out=$("$CTL" help lists import)
grep -q '^  lists import --format=FORMAT' <<<"$out" || { echo "FAIL: help lists import: $out"; exit 1; }
if grep -q 'lists versions' <<<"$out"; then echo "FAIL: help lists import printed other commands"; exit 1; fi
grep -q 'BackupEngine' <<<"$("$CTL" help admin backup)" || { echo "FAIL: help admin backup"; exit 1; }
set +e
"$CTL" help no-such-command >/dev/null 2>&1; rc=$?
set -e
[ "$rc" -eq 64 ] || { echo "FAIL: help no-such-command exited $rc, want 64"; exit 1; }
echo "help: $n server flags listed with defaults; screenctl help COMMAND ok"
