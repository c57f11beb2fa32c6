#!/usr/bin/env bash
# Prints, one a line, the Debian packages that own the shared libraries the
# given binaries load (ldd): what deploy/Dockerfile's runtime stage installs.
# Fails if a library belongs to no package (it would be missing at run time).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: deploy/runtime-packages.sh BINARY..." >&2; exit 2; }
for bin in "$@"; do
  ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'
done | sort -u | while read -r lib; do
  owner=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null) ||
    { echo "runtime-packages: no Debian package owns $lib" >&2; exit 1; }
  echo "${owner%%:*}"
done | sort -u
