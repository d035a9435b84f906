"""What the Python guest tests share: the check lines and running sklookupctl."""
import errno
import json
import os
import select
import socket
import struct
import subprocess
import sys
import time

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


# How long one sklookupctl may take. Under the debug kernel's checkers (KASAN on every
# access), flushing a million rules alone took more than 30 s.
CTL_TIMEOUT = 600 if os.path.exists("/opt/sklookup/debug-kernel") else 30


def ctl(*args, fds=()):
    """Run sklookupctl, passing it the file descriptors in fds."""
    return subprocess.run(["sklookupctl", *args], capture_output=True, text=True,
                          pass_fds=fds, timeout=CTL_TIMEOUT)


def must(*args, fds=()):
    """Run sklookupctl; its output, or an exception that says why it failed."""
    res = ctl(*args, fds=fds)
    if res.returncode:
        raise RuntimeError(f"sklookupctl {' '.join(args)}: {res.stderr.strip()}")
    return res.stdout.strip()


def settled_counters(want, timeout):
    """Poll status until the counters named in want (live objects such as "rules",
    "sockets", "staged") have the values in want, or timeout seconds pass: objects
    are released after an RCU grace period or by a worker, not by the request that
    drops them. Returns the last reading, of the same counters, for the check."""
    deadline = time.monotonic() + timeout
    while True:
        doc = json.loads(must("-j", "status"))
        got = {name: doc[name] for name in want}
        if got == want or time.monotonic() >= deadline:
            return got
        time.sleep(0.2)


def kernel_socket(proto, addr, port):
    """A socket of the kernel's own (not registered) bound to addr:port, listening for
    TCP: what the kernel's lookup finds when no rule decides."""
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    # Exact and wildcard listeners of one port may coexist only with SO_REUSEPORT; bound
    # to different addresses they are not one reuseport group.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        # A local route is enough to reach an IPv6 address, not to bind it.
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_FREEBIND, 1)
    s.bind((addr, port))
    if proto == "tcp":
        s.listen(8)
    return s


def deliver(proto, dst, port, receivers, wait=2):
    """Send a few random bytes to dst:port over "tcp" or "udp" and see which of the
    sockets in receivers (a dict of name to socket; closed ones are skipped) gets them
    within wait seconds.
    Returns (who, local): who is the receiver's name (with " got ..." when the bytes came
    changed), an errno name such as "ECONNREFUSED", or "nobody"; local is the accepted
    connection's local address for TCP, else None."""
    family = socket.AF_INET6 if ":" in dst else socket.AF_INET
    payload = os.urandom(8).hex().encode()
    with socket.socket(family, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM) as c:
        c.settimeout(3)
        try:
            if proto == "tcp":
                c.connect((dst, port))
                c.sendall(payload)
            else:
                c.sendto(payload, (dst, port))
        except OSError as err:
            return errno.errorcode.get(err.errno, str(err)), None
        live = {name: s for name, s in receivers.items() if s.fileno() >= 0}
        ready, _, _ = select.select(list(live.values()), [], [], wait)
        if not ready:
            return "nobody", None
        name = next(n for n, s in live.items() if s is ready[0])
        local = None
        if proto == "tcp":
            conn, _ = ready[0].accept()
            conn.settimeout(3)
            got = conn.recv(64)
            local = conn.getsockname()[:2]
            conn.close()
        else:
            got = ready[0].recv(64)
        return (name if got == payload else f"{name} got {got!r}"), local


def module_hook():
    """The hook that "modprobe sklookup" takes when it names none: "ops", the module's
    default, or what modprobe's configuration says (the test init writes hook=direct
    there when the host ran the suite with SKL_HOOK=direct)."""
    out = subprocess.run(["modprobe", "-c"], capture_output=True, text=True).stdout
    hook = "ops"
    for line in out.splitlines():
        words = line.split()
        if words[:2] == ["options", "sklookup"]:
            for w in words[2:]:
                if w.startswith("hook="):
                    hook = w[len("hook="):]
    return hook


