#!/usr/bin/env python3
"""sklookupctl explain against what really happens.

Differential: a random rule set over every match field, phase and action, the kernel's
own listeners on exact and wildcard addresses, labels with and without sockets, redirect
targets with and without a listener; then random flows. For each flow, explain must name
the socket that then really receives it, or say it is refused when it is. Seeded; the
seed is in every failure. Then fixed rows for the text output and the no-side-effect
promise. Prints one "ok - ..."/"not ok - ..." line per check.
"""
import json
import os
import random
import re
import select
import socket
import subprocess
import sys

from testlib import IPV6_FREEBIND, local_routes, must, report, run

SEED = int(os.environ.get("SKL_EXPLAIN_SEED", random.SystemRandom().randrange(1 << 30)))
RULES = 300
FLOWS = 120

V4_DSTS = [f"192.0.2.{i}" for i in (1, 2, 3, 70, 129, 200)] + ["198.51.100.1", "198.51.100.77"]
V6_DSTS = ["2001:db8:1::1", "2001:db8:1::2", "2001:db8:1::80", "2001:db8:2::5"]
# Ports no other guest test dials: a connection steered to a socket bound elsewhere leaves
# its TIME_WAIT under the dialled port, where it would refuse these tests' binds.
PORTS = [5053, 5080, 5443, 5808, 5900]
V4_SRCS = ["127.0.0.1", "127.0.0.2", "127.0.1.9", "192.0.2.250"]
V6_SRCS = ["::1", "2001:db8:1::fe"]
# No rule covers this address: flows to it show the kernel's own answer, or none.
UNRULED = "203.0.113.5"


def inode(s):
    return os.fstat(s.fileno()).st_ino


def bind(proto, family, addr, port, listen=True):
    af = socket.AF_INET6 if family == 6 else socket.AF_INET
    s = socket.socket(af, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # A listener on the wildcard address and one on an exact address share their port.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if family == 6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        # Addresses of a local route are not interface addresses: IPv6 needs freebind.
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_FREEBIND, 1)
    s.bind((addr, port))
    if proto == "tcp" and listen:
        s.listen(64)
    s.setblocking(False)
    return s


def random_prefix(rng, family):
    if family == 4:
        base = rng.choice(V4_DSTS)
        plen = rng.choice([8, 16, 24, 25, 26, 30, 32])
        net = int.from_bytes(socket.inet_aton(base), "big") & ~((1 << (32 - plen)) - 1)
        return f"{socket.inet_ntoa((net & 0xffffffff).to_bytes(4, 'big'))}/{plen}"
    base = rng.choice(V6_DSTS)
    plen = rng.choice([32, 48, 64, 120, 128])
    net = int.from_bytes(socket.inet_pton(socket.AF_INET6, base), "big")
    net &= ~((1 << (128 - plen)) - 1) & ((1 << 128) - 1)
    return f"{socket.inet_ntop(socket.AF_INET6, net.to_bytes(16, 'big'))}/{plen}"


def random_rule(rng, targets):
    proto = rng.choice(["tcp", "udp"])
    family = rng.choice([4, 4, 6])
    words = ["proto", proto, "dst", random_prefix(rng, family)]
    port = rng.random()
    if port < 0.5:
        words += ["port", str(rng.choice(PORTS))]
    elif port < 0.8:
        lo = rng.choice(PORTS)
        words += ["port", f"{lo}-{lo + rng.choice([0, 10, 500, 9000])}"]
    if rng.random() < 0.2:
        src = rng.choice(V4_SRCS if family == 4 else V6_SRCS)
        plen = rng.choice([8, 24, 32]) if family == 4 else rng.choice([64, 128])
        net = socket.inet_pton(socket.AF_INET if family == 4 else socket.AF_INET6, src)
        bits = len(net) * 8
        value = int.from_bytes(net, "big") & ~((1 << (bits - plen)) - 1) & ((1 << bits) - 1)
        text = socket.inet_ntop(socket.AF_INET if family == 4 else socket.AF_INET6,
                                value.to_bytes(len(net), "big"))
        words += ["src", f"{text}/{plen}"]
    if rng.random() < 0.1:
        words += ["dev", rng.choice(["lo", "explain0"])]
    words += ["phase", rng.choice(["first", "first", "specific", "fallback"])]
    action = rng.random()
    if action < 0.55:
        words += ["label", rng.choice(["alpha", "beta", "gamma", "empty"])]
    elif action < 0.85:
        words += ["redirect", rng.choice(targets[(proto, family)])]
    else:
        words += ["drop"]
    return " ".join(words)


def explain(proto, dst, port, src, sport):
    res = subprocess.run(["sklookupctl", "-j", "explain", "proto", proto, "dst", dst, "port",
                          str(port), "src", f"[{src}]:{sport}" if ":" in src else
                          f"{src}:{sport}", "dev", "lo"],
                         capture_output=True, text=True, timeout=30)
    if res.returncode:
        raise RuntimeError(f"explain failed: {res.stderr.strip()}")
    return json.loads(res.stdout)


