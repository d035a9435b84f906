#!/usr/bin/env python3
"""Other deciders of the same lookups, beside the module: a BPF sk_lookup program in the
same namespace, nftables TPROXY in the same namespace, and a second module that wants the
hooked functions with an IP-modifying ftrace ops.

- BPF sk_lookup (loaded with raw bpf(2) calls, hand-assembled like a libbpf program with a
  SOCKMAP): the kernel runs it inside the hooked lookup, so a first-phase rule decides
  before it, a specific-phase rule only when it chose nothing or a wildcard-bound socket,
  a fallback rule only when it chose nothing; a drop by the program looks like "no
  socket", so the specific and fallback phases answer such a lookup (README, Edges).
- nftables TPROXY: decides in prerouting, before any delivery lookup, so its packets reach
  its socket whatever the rules say; its own listener lookup of the target is steered for
  TCP (it passes the packet) and not for UDP (it does not).
- Another IP-modifying ftrace user: whichever of the two comes second fails to load
  (register_ftrace_function() says EBUSY), with the README's message when it is sklookup,
  and the other keeps working; unloading either, in either order, leaves no report.
Each cell: bytes at the right socket, no kernel report. One "ok - ..." line per check.
"""
import ctypes
import os
import socket
import struct
import subprocess

from coexist import SPLATS, bpf, dmesg_lines, server
from testlib import deliver, local_routes, module_hook, must, report, run

BPF_MAP_CREATE, BPF_MAP_UPDATE_ELEM, BPF_PROG_LOAD = 0, 2, 5
BPF_OBJ_GET_INFO_BY_FD, BPF_LINK_CREATE = 15, 28
BPF_MAP_TYPE_SOCKMAP, BPF_PROG_TYPE_SK_LOOKUP, BPF_SK_LOOKUP = 15, 30, 36
FUNC_MAP_LOOKUP_ELEM, FUNC_SK_RELEASE, FUNC_SK_ASSIGN = 1, 86, 124
# The program assigns the socket in slot (port - SELECT) of its SOCKMAP when there is one
# and passes otherwise; it drops every lookup of ports DROP to DROP + SLOTS - 1.
SELECT, DROP, SLOTS = 7100, 7200, 64
IP_TRANSPARENT, IPV6_TRANSPARENT = 19, 75
IPMODIFY_KO = "/opt/sklookup/ipmodify/skl_ipmodify.ko"
# What modprobe leaves in the kernel log when another IP-modifying user holds a function
# (module/hooks.c; README, Troubleshooting).
HELD = ("sklookup: cannot hook {}: another ftrace user that redirects it "
        "(a livepatch or another hooking module) holds it")
HELD_DIRECT = ("sklookup: cannot hook {} with hook=direct: another direct caller (a BPF "
               "fentry/fexit program or another module's trampoline) or a livepatch holds "
               "it; load with hook=ops to share it with BPF programs")


def insn(code, dst=0, src=0, off=0, imm=0):
    return struct.pack("<BBhi", code, dst | src << 4, off, imm)


def sk_lookup_program(map_fd):
    """r6 = ctx; port = ctx->local_port; slot = port - SELECT; if slot < SLOTS and the
    SOCKMAP has a socket there, bpf_sk_assign() it; SK_DROP for DROP..DROP+SLOTS-1;
    SK_PASS otherwise."""
    return b"".join([
        insn(0xBF, 6, 1),                        # 0: r6 = r1
        insn(0x61, 2, 6, 60),                    # 1: r2 = ctx->local_port
        insn(0x17, 2, imm=SELECT),               # 2: r2 -= SELECT
        insn(0x35, 2, off=16, imm=SLOTS),        # 3: if r2 >= SLOTS goto 20
        insn(0x63, 10, 2, -4),                   # 4: *(u32 *)(fp - 4) = r2
        insn(0xBF, 2, 10),                       # 5: r2 = fp
        insn(0x07, 2, imm=-4),                   # 6: r2 += -4
        insn(0x18, 1, 1, imm=map_fd), insn(0),   # 7-8: r1 = the SOCKMAP
        insn(0x85, imm=FUNC_MAP_LOOKUP_ELEM),    # 9: r0 = its socket in that slot
        insn(0x15, 0, off=7, imm=0),             # 10: if r0 == NULL goto 18
        insn(0xBF, 7, 0),                        # 11: r7 = r0
        insn(0xBF, 1, 6),                        # 12: r1 = ctx
        insn(0xBF, 2, 7),                        # 13: r2 = the socket
        insn(0xB7, 3, imm=0),                    # 14: r3 = 0 (flags)
        insn(0x85, imm=FUNC_SK_ASSIGN),          # 15: bpf_sk_assign()
        insn(0xBF, 1, 7),                        # 16: r1 = the socket
        insn(0x85, imm=FUNC_SK_RELEASE),         # 17: bpf_sk_release()
        insn(0xB7, 0, imm=1),                    # 18: r0 = SK_PASS
        insn(0x95),                              # 19: exit
        insn(0x61, 2, 6, 60),                    # 20: r2 = ctx->local_port
        insn(0x17, 2, imm=DROP),                 # 21: r2 -= DROP
        insn(0x35, 2, off=-5, imm=SLOTS),        # 22: if r2 >= SLOTS goto 18
        insn(0xB7, 0, imm=0),                    # 23: r0 = SK_DROP
        insn(0x95),                              # 24: exit
    ])


