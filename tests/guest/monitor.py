#!/usr/bin/env python3
"""sklookupctl monitor, in text and JSON, during a scripted sequence in a namespace of its
own: rule added, rules replaced, socket registered, rule deleted, sockets released because
closed, stopped listening or unregistered, labels left without sockets; then the namespace
deleted, which a monitor of the initial namespace reports. Each monitor must print exactly
the expected events, in order."""
import json
import os
import select
import socket
import subprocess
import tempfile

from testlib import report, run

NS = "sklmon"


class Monitor:
    """A running "sklookupctl [-j] monitor", its lines read as they come."""

    def __init__(self, netns, json_mode):
        cmd = ["sklookupctl", *(["-n", netns] if netns else []),
               *(["-j"] if json_mode else []), "monitor"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.json = json_mode
        self.lines = []
        self.pending = b""  # read from the pipe, not yet returned as a line

    def parse(self, raw):
        text = raw.decode()
        return json.loads(text) if self.json else text

    def line(self, wait):
        """The next line, or None if none came within wait seconds (a deadline, so that a
        missing event fails the test instead of hanging it). Reads the pipe itself: a
        buffered reader would keep lines that select() then never reports."""
        while b"\n" not in self.pending:
            if not select.select([self.proc.stdout], [], [], wait)[0]:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                return None
            self.pending += chunk
        raw, self.pending = self.pending.split(b"\n", 1)
        return self.parse(raw)

    def listening(self, netns):
        """Flush (empty) rules until this monitor shows it: then it is listening."""
        for _ in range(60):
            sklookupctl(netns, "flush")
            if self.line(1) is not None:
                return True
        return False

    def skip_to(self, marker):
        """Read and forget lines up to the one that says marker was added (a rule id)."""
        for _ in range(1000):
            got = self.line(20)
            if got is None:
                return False
            if self.json and got.get("event") == "rule_added" and got["rule"]["id"] == marker:
                return True
            if not self.json and got.startswith(f"rule added {marker} "):
                return True
        return False

    def collect(self, count, wait=20):
        """Read count more lines into self.lines."""
        for _ in range(count):
            got = self.line(wait)
            if got is None:
                break
            self.lines.append(got)

    def stop(self):
        """Stop the monitor; keep what it printed that was not read yet, and its errors."""
        self.proc.terminate()
        rest, errors = self.proc.communicate(timeout=10)
        self.lines += [self.parse(raw) for raw in (self.pending + rest).splitlines() if raw]
        self.errors = errors.decode()


def sklookupctl(netns, *args):
    """Run sklookupctl in netns (None: this one); its output."""
    return subprocess.run(["sklookupctl", *(["-n", netns] if netns else []), *args],
                          check=True, capture_output=True, text=True).stdout.strip()


def ctl(*args):
    return sklookupctl(NS, *args)


def sync(netns, monitors):
    """Make sure every monitor listens, then add a marker rule and read each monitor up
    to it: what they print afterwards is what the test compares. Returns the marker id."""
    if not all(m.listening(netns) for m in monitors):
        return None
    marker = int(sklookupctl(netns, "add-rule", "proto", "tcp", "dst", "198.51.100.0/24",
                             "port", "9", "drop"))
    return marker if all(m.skip_to(marker) for m in monitors) else None


def in_netns(code):
    """A python3 running code inside the namespace, talking over its stdin and stdout."""
    return subprocess.Popen(["ip", "netns", "exec", NS, "python3", "-c", code],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)


# The owner of the sockets: prints each one's inode once registered, then on each line of
# its stdin does what the line says to one of them.
OWNER = r"""
import os, socket, subprocess, sys
socks = {}
for name, kind, port in (("web", socket.SOCK_STREAM, 8081), ("api", socket.SOCK_STREAM, 8082),
                         ("dns", socket.SOCK_DGRAM, 5353)):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", port))
    if kind == socket.SOCK_STREAM:
        s.listen(8)
    socks[name] = s
for line in sys.stdin:
    what, name = line.split()
    s = socks[name]
    if what == "register":
        subprocess.run(["sklookupctl", "register", "label", name, "fd", str(s.fileno())],
                       check=True, pass_fds=(s.fileno(),))
        print(os.fstat(s.fileno()).st_ino, flush=True)
    elif what == "close":
        s.close()
        print("closed", flush=True)
    elif what == "shutdown":
        s.shutdown(socket.SHUT_RD)
        print("shut", flush=True)
"""


def sock_json(port, ino, proto="tcp"):
    return {"proto": proto, "family": "inet", "addr": "127.0.0.1", "port": port, "inode": ino}


def rule_json(rid, proto, port, label):
    return {"id": rid, "proto": proto, "dst": "192.0.2.0/24", "port": str(port),
            "port_min": port, "port_max": port, "phase": "first", "action": "steer",
            "label": label, "noreuseport": False}


def main():
    subprocess.run(["ip", "netns", "add", NS], check=True)
    subprocess.run(["ip", "-n", NS, "link", "set", "lo", "up"], check=True)
    inum = os.stat(f"/run/netns/{NS}").st_ino
    text, js, top = Monitor(NS, False), Monitor(NS, True), Monitor(None, True)
    # The namespace's marker rule (id 1) stays until apply replaces every rule.
    marker = sync(NS, (text, js))
    top_marker = sync(None, (top,))
    top_seen = []
    if top_marker:
        sklookupctl(None, "del-rule", str(top_marker))
        top.collect(1)
        top_seen, top.lines = top.lines, []
    top_want = [{"event": "rule_deleted",
                 "rule": {"id": top_marker, "proto": "tcp", "dst": "198.51.100.0/24",
                          "port": "9", "port_min": 9, "port_max": 9, "phase": "first",
                          "action": "drop", "noreuseport": False}}]
    synced = marker == 1 and top_marker is not None and top_seen == top_want
    report(synced, "monitors in the namespace and in the initial one are listening",
           f"namespace marker {marker}, initial marker {top_marker}, "
           f"then {json.dumps(top_seen)}")
    if not synced:
        for mon in (text, js, top):
            mon.stop()
            print(f"# {mon.proc.args}: {mon.lines} {mon.errors}")
        return
    owner = in_netns(OWNER)

    def events(count):
        """Wait for the events of one step in both monitors: the module notices a
        closed socket later, from its sweep, and the next step must not overtake it."""
        for mon in (text, js):
            mon.collect(count)

    ctl("add-rule", "proto", "tcp", "dst", "192.0.2.0/24", "port", "80", "label", "web")
    events(1)
    with tempfile.NamedTemporaryFile("w", suffix=".rules", delete=False) as f:
        f.write("proto tcp dst 192.0.2.0/24 port 80 label web\n"
                "proto udp dst 192.0.2.0/24 port 53 label dns\n")
    ctl("apply", f.name)
    os.unlink(f.name)
    events(1)
    inode = {}
    for name in ("web", "api", "dns"):
        owner.stdin.write(f"register {name}\n")
        inode[name] = int(owner.stdout.readline())
        events(1)
    # apply kept rule 2 (the same words) and gave the new rule id 3.
    ctl("del-rule", "3")
    events(1)
    owner.stdin.write("close web\n")
    owner.stdout.readline()
    events(2)
    owner.stdin.write("shutdown api\n")
    owner.stdout.readline()
    events(2)
    ctl("unregister", "label", "dns")
    events(2)
    for mon in (text, js):
        mon.stop()

    want_text = [
        "rule added 2 proto tcp dst 192.0.2.0/24 port 80 label web",
        "rules replaced 2 rules",
        f"socket registered label web tcp 127.0.0.1:8081 ino {inode['web']}",
        f"socket registered label api tcp 127.0.0.1:8082 ino {inode['api']}",
        f"socket registered label dns udp 127.0.0.1:5353 ino {inode['dns']}",
        "rule deleted 3 proto udp dst 192.0.2.0/24 port 53 label dns",
        f"socket released label web tcp 127.0.0.1:8081 ino {inode['web']} closed",
        "label web has no sockets",
        f"socket released label api tcp 127.0.0.1:8082 ino {inode['api']} stopped listening",
        "label api has no sockets",
        f"socket released label dns udp 127.0.0.1:5353 ino {inode['dns']} unregistered",
        "label dns has no sockets",
    ]
    report(text.lines == want_text, "monitor prints each event of the sequence, in order",
           "\n".join(["want:", *want_text, "got:", *text.lines]))

    want_json = [
        {"event": "rule_added", "rule": rule_json(2, "tcp", 80, "web")},
        {"event": "rules_replaced", "rules": 2},
        {"event": "socket_registered", "label": "web", "socket": sock_json(8081, inode["web"])},
        {"event": "socket_registered", "label": "api", "socket": sock_json(8082, inode["api"])},
        {"event": "socket_registered", "label": "dns",
         "socket": sock_json(5353, inode["dns"], "udp")},
        {"event": "rule_deleted", "rule": rule_json(3, "udp", 53, "dns")},
        {"event": "socket_released", "label": "web", "socket": sock_json(8081, inode["web"]),
         "reason": "closed"},
        {"event": "label_empty", "label": "web"},
        {"event": "socket_released", "label": "api", "socket": sock_json(8082, inode["api"]),
         "reason": "stopped_listening"},
        {"event": "label_empty", "label": "api"},
        {"event": "socket_released", "label": "dns",
         "socket": sock_json(5353, inode["dns"], "udp"), "reason": "unregistered"},
        {"event": "label_empty", "label": "dns"},
    ]
    report(js.lines == want_json, "monitor -j prints the same events as JSON objects",
           "\n".join(["want:", *map(json.dumps, want_json), "got:", *map(json.dumps, js.lines)]))

    # Nobody is left in the namespace: deleting it destroys it, which only a monitor
    # outside can see. Its rule (id 2) and label (web, which the rule names) go with it.
    owner.stdin.close()
    owner.wait(timeout=10)
    subprocess.run(["ip", "netns", "del", NS], check=True)
    top.collect(1, wait=60)
    top.stop()
    want_top = [{"event": "namespace_gone", "netns": inum, "rules": 1, "labels": 1}]
    report(top.lines == want_top,
           "a monitor of the initial namespace sees the namespace go, and nothing else of it",
           "\n".join(["want:", *map(json.dumps, want_top), "got:", *map(json.dumps, top.lines)]))


if __name__ == "__main__":
    run(main, "monitor scenario")
