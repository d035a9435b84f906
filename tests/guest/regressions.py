#!/usr/bin/env python3
"""Defects found once, each a row that failed before its fix.

Issue 16, 1: a first-phase rule whose label has no live socket must leave the kernel's own
answer alone. For UDP the rule's miss overwrote it, so a datagram for a socket bound to the
exact address reached nobody.
Issue 16, 4: a label name of a lone NUL byte passed the "empty label name" check; committed
through apply, it left a steer rule without a label, which the first matching lookup (or an
unprivileged explain) dereferenced.
A label whose sockets did not fit one dump message (128 sockets) was left out of show, and
so was every label after it: the dump ended early.
A socket bound to a v4-mapped address serves IPv4 only; a label's pick gave it IPv6 flows.
A tunnel's UDP socket (here fou's) keeps its port: GRO looks the port up without a packet,
unsteered, and merges for that socket, so delivery must not hand its datagrams elsewhere.
A plain dump (without --generation) read its rules over several messages with no check
that they stayed the same: during an apply it printed part of the old set and part of the
new one, which `dump | apply -` then put in force.
Issue 17, 2 (found by 76-statefuzz): the module took a port range from 0 to less than
65535 (0-80, or 0 alone) from a raw client; dump printed it as "port 0-80", which apply
refuses (ports are 1 to 65535), so "dump | apply -" failed with such a rule in force.
Issue 19, 4: the module took any bytes as a label name; a control character or bytes that
are not UTF-8 broke the lines of show and monitor and the JSON of -j for every reader.
"""
import json
import os
import socket
import subprocess
import time

from genl import C, Genl, NetlinkError, attr, flag, string, u8, u16, u32
from testlib import deliver, kernel_socket, local_routes, must, report, run


def ghost_label_first_phase():
    """Issue 16, 1: rule to a label without sockets, exact and wildcard sockets of the
    kernel's on the port: each keeps what the kernel gives it."""
    local_routes("192.0.2.0/24", "2001:db8:16::/64")
    for proto in ("tcp", "udp"):
        for family, prefix, exact, wildcard in (
                (4, "192.0.2.0/24", "192.0.2.5", "0.0.0.0"),
                (6, "2001:db8:16::/64", "2001:db8:16::5", "::")):
            port = 8016 if family == 4 else 8017
            rule = must("add-rule", "proto", proto, "dst", prefix, "port", str(port),
                        "phase", "first", "label", "ghost")
            socks = {"exact": kernel_socket(proto, exact, port),
                     "wildcard": kernel_socket(proto, wildcard, port)}
            other = exact[:-1] + "6"
            try:
                for dst, want in ((exact, "exact"), (other, "wildcard")):
                    got = deliver(proto, dst, port, socks)[0]
                    report(got == want, f"{proto}{family}: a first-phase rule to a label "
                           f"without sockets leaves {dst} to the kernel's {want} socket",
                           f"reached: {got}")
            finally:
                for s in socks.values():
                    s.close()
                must("del-rule", rule)


def steer_attrs(label, family=socket.AF_INET):
    addr = socket.inet_pton(family, "192.0.2.0" if family == socket.AF_INET else "2001:db8::")
    return (u8(C["SKL_A_RULE_PROTO"], socket.IPPROTO_UDP) + u8(C["SKL_A_RULE_FAMILY"], family)
            + attr(C["SKL_A_RULE_DST"], addr) + u8(C["SKL_A_RULE_DST_PREFIXLEN"], 24)
            + u16(C["SKL_A_RULE_PORT_MIN"], 53) + u16(C["SKL_A_RULE_PORT_MAX"], 53)
            + u8(C["SKL_A_RULE_ACTION"], C["SKL_ACTION_STEER"])
            + attr(C["SKL_A_RULE_LABEL"],
                   (label if isinstance(label, bytes) else label.encode()) + b"\0"))


def refused(name, send, want):
    try:
        send()
    except NetlinkError as err:
        report(err.errno == 22 and str(err.strerror) == want, name,
               f"errno {err.errno}, message {err.strerror!r}")
        return
    report(False, name, "accepted")


