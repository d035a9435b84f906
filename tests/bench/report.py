#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The tables of "make bench" from the guest's figures and the host matcher benchmark's
output, with the targets of issues 6 and 20 checked; optionally the plot of lookup cost against
rule count. Prints Markdown."""
import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import png  # noqa: E402

CONFIGS = [
    ("base", "baseline: a socket bound to the address, no module"),
    ("mod0", "sklookup loaded, no rule in this namespace"),
    ("skl1", "sklookup, 1 rule"),
    ("skl10k", "sklookup, 10,000 rules"),
    ("skl1m", "sklookup, 1,000,000 rules"),
    ("sklr1", "sklookup, 1 redirect rule (to an unregistered socket)"),
    ("dmod0", "sklookup hook=direct loaded, no rule in this namespace"),
    ("dskl1", "sklookup hook=direct, 1 rule"),
    ("dsklr1", "sklookup hook=direct, 1 redirect rule"),
    ("skl128", "sklookup, 1 rule, a label of 128 sockets"),
    ("omod0", "BEFORE: sklookup loaded, no rule in this namespace"),
    ("oskl1", "BEFORE: sklookup, 1 rule"),
    ("oskl10k", "BEFORE: sklookup, 10,000 rules"),
    ("osklr1", "BEFORE: sklookup, 1 redirect rule"),
    ("bpf1", "BPF sk_lookup, 1 LPM entry"),
    ("bpf10k", "BPF sk_lookup, 10,000 LPM entries"),
    ("bpf1m", "BPF sk_lookup, 1,000,000 LPM entries"),
    ("tproxy", "nftables TPROXY"),
    ("bind256", "256 sockets, one per address of the /24"),
]
WORKLOADS = [("udp", "UDP flood, datagrams/s"), ("tcp", "TCP, connections/s"),
             ("syn", "SYN flood, cookies/s")]


def parse_guest(path):
    figures, info, errors = {}, {}, []
    cost = {}
    with open(path, errors="replace") as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "result" and len(w) >= 5:
                figures.setdefault((w[1], w[2]), {})[int(w[3])] = float(w[4])
            elif w[0] == "info" and len(w) >= 3:
                info.setdefault(w[1], []).append(" ".join(w[2:]))
            elif w[0] == "cost" and len(w) == 7:
                cost.setdefault((w[1], w[2]), []).append(float(w[4]))
                cost.setdefault(("empty", w[2]), []).append(float(w[6]))
            elif w[0] == "error":
                errors.append(line.strip())
    # Only where there are some: the host's native.txt, read into the same info, has none.
    if cost:
        info["cost"] = cost
    return figures, info, errors


def ratios(figures, cfg, wl):
    """Per round, the configuration's figure over the baseline's of the same round."""
    mine, base = figures.get((cfg, wl), {}), figures.get(("base", wl), {})
    return [mine[r] / base[r] for r in sorted(mine) if base.get(r)]


def guest_table(figures, info, errors):
    out = []
    kernel = info.get("kernel", ["?"])[0]
    out.append("### Guest: Debian's %s kernel, %s rounds of %s s, one boot" %
               (kernel, info.get("rounds", ["?"])[0], info.get("seconds", ["?"])[0]))
    clock = info.get("clock", ["host"])[0]
    if clock.startswith("icount"):
        out.append("")
        out.append("The guest's clock counts instructions (QEMU -icount %s): a figure is work "
                   "per virtual second, the inverse of the instructions it costs, whatever "
                   "else the host runs; cache misses do not show." % clock.split()[1])
    out.append("")
    out.append("Each cell: the median over the rounds of the configuration's figure, and the "
               "median of its per-round ratio to the baseline of the same round, with the "
               "lowest and highest per-round ratio.")
    out.append("")
    head = "| configuration |" + "".join(" %s | ratio |" % t for _, t in WORKLOADS)
    out.append(head)
    out.append("|---|" + "---:|---:|" * len(WORKLOADS))
    summary = {}
    before = info.get("before", ["?"])[0]
    for cfg, title in CONFIGS:
        if not any((cfg, wl) in figures for wl, _ in WORKLOADS):
            continue
        row = "| %s |" % title.replace("BEFORE", "module of " + before)
        for wl, _ in WORKLOADS:
            vals = list(figures.get((cfg, wl), {}).values())
            rs = ratios(figures, cfg, wl)
            if not vals:
                row += " - | - |"
                continue
            med = statistics.median(vals)
            row += " %s |" % "{:,.0f}".format(med)
            if rs:
                r = statistics.median(rs)
                summary[(cfg, wl)] = r
                row += " %.3f (%.2f-%.2f) |" % (r, min(rs), max(rs)) if cfg != "base" else " 1 |"
            else:
                row += " - |"
        out.append(row)
    out.append("")
    # The configurations with the module run in a block of their own in each round (the
    # module is loaded for them only), some tens of seconds away from the baseline, so
    # their ratio to it carries the drift of a shared machine. Against "loaded, no rule",
    # measured in the same block moments before, the rules' own cost shows more sharply.
    near = [(cfg, title) for cfg, title in CONFIGS if cfg.startswith("skl")]
    if any((cfg, wl) in figures for cfg, _ in near for wl, _ in WORKLOADS) and \
            any(("mod0", wl) in figures for wl, _ in WORKLOADS):
        out.append("The same rounds, the rules against sklookup loaded without rules (same "
                   "block of each round, so less drift):")
        out.append("")
        out.append("| configuration |" + "".join(" %s |" % t for _, t in WORKLOADS))
        out.append("|---|" + "---:|" * len(WORKLOADS))
        for cfg, title in near:
            row = "| %s |" % title
            for wl, _ in WORKLOADS:
                mine, ref = figures.get((cfg, wl), {}), figures.get(("mod0", wl), {})
                rs = [mine[r] / ref[r] for r in sorted(mine) if ref.get(r)]
                row += " %.3f (%.2f-%.2f) |" % (statistics.median(rs), min(rs), max(rs)) if rs else " - |"
            out.append(row)
        out.append("")
    # hook=direct against hook=ops: each round measures the direct block right after the
    # ops block, the same configurations in the same namespaces.
    pairs = [("dmod0", "mod0", "loaded, no rule"), ("dskl1", "skl1", "1 rule"),
             ("dsklr1", "sklr1", "1 redirect rule")]
    if any((d, wl) in figures for d, _, _ in pairs for wl, _ in WORKLOADS):
        out.append("hook=direct over hook=ops, per round (above 1: direct is faster):")
        out.append("")
        out.append("| configuration |" + "".join(" %s |" % t for _, t in WORKLOADS))
        out.append("|---|" + "---:|" * len(WORKLOADS))
        for d, o, title in pairs:
            row = "| %s |" % title
            for wl, _ in WORKLOADS:
                mine, ref = figures.get((d, wl), {}), figures.get((o, wl), {})
                rs = [mine[r] / ref[r] for r in sorted(mine) if ref.get(r)]
                row += " %.3f (%.2f-%.2f) |" % (statistics.median(rs), min(rs), max(rs)) if rs else " - |"
            out.append(row)
        out.append("")
    # An older commit's module (BENCH_BEFORE), measured in each round right after today's:
    # both against the same round's baseline, and today's over the older one's.
    pairs = [("mod0", "omod0", "loaded, no rule in this namespace"), ("skl1", "oskl1", "1 rule"),
             ("skl10k", "oskl10k", "10,000 rules"), ("sklr1", "osklr1", "1 redirect rule")]
    if any((o, wl) in figures for _, o, _ in pairs for wl, _ in WORKLOADS):
        out.append("Before and after in this boot: the module and sklookupctl of %s, then of "
                   "today, ratios to the same round's baseline (median, lowest-highest), and "
                   "today's figure over the older one's per round (above 1: today is faster):"
                   % info.get("before", ["?"])[0])
        out.append("")
        out.append("| configuration |" + "".join(" %s: before | after | after/before |" % t
                                                 for _, t in WORKLOADS))
        out.append("|---|" + "---:|---:|---:|" * len(WORKLOADS))

        def cell(rs):
            return " %.3f (%.2f-%.2f) |" % (statistics.median(rs), min(rs), max(rs)) if rs else " - |"
        for new, old, title in pairs:
            row = "| %s |" % title
            for wl, _ in WORKLOADS:
                row += cell(ratios(figures, old, wl)) + cell(ratios(figures, new, wl))
                mine, ref = figures.get((new, wl), {}), figures.get((old, wl), {})
                row += cell([mine[r] / ref[r] for r in sorted(mine) if ref.get(r)])
            out.append(row)
        out.append("")
    facts = []
    for key, what in [("apply_s_100k", "apply of 100,000 rules (s, guest)"),
                      ("apply_parse_s_100k", "of which sklookupctl parsing the file "
                       "(s, guest; the same file with a bad last line)"),
                      ("apply_parse_native_s_100k", "the same parsing natively on the host, "
                       "same binary (s)"),
                      ("apply_s_skl10k", "apply of 10,000 rules (s, guest, first round)"),
                      ("apply_s_skl1m", "apply of 1,000,000 rules (s, guest, first round)"),
                      ("rmmod_s", "rmmod with 1,000,000 rules loaded (s)"),
                      ("bpf_fill_bpf1m", "filling the BPF LPM map with 1,000,000 entries (s)")]:
        if key in info:
            facts.append("- %s: %s" % (what, ", ".join(info[key])))
    if "mem_kib_skl1m" in info:
        kib = float(info["mem_kib_skl1m"][0])
        facts.append("- kernel memory for 1,000,000 rules (MemAvailable before and after apply): "
                     "%.0f MiB, %.0f bytes per rule" % (kib / 1024, kib * 1024 / 1e6))
    if facts:
        out.append("Control plane, in the guest's seconds (software emulation; with -icount "
                   "a CPU running one instruction per 4 ns, several times slower than hardware):")
        out.append("")
        out.extend(facts)
        out.append("")
    if errors:
        out.append("Errors reported by the guest:")
        out.append("")
        out.extend("    " + e for e in errors)
        out.append("")
    return out, summary


COST_CASES = [
    ("kernel", "a. kernel alone, a socket bound at the address"),
    ("miss", "b. kernel alone, nothing bound (a miss)"),
    ("ftrace", "c. an ftrace ops with an empty callback, socket bound"),
    ("mod0", "d. sklookup, no rules in any namespace, socket bound"),
    ("mod0r", "d'. sklookup, no rules here (rules in other namespaces), socket bound"),
    ("mod0miss", "d''. as d', nothing bound (a miss)"),
    ("skl1", "e. sklookup, 1 rule steering to a label"),
    ("sklr1", "f. sklookup, 1 redirect rule"),
    ("dmod0", "g. hook=direct: d"),
    ("dmod0r", "g. hook=direct: d'"),
    ("dmod0miss", "g. hook=direct: d''"),
    ("dskl1", "g. hook=direct: e"),
    ("dsklr1", "g. hook=direct: f"),
]
COST_LOOKUPS = [("udp", "__udp4_lib_lookup"), ("tcp", "__inet_lookup_listener")]


def cost_table(info):
    """Instructions per call of each hooked lookup, by case, from the cost configuration's
    "cost" lines (ns per call of the lookup loop less the empty loop's, one per repetition),
    and the parts as differences of the cases' medians."""
    cost = info.get("cost", {})
    if not cost:
        return []
    clock = info.get("clock", ["host"])[0]
    unit, per = "ns", 1.0
    if clock.startswith("icount") and "shift=" in clock:
        shift = int(clock.split("shift=")[1].split(",")[0])
        unit, per = "instructions", float(2 ** shift)
    med = {k: statistics.median(v) / per for k, v in cost.items()}
    out = ["### Cost of one lookup: %s per call" % unit, ""]
    out.append("Each lookup called 20,000 times in a loop from a test module (lookupcost.ko), "
               "in the case's namespace, inside local_bh_disable() and rcu_read_lock(); the same "
               "loop calling an empty function subtracted. Median over the repetitions, with "
               "the lowest and highest; every call checked to find the expected socket.")
    out.append("")
    out.append("| case |" + "".join(" %s | over a |" % f for _, f in COST_LOOKUPS))
    out.append("|---|" + "---:|---:|" * len(COST_LOOKUPS))
    for case, title in COST_CASES:
        if not any((case, p) in cost for p, _ in COST_LOOKUPS):
            continue
        row = "| %s |" % title
        for p, _ in COST_LOOKUPS:
            v = cost.get((case, p))
            if not v:
                row += " - | - |"
                continue
            row += " %.1f (%.1f-%.1f) |" % (med[(case, p)], min(v) / per, max(v) / per)
            base = med.get(("kernel", p))
            row += " %+.1f |" % (med[(case, p)] - base) if base is not None and case != "kernel" else " |"
        out.append(row)
    out.append("")

    def diff(a, b, p):
        return med[(a, p)] - med[(b, p)] if (a, p) in med and (b, p) in med else None

    parts = [
        ("ftrace's entry and return, empty callback (c - a)", lambda p: diff("ftrace", "kernel", p)),
        ("sklookup loaded, no rules anywhere (d - a)", lambda p: diff("mod0", "kernel", p)),
        ("of which sklookup's callback (d - c)", lambda p: diff("mod0", "ftrace", p)),
        ("sklookup loaded, no rules here, rules elsewhere (d' - a)", lambda p: diff("mod0r", "kernel", p)),
        ("of which sklookup's callback (d' - c)", lambda p: diff("mod0r", "ftrace", p)),
        ("steered by 1 rule, over the kernel's own lookup (e - a)", lambda p: diff("skl1", "kernel", p)),
        ("steered: sklookup's decision, ftrace's entry taken off (e - (c - a))",
         lambda p: None if diff("ftrace", "kernel", p) is None or ("skl1", p) not in med
         else med[("skl1", p)] - diff("ftrace", "kernel", p)),
        ("redirect by 1 rule, over the kernel's own lookup (f - a)", lambda p: diff("sklr1", "kernel", p)),
        ("hook=direct against hook=ops, no rules here (g d' - d')", lambda p: diff("dmod0r", "mod0r", p)),
        ("hook=direct against hook=ops, steered (g e - e)", lambda p: diff("dskl1", "skl1", p)),
    ]
    out.append("The parts, as differences of the medians (%s per call):" % unit)
    out.append("")
    out.append("| part |" + "".join(" %s |" % f for _, f in COST_LOOKUPS))
    out.append("|---|" + "---:|" * len(COST_LOOKUPS))
    for title, f in parts:
        vals = [f(p) for p, _ in COST_LOOKUPS]
        if all(v is None for v in vals):
            continue
        fmt = " %.1f |" if title.startswith("steered: ") else " %+.1f |"
        out.append("| %s |" % title + "".join(" - |" if v is None else fmt % v for v in vals))
    out.append("")
    if ("empty", "udp") in med:
        out.append("The empty loop itself: %.1f %s per call." % (med[("empty", "udp")], unit))
        out.append("")
    return out


def parse_match(path):
    rows = []
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) in (8, 10) and w[0] in ("hosts", "ports"):
                rows.append(dict(shape=w[0], fam=w[1], rules=int(w[2]), hit=float(w[3]),
                                 hot=float(w[4]), miss=float(w[5]), build=float(w[6]),
                                 bytes=float(w[7])))
                if len(w) == 10:
                    rows[-1].update(read=float(w[8]), chase=float(w[9]))
    return rows


