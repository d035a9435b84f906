#!/usr/bin/env python3
"""Stateful fuzzing of the module's netlink API: sequences of requests, not single ones.

usage: statefuzz.py [--seconds S] [--seed N] [--senders K]

Two network namespaces, each with K senders (processes) and one traffic process, run for
S seconds. A sender runs sequences: a staged set opened (RULE_BEGIN), rules staged (built
and mutated by nlfuzz.py's Mutator, the single-message fuzzer's own code, and mostly
aimed at local prefixes that the traffic dials), then committed with no, the current, a
stale or a random generation, or aborted (BEGIN again, the socket closed, left open);
rules added and deleted in force, flushes, dumps, explains; real sockets registered under
labels and closed, shut down or unregistered in the middle. The traffic process connects
and sends datagrams to the local prefixes the rules match, all the time.

Now and then a sender takes its namespace for itself (no other sender of the namespace
changes rules meanwhile) and checks what it must see:
- commit: the rules dumped after a commit are the ones staged, no more, no fewer; the
  reply's count and generation are the status's; a flow of one of them reaches the
  sender's own socket, and did not before the commit;
- abort: a set dropped by BEGIN or by closing its socket changes no rule, no generation,
  and no flow; a commit afterwards finds no set;
- stale: a commit with the generation read before someone changed the rules is refused
  with ESTALE and the module's message, changes nothing, and drops the set;
- apply: `sklookupctl apply --generation` of a dump with a stale generation fails with
  the README's message and changes nothing; with the current one it puts the file in
  force, and `dump` prints it back.

A request not answered within HANG seconds, or a sender that does not finish, is a hang.
Prints "# statefuzz:" lines (seed, sequences, answers) and "ok/not ok" check lines; the
caller checks the kernel log and the module's counters afterwards.
"""
import argparse
import collections
import ctypes
import errno
import fcntl
import json
import os
import random
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import time

from genl import C, Genl, error_text, messages, parse_attrs, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, \
    NLMSG_DONE, NLMSG_ERROR
from nlfuzz import Mutator
from testlib import deliver, report, settled_counters

NAMESPACES = ("sfa", "sfb")
HANG = 20                       # seconds a request may take before it counts as a hang
PORTS = (53, 80, 443, 8080)     # the ports the traffic dials, and rules aim at
STALE_TEXT = "SKL_A_RULE_GENERATION: the rules changed since this generation was read"
TWICE_TEXT = "the staged set holds the same rule twice"
APPLY_STALE = ("sklookupctl: apply: " + STALE_TEXT + " (Stale file handle)")
CLONE_NEWNET = 0x40000000


class Hang(Exception):
    """A request the module did not answer."""


def enter_netns(name):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET):
        raise OSError(ctypes.get_errno(), f"setns {name}")
    os.close(fd)


