#!/usr/bin/env python3
"""Every fallible step of a change, failed in turn, leaves the previous state intact.

Runs against the test build of the module (fault_nth parameter, see module/fault.c). For
each command, N = 1, 2, ... arms a fault at its Nth fallible step until the command takes
fewer steps than that. A command the fault made fail must have changed nothing: the same
rules, the same labels and sockets, the same live-object counters."""
import json
import socket
import subprocess

from testlib import ctl, must, report, run

PARAM = "/sys/module/sklookup/parameters/fault_nth"
BASE = ("proto tcp dst 192.0.2.0/24 port 80 label web\n"
        "proto udp dst 2001:db8::/64 port 53 phase fallback drop\n"
        "proto tcp dst 198.51.100.1 label web\n")
NEW = "".join(f"proto tcp dst 10.0.{i}.0/24 port {80 + i} label svc{i % 3}\n" for i in range(8))


def arm(n):
    with open(PARAM, "w", encoding="ascii") as f:
        f.write(str(n))


def left():
    with open(PARAM, encoding="ascii") as f:
        return int(f.read())


def apply(text):
    return subprocess.run(["sklookupctl", "apply", "-"], input=text, capture_output=True,
                          text=True, timeout=60)


def state():
    show = json.loads(must("-j", "show"))
    labels = sorted((l["name"], sorted((s["proto"], s["port"]) for s in l["sockets"]))
                    for l in show["labels"])
    status = json.loads(must("-j", "status"))
    counts = {k: status[k] for k in ("namespaces", "rules", "labels", "sockets", "staged")}
    return {"rules": must("dump"), "labels": labels, "counts": counts}


def main():
    web = socket.socket()
    web.bind(("127.0.0.1", 0))
    web.listen(8)
    extra = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    extra.bind(("::1", 0))
    must("register", "label", "web", "fd", str(web.fileno()), fds=(web.fileno(),))
    if apply(BASE).returncode:
        raise RuntimeError("cannot apply the base rules")

    def first_id():
        return str(json.loads(must("-j", "show"))["rules"][0]["id"])

    # name, the command, what undoes it when it succeeds
    commands = [
        ("add-rule with a new label",
         lambda: ctl("add-rule", "proto", "tcp", "dst", "203.0.113.0/24", "port", "80",
                     "label", "fresh"),
         lambda res: must("del-rule", res.stdout.strip())),
        ("add-rule to a label in use",
         lambda: ctl("add-rule", "proto", "udp", "dst", "203.0.113.9", "label", "web"),
         lambda res: must("del-rule", res.stdout.strip())),
        ("del-rule", lambda: ctl("del-rule", first_id()), lambda res: apply(BASE)),
        ("apply of 8 rules over 3", lambda: apply(NEW), lambda res: apply(BASE)),
        ("register under a new label",
         lambda: ctl("register", "label", "extra", "fd", str(extra.fileno()),
                     fds=(extra.fileno(),)),
         lambda res: must("unregister", "label", "extra")),
    ]
    # What a refusal for want of memory must tell the user, where the command has one
    # message for every step that allocates.
    says = {"register under a new label": "out of memory for the registration"}
    for name, command, undo in commands:
        points = refused = 0
        broken = []
        for n in range(1, 500):
            before = state()
            arm(n)
            res = command()
            fired = left() == 0
            arm(0)
            if not fired:
                if res.returncode:
                    broken.append(f"without a fault: {res.stderr.strip()}")
                else:
                    undo(res)
                break
            points += 1
            if res.returncode == 0:
                undo(res)       # a step whose failure the module works around
                continue
            refused += 1
            if name in says and says[name] not in res.stderr:
                broken.append(f"fault {n}: the refusal does not say {says[name]!r}: "
                              f"{res.stderr.strip()}")
            after = state()
            if after != before:
                broken.append(f"fault {n}: {res.stderr.strip()}\nbefore {before}\nafter  {after}")
        print(f"# {name}: {points} fallible steps, {refused} of them refuse the command")
        report(points > 0 and not broken,
               f"{name}: each of its {points} failing steps leaves the state as it was",
               "\n".join(broken))
    must("flush")
    must("unregister", "label", "web")
    web.close()
    extra.close()


if __name__ == "__main__":
    run(main, "fault injection scenario")
