#!/usr/bin/env python3
"""Fuzz the module's generic netlink API with messages built from its spec.

usage: nlfuzz.py [--messages N] [--seed S] [--senders K] [--min-reasons M]

Each sender opens netlink sockets and sends N messages: mostly well-formed requests of
the family's operations (from tests/guest/sklookup-spec.json, the YAML spec as JSON) with
attribute values drawn near the edges of what the module accepts, mutated one way or
another: wrong types and lengths, truncated and oversized attributes, unknown commands,
attributes and flag bits, nesting where none belongs, dumps abandoned half way, staged
sets never committed, sockets closed in the middle. It checks nothing itself but that the
kernel keeps answering, and that the messages reach the module's own checks: at least M
(25) distinct extack messages among the rejections. The caller checks the module's state
afterwards. Prints two lines: "# fuzz: N messages, ...", with what the kernel answered,
and the distinct rejection messages met, with their counts.
"""
import argparse
import collections
import errno
import json
import os
import random
import select
import socket
import struct
import sys

from genl import error_text, Genl, messages, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR

SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sklookup-spec.json")
NLA_F_NESTED = 0x8000
NLA_F_NET_BYTEORDER = 0x4000


def load_spec(path=SPEC):
    """Attribute sets as {set: [(name, value, type)]} and operations as a list of
    (name, cmd, set, request attribute names, is_dump)."""
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    sets = {}
    for aset in spec["attribute-sets"]:
        attrs, nxt = [], 0
        for a in aset["attributes"]:
            nxt = a.get("value", nxt)
            attrs.append((a["name"], nxt, a["type"]))
            nxt += 1
        sets[aset["name"]] = attrs
    ops, nxt = [], 1
    for op in spec["operations"]["list"]:
        nxt = op.get("value", nxt)
        for mode in ("do", "dump"):
            if mode in op:
                req = ((op[mode] or {}).get("request") or {}).get("attributes", [])
                ops.append((op["name"], nxt, op["attribute-set"], req, mode == "dump"))
        nxt += 1
    return sets, ops


