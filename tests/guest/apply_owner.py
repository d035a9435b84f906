#!/usr/bin/env python3
"""A staged set belongs to the socket that opened it; a commit can be made conditional.

The kernel frees a closing netlink socket's port id before it tells modules of the close,
so a set keyed by port id could be found (or dropped) by another socket of the process
that took the id in between. And an add-rule between begin and commit disappears at the
commit: the generation check lets a client refuse to overwrite changes it did not see.
"""
import errno
import json
import socket
import struct
import subprocess
import threading

from genl import C, Genl, NetlinkError, attr, flag, rule_attrs
from testlib import ctl, must, report, run

GEN = C["SKL_A_RULE_GENERATION"]


def u64(kind, value):
    return attr(kind, struct.pack("=Q", value))


def status():
    return json.loads(must("-j", "status"))


def staged_one(dst="10.99.0.1"):
    """A socket with a staged set of one rule."""
    g = Genl()
    g.request(C["SKL_CMD_RULE_BEGIN"])
    g.request(C["SKL_CMD_RULE_ADD"], rule_attrs(6, dst, 32, 80, "web")
              + flag(C["SKL_A_RULE_STAGE"]))
    return g


def commit(g, attrs=b""):
    """The commit's outcome: ("ok", count, generation) or (errno name, extack text)."""
    try:
        reply = g.request(C["SKL_CMD_RULE_COMMIT"], attrs)[0]
    except NetlinkError as err:
        return (errno.errorcode.get(err.errno, str(err.errno)), err.strerror)
    return ("ok", struct.unpack("=I", reply[C["SKL_A_RULE_COUNT"]][:4])[0],
            struct.unpack("=Q", reply[GEN][:8])[0])


def bound_to(portid):
    """A new socket of this process bound to portid, as soon as that id is free."""
    b = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
    b.setsockopt(270, 11, 1)
    for _ in range(100000):
        try:
            b.bind((portid, 0))
            return b
        except OSError:
            continue
    raise RuntimeError(f"port id {portid} never came free")


def reused_port_id():
    """A closes with a staged set; B takes A's port id at once and commits."""
    before = must("dump")
    a = staged_one()
    portid = a.sock.getsockname()[0]
    family = a.family_id
    a.close()
    b = Genl.__new__(Genl)
    b.sock, b.seq, b.family_id = bound_to(portid), 0, family
    got = commit(b)
    report(got[0] == "ENOENT" and must("dump") == before,
           "a socket that takes a closed socket's port id does not inherit its staged set",
           f"commit: {got}; rules:\n{must('dump')}")
    b.close()
    report(status()["staged"] == 0, "the closed socket's staged set is dropped",
           f"staged {status()['staged']}")

    # The same, racing: B binds A's id while A is being closed, and at once opens its own
    # set; the close of A must not take B's set with it, nor give B A's.
    lost = inherited = 0
    tries = 50
    for _ in range(tries):
        a = staged_one("10.99.0.2")
        portid, family = a.sock.getsockname()[0], a.family_id
        b = Genl.__new__(Genl)
        b.seq, b.family_id = 0, family
        closer = threading.Thread(target=a.close)
        closer.start()
        b.sock = bound_to(portid)
        try:
            b.request(C["SKL_CMD_RULE_ADD"], rule_attrs(6, "10.99.0.3", 32, 80, "web")
                      + flag(C["SKL_A_RULE_STAGE"]))
            inherited += 1      # A's set was found under the reused id
        except NetlinkError:
            pass
        b.request(C["SKL_CMD_RULE_BEGIN"])
        closer.join()
        try:
            b.request(C["SKL_CMD_RULE_ADD"], rule_attrs(6, "10.99.0.4", 32, 80, "web")
                      + flag(C["SKL_A_RULE_STAGE"]))
            got = commit(b)
        except NetlinkError as err:
            got = (err.errno, err.strerror)
        if got[:2] != ("ok", 1):
            lost += 1       # the close of A dropped B's set
        b.close()
    report(lost == 0 and inherited == 0,
           f"{tries} sockets taking a closing socket's port id keep their own sets",
           f"sets lost {lost}, found another's {inherited}")
    must("flush")


