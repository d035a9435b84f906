#!/usr/bin/env python3
"""Costs of a label's pick and of its control path, for the notes (pick-cost.sh).

pickcost.py pick ROUNDS COUNT SENDERS
                                UDP flood of COUNT datagrams to labels of 1, 16 and 128
                                sockets, interleaved, ROUNDS times; medians and ratios.
                                With one sender every datagram is the same flow, so it
                                reaches the same socket whatever the label's size: what
                                differs is the pick alone
pickcost.py unload LABELS       rmmod with LABELS labels, each with a rule and a socket
pickcost.py netns LABELS        a namespace with LABELS labels, each with a rule and a
                                socket, left to die: seconds until status no longer
                                counts it
pickcost.py apply N             apply N rules, each with a label of its own, then apply
                                N others, then flush
Prints "# " lines only: these are measurements, not checks.
"""
import ctypes
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from genl import C, Genl, rule_attrs, string, u32
from testlib import local_routes, must

FLOOD = "/tmp/pickflood"
CLONE_NEWNET = 0x40000000


def pick(rounds, count, senders):
    local_routes("192.0.2.0/24")
    subprocess.run(["gcc", "-O2", "-o", FLOOD, os.path.join(os.path.dirname(__file__),
                                                             "pickflood.c")], check=True)
    keep = []
    sizes = (1, 16, 128)
    for n in sizes:
        for i in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            # The smallest queue: every run drops at the same point, after the lookup.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
            s.bind(("127.0.0.1", 0))
            must("register", "label", f"p{n}", "fd", str(s.fileno()), fds=(s.fileno(),))
            keep.append(s)
        must("add-rule", "proto", "udp", "dst", f"192.0.2.{n}", "port", "53", "label", f"p{n}")
    took = {n: [] for n in sizes}
    for _ in range(rounds):
        for n in sizes:
            out = subprocess.run([FLOOD, f"192.0.2.{n}", "53", str(count), str(senders)],
                                 capture_output=True, text=True, check=True).stdout
            took[n].append(float(out))
    doc = json.loads(must("-j", "show"))
    steered = {l["name"]: l["delivered"] for l in doc["labels"]}
    print(f"# labels listed by show: {sorted(steered)}; hook calls "
          f"{json.loads(must('-j', 'status'))['hooks']}")
    base = count / statistics.median(took[1])
    for n in sizes:
        rate = count / statistics.median(took[n])
        print(f"# {senders} senders, label of {n:3} sockets: {rate:9.0f} datagrams/s (median of {rounds}), "
              f"ratio to 1 socket {rate / base:.3f}, steered by the label "
              f"{steered.get(f'p{n}')}, runs {' '.join(f'{t:.2f}' for t in took[n])} s")
    must("flush")
    for n in sizes:
        must("unregister", "label", f"p{n}")


def register_many(g, labels, proto=17):
    """labels sockets, each under a label of its own with a rule; returns the sockets."""
    socks = []
    for i in range(labels):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        g.request(C["SKL_CMD_SOCKET_ADD"], string(C["SKL_A_LABEL_NAME"], f"t{i}")
                  + u32(C["SKL_A_LABEL_FD"], s.fileno()))
        g.request(C["SKL_CMD_RULE_ADD"],
                  rule_attrs(proto, "10.%d.%d.0" % (i >> 8, i & 255), 24, 53, f"t{i}"))
        socks.append(s)
    return socks


def unload(labels):
    socks = register_many(Genl(), labels)
    doc = json.loads(must("-j", "status"))
    start = time.monotonic()
    subprocess.run(["rmmod", "sklookup"], check=True)
    took = time.monotonic() - start
    print(f"# rmmod holding {doc['labels']} labels, {doc['sockets']} sockets, "
          f"{doc['rules']} rules: {took:.2f} s")
    for s in socks:
        s.close()
    subprocess.run(["modprobe", "sklookup"], check=True)


def netns(labels):
    libc = ctypes.CDLL(None, use_errno=True)
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            if libc.unshare(CLONE_NEWNET):
                os._exit(1)
            subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
            socks = register_many(Genl(), labels)
            os.write(ready_w, b"x")
            os.read(go_r, 1)
            del socks
        finally:
            os._exit(0)
    os.read(ready_r, 1)
    doc = json.loads(must("-j", "status"))
    print(f"# namespace made: status counts {doc['namespaces']} namespaces, "
          f"{doc['labels']} labels, {doc['sockets']} sockets")
    start = time.monotonic()
    os.write(go_w, b"x")
    os.waitpid(pid, 0)
    while json.loads(must("-j", "status"))["namespaces"] and time.monotonic() - start < 600:
        time.sleep(0.05)
    print(f"# the namespace's process exited; status stopped counting it "
          f"{time.monotonic() - start:.2f} s later")


def apply(n):
    for generation in ("a", "b"):
        with tempfile.NamedTemporaryFile("w", suffix=".rules", delete=False) as f:
            for i in range(n):
                f.write(f"proto udp dst 10.{i >> 16}.{(i >> 8) & 255}.{i & 255} port 53 "
                        f"label {generation}{i}\n")
        start = time.monotonic()
        res = subprocess.run(["sklookupctl", "apply", f.name], capture_output=True, text=True)
        took = time.monotonic() - start
        os.unlink(f.name)
        doc = json.loads(must("-j", "status"))
        print(f"# apply of {n} rules with {n} distinct labels (set {generation}, replacing "
              f"{'nothing' if generation == 'a' else 'set a'}): {took:.2f} s, exit "
              f"{res.returncode} {res.stderr.strip()[:200]}; status: {doc['rules']} rules, "
              f"{doc['labels']} labels")
    start = time.monotonic()
    must("flush")
    print(f"# flush: {time.monotonic() - start:.2f} s")


def main():
    what = sys.argv[1]
    if what == "pick":
        pick(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif what == "unload":
        unload(int(sys.argv[2]))
    elif what == "netns":
        netns(int(sys.argv[2]))
    else:
        apply(int(sys.argv[2]))


if __name__ == "__main__":
    main()
