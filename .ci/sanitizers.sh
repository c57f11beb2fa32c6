#!/usr/bin/env bash
# Sanitizer and fuzzing job (issue 12): builds everything with clang,
# -Wthread-safety as errors (the lock annotations checked, issue 16),
# AddressSanitizer + UndefinedBehaviorSanitizer and libFuzzer coverage into
# build-asan/, runs the whole CTest suite under the sanitizers (the fuzz
# targets' seed corpora included), then runs every fuzz target for
# FUZZ_SECONDS (default 30) from its corpus. Any sanitizer report, crash or
# failing test exits non-zero.
#   bash .ci/sanitizers.sh            # as CI runs it
#   FUZZ_SECONDS=600 bash .ci/sanitizers.sh   # the longer run
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${SAN_BUILD_DIR:-build-asan}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEXPORTSCREEN_SANITIZE=address,undefined \
    -DEXPORTSCREEN_BUILD_FUZZ=ON -DEXPORTSCREEN_BUILD_BENCH=OFF -DEXPORTSCREEN_WERROR=OFF \
    -DEXPORTSCREEN_THREAD_SAFETY=ON
fi
ninja -C "$BUILD" -j "$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/.ci/lsan.supp
(cd "$BUILD" && ctest --output-on-failure -j "$(nproc)" --timeout 900)
echo "== fuzzing each target for ${FUZZ_SECONDS}s"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in request_fuzz importers_fuzz rules_fuzz batch_input_fuzz location_fuzz; do
  mkdir -p "$work/$t"
  cp tests/fuzz/corpus/$t/* "$work/$t/" 2>/dev/null || true
  "$BUILD/tests/fuzz/$t" -max_total_time="$FUZZ_SECONDS" -timeout=20 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$work/$t-" "$work/$t" \
    > "$work/$t.log" 2>&1 || { tail -60 "$work/$t.log"; echo "FUZZ FAILURE: $t"; exit 1; }
  echo "$t: $(grep -E 'stat::number_of_executed_units' "$work/$t.log" | awk '{print $2}') runs," \
       "corpus $(ls "$work/$t" | wc -l) inputs, $(grep -oE 'cov: [0-9]+' "$work/$t.log" | tail -1)"
done
echo "sanitizers and fuzzing: ok"