class Sender(Mutator):
    """One process of one namespace, running sequences until its deadline."""

    def __init__(self, seed, ns, index, deadline):
        self.owned = []         # registered (or about to be) sockets of labels web, dns
        super().__init__(random.Random(seed), [0, 1, 2, 1023, 0x7fffffff, 0xffffffff])
        self.ns, self.index, self.deadline = ns, index, deadline
        self.label = f"chk{index}"
        self.num = {a[0]: a[1] for a in self.sets["rule"]}
        self.answers = collections.Counter()
        self.reasons = collections.Counter()
        self.done = collections.Counter()       # sequences and checks run, by kind
        self.failures = []
        self.requests = 0
        self.known = 0
        self.gen = Genl()
        self.lock_fd = os.open(f"/tmp/statefuzz-{ns}.lock", os.O_RDWR | os.O_CREAT)
        self.want = f"/tmp/statefuzz-{ns}.want"

    # Talking to the module.
    def ask(self, g, cmd, body=b"", dump=False):
        """Send a request on g; (errno, extack text, replies' attributes). Raises Hang
        when the answer does not come."""
        flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if dump else 0)
        seq = g.send(cmd, body, flags)
        self.requests += 1
        replies = []
        end = time.monotonic() + HANG
        while True:
            left = end - time.monotonic()
            if left <= 0 or not select.select([g.sock], [], [], left)[0]:
                raise Hang(f"no answer to command {cmd} within {HANG} s")
            for kind, mflags, mseq, msg in messages(g.sock.recv(1 << 17)):
                if mseq != seq:
                    continue
                if kind == NLMSG_DONE:
                    self.answers["dump done"] += 1
                    return 0, "", replies
                if kind == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", msg)[0]
                    text = error_text(mflags, msg)
                    self.answers[errno.errorcode.get(err, "ok") if err else "ok"] += 1
                    if text and err:
                        self.reasons[text] += 1
                    return err, text, replies
                replies.append(parse_attrs(msg[4:]))

    def must(self, g, cmd, body=b"", dump=False, what=""):
        err, text, replies = self.ask(g, cmd, body, dump)
        if err:
            raise RuntimeError(f"{what or cmd}: {os.strerror(err)}: {text}")
        return replies

    def generation(self):
        reply = self.must(self.gen, C["SKL_CMD_STATUS_GET"], what="status")
        return struct.unpack("=Q", reply[0][C["SKL_A_STATUS_GENERATION"]][:8])[0]

    def rules(self):
        """The rules in force: {id: key}."""
        out = {}
        for a in self.must(self.gen, C["SKL_CMD_RULE_GET"], dump=True, what="dump"):
            out[struct.unpack("=Q", a[C["SKL_A_RULE_ID"]][:8])[0]] = self.key(a)
        return out

    def key(self, a):
        """What a rule is, from its attributes as sent (with the defaults filled in) or
        as dumped, without its id and counters."""
        def num(name, fmt, default):
            raw = a.get(self.num[name])
            return struct.unpack_from(fmt, raw)[0] if raw and len(raw) >= struct.calcsize(fmt) \
                else default
        action = num("action", "=B", 0)
        src_len = num("src-prefixlen", "=B", 0)
        label = a.get(self.num["label"], b"").split(b"\0")[0] if action == 1 else None
        redirect = (a.get(self.num["redirect-addr"]), num("redirect-port", "=H", 0)) \
            if action == 3 else None
        return (num("proto", "=B", 0), num("family", "=B", 0), a.get(self.num["dst"]),
                num("dst-prefixlen", "=B", 0), a.get(self.num["src"]) if src_len else None,
                src_len, num("port-min", "=H", 0), num("port-max", "=H", 65535),
                (a.get(self.num["ifname"]) or b"").split(b"\0")[0], num("phase", "=B", 0),
                action, label,
                num("flags", "=I", 0), redirect)

    # What the sequences send.
    def local_rule(self, stage, spoil):
        """A rule-add body, mostly a valid rule aimed at the local prefixes the traffic
        dials (192.0.2.0/24, 2001:db8::/64, ports PORTS); the Mutator's rule otherwise."""
        r = self.rng
        if r.random() < 0.1:
            body = self.attrs("rule", [op[3] for op in self.ops if op[0] == "rule-add"][0])
            return body + (self.attr(self.num["stage"], b"") if stage else b"")
        fields = [f for f in self.valid_fields("rule-add") if f[0] != "stage"]
        if r.random() < 0.8:
            v6 = dict(fields)["family"] == b"\x0a"
            size, base, low = (16, 0x20010db8 << 96, 64) if v6 else (4, 0xc0000200, 24)
            plen = r.randrange(low, size * 8 + 1)
            addr = (base | r.getrandbits(size * 8 - low)) >> (size * 8 - plen) << (size * 8 - plen)
            lo = r.choice(PORTS)
            hi = r.choice([lo, lo, lo + r.randrange(1, 100), 65535])
            change = {"dst": addr.to_bytes(size, "big"),
                      "dst-prefixlen": struct.pack("=B", plen),
                      "port-min": struct.pack("=H", lo), "port-max": struct.pack("=H", hi)}
            fields = [(n, change.get(n, p)) for n, p in fields]
        if stage:
            fields.append(("stage", b""))
        return self.encode("rule", fields, spoil)

    def known_rule(self):
        """A rule of this sender's own label, to a flow nothing else matches as precisely:
        198.51.100.0/24 or 2001:db8:1::/64 are not the traffic's, and other rules there
        have a shorter prefix. Returns (body, proto, address, port)."""
        r = self.rng
        self.known += 1
        v6 = r.random() < 0.5
        proto = r.choice(["tcp", "udp"])
        host = 1 + self.known % 250
        port = 20000 + 500 * self.index + self.known % 500
        addr = f"2001:db8:1::{host:x}" if v6 else f"198.51.100.{host}"
        raw = socket.inet_pton(socket.AF_INET6 if v6 else socket.AF_INET, addr)
        fields = [("proto", struct.pack("=B", 6 if proto == "tcp" else 17)),
                  ("family", struct.pack("=B", 10 if v6 else 2)),
                  ("dst", raw), ("dst-prefixlen", struct.pack("=B", len(raw) * 8)),
                  ("port-min", struct.pack("=H", port)), ("port-max", struct.pack("=H", port)),
                  ("action", struct.pack("=B", 1)), ("label", self.label.encode() + b"\0"),
                  ("stage", b"")]
        return self.encode("rule", fields, 0), proto, addr, port

    def own_socket(self, proto, addr):
        return self.mine[(proto, ":" in addr)]

    def lands(self, proto, addr, port, wait):
        """Where a flow to addr:port goes: "mine" (this sender's socket of the label), or
        what else deliver() says."""
        who, _ = deliver(proto, addr, port, {"mine": self.own_socket(proto, addr)}, wait)
        return who

    def fail(self, what, detail=""):
        self.failures.append(f"{self.ns}/{self.index} sequence {sum(self.done.values())}: "
                             f"{what}{': ' + str(detail) if detail else ''}")

    # Label sockets.
    def setup(self):
        """This sender's own label: a TCP and a UDP socket of each family."""
        self.mine = {}
        for proto, v6 in (("tcp", False), ("tcp", True), ("udp", False), ("udp", True)):
            s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET,
                              socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
            if v6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind(("::1" if v6 else "127.0.0.1", 0))
            if proto == "tcp":
                s.listen(64)
            self.must(self.gen, C["SKL_CMD_SOCKET_ADD"],
                      self.encode("label", [("name", self.label.encode() + b"\0"),
                                            ("fd", struct.pack("=I", s.fileno()))], 0),
                      what="register")
            self.mine[(proto, v6)] = s
        # Sockets for labels web and dns that stay open, registered again now and then
        # (an unregister takes them out), so that the traffic finds someone to talk to.
        self.stable = []
        for proto, v6 in (("tcp", False), ("tcp", True), ("udp", False), ("udp", True)):
            s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET,
                              socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
            s.setblocking(False)
            s.bind(("::" if v6 else "0.0.0.0", 0))
            if proto == "tcp":
                s.listen(64)
            self.stable.append(s)
        self.register_stable()

    def register_stable(self):
        """IPv4 ones under web, dual-stack IPv6 ones under dns (where they also take the
        IPv4 flows); again after an unregister, and refused while registered."""
        for s in self.stable:
            name = b"dns" if s.family == socket.AF_INET6 else b"web"
            self.ask(self.gen, C["SKL_CMD_SOCKET_ADD"],
                     self.encode("label", [("name", name + b"\0"),
                                           ("fd", struct.pack("=I", s.fileno()))], 0))

    def drain(self):
        """Take what reached the sockets of labels web and dns, so that queues never fill."""
        for s in self.owned + self.stable + self.foreign[1:]:
            try:
                while select.select([s], [], [], 0)[0]:
                    if s.type == socket.SOCK_STREAM:
                        s.accept()[0].close()
                    else:
                        s.recv(64)
                    self.answers["traffic taken"] += 1
            except OSError:
                pass

    def labels_sequence(self):
        """Real sockets registered, then some closed, shut down or unregistered."""
        r = self.rng
        if r.random() < 0.3:
            self.register_stable()
        if r.random() < 0.3:
            self.cross_namespace()
        for _ in range(r.randrange(1, 5)):
            proto, v6 = r.choice(["tcp", "udp"]), r.random() < 0.4
            s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET,
                              socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
            s.setblocking(False)
            if r.random() < 0.8:
                s.bind(("::" if v6 else "0.0.0.0", 0) if r.random() < 0.5
                       else ("::1" if v6 else "127.0.0.1", 0))
                if proto == "tcp" and r.random() < 0.9:
                    s.listen(64)
            self.owned.append(s)
            name = r.choice([b"web", b"dns", b"web", b"x" * 63, b"a"])
            self.ask(self.gen, C["SKL_CMD_SOCKET_ADD"],
                     self.encode("label", [("name", name + b"\0"),
                                           ("fd", struct.pack("=I", s.fileno()))], 0.1))
        for _ in range(r.randrange(3)):
            if not self.owned:
                break
            s = r.choice(self.owned)
            roll = r.random()
            if roll < 0.4:
                self.owned.remove(s)
                s.close()
            elif roll < 0.7 and s.type == socket.SOCK_STREAM:
                try:
                    s.shutdown(socket.SHUT_RD)
                    if r.random() < 0.5:
                        s.listen(64)
                except OSError:
                    pass
            else:
                self.ask(self.gen, C["SKL_CMD_LABEL_DEL"],
                         self.encode("label", [("name", r.choice([b"web", b"dns", b"a"])
                                               + b"\0")], 0.1))
        while len(self.owned) > 8:
            self.owned.pop(0).close()
        if r.random() < 0.3:
            self.ask(self.gen, C["SKL_CMD_LABEL_GET"], dump=True)

    def cross_namespace(self):
        """A socket of one namespace registered through a netlink socket of the other is
        refused, both ways; the other namespace's own socket is taken there."""
        r = self.rng
        g, tcp, udp = self.foreign
        cross = "the socket belongs to another network namespace"
        for via, sock, name in ((self.gen, r.choice([tcp, udp]), "a foreign socket"),
                                (g, r.choice(self.stable), "a socket of this namespace "
                                 "through the other's netlink socket")):
            err, text, _ = self.ask(via, C["SKL_CMD_SOCKET_ADD"], self.encode("label", [
                ("name", b"web\0"), ("fd", struct.pack("=I", sock.fileno()))], 0))
            self.done["cross-namespace checks"] += 1
            if err != errno.EINVAL or text != cross:
                self.fail(f"{name} registered", f"{os.strerror(err)}: {text!r}")
        self.ask(g, C["SKL_CMD_SOCKET_ADD"], self.encode("label", [
            ("name", r.choice([b"web", b"dns"]) + b"\0"),
            ("fd", struct.pack("=I", r.choice([tcp, udp]).fileno()))], 0.1))
        if r.random() < 0.3:
            self.ask(g, C["SKL_CMD_LABEL_GET"], dump=True)

    # Sequences with no check but that every request is answered.
    def poke(self, body):
        """A flow that a rule just sent (staged or not) matches, if it is local."""
        a = parse_attrs(body)
        k = self.key(a)
        if k[2] is None or k[1] not in (2, 10) or len(k[2]) != (4 if k[1] == 2 else 16):
            return
        addr = socket.inet_ntop(socket.AF_INET if k[1] == 2 else socket.AF_INET6, k[2])
        if not (addr.startswith("192.0.2.") or addr.startswith("2001:db8::")):
            return
        proto = "udp" if k[0] == 17 else "tcp"
        with socket.socket(socket.AF_INET6 if k[1] == 10 else socket.AF_INET,
                           socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM) as c:
            c.settimeout(1)
            try:
                if proto == "tcp":
                    c.connect((addr, k[6]))
                else:
                    c.sendto(b"poke", (addr, k[6]))
                self.answers["poke sent"] += 1
            except OSError as err:
                self.answers[f"poke {errno.errorcode.get(err.errno, err)}"] += 1

    def staged_sequence(self):
        r = self.rng
        g = Genl() if r.random() < 0.3 else self.gen
        if r.random() < 0.95:
            self.ask(g, C["SKL_CMD_RULE_BEGIN"])
        # Now and then a set large enough that a dump of it takes several messages.
        for _ in range(r.randrange(12) if r.random() < 0.9 else r.randrange(100, 300)):
            body = self.local_rule(stage=r.random() < 0.9, spoil=0.3)
            self.ask(g, C["SKL_CMD_RULE_ADD"], body)
            if r.random() < 0.2:
                self.poke(body)
            if r.random() < 0.05:
                self.ask(g, C["SKL_CMD_RULE_BEGIN"])
        roll = r.random()
        if roll < 0.55:
            choice = r.random()
            gen = b""
            if choice < 0.6:
                now = self.generation()
                value = now if choice < 0.4 else r.choice([now - 1, now + 1, 0, 2**64 - 1])
                gen = self.attr(self.num["generation"], struct.pack("=Q", value % 2**64))
            elif choice < 0.7:
                gen = self.attr(self.num["generation"], self.mutate(struct.pack("=Q", 1)))
            self.ask(g, C["SKL_CMD_RULE_COMMIT"], gen)
            if r.random() < 0.1:
                self.ask(g, C["SKL_CMD_RULE_COMMIT"])
        elif roll < 0.7:
            self.ask(g, C["SKL_CMD_RULE_BEGIN"])
        elif roll < 0.85 and g is not self.gen:
            g.close()
            return
        if g is not self.gen and r.random() < 0.7:
            g.close()
        elif g is not self.gen:
            self.spare = g      # left open with whatever it staged, until the next one

    def direct_sequence(self):
        r = self.rng
        ids = list(self.rules()) if r.random() < 0.5 else []
        for _ in range(r.randrange(1, 6)):
            roll = r.random()
            if roll < 0.5:
                body = self.local_rule(stage=False, spoil=0.2)
                self.ask(self.gen, C["SKL_CMD_RULE_ADD"], body)
                if r.random() < 0.2:
                    self.poke(body)
            elif roll < 0.8 and ids:
                self.ask(self.gen, C["SKL_CMD_RULE_DEL"],
                         self.attr(self.num["id"], struct.pack("=Q", r.choice(ids))))
            elif roll < 0.83:
                self.ask(self.gen, C["SKL_CMD_RULE_FLUSH"])
            else:
                dst = r.choice([b"\xc0\x00\x02" + bytes([r.randrange(256)]),
                                bytes.fromhex("20010db8") + bytes(11) + bytes([r.randrange(256)])])
                body = self.encode("explain", [
                    ("proto", struct.pack("=B", r.choice([6, 17]))),
                    ("family", struct.pack("=B", 2 if len(dst) == 4 else 10)),
                    ("dst", dst), ("dport", struct.pack("=H", r.choice(PORTS)))], 0.2)
                self.ask(self.gen, C["SKL_CMD_EXPLAIN"], body)

    def dump_sequence(self):
        """A dump of the rules or the labels read part by part, through a small receive
        buffer, while this sender changes what it reads: it must still come to its end.
        Or the dump's socket is closed half way."""
        r = self.rng
        g = Genl()
        g.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        cmd = r.choice([C["SKL_CMD_RULE_GET"], C["SKL_CMD_LABEL_GET"]])
        seq = g.send(cmd, b"", NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP)
        self.requests += 1
        parts, end = 0, time.monotonic() + HANG
        while True:
            if not select.select([g.sock], [], [], max(0, end - time.monotonic()))[0]:
                raise Hang(f"a dump (command {cmd}) stopped after {parts} parts")
            # Read no more than a page or two at a time: the kernel sizes the next part of
            # a dump by the reader's largest read so far.
            parts += 1
            kinds = [kind for kind, _, mseq, _ in messages(g.sock.recv(8192)) if mseq == seq]
            if NLMSG_DONE in kinds or NLMSG_ERROR in kinds:
                self.answers["dump across changes done"] += 1
                break
            roll = r.random()
            if roll < 0.1:
                self.answers["dump closed half way"] += 1
                break
            if roll < 0.3:
                self.staged_sequence()
            elif roll < 0.45:
                self.direct_sequence()
            elif roll < 0.6:
                self.labels_sequence()
        self.done["dump parts"] += parts
        g.close()

    # Sequences that check, with the namespace's rules to themselves.
    def exclusive(self, on):
        if on:
            with open(self.want, "w", encoding="ascii"):
                pass
            fcntl.flock(self.lock_fd, fcntl.LOCK_EX)
            try:
                os.unlink(self.want)
            except OSError:
                pass
        else:
            fcntl.flock(self.lock_fd, fcntl.LOCK_UN)

    def shared(self, on):
        if on:
            while os.path.exists(self.want) and time.monotonic() < self.deadline:
                time.sleep(0.01)
            fcntl.flock(self.lock_fd, fcntl.LOCK_SH)
        else:
            fcntl.flock(self.lock_fd, fcntl.LOCK_UN)

    def stage_some(self, g):
        """Stage a few rules and this sender's known one; what was accepted, as keys."""
        staged = collections.Counter()
        body, proto, addr, port = self.known_rule()
        bodies = [self.local_rule(stage=True, spoil=0.3) for _ in range(self.rng.randrange(8))]
        bodies.insert(self.rng.randrange(len(bodies) + 1), body)
        for b in bodies:
            err, text, _ = self.ask(g, C["SKL_CMD_RULE_ADD"], b)
            if not err:
                staged[self.key(parse_attrs(b))] += 1
            elif b is body:
                self.fail("the known rule was refused", f"{os.strerror(err)}: {text}")
        return staged, (proto, addr, port)

    def unreached(self, flow, before, when):
        """The flow must not reach this sender's socket: no rule in force names it."""
        if any(k[11] == self.label.encode() for k in before.values()):
            return
        who = self.lands(*flow, wait=0.3)
        self.done["flow checks"] += 1
        if who == "mine":
            self.fail(f"a flow {when} reached the socket of a rule not in force", flow)

    def commit_check(self):
        r = self.rng
        before, g0 = self.rules(), self.generation()
        self.must(self.gen, C["SKL_CMD_RULE_BEGIN"], what="begin")
        staged, flow = self.stage_some(self.gen)
        self.unreached(flow, before, "while staged")
        gen = self.attr(self.num["generation"], struct.pack("=Q", g0)) if r.random() < 0.5 else b""
        err, text, reply = self.ask(self.gen, C["SKL_CMD_RULE_COMMIT"], gen)
        if any(n > 1 for n in staged.values()):
            # The same rule staged twice: the set is refused whole.
            if err != errno.EEXIST or text != TWICE_TEXT or self.rules() != before \
                    or self.generation() != g0:
                self.fail("a set holding a rule twice", f"{os.strerror(err)}: {text!r}")
            self.unreached(flow, before, "after a set with a rule twice")
            return
        if err:
            self.fail("commit refused", f"{os.strerror(err)}: {text}")
            return
        count = struct.unpack("=I", reply[0][self.num["count"]][:4])[0]
        newgen = struct.unpack("=Q", reply[0][self.num["generation"]][:8])[0]
        after = self.rules()
        if collections.Counter(after.values()) != staged:
            self.fail("the rules after a commit are not the ones staged",
                      f"staged {sorted(staged.items())} in force {sorted(after.values())}")
        if count != sum(staged.values()):
            self.fail("commit's count is not the rules staged", f"{count} != {sum(staged.values())}")
        # A rule in both sets keeps its id; the others get ids above every old one.
        old_ids = {k: rid for rid, k in before.items()}
        moved = [(k, old_ids[k], rid) for rid, k in after.items()
                 if k in old_ids and old_ids[k] != rid]
        low = [(k, rid) for rid, k in after.items()
               if k not in old_ids and before and rid <= max(before)]
        if moved or low:
            self.fail("ids after a commit", f"kept rules renumbered {moved}, new rules with "
                      f"old ids {low}")
        now = self.generation()
        if not newgen > g0 or now != newgen:
            self.fail("commit's generation", f"before {g0}, reply {newgen}, status {now}")
        who = self.lands(*flow, wait=5)
        if who != "mine":
            self.fail("a flow of a committed rule did not reach its label's socket",
                      f"{flow}: {who}")
        self.done["flow checks"] += 1
        # Take the known rule out again, so that later sequences may check that a flow of
        # their own rules, staged or dropped, reaches nobody.
        for rid, k in after.items():
            if k[11] == self.label.encode():
                self.must(self.gen, C["SKL_CMD_RULE_DEL"],
                          self.attr(self.num["id"], struct.pack("=Q", rid)), what="del")

    def abort_check(self):
        r = self.rng
        before, g0 = self.rules(), self.generation()
        g = Genl()
        self.must(g, C["SKL_CMD_RULE_BEGIN"], what="begin")
        _, flow = self.stage_some(g)
        how = r.choice(["begin", "close"])
        if how == "begin":
            self.must(g, C["SKL_CMD_RULE_BEGIN"], what="begin again")
            # Into the new set, which the close drops too. (Unstaged, a mutation that
            # happened to leave the rule valid added it in force.)
            if r.random() < 0.5:
                self.ask(g, C["SKL_CMD_RULE_ADD"], self.local_rule(stage=True, spoil=1))
        g.close()
        after, g1 = self.rules(), self.generation()
        if after != before or g1 != g0:
            self.fail(f"an aborted set ({how}) changed the rules",
                      f"generation {g0} -> {g1}, before {sorted(before.items())} "
                      f"after {sorted(after.items())}")
        self.unreached(flow, before, f"after an abort ({how})")
        # A new socket, maybe with the closed one's port id, finds no set to commit.
        g = Genl()
        err, text, _ = self.ask(g, C["SKL_CMD_RULE_COMMIT"])
        g.close()
        if err != errno.ENOENT or self.rules() != before:
            self.fail("a commit with no staged set", f"{os.strerror(err)}: {text}")

    def stale_check(self):
        r = self.rng
        g0 = self.generation()
        g = Genl()
        self.must(g, C["SKL_CMD_RULE_BEGIN"], what="begin")
        _, flow = self.stage_some(g)
        # Someone changes the rules in force meanwhile.
        roll = r.random()
        ids = list(self.rules())
        if roll < 0.2:
            self.must(self.gen, C["SKL_CMD_RULE_FLUSH"], what="flush")
        elif roll < 0.5 and ids:
            self.must(self.gen, C["SKL_CMD_RULE_DEL"],
                      self.attr(self.num["id"], struct.pack("=Q", r.choice(ids))), what="del")
        else:
            # A rule not in force: the same one again would be refused.
            used = {k[2] for k in self.rules().values()}
            free = [b"\xcb\x00\x71" + bytes([i]) for i in range(256)]
            free = [d for d in free if d not in used] or [None]
            dst = r.choice(free)
            if dst is None:
                self.must(self.gen, C["SKL_CMD_RULE_FLUSH"], what="flush")
            else:
                self.must(self.gen, C["SKL_CMD_RULE_ADD"],
                          self.encode("rule", [("proto", b"\x06"), ("family", b"\x02"),
                                               ("dst", dst), ("dst-prefixlen", b"\x20"),
                                               ("action", b"\x02")], 0), what="add")
        before, g1 = self.rules(), self.generation()
        err, text, _ = self.ask(g, C["SKL_CMD_RULE_COMMIT"],
                                self.attr(self.num["generation"], struct.pack("=Q", g0)))
        if err != errno.ESTALE or text != STALE_TEXT:
            self.fail("a commit with a stale generation", f"{os.strerror(err)}: {text!r}")
        after, g2 = self.rules(), self.generation()
        if after != before or g2 != g1 or not g1 > g0:
            self.fail("a stale commit changed the rules",
                      f"generation {g0} -> {g1} -> {g2}, before {sorted(before.items())} "
                      f"after {sorted(after.items())}")
        self.unreached(flow, before, "after a stale commit")
        # The set is gone with the refusal.
        err, text, _ = self.ask(g, C["SKL_CMD_RULE_COMMIT"])
        if err != errno.ENOENT or self.rules() != before:
            self.fail("a second commit after a stale one", f"{os.strerror(err)}: {text}")
        g.close()

    def apply_check(self):
        def run(*args, text=None):
            return subprocess.run(["sklookupctl", *args], input=text, capture_output=True,
                                  text=True, timeout=HANG * 3)
        res = run("dump", "--generation")
        if res.returncode:
            self.fail("dump --generation", res.stderr)
            return
        old = res.stdout
        gen = old.splitlines()[0].split()[-1] if old.startswith("# generation ") else "?"
        # The bump of an earlier check may be in force still: the same rule is refused.
        words = ("proto", "udp", "dst", f"203.0.113.{self.index}", "port", "9", "drop")
        run("del-rule", *words)
        bump = run("add-rule", *words)
        before = run("dump").stdout
        res = run("apply", "--generation", gen, "-", text=old)
        after = run("dump").stdout
        if bump.returncode or res.returncode != 1 or res.stderr.strip() != APPLY_STALE \
                or after != before:
            self.fail("apply --generation with a stale generation",
                      f"add-rule: {bump.stderr.strip()}; apply exit {res.returncode}: "
                      f"{res.stderr.strip()!r}; rules changed: {after != before}")
        res = run("dump", "--generation")
        lines = res.stdout.splitlines()
        gen = lines[0].split()[-1] if lines and lines[0].startswith("# generation ") else "?"
        _, proto, addr, port = self.known_rule()
        kept = [ln for ln in lines[1:] if self.rng.random() < 0.7]
        lines = kept[:]
        lines.insert(self.rng.randrange(len(lines) + 1),
                     f"proto {proto} dst {addr} port {port} label {self.label}")
        res = run("apply", "--generation", gen, "-", text="".join(ln + "\n" for ln in lines))
        after = run("dump").stdout.splitlines()
        known = [ln for ln in after if ln.endswith(f" label {self.label}")]
        if res.returncode or len(known) != 1 \
                or sorted(ln for ln in after if ln not in known) != sorted(kept):
            self.fail("apply --generation with the current generation",
                      f"exit {res.returncode}: {res.stderr.strip()}; applied {lines}, "
                      f"dumped {after}")
        who = self.lands(proto, addr, port, wait=5)
        if who != "mine":
            self.fail("a flow of an applied rule did not reach its label's socket",
                      f"{(proto, addr, port)}: {who}")
        self.done["flow checks"] += 1
        for rid, k in self.rules().items():
            if k[11] == self.label.encode():
                self.must(self.gen, C["SKL_CMD_RULE_DEL"],
                          self.attr(self.num["id"], struct.pack("=Q", rid)), what="del")

    def run(self):
        self.setup()
        checked = {"commit": self.commit_check, "abort": self.abort_check,
                   "stale": self.stale_check, "apply": self.apply_check}
        free = {"staged": self.staged_sequence, "direct": self.direct_sequence,
                "labels": self.labels_sequence, "dump": self.dump_sequence}
        self.spare = None
        while time.monotonic() < self.deadline:
            r = self.rng
            if r.random() < 0.3:
                kind = r.choices(list(checked), [4, 3, 3, 1])[0]
                self.exclusive(True)
                try:
                    checked[kind]()
                finally:
                    self.exclusive(False)
                self.done[f"{kind} checked"] += 1
            else:
                kind = r.choices(list(free), [5, 3, 2, 1])[0]
                self.shared(True)
                try:
                    if self.spare and r.random() < 0.5:
                        self.spare.close()
                        self.spare = None
                    free[kind]()
                finally:
                    self.shared(False)
                self.done[kind] += 1
            self.drain()
        return self


