#!/usr/bin/env python3
"""A rule's comment, end to end: add-rule keeps it with the rule; show, dump, -j, monitor
and explain print it; "dump | apply -" keeps it; the module refuses a bad one sent raw,
naming the attribute; and Prometheus' series of a rule stay the same across an apply of
the same rules."""
import errno
import json
import struct
import subprocess
import time

from prometheus_client.parser import text_string_to_metric_families

from genl import (C, NL_ATTR_TYPE_BINARY, NL_POLICY_TYPE_ATTR_MAX_LENGTH,
                  NL_POLICY_TYPE_ATTR_TYPE, NLMSGERR_ATTR_OFFS, NLMSGERR_ATTR_POLICY, Genl,
                  NetlinkError, attr, flag, number_attrs, rule_attrs)
from monitor import Monitor as MonitorReader
from testlib import ctl, local_routes, must, report, run

WEB = "web tier"
# Quotes, a backslash, '#' and UTF-8: what the words of a rule file must carry through.
ODD = 'say "hi" \\ # not a line comment, café → ウェブ'
ODD_WORDS = 'comment "say \\"hi\\" \\\\ # not a line comment, café → ウェブ"'


class Monitor(MonitorReader):
    """A running sklookupctl [-j] monitor of this namespace: 72-monitor's reader."""

    def __init__(self, json_mode):
        super().__init__(None, json_mode)

    def listening(self):
        """Listening once a flush shows; the flushes' other lines are read and dropped."""
        if not super().listening(None):
            return False
        while self.line(0.2) is not None:
            pass
        return True

    def added(self, wait=20):
        """The next "rule added" event: the flushes that found it listening may still be
        on their way."""
        for _ in range(100):
            got = self.line(wait)
            if got is None or (got.get("event") == "rule_added" if self.json else
                               got.startswith("rule added ")):
                return got
        return None


def printers():
    """add-rule with comments; show, dump, -j show, monitor and explain print them."""
    local_routes("192.0.2.0/24")
    mons = [Monitor(False), Monitor(True)]
    report(all(m.listening() for m in mons), "the monitors are listening")
    first = must("add-rule", "proto", "tcp", "dst", "192.0.2.0/24", "port", "80",
                 "label", "nginx", "comment", WEB)
    second = must("add-rule", "proto", "udp", "dst", "192.0.2.0/24", "port", "53", "drop",
                  "comment", ODD)
    must("add-rule", "proto", "tcp", "dst", "192.0.2.0/24", "port", "81",
         "label", "plain")
    text, doc = mons[0].added(), mons[1].added()
    report(text == f'rule added {first} proto tcp dst 192.0.2.0/24 port 80 label nginx '
           f'comment "{WEB}"', "monitor prints the rule added with its comment", text)
    report(doc and doc["rule"].get("comment") == WEB,
           "monitor -j has the comment as the rule's member \"comment\"", doc)
    text = mons[0].added()
    report(text and text.endswith(f"drop {ODD_WORDS}"),
           "monitor prints a comment with quotes and a backslash escaped", text)
    for m in mons:
        m.stop()

    dump = must("dump").splitlines()
    want = [f'proto tcp dst 192.0.2.0/24 port 80 label nginx comment "{WEB}"',
            f"proto udp dst 192.0.2.0/24 port 53 drop {ODD_WORDS}",
            "proto tcp dst 192.0.2.0/24 port 81 label plain"]
    report(dump == want, "dump prints each comment last, in double quotes", dump)
    show = must("show")
    report(f'proto tcp dst 192.0.2.0/24 port 80 label nginx comment "{WEB}"'
           in show and ODD_WORDS in show, "show prints the comments", show)
    rules = json.loads(must("-j", "show"))["rules"]
    report([r.get("comment") for r in rules] == [WEB, ODD, None],
           "show -j has each comment as it was given, and none for the rule without", rules)
    out = must("explain", "proto", "tcp", "dst", "192.0.2.7", "port", "80")
    report(f'comment "{WEB}"' in out, "explain prints the matching rule's comment", out)
    doc = json.loads(must("-j", "explain", "proto", "udp", "dst", "192.0.2.7", "port", "53"))
    report([m["rule"] for m in doc["matches"]] == [want[1]],
           "explain -j names the matching rule in its words, comment included", doc)

    ids_before = [r["id"] for r in json.loads(must("-j", "show"))["rules"]]
    res = subprocess.run("sklookupctl dump | sklookupctl apply -", shell=True, text=True,
                         capture_output=True, check=False)
    after = must("dump").splitlines()
    report(res.returncode == 0 and after == want,
           "dump | apply - keeps every comment", f"{res.stderr}\n{after}")
    ids = [r["id"] for r in json.loads(must("-j", "show"))["rules"]]
    report(ids == ids_before, "the apply kept the rules (the same ids)",
           f"before {ids_before}, after {ids}")

    # A comment is not one of a rule's words: changing only it keeps the rule (its id),
    # takes the new comment, and is a change that apply --check reports.
    renamed = "\n".join(want).replace(f'comment "{WEB}"', 'comment "web tier 2"') + "\n"
    res = subprocess.run(["sklookupctl", "apply", "--check", "-"], input=renamed, text=True,
                         capture_output=True, check=False)
    report(res.returncode == 1 and res.stdout.splitlines() == [
        f'-proto tcp dst 192.0.2.0/24 port 80 label nginx comment "{WEB}"',
        '+proto tcp dst 192.0.2.0/24 port 80 label nginx comment "web tier 2"'],
        "apply --check reports a changed comment as the rule's old and new lines, exit 1",
        f"exit {res.returncode}\n{res.stdout}{res.stderr}")
    res = subprocess.run(["sklookupctl", "apply", "-"], input=renamed, text=True,
                         capture_output=True, check=False)
    rules = json.loads(must("-j", "show"))["rules"]
    report(res.returncode == 0 and [r["id"] for r in rules] == ids_before and
           [r.get("comment") for r in rules] == ["web tier 2", ODD, None],
           "apply of a changed comment keeps the rule's id and takes the new comment",
           f"{res.stderr}\n{rules}")
    must("flush")


