#!/usr/bin/env python3
"""apply replaces the whole rule set at once; dump prints it back in the same words."""
import json
import os
import pty
import select
import signal
import socket
import subprocess
import time
import tty

from testlib import local_routes, must, report, run

# A client that stages rules, says so, and waits to be killed before it commits.
STAGER = """
import sys, time
sys.path.insert(0, "/opt/sklookup/tests")
from genl import C, Genl, flag, rule_attrs
g = Genl()
g.request(C["SKL_CMD_RULE_BEGIN"])
for i in range(1000):
    g.request(C["SKL_CMD_RULE_ADD"], rule_attrs(6, "10.9.%d.%d" % (i >> 8, i & 255), 32, 80,
                                                 "web") + flag(C["SKL_A_RULE_STAGE"]))
print("staged", flush=True)
time.sleep(600)
"""


def status():
    return json.loads(must("-j", "status"))


def killed_apply():
    """A client killed after staging, before committing, leaves nothing behind."""
    before = dump()
    stager = subprocess.Popen(["python3", "-c", STAGER], stdout=subprocess.PIPE, text=True)
    line = stager.stdout.readline().strip()
    staged = status()["staged"]
    report(line == "staged" and staged == 1000, "staged rules are counted while not committed",
           f"client said {line!r}, status staged {staged}")
    stager.send_signal(signal.SIGKILL)
    stager.wait()
    deadline = time.monotonic() + 5
    while status()["staged"] and time.monotonic() < deadline:
        time.sleep(0.1)
    staged = status()["staged"]
    report(staged == 0 and dump() == before,
           "a client killed before its commit leaves nothing staged and no rule changed",
           f"staged {staged}")


def dump():
    return must("dump")


WRITE_ERROR = "sklookupctl: write error: No space left on device"


def unreadable_input():
    """Input that cannot be read whole changes nothing; output that cannot be written
    whole is an error. Before, apply of a directory read no rule and flushed them all, a
    read error half way applied the lines before it, and output to a full disk exited 0."""
    before = dump()
    res = subprocess.run(["sklookupctl", "apply", "/tmp"], capture_output=True, text=True)
    report(res.returncode == 1 and res.stderr == "sklookupctl: apply: /tmp: Is a directory\n"
           and dump() == before, "apply of a directory is refused and changes nothing",
           f"exit {res.returncode}: {res.stderr}\ndump:\n{dump()}")

    # A pty's master fails its read with EIO once the other side is closed and drained.
    master, slave = pty.openpty()
    tty.setraw(slave)
    os.write(slave, b"proto tcp dst 203.0.113.0/24 label web\n")
    os.close(slave)
    res = subprocess.run(["sklookupctl", "apply", "-"], stdin=master, capture_output=True,
                         text=True)
    os.close(master)
    report(res.returncode == 1 and res.stderr == "sklookupctl: apply: -: Input/output error\n"
           and dump() == before, "apply of input that fails half way changes nothing",
           f"exit {res.returncode}: {res.stderr}\ndump:\n{dump()}")

    # Every command that prints, to a full disk. register by pid prints what it took.
    extra = socket.socket()
    extra.bind(("127.0.0.1", 0))
    extra.listen()
    commands = [["dump"], ["show"], ["-j", "show"], ["-s", "show"], ["status"],
                ["-j", "status"], ["stats"], ["-j", "stats"], ["stats", "--prometheus"],
                ["explain", "proto", "tcp", "dst", "192.0.2.5", "port", "80"],
                ["-j", "explain", "proto", "tcp", "dst", "192.0.2.5", "port", "80"],
                ["-j", "register", "label", "full", "pid", str(os.getpid()), "proto", "tcp",
                 "local", "127.0.0.1:%d" % extra.getsockname()[1]]]
    with open("/dev/full", "w", encoding="ascii") as full:
        for args in commands:
            res = subprocess.run(["sklookupctl", *args], stdout=full, stderr=subprocess.PIPE,
                                 text=True)
            report(res.returncode == 1 and res.stderr == WRITE_ERROR + "\n",
                   f"sklookupctl {' '.join(args[:3])} >/dev/full fails with a write error",
                   f"exit {res.returncode}: {res.stderr}")
        must("unregister", "label", "full")
        extra.close()

        # With stdout closed, the netlink socket would take descriptor 1 and the rules
        # printed would go to the module, with no error.
        res = subprocess.run(["sh", "-c", "sklookupctl dump >&-"], capture_output=True,
                             text=True)
        report(res.returncode == 1 and
               res.stderr == "sklookupctl: write error: Bad file descriptor\n",
               "sklookupctl dump >&- fails with a write error",
               f"exit {res.returncode}: {res.stderr}")

        # monitor stops at the first event it cannot print. The rule added and deleted
        # until it does (it may not have subscribed yet) leaves the set as it was.
        mon = subprocess.Popen(["sklookupctl", "monitor"], stdout=full, stderr=subprocess.PIPE,
                               text=True)
        deadline = time.monotonic() + 10
        while mon.poll() is None and time.monotonic() < deadline:
            rule = must("add-rule", "proto", "udp", "dst", "203.0.113.9", "drop")
            must("del-rule", rule)
            time.sleep(0.2)
        if mon.poll() is None:
            mon.kill()
        err = mon.communicate()[1]
        report(mon.returncode == 1 and err == WRITE_ERROR + "\n",
               "monitor >/dev/full stops with a write error", f"exit {mon.returncode}: {err}")
    report(dump() == before, "the rules stay as they were", dump())