class SkLookup:
    """The BPF sk_lookup program, attached to this network namespace with a BPF link."""

    def __init__(self):
        self.map, _ = bpf(BPF_MAP_CREATE,
                          struct.pack("<IIIII", BPF_MAP_TYPE_SOCKMAP, 4, 8, SLOTS, 0)
                          .ljust(72, b"\0"))
        insns = sk_lookup_program(self.map)
        code = ctypes.create_string_buffer(insns, len(insns))
        license_ = ctypes.create_string_buffer(b"GPL")
        log = ctypes.create_string_buffer(65536)
        attr = bytearray(120)
        struct.pack_into("<IIQQIIQ", attr, 0, BPF_PROG_TYPE_SK_LOOKUP, len(insns) // 8,
                         ctypes.addressof(code), ctypes.addressof(license_), 1,
                         len(log), ctypes.addressof(log))
        attr[48:48 + 8] = b"skl_pick"
        struct.pack_into("<I", attr, 68, BPF_SK_LOOKUP)
        try:
            self.prog, _ = bpf(BPF_PROG_LOAD, bytes(attr))
        except OSError as err:
            os.close(self.map)
            err.strerror = f"{err.strerror}: {log.value.decode(errors='replace').strip()}"
            raise
        netns = os.open("/proc/self/ns/net", os.O_RDONLY)
        try:
            self.link, _ = bpf(BPF_LINK_CREATE,
                               struct.pack("<IIII", self.prog, netns, BPF_SK_LOOKUP, 0))
        finally:
            os.close(netns)

    def put(self, slot, sock):
        key, value = ctypes.c_uint32(slot), ctypes.c_uint64(sock.fileno())
        bpf(BPF_MAP_UPDATE_ELEM, struct.pack("<IIQQQ", self.map, 0, ctypes.addressof(key),
                                             ctypes.addressof(value), 0))

    def runs(self):
        info = ctypes.create_string_buffer(232)
        bpf(BPF_OBJ_GET_INFO_BY_FD,
            struct.pack("<IIQ", self.prog, len(info), ctypes.addressof(info)))
        return struct.unpack_from("<Q", info.raw, 200)[0]

    def close(self):
        for fd in (self.link, self.prog, self.map):
            os.close(fd)


def loopback(family):
    return "::1" if family == 6 else "127.0.0.1"


def wildcard(family):
    return "::" if family == 6 else "0.0.0.0"


def proxy_label(keep, proto, family, label="proxy"):
    """A socket of the label on a loopback port of its own."""
    s = server(proto, family, loopback(family), 0)
    must("register", "label", label, "fd", str(s.fileno()), fds=(s.fileno(),))
    keep.append(s)
    return s


def check_cells(name, cases):
    wrong = []
    for what, proto, dst, port, cands, want in cases:
        got = deliver(proto, dst, port, cands)[0]
        if got != want:
            wrong.append(f"{what} ({proto} to {dst} port {port}): {want} must receive, "
                         f"reached: {got}")
    report(not wrong, name, "\n".join(wrong))


def no_report(name, before):
    new = [line for line in dmesg_lines()[before:] if any(s in line for s in SPLATS)]
    report(not new, f"{name}: no kernel report", "\n".join(new[:20]))


