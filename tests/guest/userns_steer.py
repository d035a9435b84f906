#!/usr/bin/env python3
"""Run as an unprivileged user inside `unshare -Urn`: register a socket in this namespace,
steer a prefix to it, and print "steered" when a connection arrives there."""
import socket
import subprocess
import sys

subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
subprocess.run(["ip", "route", "add", "local", "192.0.2.0/24", "dev", "lo"], check=True)
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(1)
server.settimeout(3)
for args in (["register", "label", "web", "fd", str(server.fileno())],
             ["add-rule", "proto", "tcp", "dst", "192.0.2.0/24", "port", "80", "label", "web"]):
    subprocess.run(["sklookupctl", *args], check=True, pass_fds=(server.fileno(),),
                   stdout=subprocess.DEVNULL)
client = socket.create_connection(("192.0.2.1", 80), timeout=3)
client.sendall(b"hi")
conn, _ = server.accept()
conn.settimeout(3)
got = conn.recv(2)
print("steered" if got == b"hi" else f"got {got!r}")
sys.exit(0 if got == b"hi" else 1)
