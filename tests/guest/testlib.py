"""What the Python guest tests share: the check lines and running sklookupctl."""
import json
import socket
import subprocess
import sys
import time

failed = 0


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


def run(main, name):
    """Run a scenario; a step that breaks is a failed check, with the reason."""
    try:
        main()
    except Exception as err:  # pylint: disable=broad-except
        report(False, f"{name} ran to the end", repr(err))
    sys.exit(1 if failed else 0)
