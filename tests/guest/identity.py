#!/usr/bin/env python3
"""A rule is its words: apply keeps the id and counters of a rule in both sets, add-rule
refuses a rule already in force, del-rule takes the words as well as the id."""
import json
import os
import socket
import subprocess
import time

from genl import C, Genl, NetlinkError, flag, rule_attrs, u64
from testlib import deliver, local_routes, must, report, run

DST = "10.64.1.1"
A = "proto udp dst 10.64.1.0/24 port 7001 label a"
A_AGAIN = "proto udp port 7001 dst 10.64.1.0/24 label a"   # the same words, spelt anew
B = "proto udp dst 10.64.1.0/24 port 7002 label a"
C_RULE = "proto tcp dst 10.64.1.0/24 port 7003 drop"
D = "proto udp dst 10.64.1.0/24 port 7004 label a"


def apply(text, *args):
    return subprocess.run(["sklookupctl", "apply", *args, "-"], input=text,
                          capture_output=True, text=True, timeout=600)


def rules():
    """{words: (id, hits)} of the rules in force, and their ids in show's order."""
    doc = json.loads(must("-j", "show", "-s"))
    lines = must("dump").splitlines()
    return ({w: (r["id"], r["hits"]) for w, r in zip(lines, doc["rules"])},
            [r["id"] for r in doc["rules"]])


def generation():
    return json.loads(must("-j", "status"))["generation"]


def series(words):
    """The Prometheus line of the hits of the rule with these words (and no comment)."""
    for line in must("stats", "--prometheus").splitlines():
        if line.startswith(f'sklookup_rule_hits_total{{rule="{words}"'):
            return line
    return None


