#!/usr/bin/env python3
"""A reference model of sklookup's decision, written from the README ("How rules decide",
"Edges", Troubleshooting's explain), not from the module's code.

A scenario is plain data (JSON): the sockets of a namespace, the labels and the rules.
decide(scenario, flow) says which socket receives a new connection or datagram, or that
none does, and what explain should say about each rule that matches. Where the README
leaves the choice to a hash (several sockets of a label, a reuseport group without a
program), the model answers with the set of sockets that may receive.

Sockets: {"id", "proto": "tcp"|"udp", "family": 4|6, "v6only", "addr", "port",
  "group": None or a group id, "state": "live"|"closed"|"shut"|"connected",
  "peer": None or [addr, port] (a connected UDP socket)}.
Groups: {gid: {"members": [socket ids in the order they joined], "prog": None or index}}.
Labels: {name: [socket ids in the order they were registered]}.
Rules (ids in the order they were added): {"id", "proto", "dst", "port": [lo, hi],
  "src": None or prefix, "dev": None or name, "phase", "action": "steer"|"redirect"|"drop",
  "label", "noreuseport", "target": [addr, port or None]}.
Flow: {"proto", "src", "sport", "dst", "dport", "dev"}.
"""
import ipaddress
import json
import sys

PHASES = ("first", "specific", "fallback")


def family_of(addr):
    return 6 if ":" in addr else 4


def v4_view(sock):
    """The IPv4 address a socket serves IPv4 on ("0.0.0.0" for any), or None: an IPv4
    socket its own address; an IPv6 one that is not v6only :: (dual stack) or its
    v4-mapped address (README, Edges: ::ffff:0.0.0.0 is a wildcard for IPv4)."""
    if sock["family"] == 4:
        return sock["addr"]
    if sock["v6only"]:
        return None
    addr = ipaddress.IPv6Address(sock["addr"])
    if addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    if addr == ipaddress.IPv6Address("::"):
        return "0.0.0.0"
    return None


def v6_view(sock):
    """The IPv6 address a socket serves IPv6 on ("::" for any), or None."""
    if sock["family"] != 6:
        return None
    addr = ipaddress.IPv6Address(sock["addr"])
    if addr.ipv4_mapped is not None:
        return None
    return str(addr)


def same_addr(a, b):
    return ipaddress.ip_address(a) == ipaddress.ip_address(b)


def listening(sock):
    """A socket the kernel's listener (TCP) or unconnected (UDP) lookup can return."""
    return sock["state"] == "live" and not sock.get("peer")


def serves(sock, proto, dst, dport, wildcard):
    """Whether the kernel's own lookup of dst:dport finds sock in its exact-address pass
    (wildcard False) or its wildcard pass."""
    if sock["proto"] != proto or sock["port"] != dport or not listening(sock):
        return False
    if family_of(dst) == 4:
        view, anyaddr = v4_view(sock), "0.0.0.0"
    else:
        view, anyaddr = v6_view(sock), "::"
    if view is None:
        return False
    if wildcard:
        return same_addr(view, anyaddr)
    return same_addr(view, dst) and not same_addr(view, anyaddr)


class Ambiguous(Exception):
    """The scenario asks what the README does not say (two equal sockets of the kernel's
    on one address and port): the generator must not make it."""


class Pick:
    """Who may receive: real, the sockets the traffic may reach; hashed, the sockets
    explain may name (it runs no reuseport program); exact, whether the one explain names
    must be the one that really receives (no program on the way)."""

    def __init__(self, real, hashed, exact=True):
        self.real, self.hashed, self.exact = frozenset(real), frozenset(hashed), exact
        self.dual = False

    def __repr__(self):
        return f"Pick(real={sorted(self.real)}, explain={sorted(self.hashed)}, exact={self.exact})"


def group_pick(sc, sock, use_group=True):
    """A socket, through its reuseport group's selection (and the group's program)."""
    gid = sock.get("group")
    if gid is None or not use_group:
        return Pick([sock["id"]], [sock["id"]])
    group = sc["groups"][str(gid)]
    members = [m for m in group["members"] if listening(sc["_by_id"][m])]
    if group.get("prog") is not None and group["prog"] < len(members):
        return Pick([members[group["prog"]]], members, exact=False)
    return Pick(members, members)


