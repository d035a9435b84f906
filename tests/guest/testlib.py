"""What the Python guest tests share: the check lines and running sklookupctl."""
import socket
import struct
import subprocess
import sys

failed = 0

IP_PKTINFO = 8
IPV6_RECVPKTINFO = 49
IPV6_PKTINFO = 50
IPV6_FREEBIND = 78


def report(ok, name, detail=""):
    """One "ok - NAME" or "not ok - NAME" line, with the detail of a failure."""
    global failed
    print(f"{'ok' if ok else 'not ok'} - {name}")
    if not ok:
        failed += 1
        for line in str(detail).splitlines():
            print(f"# {line}")
    sys.stdout.flush()


def ctl(*args, fds=()):
    """Run sklookupctl, passing it the file descriptors in fds."""
    return subprocess.run(["sklookupctl", *args], capture_output=True, text=True,
                          pass_fds=fds, timeout=30)


def must(*args, fds=()):
    """Run sklookupctl; its output, or an exception that says why it failed."""
    res = ctl(*args, fds=fds)
    if res.returncode:
        raise RuntimeError(f"sklookupctl {' '.join(args)}: {res.stderr.strip()}")
    return res.stdout.strip()


def listener(label, backlog=512):
    """A TCP socket listening on a loopback port of its own, registered under label."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(backlog)
    s.settimeout(3)
    must("register", "label", label, "fd", str(s.fileno()), fds=(s.fileno(),))
    return s


def serve_one(server, family):
    """Receive one datagram and echo it from the address it was sent to."""
    data, anc, _, peer = server.recvmsg(64, 256)
    for level, kind, payload in anc:
        if family == 4 and level == socket.IPPROTO_IP and kind == IP_PKTINFO:
            ifindex, _, dst = struct.unpack("I4s4s", payload[:12])
            info = struct.pack("I4s4s", 0, dst, b"\0" * 4)
            server.sendmsg([data], [(socket.IPPROTO_IP, IP_PKTINFO, info)], 0, peer)
            return socket.inet_ntop(socket.AF_INET, dst)
        if family == 6 and level == socket.IPPROTO_IPV6 and kind == IPV6_PKTINFO:
            dst, ifindex = struct.unpack("16sI", payload[:20])
            info = struct.pack("16sI", dst, 0)
            server.sendmsg([data], [(socket.IPPROTO_IPV6, IPV6_PKTINFO, info)], 0, peer)
            return socket.inet_ntop(socket.AF_INET6, dst)
    return None


def run(main, name):
    """Run a scenario; a step that breaks is a failed check, with the reason."""
    try:
        main()
    except Exception as err:  # pylint: disable=broad-except
        report(False, f"{name} ran to the end", repr(err))
    sys.exit(1 if failed else 0)
