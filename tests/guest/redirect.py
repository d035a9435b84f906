#!/usr/bin/env python3
"""Redirect rules: the kernel's own lookup of another local address and port.

The services here are ordinary sockets bound to loopback that nobody registers, as an
unmodified daemon would be. Each row dials an address that no socket is bound to and
checks which service receives the bytes, what the service sees as its local address,
and the counters. Prints one "ok - ..."/"not ok - ..." line per check.
"""
import json
import select
import socket
import subprocess

from genl import C, Genl, NetlinkError, attr, u8, u16, u32, string
from testlib import (accepts_per_member, attach_reuseport_cbpf, deliver, hook_calls,
                     local_routes, must, pktinfo_socket, report, run, syn_retransmits,
                     udp_round_trip)


def server(proto, addr, port, reuseport=False):
    """An unregistered socket bound to addr:port, as a daemon started by hand."""
    af = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(af, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuseport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind((addr, port))
    if proto == "tcp":
        s.listen(64)
    s.settimeout(3)
    return s


def rule_counts(dst, port):
    """The hits and misses of the rule for dst and port, from show -j."""
    for r in json.loads(must("-j", "show"))["rules"]:
        if r["dst"] == dst and r["port"] == port:
            return r["hits"], r.get("misses")
    return None, None


def table(srv):
    """The issue's four forms, and each protocol and family."""
    rows = [
        # proto, dst, port, who must receive it
        ("tcp", "192.0.2.7", 80, "web1"),
        ("tcp", "192.0.2.200", 80, "web1"),
        ("tcp", "198.51.100.1", 80, "proxy"),          # the /32 redirect beats nothing else
        ("tcp", "198.51.100.1", 1, "proxy"),
        ("tcp", "198.51.100.1", 65535, "proxy"),
        ("tcp", "203.0.113.9", 1500, "kept1500"),      # the port is kept
        ("tcp", "203.0.113.9", 1000, "kept1000"),
        ("tcp", "203.0.113.9", 1600, "ECONNREFUSED"),  # nothing at 127.0.0.1:1600
        ("tcp", "203.0.113.9", 999, "ECONNREFUSED"),   # outside the range
        ("tcp", "2001:db8:1::5", 80, "web6"),
        ("tcp", "2001:db8:2::1", 4242, "proxy6"),
        ("udp", "192.0.2.7", 53, "dns"),
        ("udp", "198.51.100.1", 4000, "udpproxy"),
        ("udp", "2001:db8:1::5", 53, "dns6"),
    ]
    calls = hook_calls("tcp4")
    for proto, dst, port, want in rows:
        cands = {k: v for k, v in srv.items()
                 if v.type == (socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)}
        got, local = deliver(proto, dst, port, cands)
        report(got == want, f"{proto} to {dst} port {port} is redirected to {want}",
               f"reached: {got}")
        if proto == "tcp" and want in cands:
            report(local == (dst, port), f"tcp to {dst} port {port}: the service's accepted "
                   "socket has the dialled address as its local address", f"local: {local}")

    doc = json.loads(must("-j", "show"))
    # A SYN sent again, or a late segment of a closed connection, is looked up once more
    # and may count once more: the listener lookups beyond one per IPv4 connection.
    tcp4_rows = sum(1 for proto, dst, _, _ in rows if proto == "tcp" and ":" not in dst)
    extra = max(0, hook_calls("tcp4") - calls - tcp4_rows)
    kept = [r for r in doc["rules"] if r["dst"] == "203.0.113.0/24"][0]
    report(kept["action"] == "redirect" and kept["redirect"] == "127.0.0.1"
           and 3 <= kept["hits"] <= 3 + extra and kept["misses"] == 1,
           "show -j: the port-keeping rule counts 3 hits and 1 miss",
           f"{json.dumps(kept)}; listener lookups beyond one per connection: {extra}")
    proxy = [r for r in doc["rules"] if r["dst"] == "198.51.100.1" and r["proto"] == "tcp"][0]
    report(proxy["redirect"] == "127.0.0.1:9000" and 3 <= proxy["hits"] <= 3 + extra
           and proxy["misses"] == 0, "show -j: the proxy rule counts its 3 connections",
           f"{json.dumps(proxy)}; listener lookups beyond one per connection: {extra}")
    text = must("show", "-s")
    line = [l for l in text.splitlines() if "dst 2001:db8:1::/64" in l and "udp" in l]
    report(len(line) == 1 and "redirect [::1]:5353  hits 1 misses 0" in line[0],
           "show prints the target and the counters", text)


def phases(srv):
    """Each phase against the kernel's own exact-address and wildcard sockets."""
    rows = [
        ("first", "exact", "target"),
        ("specific", "exact", "kernel"),
        ("specific", "wildcard", "target"),
        ("fallback", "wildcard", "kernel"),
        ("fallback", None, "target"),
    ]
    for proto in ("tcp", "udp"):
        target = server(proto, "127.0.0.1", 7100)
        for i, (phase, kernel, want) in enumerate(rows):
            dst, port = f"192.0.2.{60 + i}", 7200 + i
            cands = {"target": target}
            if kernel == "exact":
                cands["kernel"] = server(proto, dst, port)
            elif kernel == "wildcard":
                cands["kernel"] = server(proto, "0.0.0.0", port)
            rule = must("add-rule", "proto", proto, "dst", dst, "port", str(port),
                        "phase", phase, "redirect", "127.0.0.1:7100")
            got, _ = deliver(proto, dst, port, cands)
            report(got == want, f"{proto} redirect in phase {phase} with a {kernel or 'no'} "
                   f"socket of the kernel's: {want} receives", f"reached: {got}")
            must("del-rule", rule)
            for name, s in cands.items():
                if name != "target":
                    s.close()
        target.close()


def precedence_and_misses():
    """Against label rules; nothing at the target; no second pass over the rules."""
    labelled = server("tcp", "127.0.0.1", 0)
    must("register", "label", "lab", "fd", str(labelled.fileno()), fds=(labelled.fileno(),))
    target = server("tcp", "127.0.0.1", 7300)
    must("add-rule", "proto", "tcp", "dst", "198.51.100.128/25", "port", "7300",
         "redirect", "127.0.0.1")
    must("add-rule", "proto", "tcp", "dst", "198.51.100.130", "port", "7300", "label", "lab")
    must("add-rule", "proto", "tcp", "dst", "198.51.100.64/26", "port", "7300", "label", "lab")
    must("add-rule", "proto", "tcp", "dst", "198.51.100.70", "port", "7300",
         "redirect", "127.0.0.1")
    cands = {"target": target, "label": labelled}
    for dst, want in (("198.51.100.129", "target"), ("198.51.100.130", "label"),
                      ("198.51.100.65", "label"), ("198.51.100.70", "target")):
        got, _ = deliver("tcp", dst, 7300, cands)
        report(got == want, f"longest prefix decides between redirect and label: {dst} "
               f"reaches {want}", f"reached: {got}")

    # Nothing at the target: a miss, and the kernel's lookup of the original goes on.
    wild = server("tcp", "0.0.0.0", 7400)
    must("add-rule", "proto", "tcp", "dst", "192.0.2.80", "port", "7400",
         "redirect", "127.0.0.1:7401")
    retrans = syn_retransmits()
    got, local = deliver("tcp", "192.0.2.80", 7400, {"wild": wild})
    report(got == "wild", "nothing at the target: the kernel's own listener gets it",
           f"reached: {got}")
    hits, misses = rule_counts("192.0.2.80", "7400")
    extra = syn_retransmits() - retrans
    # A segment of the connection that arrives once its socket is gone (its FIN after the
    # service closed) is looked up as a listener's again, and so counts once more.
    report(misses and misses >= 1 and hits == misses, "nothing at the target counts a miss",
           f"hits {hits} misses {misses}; SYNs sent again: {extra}")
    wild.close()

    # The redirected lookup is not matched again: a rule for the target itself, and one
    # that sends the target back, change nothing.
    loop = server("tcp", "127.0.0.1", 7500)
    other = server("tcp", "127.0.0.1", 7501)
    must("add-rule", "proto", "tcp", "dst", "192.0.2.90", "port", "7500",
         "redirect", "127.0.0.1")
    must("add-rule", "proto", "tcp", "dst", "127.0.0.1", "port", "7500",
         "redirect", "127.0.0.1:7501")
    got, _ = deliver("tcp", "192.0.2.90", 7500, {"loop": loop, "other": other})
    report(got == "loop", "a redirected lookup is not matched against the rules again",
           f"reached: {got}")
    got, _ = deliver("tcp", "127.0.0.1", 7500, {"loop": loop, "other": other})
    report(got == "other", "the rule for the target address applies to its own traffic",
           f"reached: {got}")
    must("unregister", "label", "lab")
    for s in (labelled, target, loop, other):
        s.close()


def reuseport():
    """A reuseport group at the target chooses among its members, program included."""
    group = [server("tcp", "127.0.0.1", 7600, reuseport=True) for _ in range(2)]
    must("add-rule", "proto", "tcp", "dst", "192.0.2.100", "port", "80",
         "redirect", "127.0.0.1:7600")
    counts = accepts_per_member(group, ("192.0.2.100", 80))
    report(counts[0] > 0 and counts[1] > 0 and sum(counts) == 16,
           "a reuseport group at the target spreads redirected connections", counts)

    attach_reuseport_cbpf(group[0], 1)
    got = []
    for _ in range(4):
        c = socket.create_connection(("192.0.2.100", 80), timeout=3)
        ready, _, _ = select.select(group, [], [], 2)
        got.append(group.index(ready[0]) if ready else None)
        if ready:
            ready[0].accept()[0].close()
        c.close()
    report(got == [1, 1, 1, 1], "the target group's reuseport program chooses", got)
    for s in group:
        s.close()


def udp_reply_recipe():
    """The README's recipe behind a redirect that keeps the port: the service binds an
    address of its own, reads the datagram's destination and answers from it, so a client
    connected to the address it dialled accepts the answer."""
    for family, own, dst, prefix in ((4, "127.0.0.3", "198.51.100.33", "198.51.100.0/24"),
                                     (6, "::1", "2001:db8:1::33", "2001:db8:1::/64")):
        af = socket.AF_INET if family == 4 else socket.AF_INET6
        s = pktinfo_socket(family, own, 53)
        rule = must("add-rule", "proto", "udp", "dst", prefix, "port", "53", "redirect", own)
        c = socket.socket(af, socket.SOCK_DGRAM)
        c.connect((dst, 53))
        seen, answer = udp_round_trip(c, s, family)
        report(seen == dst and answer == b"query",
               f"udp{family}: a service behind a redirect answers from {dst}:53",
               f"service saw destination {seen}, client got {answer!r}")
        must("del-rule", rule)
        c.close()
        s.close()


def refusals():
    """The module refuses what a redirect cannot mean, naming the attribute."""
    g = Genl()

    def base(family=socket.AF_INET, action="SKL_ACTION_REDIRECT"):
        dst = socket.inet_pton(family, "192.0.2.0" if family == socket.AF_INET else "2001:db8::")
        return (u8(C["SKL_A_RULE_PROTO"], socket.IPPROTO_TCP)
                + u8(C["SKL_A_RULE_FAMILY"], family) + attr(C["SKL_A_RULE_DST"], dst)
                + u8(C["SKL_A_RULE_DST_PREFIXLEN"], 24 if family == socket.AF_INET else 64)
                + u8(C["SKL_A_RULE_ACTION"], C[action]))

    lo4 = attr(C["SKL_A_RULE_REDIRECT_ADDR"], socket.inet_aton("127.0.0.1"))
    rows = [
        (base(), "a redirect rule needs SKL_A_RULE_REDIRECT_ADDR"),
        (base() + lo4 + string(C["SKL_A_RULE_LABEL"], "web"), "only a steer rule takes a label"),
        (base(action="SKL_ACTION_DROP") + lo4,
         "only a redirect rule takes SKL_A_RULE_REDIRECT_ADDR and _PORT"),
        (base(action="SKL_ACTION_STEER") + string(C["SKL_A_RULE_LABEL"], "web")
         + u16(C["SKL_A_RULE_REDIRECT_PORT"], 80),
         "only a redirect rule takes SKL_A_RULE_REDIRECT_ADDR and _PORT"),
        (base(socket.AF_INET6) + lo4, "redirect address must be 16 bytes for AF_INET6"),
        (base() + attr(C["SKL_A_RULE_REDIRECT_ADDR"], bytes(4)),
         "redirect address must not be the unspecified address"),
        (base() + lo4 + u32(C["SKL_A_RULE_FLAGS"], C["SKL_RULE_F_NOREUSEPORT"]),
         "SKL_RULE_F_NOREUSEPORT goes with a steer rule only"),
    ]
    before = must("dump")
    for attrs, want in rows:
        try:
            g.request(C["SKL_CMD_RULE_ADD"], attrs)
            got = "accepted"
        except NetlinkError as err:
            got = err.strerror
        report(got == want, f"module refuses: {want}", f"got: {got}")
    report(must("dump") == before, "the refused requests changed nothing")
    g.close()


def round_trip():
    """dump prints redirect rules in the words apply reads back."""
    must("flush")
    rules = ("proto tcp dst 192.0.2.0/24 port 80 redirect 127.0.0.1:8081\n"
             "proto tcp dst 198.51.100.1 redirect 127.0.0.1:9000\n"
             "proto udp dst 2001:db8::/64 port 53 redirect [::1]:5353\n"
             "proto tcp dst 203.0.113.0/24 port 1000-2000 phase fallback redirect 127.0.0.1\n"
             "proto udp dst 2001:db8:5::/64 redirect ::1\n")
    res = subprocess.run(["sklookupctl", "apply", "-"], input=rules, capture_output=True,
                         text=True, timeout=30)
    dumped = must("dump")
    report(res.returncode == 0 and dumped == rules.strip(),
           "apply and dump keep redirect rules word for word", res.stderr + dumped)
    must("flush")


def main():
    local_routes("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
                 "2001:db8:1::/64", "2001:db8:2::/64")
    srv = {
        "web1": server("tcp", "127.0.0.1", 8081),
        "proxy": server("tcp", "127.0.0.1", 9000),
        "kept1500": server("tcp", "127.0.0.1", 1500),
        "kept1000": server("tcp", "127.0.0.1", 1000),
        "web6": server("tcp", "::1", 8081),
        "proxy6": server("tcp", "::1", 9000),
        "dns": server("udp", "127.0.0.1", 5353),
        "udpproxy": server("udp", "127.0.0.1", 9000),
        "dns6": server("udp", "::1", 5353),
    }
    for words in (
            "proto tcp dst 192.0.2.0/24 port 80 redirect 127.0.0.1:8081",
            "proto tcp dst 198.51.100.1 port any redirect 127.0.0.1:9000",
            "proto tcp dst 203.0.113.0/24 port 1000-2000 redirect 127.0.0.1",
            "proto tcp dst 2001:db8:1::/64 port 80 redirect [::1]:8081",
            "proto tcp dst 2001:db8:2::1 redirect [::1]:9000",
            "proto udp dst 192.0.2.0/24 port 53 redirect 127.0.0.1:5353",
            "proto udp dst 198.51.100.1 redirect 127.0.0.1:9000",
            "proto udp dst 2001:db8:1::/64 port 53 redirect [::1]:5353"):
        must("add-rule", *words.split())
    table(srv)
    for s in srv.values():
        s.close()
    must("flush")
    phases(srv)
    must("flush")
    precedence_and_misses()
    must("flush")
    reuseport()
    must("flush")
    udp_reply_recipe()
    refusals()
    round_trip()


if __name__ == "__main__":
    run(main, "redirect scenario")
