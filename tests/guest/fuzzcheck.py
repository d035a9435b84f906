#!/usr/bin/env python3
"""After a fuzz batch: the module must still be consistent. Its rules and labels read
back, it still steers, and once flushed its live-object counters return to zero.

usage: fuzzcheck.py NAME   (NAME names the batch in the check lines)"""
import json
import socket
import subprocess
import sys

from testlib import ctl, listener, local_routes, must, report, run, settled_counters

NAME = sys.argv[1] if len(sys.argv) > 1 else "fuzz"


def main():
    res = ctl("dump")
    report(res.returncode == 0, f"{NAME}: dump reads the rules back", res.stderr)
    res = ctl("-j", "show")
    try:
        doc = json.loads(res.stdout)
        ok = res.returncode == 0 and isinstance(doc["rules"], list)
    except (ValueError, KeyError):
        ok, doc = False, {"labels": []}
    report(ok, f"{NAME}: show -j is one JSON document", res.stdout[-500:] + res.stderr)

    must("flush")
    for label in doc["labels"]:
        if label["sockets"]:
            ctl("unregister", "label", label["name"])

    # Still steering.
    local_routes("192.0.2.0/24")
    server = listener("check")
    must("add-rule", "proto", "tcp", "dst", "192.0.2.0/24", "port", "80", "label", "check")
    try:
        with socket.create_connection(("192.0.2.1", 80), timeout=3) as c:
            c.sendall(b"after-fuzz")
            conn, _ = server.accept()
            conn.settimeout(3)
            got = conn.recv(16)
            conn.close()
    except OSError as err:
        got = repr(err)
    report(got == b"after-fuzz", f"{NAME}: steering still works", f"got {got!r}")
    must("flush")
    must("unregister", "label", "check")
    server.close()

    zero = dict.fromkeys(("namespaces", "rules", "labels", "sockets", "staged"), 0)
    left = settled_counters(zero, timeout=10)
    report(left == zero, f"{NAME}: flushed, the live-object counters are back to zero",
           json.dumps(left))


if __name__ == "__main__":
    run(main, f"{sys.argv[1] if len(sys.argv) > 1 else 'fuzz'} check")
