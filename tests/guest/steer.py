#!/usr/bin/env python3
"""Steering scenarios, table-driven like the kernel's sk_lookup selftest.

Each row: protocol, the destination a client dials, and which service's socket must
receive the bytes (or that the connection is refused). Services are sockets registered
with sklookupctl under a label; rules come from sklookupctl add-rule. Prints one
"ok - ..."/"not ok - ..." line per check.
"""
import json
import select
import socket
import subprocess
import sys
import time

from testlib import (accepts_per_member, attach_reuseport_cbpf, deliver, hook_calls,
                     local_routes, must, report, run)





def service(proto, family, label):
    """A socket bound to loopback on a port of its own, registered under label."""
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(af, kind)
    s.bind(("127.0.0.1" if family == 4 else "::1", 0))
    if proto == "tcp":
        s.listen(64)
    s.settimeout(3)
    must("register", "label", label, "fd", str(s.fileno()), fds=(s.fileno(),))
    return s


def reached(proto, dst, port, services):
    """Who received what was sent to dst:port: a label of services, or an error."""
    return deliver(proto, dst, port, services)[0]


def phase_scenarios(svc):
    """Each phase against the kernel's own exact-address and wildcard sockets."""
    for proto in ("tcp", "udp"):
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        proxy = svc[(proto, 4, "proxy")]
        own = []

        def listener(addr, port):
            s = socket.socket(socket.AF_INET, kind)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((addr, port))
            if proto == "tcp":
                s.listen(8)
            own.append(s)
            return s

        rows = [
            # phase, kernel's socket (None, exact or wildcard), who must receive it
            ("first", "exact", "proxy"),
            ("specific", "exact", "kernel"),
            ("specific", "wildcard", "proxy"),
            ("fallback", "wildcard", "kernel"),
            ("fallback", None, "proxy"),
        ]
        for i, (phase, kernel, want) in enumerate(rows):
            dst, port = f"192.0.2.{40 + i}", 9000 + i
            cands = {"proxy": proxy}
            if kernel == "exact":
                cands["kernel"] = listener(dst, port)
            elif kernel == "wildcard":
                cands["kernel"] = listener("0.0.0.0", port)
            rule = must("add-rule", "proto", proto, "dst", dst, "port", str(port),
                        "phase", phase, "label", "proxy")
            got = reached(proto, dst, port, cands)
            report(got == want, f"{proto} phase {phase} with a {kernel or 'no'} socket of the "
                   f"kernel's: {want} receives", f"reached: {got}")
            must("del-rule", rule)
        for s in own:
            s.close()


def reuseport_scenarios():
    """A registered socket in a reuseport group: the group (and its program) chooses."""
    group = []
    for _ in range(2):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind(("127.0.0.1", 18080))
        s.listen(64)
        group.append(s)
    must("register", "label", "rp", "fd", str(group[0].fileno()), fds=(group[0].fileno(),))

    def spread(flags):
        rule = must("add-rule", "proto", "tcp", "dst", "198.51.100.50", "port", "80",
                    "label", "rp", *flags)
        counts = accepts_per_member(group, ("198.51.100.50", 80))
        must("del-rule", rule)
        return counts

    counts = spread([])
    report(counts[0] > 0 and counts[1] > 0 and sum(counts) == 16,
           "a reuseport group spreads steered connections over its members", counts)
    counts = spread(["noreuseport"])
    report(counts == [16, 0], "noreuseport: every connection to the registered socket", counts)
    attach_reuseport_cbpf(group[0], 1)
    counts = spread([])
    report(counts == [0, 16], "the group's reuseport program chooses the member", counts)
    must("unregister", "label", "rp")
    for s in group:
        s.close()