def traffic(seed, deadline):
    """Connections and datagrams to the local prefixes that the rules aim at."""
    rng = random.Random(seed)
    seen = collections.Counter()
    while time.monotonic() < deadline:
        v6 = rng.random() < 0.4
        proto = rng.choice(["tcp", "udp"])
        addr = f"2001:db8::{rng.randrange(1, 256):x}" if v6 else f"192.0.2.{rng.randrange(1, 256)}"
        with socket.socket(socket.AF_INET6 if v6 else socket.AF_INET,
                           socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM) as c:
            c.settimeout(2)
            try:
                if proto == "tcp":
                    c.connect((addr, rng.choice(PORTS)))
                    c.sendall(b"traffic")
                    seen["tcp connected"] += 1
                else:
                    c.sendto(b"traffic", (addr, rng.choice(PORTS)))
                    seen["udp sent"] += 1
            except OSError as err:
                seen[f"{proto} {errno.errorcode.get(err.errno, 'timeout')}"] += 1
    return seen


def child(result, work):
    """Run work() in this forked process; write what it returns to result; exit."""
    code = 0
    try:
        out = work()
    except Exception as err:  # pylint: disable=broad-except
        out = {"failures": [f"pid {os.getpid()}: {err!r}"]}
        code = 1
    with open(result, "w", encoding="ascii") as f:
        json.dump(out, f)
    os._exit(code)