def send(port, n):
    """n datagrams, paced to last a few seconds."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
        for i in range(n):
            c.sendto(b"x", (DST, port))
            if i % 20 == 0:
                time.sleep(0.02)


def drain(sock):
    sock.setblocking(False)
    try:
        while True:
            sock.recv(64)
    except BlockingIOError:
        pass


def kept_across_apply(server):
    res = apply(f"{A}\n{B}\n{C_RULE}\n")
    before, _ = rules()
    for _ in range(3):
        who, _ = deliver("udp", DST, 7001, {"a": server})
    report(who == "a", "a datagram to port 7001 reaches label a", who)
    hits = rules()[0][A][1]
    report(hits == 3, "rule A counts its 3 lookups", f"hits {hits}")
    prom = series(A)
    report(prom is not None and prom.endswith(" 3"), "rule A's Prometheus series counts 3",
           prom)

    res = apply(f"{B}\n{A_AGAIN}\n{D}\n")
    after, order = rules()
    report(res.returncode == 0 and res.stdout == f"-{C_RULE}\n+{D}\n",
           "apply prints only the rule that went and the rule that came",
           f"exit {res.returncode}: {res.stdout}{res.stderr}")
    report(after.get(A) == (before[A][0], 3) and after.get(B) == before[B],
           "rules in both sets keep their ids and hit counters",
           f"before {before}\nafter {after}")
    report(D in after and after[D][0] > max(i for i, _ in before.values())
           and after[D][1] == 0, "a new rule gets a new id, above the old ones, and 0 hits",
           f"before {before}\nafter {after}")
    report(C_RULE not in after and len(after) == 3, "a rule only in the old set goes",
           f"{after}")
    report(order == sorted(order), "show lists the rules oldest first", f"{order}")
    report(series(A) == prom,
           "rule A's Prometheus series is the same line after the apply",
           f"before {prom}\nafter {series(A)}")
    deliver("udp", DST, 7001, {"a": server})
    report(rules()[0][A][1] == 4, "rule A goes on counting after the apply",
           f"{rules()[0]}")

    res = apply(f"{A}\n{B}\n{D}\n", "--check")
    report(res.returncode == 0 and res.stdout == "",
           "apply --check of the same rules in another order changes nothing",
           f"exit {res.returncode}: {res.stdout}{res.stderr}")


def no_lost_counts(server):
    """A kept rule counts every lookup made while applies replace the rules around it."""
    start = rules()[0][A][1]
    many = "".join(f"proto udp dst 10.65.{i >> 8}.{i & 255} port 80 label a\n"
                   for i in range(20000))
    n = 4000
    pid = os.fork()
    if pid == 0:
        try:
            send(7001, n)
        finally:
            os._exit(0)
    applies = 0
    while not os.waitpid(pid, os.WNOHANG)[0]:
        res = apply(f"{A}\n{B}\n{D}\n" + (many if applies % 2 == 0 else ""))
        applies += 1
        if res.returncode:
            report(False, "apply during the flood", res.stderr)
            break
    drain(server)
    apply(f"{A}\n{B}\n{D}\n")
    got = rules()[0][A][1] - start
    report(got == n, f"rule A counts all {n} lookups made during {applies} applies",
           f"counted {got}")


def duplicates():
    before, gen = must("dump"), generation()
    res = subprocess.run(["sklookupctl", "add-rule", *A_AGAIN.split()], capture_output=True,
                         text=True)
    rid = rules()[0][A][0]
    report(res.returncode == 1 and res.stderr ==
           f"sklookupctl: add-rule: the same rule exists as rule {rid} (File exists)\n",
           "add-rule of a rule in force is refused, naming it",
           f"exit {res.returncode}: {res.stderr}")
    report(must("dump") == before and generation() == gen,
           "the refused add-rule changed nothing")

    g = Genl()
    attrs = rule_attrs(socket.IPPROTO_UDP, "10.64.1.0", 24, 7001, "a")
    try:
        g.request(C["SKL_CMD_RULE_ADD"], attrs)
        err = None
    except NetlinkError as e:
        err = e
    report(err is not None and err.errno == 17 and
           err.strerror == "the same rule exists already",
           "RULE_ADD of a rule in force: EEXIST and what the extack says", repr(err))

    # The same rule staged twice: the commit is refused; sklookupctl never sends that.
    g.request(C["SKL_CMD_RULE_BEGIN"])
    for _ in range(2):
        g.request(C["SKL_CMD_RULE_ADD"], attrs + flag(C["SKL_A_RULE_STAGE"]))
    try:
        g.request(C["SKL_CMD_RULE_COMMIT"])
        err = None
    except NetlinkError as e:
        err = e
    report(err is not None and err.errno == 17 and
           err.strerror == "the staged set holds the same rule twice"
           and must("dump") == before, "a staged set holding a rule twice is refused",
           repr(err))

    try:
        g.request(C["SKL_CMD_RULE_DEL"], u64(C["SKL_A_RULE_ID"], rid) + attrs)
        err = None
    except NetlinkError as e:
        err = e
    report(err is not None and err.errno == 22 and
           err.strerror == "SKL_A_RULE_ID or the rule's attributes, not both"
           and must("dump") == before, "RULE_DEL with an id and words is refused", repr(err))
    g.close()

    res = apply(f"{A}\n{B}\n# again\n{A_AGAIN}\n")
    report(res.returncode == 2 and res.stderr ==
           "sklookupctl: apply: -:4: the same rule as line 1\n" and must("dump") == before
           and generation() == gen, "apply of a file with a rule twice names both lines and "
           "changes nothing", f"exit {res.returncode}: {res.stderr}")


def delete_by_words():
    before, _ = rules()
    res = subprocess.run(["sklookupctl", "del-rule", *B.split()], capture_output=True,
                         text=True)
    after, _ = rules()
    report(res.returncode == 0 and B not in after and len(after) == len(before) - 1
           and all(after[w] == before[w] for w in after),
           "del-rule by words deletes exactly that rule", f"{res.stderr}\n{after}")
    res = subprocess.run(["sklookupctl", "del-rule", *B.split()], capture_output=True,
                         text=True)
    report(res.returncode == 1 and res.stderr ==
           "sklookupctl: del-rule: no rule in force has these words (No such file or directory)\n"
           and rules()[0] == after, "del-rule of words no rule has says so",
           f"exit {res.returncode}: {res.stderr}")
    # One word differs: not the rule.
    res = subprocess.run(["sklookupctl", "del-rule", *A.replace("label a", "label b").split()],
                         capture_output=True, text=True)
    report(res.returncode == 1 and rules()[0] == after,
           "del-rule with another label deletes nothing", res.stderr)
    res = subprocess.run(["sklookupctl", "del-rule", str(after[D][0])], capture_output=True,
                         text=True)
    report(res.returncode == 0 and D not in rules()[0], "del-rule by id still works",
           res.stderr)


def main():
    local_routes("10.64.1.0/24", "10.65.0.0/16")
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((DST, 9))
    must("register", "label", "a", "fd", str(server.fileno()), fds=(server.fileno(),))
    kept_across_apply(server)
    no_lost_counts(server)
    duplicates()
    delete_by_words()
    must("flush")


run(main, "identity")