def kernel_lookup(sc, proto, dst, dport):
    """The kernel's listener / unconnected lookup: sockets bound to exactly dst:dport,
    else wildcard ones; ("exact"|"wildcard", Pick) or (None, None)."""
    for kind, wildcard in (("exact", False), ("wildcard", True)):
        found = [s for s in sc["sockets"] if serves(s, proto, dst, dport, wildcard)]
        if not found:
            continue
        units = {("g", s["group"]) if s.get("group") is not None else ("s", s["id"])
                 for s in found}
        if len(units) > 1:
            # The kernel prefers an IPv4 socket to a dual-stack one for IPv4; still one.
            v4 = [s for s in found if s["family"] == 4]
            units4 = {("g", s["group"]) if s.get("group") is not None else ("s", s["id"])
                      for s in v4}
            if family_of(dst) == 4 and len(units4) == 1:
                found = v4
            else:
                raise Ambiguous(f"{proto} {dst}:{dport}: several sockets {sorted(units)}")
        return kind, group_pick(sc, found[0])
    return None, None


def connected_lookup(sc, flow):
    """A connected UDP socket whose 4-tuple is the flow's: it keeps it (README: phases
    come after the kernel's established/connected-socket lookup)."""
    if flow["proto"] != "udp":
        return None
    for s in sc["sockets"]:
        peer = s.get("peer")
        if (s["proto"] == "udp" and s["state"] == "live" and peer
                and s["port"] == flow["dport"] and same_addr(peer[0], flow["src"])
                and peer[1] == flow["sport"]):
            view = v4_view(s) if family_of(flow["dst"]) == 4 else v6_view(s)
            if view is not None and (same_addr(view, flow["dst"]) or
                                     ipaddress.ip_address(view).is_unspecified):
                return s
    return None


def rule_matches(rule, flow):
    """Protocol, destination prefix, port range, source prefix, ingress device."""
    if rule["proto"] != flow["proto"] or family_of(rule["dst"]) != family_of(flow["dst"]):
        return False
    if ipaddress.ip_address(flow["dst"]) not in ipaddress.ip_network(rule["dst"]):
        return False
    lo, hi = rule["port"]
    if not lo <= flow["dport"] <= hi:
        return False
    if rule.get("src") and (flow.get("src") is None or ipaddress.ip_address(flow["src"])
                            not in ipaddress.ip_network(rule["src"])):
        return False
    if rule.get("dev") and rule["dev"] != flow.get("dev"):
        return False
    return True


def precedence(rule):
    """Longest destination prefix, narrowest port range, longest source prefix, a device
    over none, the oldest."""
    lo, hi = rule["port"]
    src = ipaddress.ip_network(rule["src"]).prefixlen if rule.get("src") else -1
    return (-ipaddress.ip_network(rule["dst"]).prefixlen, hi - lo, -src,
            0 if rule.get("dev") else 1, rule["id"])


def fits(sock, proto, family):
    """A live socket of the label that can take a packet of this protocol and family."""
    if sock["proto"] != proto or not listening(sock):
        return False
    if family == 6:
        return v6_view(sock) is not None
    return sock["family"] == 4


def dual_stack(sock, proto):
    """An IPv6 socket that can take an IPv4 packet: not v6only, on :: or a v4-mapped
    address (a socket bound to a plain IPv6 address serves no IPv4 at all)."""
    return (sock["proto"] == proto and listening(sock) and sock["family"] == 6
            and v4_view(sock) is not None)


def steer(sc, rule, flow):
    """A steer rule's answer: a live socket of its label that fits, by hash, then its
    reuseport group unless noreuseport; None when the label has none."""
    family = family_of(flow["dst"])
    socks = [sc["_by_id"][i] for i in sc["labels"].get(rule["label"], [])]
    fitting = [s for s in socks if fits(s, flow["proto"], family)]
    dual = False
    if family == 4 and not fitting:
        fitting = [s for s in socks if dual_stack(s, flow["proto"])]
        dual = True
    if not fitting:
        return None
    real, hashed, exact = set(), set(), True
    for s in fitting:
        p = group_pick(sc, s, not rule.get("noreuseport"))
        real |= p.real
        hashed |= p.hashed
        exact &= p.exact
    pick = Pick(real, hashed, exact)
    pick.dual = dual
    return pick


def redirect(sc, rule, flow):
    """What the kernel's own lookup finds at the target (the packet's port when the rule
    names none), exact address first; not matched against the rules again."""
    addr, port = rule["target"]
    _, pick = kernel_lookup(sc, flow["proto"], addr, port or flow["dport"])
    return pick