def bpf_sk_lookup():
    """Each phase of the rules against a program that selects a socket, drops, or passes."""
    before = len(dmesg_lines())
    must("flush")
    keep, cases = [], []
    try:
        prog = SkLookup()
    except OSError as err:
        report(False, "a BPF sk_lookup program loads and attaches to the namespace", str(err))
        return
    report(True, "a BPF sk_lookup program loads and attaches to the namespace")
    refused = {"tcp": "ECONNREFUSED", "udp": "nobody"}
    # (what the program does, the rule's phase or None, who must receive)
    cells = [("selects", None, "bpf"), ("selects", "first", "proxy"),
             ("selects", "specific", "bpf"), ("selects", "fallback", "bpf"),
             ("selects a wildcard-bound socket", None, "bpf"),
             ("selects a wildcard-bound socket", "specific", "proxy"),
             ("selects a wildcard-bound socket", "fallback", "bpf"),
             ("drops", None, "refused"), ("drops", "first", "proxy"),
             ("drops", "specific", "proxy"), ("drops", "fallback", "proxy"),
             ("passes", None, "kernel"), ("passes", "first", "proxy"),
             ("passes", "specific", "proxy"), ("passes", "fallback", "proxy")]
    j = 0
    for proto in ("tcp", "udp"):
        for family in (4, 6):
            proxy = proxy_label(keep, proto, family)
            for does, phase, want in cells:
                dst = f"2001:db8:1::{0x100 + j:x}" if family == 6 else f"192.0.2.{100 + j}"
                port = (DROP if does == "drops" else SELECT) + j
                cands = {"proxy": proxy}
                if does.startswith("selects"):
                    bound = wildcard(family) if "wildcard" in does else loopback(family)
                    cands["bpf"] = server(proto, family, bound, 0)
                    prog.put(j, cands["bpf"])
                if does == "passes" and phase in (None, "specific"):
                    # A wildcard socket of the kernel's on the port: the program passing,
                    # the kernel finds it; a specific rule takes over from it.
                    cands["kernel"] = server(proto, family, wildcard(family), port)
                keep += [s for n, s in cands.items() if n != "proxy"]
                if phase:
                    must("add-rule", "proto", proto, "dst", dst, "port", str(port),
                         "phase", phase, "label", "proxy")
                what = f"{proto}{family}: the program {does}, " + (
                    f"a {phase} rule" if phase else "no rule")
                cases.append((what, proto, dst, port, cands,
                              refused[proto] if want == "refused" else want))
                j += 1
    check_cells("BPF sk_lookup in the namespace: a first rule decides before the program, "
                "a specific one after it when it chose no socket bound to an address, a "
                "fallback one when it chose none (its drop is none)", cases)
    # A lookup that a first rule decides in the callback never runs, nor the program.
    reached = sum(1 for c in cases if "first rule" not in c[0])
    report(prog.runs() >= reached, "the BPF sk_lookup program ran on the lookups that "
           "no first rule decided", f"runs: {prog.runs()}, such lookups: {reached}")
    prog.close()
    for s in keep:
        s.close()
    must("flush")
    no_report("BPF sk_lookup", before)


def nft(ruleset):
    # From a file: "nft -f -" opens /dev/stdin, which the guest's /dev does not have.
    with open("/tmp/skl-tproxy.nft", "w") as f:
        f.write(ruleset)
    res = subprocess.run(["nft", "-f", "/tmp/skl-tproxy.nft"], capture_output=True,
                         text=True)
    if res.returncode:
        raise RuntimeError(f"nft: {res.stderr.strip()}")


def transparent(proto, family, addr, port):
    af = socket.AF_INET6 if family == 6 else socket.AF_INET
    s = socket.socket(af, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == 6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_TRANSPARENT, 1)
    else:
        s.setsockopt(socket.IPPROTO_IP, IP_TRANSPARENT, 1)
    s.bind((addr, port))
    if proto == "tcp":
        s.listen(64)
    s.settimeout(3)
    return s


