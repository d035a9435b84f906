#!/usr/bin/env python3
"""A namespace whose registered socket was closed can be deleted, and takes its state with it.

The module holds a reference on each registered socket, and a socket pins its namespace:
if the module kept the reference after the socket was closed, the namespace would never
be torn down and its rules would stay counted in status.
"""
import json
import subprocess
import time

from testlib import must, report, run


def totals():
    doc = json.loads(must("-j", "status"))
    return {k: doc[k] for k in ("namespaces", "rules", "labels", "sockets")}


def main():
    zero = {"namespaces": 0, "rules": 0, "labels": 0, "sockets": 0}
    report(totals() == zero, "status counts no live object after modprobe", totals())

    subprocess.run(["ip", "netns", "add", "sklt"], check=True)
    owner = subprocess.Popen(["ip", "netns", "exec", "sklt", "python3", "-c", """
import socket, subprocess, sys
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
s = socket.socket(); s.bind(("127.0.0.1", 8080)); s.listen(8)
for args in (["register", "label", "web", "fd", str(s.fileno())],
             ["add-rule", "proto", "tcp", "dst", "192.0.2.0/24", "port", "80", "label", "web"],
             ["add-rule", "proto", "udp", "dst", "192.0.2.0/24", "port", "53", "drop"]):
    subprocess.run(["sklookupctl", *args], check=True, pass_fds=(s.fileno(),),
                   stdout=subprocess.DEVNULL)
print("ready", flush=True)
sys.stdin.read()
"""], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    ready = owner.stdout.readline().strip()
    held = totals()
    report(ready == "ready" and held == {"namespaces": 1, "rules": 2, "labels": 1, "sockets": 1},
           "status counts another namespace's rules, label and socket", held)

    owner.stdin.close()     # the owner exits: its socket closes
    owner.wait(timeout=10)
    subprocess.run(["ip", "netns", "del", "sklt"], check=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and totals() != zero:
        time.sleep(0.25)
    report(totals() == zero,
           "closing the socket and deleting the namespace releases everything", totals())


if __name__ == "__main__":
    run(main, "namespace scenario")
