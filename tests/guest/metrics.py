#!/usr/bin/env python3
"""The counters where operators look: show -s, stats, stats -j, and stats --prometheus read
by the parser of python3-prometheus-client, each with the values of the traffic sent."""
import json
import socket
import subprocess

from prometheus_client.parser import text_string_to_metric_families

from testlib import hook_calls, report, run

NS = "sklprom"
TCP_CONNECTIONS, DATAGRAMS, MISSES = 5, 7, 3

TRAFFIC = f"""
import socket, subprocess, sys
web = socket.socket(); web.bind(("127.0.0.1", 8081)); web.listen(16)
dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); dns.bind(("127.0.0.1", 5353))
for args, fd in ((["register", "label", "web", "fd", str(web.fileno())], web.fileno()),
                 (["register", "label", "dns", "fd", str(dns.fileno())], dns.fileno())):
    subprocess.run(["sklookupctl", *args], check=True, pass_fds=(fd,))
for rule in (["proto", "tcp", "dst", "192.0.2.0/24", "port", "80", "label", "web"],
             ["proto", "udp", "dst", "192.0.2.0/24", "port", "53", "label", "dns",
              "comment", "dns resolver"],
             ["proto", "tcp", "dst", "192.0.2.0/24", "port", "81", "label", "empty"]):
    subprocess.run(["sklookupctl", "add-rule", *rule], check=True, stdout=subprocess.DEVNULL)
got = []
for i in range({TCP_CONNECTIONS}):
    c = socket.create_connection(("192.0.2.1", 80), timeout=5)
    c.sendall(b"t")
    conn, _ = web.accept()
    got.append(conn.recv(1))
    conn.close(); c.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dns.settimeout(5)
for i in range({DATAGRAMS}):
    u.sendto(b"u", ("192.0.2.1", 53))
    got.append(dns.recv(16))
refused = 0
for i in range({MISSES}):
    try:
        socket.create_connection(("192.0.2.1", 81), timeout=5)
    except ConnectionRefusedError:
        refused += 1
print(b"".join(got).decode(), refused, flush=True)
sys.stdin.read()
"""


def ctl(*args):
    return subprocess.run(["sklookupctl", "-n", NS, *args], check=True, capture_output=True,
                          text=True).stdout


def main():
    subprocess.run(["ip", "netns", "add", NS], check=True)
    subprocess.run(["ip", "-n", NS, "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "-n", NS, "route", "add", "local", "192.0.2.0/24", "dev", "lo"],
                   check=True)
    calls_before = hook_calls("tcp4")
    owner = subprocess.Popen(["ip", "netns", "exec", NS, "python3", "-c", TRAFFIC],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    sent = owner.stdout.readline().split()
    report(sent == ["t" * TCP_CONNECTIONS + "u" * DATAGRAMS, str(MISSES)],
           f"{TCP_CONNECTIONS} connections and {DATAGRAMS} datagrams reach the registered "
           f"sockets, {MISSES} connections to a label without sockets are refused", sent)

    text = ctl("show")
    stats_text = ctl("show", "-s")
    report("hits" not in text and "lookups" not in text
           and "hits" in stats_text and " lookups " in stats_text,
           "show prints counters only with -s", text + stats_text)

    doc = json.loads(ctl("-j", "stats"))
    # A TCP lookup may be repeated for one connection (a SYN sent again because its
    # SYN-ACK was late in the emulated guest, or a segment that came after its socket was
    # gone): a TCP count may be above by the listener lookups beyond one per connection,
    # counted at each check, after the counters were read, so that none they saw is left
    # out.
    def tcp(got, want):
        extra = max(0, hook_calls("tcp4") - calls_before - TCP_CONNECTIONS - MISSES)
        return want <= got <= want + extra

    report(doc["rules"] == 3 and doc["labels"] == 3
           and tcp(doc["hits"], TCP_CONNECTIONS + DATAGRAMS + MISSES)
           and tcp(doc["lookups"], TCP_CONNECTIONS + DATAGRAMS + MISSES)
           and tcp(doc["delivered"], TCP_CONNECTIONS + DATAGRAMS)
           and tcp(doc["misses"], MISSES)
           and {h["hook"] for h in doc["hooks"]} >= {"tcp4", "udp4"},
           "stats -j sums the namespace's counters", doc)
    line = ctl("stats").splitlines()[0]
    report(line == f"rules 3 hits {doc['hits']}", "stats prints the totals", line)

    prom = ctl("stats", "--prometheus")
    try:
        families = list(text_string_to_metric_families(prom))
        parsed = True
    except Exception as err:  # pylint: disable=broad-except
        families, parsed = [], False
        prom += f"\nparser: {err!r}"
    report(parsed and families, "stats --prometheus passes Prometheus' own parser", prom)
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for f in families for s in f.samples}
    # Parsers name a counter's family without the "_total" of its samples, or with it.
    kinds = {(f.name[:-6] if f.name.endswith("_total") else f.name): f.type for f in families}
    helped = all(f.documentation for f in families)

    def value(name, **labels):
        return samples.get((name, tuple(sorted(labels.items()))))

    # A rule's series is its comment, or else its words: not its id, which apply renews.
    hits = [value("sklookup_rule_hits_total", rule=r, label=lab)
            for r, lab in (("proto tcp dst 192.0.2.0/24 port 80 label web", "web"),
                           ("dns resolver", "dns"),
                           ("proto tcp dst 192.0.2.0/24 port 81 label empty", "empty"))]
    report(None not in hits and tcp(hits[0], TCP_CONNECTIONS) and hits[1] == DATAGRAMS
           and tcp(hits[2], MISSES),
           "sklookup_rule_hits_total counts each rule's traffic, named by its comment or "
           "else its words", hits)
    labels = {lab: [value(f"sklookup_label_{what}_total", label=lab)
                    for what in ("lookups", "delivered", "misses")]
              for lab in ("web", "dns", "empty")}
    report(None not in sum(labels.values(), [])
           and tcp(labels["web"][0], TCP_CONNECTIONS) and labels["web"][0] == labels["web"][1]
           and labels["web"][2] == 0
           and labels["dns"] == [DATAGRAMS, DATAGRAMS, 0]
           and tcp(labels["empty"][0], MISSES) and labels["empty"][1] == 0
           and labels["empty"][2] == labels["empty"][0],
           "sklookup_label_{lookups,delivered,misses}_total count each label's traffic",
           labels)
    report(value("sklookup_rules") == 3 and value("sklookup_labels") == 3
           and value("sklookup_sockets") == 2,
           "the gauges count the namespace's rules, labels and sockets",
           [value("sklookup_rules"), value("sklookup_labels"), value("sklookup_sockets")])
    calls = value("sklookup_hook_calls_total", hook="tcp4", function="__inet_lookup_listener")
    report(calls is not None and calls >= TCP_CONNECTIONS + MISSES,
           "sklookup_hook_calls_total shows the hooks' calls", calls)
    report(helped and kinds.get("sklookup_rule_hits") == "counter"
           and kinds.get("sklookup_label_lookups") == "counter"
           and kinds.get("sklookup_rules") == "gauge",
           "every metric has its HELP and TYPE", kinds)

    owner.stdin.close()
    owner.wait(timeout=10)
    subprocess.run(["ip", "netns", "del", NS], check=True)


if __name__ == "__main__":
    run(main, "metrics scenario")