def sender_work(seed, ns, index, deadline):
    # A netlink socket and two sockets of the other namespace, made there.
    enter_netns(NAMESPACES[1 - NAMESPACES.index(ns)])
    foreign = [Genl(), socket.socket(), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)]
    for sock in foreign[1:]:
        sock.setblocking(False)
        sock.bind(("127.0.0.1", 0))
    foreign[1].listen(64)
    enter_netns(ns)
    s = Sender(seed, ns, index, deadline)
    s.foreign = foreign
    try:
        s.run()
    except Hang as err:
        s.fail("hang", err)
    except Exception as err:  # pylint: disable=broad-except
        s.fail("sender stopped", repr(err))
    return {"answers": s.answers, "reasons": s.reasons, "done": s.done,
            "failures": s.failures, "requests": s.requests}


def traffic_work(seed, ns, deadline):
    enter_netns(ns)
    return {"answers": traffic(seed, deadline)}


def kernel_log():
    """The kernel log's lines, each with its priority: "<4>..."."""
    return subprocess.run(["dmesg", "-r"], capture_output=True, text=True,
                          check=True).stdout.splitlines()


SPLAT = re.compile(r"WARNING:|BUG:|Oops|Call Trace|lockdep|rcu: INFO|rcu_sched self-detected|"
                   r"hung_task|general protection|refcount_t|list_add corruption|KASAN|"
                   r"UBSAN|kmemleak|circular locking|possible recursive locking")


