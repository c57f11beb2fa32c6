#!/usr/bin/env bash
# Every C++ file of the project is formatted as .clang-format says
# (clang-format from Debian's clang-format package). Lists the files that
# are not and exits non-zero. Fix with: .ci/check-format.sh --fix
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files 'services/*.cc' 'services/*.h' 'tests/*.cc' 'tests/*.h' \
                                  'bench/*.cc' 'bench/*.h' 'tools/*.cc' 'tools/*.h')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
bad=0
for f in "${files[@]}"; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "format: $f (run .ci/check-format.sh --fix)"
    bad=$((bad + 1))
  fi
done
echo "format: ${#files[@]} files checked, $bad not formatted"
[ "$bad" -eq 0 ]
