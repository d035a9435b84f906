#!/usr/bin/env python3
"""Counters of rules and labels, as `show -s -j` reports them.

Traffic comes from both CPUs and from more rules than a CPU keeps at hand, so that counts
move between CPUs and between a CPU and the shared totals; the counts must still be exact,
never go back while traffic flows, and start at zero for a new rule or label. Memory: a
hundred thousand rules over ten thousand labels must not grow the kernel's per-CPU memory.
"""
import json
import os
import socket
import subprocess
import time

from testlib import local_routes, must, report, run

DST = "192.0.2.1"
RULES = 1000          # more than a CPU's cache of counters holds
BASE_PORT = 30000
MEMORY_RULES = 100_000
MEMORY_LABELS = 10_000


def meminfo(field):
    with open("/proc/meminfo", encoding="ascii") as f:
        for line in f:
            name, value = line.split(":", 1)
            if name == field:
                return int(value.split()[0]) * 1024
    raise RuntimeError(f"no {field} in /proc/meminfo")


def apply(text):
    res = subprocess.run(["sklookupctl", "apply", "-"], input=text, capture_output=True,
                         text=True, timeout=600)
    if res.returncode:
        raise RuntimeError(f"apply: {res.stderr.strip()}")


def counts():
    """({port: hits}, {label: (lookups, delivered, misses)})."""
    doc = json.loads(must("-j", "show", "-s"))
    hits = {r["port_min"]: r["hits"] for r in doc["rules"]}
    labels = {l["name"]: (l["lookups"], l["delivered"], l["misses"]) for l in doc["labels"]}
    return hits, labels


def possible_cpus():
    with open("/sys/devices/system/cpu/possible", encoding="ascii") as f:
        spec = f.read().strip()
    n = 0
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        n += int(hi or lo) - int(lo) + 1
    return n


def send_from(cpu, ports, rounds=1):
    """Send one datagram to each port, rounds times, from a process pinned to cpu."""
    pid = os.fork()
    if pid == 0:
        try:
            os.sched_setaffinity(0, {cpu})
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
                for _ in range(rounds):
                    for port in ports:
                        c.sendto(b"x", (DST, port))
        finally:
            os._exit(0)
    return pid


def wait_all(pids):
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        if status:
            raise RuntimeError(f"sender {pid} exited with {status}")


def check_memory():
    cpus = possible_cpus()
    text = "".join(f"proto udp dst 10.{i >> 16}.{(i >> 8) & 255}.{i & 255} port 7 "
                   f"label m{i % MEMORY_LABELS}\n" for i in range(MEMORY_RULES))
    percpu_before, slab_before = meminfo("Percpu"), meminfo("Slab")
    apply(text)
    percpu_grew = meminfo("Percpu") - percpu_before
    slab_per_rule = (meminfo("Slab") - slab_before) / MEMORY_RULES
    must("flush")
    # Per-CPU counters took 8 bytes per CPU per rule and 24 per label: 2,080,000 bytes
    # here with 2 CPUs.
    report(percpu_grew < 256 * 1024,
           f"{MEMORY_RULES} rules over {MEMORY_LABELS} labels take no per-CPU memory "
           f"each ({cpus} possible CPUs)",
           f"Percpu grew by {percpu_grew} bytes, "
           f"{percpu_grew / MEMORY_RULES:.1f} per rule")
    print(f"# memory: Percpu grew {percpu_grew} bytes, Slab about {slab_per_rule:.0f} "
          f"bytes per rule, {cpus} possible CPUs")


