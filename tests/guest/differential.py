#!/usr/bin/env python3
"""Random namespaces against the model (model.py) and explain, with real traffic.

Each scenario: random sockets of the namespace (exact, wildcard, IPv4, IPv6 v6only and
dual stack, v4-mapped, reuseport groups with and without a program, connected UDP),
some registered under labels (some of those then closed, shut down or connected), and
a random rule set over every field, phase and action. Then random flows, TCP and UDP,
IPv4 and IPv6, sent for real. For each flow the socket that receives it (or the refusal)
must be one the model allows, and explain (the module's answer over generic netlink, and
sklookupctl -j explain for some flows) must give the model's verdict, rule, phase and
outcomes and name the socket that really receives it.

Seeded: SKL_DIFF_SEED repeats a run; SKL_DIFF_FLOWS flows in all (default 2000),
SKL_DIFF_PER_SCENARIO per scenario. A mismatch is shrunk to a minimal scenario and
printed as a command line that replays it (--replay FILE|JSON; --model to only ask the
model, which runs anywhere).
"""
import ipaddress
import json
import os
import random
import select
import socket
import struct
import subprocess
import sys
import time

import model
from genl import C, Genl, attr, messages, u8, u16, u32
from testlib import IPV6_FREEBIND, ctl, local_routes, must, report, run, syn_retransmits

SEED = int(os.environ.get("SKL_DIFF_SEED", random.SystemRandom().randrange(1 << 30)))
FLOWS = int(os.environ.get("SKL_DIFF_FLOWS", "2000"))
PER_SCENARIO = int(os.environ.get("SKL_DIFF_PER_SCENARIO", "100"))
# sklookupctl -j explain for one flow in this many (a process each, slow under emulation).
CTL_EVERY = int(os.environ.get("SKL_DIFF_CTL_EVERY", "20"))

D4 = ["192.0.2.1", "192.0.2.2", "198.51.100.1"]
D6 = ["2001:db8:1::1", "2001:db8:1::2"]
PORTS = [7001, 7002, 7003]
S4 = ["127.0.0.1", "127.0.0.2", "192.0.2.250"]
S6 = ["::1", "2001:db8:1::fe"]
LABELS = ["a", "b", "c", "e"]          # "e" is never registered
T4 = ["127.0.0.1", "127.0.0.2", "192.0.2.1"]
T6 = ["::1", "2001:db8:1::1"]
NOTHING_PORT = 7199                    # nothing is ever bound there
DEV = "skldiff0"                       # a device no flow comes in on
LOCAL = ["192.0.2.0/24", "198.51.100.0/24", "2001:db8:1::/64"]


# ---------------------------------------------------------------- generation

def slots(sock):
    """The (family, proto, port, address) places a listening socket takes in the kernel's
    lookup; two units on one place would be a tie the kernel breaks by chance."""
    out = []
    v4, v6 = model.v4_view(sock), model.v6_view(sock)
    if v4 is not None:
        out.append((4, sock["proto"], sock["port"], str(ipaddress.ip_address(v4))))
    if v6 is not None:
        out.append((6, sock["proto"], sock["port"], str(ipaddress.ip_address(v6))))
    return out


