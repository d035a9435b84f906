#!/usr/bin/env python3
"""Other users of ftrace on the hooked functions, beside the module's own hooks.

A rule decided in the module's ftrace callback makes the hooked lookup "return" through a
stub of the module's, past whatever else ftrace runs on that function: a BPF trampoline
(fentry, fexit, fmod_ret, attached here by BTF id with raw bpf(2) calls, as bpftrace or an
agent would), kprobes and kretprobes, the function and function_graph tracers (tracefs).
For each of those, attached on all four hooked functions, every action in every phase for
TCP and UDP, IPv4 and IPv6, must reach the socket the rule says, the other tool must have
seen the lookups, and the kernel must report nothing. An attach the kernel refuses must
be refused with an error, and steering must stay right. Prints one "ok - ..."/"not ok -
..." line per check.
"""
import ctypes
import errno
import os
import socket
import struct
import subprocess

from testlib import deliver, local_routes, module_hook, must, report, run

HOOKED = ("__inet_lookup_listener", "inet6_lookup_listener",
          "__udp4_lib_lookup", "__udp6_lib_lookup")
TRACING = "/sys/kernel/tracing"
SPLATS = ("WARNING:", "BUG:", "Oops", "Call Trace", "general protection", "refcount_t")

# bpf(2) and perf_event_open(2), from each architecture's syscall table (x86-64, arm64).
ARM64 = os.uname().machine == "aarch64"
NR_BPF = 280 if ARM64 else 321
BPF_PROG_LOAD, BPF_OBJ_GET_INFO_BY_FD, BPF_RAW_TRACEPOINT_OPEN = 5, 15, 17
BPF_PROG_TYPE_TRACING = 26
ATTACH = {"fentry": 24, "fexit": 25, "fmod_ret": 26}
ENOTSUPP = 524  # the kernel's own "not supported", which bpf(2) passes out as is

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def bpf(cmd, attr):
    """One bpf(2) call with attr (bytes): its result, or OSError."""
    buf = ctypes.create_string_buffer(attr, len(attr))
    ret = libc.syscall(NR_BPF, cmd, buf, len(attr))
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, errno.errorcode.get(err, str(err)))
    return ret, buf.raw


def btf_funcs(names):
    """The BTF type ids of the functions in names, from the kernel's own BTF."""
    with open("/sys/kernel/btf/vmlinux", "rb") as f:
        data = f.read()
    magic, _, _, hdr_len, type_off, type_len, str_off, _ = struct.unpack_from(
        "<HBBIIIII", data)
    assert magic == 0xEB9F, "not BTF"
    strs = hdr_len + str_off
    pos, end, tid, found = hdr_len + type_off, hdr_len + type_off + type_len, 1, {}
    # Bytes that follow a type's 12-byte header, per kind: a fixed size or per member.
    fixed = {1: 4, 3: 12, 14: 4, 17: 4}
    per_member = {4: 12, 5: 12, 6: 8, 13: 8, 15: 12, 19: 12}
    while pos < end:
        name_off, info, _ = struct.unpack_from("<III", data, pos)
        kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        if kind == 12:  # FUNC
            name = data[strs + name_off:data.index(b"\0", strs + name_off)].decode()
            if name in names:
                found[name] = tid
        pos += 12 + fixed.get(kind, 0) + per_member.get(kind, 0) * vlen
        tid += 1
    return found


class BpfTracing:
    """One do-nothing tracing program of a kind on one function, attached by BTF id."""

    def __init__(self, kind, func, btf_id):
        insns = struct.pack("<BBhi", 0xB7, 0, 0, 0) + struct.pack("<BBhi", 0x95, 0, 0, 0)
        license_ = ctypes.create_string_buffer(b"GPL")
        code = ctypes.create_string_buffer(insns, len(insns))
        log = ctypes.create_string_buffer(4096)
        attr = bytearray(120)
        struct.pack_into("<IIQQIIQ", attr, 0, BPF_PROG_TYPE_TRACING, 2,
                         ctypes.addressof(code), ctypes.addressof(license_), 1,
                         len(log), ctypes.addressof(log))
        attr[48:48 + 8] = b"skl_cx\0\0"
        struct.pack_into("<I", attr, 68, ATTACH[kind])
        struct.pack_into("<I", attr, 108, btf_id)
        self.func, self.kind, self.link = func, kind, None
        try:
            self.prog, _ = bpf(BPF_PROG_LOAD, bytes(attr))
        except OSError as err:
            err.strerror = f"{err.strerror}: {log.value.decode(errors='replace').strip()}"
            raise
        try:
            self.link, _ = bpf(BPF_RAW_TRACEPOINT_OPEN, struct.pack("<QI4x", 0, self.prog))
        except OSError:
            os.close(self.prog)
            raise

    def runs(self):
        """How often the program ran (kernel.bpf_stats_enabled must be on)."""
        info = ctypes.create_string_buffer(232)
        _, _ = bpf(BPF_OBJ_GET_INFO_BY_FD,
                   struct.pack("<IIQ", self.prog, len(info), ctypes.addressof(info)))
        return struct.unpack_from("<Q", info.raw, 200)[0]

    def close(self):
        os.close(self.link)
        os.close(self.prog)


