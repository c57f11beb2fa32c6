#!/usr/bin/env bash
# Keeps the layers honest (Debian puts every header in /usr/include): gRPC
# headers only in api/, server/, cli/; RocksDB only in store/; ICU only in
# matching/.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
check() {  # pattern allowed-dirs-regex
  local pattern=$1 allowed=$2
  while IFS= read -r hit; do
    file=${hit%%:*}
    if ! [[ $file =~ $allowed ]]; then
      echo "layering: $hit"
      fail=1
    fi
  done < <(grep -rnE "#include [<\"]($pattern)" services || true)
}
check 'grpcpp/|grpc/' '^services/(api|server|cli)/'
check 'rocksdb/' '^services/store/'
check 'unicode/' '^services/matching/'
[ $fail -eq 0 ] && echo "layering: ok"
exit $fail
