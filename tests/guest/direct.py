#!/usr/bin/env python3
"""hook=direct: unload while lookups run through the trampolines, then load again.

Traffic steered by rules to registered sockets (TCP and UDP, IPv4 and IPv6) runs in
threads while rmmod removes the direct calls: rmmod must succeed, the kernel must keep
working (the kernel's own sockets answer afterwards) and log no warning, and ftrace must
be left with none of the module's functions. A second load with hook=direct registers
the same call sites again and steers, also with a kretprobe on the lookups. Prints one "ok - ..."/"not ok - ..." line per check.
"""
import os
import socket
import subprocess
import threading
import time

from testlib import ctl, deliver, kernel_socket, local_routes, must, report, run

OURS = ("__inet_lookup_listener", "inet6_lookup_listener", "__udp4_lib_lookup",
        "__udp6_lib_lookup")
FLOWS = [("tcp", "192.0.2.90", 7100), ("udp", "192.0.2.91", 7101),
         ("tcp", "2001:db8:1::90", 7102), ("udp", "2001:db8:1::91", 7103)]


def service(proto, addr):
    """A socket of loopback registered under the label "svc"."""
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    s.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
    if proto == "tcp":
        s.listen(512)
    must("register", "label", "svc", "fd", str(s.fileno()), fds=(s.fileno(),))
    return s


def steer_all():
    """Rules for FLOWS and a registered socket each: what each flow reaches."""
    socks = {}
    for proto, dst, port in FLOWS:
        fam = 6 if ":" in dst else 4
        if (proto, fam) not in socks:
            socks[(proto, fam)] = service(proto, dst)
        must("add-rule", "proto", proto, "dst", dst, "port", str(port), "label", "svc")
    got = {}
    for proto, dst, port in FLOWS:
        fam = 6 if ":" in dst else 4
        got[(proto, dst)] = deliver(proto, dst, port, {"svc": socks[(proto, fam)]})[0]
    return socks, got


def drain(socks, stop):
    """Accept and read whatever arrives, so that the senders never block on a full queue."""
    while not stop.is_set():
        for s in socks.values():
            s.setblocking(False)
            try:
                if s.type == socket.SOCK_STREAM:
                    conn, _ = s.accept()
                    conn.close()
                else:
                    s.recv(64)
            except OSError:
                pass
        time.sleep(0.001)


def traffic(proto, dst, port, stop, counts):
    """Send to dst:port until stop: datagrams, or connections that are made and closed."""
    family = socket.AF_INET6 if ":" in dst else socket.AF_INET
    while not stop.is_set():
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        with socket.socket(family, kind) as c:
            c.settimeout(0.5)
            try:
                if proto == "tcp":
                    c.connect((dst, port))
                else:
                    c.sendto(b"x", (dst, port))
                counts[(proto, dst)] = counts.get((proto, dst), 0) + 1
            except OSError:
                counts[("err", proto, dst)] = counts.get(("err", proto, dst), 0) + 1


def enabled_functions():
    with open("/sys/kernel/tracing/enabled_functions") as f:
        return f.read()


def dmesg():
    return subprocess.run(["dmesg"], capture_output=True, text=True).stdout.splitlines()


def tracefs(name, text, mode="w"):
    """Write to a tracefs file; mode "a" adds to it. Not through Python's append mode:
    that seeks to the end, which tracefs refuses (EINVAL)."""
    flags = os.O_WRONLY | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    fd = os.open(f"/sys/kernel/tracing/{name}", flags)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def return_probe_scenario():
    """A kretprobe on a hooked lookup rewrites its caller's return address in the ftrace
    callback, before ftrace calls the direct trampoline: the trampoline then sees the
    kprobe's trampoline as the caller, also when the caller is the module's own wrapper
    calling the kernel's lookup. Rules in the phases after the kernel's lookup divert
    every lookup into such a wrapper; the module must still recognise its own call (a
    second decision would divert it again, without end)."""
    flows = [("udp", "192.0.2.95", 7105, "__udp4_lib_lookup"),
             ("tcp", "192.0.2.96", 7106, "__inet_lookup_listener")]
    socks = {}
    for proto, dst, port, fn in flows:
        socks[proto] = service(proto, dst)
        must("add-rule", "proto", proto, "dst", dst, "port", str(port), "phase", "fallback",
             "label", "svc")
        tracefs("kprobe_events", f"r:skl_direct_ret_{proto} {fn}\n", "a")
        tracefs(f"events/kprobes/skl_direct_ret_{proto}/enable", "1")
    try:
        for proto, dst, port, fn in flows:
            got = deliver(proto, dst, port, {"svc": socks[proto]})[0]
            report(got == "svc", f"{proto}: a fallback rule steers while a kretprobe is on {fn}",
                   f"reached: {got}")
    finally:
        for proto, _, _, _ in flows:
            tracefs(f"events/kprobes/skl_direct_ret_{proto}/enable", "0")
            tracefs("kprobe_events", f"-:skl_direct_ret_{proto}\n", "a")
        for s in socks.values():
            s.close()


def main():
    logged = len(dmesg())
    local_routes("192.0.2.0/24", "2001:db8:1::/64")
    socks, got = steer_all()
    report(all(v == "svc" for v in got.values()),
           "hook=direct steers tcp and udp, IPv4 and IPv6, to the registered sockets",
           f"reached: {got}")

    stop = threading.Event()
    counts = {}
    threads = [threading.Thread(target=drain, args=(socks, stop))]
    threads += [threading.Thread(target=traffic, args=(p, d, port, stop, counts))
                for p, d, port in FLOWS]
    for t in threads:
        t.start()
    time.sleep(1.0)
    before = dict(counts)
    res = subprocess.run(["rmmod", "sklookup"], capture_output=True, text=True, timeout=120)
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join(timeout=10)
    report(res.returncode == 0, "rmmod under traffic through the direct trampolines succeeds",
           res.stderr)
    sent = {k: v for k, v in before.items() if k[0] != "err"}
    report(len(sent) == len(FLOWS) and all(v > 0 for v in sent.values()),
           "every flow ran before rmmod", f"counts before rmmod: {before}")
    left = [fn for fn in OURS for line in enabled_functions().splitlines()
            if line.startswith(fn + " ")]
    report(not left, "after rmmod ftrace has none of the hooked functions",
           enabled_functions())
    bad = [l for l in dmesg()[logged:] if any(w in l for w in ("WARNING:", "BUG:", "Oops"))]
    report(not bad, "no kernel warning while unloading under traffic", "\n".join(bad[:10]))

    # The kernel's own lookups work without the module.
    own = kernel_socket("udp", "192.0.2.92", 7104)
    got = deliver("udp", "192.0.2.92", 7104, {"kernel": own})[0]
    report(got == "kernel", "after rmmod the kernel's own UDP socket gets its datagrams",
           f"reached: {got}")
    own.close()
    for s in socks.values():
        s.close()

    # The same call sites take direct calls again.
    res = subprocess.run(["modprobe", "sklookup", "hook=direct"], capture_output=True,
                         text=True, timeout=120)
    report(res.returncode == 0, "modprobe sklookup hook=direct again", res.stderr)
    socks, got = steer_all()
    report(all(v == "svc" for v in got.values()), "the second load steers every flow",
           f"reached: {got}")
    for s in socks.values():
        s.close()
    must("flush")
    ctl("unregister", "label", "svc")  # its sockets are closed: it may be gone already
    return_probe_scenario()


if __name__ == "__main__":
    run(main, "direct-call unload scenario")
