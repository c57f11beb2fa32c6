#!/usr/bin/env bash
# TLS and mTLS end to end: a throwaway CA, a server certificate for
# 127.0.0.1, a client certificate; screening_server with --tls_* and an auth
# config, screenctl over TLS with a token and with a client certificate.
# Usage: tls_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$1; SRC=$2
SERVER="$BUILD/services/server/screening_server"
CTL="$BUILD/services/cli/screenctl"
W=$(mktemp -d); PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -20 "$W/server.log" 2>/dev/null; exit 1; }
cd "$W"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=test-ca" 2>/dev/null
mk() {  # name cn san
  openssl req -newkey rsa:2048 -nodes -keyout $1.key -out $1.csr -subj "/CN=$2" 2>/dev/null
  printf "subjectAltName=%s\n" "$3" > $1.ext
  openssl x509 -req -in $1.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $1.pem -days 2 -extfile $1.ext 2>/dev/null
}
mk server localhost "IP:127.0.0.1,DNS:localhost"
mk client batch.internal "DNS:batch.internal"
TOKEN_HASH=$(echo "erp-token" | "$CTL" auth hash-token)
cat > auth.textproto <<CFG
principals { name: "erp" roles: ROLE_SCREENING_CLIENT token_sha256: "$TOKEN_HASH" }
principals { name: "batch-host" roles: ROLE_SCREENING_CLIENT cert_common_name: "batch.internal" }
CFG
PORT=$(python3 "$SRC/tools/free_ports.py")
"$SERVER" --listen=127.0.0.1:$PORT --metrics_listen= --db=db --rules="$SRC/rules" --seeds="$SRC/seeds" --seed_lists= \
  --auth_config=auth.textproto --tls_cert=server.pem --tls_key=server.key --tls_client_ca=ca.pem \
  >server.log 2>&1 &
PID=$!
C=("$CTL" --server=127.0.0.1:$PORT --timeout=5s --tls_ca=ca.pem)
for _ in $(seq 1 100); do
  "${C[@]}" --tls_cert=client.pem --tls_key=client.key health >/dev/null 2>&1 && break
  kill -0 $PID 2>/dev/null || fail "server died"; sleep 0.1
done
SAMPLE="$SRC/seeds/shipments/01-clear-workstation-gpu-de.json"
# The RPC works when screenctl exits with a decision code (0, 2, 3, 4), not 1.
screen_ok() { set +e; "$@" >out.json 2>err.txt; local rc=$?; set -e; [ $rc -ne 1 ] && [ $rc -ne 64 ]; }
# mTLS client certificate identifies the principal.
screen_ok "${C[@]}" --tls_cert=client.pem --tls_key=client.key screen "$SAMPLE" || fail "mTLS screen: $(cat err.txt)"
grep -q '"decision"' out.json || fail "mTLS decision"
# Token over mTLS.
screen_ok "${C[@]}" --tls_cert=client.pem --tls_key=client.key --token=erp-token screen "$SAMPLE" || fail "token screen: $(cat err.txt)"
# Wrong token: UNAUTHENTICATED.
set +e; "${C[@]}" --tls_cert=client.pem --tls_key=client.key --token=bad screen "$SAMPLE" 2>err.txt; rc=$?; set -e
[ $rc -eq 1 ] && grep -q UNAUTHENTICATED err.txt || fail "bad token rc $rc: $(cat err.txt)"
# No client certificate: the TLS handshake is refused (mTLS required).
set +e; "${C[@]}" screen "$SAMPLE" 2>err.txt; rc=$?; set -e
[ $rc -eq 1 ] || fail "no client cert accepted"
# Plaintext client against the TLS server fails.
set +e; "$CTL" --server=127.0.0.1:$PORT --timeout=3s screen "$SAMPLE" 2>/dev/null; rc=$?; set -e
[ $rc -eq 1 ] || fail "plaintext accepted"
echo "tls: ok"