def decide(sc, flow):
    """The model's answer for one flow: {"verdict": "rule"|"drop"|"kernel"|"none",
    "rule", "phase", "pick": Pick or None, "kernel": the kernel's own Pick or None,
    "outcomes": {rule id: outcome}} (the outcomes of explain's "rules that match")."""
    sc["_by_id"] = {s["id"]: s for s in sc["sockets"]}
    matching = sorted((r for r in sc["rules"] if rule_matches(r, flow)), key=precedence)
    outcomes = {r["id"]: "not-reached" for r in matching}
    kind, kpick = kernel_lookup(sc, flow["proto"], flow["dst"], flow["dport"])
    out = {"verdict": None, "rule": None, "phase": None, "pick": None, "kernel": kpick,
           "outcomes": outcomes}
    conn = connected_lookup(sc, flow)
    if conn is not None:
        out.update(verdict="kernel", pick=Pick([conn["id"]], [conn["id"]]), kernel=None)
        return out
    for phase in PHASES:
        if phase == "specific" and kind == "exact":
            break
        if phase == "fallback" and kind == "wildcard":
            break
        rules = [r for r in matching if r["phase"] == phase]
        if rules:
            winner = rules[0]
            for r in rules[1:]:
                outcomes[r["id"]] = "outranked"
            if winner["action"] == "drop":
                outcomes[winner["id"]] = "decided"
                out.update(verdict="drop", rule=winner["id"], phase=phase)
                return out
            pick = (steer if winner["action"] == "steer" else redirect)(sc, winner, flow)
            if pick is not None:
                outcomes[winner["id"]] = "decided"
                out.update(verdict="rule", rule=winner["id"], phase=phase, pick=pick)
                return out
            outcomes[winner["id"]] = "no-socket"
    if kind is not None:
        out.update(verdict="kernel", pick=kpick)
        return out
    out.update(verdict="none")
    return out


def parse_rule(line, rid):
    """A rule in the words of add-rule (as apply reads them) in the model's form."""
    w = line.split()
    rule = {"id": rid, "proto": None, "dst": None, "port": [0, 65535], "src": None,
            "dev": None, "phase": "first", "action": None, "label": None,
            "noreuseport": False, "target": None}
    i = 0
    while i < len(w):
        key = w[i]
        if key in ("proto", "dst", "src", "dev", "phase", "label"):
            rule[key] = w[i + 1]
            if key == "label":
                rule["action"] = "steer"
            i += 2
        elif key == "port":
            v = w[i + 1]
            if v == "any":
                rule["port"] = [0, 65535]
            elif "-" in v:
                rule["port"] = [int(x) for x in v.split("-")]
            else:
                rule["port"] = [int(v), int(v)]
            i += 2
        elif key == "redirect":
            rule["action"] = "redirect"
            t = w[i + 1]
            if t.startswith("["):
                addr, _, port = t[1:].partition("]")
                port = port[1:]
            elif t.count(":") == 1:
                addr, port = t.split(":")
            else:
                addr, port = t, ""
            rule["target"] = [addr, int(port) if port else None]
            i += 2
        elif key == "drop":
            rule["action"] = "drop"
            i += 1
        elif key == "noreuseport":
            rule["noreuseport"] = True
            i += 1
        else:
            raise ValueError(f"unknown word {key!r} in {line!r}")
    if "/" not in rule["dst"]:
        rule["dst"] += "/32" if family_of(rule["dst"]) == 4 else "/128"
    if rule["src"] and "/" not in rule["src"]:
        rule["src"] += "/32" if family_of(rule["src"]) == 4 else "/128"
    return rule