def gen_scenario(rng):
    sc = {"sockets": [], "groups": {}, "labels": {}, "rules": []}
    taken = {}
    private = iter(range(7101, 7190))
    nid = iter(range(1, 1000))

    def new_sock(proto, family, v6only, addr, port, **kw):
        s = {"id": next(nid), "proto": proto, "family": family, "v6only": v6only,
             "addr": addr, "port": port, "group": None, "state": "live", "peer": None}
        s.update(kw)
        return s

    for _ in range(rng.randint(4, 16)):
        proto = rng.choice(["tcp", "udp"])
        port = rng.choice(PORTS) if rng.random() < 0.7 else next(private)
        kind = rng.choice(["v4", "v4", "v4any", "v6", "v6any", "v6dual", "mapped", "v6plain"])
        if kind == "v4":
            family, v6only = 4, False
            addr = rng.choice(D4 + ["127.0.0.1"]) if port in PORTS else rng.choice(T4)
        elif kind == "v4any":
            family, v6only, addr = 4, False, "0.0.0.0"
        elif kind == "v6":
            family, v6only = 6, True
            addr = rng.choice(D6 + ["::1"]) if port in PORTS else rng.choice(T6)
        elif kind == "v6any":
            family, v6only, addr = 6, True, "::"
        elif kind == "v6dual":
            family, v6only, addr = 6, False, "::"
        elif kind == "mapped":
            family, v6only = 6, False
            addr = "::ffff:" + rng.choice(D4 + ["0.0.0.0", "127.0.0.1"])
        else:   # an IPv6 address, not v6only: serves IPv6 only all the same
            family, v6only, addr = 6, False, rng.choice(D6 + ["::1"])
        size = rng.choice([2, 3]) if rng.random() < 0.15 else 1
        members = [new_sock(proto, family, v6only, addr, port) for _ in range(size)]
        keys = slots(members[0])
        if any(k in taken for k in keys):
            continue
        for k in keys:
            taken[k] = members[0]["id"]
        if size > 1:
            gid = members[0]["id"]
            prog = rng.randrange(size) if rng.random() < 0.5 else None
            sc["groups"][str(gid)] = {"members": [m["id"] for m in members], "prog": prog}
            for m in members:
                m["group"] = gid
        sc["sockets"] += members
        if rng.random() < 0.7:
            # A socket belongs to one label at most; two members of a group may not.
            for m in rng.sample(members, 2 if size > 1 and rng.random() < 0.3 else 1):
                sc["labels"].setdefault(rng.choice(LABELS[:3]), []).append(m["id"])
            if size == 1 and rng.random() < 0.2:
                members[0]["state"] = rng.choice(
                    ["closed", "shut"] if proto == "tcp" else ["closed", "connected"])
        if size > 1 and rng.random() < 0.25:
            # The group's last member goes (the kernel then shrinks the group by one and
            # a program's indexes keep naming the same members).
            members[-1]["state"] = rng.choice(["closed", "shut"] if proto == "tcp"
                                              else ["closed"])
    # Connected UDP sockets of the kernel's, on an exact address, made last.
    for k in range(rng.choice([0, 0, 1, 2])):
        family = rng.choice([4, 6])
        addr = rng.choice(D4 if family == 4 else D6)
        port = rng.choice(PORTS)
        src = rng.choice(S4 if family == 4 else S6)
        group_there = any(s.get("group") is not None and s["proto"] == "udp"
                          and s["port"] == port for s in sc["sockets"])
        if not group_there:
            sc["sockets"].append(new_sock("udp", family, family == 6, addr, port,
                                          peer=[src, 7300 + k]))
    for rid in range(1, rng.randint(2, 16) + 1):
        rule = gen_rule(rng, rid, sc)
        if sc["rules"] and rng.random() < 0.25:
            # A twin of an older rule: the same match, so that only the later criteria
            # of precedence (source, device, age) tell them apart.
            old = rng.choice(sc["rules"])
            for key in ("proto", "dst", "port", "port_any", "src", "dev", "phase"):
                rule[key] = old.get(key)
            tweak = rng.random()
            if tweak < 0.25:
                rule["dev"] = None if old.get("dev") else "lo"
            elif tweak < 0.5 and family_of_rule(old) == 4:
                rule["src"] = None if old.get("src") else prefix(rng.choice(S4), 32)
            if rule["action"] == "redirect" and \
                    model.family_of(rule["target"][0]) != family_of_rule(rule):
                rule["action"], rule["target"] = "drop", None
        # The same words twice are one rule: apply refuses a file that repeats one.
        if any(same_rule(rule, x) for x in sc["rules"]):
            continue
        sc["rules"].append(rule)
    return sc


def same_rule(a, b):
    """Whether two model rules have the same words as the module compares them: how the
    defaults are spelt ("port any", "phase first") and the id aside."""
    def key(r):
        return (r["proto"], ipaddress.ip_network(r["dst"]), tuple(r["port"]),
                ipaddress.ip_network(r["src"]) if r.get("src") else None, r.get("dev"),
                r["phase"], r["action"], r.get("label") if r["action"] == "steer" else None,
                bool(r.get("noreuseport")) if r["action"] == "steer" else False,
                tuple(r["target"]) if r["action"] == "redirect" else None)
    return key(a) == key(b)


def family_of_rule(rule):
    return ipaddress.ip_network(rule["dst"]).version


def prefix(addr, plen):
    return str(ipaddress.ip_network(f"{addr}/{plen}", strict=False))