def main():
    check_memory()
    local_routes(f"{DST}/32")
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((DST, 9))
    must("register", "label", "c", "fd", str(server.fileno()), fds=(server.fileno(),))
    ports = list(range(BASE_PORT, BASE_PORT + RULES))
    apply("".join(f"proto udp dst {DST} port {p} label c\n" for p in ports))

    hits, labels = counts()
    report(set(hits.values()) == {0} and labels["c"] == (0, 0, 0),
           "new rules and a new label count from zero")

    cpus = sorted(os.sched_getaffinity(0))
    wait_all([send_from(cpus[0], ports)])
    wait_all([send_from(cpus[-1], ports)])
    wait_all([send_from(cpus[0], ports)])
    hits, labels = counts()
    wrong = {p: h for p, h in hits.items() if h != 3}
    report(not wrong, f"each of {RULES} rules counts its 3 datagrams, sent from CPUs "
           f"{cpus[0]} and {cpus[-1]}", f"{len(wrong)} rules wrong, e.g. "
           f"{dict(list(wrong.items())[:5])}")
    report(labels["c"] == (3 * RULES, 3 * RULES, 0),
           "the label counts every lookup and delivery", f"got {labels['c']}")

    # A flood from every CPU while counters are read: no reading goes back.
    rounds = 60
    pids = [send_from(cpu, ports, rounds) for cpu in cpus]
    back, readings = [], 0
    last_hits, last_label = hits, labels["c"]
    running = set(pids)
    while True:
        running -= {pid for pid in running if os.waitpid(pid, os.WNOHANG)[0]}
        done = not running
        hits, labels = counts()
        readings += 1
        back += [f"rule port {p}: {last_hits[p]} then {h}" for p, h in hits.items()
                 if h < last_hits[p]]
        back += [f"label: {last_label} then {labels['c']}"
                 for a, b in zip(last_label, labels["c"]) if b < a]
        last_hits, last_label = hits, labels["c"]
        if done:
            break
        time.sleep(0.05)
    report(not back, f"no counter went back over {readings} readings during a flood",
           "\n".join(back[:10]))
    want = 3 + rounds * len(cpus)
    wrong = {p: h for p, h in hits.items() if h != want}
    report(not wrong, f"after the flood each rule counts {want}",
           f"{len(wrong)} rules wrong, e.g. {dict(list(wrong.items())[:5])}")
    report(labels["c"][1] == want * RULES, "after the flood the label counts every delivery",
           f"got {labels['c']}, want {want * RULES} delivered")

    # Rules and a label made again, likely in the memory of the ones just freed.
    must("flush")
    must("unregister", "label", "c")
    time.sleep(1)
    must("register", "label", "c", "fd", str(server.fileno()), fds=(server.fileno(),))
    ports = list(range(BASE_PORT + RULES, BASE_PORT + 2 * RULES))
    apply("".join(f"proto udp dst {DST} port {p} label c\n" for p in ports))
    hits, labels = counts()
    report(set(hits.values()) == {0} and labels["c"] == (0, 0, 0),
           "rules and a label made again count from zero",
           f"hits {sorted(set(hits.values()))}, label {labels['c']}")
    wait_all([send_from(cpus[-1], ports)])
    hits, labels = counts()
    report(set(hits.values()) == {1} and labels["c"] == (RULES, RULES, 0),
           "and count their own datagrams only",
           f"hits {sorted(set(hits.values()))}, label {labels['c']}")

    # A lookup counts in its rule only, whose counts reach the label when handed over:
    # rules deleted with their counts still in the CPUs' caches (nothing read since the
    # datagrams) must still hand them to the label, which lives on.
    wait_all([send_from(cpu, ports) for cpu in cpus])
    kept = ports[:RULES // 2]
    apply("".join(f"proto udp dst {DST} port {p} label c\n" for p in kept))
    time.sleep(1)       # the deleted rules' grace period and purge
    hits, labels = counts()
    want = 1 + len(cpus)
    wrong = {p: h for p, h in hits.items() if h != want}
    report(len(hits) == len(kept) and not wrong,
           f"the {len(kept)} rules kept count {want} each",
           f"{len(hits)} rules, {len(wrong)} wrong, e.g. {dict(list(wrong.items())[:5])}")
    report(labels["c"] == (want * RULES, want * RULES, 0),
           f"the label keeps the counts of the {RULES - len(kept)} rules deleted",
           f"got {labels['c']}, want {want * RULES} delivered")
    must("flush")
    must("unregister", "label", "c")
    server.close()
    first_miss_counted_once()


def first_miss_counted_once():
    """A TCP connection whose first-phase rule names a label with no socket, taken by a
    fallback rule: the hook tries the first rule, misses, and sends the lookup to a
    wrapper for the fallback phase, which must not try the first rule again. One lookup
    per connection on the rule (a steer rule's hits include its misses) and one miss on
    its label."""
    port, n = 31000, 5
    fallback = socket.socket()
    fallback.bind(("127.0.0.1", 0))
    fallback.listen(16)
    must("register", "label", "fb", "fd", str(fallback.fileno()), fds=(fallback.fileno(),))
    apply(f"proto tcp dst {DST} port {port} label empty\n"
          f"proto tcp dst {DST} port {port} phase fallback label fb\n")
    for _ in range(n):
        c = socket.create_connection((DST, port), timeout=5)
        fallback.accept()[0].close()
        c.close()
    doc = json.loads(must("-j", "show", "-s"))
    first = [(r.get("hits", 0), r.get("misses", 0)) for r in doc["rules"]
             if r["port_min"] == port and r.get("phase", "first") == "first"]
    empty = [(l["lookups"], l["delivered"], l["misses"]) for l in doc["labels"]
             if l["name"] == "empty"]
    report(first == [(n, 0)] and empty == [(n, 0, n)],
           f"TCP: a first-phase rule whose label has no socket misses once per connection "
           f"that a fallback rule takes ({n} connections)",
           f"first rule (hits, misses): {first}; label empty (lookups, delivered, misses): "
           f"{empty}")
    must("flush")
    must("unregister", "label", "fb")
    fallback.close()


if __name__ == "__main__":
    run(main, "counters scenario")