def match_table(rows):
    out = ["### Host: the rule matcher alone (ns per lookup)", ""]
    sizes = sorted({r["rules"] for r in rows})
    out.append("| shape | family | keys |" + "".join(" %s rules |" % "{:,}".format(s) for s in sizes) +
               " largest / smallest |")
    out.append("|---|---|---|" + "---:|" * (len(sizes) + 1))
    growth = {}
    for shape in ("hosts", "ports"):
        for fam in ("v4", "v6"):
            for kind in ("hit", "hot", "miss", "read", "chase"):
                got = {r["rules"]: r[kind] for r in rows
                       if r["shape"] == shape and r["fam"] == fam and kind in r}
                if not got:
                    continue
                g = got[max(got)] / got[min(got)]
                growth[(shape, fam, kind)] = g
                out.append("| %s | %s | %s |" % (shape, fam, kind) +
                           "".join(" %.1f |" % got[s] if s in got else " - |" for s in sizes) +
                           " %.2f |" % g)
    out.append("")
    out.append("Keys: hit, spread over every rule; hot, over 1,024 rules; miss, matching no rule. "
               "The references, in a buffer of the table's size: read, one random 8-byte read "
               "in the same loop (independent reads, which the CPU overlaps); chase, the same "
               "when each read's address is the one before's value (a read's whole latency).")
    out.append("")
    big = [r for r in rows if r["rules"] == max(sizes)]
    if big:
        out.append("Memory of the matcher's tables at %s rules: %s bytes per rule; build time %s ms." % (
            "{:,}".format(max(sizes)),
            ", ".join("%.0f (%s %s)" % (r["bytes"], r["shape"], r["fam"]) for r in big),
            ", ".join("%.0f" % r["build"] for r in big)))
        out.append("")
    return out, growth