NR_PERF_EVENT_OPEN = 241 if ARM64 else 298


class PerfKprobe:
    """A counting kprobe (or kretprobe) of perf's kprobe PMU on one function, one per CPU:
    what perf record -e and bpftrace open."""

    def __init__(self, func, ret):
        with open("/sys/bus/event_source/devices/kprobe/type") as f:
            pmu = int(f.read())
        self.name = ctypes.create_string_buffer(func.encode())
        attr = bytearray(112)
        struct.pack_into("<IIQ", attr, 0, pmu, len(attr), 1 if ret else 0)
        struct.pack_into("<Q", attr, 56, ctypes.addressof(self.name))
        self.func, self.kind, self.fds = func, "perf kretprobe" if ret else "perf kprobe", []
        buf = ctypes.create_string_buffer(bytes(attr), len(attr))
        for cpu in range(os.cpu_count()):
            fd = libc.syscall(NR_PERF_EVENT_OPEN, buf, -1, cpu, -1, 0)
            if fd < 0:
                err = ctypes.get_errno()
                self.close()
                raise OSError(err, f"perf_event_open {self.kind} {func}")
            self.fds.append(fd)

    def runs(self):
        return sum(struct.unpack("<Q", os.read(fd, 8))[0] for fd in self.fds)

    def close(self):
        for fd in self.fds:
            os.close(fd)
        self.fds = []


def tracefs(path, text, append=False):
    """Write text to a tracefs file (append: without clearing it; Python's own append
    mode seeks to the end, which tracefs refuses)."""
    flags = os.O_WRONLY | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(f"{TRACING}/{path}", flags)
    data = text.encode()
    try:
        while data:  # ftrace's filter files take one name per write
            data = data[os.write(fd, data):]
    except OSError as err:
        raise OSError(err.errno, f"{path} <- {text.strip()!r}: {err.strerror}") from None
    finally:
        os.close(fd)


def graph_skips_direct():
    """Whether this kernel's function_graph tracer leaves out functions that have a direct
    caller: those built without DYNAMIC_FTRACE_WITH_ARGS, by their own config."""
    try:
        with open(f"/boot/config-{os.uname().release}", encoding="ascii") as f:
            return "CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS=y\n" not in f.read()
    except OSError:
        return False


class Attach:
    """Attach one kind of other ftrace user on every hooked function; say what it saw."""

    def __init__(self, kinds, btf_ids):
        self.kinds, self.btf_ids, self.progs, self.refused = kinds, btf_ids, [], {}
        for kind in kinds:
            getattr(self, "on_" + kind)(kind)

    def on_fentry(self, kind):
        for func in HOOKED:
            try:
                self.progs.append(BpfTracing(kind, func, self.btf_ids[func]))
            except OSError as err:
                self.refused[(kind, func)] = err

    on_fexit = on_fentry
    on_fmod_ret = on_fentry

    def on_kprobe(self, kind):
        probe = "p" if kind == "kprobe" else "r"
        for i, func in enumerate(HOOKED):
            tracefs("kprobe_events", f"{probe}:sklcx/sklcx_{kind}{i} {func}\n", append=True)
        tracefs("events/sklcx/enable", "1")

    on_kretprobe = on_kprobe

    def on_perf(self, kind):
        for func in HOOKED:
            self.progs.append(PerfKprobe(func, kind == "perf_kretprobe"))

    on_perf_kprobe = on_perf
    on_perf_kretprobe = on_perf

    def on_function(self, kind):
        tracefs("set_ftrace_filter", "\n".join(HOOKED) + "\n")
        tracefs("trace", "")
        tracefs("current_tracer", kind)
        tracefs("tracing_on", "1")

    on_function_graph = on_function

    def saw(self):
        """Per kind, whether it saw the lookups: a line per kind that did not."""
        missing = []
        for p in self.progs:
            if p.runs() == 0:
                missing.append(f"{p.kind} on {p.func} never saw a call")
        if any(k in ("kprobe", "kretprobe") for k in self.kinds):
            with open(f"{TRACING}/kprobe_profile") as f:
                for line in f:
                    fields = line.split()
                    if fields and fields[0].startswith("sklcx_") and fields[-2] == "0":
                        missing.append(f"{fields[0]} never hit")
        tracer = [k for k in self.kinds if k.startswith("function")]
        if tracer:
            with open(f"{TRACING}/trace") as f:
                trace = f.read()
            # The tracers' own lines: "func <-caller" and "func() {" (or "func();").
            mark = " <-" if tracer[0] == "function" else "()"
            missing += [f"the tracer never saw {func}" for func in HOOKED
                        if func + mark not in trace]
        return missing

    def detach(self):
        for p in self.progs:
            p.close()
        if any(k in ("kprobe", "kretprobe") for k in self.kinds):
            tracefs("events/sklcx/enable", "0")
            tracefs("kprobe_events", "")
        if any(k.startswith("function") for k in self.kinds):
            tracefs("current_tracer", "nop")
            tracefs("set_ftrace_filter", "")
            tracefs("trace", "")