def tproxy():
    """TPROXY of 192.0.2.200/29 and 2001:db8:1::200/125 port 7500 to port 7501 on the
    loopback address, and rules for that traffic, for other traffic, and for the TPROXY
    target itself."""
    before = len(dmesg_lines())
    must("flush")
    nft("""
table ip skl_tproxy {
  chain pre {
    type filter hook prerouting priority -150; policy accept;
    ip daddr 192.0.2.200/29 tcp dport 7500 tproxy to 127.0.0.1:7501
    ip daddr 192.0.2.200/29 udp dport 7500 tproxy to 127.0.0.1:7501
  }
}
table ip6 skl_tproxy {
  chain pre {
    type filter hook prerouting priority -150; policy accept;
    ip6 daddr 2001:db8:1::200/125 tcp dport 7500 tproxy to [::1]:7501
    ip6 daddr 2001:db8:1::200/125 udp dport 7500 tproxy to [::1]:7501
  }
}
""")
    keep, cases = [], []
    for proto in ("tcp", "udp"):
        for family in (4, 6):
            proxy = proxy_label(keep, proto, family)
            # The label of the rule that matches TPROXY's own lookup, with a socket
            # TPROXY may take (transparent), and one with a socket it may not.
            tlabel = transparent(proto, family, loopback(family), 0)
            must("register", "label", "tproxy-ok", "fd", str(tlabel.fileno()),
                 fds=(tlabel.fileno(),))
            target = transparent(proto, family, loopback(family), 7501)
            keep += [tlabel, target]
            cands = {"tproxy": target, "proxy": proxy, "tlabel": tlabel}
            base = "2001:db8:1::" if family == 6 else "192.0.2."
            name = f"{proto}{family}"
            cases.append((f"{name}: TPROXY, no rule", proto, f"{base}200", 7500, cands,
                          "tproxy"))
            for i, phase in enumerate(("first", "specific", "fallback")):
                dst = f"{base}20{i + 1}"
                must("add-rule", "proto", proto, "dst", dst, "port", "7500",
                     "phase", phase, "label", "proxy")
                cases.append((f"{name}: TPROXY and a {phase} rule for its traffic", proto,
                              dst, 7500, cands, "tproxy"))
            other = f"{base}210"
            must("add-rule", "proto", proto, "dst", other, "port", "7500", "label", "proxy")
            cases.append((f"{name}: a rule for traffic TPROXY does not take", proto, other,
                          7500, cands, "proxy"))
    check_cells("nftables TPROXY in the namespace takes its traffic whatever the rules say; "
                "the rules steer the rest", cases)
    # TPROXY looks up a listener at its target: for TCP the lookup carries the packet and
    # a rule for the target steers it; TPROXY takes the socket only if it is transparent.
    # UDP's lookup has no packet and gets the kernel's answer.
    cases = []
    for family in (4, 6):
        must("add-rule", "proto", "tcp", "dst", loopback(family), "port", "7501",
             "label", "tproxy-ok")
        must("add-rule", "proto", "udp", "dst", loopback(family), "port", "7501",
             "label", "tproxy-ok")
    for s in keep:
        s.close()
    keep = []
    for proto in ("tcp", "udp"):
        for family in (4, 6):
            base = "2001:db8:1::" if family == 6 else "192.0.2."
            tlabel = transparent(proto, family, loopback(family), 0)
            must("register", "label", "tproxy-ok", "fd", str(tlabel.fileno()),
                 fds=(tlabel.fileno(),))
            target = transparent(proto, family, loopback(family), 7501)
            keep += [tlabel, target]
            cases.append((f"{proto}{family}: a rule for TPROXY's target", proto,
                          f"{base}200", 7500, {"tproxy": target, "tlabel": tlabel},
                          "tlabel" if proto == "tcp" else "tproxy"))
    check_cells("a rule for the TPROXY target steers TPROXY's TCP lookup (to a transparent "
                "socket), not its UDP one", cases)
    # The same rules with a label socket that is not transparent: TPROXY does not take
    # it and the packet goes on to its own address, where nothing listens.
    cases = []
    for s in keep:
        s.close()
    keep = []
    for proto in ("tcp", "udp"):
        for family in (4, 6):
            base = "2001:db8:1::" if family == 6 else "192.0.2."
            plain = proxy_label(keep, proto, family, label="tproxy-ok")
            target = transparent(proto, family, loopback(family), 7501)
            keep.append(target)
            cases.append((f"{proto}{family}: a rule for TPROXY's target, to a socket that "
                          "is not transparent", proto, f"{base}200", 7500,
                          {"tproxy": target, "plain": plain},
                          "ECONNREFUSED" if proto == "tcp" else "tproxy"))
    check_cells("a rule for the TPROXY target with a socket that is not transparent: TCP is "
                "refused as without a socket, UDP is TPROXY's", cases)
    nft("delete table ip skl_tproxy\ndelete table ip6 skl_tproxy\n")
    for s in keep:
        s.close()
    must("flush")
    no_report("TPROXY", before)


def sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def loaded(name):
    with open("/proc/modules") as f:
        return any(line.split()[0] == name for line in f)


def steering_ok(name, families=(4, 6)):
    """A rule in each phase for TCP and UDP, v4 and v6, each to a label socket."""
    must("flush")
    keep, cases = [], []
    j = 0
    for proto in ("tcp", "udp"):
        for family in families:
            proxy = proxy_label(keep, proto, family)
            for phase in ("first", "specific", "fallback"):
                dst = f"2001:db8:1::{0x300 + j:x}" if family == 6 else f"192.0.2.{150 + j}"
                must("add-rule", "proto", proto, "dst", dst, "port", str(7600 + j),
                     "phase", phase, "label", "proxy")
                cases.append((f"{proto}{family} {phase}", proto, dst, 7600 + j,
                              {"proxy": proxy}, "proxy"))
                j += 1
    check_cells(name, cases)
    for s in keep:
        s.close()
    must("flush")