def nul_label():
    """Issue 16, 4: a label of one NUL byte is an empty name on every path."""
    g = Genl()
    refused("add-rule with a label of one NUL byte is refused: empty label name",
            lambda: g.request(C["SKL_CMD_RULE_ADD"], steer_attrs("")), "empty label name")
    g.request(C["SKL_CMD_RULE_BEGIN"])
    refused("a staged rule with a label of one NUL byte is refused: empty label name",
            lambda: g.request(C["SKL_CMD_RULE_ADD"], steer_attrs("") +
                              flag(C["SKL_A_RULE_STAGE"])), "empty label name")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        refused("register under a label of one NUL byte is refused: empty label name",
                lambda: g.request(C["SKL_CMD_SOCKET_ADD"],
                                  string(C["SKL_A_LABEL_NAME"], "") +
                                  u32(C["SKL_A_LABEL_FD"], s.fileno())),
                "empty label name")
    try:
        g.request(C["SKL_CMD_RULE_COMMIT"])
    except NetlinkError:
        pass
    g.close()
    out = json.loads(must("-j", "explain", "proto", "udp", "dst", "192.0.2.1", "port", "53"))
    report(out["verdict"] != "rule", "explain of the flow after the refusals: no rule "
           "decides it", out)
    report(must("dump") == "", "nothing was committed by the refused requests", must("dump"))


def unprintable_labels():
    """Issue 19, 4: a label is printable text, on every path that names one."""
    g = Genl()
    bad = ((b"web\tfront", "label name with a control character"),
           (b"web\x1b[2J", "label name with a control character"),
           (b"web\x7f", "label name with a control character"),
           (b"web\xe2\x80\xaecod", "label name with a control character"),
           (b"web\xe2\x80\xa8", "label name with a control character"),
           (b"caf\xe9", "label name not valid UTF-8"),
           (b"\xc0\xaf", "label name not valid UTF-8"),
           (b"\xed\xa0\x80", "label name not valid UTF-8"),
           (b"web\xe2\x82", "label name not valid UTF-8"))
    for name, want in bad:
        refused(f"add-rule with the label {name!r} is refused: {want}",
                lambda: g.request(C["SKL_CMD_RULE_ADD"], steer_attrs(name)), want)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            refused(f"register under the label {name!r} is refused: {want}",
                    lambda: g.request(C["SKL_CMD_SOCKET_ADD"],
                                      attr(C["SKL_A_LABEL_NAME"], name + b"\0") +
                                      u32(C["SKL_A_LABEL_FD"], s.fileno())), want)
    g.request(C["SKL_CMD_RULE_ADD"], steer_attrs("café→web"))
    g.close()
    out = must("dump")
    report(out.endswith(" label café→web") and "\n" not in out,
           "a label of printable UTF-8 is taken, and dump prints it as it was given", out)
    must("flush")


def big_label():
    """A label of 600 sockets, several dump messages long, then a label after it."""
    g = Genl()
    socks = []
    for name, count in (("big", 600), ("after", 1)):
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            g.request(C["SKL_CMD_SOCKET_ADD"], string(C["SKL_A_LABEL_NAME"], name) +
                      u32(C["SKL_A_LABEL_FD"], s.fileno()))
    g.close()
    labels = {l["name"]: l for l in json.loads(must("-j", "show"))["labels"]}
    got = {name: len(l["sockets"]) for name, l in labels.items()}
    report(got.get("big") == 600 and got.get("after") == 1,
           "show -j lists a label of 600 sockets whole, once, and the label after it",
           f"sockets per label: {got}")
    ports = {s["port"] for s in labels.get("big", {}).get("sockets", [])}
    report(len(ports) == 600, "show -j: the 600 sockets are 600 different ones",
           f"{len(ports)} distinct ports")
    text = must("show")
    report(text.count("\n  big") + text.startswith("  big") == 1,
           "show names the label of 600 sockets once", text[:400])
    prom = must("stats", "--prometheus")
    report("sklookup_sockets 601" in prom.splitlines(),
           "stats --prometheus counts the 601 sockets", [l for l in prom.splitlines()
                                                         if "sockets" in l][:5])
    for s in socks:
        s.close()


def v4mapped_label():
    """A TCP socket of IPv6 bound to ::ffff:127.0.0.1 answers IPv4 flows, never IPv6."""
    local_routes("192.0.2.0/24", "2001:db8:16::/64")
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::ffff:127.0.0.1", 0))
    s.listen(8)
    must("register", "label", "mapped", "fd", str(s.fileno()), fds=(s.fileno(),))
    rules = [must("add-rule", "proto", "tcp", "dst", dst, "port", "8018", "label", "mapped")
             for dst in ("192.0.2.0/24", "2001:db8:16::/64")]
    try:
        for dst, want in (("192.0.2.7", "mapped"), ("2001:db8:16::7", "ECONNREFUSED")):
            got = deliver("tcp", dst, 8018, {"mapped": s})[0]
            report(got == want, f"tcp to {dst}: a label socket bound to ::ffff:127.0.0.1 "
                   f"gives {want}", f"reached: {got}")
    finally:
        for rule in rules:
            must("del-rule", rule)
        s.close()