def native_estimate(info):
    """(guest, native, ratio): the medians of the parse-only apply of 100,000 rules in the
    guest and natively with the same binary, and the first over the second; or None."""
    g, n = info.get("apply_parse_s_100k"), info.get("apply_parse_native_s_100k")
    if not g or not n:
        return None
    gm, nm = statistics.median(float(x) for x in g), statistics.median(float(x) for x in n)
    return (gm, nm, gm / nm) if nm > 0 else None


def targets(summary, growth, info):
    out = ["### Targets of issue 6", ""]

    def line(ok, text):
        out.append("- [%s] %s" % ("met" if ok else "NOT met" if ok is not None else "not measured", text))

    for wl, name in (("udp", "UDP"), ("tcp", "TCP"), ("syn", "SYN flood")):
        r = summary.get(("skl10k", wl))
        line(None if r is None else r >= 0.98,
             "%s with 10,000 rules within 2%% of the baseline: %s" % (name, "-" if r is None else "%.3f" % r))
        b = summary.get(("bpf10k", wl))
        line(None if r is None or b is None else r >= b,
             "%s with 10,000 rules no worse than BPF sk_lookup with 10,000 entries: %s vs %s" % (
                 name, "-" if r is None else "%.3f" % r, "-" if b is None else "%.3f" % b))
    # Misses cost 10 to 20 ns, where a few ns of noise move the ratio by half: judge by
    # the keys that find a rule, and show the misses in the table.
    hits = [g for (_, _, kind), g in growth.items() if kind in ("hit", "hot")]
    worst = max(hits) if hits else None
    line(None if worst is None else worst <= 1.5,
         "matcher lookup (keys that hit) at 1,000,000 rules at most 1.5 times the cost at 10: "
         "worst %s" % ("-" if worst is None else "%.2f" % worst))
    # The same target on the receive path: what the hooks and the rules add to a datagram's
    # cost over the baseline (1/ratio - 1), 1,000,000 rules against 1, in instructions.
    one, mil = summary.get(("skl1", "udp")), summary.get(("skl1m", "udp"))
    if one and mil and one < 1:
        growth_rx = (1 / mil - 1) / (1 / one - 1)
        line(growth_rx <= 1.5,
             "receive path (UDP, guest, instructions): what sklookup adds to a datagram with "
             "1,000,000 rules at most 1.5 times what it adds with 1: %.2f" % growth_rx)
    a = info.get("apply_s_100k")
    best = min(float(x) for x in a) if a else None
    native = native_estimate(info)
    if best is not None and native is not None:
        line(best / native[2] < 1.0,
             "apply of 100,000 rules under a second: %.2f s on this host, estimated (best %.2f s "
             "in the emulated guest, over %.1f, what emulation costs sklookupctl's own parsing "
             "of the same file, timed in both)" % (best / native[2], best, native[2]))
    else:
        line(None if best is None else best < 1.0,
             "apply of 100,000 rules under a second: best %s s in the emulated guest" % (
                 "-" if best is None else "%.2f" % best))
    out.append("")
    return out