def rule_words(rule):
    """The add-rule words of a model rule, as apply reads them."""
    w = ["proto", rule["proto"], "dst", rule["dst"]]
    lo, hi = rule["port"]
    if (lo, hi) != (0, 65535) or rule.get("port_any"):
        w += ["port", "any" if (lo, hi) == (0, 65535) else str(lo) if lo == hi else f"{lo}-{hi}"]
    if rule.get("src"):
        w += ["src", rule["src"]]
    if rule.get("dev"):
        w += ["dev", rule["dev"]]
    if rule["phase"] != "first" or rule.get("phase_given"):
        w += ["phase", rule["phase"]]
    if rule["action"] == "steer":
        w += ["label", rule["label"]] + (["noreuseport"] if rule.get("noreuseport") else [])
    elif rule["action"] == "redirect":
        addr, port = rule["target"]
        if port is None:
            w += ["redirect", addr]
        else:
            w += ["redirect", f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"]
    else:
        w += ["drop"]
    return " ".join(w)


def readme_rows():
    """The README's own examples, decided by the model: (name, ok, detail)."""
    rows = []
    # Troubleshooting: the explain example. Rules 1, 2 and 4 match (3 does not); the
    # kernel has 0.0.0.0:80; label web holds 127.0.0.1:8081.
    sc = {"sockets": [
        {"id": 1, "proto": "tcp", "family": 4, "v6only": False, "addr": "127.0.0.1",
         "port": 8081, "group": None, "state": "live", "peer": None},
        {"id": 2, "proto": "tcp", "family": 4, "v6only": False, "addr": "0.0.0.0",
         "port": 80, "group": None, "state": "live", "peer": None}],
        "groups": {}, "labels": {"web": [1]},
        "rules": [parse_rule("proto tcp dst 192.0.2.0/24 port 80 label web", 1),
                  parse_rule("proto tcp dst 192.0.0.0/16 port 80 label web", 2),
                  parse_rule("proto tcp dst 198.51.100.0/24 port 80 label web", 3),
                  parse_rule("proto tcp dst 192.0.2.0/24 phase fallback drop", 4)]}
    got = decide(sc, {"proto": "tcp", "src": "10.0.0.1", "sport": 40000, "dst": "192.0.2.7",
                      "dport": 80, "dev": None})
    ok = (got["verdict"] == "rule" and got["rule"] == 1 and got["phase"] == "first"
          and got["pick"].real == {1} and got["kernel"].real == {2}
          and got["outcomes"] == {1: "decided", 2: "outranked", 4: "not-reached"})
    rows.append(("README explain example: rule 1 in phase first steers to web, instead "
                 "of the kernel's 0.0.0.0:80; 2 outranked, 4 not reached", ok, got))
    # The two scenarios: redirects by prefix, a proxy for every port of one address.
    socks = [{"id": i, "proto": "tcp", "family": 4, "v6only": False, "addr": "127.0.0.1",
              "port": p, "group": None, "state": "live", "peer": None}
             for i, p in ((1, 8081), (2, 8082), (3, 9000))]
    sc = {"sockets": socks, "groups": {}, "labels": {},
          "rules": [parse_rule("proto tcp dst 192.0.2.0/24 port 80 redirect 127.0.0.1:8081", 1),
                    parse_rule("proto tcp dst 198.51.100.0/24 port 80 redirect 127.0.0.1:8082", 2),
                    parse_rule("proto tcp dst 198.51.100.1 port any redirect 127.0.0.1:9000", 3)]}
    for dst, port, want in (("192.0.2.7", 80, 1), ("198.51.100.9", 80, 2),
                            ("198.51.100.1", 80, 3), ("198.51.100.1", 4242, 3)):
        got = decide(sc, {"proto": "tcp", "src": "127.0.0.1", "sport": 1, "dst": dst,
                          "dport": port, "dev": None})
        rows.append((f"README scenario: {dst}:{port} reaches server {want}",
                     got["verdict"] == "rule" and got["pick"].real == {want}, got))
    # How rules decide: phases against the kernel's exact and wildcard sockets.
    for phase, bound, want in (("first", "192.0.2.40", 9), ("specific", "192.0.2.40", 8),
                               ("specific", "0.0.0.0", 9), ("fallback", "0.0.0.0", 8),
                               ("fallback", None, 9)):
        socks = [{"id": 9, "proto": "udp", "family": 4, "v6only": False, "addr": "127.0.0.1",
                  "port": 5353, "group": None, "state": "live", "peer": None}]
        if bound:
            socks.append({"id": 8, "proto": "udp", "family": 4, "v6only": False, "addr": bound,
                          "port": 53, "group": None, "state": "live", "peer": None})
        sc = {"sockets": socks, "groups": {}, "labels": {"p": [9]},
              "rules": [parse_rule(f"proto udp dst 192.0.2.40 port 53 phase {phase} label p", 1)]}
        got = decide(sc, {"proto": "udp", "src": "127.0.0.1", "sport": 1, "dst": "192.0.2.40",
                          "dport": 53, "dev": None})
        rows.append((f"README phases: {phase} with the kernel's socket on {bound}: "
                     f"{'the rule' if want == 9 else 'the kernel'} answers",
                     got["pick"] is not None and got["pick"].real == {want}, got))
    return rows


if __name__ == "__main__":
    bad = 0
    for name, ok, detail in readme_rows():
        print(f"{'ok' if ok else 'not ok'} - model: {name}")
        if not ok:
            bad += 1
            print(f"# {json.dumps(detail, default=repr)}")
    sys.exit(1 if bad else 0)