def kernel_alone_ok(name):
    """With sklookup not loaded: the kernel's own lookups work."""
    keep, cases = [], []
    for proto in ("tcp", "udp"):
        for family in (4, 6):
            s = server(proto, family, loopback(family), 7700)
            keep.append(s)
            cases.append((f"{proto}{family}", proto, loopback(family), 7700,
                          {"kernel": s}, "kernel"))
    check_cells(name, cases)
    for s in keep:
        s.close()


def ipmodify():
    """Another module with an IP-modifying ftrace ops on the hooked functions."""
    before = len(dmesg_lines())
    hooked = ("__inet_lookup_listener", "inet6_lookup_listener", "__udp4_lib_lookup",
              "__udp6_lib_lookup")
    # sklookup first: the other module is refused, on all four or on the last one alone.
    for funcs, what in ((15, "all four functions"), (8, "__udp6_lib_lookup alone")):
        res = sh("insmod", IPMODIFY_KO, f"funcs={funcs}")
        report(res.returncode != 0 and "busy" in res.stderr and not loaded("skl_ipmodify"),
               f"another IP-modifying module on {what} is refused while sklookup is loaded "
               f"(EBUSY)", res.stderr.strip() or "it loaded")
        first = hooked[(funcs & -funcs).bit_length() - 1]
        report(any(f"register_ftrace_function({first}) = -16" in line
                   for line in dmesg_lines()[before:]),
               f"ftrace said EBUSY to it on {first}", "\n".join(dmesg_lines()[before:][-5:]))
        steering_ok(f"sklookup steers after refusing it ({what})")
    res = sh("rmmod", "sklookup")
    report(res.returncode == 0, "sklookup unloads after the refusal", res.stderr)
    # The other module first: sklookup is refused with the README's message, and rolls
    # back the hooks it had installed before the refused one.
    for funcs, func in ((15, hooked[0]), (8, hooked[3])):
        res = sh("insmod", IPMODIFY_KO, f"funcs={funcs}")
        report(res.returncode == 0, f"the other module loads on {func} without sklookup",
               res.stderr)
        mark = len(dmesg_lines())
        res = sh("modprobe", "sklookup")
        log = dmesg_lines()[mark:]
        report(res.returncode != 0 and not loaded("sklookup"),
               f"sklookup does not load while the other module holds {func}",
               res.stderr.strip() or "it loaded")
        held = HELD_DIRECT if module_hook() == "direct" else HELD
        report(any(held.format(func) in line for line in log),
               f"the kernel log says why, naming {func}", "\n".join(log[-5:]))
        kernel_alone_ok(f"the kernel's lookups work after sklookup's refused load ({func})")
        res = sh("rmmod", "skl_ipmodify")
        report(res.returncode == 0, "the other module unloads", res.stderr)
    res = sh("modprobe", "sklookup")
    report(res.returncode == 0 and loaded("sklookup"),
           "sklookup loads once the other module is gone", res.stderr)
    steering_ok("sklookup steers after the other module is gone")
    # On different functions the two coexist: sklookup without its IPv6 hooks, the other
    # module on the IPv6 lookups; then each unload order.
    for first_out in ("sklookup", "skl_ipmodify"):
        sh("rmmod", "sklookup")
        res = sh("modprobe", "sklookup", "hook_ipv6=0")
        other = sh("insmod", IPMODIFY_KO, "funcs=10")
        report(res.returncode == 0 and other.returncode == 0,
               "sklookup without IPv6 hooks and the other module on the IPv6 lookups load "
               "side by side", res.stderr + other.stderr)
        steering_ok("sklookup steers IPv4 beside it", families=(4,))
        kernel_alone_ok("the kernel's lookups work beside both")
        second = "skl_ipmodify" if first_out == "sklookup" else "sklookup"
        res = sh("rmmod", first_out)
        kernel_alone_ok(f"the kernel's lookups work after {first_out} unloads first")
        res2 = sh("rmmod", second)
        report(res.returncode == 0 and res2.returncode == 0,
               f"{first_out} unloads, then {second}", res.stderr + res2.stderr)
    res = sh("modprobe", "sklookup")
    report(res.returncode == 0, "sklookup loads again with every hook", res.stderr)
    no_report("a second IP-modifying module", before)


def main():
    with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
        f.write("1")
    local_routes("192.0.2.0/24", "2001:db8:1::/64")
    bpf_sk_lookup()
    tproxy()
    ipmodify()


if __name__ == "__main__":
    run(main, "coexist with peers")