def targets20(figures, summary, rows):
    """The targets of issue 20: a steered lookup nearly as cheap as the kernel's own."""
    out = ["### Targets of issue 20", ""]

    def line(ok, text):
        out.append("- [%s] %s" % ("met" if ok else "NOT met" if ok is not None else "not measured", text))

    def cells(cfgs, floor):
        got = [(cfg, wl, summary.get((cfg, wl))) for cfg in cfgs for wl, _ in WORKLOADS]
        known = [r for _, _, r in got if r is not None]
        ok = min(known) >= floor if len(known) == len(got) else None
        return ok, ", ".join("%s %s %s" % (cfg, wl, "-" if r is None else "%.3f" % r)
                             for cfg, wl, r in got)

    ok, text = cells(("skl10k", "skl1m"), 0.99)
    line(ok, "steered, 10,000 and 1,000,000 rules, at least 0.99 of the baseline: " + text)
    ok, text = cells(("sklr1",), 0.97)
    line(ok, "a redirect rule at least 0.97: " + text)
    ok, text = cells(("mod0",), 0.997)
    line(ok, "loaded, traffic no rule concerns, at least 0.997: " + text)
    mine, ref = figures.get(("skl128", "syn"), {}), figures.get(("skl1", "syn"), {})
    rs = [mine[r] / ref[r] for r in sorted(mine) if ref.get(r)]
    r = statistics.median(rs) if rs else None
    line(None if r is None else abs(1 - r) <= 0.005,
         "a label of 128 sockets against one (SYN flood, per round), within 0.5%%: %s" %
         ("-" if r is None else "%.4f" % r))
    big = [x for x in rows if rows and x["rules"] == max(y["rules"] for y in rows) and "chase" in x]
    if big:
        worst = max(big, key=lambda x: x["hit"] / x["chase"])
        line(worst["hit"] / worst["chase"] <= 2 if worst["rules"] >= 1000000 else None,
             "matcher, keys over every rule of %s rules, at most twice one random read's "
             "latency in a buffer of the same size (chase): worst %.2f (%s %s: %.1f ns "
             "against %.1f; against independent reads, %.1f ns: %.1f)" % (
                 "{:,}".format(worst["rules"]), worst["hit"] / worst["chase"], worst["shape"],
                 worst["fam"], worst["hit"], worst["chase"], worst["read"],
                 worst["hit"] / worst["read"]))
    else:
        line(None, "matcher at most twice one random read: no reference in this run")
    out.append("")
    return out


