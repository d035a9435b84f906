#!/usr/bin/env python3
"""A namespace that applies and flushes a million rules does not stall another's requests.

Every request of a generic netlink family without parallel_ops runs under the kernel's
global genl_mutex, as does every other family's CTRL_CMD_GETFAMILY: while one namespace
committed or flushed a million rules, `sklookupctl status` in another waited seconds.
Here one namespace loops apply and flush; the initial namespace times status meanwhile.
In the applying namespace itself, every generic netlink socket that closed (any tool's,
ethtool's or iw's) waited for the namespace's lock while a staged set was open, so for the
whole of a million-rule commit: a process there times the close of such sockets.
"""
import os
import subprocess
import threading
import time

from genl import C, Genl
from testlib import must, report, run

RULES = int(os.environ.get("SKL_STALL_RULES", "1000000"))
CYCLES = int(os.environ.get("SKL_STALL_CYCLES", "1"))
# A request queued behind another namespace's commit waited seconds. The bound, on the
# request itself, leaves TCG's noise room; a whole `sklookupctl status` (a process
# started under TCG, competing for two emulated CPUs with apply's own parsing) is timed
# too and printed, but its start-up alone took up to 0.4 s on a loaded host.
BOUND = 0.5

# Runs in the other namespace: prints when each apply and flush started and ended.
APPLIER = """
import subprocess, sys, time
for _ in range(int(sys.argv[2])):
    for args in (["apply", sys.argv[1]], ["flush"]):
        start = time.monotonic()
        # apply's lines of what it changed are not this script's output.
        subprocess.run(["sklookupctl", *args], check=True, stdout=subprocess.DEVNULL)
        print(args[0], start, time.monotonic(), flush=True)
"""

# Runs in the applying namespace until killed: prints when each close of a bound generic
# netlink socket started and how long it took.
CLOSER = """
import socket, time
while True:
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
    s.bind((0, 0))
    start = time.monotonic()
    s.close()
    print(start, time.monotonic() - start, flush=True)
    time.sleep(0.01)
"""


def time_status(genl=None):
    """When a status started and how long it took: a request on the open socket genl,
    or a whole sklookupctl status."""
    start = time.monotonic()
    if genl:
        genl.request(C["SKL_CMD_STATUS_GET"])
    else:
        must("status")
    return start, time.monotonic() - start


def main():
    path = "/tmp/stall-rules"
    with open(path, "w", encoding="ascii") as f:
        for i in range(RULES):
            f.write(f"proto udp dst 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
                    f" port {i % 1000 + 1} drop\n")
    genl = Genl()
    idle = max(time_status()[1] for _ in range(20))
    idle_req = max(time_status(genl)[1] for _ in range(20))
    print(f"# idle: worst sklookupctl status {idle:.3f} s, worst request {idle_req:.3f} s,"
          " of 20")

    subprocess.run(["ip", "netns", "add", "sklstall"], check=True)
    applier = subprocess.Popen(["ip", "netns", "exec", "sklstall", "python3", "-c", APPLIER,
                                path, str(CYCLES)], stdout=subprocess.PIPE, text=True)
    phases = []
    reader = threading.Thread(target=lambda: phases.extend(
        (kind, float(a), float(b)) for kind, a, b in
        (line.split() for line in applier.stdout)))
    reader.start()
    closer = subprocess.Popen(["ip", "netns", "exec", "sklstall", "python3", "-c", CLOSER],
                              stdout=subprocess.PIPE, text=True)
    closes = []
    close_reader = threading.Thread(target=lambda: closes.extend(
        (float(a), float(b)) for a, b in (line.split() for line in closer.stdout)))
    close_reader.start()
    samples, requests = [], []
    while applier.poll() is None:
        samples.append(time_status())
        requests.append(time_status(genl))
    reader.join()
    closer.kill()
    closer.wait()
    close_reader.join()
    subprocess.run(["ip", "netns", "del", "sklstall"], check=True)
    os.unlink(path)
    report(applier.returncode == 0 and len(phases) == 2 * CYCLES,
           f"the other namespace applied and flushed {RULES} rules {CYCLES} times",
           f"exit {applier.returncode}, phases {phases}")

    for kind in ("apply", "flush"):
        took = [b - a for k, a, b in phases if k == kind]
        print(f"# {kind} took {', '.join(f'{t:.1f}' for t in took)} s")
        for what, got in (("sklookupctl status", samples), ("status request", requests)):
            during = [t for start, t in got
                      if any(k == kind and a <= start + t and start <= b for k, a, b in phases)]
            worst = max(during, default=0.0)
            print(f"# during {kind}: worst {what} {worst:.3f} s ({len(during)} samples)")
        # Judged on the requests (the last of the loop above).
        # A request that overlapped no flush cannot have waited for one: a flush shorter
        # than a request may overlap none.
        report(worst < BOUND and (bool(during) or max(took, default=BOUND) < BOUND),
               f"a status request waits under {BOUND} s while another namespace runs {kind}",
               f"worst {worst:.3f} s over {len(during)} samples (idle worst {idle_req:.3f} s)")
    during = [t for start, t in closes
              if any(k == "apply" and a <= start + t and start <= b for k, a, b in phases)]
    worst = max(during, default=0.0)
    print(f"# during apply: worst close of a generic netlink socket in the applying "
          f"namespace {worst:.3f} s ({len(during)} samples)")
    report(bool(during) and worst < BOUND,
           f"closing a generic netlink socket in the applying namespace waits under {BOUND} s",
           f"worst {worst:.3f} s over {len(during)} samples")
    genl.close()


if __name__ == "__main__":
    run(main, "stall scenario")
