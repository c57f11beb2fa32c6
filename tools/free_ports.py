#!/usr/bin/env python3
"""Distinct free loopback TCP ports for tests, benchmarks and tools/cluster.sh.

Usage: python3 tools/free_ports.py [N]   prints N ports (default 1), space-separated
       from free_ports import free_ports; free_ports(3) -> [p1, p2, p3]

The ports lie below the kernel's ephemeral range (net.ipv4.ip_local_port_range).
A port handed out by bind(("127.0.0.1", 0)) lies inside that range, the range
outgoing connections draw their local ports from: between the pick and the
server's own bind (or a server's restart on the same port after kill -9),
another process's outgoing connection can take it, and the server fails with
"address already in use". Below the range only a listener can hold a port,
and a listener is seen by the bind probe here.
"""
import random
import socket
import sys

_LOW_DEFAULT = 32768
_FLOOR = 20000


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return _LOW_DEFAULT


def free_ports(n=1):
    """n distinct ports no socket holds now, below the ephemeral range."""
    high = max(_ephemeral_low(), _FLOOR + 1000)
    picked = []
    attempts = 0
    while len(picked) < n:
        attempts += 1
        if attempts > 100000:
            raise RuntimeError("no free loopback port below the ephemeral range")
        port = random.randrange(_FLOOR, high)
        if port in picked:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        picked.append(port)
    return picked


def free_port():
    return free_ports(1)[0]


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    print(" ".join(map(str, free_ports(count))))