def plot(rows, path):
    series = []
    for kind in ("hit", "hot", "miss"):
        for shape in ("hosts", "ports"):
            for fam in ("v4", "v6"):
                if kind == "miss" and shape == "ports":
                    continue
                pts = [(r["rules"], r[kind]) for r in rows if r["shape"] == shape and r["fam"] == fam]
                if pts:
                    series.append(("%s %s %s" % (shape, fam, kind), pts))
    if series:
        png.log_chart(path, "sklookup rule matcher: lookup cost against rule count",
                      "rules in the table", "ns per lookup", series)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--guest")
    ap.add_argument("--match")
    ap.add_argument("--native")
    ap.add_argument("--plot")
    a = ap.parse_args()
    out, summary, growth, info, rows, figures = [], {}, {}, {}, [], {}
    if a.guest and os.path.exists(a.guest):
        figures, info, errors = parse_guest(a.guest)
        if a.native and os.path.exists(a.native):
            info.update(parse_guest(a.native)[1])
        t, summary = guest_table(figures, info, errors)
        out += t
        out += cost_table(info)
    if a.match and os.path.exists(a.match):
        rows = parse_match(a.match)
        t, growth = match_table(rows)
        out += t
        if a.plot and rows:
            plot(rows, a.plot)
    out += targets(summary, growth, info)
    out += targets20(figures, summary, rows)
    print("\n".join(out))


if __name__ == "__main__":
    main()
