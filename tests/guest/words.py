#!/usr/bin/env python3
"""SKL_A_RULE_WORDS: every rule the module sends says which of its attributes are its
words, and sklookupctl never prints or saves a rule as if it were whole when the module
names a word it does not know (a newer module's): show prints "?attrN", which apply
refuses, and dump refuses, so that no file saved from them applies as another rule.

Runs against the test build: its fault_word parameter makes every rule sent claim one
more word, as a module newer than this sklookupctl would."""
import json
import struct
import subprocess

import genl
from genl import C
from monitor import Monitor
from testlib import ctl, must, report, run

PARAM = "/sys/module/sklookup/parameters/fault_word"
COMMON = ("PROTO", "FAMILY", "DST", "DST_PREFIXLEN", "PORT_MIN", "PORT_MAX", "PHASE",
          "ACTION", "FLAGS")
# Each rule, and the attributes that are its words.
RULES = [
    ("proto tcp dst 192.0.2.0/24 port 80 label web comment \"not a word\"",
     COMMON + ("LABEL",)),
    ("proto udp src 10.0.0.0/8 dst 198.51.100.1 dev lo redirect 127.0.0.1:5353",
     COMMON + ("SRC", "SRC_PREFIXLEN", "IFNAME", "REDIRECT_ADDR", "REDIRECT_PORT")),
    ("proto udp dst 2001:db8::/64 port 53 phase fallback drop", COMMON),
]
TEXT = "".join(words + "\n" for words, _ in RULES)
UNKNOWN = 63


def mask(names):
    return sum(1 << C["SKL_A_RULE_" + n] for n in names)


def names(bits):
    known = {v: k[len("SKL_A_RULE_"):] for k, v in C.items()
             if k.startswith("SKL_A_RULE_") and not k.endswith("MAX")}
    return sorted(known.get(n, str(n)) for n in range(64) if bits >> n & 1)


def set_word(n):
    with open(PARAM, "w", encoding="ascii") as f:
        f.write(str(n))


def apply(text, *opts):
    return subprocess.run(["sklookupctl", "apply", *opts, "-"], input=text,
                          capture_output=True, text=True, timeout=60)


def main():
    must("flush")
    res = apply(TEXT)
    if res.returncode:
        raise RuntimeError("apply: " + res.stderr)
    g = genl.Genl()
    dumped = g.request(C["SKL_CMD_RULE_GET"], flags=genl.NLM_F_REQUEST | genl.NLM_F_DUMP)
    by_dst = {}
    for r in dumped:
        by_dst[bytes(r[C["SKL_A_RULE_DST"]])] = r
    for (words, want), dst in zip(RULES, (bytes([192, 0, 2, 0]), bytes([198, 51, 100, 1]),
                                          bytes.fromhex("20010db8" + "00" * 12))):
        got = by_dst.get(dst, {}).get(C["SKL_A_RULE_WORDS"])
        got = struct.unpack("=Q", got)[0] if got and len(got) == 8 else None
        report(got == mask(want), f"dump: SKL_A_RULE_WORDS of '{words}' names its words",
               f"got {None if got is None else names(got)}, want {sorted(want)}")

    g.close()
    before = must("dump")

    # A word this sklookupctl does not know.
    set_word(UNKNOWN)
    try:
        show = ctl("show")
        lines = [l for l in show.stdout.splitlines() if "proto " in l]
        report(show.returncode == 0 and len(lines) == len(RULES) and
               all(f" ?attr{UNKNOWN}" in l for l in lines),
               f"show prints each rule with ?attr{UNKNOWN}", show.stdout + show.stderr)
        first = json.loads(must("-j", "show"))["rules"][0]["id"]
        want = (f"sklookupctl: rule {first} has a word this sklookupctl does not know "
                f"(attribute {UNKNOWN}, a newer module's): shown as ?attr{UNKNOWN}, which "
                "apply refuses; use a sklookupctl as new as the module")
        report(show.stderr.strip() == want, "show says so once, on standard error",
               f"got {show.stderr!r}\nwant {want!r}")
        rules = json.loads(must("-j", "show"))["rules"]
        report(all(r.get("unknown_word") == UNKNOWN for r in rules),
               "show -j: each rule has \"unknown_word\": %d" % UNKNOWN, json.dumps(rules))
        dump = ctl("dump")
        want = (f"sklookupctl: dump: rule {first} has a word this sklookupctl does not know "
                f"(attribute {UNKNOWN}, a newer module's): nothing printed; use a "
                "sklookupctl as new as the module")
        report(dump.returncode == 1 and dump.stdout == "" and
               dump.stderr.splitlines()[:1] == [want],
               "dump refuses, printing nothing, and names the rule and the attribute",
               f"exit {dump.returncode}: {dump.stdout!r} {dump.stderr!r}\nwant {want!r}")
        # What show printed, saved as a rule file, does not apply either.
        words = lines[0].split(None, 1)[1].split("  hits")[0]
        res = apply(words + "\n")
        want = (f"sklookupctl: apply: -:1: unknown keyword '?attr{UNKNOWN}': expected proto, "
                "dst, port, src, dev, phase, label, redirect, noreuseport, else, drop or "
                "comment")
        report(res.returncode == 2 and res.stderr.splitlines()[:1] == [want],
               "show's line, applied: refused at ?attr%d" % UNKNOWN,
               f"exit {res.returncode}: {res.stderr!r}\nwant {want!r}")
        # The same rules without the unknown word are other rules to the module: apply's
        # diff must not call them kept.
        res = apply(TEXT, "--check")
        out = res.stdout.splitlines()
        report(res.returncode == 1 and sum(l.startswith("-") for l in out) == len(RULES) and
               sum(l.startswith("+") for l in out) == len(RULES),
               "apply --check of the known words: every rule goes and comes back",
               f"exit {res.returncode}: {res.stdout}{res.stderr}")
        set_word(0)
        report(must("dump") == before, "nothing changed the rules")
        # The events' rules (nested in the event message) say the same.
        set_word(UNKNOWN)
        mon = Monitor(None, False)
        if not mon.listening(None):
            raise RuntimeError("the monitor does not listen")
        while mon.line(0.5) is not None:
            pass
        rule = must("add-rule", "proto", "tcp", "dst", "203.0.113.0/24", "port", "80", "drop")
        got = mon.line(20)
        mon.stop()
        report(got is not None and got.startswith(f"rule added {rule} ") and
               got.endswith(f" ?attr{UNKNOWN}"),
               f"monitor prints an added rule with ?attr{UNKNOWN}", repr(got))
        want = (f"sklookupctl: rule {rule} has a word this sklookupctl does not know "
                f"(attribute {UNKNOWN}, a newer module's): shown as ?attr{UNKNOWN}, which "
                "apply refuses; use a sklookupctl as new as the module")
        report(mon.errors.strip() == want, "monitor says so once, on standard error",
               f"got {mon.errors!r}\nwant {want!r}")
    finally:
        set_word(0)
    must("flush")


if __name__ == "__main__":
    run(main, "words")
