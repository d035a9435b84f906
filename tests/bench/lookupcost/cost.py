#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""One case of the bench's cost configuration, in the namespace it runs in: the sockets the
case wants, then, for UDP and TCP, the loops of lookupcost.ko (/proc/lookupcost) a few
times, checking that every call found the socket the case expects.

    cost.py CASE [--bind ADDR:PORT] [--register LABEL] --expect PORT [--calls N] [--reps N]

Prints "cost CASE PROTO REP NET LOOKUP EMPTY", the guest clock's ns per call of the
lookup loop less the empty loop's, of the lookup loop and of the empty loop; or an
"error cost ..." line when a call found another socket than expected (--expect 0: none),
which is then the case's only line for that protocol: a figure of the wrong path is worse
than none."""
import argparse
import os
import socket
import subprocess
import sys

PROC = "/proc/lookupcost"


def measure(proto, calls):
    with open(PROC, "w") as f:
        f.write("%s %d\n" % (proto, calls))
    with open(PROC) as f:
        w = f.read().split()
    return int(w[2]), int(w[3]), int(w[4]), w[5] == "1"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--bind")
    ap.add_argument("--register")
    ap.add_argument("--expect", type=int, required=True)
    ap.add_argument("--calls", type=int, default=20000)
    ap.add_argument("--reps", type=int, default=7)
    a = ap.parse_args()
    socks = []
    if a.bind:
        host, port = a.bind.rsplit(":", 1)
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, kind)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, int(port)))
            if kind == socket.SOCK_STREAM:
                s.listen(16)
            socks.append(s)
    if a.register:
        r = subprocess.run(["sklookupctl", "register", "label", a.register, "pid", str(os.getpid())],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode:
            print("error cost %s: register failed: %s" % (a.case, r.stderr.strip()))
            return 1
    rc = 0
    try:
        for proto in ("udp", "tcp"):
            measure(proto, a.calls // 10)  # not counted: the first calls find caches cold
            for rep in range(1, a.reps + 1):
                lookup, empty, port, same = measure(proto, a.calls)
                if port != a.expect or not same:
                    print("error cost %s %s: found port %d (%s), expected %d" % (
                        a.case, proto, port, "every call" if same else "not every call",
                        a.expect))
                    rc = 1
                    break
                print("cost %s %s %d %.2f %.2f %.2f" % (a.case, proto, rep, (lookup - empty) / a.calls,
                                                        lookup / a.calls, empty / a.calls))
    finally:
        if a.register:
            subprocess.run(["sklookupctl", "unregister", "label", a.register],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return rc


if __name__ == "__main__":
    sys.exit(main())