def gen_rule(rng, rid, sc):
    proto = rng.choice(["tcp", "udp"])
    family = 4 if rng.random() < 0.65 else 6
    base = rng.choice(D4 if family == 4 else D6)
    plen = rng.choice([8, 16, 24, 30, 32] if family == 4 else [32, 48, 64, 112, 128])
    rule = {"id": rid, "proto": proto, "dst": prefix(base, plen), "port": [0, 65535],
            "src": None, "dev": None, "phase": "first", "action": None, "label": None,
            "noreuseport": False, "target": None}
    p = rng.random()
    if p < 0.35:
        port = rng.choice(PORTS)
        rule["port"] = [port, port]
    elif p < 0.55:
        lo = rng.choice(PORTS)
        rule["port"] = [lo, lo + rng.choice([0, 1, 2, 150])]
    elif p < 0.7:
        rule["port_any"] = True
    if rng.random() < 0.2:
        src = rng.choice(S4 if family == 4 else S6)
        rule["src"] = prefix(src, rng.choice([8, 24, 32] if family == 4 else [64, 128]))
    if rng.random() < 0.12:
        rule["dev"] = rng.choice(["lo", "lo", DEV])
    rule["phase"] = rng.choice(["first", "first", "specific", "specific", "fallback"])
    rule["phase_given"] = rule["phase"] != "first" or rng.random() < 0.5
    a = rng.random()
    if a < 0.5:
        rule["action"] = "steer"
        rule["label"] = rng.choice(LABELS)
        rule["noreuseport"] = rng.random() < 0.25
    elif a < 0.8:
        rule["action"] = "redirect"
        ports = [s["port"] for s in sc["sockets"] if s["proto"] == proto] or PORTS
        t = rng.random()
        port = None if t < 0.3 else NOTHING_PORT if t < 0.4 else rng.choice(ports)
        rule["target"] = [rng.choice(T4 if family == 4 else T6), port]
    else:
        rule["action"] = "drop"
    return rule


def gen_flows(rng, sc, count):
    flows = []
    privates = sorted({s["port"] for s in sc["sockets"] if s["port"] not in PORTS})
    conns = [s for s in sc["sockets"] if s.get("peer")]
    for _ in range(count):
        if sc["rules"] and rng.random() < 0.5:
            flows.append(flow_in_rule(rng, rng.choice(sc["rules"]), privates))
            continue
        if conns and rng.random() < 0.1:
            c = rng.choice(conns)
            flows.append({"proto": "udp", "src": c["peer"][0], "dst": c["addr"],
                          "sport": c["peer"][1] if rng.random() < 0.8 else c["peer"][1] + 50,
                          "dport": c["port"], "dev": "lo"})
            continue
        family = 4 if rng.random() < 0.65 else 6
        dst = rng.choice(D4 if family == 4 else D6) if rng.random() < 0.9 else \
            ("127.0.0.1" if family == 4 else "::1")
        p = rng.random()
        dport = rng.choice(PORTS) if p < 0.85 or not privates else rng.choice(privates)
        if p > 0.97:
            dport = NOTHING_PORT
        flows.append({"proto": rng.choice(["tcp", "udp"]), "dst": dst, "dport": dport,
                      "src": rng.choice(S4 if family == 4 else S6),
                      "sport": rng.randrange(20000, 60000), "dev": "lo"})
    return flows


def flow_in_rule(rng, rule, privates):
    """A flow a rule matches, mostly: its protocol, an address of its prefix, a port of
    its range, a source of its source prefix."""
    net = ipaddress.ip_network(rule["dst"])
    family = net.version
    dsts = [a for a in (D4 if family == 4 else D6) if ipaddress.ip_address(a) in net]
    dst = rng.choice(dsts)
    if rng.random() < 0.3:
        # Another address of the prefix, where no socket is bound, if it is a local one.
        other = str(net[rng.randrange(min(net.num_addresses, 256))])
        if any(ipaddress.ip_address(other) in ipaddress.ip_network(p) for p in LOCAL):
            dst = other
    lo, hi = rule["port"]
    ports = [p for p in PORTS + privates if lo <= p <= hi]
    dport = rng.choice(ports) if ports and rng.random() < 0.9 else rng.randint(lo, min(hi, lo + 3))
    srcs = S4 if family == 4 else S6
    if rule.get("src"):
        srcs = [a for a in srcs if ipaddress.ip_address(a) in
                ipaddress.ip_network(rule["src"])] or srcs
    return {"proto": rule["proto"], "dst": dst, "dport": max(dport, 1),
            "src": rng.choice(srcs), "sport": rng.randrange(20000, 60000), "dev": "lo"}


# ---------------------------------------------------------------- the namespace

