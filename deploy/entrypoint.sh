#!/bin/sh
# Container entry point: runs screening_server with the given flags. In
# cluster mode (--nats in the flags or EXPORTSCREEN_NATS set) the replica id
# defaults to the pod's host name made a valid id ([a-z0-9_], at most 32:
# dashes become underscores, the end is kept), stable across container
# restarts in one pod, which keep the pod's emptyDir store.
set -eu
BIN=${EXPORTSCREEN_SERVER_BIN:-/opt/exportscreen/bin/screening_server}
if [ -n "${EXPORTSCREEN_NATS:-}" ]; then
  set -- "--nats=$EXPORTSCREEN_NATS" "$@"
fi
case " $* " in
  *" --nats="*)
    case " $* " in
      *" --replica_id="*) ;;
      *)
        id=$(printf '%s' "${EXPORTSCREEN_REPLICA_ID:-$(hostname)}" | tr 'A-Z-' 'a-z_' | tr -cd 'a-z0-9_')
        id=$(printf '%s' "$id" | tail -c 32)
        set -- "--replica_id=$id" "$@"
        ;;
    esac
    ;;
esac
exec "$BIN" "$@"
