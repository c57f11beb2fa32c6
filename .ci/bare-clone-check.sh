#!/usr/bin/env bash
# Bare-clone check (issue 15): clones this repository's HEAD into an empty
# temporary folder that has no sibling shared/ and checks, there, that the
# tests, tools and benchmarks need nothing outside the clone:
#   1. no test/tool/bench/service source or build file names a path outside the
#      clone (../shared, shared/data, ${PROJECT_SOURCE_DIR}/.., /work/...)
#      and nothing skips (GTEST_SKIP, CTest SKIP_* properties);
#   2. every real list file the tests, match_eval and the benches name
#      exists in the clone's seeds/lists/;
#   3. the seeds/lists checksums hold (tests/data/seed_lists_test.sh);
#   4. CMake configures in the clone with ES_LISTS_DIR inside the clone and
#      no generated build rule pointing at ../shared.
# It does not build or run the tests a second time (CI has 2 cores and a
# 40 min budget); .ci/run runs README command 2 (tools/test.sh) after it.
# Usage: .ci/bare-clone-check.sh   (exits non-zero on any failure)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
command -v git >/dev/null || { echo "bare-clone-check: git is required" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir "$TMP/empty"
CLONE="$TMP/empty/exportscreen"
HEAD=$(git -C "$REPO" rev-parse HEAD)
git clone --quiet --no-checkout "$REPO" "$CLONE"
git -C "$CLONE" checkout --quiet --detach "$HEAD"
ls -A "$TMP/empty" | grep -qvx exportscreen && { echo "bare-clone-check: $TMP/empty not empty" >&2; exit 1; }
[ ! -e "$TMP/empty/shared" ] || { echo "bare-clone-check: sibling shared/ exists" >&2; exit 1; }
cd "$CLONE"
echo "bare-clone-check: $HEAD cloned into $CLONE (no sibling shared/)"
fail=0
err() { echo "bare-clone-check: $*" >&2; fail=1; }

# 1. Paths that leave the clone, and skips.
SCOPE=(tests tools bench services deploy CMakeLists.txt .ci/run)
forbid() {  # regex description
  local hits
  # Fuzz seed corpora are data (copies of rule files and list excerpts).
  hits=$(grep -rnE --exclude-dir=corpus "$1" "${SCOPE[@]}" || true)
  [ -z "$hits" ] || err "$2:"$'\n'"$hits"
}
forbid '\.\./shared|shared/data' 'reads the sibling shared/ folder'
forbid '\$\{(PROJECT|CMAKE|CMAKE_CURRENT)_SOURCE_DIR\}/\.\.' 'CMake path above the source tree'
forbid '(^|[^A-Za-z0-9_])/work/' 'absolute path of a development machine'
forbid 'GTEST_SKIP|SKIP_RETURN_CODE|SKIP_REGULAR_EXPRESSION' 'a skipped test would count as passed'

# 2. Every dated list file named in the tests/tools/benches is in the clone.
named=$(grep -rhoE '(bis|ofac|un|us|state)_[a-z0-9_-]+/[A-Za-z0-9_.-]+\.(csv|txt|xml)' \
          tests tools bench | sort -u)
[ -n "$named" ] || err "found no list file names in tests/tools/bench (pattern out of date?)"
absent=0
for f in $named; do
  [ -f "seeds/lists/$f" ] || { err "seeds/lists/$f is named in tests/tools/bench but not in the repository"; absent=1; }
done
[ $absent -eq 1 ] || echo "bare-clone-check: $(echo "$named" | wc -l) list files named by tests/tools/bench, all in seeds/lists/"

# 3. Checksums of the repository's list snapshot.
bash tests/data/seed_lists_test.sh "$CLONE" || err "seeds/lists checksums"

# 4. Configure only (no build): defaults resolve inside the clone.
bash tools/install-deps.sh >/dev/null
cmake -S . -B "$TMP/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$TMP/cmake.log" 2>&1 ||
  { cat "$TMP/cmake.log"; err "cmake configure failed in the clone"; }
lists_dir=$(sed -n 's/^ES_LISTS_DIR:PATH=//p' "$TMP/build/CMakeCache.txt" 2>/dev/null || true)
[ "$lists_dir" = "$CLONE/seeds/lists" ] || err "ES_LISTS_DIR defaults to '$lists_dir', not $CLONE/seeds/lists"
if grep -rlE '\.\./shared|shared/data' "$TMP/build" --include='*.ninja' --include='*.cmake' >/dev/null 2>&1; then
  err "generated build files name ../shared: $(grep -rlE '\.\./shared|shared/data' "$TMP/build" --include='*.ninja' --include='*.cmake')"
fi

[ $fail -eq 0 ] || { echo "bare-clone-check: FAILED" >&2; exit 1; }
echo "bare-clone-check: OK"
