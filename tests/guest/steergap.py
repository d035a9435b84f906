#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Steering gap: connect to each ADDR:PORT in turn, in a loop, until the file STOP exists,
then print one line per target:

    ADDR:PORT ok N failed M gap_ms G

G is the longest window in which the target's connections failed, in milliseconds: from
the start of the last connection that succeeded before a run of failures to the start of
the first that succeeded after it (0: none failed). "gap_ms unrecovered" when the last
ones failed. Nothing else listens on the targets, so a connection succeeds only while the
rules steer it to a registered socket.

usage: steergap.py STOP ADDR:PORT...
"""
import os
import socket
import sys
import time


def main():
    stop = sys.argv[1]
    targets = []
    for arg in sys.argv[2:]:
        addr, port = arg.rsplit(":", 1)
        targets.append((addr, int(port)))
    runs = {t: {"ok": 0, "failed": 0, "last_ok": None, "failing": False, "gap": 0.0}
            for t in targets}
    while not os.path.exists(stop):
        for t in targets:
            r = runs[t]
            start = time.monotonic()
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(2.0)
            try:
                s.connect(t)
                ok = True
            except OSError:
                ok = False
            finally:
                s.close()
            if ok:
                r["ok"] += 1
                if r["failing"] and r["last_ok"] is not None:
                    r["gap"] = max(r["gap"], start - r["last_ok"])
                r["failing"] = False
                r["last_ok"] = start
            else:
                r["failed"] += 1
                r["failing"] = True
        # A few ms between rounds: the restart being measured shares the CPU.
        time.sleep(0.005)
    for t in targets:
        r = runs[t]
        gap = "unrecovered" if r["failing"] else "%d" % round(r["gap"] * 1000)
        print("%s:%d ok %d failed %d gap_ms %s" % (t[0], t[1], r["ok"], r["failed"], gap))


if __name__ == "__main__":
    main()