def tunnel_port():
    """A first or specific rule does not take datagrams from a fou socket's port."""
    subprocess.run(["modprobe", "fou"], check=False)
    res = subprocess.run(["ip", "fou", "add", "port", "5555", "ipproto", "4"],
                         capture_output=True, text=True, check=False)
    if res.returncode:
        report(False, "ip fou add port 5555 ipproto 4", res.stderr)
        return
    local_routes("192.0.2.0/24")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    must("register", "label", "tunnelled", "fd", str(s.fileno()), fds=(s.fileno(),))
    try:
        for phase in ("first", "specific"):
            rule = must("add-rule", "proto", "udp", "dst", "192.0.2.0/24", "port", "5555",
                        "phase", phase, "label", "tunnelled")
            got = deliver("udp", "192.0.2.9", 5555, {"label": s})[0]
            report(got == "nobody", f"a {phase} rule leaves the datagrams of fou's port "
                   "5555 to fou", f"reached: {got}")
            must("del-rule", rule)
    finally:
        s.close()
        subprocess.run(["ip", "fou", "del", "port", "5555"], check=False)


def dump_consistent():
    rules = 3000        # a few dozen dump messages
    sets = {name: "".join(f"proto udp dst 10.1.{i >> 8}.{i & 255} port {port} label {name}\n"
                          for i in range(rules))
            for name, port in (("a", 1000), ("b", 2000))}
    subprocess.run(["sklookupctl", "apply", "-"], input=sets["a"], text=True, check=True,
                   stdout=subprocess.DEVNULL)
    pid = os.fork()
    if pid == 0:
        try:
            deadline = time.monotonic() + 25
            while time.monotonic() < deadline:
                for name in ("b", "a"):
                    subprocess.run(["sklookupctl", "apply", "-"], input=sets[name], text=True,
                                   capture_output=True, check=False)
        finally:
            os._exit(0)
    mixed, failed, dumps = [], [], 0
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            res = subprocess.run(["sklookupctl", "dump"], capture_output=True, text=True,
                                 check=False)
            dumps += 1
            if res.returncode:
                failed.append(res.stderr.strip())
                continue
            lines = res.stdout.splitlines()
            labels = {line.rsplit(" ", 1)[-1] for line in lines}
            if len(labels) != 1 or len(lines) != rules:
                mixed.append(f"{len(lines)} rules, labels {sorted(labels)}")
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    report(not mixed, f"dump during applies prints one whole set ({dumps} dumps)",
           "\n".join(mixed[:5]))
    report(len(failed) < dumps, "and most dumps succeed", "\n".join(failed[:3]))


def port_zero():
    """Issue 17, 2: port 0 only as part of any port, so that dump prints what apply reads."""
    g = Genl()
    want = "port 0 only as part of any port (0-65535): ports are 1 to 65535"
    base = (u8(C["SKL_A_RULE_PROTO"], socket.IPPROTO_UDP)
            + u8(C["SKL_A_RULE_FAMILY"], socket.AF_INET)
            + attr(C["SKL_A_RULE_DST"], socket.inet_aton("192.0.2.0"))
            + u8(C["SKL_A_RULE_DST_PREFIXLEN"], 24)
            + u8(C["SKL_A_RULE_ACTION"], C["SKL_ACTION_DROP"]))
    for name, ports in (("0-80", u16(C["SKL_A_RULE_PORT_MIN"], 0)
                         + u16(C["SKL_A_RULE_PORT_MAX"], 80)),
                        ("0 alone", u16(C["SKL_A_RULE_PORT_MIN"], 0)
                         + u16(C["SKL_A_RULE_PORT_MAX"], 0)),
                        ("up to 80, no lowest port", u16(C["SKL_A_RULE_PORT_MAX"], 80))):
        refused(f"a rule of ports {name} is refused: {want}",
                lambda ports=ports: g.request(C["SKL_CMD_RULE_ADD"], base + ports), want)
    g.request(C["SKL_CMD_RULE_ADD"], base + u16(C["SKL_A_RULE_PORT_MIN"], 0)
              + u16(C["SKL_A_RULE_PORT_MAX"], 65535))
    g.close()
    before = must("dump")
    res = subprocess.run("sklookupctl dump | sklookupctl apply -", shell=True,
                         capture_output=True, text=True, check=False)
    report(res.returncode == 0 and must("dump") == before and bool(before),
           "dump | apply - after rules added by a raw client changes nothing",
           f"exit {res.returncode}: {res.stderr.strip()}; before {before!r}")
    must("flush")


def main():
    must("flush")
    dump_consistent()
    ghost_label_first_phase()
    nul_label()
    unprintable_labels()
    big_label()
    v4mapped_label()
    tunnel_port()
    port_zero()


run(main, "regressions")