def hook_calls(hook):
    """How often the hook named hook ("tcp4", "udp6", ...) has run so far, from status -j:
    every lookup of the kernel's, in every namespace, but not the module's own (a
    redirect's). A segment that reaches a listener lookup late, after its connection's
    socket is gone, shows here as one call more than the connections made."""
    for h in json.loads(must("-j", "status"))["hooks"]:
        if h["hook"] == hook:
            return h["calls"]
    raise RuntimeError(f"no hook {hook} in sklookupctl status -j")


def syn_retransmits():
    """SYNs that TCP clients of the caller's network namespace have sent again so far
    (TcpExt TCPSynRetrans). A SYN sent again, because its SYN-ACK was late in an emulated
    guest, may be looked up again and count a second hit for the rule that steers it."""
    with open("/proc/net/netstat", encoding="ascii") as f:
        lines = f.read().splitlines()
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split(), values.split()))["TCPSynRetrans"])
    raise RuntimeError("no TcpExt TCPSynRetrans in /proc/net/netstat")


def listener(label, backlog=512):
    """A TCP socket listening on a loopback port of its own, registered under label."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(backlog)
    s.settimeout(3)
    must("register", "label", label, "fd", str(s.fileno()), fds=(s.fileno(),))
    return s


def attach_reuseport_cbpf(sock, index):
    """A classic BPF reuseport program that always picks group member @index."""
    import ctypes

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8),
                    ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(SockFilter))]

    insns = (SockFilter * 1)(SockFilter(0x06, 0, 0, index))  # BPF_RET | BPF_K
    prog = SockFprog(1, insns)
    libc = ctypes.CDLL(None, use_errno=True)
    so_attach_reuseport_cbpf = 51
    if libc.setsockopt(sock.fileno(), socket.SOL_SOCKET, so_attach_reuseport_cbpf,
                       ctypes.byref(prog), ctypes.sizeof(prog)):
        raise OSError(ctypes.get_errno(), "SO_ATTACH_REUSEPORT_CBPF")


def accepts_per_member(group, addr, connections=16):
    """Connect to addr that many times; how many connections each listener of group took."""
    import select

    counts = [0] * len(group)
    clients = []
    for _ in range(connections):
        clients.append(socket.create_connection(addr, timeout=3))
        ready, _, _ = select.select(group, [], [], 2)
        for i, s in enumerate(group):
            if ready and s is ready[0]:
                s.accept()[0].close()
                counts[i] += 1
    for c in clients:
        c.close()
    return counts


def pktinfo_socket(family, addr, port):
    """A UDP socket on addr:port that learns each datagram's destination, to answer from it
    (IPv6 also needs freebind when that address comes from a local route)."""
    server = socket.socket(socket.AF_INET if family == 4 else socket.AF_INET6, socket.SOCK_DGRAM)
    if family == 4:
        server.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    else:
        server.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
        server.setsockopt(socket.IPPROTO_IPV6, IPV6_FREEBIND, 1)
    server.bind((addr, port))
    server.settimeout(3)
    return server


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


def udp_round_trip(client, server, family):
    """The connected client sends a query; the service answers it from the destination
    the datagram carried (serve_one). Returns that destination and what the client got
    back (its error, if nothing came)."""
    client.settimeout(3)
    client.send(b"query")
    seen = serve_one(server, family)
    try:
        answer = client.recv(64)
    except OSError as err:
        answer = repr(err)
    return seen, answer


def local_routes(*prefixes):
    """Make these prefixes local on lo, so that the guest itself is every address in them."""
    for prefix in prefixes:
        family = ["-6"] if ":" in prefix else []
        subprocess.run(["ip", *family, "route", "replace", "local", prefix, "dev", "lo"],
                       check=True)


def run(main, name):
    """Run a scenario; a step that breaks is a failed check, with the reason."""
    try:
        main()
    except Exception as err:  # pylint: disable=broad-except
        report(False, f"{name} ran to the end", repr(err))
    sys.exit(1 if failed else 0)