def refused(g, name, attrs, want):
    try:
        g.request(C["SKL_CMD_RULE_ADD"], attrs)
    except NetlinkError as err:
        report(err.errno == 22 and str(err.strerror) == want, name,
               f"errno {err.errno}, message {err.strerror!r}")
        return
    report(False, name, "accepted")


def policy_bound():
    """The comment's bound is in the policy, which the kernel dumps and checks itself: a
    longer comment is refused before the module runs, with the offending attribute and
    its bound in the extended ack."""
    g = Genl()
    for cmd in ("SKL_CMD_RULE_ADD", "SKL_CMD_RULE_DEL"):
        got = g.policy(C[cmd]).get(C["SKL_A_RULE_COMMENT"], {})
        report(got.get(NL_POLICY_TYPE_ATTR_TYPE) == NL_ATTR_TYPE_BINARY and
               got.get(NL_POLICY_TYPE_ATTR_MAX_LENGTH) == C["SKL_RULE_COMMENT_MAX"],
               f"the policy dump of {cmd} gives SKL_A_RULE_COMMENT a maximum length of "
               f"{C['SKL_RULE_COMMENT_MAX']} bytes", got)
    rule = rule_attrs(6, "192.0.2.0", 24, 80, "web")
    for stage in (b"", flag(C["SKL_A_RULE_STAGE"])):
        if stage:
            g.request(C["SKL_CMD_RULE_BEGIN"])
        try:
            g.request(C["SKL_CMD_RULE_ADD"],
                      rule + stage + attr(C["SKL_A_RULE_COMMENT"], b"x" * 128 + b"\0"))
            report(False, "a comment of 128 bytes is refused", "accepted")
            continue
        except NetlinkError as err:
            offs = struct.unpack("=I", err.tlvs.get(NLMSGERR_ATTR_OFFS, b"\0" * 4))[0]
            bound = number_attrs(err.tlvs.get(NLMSGERR_ATTR_POLICY, b""))
            report(err.errno == errno.ERANGE and
                   err.strerror == "Attribute failed policy validation" and
                   offs == 20 + len(rule + stage) and
                   bound.get(NL_POLICY_TYPE_ATTR_MAX_LENGTH) == C["SKL_RULE_COMMENT_MAX"],
                   f"a{' staged' if stage else ''} comment of 128 bytes is refused by the "
                   "policy, which names the attribute and its bound",
                   f"errno {err.errno}, {err.strerror!r}, offset {offs}, policy {bound}")
    g.close()
    report(must("dump") == "", "no refused rule was put in force", must("dump"))


