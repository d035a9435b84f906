#!/usr/bin/env python3
"""With max_rules=100 and max_sockets=2: the limits hold, name themselves, change nothing."""
import json
import socket
import subprocess

from testlib import ctl, must, report, run

RULES_FULL = ("this namespace holds max_rules rules (a module parameter) "
              "(No space left on device)")
SOCKETS_FULL = ("this namespace holds max_sockets sockets (a module parameter) "
                "(No space left on device)")


def rules(n, port=80):
    return "".join(f"proto tcp dst 10.0.{i >> 8}.{i & 255} port {port} label web\n"
                   for i in range(n))


def apply(text):
    return subprocess.run(["sklookupctl", "apply", "-"], input=text, capture_output=True,
                          text=True)


def main():
    res = apply(rules(100))
    report(res.returncode == 0, "apply of max_rules rules", res.stderr)
    before = must("dump")

    res = ctl("add-rule", "proto", "udp", "dst", "192.0.2.1", "label", "web")
    report(res.returncode == 1 and res.stderr.strip() == f"sklookupctl: add-rule: {RULES_FULL}",
           "add-rule beyond max_rules is refused and says why", res.stderr)

    # A rule already in force is the same mistake at the limit as below it: say which.
    first = json.loads(must("-j", "show"))["rules"][0]["id"]
    res = ctl("add-rule", *rules(1).split())
    report(res.returncode == 1 and res.stderr.strip() ==
           f"sklookupctl: add-rule: the same rule exists as rule {first} (File exists)",
           "add-rule of a rule in force at max_rules names that rule", res.stderr)
    # A file that only repeats the rules in force makes nothing grow: taken at the limit.
    ids = [r["id"] for r in json.loads(must("-j", "show"))["rules"]]
    again = "".join(reversed(rules(100).splitlines(keepends=True)))
    again = again.replace("label web\n", 'label web comment "last"\n', 1)
    res = apply(again)
    shown = json.loads(must("-j", "show"))["rules"]
    report(res.returncode == 0 and sorted(r["id"] for r in shown) == sorted(ids)
           and [r.get("comment") for r in shown].count("last") == 1,
           "apply of the rules in force, one comment changed, at max_rules keeps every id",
           res.stderr)
    apply(rules(100))
    report(must("dump") == before, "apply of the first file again restores it")

    # apply sends its rules in batches; the refusal still names the first line over.
    res = apply(rules(150, port=81))
    report(res.returncode == 1
           and res.stderr.strip() == f"sklookupctl: apply: -:101: {RULES_FULL}",
           "apply beyond max_rules names the first line over the limit", res.stderr)
    report(must("dump") == before, "a refused apply changes nothing")
    # --check stages the rules as apply does, so the module's limits apply, then drops them.
    res = subprocess.run(["sklookupctl", "apply", "--check", "-"], input=rules(150, port=81),
                         capture_output=True, text=True)
    report(res.returncode == 2 and res.stdout == ""
           and res.stderr.strip() == f"sklookupctl: apply: -:101: {RULES_FULL}"
           and must("dump") == before,
           "apply --check beyond max_rules: exit 2, the line over the limit, nothing changed",
           f"exit {res.returncode}: {res.stdout} {res.stderr}")
    report(json.loads(must("-j", "status"))["staged"] == 0,
           "a refused apply leaves nothing staged")

    socks = []
    for i in range(3):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        socks.append(s)
        res = ctl("register", "label", f"svc{i}", "fd", str(s.fileno()), fds=(s.fileno(),))
        if i < 2:
            report(res.returncode == 0, f"register socket {i + 1} of max_sockets 2", res.stderr)
        else:
            report(res.returncode == 1 and res.stderr.strip() ==
                   f"sklookupctl: register: fd {s.fileno()}: {SOCKETS_FULL}",
                   "register beyond max_sockets is refused and says why", res.stderr)
    doc = json.loads(must("-j", "show"))
    report(sorted(l["name"] for l in doc["labels"] if l["sockets"]) == ["svc0", "svc1"],
           "the refused socket's label holds nothing", json.dumps(doc["labels"]))
    must("flush")
    for i in range(2):
        must("unregister", "label", f"svc{i}")
    for s in socks:
        s.close()


if __name__ == "__main__":
    run(main, "limits scenario")