def kernel_reports(mark):
    """Lines of the kernel log since line mark that are a report: a splat, or a message
    of the module's at warning level or worse."""
    out = []
    for line in kernel_log()[mark:]:
        prio = re.match(r"<(\d+)>", line)
        level = int(prio.group(1)) & 7 if prio else 6
        if SPLAT.search(line) or ("sklookup:" in line and level <= 4):
            out.append(line)
    return out


def sh(*args):
    subprocess.run(args, check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--senders", type=int, default=2)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 30)
    print(f"# statefuzz: seed {seed}, {args.senders} senders and one traffic process in "
          f"each of {len(NAMESPACES)} namespaces, {args.seconds:g} s", flush=True)
    mark = len(kernel_log())
    for ns in NAMESPACES:
        sh("ip", "netns", "add", ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        for prefix in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"):
            sh("ip", "-n", ns, "route", "replace", "local", prefix, "dev", "lo")
        sh("ip", "-n", ns, "-6", "route", "replace", "local", "2001:db8::/32", "dev", "lo")
    deadline = time.monotonic() + args.seconds
    kids = {}
    index = 0
    for n, ns in enumerate(NAMESPACES):
        for _ in range(args.senders):
            pid = os.fork()
            if pid == 0:
                child(f"/tmp/statefuzz.{os.getpid()}",
                      lambda i=index, ns=ns: sender_work(seed * 100 + i, ns, i, deadline))
            kids[pid] = f"sender {index} in {ns}"
            index += 1
        pid = os.fork()
        if pid == 0:
            child(f"/tmp/statefuzz.{os.getpid()}",
                  lambda ns=ns, n=n: traffic_work(seed * 100 + 90 + n, ns, deadline))
        kids[pid] = f"traffic in {ns}"

    # A sender still running long after the deadline is stuck: in the module, or behind it.
    hung = []
    limit = deadline + 3 * HANG
    left = dict(kids)
    while left and time.monotonic() < limit:
        pid, _ = os.waitpid(-1, os.WNOHANG)
        if pid:
            left.pop(pid, None)
        else:
            time.sleep(0.2)
    for pid, who in left.items():
        try:
            with open(f"/proc/{pid}/stack", encoding="ascii") as f:
                stack = f.read().strip().replace("\n", " < ")
        except OSError:
            stack = "?"
        hung.append(f"{who} (pid {pid}) still running {3 * HANG} s after the end: {stack}")
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)

    answers, reasons, done = collections.Counter(), collections.Counter(), collections.Counter()
    failures, requests = [], 0
    for pid, who in kids.items():
        try:
            with open(f"/tmp/statefuzz.{pid}", encoding="ascii") as f:
                part = json.load(f)
            os.unlink(f"/tmp/statefuzz.{pid}")
        except (OSError, ValueError):
            if pid not in left:
                failures.append(f"{who}: no result")
            continue
        answers.update(part.get("answers", {}))
        reasons.update(part.get("reasons", {}))
        done.update(part.get("done", {}))
        failures += part.get("failures", [])
        requests += part.get("requests", 0)
    checks = sum(v for k, v in done.items() if k.endswith(" checked"))
    sequences = sum(done.values()) - done["flow checks"] - done["dump parts"] \
        - done["cross-namespace checks"]
    print(f"# statefuzz: {sequences} sequences ({checks} checked), "
          f"{requests} requests: " + ", ".join(f"{k} {v}" for k, v in sorted(done.items())))
    print("# statefuzz: answers: " + ", ".join(f"{k} {v}" for k, v in answers.most_common()))
    print(f"# statefuzz: {len(reasons)} distinct rejection messages: "
          + "; ".join(f"{k} ({v})" for k, v in sorted(reasons.items())))
    report(not hung, "statefuzz: every sender finished, every request answered",
           "\n".join(hung + [f for f in failures if ": hang" in f]))
    bad = [f for f in failures if ": hang" not in f]
    report(not bad,
           f"statefuzz: {checks} checked sequences (commit reads back as staged, abort and "
           f"stale commits change nothing, stale refused with ESTALE, flows follow the rules "
           f"in force), {done['flow checks']} flows checked",
           "\n".join(bad[:20]))
    report(checks >= 4 and done["flow checks"] >= 2 and done["staged"] >= 4,
           "statefuzz: the run reached checks, flows and staged sets", dict(done))

    # Everything closed and the rules flushed: nothing may stay counted, also once the
    # namespaces are gone.
    zero = dict.fromkeys(("namespaces", "rules", "labels", "sockets", "staged"), 0)
    for ns in NAMESPACES:
        subprocess.run(["ip", "netns", "exec", ns, "sklookupctl", "flush"], check=False)
    left = settled_counters(zero, timeout=10)
    report(left == zero, "statefuzz: all closed and flushed, the live-object counters are "
           "back to zero", json.dumps(left))
    for ns in NAMESPACES:
        sh("ip", "netns", "del", ns)
    gone = settled_counters(zero, timeout=20)
    report(gone == zero, "statefuzz: the namespaces deleted, the counters stay at zero",
           json.dumps(gone))
    splats = kernel_reports(mark)
    report(not splats, "statefuzz: no kernel report and no sklookup error in the kernel log",
           "\n".join(splats[:20]))
    ok = not hung and not failures and left == zero and gone == zero and not splats
    if not ok:
        print(f"# statefuzz: to run it again: SKL_APPEND=\"SKL_STATEFUZZ_SEED={seed} "
              f"SKL_STATEFUZZ_SECONDS={args.seconds:g}\" KERNELS=<kernel> "
              f"GUEST_TESTS=76-statefuzz tests/run")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