def raw_refusals():
    """What sklookupctl never sends: the module's own checks, on RULE_ADD and staged."""
    g = Genl()
    rule = rule_attrs(6, "192.0.2.0", 24, 80, "web")
    bad = ((b"web tier", "SKL_A_RULE_COMMENT not NUL-terminated"),
           (b"", "SKL_A_RULE_COMMENT not NUL-terminated"),
           (b"web\0tier\0", "SKL_A_RULE_COMMENT with a NUL byte before its end"),
           (b"\0", "SKL_A_RULE_COMMENT empty"),
           (b"web\ttier\0", "SKL_A_RULE_COMMENT with a control character"),
           (b"web\ntier\0", "SKL_A_RULE_COMMENT with a control character"),
           (b"web\xe2\x80\xaecod\0", "SKL_A_RULE_COMMENT with a control character"),
           (b"caf\xe9\0", "SKL_A_RULE_COMMENT not valid UTF-8"),
           (b"\xed\xa0\x80\0", "SKL_A_RULE_COMMENT not valid UTF-8"))
    for payload, want in bad:
        refused(g, f"RULE_ADD with the comment {payload[:24]!r} is refused: {want}",
                rule + attr(C["SKL_A_RULE_COMMENT"], payload), want)
    g.request(C["SKL_CMD_RULE_BEGIN"])
    for payload, want in bad[4:5]:
        refused(g, f"a staged rule with the comment {payload[:24]!r} is refused: {want}",
                rule + attr(C["SKL_A_RULE_COMMENT"], payload) + flag(C["SKL_A_RULE_STAGE"]),
                want)
    g.close()
    report(must("dump") == "", "no refused rule was put in force", must("dump"))
    longest = "é" * 63 + "x"
    g = Genl()
    g.request(C["SKL_CMD_RULE_ADD"], rule + attr(C["SKL_A_RULE_COMMENT"],
                                                 longest.encode() + b"\0"))
    g.close()
    doc = json.loads(must("-j", "show"))["rules"]
    report([r.get("comment") for r in doc] == [longest],
           "a comment of 127 bytes is taken and comes back whole", doc)
    must("flush")


def series(prom):
    """{(rule, label): hits} of sklookup_rule_hits_total, checked unique."""
    out, seen = {}, []
    for fam in text_string_to_metric_families(prom):
        for s in fam.samples:
            if s.name == "sklookup_rule_hits_total":
                seen.append((s.labels.get("rule"), s.labels.get("label")))
                out[seen[-1]] = s.value
    return out, len(seen) == len(set(seen))


def prometheus():
    """The series of a rule is its comment, or else its words: not its id."""
    rules = [("proto", "tcp", "dst", "192.0.2.0/24", "port", "80", "label", "nginx",
              "comment", WEB),
             ("proto", "tcp", "dst", "192.0.2.0/24", "port", "443", "label", "nginx",
              "comment", WEB),
             ("proto", "udp", "dst", "192.0.2.0/24", "port", "53", "drop", "comment", ODD),
             ("proto", "tcp", "dst", "192.0.2.0/24", "port", "81", "label", "plain")]
    for r in rules:
        must("add-rule", *r)
    before, unique = series(must("stats", "--prometheus"))
    want = {(WEB, "nginx"), (ODD, None),
            ("proto tcp dst 192.0.2.0/24 port 81 label plain", "plain")}
    report(set(before) == want and unique,
           "one series per comment (two rules share one), the words for the rule without,"
           " each once", before)
    res = subprocess.run("sklookupctl dump | sklookupctl apply -", shell=True, text=True,
                         capture_output=True, check=False)
    report(res.returncode == 0, "dump | apply - of the same rules", res.stderr)
    after, unique = series(must("stats", "--prometheus"))
    report(set(after) == set(before) and unique,
           "the series are the same after an apply of the same rules",
           f"before {sorted(before, key=str)}\nafter {sorted(after, key=str)}")
    raw = must("stats", "--prometheus")
    line = next((l for l in raw.splitlines() if "drop" not in l and "say" in l), "")
    report(line == 'sklookup_rule_hits_total{rule="say \\"hi\\" \\\\ # not a line comment, '
           'café → ウェブ"} 0', "quotes and backslashes of a comment are escaped in the "
           "Prometheus text", line)
    must("flush")


def main():
    printers()
    raw_refusals()
    policy_bound()
    prometheus()


run(main, "comment")