def client(proto, src):
    """A client socket bound to src and a port the kernel chose, so that it is free."""
    c = socket.socket(socket.AF_INET6 if ":" in src else socket.AF_INET,
                      socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    c.bind((src, 0))
    return c


def deliver(c, proto, dst, port, sockets):
    """Send the flow for real: the inode of the socket that received it, or None."""
    c.settimeout(3)
    payload = os.urandom(6).hex().encode()
    try:
        if proto == "tcp":
            c.connect((dst, port))
        else:
            c.sendto(payload, (dst, port))
    except ConnectionRefusedError:
        c.close()
        return None
    wanted = [s for s in sockets if s.type == c.type]
    ready, _, _ = select.select(wanted, [], [], 2 if proto == "tcp" else 0.5)
    got = None
    for s in ready:
        if proto == "tcp":
            try:
                conn, _ = s.accept()
            except BlockingIOError:
                continue
            conn.close()
            got = inode(s)
        else:
            data = s.recv(64)
            if data == payload:
                got = inode(s)
    c.close()
    return got


def differential():
    rng = random.Random(SEED)
    subprocess.run(["ip", "link", "add", "explain0", "type", "dummy"], check=True)
    sockets = []
    # The kernel's own sockets: exact and wildcard, for some of the ports.
    for proto in ("tcp", "udp"):
        for family, dsts, wild in ((4, V4_DSTS, "0.0.0.0"), (6, V6_DSTS, "::")):
            for dst in rng.sample(dsts, 2):
                sockets.append(bind(proto, family, dst, rng.choice(PORTS)))
            sockets.append(bind(proto, family, wild, rng.choice(PORTS)))
        sockets.append(bind(proto, 4, UNRULED, PORTS[1] if proto == "tcp" else PORTS[0]))
    # Labels with a socket of each kind; "empty" gets none.
    for name in ("alpha", "beta", "gamma"):
        for proto in ("tcp", "udp"):
            for family, lo in ((4, "127.0.0.1"), (6, "::1")):
                s = bind(proto, family, lo, 0)
                sockets.append(s)
                must("register", "label", name, "fd", str(s.fileno()), fds=(s.fileno(),))
    # Redirect targets: one that listens and one that does not, per kind.
    targets = {}
    for proto in ("tcp", "udp"):
        for family, lo in ((4, "127.0.0.1"), (6, "::1")):
            s = bind(proto, family, lo, 0)
            sockets.append(s)
            port = s.getsockname()[1]
            fmt = "{}:{}" if family == 4 else "[{}]:{}"
            targets[(proto, family)] = [fmt.format(lo, port), fmt.format(lo, 1),
                                        lo if family == 4 else "::1"]
    # The same words twice are one rule, which apply refuses in a file: draw on until
    # RULES different ones ("port N-N" is "port N").
    lines, seen = [], set()
    while len(lines) < RULES:
        line = random_rule(rng, targets)
        key = re.sub(r"port (\d+)-\1\b", r"port \1", line)
        if key not in seen:
            seen.add(key)
            lines.append(line)
    res = subprocess.run(["sklookupctl", "apply", "-"], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, timeout=60)
    report(res.returncode == 0, f"seed {SEED}: apply {RULES} random rules", res.stderr)

    before = must("-j", "show")
    agree = 0
    bad = []
    verdicts, outcomes = {}, {}
    # The first flows are sure to meet the kernel's own answer and nothing at all.
    controls = [("tcp", UNRULED, PORTS[1]), ("udp", UNRULED, PORTS[0]),
                ("tcp", UNRULED, PORTS[2]), ("udp", UNRULED, PORTS[2])]
    for i in range(FLOWS):
        proto = rng.choice(["tcp", "udp"])
        dst = rng.choice(V4_DSTS + V4_DSTS + V6_DSTS)
        port = rng.choice(PORTS)
        if i < len(controls):
            proto, dst, port = controls[i]
        src = rng.choice(V4_SRCS if ":" not in dst else V6_SRCS)
        c = client(proto, src)
        sport = c.getsockname()[1]
        doc = explain(proto, dst, port, src, sport)
        verdicts[doc["verdict"]] = verdicts.get(doc["verdict"], 0) + 1
        for m in doc["matches"]:
            outcomes[m["outcome"]] = outcomes.get(m["outcome"], 0) + 1
        want = doc["socket"]["inode"] if "socket" in doc else None
        got = deliver(c, proto, dst, port, sockets)
        if got == want:
            agree += 1
        else:
            bad.append(f"{proto} {src}:{sport} -> {dst}:{port}: explain said "
                       f"{doc['verdict']} {want}, really {got}: {json.dumps(doc)}")
    report(not bad, f"seed {SEED}: explain names the socket that really receives each of "
           f"{FLOWS} random flows ({agree} agree)", "\n".join(bad[:5]))
    # The flows must exercise every verdict and outcome, or agreeing proves little.
    print(f"# verdicts {sorted(verdicts.items())}, outcomes {sorted(outcomes.items())}")
    report(len(verdicts) == 4 and len(outcomes) == 4,
           f"seed {SEED}: the random flows met every verdict and every outcome",
           f"verdicts {verdicts}, outcomes {outcomes}")
    # explain itself moves no counter: only the flows sent for real did. Explain the same
    # flows again and compare.
    after = must("-j", "show")
    for _ in range(20):
        explain(rng.choice(["tcp", "udp"]), rng.choice(V4_DSTS), rng.choice(PORTS),
                "127.0.0.1", 12345)
    report(must("-j", "show") == after and before != after,
           f"seed {SEED}: explain moves no counter")
    must("flush")
    for name in ("alpha", "beta", "gamma"):
        must("unregister", "label", name)
    for s in sockets:
        s.close()
    subprocess.run(["ip", "link", "del", "explain0"], check=True)


def fixed_rows():
    """The text a person reads, for flows that show every verdict and outcome."""
    web = bind("tcp", 4, "127.0.0.1", 5581)
    must("register", "label", "web", "fd", str(web.fileno()), fds=(web.fileno(),))
    wild = bind("tcp", 4, "0.0.0.0", 5580)
    rules = ("proto tcp dst 192.0.2.0/24 port 5580 label web\n"
             "proto tcp dst 192.0.0.0/16 port 5580 label web\n"
             "proto tcp dst 192.0.2.8 port 5580 label empty\n"
             "proto tcp dst 192.0.2.0/24 phase fallback drop\n")
    subprocess.run(["sklookupctl", "apply", "-"], input=rules, text=True, check=True,
                   stdout=subprocess.DEVNULL)
    a, b, c, d = [r["id"] for r in json.loads(must("-j", "show"))["rules"]]
    pid = os.getpid()
    web_line = f"tcp inet 127.0.0.1:5581 inode {inode(web)} pid {pid} (python3)"
    wild_line = f"tcp inet 0.0.0.0:5580 inode {inode(wild)} pid {pid} (python3)"
    rows = [
        (["tcp", "192.0.2.7", "5580", "127.0.0.1:40000"], f"""tcp from 127.0.0.1:40000 to 192.0.2.7:5580
rule {a} in phase first steers it to label web
  socket: {web_line}
  instead of the kernel's answer: {wild_line}
  rules that match:
    {a:<4} first    decided     proto tcp dst 192.0.2.0/24 port 5580 label web
    {b:<4} first    outranked   proto tcp dst 192.0.0.0/16 port 5580 label web
    {d:<4} fallback not-reached proto tcp dst 192.0.2.0/24 phase fallback drop"""),
        (["tcp", "192.0.2.8", "5580", None], f"""tcp from any to 192.0.2.8:5580
the kernel's own lookup answers: no rule decided
  socket: {wild_line}
  rules that match:
    {c:<4} first    no-socket   proto tcp dst 192.0.2.8 port 5580 label empty
    {a:<4} first    outranked   proto tcp dst 192.0.2.0/24 port 5580 label web
    {b:<4} first    outranked   proto tcp dst 192.0.0.0/16 port 5580 label web
    {d:<4} fallback not-reached proto tcp dst 192.0.2.0/24 phase fallback drop"""),
        (["tcp", "192.0.2.9", "5582", None], f"""tcp from any to 192.0.2.9:5582
rule {d} in phase fallback drops it: the connection is refused
  rules that match:
    {d:<4} fallback decided     proto tcp dst 192.0.2.0/24 phase fallback drop"""),
        (["udp", "192.0.2.9", "5582", None], """udp from any to 192.0.2.9:5582
nothing answers: the datagram is dropped (port unreachable)
  no rule matches"""),
    ]
    for (proto, dst, port, src), want in rows:
        args = ["explain", "proto", proto, "dst", dst, "port", port]
        text = must(*args, *(["src", src] if src else []))
        report(text == want, "sklookupctl " + " ".join(args) + " prints what it should",
               f"want:\n{want}\ngot:\n{text}")
    must("flush")
    must("unregister", "label", "web")
    web.close()
    wild.close()


def main():
    local_routes("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
                 "2001:db8:1::/64", "2001:db8:2::/64")
    subprocess.run(["ip", "-6", "addr", "add", "2001:db8:1::fe/128", "dev", "lo"], check=True)
    fixed_rows()
    differential()


if __name__ == "__main__":
    print(f"# explain seed {SEED} (SKL_EXPLAIN_SEED={SEED} repeats it)")
    sys.stdout.flush()
    run(main, f"explain scenario (seed {SEED})")
