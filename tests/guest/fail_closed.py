#!/usr/bin/env python3
"""else drop: a steer rule whose label has no live socket drops the packet instead of
letting the kernel's own lookup answer, so that a stopped service's traffic never reaches
another listener (as Cloudflare's tubular does). Sent here as the rule's flag
SKL_RULE_F_ELSE_DROP by a raw client; the CLI's word for it is tested in cli.sh."""
import itertools
import json
import socket

from genl import C, Genl, attr, u8, u16, u32
from testlib import deliver, kernel_socket, local_routes, must, report, run

ELSE_DROP = 0x2
PORTS = itertools.count(5400)


def rule_attrs(proto, family, prefix, plen, port, label, phase, flags, action="steer"):
    return (u8(C["SKL_A_RULE_PROTO"], socket.IPPROTO_TCP if proto == "tcp" else socket.IPPROTO_UDP)
            + u8(C["SKL_A_RULE_FAMILY"], family)
            + attr(C["SKL_A_RULE_DST"], socket.inet_pton(family, prefix))
            + u8(C["SKL_A_RULE_DST_PREFIXLEN"], plen)
            + u16(C["SKL_A_RULE_PORT_MIN"], port) + u16(C["SKL_A_RULE_PORT_MAX"], port)
            + u8(C["SKL_A_RULE_PHASE"], C[f"SKL_PHASE_{phase.upper()}"])
            + u8(C["SKL_A_RULE_ACTION"], C[f"SKL_ACTION_{action.upper()}"])
            + (attr(C["SKL_A_RULE_LABEL"], label.encode() + b"\0") if label else b"")
            + (u32(C["SKL_A_RULE_FLAGS"], flags) if flags else b""))


def one(g, proto, family, phase, flags):
    v4 = family == socket.AF_INET
    prefix, plen, dst = ("192.0.2.0", 24, "192.0.2.9") if v4 else ("2001:db8:54::", 64,
                                                                 "2001:db8:54::9")
    # A port per case: a TCP connection accepted in one leaves the port in TIME_WAIT.
    port = next(PORTS)
    kernel = kernel_socket(proto, "0.0.0.0" if v4 else "::", port)
    g.request(C["SKL_CMD_RULE_ADD"], rule_attrs(proto, family, prefix, plen, port, "stopped",
                                                phase, flags))
    try:
        got = deliver(proto, dst, port, {"kernel": kernel})[0]
        # A fallback rule answers only lookups the kernel found nothing for: with the
        # kernel's wildcard socket there, it is not reached, flag or not.
        dropped = flags and phase != "fallback"
        want = ("ECONNREFUSED" if proto == "tcp" else "nobody") if dropped else "kernel"
        how = "else drop" if flags else "no flag"
        report(got == want, f"{proto}{4 if v4 else 6} {phase} rule, {how}, label without "
               f"sockets: {want}", f"reached: {got}")
        if dropped:
            label = socket.socket(socket.AF_INET if v4 else socket.AF_INET6,
                                  socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
            label.bind(("127.0.0.1" if v4 else "::1", 0))
            if proto == "tcp":
                label.listen(8)
            must("register", "label", "stopped", "fd", str(label.fileno()), fds=(label.fileno(),))
            got = deliver(proto, dst, port, {"kernel": kernel, "label": label})[0]
            report(got == "label", f"{proto}{4 if v4 else 6} {phase} rule, else drop: a "
                   "socket registered again gets the traffic", f"reached: {got}")
            must("unregister", "label", "stopped")
            label.close()
    finally:
        kernel.close()
        must("flush")


def main():
    local_routes("192.0.2.0/24", "2001:db8:54::/64")
    g = Genl()
    for proto in ("tcp", "udp"):
        for family in (socket.AF_INET, socket.AF_INET6):
            for phase in ("first", "specific", "fallback"):
                for flags in (0, ELSE_DROP):
                    one(g, proto, family, phase, flags)
    g.request(C["SKL_CMD_RULE_ADD"], rule_attrs("udp", socket.AF_INET, "192.0.2.0", 24, 53,
                                                "stopped", "first", ELSE_DROP))
    out = json.loads(must("-j", "explain", "proto", "udp", "dst", "192.0.2.1", "port", "53"))
    report(out.get("verdict") == "drop", "explain: else drop with no socket is a drop",
           json.dumps(out))
    stats = json.loads(must("-j", "show"))
    report("stopped" in json.dumps(stats), "show -j lists the rule's label", json.dumps(stats))
    must("flush")
    try:
        g.request(C["SKL_CMD_RULE_ADD"], rule_attrs("udp", socket.AF_INET, "192.0.2.0", 24, 53,
                                                    None, "first", ELSE_DROP, "drop"))
        report(False, "else drop on a drop rule is refused", "accepted")
    except OSError as err:
        report(str(err.strerror) == "SKL_RULE_F_ELSE_DROP goes with a steer rule only",
               "else drop on a drop rule is refused, naming the flag", str(err.strerror))
    g.close()


run(main, "fail-closed")
