#!/usr/bin/env python3
"""Traffic for the guest tests: loopback round trips that check every byte.

  net.py echo PROTO FAMILY       one round trip, e.g. "echo tcp 6"
  net.py traffic SECONDS         round trips over tcp4, tcp6, udp4 and udp6 until the time
                                 is up; fails if any round trip fails or none ran
"""
import os
import socket
import sys
import time

ADDRS = {4: ("127.0.0.1", socket.AF_INET), 6: ("::1", socket.AF_INET6)}


def round_trip(proto, family, payload):
    addr, af = ADDRS[family]
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    with socket.socket(af, kind) as server, socket.socket(af, kind) as client:
        server.bind((addr, 0))
        server.settimeout(5)
        client.settimeout(5)
        port = server.getsockname()[1]
        if proto == "tcp":
            server.listen(8)
            client.connect((addr, port))
            conn, _ = server.accept()
            with conn:
                client.sendall(payload)
                got = b""
                while len(got) < len(payload):
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    got += chunk
                conn.sendall(got)
            back = b""
            while len(back) < len(payload):
                chunk = client.recv(65536)
                if not chunk:
                    break
                back += chunk
        else:
            client.sendto(payload, (addr, port))
            got, peer = server.recvfrom(65536)
            server.sendto(got, peer)
            back = client.recv(65536)
    if got != payload or back != payload:
        raise RuntimeError(f"{proto}{family}: sent {payload!r}, server got {got!r}, "
                           f"client got back {back!r}")


def main(argv):
    if len(argv) == 4 and argv[1] == "echo":
        round_trip(argv[2], int(argv[3]), os.urandom(16) + b"sklookup")
        return 0
    if len(argv) == 3 and argv[1] == "traffic":
        deadline = time.monotonic() + float(argv[2])
        done = failed = 0
        while time.monotonic() < deadline:
            for proto in ("tcp", "udp"):
                for family in (4, 6):
                    try:
                        round_trip(proto, family, os.urandom(32))
                        done += 1
                    except (OSError, RuntimeError) as err:
                        failed += 1
                        print(f"round trip {proto}{family} failed: {err}", file=sys.stderr)
        print(f"round trips {done} failed {failed}")
        return 0 if done and not failed else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