class Built:
    """A scenario made real: its sockets, labels and rules; torn down by close()."""

    def __init__(self, sc):
        self.sc = sc
        self.socks = {}
        self.inodes = {}
        try:
            self._build()
        except Exception:
            self.close()
            raise

    def _bind(self, s):
        af = socket.AF_INET6 if s["family"] == 6 else socket.AF_INET
        kind = socket.SOCK_STREAM if s["proto"] == "tcp" else socket.SOCK_DGRAM
        sock = socket.socket(af, kind)
        self.socks[s["id"]] = sock
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if not s.get("peer"):
            # Sockets of one port on different addresses coexist only with SO_REUSEPORT;
            # on one address they are then a group (the generator makes that a group).
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if af == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if s["v6only"] else 0)
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_FREEBIND, 1)
        sock.bind((s["addr"], s["port"]))
        if s["proto"] == "tcp":
            sock.listen(64)
        sock.setblocking(False)
        self.inodes[s["id"]] = os.fstat(sock.fileno()).st_ino

    def _build(self):
        sc = self.sc
        for s in sc["sockets"]:
            if not s.get("peer"):
                self._bind(s)
        for gid, g in sc["groups"].items():
            if g.get("prog") is not None:
                from testlib import attach_reuseport_cbpf
                attach_reuseport_cbpf(self.socks[g["members"][0]], g["prog"])
        for label, ids in sc["labels"].items():
            for i in ids:
                fd = self.socks[i].fileno()
                must("register", "label", label, "fd", str(fd), fds=(fd,))
        for s in sc["sockets"]:
            sock = self.socks.get(s["id"])
            if s["state"] == "closed":
                sock.close()
            elif s["state"] == "shut":
                sock.shutdown(socket.SHUT_RD)
            elif s["state"] == "connected":
                mapped = s["family"] == 6 and model.v4_view(s) and not model.v6_view(s)
                peer = "::ffff:127.0.0.9" if mapped else "::1" if s["family"] == 6 \
                    else "127.0.0.9"
                sock.connect((peer, 9))
        for s in sc["sockets"]:
            if s.get("peer"):
                self._bind(s)
                self.socks[s["id"]].connect(tuple(s["peer"]))
        lines = [model.rule_words(r) for r in sc["rules"]]
        res = subprocess.run(["sklookupctl", "apply", "-"], input="\n".join(lines) + "\n",
                             capture_output=True, text=True, timeout=60)
        if res.returncode:
            raise RuntimeError(f"apply failed: {res.stderr.strip()}\n" + "\n".join(lines))
        shown = json.loads(must("-j", "show"))["rules"]
        if len(shown) != len(lines):
            raise RuntimeError(f"apply gave {len(shown)} rules, not {len(lines)}")
        # Ids in the order of the file's lines: the model's "oldest" is the lowest id.
        for r, got in zip(sc["rules"], sorted(shown, key=lambda x: x["id"])):
            if got["proto"] != r["proto"] or got["phase"] != r["phase"] or \
                    ipaddress.ip_network(got["dst"]) != ipaddress.ip_network(r["dst"]):
                raise RuntimeError(f"rule ids are not in the order of apply's lines: {got}")
            r["kid"] = got["id"]

    def close(self):
        must("flush")
        for label in self.sc["labels"]:
            # A label whose sockets were all closed is gone already.
            res = ctl("unregister", "label", label)
            if res.returncode and "no socket is registered" not in res.stderr:
                raise RuntimeError(f"unregister label {label}: {res.stderr.strip()}")
        for s in self.socks.values():
            s.close()


def watched(built, proto):
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    out = {}
    for s in built.sc["sockets"]:
        sock = built.socks.get(s["id"])
        if sock is None or sock.fileno() < 0 or sock.type != kind:
            continue
        if proto == "tcp" and s["state"] != "live":
            continue
        out[s["id"]] = sock
    return out