def more_scenarios(svc, services_for):
    """Source prefix, device, dual stack, and what is never overridden."""
    tcp4 = services_for("tcp", 4)
    # Source prefix: the longer source prefix wins among rules of one destination.
    must("add-rule", "proto", "tcp", "dst", "192.0.2.64/26", "port", "80", "label", "apache")
    must("add-rule", "proto", "tcp", "dst", "192.0.2.64/26", "port", "80", "src", "127.0.0.2",
         "label", "proxy")
    for src, want in (("127.0.0.1", "apache"), ("127.0.0.2", "proxy")):
        c = socket.socket()
        c.bind((src, 0))
        c.settimeout(3)
        c.connect(("192.0.2.70", 80))
        ready, _, _ = select.select(list(tcp4.values()), [], [], 2)
        got = [k for k, v in tcp4.items() if ready and v is ready[0]]
        if ready:
            ready[0].accept()[0].close()
        c.close()
        report(got == [want], f"tcp from {src} to 192.0.2.70 port 80 reaches {want}",
               f"reached: {got}")

    # Device: a rule for another device does not match loopback traffic.
    subprocess.run(["ip", "link", "add", "sklookup0", "type", "dummy"], check=True)
    must("add-rule", "proto", "tcp", "dst", "192.0.2.128/25", "port", "8080", "dev", "sklookup0",
         "label", "apache")
    must("add-rule", "proto", "tcp", "dst", "192.0.2.129", "port", "8080", "dev", "lo",
         "label", "proxy")
    got = reached("tcp", "192.0.2.130", 8080, tcp4)
    report(got == "ECONNREFUSED", "a rule for another device does not match", f"reached: {got}")
    got = reached("tcp", "192.0.2.129", 8080, tcp4)
    report(got == "proxy", "a rule for the ingress device matches", f"reached: {got}")
    # 78-direct runs this file again in the same guest.
    subprocess.run(["ip", "link", "del", "sklookup0"], check=True)

    # Dual stack: an IPv4 connection goes to an IPv6 socket that accepts IPv4.
    dual = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    dual.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    dual.bind(("::", 0))
    dual.listen(8)
    must("register", "label", "dual", "fd", str(dual.fileno()), fds=(dual.fileno(),))
    must("add-rule", "proto", "tcp", "dst", "198.51.100.200", "port", "443", "label", "dual")
    got = reached("tcp", "198.51.100.200", 443, {"dual": dual})
    report(got == "dual", "IPv4 to a label with only a dual-stack IPv6 socket", f"reached: {got}")
    must("unregister", "label", "dual")
    dual.close()

    # An established connection keeps its traffic when a better rule appears.
    c = socket.create_connection(("192.0.2.9", 80), timeout=3)
    conn, _ = tcp4["nginx"].accept()
    rule = must("add-rule", "proto", "tcp", "dst", "192.0.2.9", "port", "80", "label", "apache")
    c.sendall(b"still-mine")
    conn.settimeout(3)
    got = conn.recv(64)
    report(got == b"still-mine", "an established TCP connection is never moved", f"got {got!r}")
    got = reached("tcp", "192.0.2.9", 80, tcp4)
    report(got == "apache", "a new connection follows the new rule", f"reached: {got}")
    must("del-rule", rule)
    c.close()
    conn.close()

    # A connected UDP socket keeps the datagrams of its 4-tuple.
    udp4 = services_for("udp", 4)
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.bind(("127.0.0.1", 0))
    connected = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    connected.bind(("192.0.2.10", 80))
    connected.connect(client.getsockname())
    connected.settimeout(3)
    client.sendto(b"to-connected", ("192.0.2.10", 80))
    try:
        got = connected.recv(64)
    except OSError as err:
        got = repr(err)
    report(got == b"to-connected", "a connected UDP socket keeps its datagrams", f"got {got!r}")
    got = reached("udp", "192.0.2.10", 80, udp4)
    report(got == "nginx", "other datagrams to that address still follow the rule",
           f"reached: {got}")
    connected.close()
    client.close()

    # Rules of one namespace do not touch another.
    subprocess.run(["ip", "netns", "add", "other"], check=True)
    res = subprocess.run(["ip", "netns", "exec", "other", "python3", "-c", """
import socket, subprocess
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
subprocess.run(["ip", "route", "replace", "local", "192.0.2.0/24", "dev", "lo"], check=True)
l = socket.socket(); l.bind(("0.0.0.0", 80)); l.listen(1)
c = socket.create_connection(("192.0.2.7", 80), timeout=3)
l.settimeout(3); l.accept()
print(subprocess.run(["sklookupctl", "-j", "show"], capture_output=True, text=True).stdout)
"""], capture_output=True, text=True, timeout=60)
    report(res.returncode == 0 and '"rules":[]' in res.stdout,
           "another namespace sees none of these rules and keeps its own listener",
           res.stdout + res.stderr)
    subprocess.run(["ip", "netns", "del", "other"], check=True)