def server(proto, family, addr, port):
    af = socket.AF_INET6 if family == 6 else socket.AF_INET
    s = socket.socket(af, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == 6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    if proto == "tcp":
        s.listen(64)
    s.settimeout(3)
    return s


def setup():
    """A rule per protocol, family, phase and action, each for a destination of its own.
    The specific phase has a wildcard socket of the kernel's to take over from; the first
    and fallback phases have no socket on the port (so that UDP's first phase is decided
    in the callback, as TCP's is)."""
    local_routes("192.0.2.0/24", "2001:db8:1::/64")
    keep, cases = [], []
    for proto in ("tcp", "udp"):
        for family in (4, 6):
            loop = "::1" if family == 6 else "127.0.0.1"
            proxy = server(proto, family, loop, 0)
            must("register", "label", "proxy", "fd", str(proxy.fileno()),
                 fds=(proxy.fileno(),))
            target = server(proto, family, loop, 7400)
            keep += [proxy, target]
            for phase in ("first", "specific", "fallback"):
                for action in ("label", "drop", "redirect"):
                    i = len(cases)
                    dst = f"2001:db8:1::{i + 1:x}" if family == 6 else f"192.0.2.{i + 1}"
                    port = 7000 + i
                    cands = {"proxy": proxy, "target": target}
                    if phase == "specific":
                        cands["kernel"] = server(proto, family,
                                                 "::" if family == 6 else "0.0.0.0", port)
                        keep.append(cands["kernel"])
                    act = {"label": ["label", "proxy"], "drop": ["drop"],
                           "redirect": ["redirect", f"[{loop}]:7400" if family == 6
                                        else f"{loop}:7400"]}[action]
                    must("add-rule", "proto", proto, "dst", dst, "port", str(port),
                         "phase", phase, *act)
                    want = {"label": "proxy", "redirect": "target",
                            "drop": "ECONNREFUSED" if proto == "tcp" else "nobody"}[action]
                    cases.append((proto, family, phase, action, dst, port, cands, want))
    return keep, cases


def kernel_attaches_trampolines(btf_ids):
    """Whether this kernel attaches fentry to the hooked functions at all.

    Asked with the module out, so that a refusal is the kernel's own: the hooked lookups
    take 8 to 10 arguments, which x86-64's BPF trampoline takes from 6.6 on and arm64's
    not in 6.12 (ENOTSUPP). Where the kernel refuses, the test wants the refusal beside
    the module too; where it attaches, it wants the attach beside the module.
    """
    subprocess.run(["rmmod", "sklookup"], check=True)
    try:
        att = Attach(["fentry"], btf_ids)
        refused = {f: errno.errorcode.get(e.errno, e.errno) for (_, f), e in att.refused.items()}
        att.detach()
    finally:
        subprocess.run(["modprobe", "sklookup"], check=True)
    print(f"# without the module, fentry on the hooked functions: "
          f"{'refused ' + str(refused) if refused else 'attaches'}")
    return not refused


def dmesg_lines():
    return subprocess.run(["dmesg"], capture_output=True, text=True).stdout.splitlines()


def steer_all(name, cases):
    """Every case once; one check for all of them, naming the ones that went wrong."""
    wrong = []
    for proto, family, phase, action, dst, port, cands, want in cases:
        got = deliver(proto, dst, port, cands)[0]
        if got != want:
            wrong.append(f"{proto}{family} {phase} {action}: {want} must receive, "
                         f"reached: {got}")
    report(not wrong, f"{name}: every action in every phase, tcp and udp, v4 and v6, "
           f"reaches the rule's socket", "\n".join(wrong))


def main():
    with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
        f.write("1")
    btf_ids = btf_funcs(HOOKED)
    report(sorted(btf_ids) == sorted(HOOKED), "the kernel's BTF has the hooked functions",
           f"found: {btf_ids}")
    trampoline = kernel_attaches_trampolines(btf_ids)
    # With hook=direct (SKL_HOOK=direct) sklookup is the functions' direct caller, and
    # ftrace allows one: fentry and fexit are refused beside it (README, "Coexistence").
    direct = module_hook() == "direct"
    keep, cases = setup()
    kinds = [("none",), ("fentry",), ("fexit",), ("fmod_ret",), ("kprobe",), ("kretprobe",),
             ("perf_kprobe",), ("perf_kretprobe",), ("function",), ("function_graph",),
             ("fentry", "fexit", "kprobe", "kretprobe", "perf_kretprobe", "function")]
    for kind in kinds:
        name = "+".join(kind)
        before = len(dmesg_lines())
        att = Attach([k for k in kind if k != "none"], btf_ids)
        bpf_kinds = [k for k in kind if k in ATTACH]
        for k in bpf_kinds:
            refused = {f: e for (kk, f), e in att.refused.items() if kk == k}
            for func, err in refused.items():
                # The verifier's reason is the line before its statistics.
                why = [l for l in str(err.strerror).splitlines()
                       if l and not l.startswith("processed")]
                print(f"# {k} on {func}: {errno.errorcode.get(err.errno, err.errno)}"
                      f" {why[-1] if why else ''}"[:200])
            if k == "fmod_ret" or not trampoline or direct:
                report(len(refused) == len(HOOKED) and
                       all(e.errno in (errno.EINVAL, ENOTSUPP, errno.EBUSY, errno.E2BIG)
                           for e in refused.values()),
                       f"{k} on the hooked functions is refused with an error",
                       "\n".join(f"{f}: {e}" for f, e in refused.items()) or "attached")
            else:
                report(not refused, f"{k} attaches beside the module on the hooked functions",
                       "\n".join(f"{f}: {e}" for f, e in refused.items()))
        if bpf_kinds and not att.progs and len(kind) == 1:
            att.detach()
            continue
        steer_all(name, cases)
        missing = att.saw()
        att.detach()
        if direct and kind == ("function_graph",) and graph_skips_direct():
            # Before DYNAMIC_FTRACE_WITH_ARGS (x86-64 5.10) function_graph_enter() skips a
            # function that a direct trampoline serves, BPF's as well as ours.
            want = [f"the tracer never saw {func}" for func in HOOKED]
            report(missing == want, f"{name}: the kernel skips the lookups a direct "
                   "trampoline serves (no DYNAMIC_FTRACE_WITH_ARGS)", "\n".join(missing))
        elif kind != ("none",):
            report(not missing, f"{name}: the other tool saw the lookups", "\n".join(missing))
        new = [l for l in dmesg_lines()[before:] if any(s in l for s in SPLATS)]
        report(not new, f"{name}: no kernel report", "\n".join(new[:20]))
    steer_all("after detaching everything", cases)
    if not trampoline:
        return
    # The other order: the trampolines are there first, the module hooks beside them.
    for s in keep:
        s.close()
    if direct:
        # Beside hook=direct they attach only while the module is out.
        subprocess.run(["rmmod", "sklookup"], check=True)
        att = Attach(["fentry", "fexit"], btf_ids)
        before = len(dmesg_lines())
        res = subprocess.run(["modprobe", "sklookup"], capture_output=True, text=True)
        held = [l for l in dmesg_lines()[before:] if "with hook=direct: another direct caller" in l]
        report(not att.refused and res.returncode != 0 and bool(held),
               "hook=direct: the module refuses to load beside fentry and fexit programs, "
               "saying why", res.stderr + "\n".join(dmesg_lines()[before:][-3:]) +
               "".join(f"\n{f}: {e}" for f, e in att.refused.items()))
        att.detach()
        res = subprocess.run(["modprobe", "sklookup"], capture_output=True, text=True)
        report(res.returncode == 0, "hook=direct: the module loads once they are gone",
               res.stderr)
        return
    att = Attach(["fentry", "fexit"], btf_ids)
    before = len(dmesg_lines())
    subprocess.run(["rmmod", "sklookup"], check=True)
    res = subprocess.run(["modprobe", "sklookup"], capture_output=True, text=True)
    report(res.returncode == 0, "the module loads beside fentry and fexit programs",
           res.stderr)
    keep, cases = setup()
    steer_all("fentry+fexit attached before the module", cases)
    missing = att.saw()
    att.detach()
    report(not missing, "fentry+fexit before the module: they saw the lookups",
           "\n".join(missing))
    new = [l for l in dmesg_lines()[before:] if any(s in l for s in SPLATS)]
    report(not new, "fentry+fexit before the module: no kernel report", "\n".join(new[:20]))


if __name__ == "__main__":
    run(main, "coexist")