def client_socket(flow):
    af = socket.AF_INET6 if ":" in flow["dst"] else socket.AF_INET
    c = socket.socket(af, socket.SOCK_STREAM if flow["proto"] == "tcp" else socket.SOCK_DGRAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if af == socket.AF_INET6:
        c.setsockopt(socket.IPPROTO_IPV6, IPV6_FREEBIND, 1)
    c.bind((flow["src"], flow["sport"]))
    return c


def send(built, flow):
    """Send the flow for real: the id of the socket that got it, "refused", or "nobody"."""
    cands = watched(built, flow["proto"])
    byfd = {s.fileno(): i for i, s in cands.items()}
    payload = os.urandom(6).hex().encode()
    with client_socket(flow) as c:
        c.settimeout(3)
        try:
            c.connect((flow["dst"], flow["dport"]))
            if flow["proto"] == "udp":
                c.send(payload)
        except ConnectionRefusedError:
            return "refused"
        except OSError as err:
            return f"error {err}"
        waits = [c] if flow["proto"] == "udp" else []
        ready, _, _ = select.select(list(cands.values()) + waits, [], [], 2)
        got = "nobody"
        for r in ready:
            if r is c:
                try:
                    c.recv(64)
                    got = "client got data"
                except ConnectionRefusedError:
                    got = "refused"
                continue
            i = byfd[r.fileno()]
            if flow["proto"] == "tcp":
                try:
                    conn, _ = r.accept()
                except BlockingIOError:
                    continue
                # A reset, not a close: no TIME_WAIT keeps the flow's 4-tuple, which a
                # replay (or a later flow) sends again.
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
                got = i
            else:
                data = r.recv(64)
                got = i if data == payload else f"{i} got {data!r}"
        return got


# ---------------------------------------------------------------- explain

def nested(data):
    """Every attribute of a run, in order, as (type, payload)."""
    out = []
    while len(data) >= 4:
        length, kind = struct.unpack_from("=HH", data)
        if length < 4:
            break
        out.append((kind & 0x3fff, data[4:length]))
        data = data[(length + 3) & ~3:]
    return out


VERDICTS = ["rule", "drop", "kernel", "none"]
OUTCOMES = ["decided", "no-socket", "outranked", "not-reached"]


class Explainer:
    def __init__(self):
        self.genl = Genl()

    def ask(self, flow):
        """The module's explain of a flow: {"verdict", "rule", "phase", "socket" (inode),
        "kernel_socket", "matches": [(id, phase, outcome)]}."""
        af = socket.AF_INET6 if ":" in flow["dst"] else socket.AF_INET
        proto = 6 if flow["proto"] == "tcp" else 17
        attrs = (u8(C["SKL_A_EXPLAIN_PROTO"], proto) + u8(C["SKL_A_EXPLAIN_FAMILY"], af)
                 + attr(C["SKL_A_EXPLAIN_DST"], socket.inet_pton(af, flow["dst"]))
                 + u16(C["SKL_A_EXPLAIN_DPORT"], flow["dport"])
                 + attr(C["SKL_A_EXPLAIN_SRC"], socket.inet_pton(af, flow["src"]))
                 + u16(C["SKL_A_EXPLAIN_SPORT"], flow["sport"])
                 + u32(C["SKL_A_EXPLAIN_IFINDEX"], socket.if_nametoindex(flow["dev"])))
        seq = self.genl.send(C["SKL_CMD_EXPLAIN"], attrs, flags=1)
        reply = None
        while reply is None:
            reply = next((m for m in messages(self.genl.sock.recv(1 << 16)) if m[2] == seq),
                         None)
        kind, _, _, msg = reply
        if kind == 2:
            raise RuntimeError(f"explain refused: {struct.unpack_from('=i', msg)[0]}")
        out = {"verdict": None, "rule": None, "phase": None, "socket": None,
               "kernel_socket": None, "matches": []}
        for t, p in nested(msg[4:]):
            if t == C["SKL_A_EXPLAIN_VERDICT"]:
                out["verdict"] = VERDICTS[p[0]]
            elif t == C["SKL_A_EXPLAIN_RULE_ID"]:
                out["rule"] = struct.unpack("=Q", p[:8])[0]
            elif t == C["SKL_A_EXPLAIN_PHASE"]:
                out["phase"] = model.PHASES[p[0]]
            elif t in (C["SKL_A_EXPLAIN_SOCKET"], C["SKL_A_EXPLAIN_KERNEL_SOCKET"]):
                ino = dict(nested(p)).get(C["SKL_A_SOCKET_INODE"])
                key = "socket" if t == C["SKL_A_EXPLAIN_SOCKET"] else "kernel_socket"
                out[key] = struct.unpack("=Q", ino[:8])[0]
            elif t == C["SKL_A_EXPLAIN_MATCH"]:
                m = dict(nested(p))
                out["matches"].append((
                    struct.unpack("=Q", m[C["SKL_A_EXPLAIN_MATCH_RULE_ID"]][:8])[0],
                    model.PHASES[m[C["SKL_A_EXPLAIN_MATCH_PHASE"]][0]],
                    OUTCOMES[m[C["SKL_A_EXPLAIN_MATCH_OUTCOME"]][0]]))
            elif t == C["SKL_A_EXPLAIN_TRUNCATED"]:
                out["truncated"] = True
        return out


def ctl_explain(flow):
    """The same question through sklookupctl -j explain, in the same form."""
    src = f"[{flow['src']}]:{flow['sport']}" if ":" in flow["src"] else \
        f"{flow['src']}:{flow['sport']}"
    doc = json.loads(must("-j", "explain", "proto", flow["proto"], "dst", flow["dst"],
                          "port", str(flow["dport"]), "src", src, "dev", flow["dev"]))
    return {"verdict": doc.get("verdict"), "rule": doc.get("rule"), "phase": doc.get("phase"),
            "socket": doc.get("socket", {}).get("inode"),
            "kernel_socket": doc.get("kernel_socket", {}).get("inode"),
            "matches": [(m["id"], m["phase"], m["outcome"]) for m in doc.get("matches", [])]}


# ---------------------------------------------------------------- comparison

def compare(sc, flow, want, got, exp, inodes):
    """What is wrong with the module's answer to one flow (empty when nothing is)."""
    bad = []
    by_inode = {v: k for k, v in inodes.items()}
    kid = {r["id"]: r.get("kid", r["id"]) for r in sc["rules"]}
    pick = want["pick"]
    if pick is None:
        if got != "refused":
            bad.append(f"delivered to {got}, the model says refused ({want['verdict']})")
    elif got not in pick.real:
        bad.append(f"delivered to {got}, the model says one of {sorted(pick.real)}")
    if exp is None:
        return bad
    if exp["verdict"] != want["verdict"]:
        bad.append(f"explain's verdict {exp['verdict']}, the model's {want['verdict']}")
    if want["rule"] is not None and exp["rule"] != kid[want["rule"]]:
        bad.append(f"explain's rule {exp['rule']}, the model's {kid[want['rule']]}")
    if want["phase"] is not None and exp["phase"] != want["phase"]:
        bad.append(f"explain's phase {exp['phase']}, the model's {want['phase']}")
    esock = by_inode.get(exp["socket"], exp["socket"])
    if pick is None:
        if exp["socket"] is not None:
            bad.append(f"explain names socket {esock}, the model none")
    else:
        if esock not in pick.hashed:
            bad.append(f"explain names socket {esock}, the model one of {sorted(pick.hashed)}")
        if pick.exact and isinstance(got, int) and esock != got:
            bad.append(f"explain names socket {esock}, socket {got} received")
    ksock = by_inode.get(exp["kernel_socket"], exp["kernel_socket"])
    if exp["kernel_socket"] is not None and (want["kernel"] is None
                                             or ksock not in want["kernel"].hashed):
        bad.append(f"explain's kernel answer {ksock}, the model's {want['kernel']}")
    rules = sorted((r for r in sc["rules"] if r["id"] in want["outcomes"]),
                   key=lambda r: (model.PHASES.index(r["phase"]), model.precedence(r)))
    wm = [(kid[r["id"]], r["phase"], want["outcomes"][r["id"]]) for r in rules]
    if exp["matches"] != wm and not exp.get("truncated"):
        bad.append(f"explain's matches {exp['matches']}, the model's {wm}")
    return bad


def check_flow(built, explainer, flow, use_ctl, sent):
    """Explain a flow, send it for real (appending each sending to sent), compare."""
    sc = built.sc
    want = model.decide(sc, flow)
    exp = explainer.ask(flow)
    got = send(built, flow)
    sent.append(flow)
    bad = compare(sc, flow, want, got, exp, built.inodes)
    if flow["proto"] == "udp" and isinstance(got, int) and len(want["pick"].real) > 1:
        # README: several fitting sockets share the flows by a hash of the 4-tuple, so a
        # flow always reaches the same socket.
        again = send(built, flow)
        sent.append(flow)
        if again != got:
            bad.append(f"the same flow sent again reached {again}, first {got}")
    if use_ctl:
        text = ctl_explain(flow)
        if text != {k: exp.get(k) for k in text}:
            bad.append(f"sklookupctl explain says {text}, the module {exp}")
    return bad, want, got, exp


def counters():
    """{("rule", id): (hits, misses), ("label", name): (lookups, delivered, misses)}."""
    doc = json.loads(must("-j", "show"))
    out = {("rule", r["id"]): (r.get("hits", 0), r.get("misses", 0)) for r in doc["rules"]}
    for lab in doc["labels"]:
        out[("label", lab["name"])] = (lab["lookups"], lab["delivered"], lab["misses"])
    return out


def expected_counters(sc, flows):
    """What show -s should count for these flows (README: a rule's hits are the lookups
    it matched and decided, a steer rule's with no live socket too; a redirect counts a
    miss when nothing is at its target; a label its lookups, delivered and misses)."""
    want = {}
    for flow in flows:
        got = model.decide(sc, flow)
        for r in sc["rules"]:
            outcome = got["outcomes"].get(r["id"])
            if outcome not in ("decided", "no-socket"):
                continue
            key = ("rule", r["kid"])
            hits, misses = want.get(key, (0, 0))
            miss = outcome == "no-socket" and r["action"] == "redirect"
            want[key] = (hits + 1, misses + miss)
            if r["action"] == "steer":
                key = ("label", r["label"])
                lookups, delivered, misses = want.get(key, (0, 0, 0))
                want[key] = (lookups + 1, delivered + (outcome == "decided"),
                             misses + (outcome == "no-socket"))
    return want


def counter_problems(sc, flows, before, after, retransmits):
    """Where the counters moved otherwise than expected_counters says; a SYN sent again
    may be looked up again (at most one lookup more each)."""
    want = expected_counters(sc, flows)
    bad = []
    for key in set(want) | set(after):
        if key[0] == "label" and key not in after:
            continue    # no sockets registered, or all released: show lists no such label
        old = before.get(key, (0,) * len(after.get(key, want.get(key))))
        moved = tuple(a - b for a, b in zip(after.get(key, old), old))
        exp = want.get(key, (0,) * len(moved))
        if moved != exp and not (retransmits and all(
                e <= m <= e + retransmits for e, m in zip(exp, moved))):
            bad.append(f"{key[0]} {key[1]}: counters moved by {moved}, expected {exp}")
    return bad


def run_one(sc, flows, explainer, ctl_every=0, count=False):
    """Build sc, send flows; [(flow index, problems, model, got, explain)] of the bad,
    with index None for counters that moved otherwise than the model says."""
    built = Built(sc)
    out = []
    try:
        if count:
            before, syns = counters(), syn_retransmits()
        sent = []
        for n, flow in enumerate(flows):
            use_ctl = ctl_every and n % ctl_every == 0
            bad, want, got, exp = check_flow(built, explainer, flow, use_ctl, sent)
            if bad:
                out.append((n, bad, want, got, exp))
        if count and not out:
            bad = counter_problems(sc, sent, before, counters(), syn_retransmits() - syns)
            if bad:
                out.append((None, bad, None, None, None))
    finally:
        built.close()
    return out


# ---------------------------------------------------------------- shrinking

def without_socket_unit(sc, sid):
    """sc without socket sid (and the rest of its reuseport group)."""
    s = next(x for x in sc["sockets"] if x["id"] == sid)
    gone = {sid}
    if s.get("group") is not None:
        gone = set(sc["groups"][str(s["group"])]["members"])
    new = json.loads(json.dumps(sc))
    new["sockets"] = [x for x in new["sockets"] if x["id"] not in gone]
    if s.get("group") is not None:
        del new["groups"][str(s["group"])]
    new["labels"] = {k: [i for i in v if i not in gone] for k, v in new["labels"].items()}
    new["labels"] = {k: v for k, v in new["labels"].items() if v}
    return new


def candidates(sc):
    """Smaller scenarios, most shrinking first."""
    for r in sc["rules"]:
        new = json.loads(json.dumps(sc))
        new["rules"] = [x for x in new["rules"] if x["id"] != r["id"]]
        yield new
    seen = set()
    for s in sc["sockets"]:
        key = s.get("group") or s["id"]
        if key in seen:
            continue
        seen.add(key)
        yield without_socket_unit(sc, s["id"])
    for label, ids in sc["labels"].items():
        for i in ids:
            new = json.loads(json.dumps(sc))
            new["labels"][label] = [x for x in ids if x != i]
            if not new["labels"][label]:
                del new["labels"][label]
            yield new
    for r in sc["rules"]:
        for key, plain in (("src", None), ("dev", None), ("noreuseport", False),
                           ("port_any", False), ("phase_given", False)):
            if r.get(key) not in (None, False):
                new = json.loads(json.dumps(sc))
                next(x for x in new["rules"] if x["id"] == r["id"])[key] = plain
                yield new


def renumber(sc):
    """Rule ids 1, 2, ... in order (a replay applies them in that order)."""
    for n, r in enumerate(sc["rules"], 1):
        r["id"] = n
        r.pop("kid", None)
    return sc


def shrink(sc, flow, explainer, budget=120):
    sc = renumber(json.loads(json.dumps(sc)))
    tries = 0
    progress = True
    while progress and tries < budget:
        progress = False
        for cand in candidates(sc):
            tries += 1
            if tries > budget:
                break
            try:
                cand = renumber(cand)
                if run_one(cand, [flow], explainer):
                    sc = cand
                    progress = True
                    break
            except Exception:  # pylint: disable=broad-except
                continue   # a smaller scenario the kernel refuses to build is no smaller one
    return sc


def strip(sc):
    """The scenario as a replay reads it, without the model's bookkeeping."""
    out = json.loads(json.dumps({k: v for k, v in sc.items() if not k.startswith("_")}))
    for r in out["rules"]:
        r.pop("kid", None)
    return out


def repro_line(sc, flow):
    doc = json.dumps({"scenario": strip(sc), "flows": [flow]}, separators=(",", ":"))
    return ("modprobe sklookup && python3 /opt/sklookup/tests/differential.py --replay "
            f"'{doc}'")


# ---------------------------------------------------------------- main

def setup():
    local_routes(*LOCAL)
    subprocess.run(["ip", "-6", "addr", "replace", "2001:db8:1::fe/128", "dev", "lo"],
                   check=True)
    subprocess.run(["ip", "link", "add", DEV, "type", "dummy"], capture_output=True)
    # Every refused datagram must bring its port unreachable back at once.
    for key, value in (("net/ipv4/icmp_ratelimit", "0"), ("net/ipv6/icmp/ratelimit", "0"),
                       ("net/ipv4/icmp_msgs_per_sec", "100000"),
                       ("net/ipv4/icmp_msgs_burst", "100000")):
        try:
            with open(f"/proc/sys/{key}", "w", encoding="ascii") as f:
                f.write(value)
        except OSError:
            pass


def main():
    setup()
    rng = random.Random(SEED)
    explainer = Explainer()
    total, agree, scenarios, mismatches = 0, 0, 0, []
    verdicts = {}
    # Flows that agree prove little unless they met every verdict and outcome and the
    # harder cases: a connected socket, the dual-stack fallback, a reuseport program.
    # Some seeds give none of one in 2,000 flows (dual-stack, seed 800923938): more
    # scenarios are drawn then, up to five times the flows asked for.
    wanted = ["rule", "drop", "kernel", "none", "connected", "dual-stack", "program",
              "several"] + [f"outcome {o}" for o in OUTCOMES]
    start = time.monotonic()
    while total < FLOWS or (FLOWS >= 1000 and total < 5 * FLOWS
                            and any(k not in verdicts for k in wanted)):
        scenarios += 1
        sc = gen_scenario(rng)
        flows = gen_flows(rng, sc, min(PER_SCENARIO, max(FLOWS - total, PER_SCENARIO // 4)))
        try:
            for f in flows:
                want = model.decide(sc, f)
                pick = want["pick"]
                for key, seen in ((want["verdict"], True),
                                  ("connected", want["verdict"] == "kernel"
                                   and want["kernel"] is None),
                                  ("dual-stack", pick is not None and pick.dual),
                                  ("program", pick is not None and not pick.exact),
                                  ("several", pick is not None and len(pick.real) > 1),
                                  *((f"outcome {o}", True)
                                    for o in set(want["outcomes"].values()))):
                    if seen:
                        verdicts[key] = verdicts.get(key, 0) + 1
        except model.Ambiguous as err:
            report(False, f"seed {SEED}: scenario {scenarios} is one the model can decide",
                   str(err))
            continue
        bad = run_one(sc, flows, explainer, CTL_EVERY, count=True)
        total += len(flows)
        agree += len(flows) - len([b for b in bad if b[0] is not None])
        if bad and bad[0][0] is None:
            mismatches.append((scenarios, "counters"))
            print(f"# seed {SEED} scenario {scenarios}: the counters disagree with the model")
            for p in bad[0][1]:
                print(f"#   {p}")
            doc = json.dumps({"scenario": strip(sc), "flows": flows, "count": True},
                             separators=(",", ":"))
            print("# repeat: modprobe sklookup && python3 /opt/sklookup/tests/differential.py "
                  f"--replay '{doc}'")
        elif bad:
            n, problems, want, got, exp = bad[0]
            mismatches.append((scenarios, len(bad)))
            print(f"# seed {SEED} scenario {scenarios}: {len(bad)} of {len(flows)} flows "
                  f"disagree; the first, flow {n}: {json.dumps(flows[n])}")
            for p in problems:
                print(f"#   {p}")
            small = shrink(sc, flows[n], explainer)
            again = run_one(small, [flows[n]], explainer)
            print("# shrunk to:")
            for line in json.dumps(strip(small), indent=None).splitlines():
                print(f"#   {line}")
            for p in (again[0][1] if again else ["(the shrunk scenario passes)"]):
                print(f"#   {p}")
            print(f"# repeat: {repro_line(small, flows[n])}")
            sys.stdout.flush()
    secs = time.monotonic() - start
    print(f"# {total} flows in {scenarios} scenarios, {secs:.0f}s; what the model "
          f"decided (flows): {sorted(verdicts.items())}")
    report(not mismatches, f"seed {SEED}: {total} random flows in {scenarios} scenarios "
           f"land where the model says and where explain says ({agree} agree)",
           f"scenarios with mismatches (scenario, flows): {mismatches}")
    missing = [k for k in wanted if k not in verdicts]
    report(not missing or FLOWS < 1000, f"seed {SEED}: the flows met every verdict, "
           "outcome and kind of socket", f"never met: {missing}")


def replay(doc, model_only):
    doc = json.loads(open(doc).read() if os.path.exists(doc) else doc)
    sc, flows = doc["scenario"], doc["flows"]
    for n, flow in enumerate(flows):
        print(f"# flow {n}: {json.dumps(flow)}")
        print(f"#   model: {model.decide(sc, flow)}")
    if model_only:
        return
    setup()
    bad = run_one(sc, flows, Explainer(), ctl_every=1, count=doc.get("count", False))
    for n, problems, want, got, exp in bad:
        for p in problems:
            print(f"#   flow {n}: {p}")
    report(not bad, "replayed scenario: every flow lands where the model says")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] in ("--replay", "--model"):
        run(lambda: replay(sys.argv[2], sys.argv[1] == "--model"), "replay")
    print(f"# differential seed {SEED} (SKL_DIFF_SEED={SEED} repeats it), {FLOWS} flows")
    sys.stdout.flush()
    run(main, f"differential (seed {SEED})")
