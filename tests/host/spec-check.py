#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check that the netlink spec doc/sklookup.yaml agrees with the uAPI header.

usage: spec-check.py [YAML] [HEADER]   (defaults: doc/sklookup.yaml, include/sklookup.h)

Every command, attribute set, attribute, enum, flag and constant of the spec must name a
header entry with the same value, and every header enum entry (except *_UNSPEC and the
*_MAX ones) must be in the spec. Prints one "ok"/"not ok" line per group, with "# " lines
naming each mismatch; exits 1 if anything failed.
"""
import json
import os
import re
import sys

import yaml

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def c_name(*parts):
    return "".join(parts).upper().replace("-", "_")


def parse_header(path):
    """Return ({enum name: {entry: value}} with entries in order, {define: value})."""
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    defines = {}
    for name, val in re.findall(r"^\s*#\s*define\s+(\w+)[ \t]+([^\n]+)$", text, flags=re.M):
        val = val.strip()
        if val.startswith('"'):
            defines[name] = val.strip('"')
        else:
            try:
                defines[name] = int(eval(val, {}, dict(defines)))  # noqa: S307 (own header)
            except Exception:  # pylint: disable=broad-except
                pass
    enums = {}
    for name, body in re.findall(r"\benum\s+(\w+)\s*\{(.*?)\}\s*;", text, flags=re.S):
        entries, nxt = {}, 0
        for item in body.split(","):
            item = item.strip()
            if not item:
                continue
            ident, _, expr = item.partition("=")
            ident = ident.strip()
            if expr.strip():
                nxt = int(eval(expr, {}, {**defines, **entries}))  # noqa: S307
            entries[ident] = nxt
            nxt += 1
        enums[name] = entries
    return enums, defines


def exempt(entry):
    return entry.endswith("_UNSPEC") or entry.endswith("_MAX")


class Report:
    def __init__(self):
        self.failed = False

    def group(self, what, problems):
        print(("not ok" if problems else "ok") + " - spec: " + what)
        for p in problems:
            print("# " + p)
        self.failed |= bool(problems)


def compare(spec_entries, header_entries, problems, complete=True):
    """spec_entries: list of (C name, value). Checks both directions."""
    for cname, val in spec_entries:
        if cname not in header_entries:
            problems.append(f"{cname} = {val} is not in the header")
        elif header_entries[cname] != val:
            problems.append(f"{cname} is {val} in the spec, {header_entries[cname]} in the header")
    if complete:
        names = {c for c, _ in spec_entries}
        for cname in header_entries:
            if not exempt(cname) and cname not in names:
                problems.append(f"{cname} (header) is missing from the spec")


GUEST_JSON = os.path.join(TOP, "tests", "guest", "sklookup-spec.json")


def main(argv):
    if len(argv) > 1 and argv[1] == "--write-json":
        yaml_path = os.path.join(TOP, "doc", "sklookup.yaml")
    else:
        yaml_path = argv[1] if len(argv) > 1 else os.path.join(TOP, "doc", "sklookup.yaml")
    hdr_path = argv[2] if len(argv) > 2 else os.path.join(TOP, "include", "sklookup.h")
    spec = yaml.safe_load(open(yaml_path, encoding="utf-8"))
    enums, defines = parse_header(hdr_path)
    rep = Report()
    covered = set()
    family = spec["name"]

    # Family name and version.
    problems = []
    fam_def = c_name(spec.get("c-family-name", family + "-family-name"))
    ver_def = c_name(spec.get("c-version-name", family + "-family-version"))
    if defines.get(fam_def) != family:
        problems.append(f"{fam_def} is {defines.get(fam_def)!r}, spec name is {family!r}")
    if defines.get(ver_def) != spec.get("version", 1):
        problems.append(f"{ver_def} is {defines.get(ver_def)}, spec version is "
                        f"{spec.get('version', 1)}")
    rep.group("family name and version", problems)

    # Definitions: enums, flags, constants.
    enum_max = {}
    for d in spec.get("definitions", []):
        problems = []
        prefix = d.get("name-prefix", family + "-" + d["name"] + "-")
        if d["type"] == "const":
            cname = c_name(d["name"])
            if defines.get(cname) != d["value"]:
                problems.append(f"{cname} is {d['value']} in the spec, "
                                f"{defines.get(cname)} in the header")
            rep.group(f"const {d['name']}", problems)
            continue
        if d["type"] not in ("enum", "flags"):
            continue
        entries, nxt = [], d.get("value-start", 0)
        for e in d["entries"]:
            e = e if isinstance(e, dict) else {"name": e}
            nxt = e.get("value", nxt)
            val = nxt if d["type"] == "enum" else 1 << nxt
            entries.append((c_name(prefix, e["name"]), val))
            nxt += 1
        enum_max[d["name"]] = max(v for _, v in entries)
        ename = d.get("enum-name", c_name(family, "-", d["name"]).lower())
        if ename and d["type"] == "enum":
            if ename not in enums:
                problems.append(f"enum {ename} is not in the header")
            else:
                compare(entries, enums[ename], problems)
                covered.add(ename)
            rep.group(f"enum {ename}", problems)
        else:
            # Flags as #defines: every <PREFIX>* define but the <PREFIX>ALL mask.
            hdr = {k: v for k, v in defines.items()
                   if k.startswith(c_name(prefix)) and k != c_name(prefix, "all")}
            compare(entries, hdr, problems)
            rep.group(f"flags {d['name']} ({c_name(prefix)}*)", problems)

    # Attribute sets.
    sets = {s["name"]: s for s in spec.get("attribute-sets", [])}
    for s in spec.get("attribute-sets", []):
        problems = []
        ename = s.get("enum-name", c_name(family, "-", s["name"], "-attrs").lower())
        prefix = s.get("name-prefix", family + "-a-" + s["name"] + "-")
        entries, nxt = [], 1
        for a in s["attributes"]:
            nxt = a.get("value", nxt)
            entries.append((c_name(prefix, a["name"]), nxt))
            nxt += 1
            if a.get("type") == "nest" and a.get("nested-attributes") not in sets:
                problems.append(f"{a['name']}: nested set {a.get('nested-attributes')} "
                                "is not defined")
            if "enum" in a:
                emax = enum_max.get(a["enum"])
                if emax is None:
                    problems.append(f"{a['name']}: enum {a['enum']} is not defined")
                elif "max" in a.get("checks", {}) and a["checks"]["max"] != emax:
                    problems.append(f"{a['name']}: checks max {a['checks']['max']}, "
                                    f"enum {a['enum']} ends at {emax}")
        for key in ("attr-cnt-name", "attr-max-name"):
            if key in s and c_name(s[key]) not in enums.get(ename, {}):
                problems.append(f"{key} {c_name(s[key])} is not in enum {ename}")
        if ename not in enums:
            problems.append(f"enum {ename} is not in the header")
        else:
            compare(entries, enums[ename], problems)
            covered.add(ename)
        rep.group(f"attribute set {s['name']} ({ename})", problems)

    # Operations.
    ops = spec["operations"]
    problems = []
    ename = ops.get("enum-name", c_name(family, "-commands").lower())
    prefix = ops.get("name-prefix", family + "-cmd-")
    entries, nxt = [], 1
    for op in ops["list"]:
        nxt = op.get("value", nxt)
        entries.append((c_name(prefix, op["name"]), nxt))
        nxt += 1
        aset = sets.get(op.get("attribute-set"))
        if op.get("attribute-set") and aset is None:
            problems.append(f"{op['name']}: attribute set {op['attribute-set']} is not defined")
        names = {a["name"] for a in aset["attributes"]} if aset else set()
        for mode in ("do", "dump"):
            for part in ("request", "reply"):
                for attr in ((op.get(mode) or {}).get(part) or {}).get("attributes", []):
                    if attr not in names:
                        problems.append(f"{op['name']} {mode} {part}: {attr} is not in set "
                                        f"{op.get('attribute-set')}")
    if ename not in enums:
        problems.append(f"enum {ename} is not in the header")
    else:
        compare(entries, enums[ename], problems)
        covered.add(ename)
    rep.group(f"commands ({ename})", problems)

    rep.group("every header enum is in the spec",
              [f"enum {e} is not in the spec" for e in enums if e not in covered])

    # The guest has no YAML parser: its netlink fuzzer reads the spec as JSON.
    want = spec_json(yaml_path)
    if len(argv) > 1 and argv[1] == "--write-json":
        with open(GUEST_JSON, "w", encoding="utf-8") as f:
            f.write(want)
    try:
        with open(GUEST_JSON, encoding="utf-8") as f:
            have = f.read()
    except OSError:
        have = ""
    rep.group("tests/guest/sklookup-spec.json is doc/sklookup.yaml as JSON",
              [] if have == want else
              ["out of date: run tests/host/spec-check.py --write-json"])
    return 1 if rep.failed else 0


def spec_json(yaml_path):
    with open(yaml_path, encoding="utf-8") as f:
        return json.dumps(yaml.safe_load(f), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.exit(main(sys.argv))
