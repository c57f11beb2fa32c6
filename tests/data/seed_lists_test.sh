#!/usr/bin/env bash
# Verifies the repository's copy of the real public lists (seeds/lists/):
# every file matches the sha256 in the ```sha256 block of
# seeds/lists/README.md, no file there (but README.md and bootstrap.txt) is
# missing from that block, and every file bootstrap.txt names is there.
# Usage: seed_lists_test.sh [SOURCE_DIR]
set -euo pipefail
SRC=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
DIR="$SRC/seeds/lists"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -f "$DIR/README.md" ] || fail "$DIR/README.md missing"
cd "$DIR"
sums=$(sed -n '/^```sha256$/,/^```$/p' README.md | grep -v '^```' || true)
[ -n "$sums" ] || fail "no \`\`\`sha256 block in $DIR/README.md"
echo "$sums" | sha256sum --check --strict --quiet || fail "checksum mismatch (above)"
listed=$(echo "$sums" | awk '{print $2}' | sed 's|^\./||' | sort)
present=$(find . -type f ! -name README.md ! -name bootstrap.txt | sed 's|^\./||' | sort)
extra=$(comm -13 <(echo "$listed") <(echo "$present"))
[ -z "$extra" ] || fail "files in seeds/lists without a checksum in README.md: $extra"
while read -r format files; do
  case "$format" in ''|'#'*) continue ;; esac
  for f in $files; do [ -f "$f" ] || fail "bootstrap.txt: $format $f missing"; done
done < bootstrap.txt
echo "seed lists: $(echo "$listed" | wc -l) files, checksums OK"
