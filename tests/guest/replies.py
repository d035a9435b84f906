#!/usr/bin/env python3
"""A steered UDP service answers from the address the client sent to.

The recipe the README gives: bind the service port on an address of its own, ask for
IP_PKTINFO / IPV6_RECVPKTINFO, and reply with the destination the datagram carried as the
source (IPv6 also needs IPV6_FREEBIND when that address comes from a local route). The client, connected to the address it dialled, only accepts such a reply.
"""
import socket
import subprocess

from testlib import IP_PKTINFO, IPV6_FREEBIND, IPV6_RECVPKTINFO, must, report, run, serve_one


def main():
    subprocess.run(["ip", "route", "replace", "local", "192.0.2.0/24", "dev", "lo"], check=True)
    subprocess.run(["ip", "-6", "route", "replace", "local", "2001:db8:1::/64", "dev", "lo"],
                   check=True)
    for family, bind_addr, dst, prefix in ((4, "127.0.0.3", "192.0.2.77", "192.0.2.0/24"),
                                          (6, "::1", "2001:db8:1::77", "2001:db8:1::/64")):
        af = socket.AF_INET if family == 4 else socket.AF_INET6
        server = socket.socket(af, socket.SOCK_DGRAM)
        if family == 4:
            server.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        else:
            server.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
            # IPv6 refuses a source that is not an interface address (these come from a
            # local route) unless the socket may use any address.
            server.setsockopt(socket.IPPROTO_IPV6, IPV6_FREEBIND, 1)
        server.bind((bind_addr, 53))
        server.settimeout(3)
        label = f"dns{family}"
        must("register", "label", label, "fd", str(server.fileno()), fds=(server.fileno(),))
        rule = must("add-rule", "proto", "udp", "dst", prefix, "port", "53", "label", label)

        client = socket.socket(af, socket.SOCK_DGRAM)
        client.connect((dst, 53))
        client.settimeout(3)
        client.send(b"query")
        seen = serve_one(server, family)
        try:
            answer = client.recv(64)
        except OSError as err:
            answer = repr(err)
        report(seen == dst and answer == b"query",
               f"udp{family}: the steered service answers from {dst}:53",
               f"service saw destination {seen}, client got {answer!r}")
        must("del-rule", rule)
        must("unregister", "label", label)
        client.close()
        server.close()


if __name__ == "__main__":
    run(main, "reply scenario")
