#!/usr/bin/env python3
"""What users see when a request is refused, and the other ways to register a socket.

Each row runs one sklookupctl command line against the real module and compares its exit
status and the exact line it prints.
"""
import os
import socket
import subprocess
import sys

from testlib import must, report, run


def row(want_rc, want_err, args, fds=(), env=None, prefix=()):
    res = subprocess.run([*prefix, "sklookupctl", *args], capture_output=True, text=True,
                         pass_fds=fds, env=env, timeout=30)
    got = res.stderr.strip()
    report(res.returncode == want_rc and got == want_err, "sklookupctl " + " ".join(args),
           f"expected exit {want_rc}: {want_err}\ngot exit {res.returncode}: {got}")


def main():
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    f = open("/etc/hostname")
    fd = lambda s: str(s.fileno())

    row(1, f"sklookupctl: register: fd {fd(tcp)}: the TCP socket is not listening: call listen() "
        "first (Invalid argument)", ["register", "label", "x", "fd", fd(tcp)], fds=(tcp.fileno(),))
    row(1, f"sklookupctl: register: fd {fd(udp)}: the UDP socket is not bound: bind it first "
        "(Invalid argument)", ["register", "label", "x", "fd", fd(udp)], fds=(udp.fileno(),))
    row(1, f"sklookupctl: register: fd {f.fileno()}: not a socket (Socket operation on non-socket)",
        ["register", "label", "x", "fd", str(f.fileno())], fds=(f.fileno(),))
    row(1, "sklookupctl: register: fd 99: not an open file descriptor (Bad file descriptor)",
        ["register", "label", "x", "fd", "99"])
    row(1, "sklookupctl: del-rule: no rule with this id (No such file or directory)",
        ["del-rule", "12345"])
    row(1, "sklookupctl: unregister: no socket is registered under this label "
        "(No such file or directory)", ["unregister", "label", "nobody"])

    # A registered socket cannot be registered twice.
    tcp.listen(8)
    must("register", "label", "x", "fd", fd(tcp), fds=(tcp.fileno(),))
    row(1, f"sklookupctl: register: fd {fd(tcp)}: socket is already registered under a label "
        "(File exists)", ["register", "label", "y", "fd", fd(tcp)], fds=(tcp.fileno(),))
    must("unregister", "label", "x")

    # Changes and reads need CAP_NET_ADMIN (62-privileges tries every command).
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    row(1, "sklookupctl: add-rule: needs CAP_NET_ADMIN over the network namespace "
        "(Operation not permitted): run it as root, or as root of the user namespace "
        "that owns the namespace",
        ["add-rule", "proto", "tcp", "dst", "192.0.2.0/24", "label", "x"], prefix=nobody)
    row(1, "sklookupctl: show: needs CAP_NET_ADMIN over the network namespace "
        "(Operation not permitted): run it as root, or as root of the user namespace "
        "that owns the namespace", ["show"], prefix=nobody)

    # Registering another process's socket (pidfd_getfd), and systemd's LISTEN_FDS.
    server = subprocess.Popen(["python3", "-c", """
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.fileno(), flush=True); time.sleep(60)"""], stdout=subprocess.PIPE, text=True)
    remote_fd = server.stdout.readline().strip()
    res = subprocess.run(["sklookupctl", "register", "label", "other", "fd", remote_fd, "pid",
                          str(server.pid)], capture_output=True, text=True)
    shown = must("show", "label", "other")
    report(res.returncode == 0 and "tcp inet 127.0.0.1:" in shown,
           "register takes a socket of another process by pid", res.stderr + shown)
    must("unregister", "label", "other")
    server.kill()

    act = socket.socket()
    act.bind(("127.0.0.1", 0))
    act.listen(8)
    os.dup2(act.fileno(), 3)
    res = subprocess.run(["sh", "-c", "LISTEN_PID=$$ LISTEN_FDS=1 exec sklookupctl register "
                          "label activated systemd"], capture_output=True, text=True,
                         pass_fds=(3,))
    shown = must("show", "label", "activated")
    report(res.returncode == 0 and f":{act.getsockname()[1]} " in shown,
           "register takes the sockets systemd passes (LISTEN_FDS)", res.stderr + shown)
    must("unregister", "label", "activated")


if __name__ == "__main__":
    run(main, "error scenario")