def setup_addresses():
    local_routes("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
                 "2001:db8:1::/64", "2001:db8:2::/64")


def main():
    setup_addresses()
    svc = {}
    for proto in ("tcp", "udp"):
        for family in (4, 6):
            for name in ("nginx", "apache", "proxy"):
                svc[(proto, family, name)] = service(proto, family, f"{name}")
    # Rules: the README's two scenarios, for both protocols and families.
    for proto in ("tcp", "udp"):
        must("add-rule", "proto", proto, "dst", "192.0.2.0/24", "port", "80", "label", "nginx")
        must("add-rule", "proto", proto, "dst", "198.51.100.0/24", "port", "80", "label", "apache")
        must("add-rule", "proto", proto, "dst", "198.51.100.1", "port", "any", "label", "proxy")
        must("add-rule", "proto", proto, "dst", "2001:db8:1::/64", "port", "80", "label", "nginx")
        must("add-rule", "proto", proto, "dst", "2001:db8:2::/64", "port", "80", "label", "apache")
        must("add-rule", "proto", proto, "dst", "2001:db8:2::1", "port", "1000-2000", "label", "proxy")
        must("add-rule", "proto", proto, "dst", "203.0.113.0/24", "port", "7", "drop")

    # A wildcard listener on port 7: the drop rule must win over it.
    wild = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    wild.bind(("0.0.0.0", 7))
    wild.listen(8)

    def services_for(proto, family):
        return {name: svc[(proto, family, name)] for name in ("nginx", "apache", "proxy")}

    rows = [
        # proto, dst, port, who must receive it
        ("tcp", "192.0.2.7", 80, "nginx"),
        ("tcp", "198.51.100.9", 80, "apache"),
        ("tcp", "198.51.100.1", 80, "proxy"),      # /32 beats /24
        ("tcp", "198.51.100.1", 1, "proxy"),
        ("tcp", "198.51.100.1", 65535, "proxy"),
        ("tcp", "192.0.2.7", 81, "ECONNREFUSED"),  # no rule, no listener
        ("tcp", "203.0.113.5", 7, "ECONNREFUSED"),  # drop beats the wildcard listener
        ("tcp", "2001:db8:1::5", 80, "nginx"),
        ("tcp", "2001:db8:2::5", 80, "apache"),
        ("tcp", "2001:db8:2::1", 1500, "proxy"),
        ("tcp", "2001:db8:2::1", 80, "apache"),     # the range rule does not cover 80
        ("udp", "192.0.2.7", 80, "nginx"),
        ("udp", "198.51.100.9", 80, "apache"),
        ("udp", "198.51.100.1", 53, "proxy"),
        ("udp", "2001:db8:1::5", 80, "nginx"),
        ("udp", "2001:db8:2::1", 2000, "proxy"),
    ]
    calls_before = {family: hook_calls(f"tcp{family}") for family in (4, 6)}
    for proto, dst, port, want in rows:
        family = 6 if ":" in dst else 4
        got = reached(proto, dst, port, services_for(proto, family))
        report(got == want, f"{proto} to {dst} port {port} reaches {want}", f"reached: {got}")

    # The wildcard listener still gets what no rule claims.
    wild.settimeout(3)
    with socket.create_connection(("127.0.0.1", 7), timeout=3):
        conn, _ = wild.accept()
        conn.close()
    report(True, "unclaimed traffic still reaches the kernel's own listener")

    # Counters moved where the traffic went.
    doc = json.loads(must("-j", "show"))
    # A SYN sent again (its SYN-ACK was late in this emulated guest), or a late segment of
    # a connection whose socket is gone, is looked up once more: the listener lookups
    # beyond one per TCP connection made (the rows, and the wildcard's over IPv4), for
    # each family, counted after show so that none that show saw is left out.
    made = {4: 1, 6: 0}
    for proto, dst, _, _ in rows:
        if proto == "tcp":
            made[6 if ":" in dst else 4] += 1
    extra = {family: max(0, hook_calls(f"tcp{family}") - calls_before[family] - made[family])
             for family in (4, 6)}
    labels = {l["name"]: l for l in doc["labels"]}
    report(labels["nginx"]["delivered"] >= 4, "label nginx counts its deliveries",
           json.dumps(labels["nginx"]))
    report(len(doc["rules"]) == 14, "show lists the 14 rules", len(doc["rules"]))
    # Each row above was one lookup: the rule that decided it counts exactly that. A
    # datagram is looked up once. A TCP rule may count more only for the extra lookups
    # above, and all TCP rules of a family together not more than those.
    if extra[4] or extra[6]:
        print(f"# extra listener lookups during the rows: tcp4 {extra[4]}, tcp6 {extra[6]}")
    hits = {(r["proto"], r["dst"], r["port"]): r["hits"] for r in doc["rules"]}
    tcp_extra = {4: 0, 6: 0}
    for key, want in ((("tcp", "192.0.2.0/24", "80"), 1),
                      (("tcp", "198.51.100.1", "any"), 3),
                      (("tcp", "203.0.113.0/24", "7"), 1),
                      (("tcp", "2001:db8:2::/64", "80"), 2),
                      (("udp", "198.51.100.1", "any"), 1),
                      (("udp", "2001:db8:2::/64", "80"), 0)):
        got = hits.get(key)
        family = 6 if ":" in key[1] else 4
        if key[0] == "tcp" and got is not None:
            ok = want <= got <= want + extra[family]
            tcp_extra[family] += got - want
        else:
            ok = got == want
        report(ok, f"rule {' '.join(key)} counts {want} hits",
               f"hits: {got}, extra tcp{family} lookups: {extra[family]}")
    report(all(tcp_extra[f] <= extra[f] for f in (4, 6)),
           "TCP rules count no more extra hits than there were extra listener lookups",
           f"extra hits {tcp_extra}, extra lookups {extra}")

    # A closed socket stops receiving at once and is released by the module.
    svc[("tcp", 4, "nginx")].close()
    got = reached("tcp", "192.0.2.7", 80, services_for("tcp", 4))
    report(got == "ECONNREFUSED", "closed socket: traffic falls back to the kernel's lookup",
           f"reached: {got}")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        doc = json.loads(must("-j", "show", "label", "nginx"))
        tcp4 = [s for l in doc["labels"] for s in l["sockets"]
                if s["proto"] == "tcp" and s["family"] == "inet"]
        if not tcp4:
            break
        time.sleep(0.2)
    report(not tcp4, "closed socket released by the module", json.dumps(doc))

    # The service restarts: its new socket gets the traffic, with no rule changed.
    svc[("tcp", 4, "nginx")] = service("tcp", 4, "nginx")
    got = reached("tcp", "192.0.2.7", 80, services_for("tcp", 4))
    report(got == "nginx", "a restarted service's new socket gets its traffic back",
           f"reached: {got}")

    more_scenarios(svc, services_for)
    phase_scenarios(svc)
    reuseport_scenarios()

    must("flush")
    report(json.loads(must("-j", "show"))["rules"] == [], "flush removes every rule")
    got = reached("tcp", "198.51.100.1", 80, services_for("tcp", 4))
    report(got == "ECONNREFUSED", "after flush nothing is steered", f"reached: {got}")
    for name in ("nginx", "apache", "proxy"):
        must("unregister", "label", name)


if __name__ == "__main__":
    run(main, "steering scenario")