def hits_of(dst):
    """The hits of the rule with destination dst, from show -j."""
    doc = json.loads(must("-j", "show"))
    return next((r["hits"] for r in doc["rules"] if r["dst"] == dst), None)


def show_and_dump_agree(text):
    """show, fmt and show -j print each rule of text as dump does."""
    dumped = dump().splitlines()
    shown = [l.split(None, 1)[1] for l in must("show").splitlines()
             if l.startswith("  ") and l.split(None, 1)[0].isdigit()]
    fmt = subprocess.run(["sklookupctl", "fmt", "-"], input=text, capture_output=True,
                         text=True).stdout.splitlines()
    ports = [r["port"] for r in json.loads(must("-j", "show"))["rules"]]
    report(dumped == shown == fmt and ports == ["80", "53-54", "any", "1-65535", "any"],
           "show, dump and fmt print the same words; show -j the same port forms",
           f"dump {dumped}\nshow {shown}\nfmt {fmt}\nports {ports}")


def apply_diff():
    """apply prints what it changed; apply --check what it would, changing nothing."""
    def run(*args, text):
        res = subprocess.run(["sklookupctl", *args, "-"], input=text, capture_output=True,
                             text=True)
        return res.returncode, res.stdout, res.stderr

    r1 = "proto tcp dst 192.0.2.0/24 port 80 label web"
    r2 = "proto udp dst 2001:db8::/64 port 53 drop"
    r3 = "proto tcp dst 192.0.2.0/24 port 1-65535 phase fallback redirect 127.0.0.1"
    must("flush")
    got = run("apply", text=f"{r1}\n{r2}\n")
    report(got == (0, f"+{r1}\n+{r2}\n", ""), "apply prints the rules it added", got)
    got = run("apply", "--check", text=f"{r2}\n# the same set\nphase first {r1}\n")
    report(got == (0, "", ""), "apply --check of the rules in force: exit 0, no line", got)
    before = dump()
    got = run("apply", "--check", text=f"{r3}\n{r1}\n")
    report(got == (1, f"-{r2}\n+{r3}\n", "") and dump() == before
           and status()["staged"] == 0,
           "apply --check prints what would change, exits 1 and changes nothing", got)
    got = run("-j", "apply", "--check", text=f"{r3}\n{r1}\n")
    doc = json.loads(got[1]) if got[0] == 1 else {}
    report(doc.get("removed") == [{"proto": "udp", "dst": "2001:db8::/64", "port": "53",
                                   "port_min": 53, "port_max": 53, "phase": "first",
                                   "noreuseport": False, "action": "drop"}]
           and [r["redirect"] for r in doc.get("added", [])] == ["127.0.0.1"],
           "apply -j --check prints the change as JSON", got)
    gen = status()["generation"]
    got = run("apply", "--check", "--generation", str(gen - 1), text=f"{r1}\n")
    report(got == (2, "", f"sklookupctl: apply: the rules changed since generation {gen - 1} "
                   f"(now {gen})\n"), "apply --check --generation of an old generation: exit 2",
           got)
    got = run("apply", text=f"{r3}\n{r1}\n")
    # The kept rule is the older one: dump lists the rules oldest first.
    report(got == (0, f"-{r2}\n+{r3}\n", "") and dump() == f"{r1}\n{r3}",
           "apply prints the rules it removed and added", f"{got}\ndump:\n{dump()}")
    must("flush")


