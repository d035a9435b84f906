#!/usr/bin/env python3
"""Semantics at the edges, as README's "Edges" says them.

- An ICMP error for a datagram a socket sent reaches that socket, never a label's: lookups
  made without a packet (ICMP errors, GRO, socket diag, TPROXY, BPF helpers) are not
  steered.
- An IPv6 socket bound to ::ffff:0.0.0.0 is a wildcard socket for IPv4, as for the kernel,
  so the specific phase takes over from it.
- drop makes the lookup find nothing: TCP answers a reset (connection refused), UDP an ICMP
  port unreachable (a connected sender's next recv is refused).
"""
import errno
import socket

from testlib import deliver, must, report, run

IP_RECVERR = 11
IPV6_RECVERR = 25


def udp(family, addr, port=0, recverr=True):
    af = socket.AF_INET6 if family == 6 else socket.AF_INET
    s = socket.socket(af, socket.SOCK_DGRAM)
    if recverr:
        s.setsockopt(socket.IPPROTO_IPV6 if family == 6 else socket.IPPROTO_IP,
                     IPV6_RECVERR if family == 6 else IP_RECVERR, 1)
    s.bind((addr, port))
    s.settimeout(2)
    return s


def unused_port(family, addr):
    """A UDP port nothing is bound to on addr (bound, noted, closed)."""
    with udp(family, addr, recverr=False) as s:
        return s.getsockname()[1]


def outcome(sock):
    """What the next recv of sock gives: "refused", "data", or "nothing"."""
    try:
        sock.recv(64)
        return "data"
    except ConnectionRefusedError:
        return "refused"
    except socket.timeout:
        return "nothing"


def errqueue(sock):
    """Whether sock has an error queued (IP_RECVERR) or pending (SO_ERROR)."""
    pending = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    timeout = sock.gettimeout()
    sock.settimeout(0)
    try:
        sock.recvmsg(64, 512, socket.MSG_ERRQUEUE)
        return "error queued"
    except BlockingIOError:
        return f"SO_ERROR {errno.errorcode.get(pending, pending)}" if pending else "none"
    finally:
        sock.settimeout(timeout)


def icmp_errors():
    for family, local, remote, label_addr, phase, bind in (
            (4, "127.0.0.1", "127.0.0.2", "127.0.0.3", "first", "127.0.0.1"),
            (4, "127.0.0.1", "127.0.0.2", "127.0.0.3", "specific", "0.0.0.0"),
            (6, "::1", "::1", "::1", "first", "::1"),
            (6, "::1", "::1", "::1", "specific", "::")):
        name = f"udp{family} {phase}"
        target = udp(family, label_addr)
        label = f"err{family}{phase}"
        must("register", "label", label, "fd", str(target.fileno()), fds=(target.fileno(),))
        for connected in (False, True):
            sender = udp(family, bind)
            sport = sender.getsockname()[1]
            dead = unused_port(family, remote)
            # The error for the sender's datagram is looked up as a datagram from
            # remote:dead to local:sport, which this rule covers.
            rule = must("add-rule", "proto", "udp", "dst", local, "port", str(sport),
                        "phase", phase, "label", label)
            if connected:
                sender.connect((remote, dead))
                sender.send(b"probe")
            else:
                sender.sendto(b"probe", (remote, dead))
            how = "connected" if connected else "unconnected"
            got = outcome(sender)
            report(got == "refused",
                   f"{name}: the port unreachable reaches the {how} sender", f"sender: {got}")
            got = errqueue(target)
            report(got == "none", f"{name}: the error for a {how} sender misses the label's "
                   "socket", f"label's socket: {got}")
            must("del-rule", rule)
            sender.close()
        # A datagram of that flow still goes to the label: only errors are left alone.
        sender = udp(family, bind)
        rule = must("add-rule", "proto", "udp", "dst", local, "port",
                    str(sender.getsockname()[1]), "phase", phase, "label", label)
        with udp(family, remote) as peer:
            peer.sendto(b"data", (local, sender.getsockname()[1]))
            got = outcome(target)
        report(got == "data", f"{name}: a datagram of the rule's flow still reaches the label",
               f"label's socket: {got}")
        must("del-rule", rule)
        must("unregister", "label", label)
        sender.close()
        target.close()


def mapped_wildcard():
    for proto in ("tcp", "udp"):
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        mapped = socket.socket(socket.AF_INET6, kind)
        mapped.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        mapped.bind(("::ffff:0.0.0.0", 0))
        port = mapped.getsockname()[1]
        target = socket.socket(socket.AF_INET, kind)
        target.bind(("127.0.0.3", 0))
        if proto == "tcp":
            mapped.listen(8)
            target.listen(8)
        label = f"mapped{proto}"
        must("register", "label", label, "fd", str(target.fileno()), fds=(target.fileno(),))
        receivers = {"mapped": mapped, "label": target}
        got, _ = deliver(proto, "127.0.0.1", port, receivers)
        report(got == "mapped", f"{proto}: without rules ::ffff:0.0.0.0 takes IPv4 to any address",
               f"receiver: {got}")
        rule = must("add-rule", "proto", proto, "dst", "127.0.0.1", "port", str(port),
                    "phase", "specific", "label", label)
        got, _ = deliver(proto, "127.0.0.1", port, receivers)
        report(got == "label", f"{proto}: a socket bound to ::ffff:0.0.0.0 is a wildcard "
               "socket, which the specific phase overrides", f"receiver: {got}")
        must("del-rule", rule)
        must("unregister", "label", label)
        mapped.close()
        target.close()


def drop_answers():
    for family, addr in ((4, "127.0.0.4"), (6, "::1")):
        af = socket.AF_INET6 if family == 6 else socket.AF_INET
        listening = socket.socket(af)
        listening.bind((addr, 0))
        listening.listen(8)
        port = listening.getsockname()[1]
        rule = must("add-rule", "proto", "tcp", "dst", addr, "port", str(port), "drop")
        got, _ = deliver("tcp", addr, port, {"listener": listening})
        report(got == "ECONNREFUSED", f"tcp{family}: drop answers a reset: connect is refused",
               f"got: {got}")
        must("del-rule", rule)
        listening.close()

        bound = udp(family, addr, recverr=False)
        port = bound.getsockname()[1]
        rule = must("add-rule", "proto", "udp", "dst", addr, "port", str(port), "drop")
        client = udp(family, addr, recverr=False)
        client.connect((addr, port))
        client.send(b"dropped")
        got = outcome(client)
        report(got == "refused", f"udp{family}: drop answers port unreachable: the connected "
               "sender's recv is refused", f"sender: {got}, bound socket: {outcome(bound)}")
        must("del-rule", rule)
        client.close()
        bound.close()


def main():
    icmp_errors()
    mapped_wildcard()
    drop_answers()


if __name__ == "__main__":
    run(main, "edge scenario")