def generation_check():
    must("flush")
    must("add-rule", "proto", "tcp", "dst", "192.0.2.1", "label", "web")
    gen = status()["generation"]
    must("add-rule", "proto", "tcp", "dst", "192.0.2.2", "label", "web")
    report(status()["generation"] == gen + 1, "add-rule bumps the generation",
           f"{gen} then {status()['generation']}")

    text = must("dump", "--generation")
    gen = status()["generation"]
    report(text.splitlines()[0] == f"# generation {gen}" and
           text.splitlines()[1:] == must("dump").splitlines(),
           "dump --generation prints the generation, then the rules", text)

    # dump | edit | apply, nobody else changing anything: applied.
    edited = text + "\nproto tcp dst 192.0.2.3 label web\n"
    res = subprocess.run(["sklookupctl", "apply", "--generation", str(gen), "-"],
                         input=edited, capture_output=True, text=True)
    report(res.returncode == 0 and len(must("dump").splitlines()) == 3,
           "apply --generation of the generation read replaces the rules", res.stderr)

    # Someone adds a rule after the dump: the apply of the edited dump is refused.
    text = must("dump", "--generation")
    gen = int(text.splitlines()[0].split()[2])
    must("add-rule", "proto", "udp", "dst", "192.0.2.9", "port", "53", "drop")
    before = must("dump")
    res = subprocess.run(["sklookupctl", "apply", "--generation", str(gen), "-"],
                         input=text, capture_output=True, text=True)
    want = ("sklookupctl: apply: SKL_A_RULE_GENERATION: the rules changed since this "
            "generation was read (Stale file handle)")
    report(res.returncode == 1 and res.stderr.strip() == want and must("dump") == before
           and status()["staged"] == 0,
           "apply --generation of an older generation is refused and changes nothing",
           f"exit {res.returncode}: {res.stderr}")
    res = ctl("apply", "--generation", "x1", "-")
    report(res.returncode == 2 and "generation 'x1'" in res.stderr,
           "apply --generation takes a number", res.stderr)

    # An add-rule between begin and commit. The default: the commit replaces it.
    g = Genl()
    g.request(C["SKL_CMD_RULE_BEGIN"])
    g.request(C["SKL_CMD_RULE_ADD"], rule_attrs(6, "10.98.0.1", 32, 80, "web")
              + flag(C["SKL_A_RULE_STAGE"]))
    must("add-rule", "proto", "tcp", "dst", "10.98.0.2", "label", "web")
    got = commit(g)
    rules = must("dump")
    report(got[:2] == ("ok", 1) and got[2] == status()["generation"]
           and rules == "proto tcp dst 10.98.0.1 port 80 label web",
           "without the check, a commit replaces a rule added after begin",
           f"commit {got}; rules:\n{rules}")

    # With the check: refused, naming the attribute; the staged set is gone.
    gen = status()["generation"]
    g.request(C["SKL_CMD_RULE_BEGIN"])
    g.request(C["SKL_CMD_RULE_ADD"], rule_attrs(6, "10.98.0.3", 32, 80, "web")
              + flag(C["SKL_A_RULE_STAGE"]))
    must("add-rule", "proto", "tcp", "dst", "10.98.0.4", "label", "web")
    before = must("dump")
    got = commit(g, u64(GEN, gen))
    report(got == ("ESTALE", "SKL_A_RULE_GENERATION: the rules changed since this "
                   "generation was read")
           and must("dump") == before and status()["staged"] == 0,
           "with the check, a commit after an add-rule is refused and changes nothing",
           f"commit {got}")
    gen = status()["generation"]
    g.request(C["SKL_CMD_RULE_BEGIN"])
    got = commit(g, u64(GEN, gen))
    report(got == ("ok", 0, gen + 1) and must("dump") == "",
           "with the check and no change in between, the commit is made", f"commit {got}")
    gen = status()["generation"]
    must("flush")
    report(status()["generation"] == gen + 1, "flush bumps the generation",
           f"{gen} then {status()['generation']}")
    g.close()


def main():
    reused_port_id()
    generation_check()


if __name__ == "__main__":
    run(main, "apply owner scenario")