class Mutator:
    """The messages of the fuzzers: requests built from the spec, valid ones, and their
    mutations. The single-message fuzzer below and the stateful one (statefuzz.py) share
    it; fds is what a socket-add may name."""

    def __init__(self, rng, fds):
        self.rng = rng
        self.fds = fds
        self.sets, self.ops = load_spec()
        self.max_cmd = max(op[1] for op in self.ops)

    # Values near the edges of what each attribute accepts.
    def value(self, name, kind):
        r = self.rng
        if kind == "u8":
            pick = {"proto": [6, 17, 0, 1, 255], "family": [2, 10, 0, 1, 255],
                    "phase": [0, 1, 2, 3, 255], "action": [0, 1, 2, 3, 255],
                    "dst-prefixlen": [0, 1, 24, 32, 33, 64, 128, 129, 255],
                    "src-prefixlen": [0, 8, 32, 33, 128, 129, 255]}.get(name)
            return struct.pack("=B", r.choice(pick) if pick else r.randrange(256))
        if kind == "u16":
            return struct.pack("=H", r.choice([0, 1, 53, 80, 1023, 65534, 65535,
                                               r.randrange(65536)]))
        if kind == "u32":
            if name == "fd":
                return struct.pack("=I", r.choice(self.fds))
            if name == "flags":
                return struct.pack("=I", r.choice([0, 1, 2, 3, 0x80000000, 0xffffffff]))
            if name == "ifindex":
                return struct.pack("=I", r.choice([0, 1, 2, 99, 0xffffffff]))
            return struct.pack("=I", r.choice([0, 1, 0xffffffff, r.getrandbits(32)]))
        if kind == "u64":
            return struct.pack("=Q", r.choice([0, 1, 2, 3, 10, 100, 2**63, 2**64 - 1,
                                               r.getrandbits(64)]))
        if kind == "string" and name == "ifname":
            text = r.choice([b"lo", b"dummy0", b"x" * 15, b"x" * 16, b"", b".", b"..",
                             b"a/b", b"a:b", b"a b", b"\xa0", b"lo\0x"])
            return text + (b"\0" if r.random() < 0.8 else b"")
        if kind == "string":
            text = r.choice([b"web", b"a", b"x" * 63, b"x" * 64, b"", b"we\0b", b"\xff\xfe",
                             bytes(r.randrange(1, 256) for _ in range(r.randrange(80)))])
            return text + (b"\0" if r.random() < 0.8 else b"")
        if kind == "binary":
            if name in ("dst", "src"):
                size = r.choice([4, 16, 4, 16, 0, 3, 5, 15, 17, 32])
                if r.random() < 0.5:
                    return bytes(size)
                return bytes(r.randrange(256) for _ in range(size))
            return bytes(r.randrange(256) for _ in range(r.randrange(40)))
        if kind == "flag":
            return b"" if r.random() < 0.9 else b"\1"
        if kind == "nest":
            return self.attrs(r.choice(list(self.sets)), depth=1)
        return bytes(r.randrange(256) for _ in range(r.randrange(24)))

    def mutate(self, payload):
        """Wrong length or content for a payload of the right type."""
        r = self.rng
        choice = r.randrange(5)
        if choice == 0:
            return payload[:-1] if payload else b"\1"
        if choice == 1:
            return payload + bytes(r.randrange(1, 9))
        if choice == 2:
            return b""
        if choice == 3:
            return bytes(r.randrange(256) for _ in range(r.choice([1, 2, 3, 5, 7, 9, 17, 300])))
        return bytes(len(payload))

    def attr(self, kind, payload, flags=0):
        data = struct.pack("=HH", 4 + len(payload), kind | flags) + payload
        return data + b"\0" * (-len(data) % 4)

    def attrs(self, set_name, wanted=None, depth=0):
        """Attributes of a set: the request's ones, and now and then others."""
        r = self.rng
        table = self.sets[set_name]
        by_name = {a[0]: a for a in table}
        names = list(wanted) if wanted else [a[0] for a in table]
        chosen = [n for n in names if r.random() < 0.8]
        if r.random() < 0.2:
            chosen.append(r.choice([a[0] for a in table]))
        r.shuffle(chosen)
        out = b""
        for name in chosen:
            _, num, kind = by_name[name]
            payload = self.value(name, kind)
            if r.random() < 0.15 and depth == 0:
                payload = self.mutate(payload)
            flags = 0
            if r.random() < 0.03:
                flags = r.choice([NLA_F_NESTED, NLA_F_NET_BYTEORDER])
            out += self.attr(num, payload, flags)
        if r.random() < 0.05:
            out += self.attr(r.choice([len(table), len(table) + 1, 0x3fff]),
                             bytes(r.randrange(8)))
        if r.random() < 0.03 and out:
            # An attribute whose length runs past the end of the message.
            out = out[:-4] + struct.pack("=HH", 0xfff0, 1)
        return out

    def message(self):
        r = self.rng
        name, cmd, set_name, req, dump = r.choice(self.ops)
        flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if dump else 0)
        version = 1
        roll = r.random()
        if roll < 0.04:
            cmd = r.choice([0, self.max_cmd + 1, 255])
        elif roll < 0.07:
            flags ^= NLM_F_DUMP
        elif roll < 0.09:
            version = r.choice([0, 2, 255])
        if name in ("rule-add", "socket-add") and r.random() < 0.4:
            body = self.valid(name, set_name)
        elif (not req or name == "rule-commit") and r.random() < 0.85:
            # Commands without request attributes (status, dumps, flush, begin) and commit
            # (whose only one, the generation, would mostly refuse it) must mostly run,
            # so that they meet what the other requests left behind.
            body = b""
        else:
            body = self.attrs(set_name, req or None)
        return name, cmd, flags, version, body

    def valid(self, name, set_name):
        """A request the module should accept, so that the fuzz reaches past validation
        into the rule tables, labels and sockets; three in ten get one attribute spoilt."""
        return self.encode(set_name, self.valid_fields(name))

    def valid_fields(self, name):
        """The fields, (name, payload) in order, of a socket-add or rule-add request the
        module should accept: a rule of a random prefix, port range, phase and action, now
        and then with a source, flags or the stage flag."""
        r = self.rng
        if name == "socket-add":
            fields = [("name", r.choice([b"web", b"dns", b"x" * 63]) + b"\0"),
                      ("fd", struct.pack("=I", r.choice(self.fds[:2])))]
        else:
            v6 = r.random() < 0.5
            size = 16 if v6 else 4
            plen = r.randrange(size * 8 + 1)
            addr = bytearray(r.randrange(256) for _ in range(size))
            for bit in range(plen, size * 8):
                addr[bit // 8] &= ~(0x80 >> (bit % 8)) & 0xff
            lo = r.randrange(65536)
            fields = [("proto", struct.pack("=B", r.choice([6, 17]))),
                      ("family", struct.pack("=B", 10 if v6 else 2)),
                      ("dst", bytes(addr)), ("dst-prefixlen", struct.pack("=B", plen)),
                      ("port-min", struct.pack("=H", lo)),
                      ("port-max", struct.pack("=H", r.randrange(lo, 65536))),
                      ("phase", struct.pack("=B", r.randrange(3)))]
            if r.random() < 0.3:
                # a source prefix of the same family, host bits and all
                fields += [("src", bytes(r.randrange(256) for _ in range(size))),
                           ("src-prefixlen", struct.pack("=B", r.randrange(size * 8 + 1)))]
            roll = r.random()
            if roll < 0.2:
                fields.append(("action", struct.pack("=B", 2)))
            elif roll < 0.4:
                # redirect: to loopback or the unspecified address, with or without a port
                target = (b"\0" * 15 + b"\1" if v6 else b"\x7f\0\0\1") if r.random() < 0.8 \
                    else bytes(size)
                fields += [("action", struct.pack("=B", 3)), ("redirect-addr", target)]
                if r.random() < 0.5:
                    fields.append(("redirect-port", struct.pack("=H", r.randrange(65536))))
            else:
                fields += [("action", struct.pack("=B", 1)),
                           ("label", r.choice([b"web", b"dns"]) + b"\0")]
            if r.random() < 0.1:
                fields.append(("flags", struct.pack("=I", r.choice([1, 2, 1 << 31]))))
            if r.random() < 0.3:
                fields.append(("stage", b""))
        return fields

    def encode(self, set_name, fields, spoil=0.3):
        """The attributes of fields, a list of (name, payload); with probability spoil,
        one of them mutated."""
        r = self.rng
        num = {a[0]: a[1] for a in self.sets[set_name]}
        spoilt = r.randrange(len(fields)) if r.random() < spoil else -1
        out = b""
        for i, (field, payload) in enumerate(fields):
            if i == spoilt:
                payload = self.mutate(payload)
            out += self.attr(num[field], payload)
        return out


class Fuzzer(Mutator):
    """One sender of single messages, on sockets of its own."""

    def __init__(self, seed):
        super().__init__(random.Random(seed), self.make_fds())
        self.answers = collections.Counter()
        # The extack messages of the rejections: which of the module's checks were reached.
        self.reasons = collections.Counter()
        self.sent = 0
        self.gen = Genl()
        # A listener that reads seldom, with a small buffer: every change builds its
        # event, and some events meet a full buffer.
        self.listener = Genl()
        self.listener.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.listener.join("events")

    def make_fds(self):
        """Things a socket-add may name: good sockets, bad sockets, not sockets."""
        fds = []
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        udp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        udp.bind(("::1", 0))
        connected = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        connected.connect(("127.0.0.1", 9))
        unbound = socket.socket()
        rd, wr = os.pipe()
        self.keep = [listener, udp, connected, unbound]
        fds = [listener.fileno(), udp.fileno(), connected.fileno(), unbound.fileno(), rd, wr]
        return fds + [0, 1, 2, 1023, 0x7fffffff, 0xffffffff]

    def send(self, sock, cmd, flags, version, body, seq, truncate=False):
        payload = struct.pack("=BBH", cmd, version, 0) + body
        head = struct.pack("=IHHII", 16 + len(payload), self.gen.family_id, flags, seq, 0)
        data = head + payload
        if truncate:
            data = data[:self.rng.randrange(16, len(data))] if len(data) > 16 else data[:10]
        sock.send(data)

    def drain(self, sock, seq, wait=2.0):
        """Read answers until the one that ends request seq; count them."""
        while True:
            ready, _, _ = select.select([sock], [], [], wait)
            if not ready:
                self.answers["no answer"] += 1
                return
            try:
                data = sock.recv(1 << 16)
            except OSError as err:
                self.answers[f"recv {errno.errorcode.get(err.errno, err.errno)}"] += 1
                return
            for kind, mflags, mseq, msg in messages(data):
                if mseq != seq:
                    continue
                if kind == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", msg)[0]
                    self.answers[errno.errorcode.get(err, "ok") if err else "ok"] += 1
                    text = error_text(mflags, msg)
                    if text:
                        self.reasons[text] += 1
                    return
                if kind == NLMSG_DONE:
                    self.answers["dump done"] += 1
                    return

    def read_events(self):
        """Read what the listener has, without waiting; count the events."""
        while select.select([self.listener.sock], [], [], 0)[0]:
            try:
                data = self.listener.sock.recv(1 << 16)
            except OSError as err:
                self.answers[f"events recv {errno.errorcode.get(err.errno, err.errno)}"] += 1
                continue
            self.answers["events"] += sum(1 for _ in messages(data))

    def run(self, count):
        sock = self.gen.sock
        seq = 1000
        while self.sent < count:
            name, cmd, flags, version, body = self.message()
            seq += 1
            roll = self.rng.random()
            self.sent += 1
            if self.sent % 200 == 0:
                self.read_events()
            if roll < 0.01:
                # A message cut short: the kernel must neither read past it nor answer.
                self.send(sock, cmd, flags, version, body, seq, truncate=True)
                continue
            if roll < 0.03 and flags & NLM_F_DUMP:
                # A dump abandoned after its first answer, socket and all.
                other = Genl()
                self.send(other.sock, cmd, flags, version, body, seq)
                select.select([other.sock], [], [], 1)
                other.close()
                self.answers["dump abandoned"] += 1
                continue
            if roll < 0.04:
                # The socket goes away with whatever it had staged.
                self.gen.close()
                self.gen = Genl()
                sock = self.gen.sock
            self.send(sock, cmd, flags, version, body, seq)
            if flags & NLM_F_ACK or flags & NLM_F_DUMP == NLM_F_DUMP:
                self.drain(sock, seq)
            else:
                self.drain(sock, seq, wait=0.05)
        return self


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--senders", type=int, default=1)
    ap.add_argument("--min-reasons", type=int, default=25)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    per = args.messages // args.senders
    children = []
    for i in range(args.senders):
        pid = os.fork()
        if pid == 0:
            fz = Fuzzer(seed + i).run(per)
            with open(f"/tmp/nlfuzz.{os.getpid()}", "w", encoding="ascii") as f:
                json.dump({"answers": fz.answers, "reasons": fz.reasons, "sent": fz.sent}, f)
            os._exit(0)
        children.append(pid)
    total = collections.Counter()
    reasons = collections.Counter()
    sent = 0
    failed = 0
    for pid in children:
        _, status = os.waitpid(pid, 0)
        failed += status != 0
        try:
            with open(f"/tmp/nlfuzz.{pid}", encoding="ascii") as f:
                part = json.load(f)
            total.update(part["answers"])
            reasons.update(part["reasons"])
            sent += part["sent"]
            os.unlink(f"/tmp/nlfuzz.{pid}")
        except OSError:
            failed += 1
    answers = ", ".join(f"{k} {v}" for k, v in total.most_common())
    print(f"# fuzz: {sent} messages from {args.senders} senders, seed {seed}: {answers}")
    print(f"# fuzz: {len(reasons)} distinct rejection messages: "
          + "; ".join(f"{k} ({v})" for k, v in sorted(reasons.items())))
    # A fuzzer that no longer reaches past the first checks (a spec it cannot read, a
    # generator gone wrong) still gets every message answered: judge its reach too.
    if len(reasons) < args.min_reasons:
        print(f"# fuzz: only {len(reasons)} distinct rejection messages, fewer than "
              f"{args.min_reasons}: the messages no longer reach the module's checks")
        failed += 1
    return 1 if failed or sent < per * args.senders else 0


if __name__ == "__main__":
    sys.exit(main())
