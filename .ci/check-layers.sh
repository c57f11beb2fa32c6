#!/usr/bin/env bash
# Keeps the layers honest.
# 1. Libraries (Debian puts every header in /usr/include): gRPC headers only
#    in api/, server/, cli/; RocksDB only in store/; ICU only in matching/;
#    OpenSSL only in crypto/; libnats only in cluster/.
# 2. Direction inside services/: a folder includes only its own headers and
#    those of lower layers:
#      common, crypto < store, matching, rules < engine < serving < api < server
#    and store < cluster < server (cluster mode, issue 17).
#    (cli talks to the server over gRPC: it may use common, crypto, rules).
#    The engine is pure: no store, no serving, no gRPC.
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
check 'openssl/' '^services/crypto/'
check 'nats/' '^services/cluster/'

# Which folders each folder may include (besides itself).
declare -A may=(
  [common]=""
  [crypto]="common"
  [store]="common crypto"
  [cluster]="common crypto store"  # issue 17: NATS JetStream (libnats only here)
  [matching]="common"
  [rules]="common"
  [engine]="common crypto matching rules"
  [serving]="common crypto store matching rules engine"
  [api]="common crypto store matching rules engine serving"
  [server]="common crypto store cluster matching rules engine serving api"
  [cli]="common crypto rules"
  [console]=""  # static pages only (no C++)
)
for dir in services/*/; do
  layer=$(basename "$dir")
  [ "$layer" = "CMakeFiles" ] && continue
  if [ -z "${may[$layer]+set}" ]; then
    echo "layering: services/$layer is in no layer (add it to .ci/check-layers.sh)"
    fail=1
    continue
  fi
  while IFS= read -r hit; do
    file=${hit%%:*}
    target=$(sed -E 's|.*#include "services/([a-z_]+)/.*|\1|' <<<"$hit")
    [ "$target" = "$layer" ] && continue
    if ! [[ " ${may[$layer]} " == *" $target "* ]]; then
      echo "layering: $hit (services/$layer may not include services/$target)"
      fail=1
    fi
  done < <(grep -rnE '#include "services/[a-z_]+/' "services/$layer" || true)
done
[ $fail -eq 0 ] && echo "layering: ok"
exit $fail
