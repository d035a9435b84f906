#!/usr/bin/env python3
"""A label's pick while other sockets of the label change state (43-pick).

Each row: a label of sockets on loopback ports of their own (two, or sixteen, which
widens the window the old two-pass pick left), a rule steering 192.0.2.x to it, and a
catch-all socket of the kernel's on the rule's port on 0.0.0.0. picktoggle (C, built
here) toggles one socket of the label (half of them, of sixteen) in a tight loop (UDP:
connected and unconnected; TCP: shut down and listening again) while the test floods the
rule's address from varying source ports. The other sockets of the label are live all
along, so every datagram or connection belongs to the label: any that reaches the
catch-all socket, or a miss the label counts, is a pick that came back empty although a
live socket fitted.
"""
import json
import os
import socket
import subprocess
import sys
import time

from testlib import ctl, local_routes, must, report, run

SO_RCVBUFFORCE = 33
DATAGRAMS = int(os.environ.get("SKL_PICK_DATAGRAMS", "40000"))
CONNECTIONS = int(os.environ.get("SKL_PICK_CONNECTIONS", "6000"))
CHUNK = 1000
TOGGLE = "/tmp/picktoggle"
# Not 80: connections of earlier tests in the same boot linger in TIME_WAIT there, and a
# listener bound to 0.0.0.0:80 without SO_REUSEADDR left them unable to share the port.
TCP_PORT = 9043


def toggler(proto, socks):
    """Start picktoggle on socks, compiled here on first use."""
    if not os.path.exists(TOGGLE):
        subprocess.run(["gcc", "-O2", "-o", TOGGLE,
                        os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                     "picktoggle.c")], check=True)
    fds = [s.fileno() for s in socks]
    return subprocess.Popen([TOGGLE, proto, *map(str, fds)], pass_fds=fds)


def bound(proto, family, addr, port, backlog=4096):
    """A socket bound to addr:port, the port explicitly, so that disconnecting or shutting
    it down keeps it bound."""
    af = socket.AF_INET6 if family == "dual" else socket.AF_INET
    s = socket.socket(af, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == "dual":
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
    s.bind((addr, port))
    if proto == "tcp":
        s.listen(backlog)
    s.setblocking(False)
    return s


def keep_registered(label, toggled, kept):
    """Register again the toggled sockets the sweep let go of (it found them not live
    twice in a row), retrying while the toggler has them not live for a moment."""
    doc = json.loads(must("-j", "show"))
    have = next((l["sockets"] for l in doc["labels"] if l["name"] == label), [])
    ports = {s["port"] for s in have}
    for sock in toggled:
        if sock.getsockname()[1] in ports:
            continue
        for _ in range(200):
            if not ctl("register", "label", label, "fd", str(sock.fileno()),
                       fds=(sock.fileno(),)).returncode:
                kept["re-registered"] += 1
                break


def drain(counts, socks):
    """Read (or accept) everything queued at each socket, counting it by group."""
    for name, group in socks.items():
        for s in group:
            while True:
                try:
                    if s.type == socket.SOCK_STREAM:
                        s.accept()[0].close()
                    else:
                        s.recv(64)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break  # the toggler shut the listener down; its queue is gone
                counts[name] += 1


def label_misses(label):
    doc = json.loads(must("-j", "show"))
    return next((l["misses"] for l in doc["labels"] if l["name"] == label), 0)


def flood_udp(dst, total, counts, socks, label, toggled, kept):
    senders = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(256)]
    for s in senders:
        s.bind(("0.0.0.0", 0))
    sent = 0
    while sent < total:
        keep_registered(label, toggled, kept)
        for i in range(CHUNK):
            senders[(sent + i) % len(senders)].sendto(b"x" * 16, (dst, 53))
        sent += CHUNK
        time.sleep(0.05)
        drain(counts, socks)
    time.sleep(0.3)
    drain(counts, socks)
    for s in senders:
        s.close()
    return sent


def flood_tcp(dst, total, counts, socks, label, toggled, kept):
    made = 0
    while made < total:
        keep_registered(label, toggled, kept)
        for _ in range(200):
            c = socket.socket()
            c.settimeout(3)
            try:
                c.connect((dst, TCP_PORT))
                made += 1
            except OSError as err:
                kept["errors"] += 1
                kept["last error"] = str(err)
            c.close()
        drain(counts, socks)
    time.sleep(0.3)
    drain(counts, socks)
    return made


def row(n, proto, family, size, total):
    dst = f"192.0.2.{10 + n}"
    label = f"pick{n}"
    port = 53 if proto == "udp" else TCP_PORT
    addr = "::" if family == "dual" else "127.0.0.1"
    # Below the ephemeral range (32768 up), where earlier tests' connections may linger.
    base = 20000 + 100 * n
    label_socks = [bound(proto, family, addr, base + i) for i in range(size)]
    toggled = label_socks[size // 2:]
    socks = {"steady": label_socks[:size // 2], "toggled": toggled,
             "catch-all": [bound(proto, "4", "0.0.0.0", port)]}
    for s in label_socks:
        must("register", "label", label, "fd", str(s.fileno()), fds=(s.fileno(),))
    must("add-rule", "proto", proto, "dst", dst, "port", str(port), "label", label)
    counts = {name: 0 for name in socks}
    kept = {"re-registered": 0, "errors": 0, "last error": ""}
    proc = toggler(proto, toggled)
    try:
        start = time.monotonic()
        flood = flood_udp if proto == "udp" else flood_tcp
        sent = flood(dst, total, counts, socks, label, toggled, kept)
        took = time.monotonic() - start
    finally:
        proc.kill()
        proc.wait()
    misses = label_misses(label)
    what = "datagrams" if proto == "udp" else "connections"
    name = f"{proto} {'dual-stack ' if family == 'dual' else ''}label of {size}"
    print(f"# {name}: {sent} {what} in {took:.1f}s: steady {counts['steady']}, "
          f"toggled {counts['toggled']}, catch-all {counts['catch-all']}, label misses "
          f"{misses}, toggled sockets registered again {kept['re-registered']} times, "
          f"{kept['errors']} errors {kept['last error']}")
    report(counts["catch-all"] == 0 and misses == 0,
           f"{name}: none of {sent} {what} reaches the catch-all while "
           f"{len(toggled)} of its sockets toggle",
           f"{counts['catch-all']} at the catch-all socket, label misses {misses}")
    # A connection queued at a toggled listener is reset when it is shut down: what did
    # not reach a steady one or the catch-all went there.
    went = counts["toggled"] if proto == "udp" else sent - counts["steady"] - counts["catch-all"]
    report(counts["steady"] > sent // 4 and went > 0,
           f"{name}: steady and toggled sockets were both picked",
           f"steady {counts['steady']}, toggled {went} of {sent}")
    for group in socks.values():
        for s in group:
            s.close()
    must("flush")
    ctl("unregister", "label", label)


def main():
    local_routes("192.0.2.0/24")
    rows = [("udp", "4", 2, DATAGRAMS), ("udp", "4", 16, DATAGRAMS),
            ("udp", "dual", 2, DATAGRAMS // 4), ("tcp", "4", 16, CONNECTIONS)]
    for n, (proto, family, size, total) in enumerate(rows):
        if len(sys.argv) > 1 and proto not in sys.argv[1:]:
            continue
        row(n, proto, family, size, total)


if __name__ == "__main__":
    run(main, "pick")