def main():
    local_routes("192.0.2.0/24")
    web = socket.socket()
    web.bind(("127.0.0.1", 0))
    web.listen(64)
    must("register", "label", "web", "fd", str(web.fileno()), fds=(web.fileno(),))
    apply_diff()
    must("add-rule", "proto", "tcp", "dst", "198.51.100.0/24", "label", "old")

    text = ("# the whole set\n"
            "proto tcp dst 192.0.2.0/24 port 80 label web\n"
            "\n"
            "proto udp dst 2001:db8::/64 port 53-54 src 2001:db8:1::/48 phase fallback drop\n"
            "proto tcp dst 198.51.100.7 port any dev lo phase specific label web noreuseport\n"
            # 1-65535 is not any: printed as it is, everywhere.
            "proto tcp dst 203.0.113.0/24 port 1-65535 phase first label web\n"
            "proto udp dst 2001:db8::/64 redirect [::1]:5353\n")
    res = subprocess.run(["sklookupctl", "apply", "-"], input=text, capture_output=True,
                         text=True)
    want = ("proto tcp dst 192.0.2.0/24 port 80 label web\n"
            "proto udp dst 2001:db8::/64 port 53-54 src 2001:db8:1::/48 phase fallback drop\n"
            "proto tcp dst 198.51.100.7 dev lo phase specific label web noreuseport\n"
            "proto tcp dst 203.0.113.0/24 port 1-65535 label web\n"
            "proto udp dst 2001:db8::/64 redirect [::1]:5353")
    got = dump()
    report(res.returncode == 0 and got == want, "apply replaces the rules; dump prints them",
           f"apply: {res.returncode} {res.stderr}\ndump:\n{got}")
    show_and_dump_agree(text)

    c = socket.create_connection(("192.0.2.5", 80), timeout=3)
    ready, _, _ = select.select([web], [], [], 2)
    report(bool(ready), "applied rules steer", "the connection did not reach web")
    if ready:
        web.accept()[0].close()
    c.close()

    before = dump()
    res = subprocess.run(["sklookupctl", "apply", "-"], capture_output=True, text=True,
                         input="proto tcp dst 192.0.2.0/24 label web\nproto tcp dst 192.0.2.1/24 label web\n")
    report(res.returncode == 2 and res.stderr.strip() == "sklookupctl: apply: -:2: dst "
           "'192.0.2.1/24': address has bits set beyond the prefix length"
           and dump() == before, "a bad line names itself and changes nothing",
           f"exit {res.returncode}: {res.stderr}")

    unreadable_input()

    res = subprocess.run(["sh", "-c", "sklookupctl dump | sklookupctl apply -"],
                         capture_output=True, text=True)
    report(res.returncode == 0 and dump() == before, "dump | apply - changes nothing",
           res.stderr)

    for n in (10000, 100000):
        lines = "".join(f"proto tcp dst 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255} port 80 "
                        f"label web\n" for i in range(n - 1))
        lines += "proto tcp dst 192.0.2.0/24 port 80 label web\n"
        start = time.monotonic()
        res = subprocess.run(["sklookupctl", "apply", "-"], input=lines, capture_output=True,
                             text=True)
        took = time.monotonic() - start
        count = json.loads(must("-j", "status"))["rules"]
        print(f"# apply of {n} rules took {took:.1f} s in this guest")
        report(res.returncode == 0 and count == n, f"apply of {n} rules",
               f"{res.stderr} rules in force: {count}")
    start = time.monotonic()
    res = subprocess.run(["sh", "-c", "sklookupctl dump > /tmp/big && sklookupctl apply /tmp/big"
                          " && sklookupctl dump | cmp - /tmp/big"], capture_output=True, text=True)
    print(f"# dump and apply of 100000 rules took {time.monotonic() - start:.1f} s")
    report(res.returncode == 0, "dump | apply of 100000 rules is an identity", res.stderr)

    c = socket.create_connection(("192.0.2.6", 80), timeout=3)
    ready, _, _ = select.select([web], [], [], 2)
    report(bool(ready), "steering works with 100000 rules", "the connection did not reach web")
    c.close()

    killed_apply()

    # A million rules: the netlink dump carries them all, in order.
    n = 1000000
    with open("/tmp/million", "w", encoding="ascii") as f:
        for i in range(n):
            f.write(f"proto udp dst 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255} port {i % 1000 + 1}"
                    f" label web\n")
    start = time.monotonic()
    res = subprocess.run(["sklookupctl", "apply", "/tmp/million"], capture_output=True, text=True)
    print(f"# apply of {n} rules took {time.monotonic() - start:.1f} s in this guest")
    report(res.returncode == 0 and status()["rules"] == n, f"apply of {n} rules", res.stderr)
    start = time.monotonic()
    res = subprocess.run(["sh", "-c", "sklookupctl dump | cmp - /tmp/million"],
                         capture_output=True, text=True)
    print(f"# dump of {n} rules took {time.monotonic() - start:.1f} s in this guest")
    report(res.returncode == 0, f"dump of {n} rules prints them all, in order",
           res.stdout + res.stderr)
    local_routes("10.0.0.0/8")
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(3)
    must("register", "label", "web", "fd", str(udp.fileno()), fds=(udp.fileno(),))
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.sendto(b"last-rule", ("10.15.66.63", 1000))     # rule 999999
    try:
        got = udp.recv(64)
    except OSError as err:
        got = repr(err)
    report(got == b"last-rule", f"the last of {n} rules steers", f"got {got!r}")
    c.close()
    udp.close()
    os.unlink("/tmp/million")
    must("flush")
    must("unregister", "label", "web")


if __name__ == "__main__":
    run(main, "apply scenario")
