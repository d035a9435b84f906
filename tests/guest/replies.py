#!/usr/bin/env python3
"""A steered UDP service answers from the address the client sent to.

The recipe the README gives: bind the service port on an address of its own, ask for
IP_PKTINFO / IPV6_RECVPKTINFO, and reply with the destination the datagram carried as the
source (IPv6 also needs IPV6_FREEBIND when that address comes from a local route). The client, connected to the address it dialled, only accepts such a reply.
"""
import socket
import subprocess

from testlib import local_routes, must, pktinfo_socket, report, run, udp_round_trip


def main():
    local_routes("192.0.2.0/24", "2001:db8:1::/64")
    for family, bind_addr, dst, prefix in ((4, "127.0.0.3", "192.0.2.77", "192.0.2.0/24"),
                                          (6, "::1", "2001:db8:1::77", "2001:db8:1::/64")):
        af = socket.AF_INET if family == 4 else socket.AF_INET6
        server = pktinfo_socket(family, bind_addr, 53)
        label = f"dns{family}"
        must("register", "label", label, "fd", str(server.fileno()), fds=(server.fileno(),))
        rule = must("add-rule", "proto", "udp", "dst", prefix, "port", "53", "label", label)

        client = socket.socket(af, socket.SOCK_DGRAM)
        client.connect((dst, 53))
        seen, answer = udp_round_trip(client, server, family)
        report(seen == dst and answer == b"query",
               f"udp{family}: the steered service answers from {dst}:53",
               f"service saw destination {seen}, client got {answer!r}")
        must("del-rule", rule)
        must("unregister", "label", label)
        client.close()
        server.close()


if __name__ == "__main__":
    run(main, "reply scenario")
