#!/usr/bin/env python3
"""Rules and sockets change while clients connect: nothing lands on a wrong socket.

Labels a and b always hold a live socket, and a rule always covers the destination, so
every connection must reach socket a or b: never c (a label no rule for this destination
names), never be refused. Then the module is unloaded while traffic flows.
"""
import os
import select
import socket
import subprocess
import sys
import threading
import time

from testlib import listener, local_routes, must, report, run




def main():
    local_routes("192.0.2.0/24")
    socks = {"a": listener("a"), "b": listener("b")}
    must("add-rule", "proto", "tcp", "dst", "192.0.2.0/24", "port", "80", "label", "a")
    must("add-rule", "proto", "tcp", "dst", "198.51.100.0/24", "port", "80", "label", "c")

    stop = time.monotonic() + 20
    seen = {"a": 0, "b": 0, "c": 0, "refused": 0, "lost": 0}
    errors = []

    def churn():
        n = 0
        while time.monotonic() < stop:
            rule = must("add-rule", "proto", "tcp", "dst", "192.0.2.7", "port", "80",
                        "label", "b")
            c = listener("c")
            time.sleep(0.05)
            must("del-rule", rule)
            must("unregister", "label", "c")
            c.close()
            n += 1
        errors.append(f"churn rounds {n}")

    worker = threading.Thread(target=churn)
    worker.start()
    while time.monotonic() < stop:
        try:
            cl = socket.create_connection(("192.0.2.7", 80), timeout=3)
        except ConnectionRefusedError:
            seen["refused"] += 1
            continue
        ready, _, _ = select.select(list(socks.values()), [], [], 2)
        if not ready:
            seen["lost"] += 1
        for label, s in socks.items():
            if ready and s is ready[0]:
                s.accept()[0].close()
                seen[label] += 1
        cl.close()
    worker.join()
    print(f"# {seen} {errors[0] if errors else ''}")
    report(seen["refused"] == 0 and seen["lost"] == 0 and seen["a"] and seen["b"],
           "connections under rule and socket churn reach a or b, never refused or lost",
           f"{seen} {errors}")

    # Unload while traffic flows: clients are refused afterwards, the kernel stays calm.
    stop = time.monotonic() + 8

    def traffic():
        while time.monotonic() < stop:
            try:
                socket.create_connection(("192.0.2.8", 80), timeout=1).close()
            except OSError:
                pass
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                    u.sendto(b"x", ("192.0.2.8", 53))
            except OSError:
                pass

    must("add-rule", "proto", "udp", "dst", "192.0.2.0/24", "port", "53", "label", "a")
    threads = [threading.Thread(target=traffic) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(2)
    res = subprocess.run(["rmmod", "sklookup"], capture_output=True, text=True)
    for t in threads:
        t.join()
    report(res.returncode == 0, "rmmod with rules, sockets and traffic", res.stderr)


if __name__ == "__main__":
    run(main, "churn scenario")
