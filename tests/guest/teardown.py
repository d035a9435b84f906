#!/usr/bin/env python3
"""Helpers of 57-teardown.

teardown.py cycles N      N loads and unloads, each unloading with a rule and a socket held
teardown.py namespaces N  N namespaces, each with a rule and a registered socket, left to die
"""
import ctypes
import json
import os
import socket
import subprocess
import sys
import time

from genl import C, Genl, rule_attrs, string, u32
from testlib import listener, must, report, settled_counters

CLONE_NEWNET = 0x40000000


def cycles(count):
    """Load, register a socket, add a rule, unload with both still in place: count times.
    Every tenth load also steers a connection before it goes away."""
    done = steered = 0
    for i in range(1, count + 1):
        if subprocess.run(["modprobe", "sklookup"]).returncode:
            break
        server = listener("web")
        must("add-rule", "proto", "tcp", "dst", "192.0.2.0/24", "port", "80", "label", "web")
        if i % 10 == 0:
            try:
                with socket.create_connection(("192.0.2.1", 80), timeout=3):
                    server.accept()[0].close()
                steered += 1
            except OSError as err:
                print(f"# load {i}: {err}")
        # The module lets go of the socket it holds, and of the rule, as it unloads.
        res = subprocess.run(["rmmod", "sklookup"], capture_output=True, text=True)
        server.close()
        if res.returncode:
            print(f"# rmmod: {res.stderr.strip()}")
            break
        done = i
    report(done == count, f"{count} load/unload cycles, each unloading with a rule and a "
           "socket held", f"{done} done")
    report(steered == count // 10, "each tenth load steered before its unload",
           f"{steered} of {count // 10}")


def slab_objects(name):
    """Live objects of a slab cache, or None when the kernel merged it out of sight."""
    try:
        with open("/proc/slabinfo", encoding="ascii") as f:
            for line in f:
                if line.split()[0] == name:
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def make_namespaces(count, use_module):
    """count children, each in a namespace of its own with a listening socket and a
    netlink socket; with use_module, also a rule and the socket registered. Exiting
    closes the sockets, which must be enough for the namespace to go away."""
    libc = ctypes.CDLL(None, use_errno=True)
    made = 0
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                if libc.unshare(CLONE_NEWNET) == 0:
                    server = socket.socket()
                    server.bind(("0.0.0.0", 0))
                    server.listen(1)
                    g = Genl()
                    if use_module:
                        g.request(C["SKL_CMD_SOCKET_ADD"],
                                  string(C["SKL_A_LABEL_NAME"], "web")
                                  + u32(C["SKL_A_LABEL_FD"], server.fileno()))
                        g.request(C["SKL_CMD_RULE_ADD"],
                                  rule_attrs(6, "192.0.2.0", 24, 80, "web"))
                    status = 0
            finally:
                os._exit(status)
        _, status = os.waitpid(pid, 0)
        made += status == 0
    return made


def settled_namespaces(deadline):
    """net_namespace objects once the kernel's cleanup worker has caught up."""
    last = slab_objects("net_namespace")
    while last is not None and time.monotonic() < deadline:
        time.sleep(2)
        now = slab_objects("net_namespace")
        if now == last:
            break
        last = now
    return last


def namespaces(count):
    zero = {"namespaces": 0, "rules": 0, "labels": 0, "sockets": 0}
    # The same namespaces without sklookup first: what the kernel itself keeps for a
    # while (or for good) is not the module's doing.
    start = settled_namespaces(time.monotonic() + 60)
    make_namespaces(count, use_module=False)
    control = settled_namespaces(time.monotonic() + 120)
    made = make_namespaces(count, use_module=True)
    report(made == count, f"{count} namespaces made, each with a rule and a socket",
           f"{made} made")
    left = settled_counters(zero, timeout=60)
    report(left == zero, f"all {count} namespaces released everything they held",
           json.dumps(left))
    after = settled_namespaces(time.monotonic() + 120)
    if start is None:
        print("# net_namespace slab merged: only the module's own counters were checked")
        return
    print(f"# net_namespace objects: {start} at first, {control} after {count} namespaces "
          f"without sklookup, {after} after {count} with it")
    # The slab's count of live objects wanders by a few dozen with the allocator's
    # caches; a module that pinned its namespaces would leave all of them, count more.
    report(after - control <= control - start + count // 4,
           f"sklookup pins none of the {count} namespaces (net_namespace objects left: "
           f"{after - control}, without sklookup {control - start})",
           f"without: {control - start} left, with: {after - control} left")


def main():
    if sys.argv[1] == "cycles":
        cycles(int(sys.argv[2]))
    else:
        namespaces(int(sys.argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
