#!/usr/bin/env python3
"""A process holding sockets of every kind, for registering by pid (68-register-pid).

  pidsocks.py NAME BASE READYFILE

Opens, in this order: a TCP listener on 127.0.0.1:BASE+1 (tcp4), one on [::1]:BASE+2
(tcp6), a UDP socket on 127.0.0.1:BASE+53 (udp4), one on [::1]:BASE+53 (udp6), a TCP
socket bound to 127.0.0.1:BASE+3 that does not listen, a UDP socket connected to
127.0.0.1:9, a second descriptor of the first listener (dup), and a thread. Then writes
"KIND FD" lines and "thread TID" to READYFILE and serves until killed: a TCP connection
gets "NAME tcp PORT", a datagram the answer "NAME udp PORT got DATA", sent from the
address the datagram was sent to (IP_PKTINFO / IPV6_PKTINFO).
"""
import os
import select
import socket
import struct
import sys
import threading

IP_PKTINFO = 8
IPV6_RECVPKTINFO = 49
IPV6_PKTINFO = 50
IPV6_FREEBIND = 78


def main():
    name, base, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    fds = []

    def keep(kind, sock):
        fds.append((kind, sock.fileno()))
        return sock

    tcp4 = keep("tcp4", socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    tcp4.bind(("127.0.0.1", base + 1))
    tcp4.listen(16)
    tcp6 = keep("tcp6", socket.socket(socket.AF_INET6, socket.SOCK_STREAM))
    tcp6.bind(("::1", base + 2))
    tcp6.listen(16)
    udp4 = keep("udp4", socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    udp4.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    udp4.bind(("127.0.0.1", base + 53))
    udp6 = keep("udp6", socket.socket(socket.AF_INET6, socket.SOCK_DGRAM))
    udp6.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
    # Answering from an address of a local route (not one of an interface) needs it.
    udp6.setsockopt(socket.IPPROTO_IPV6, IPV6_FREEBIND, 1)
    udp6.bind(("::1", base + 53))
    unlistened = keep("bound", socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    unlistened.bind(("127.0.0.1", base + 3))
    connected = keep("connected", socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    connected.connect(("127.0.0.1", 9))
    fds.append(("dup", os.dup(tcp4.fileno())))

    tid = []
    started = threading.Event()

    def idle():
        tid.append(threading.get_native_id())
        started.set()
        threading.Event().wait()

    threading.Thread(target=idle, daemon=True).start()
    started.wait()

    with open(ready + ".tmp", "w", encoding="ascii") as f:
        for kind, fd in fds:
            f.write(f"{kind} {fd}\n")
        f.write(f"thread {tid[0]}\n")
    os.rename(ready + ".tmp", ready)

    while True:
        readable, _, _ = select.select([tcp4, tcp6, udp4, udp6], [], [])
        for sock in readable:
            port = sock.getsockname()[1]
            if sock.type == socket.SOCK_STREAM:
                conn, _ = sock.accept()
                conn.sendall(f"{name} tcp {port}\n".encode())
                conn.close()
                continue
            data, anc, _, peer = sock.recvmsg(512, 256)
            answer = [f"{name} udp {port} got ".encode() + data]
            for level, kind, payload in anc:
                if level == socket.IPPROTO_IP and kind == IP_PKTINFO:
                    dst = struct.unpack("I4s4s", payload[:12])[2]
                    info = struct.pack("I4s4s", 0, dst, b"\0" * 4)
                    sock.sendmsg(answer, [(level, IP_PKTINFO, info)], 0, peer)
                elif level == socket.IPPROTO_IPV6 and kind == IPV6_PKTINFO:
                    dst = struct.unpack("16sI", payload[:20])[0]
                    info = struct.pack("16sI", dst, 0)
                    sock.sendmsg(answer, [(level, IPV6_PKTINFO, info)], 0, peer)


if __name__ == "__main__":
    main()
