#!/usr/bin/env python3
"""Several writers change rules and sockets at once while clients connect.

usage: writers.py [SECONDS]

Every rule set that is ever in force sends 192.0.2.0/24 port 80 to label a or label b
(apply swaps between two whole sets of 1,001 rules, another writer adds and deletes a
more specific rule, also to a or b); label c gets sockets registered and unregistered but
no rule for that destination names it; one of label a's two sockets is closed and opened
again now and then. So every connection must reach a socket of a or b: never c, never
refused, never lost.
"""
import collections
import errno
import select
import socket
import subprocess
import sys
import threading
import time

from testlib import ctl, listener, local_routes, must, report, run

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 30


def rule_set(label):
    filler = "".join(f"proto tcp dst 10.1.{i >> 8}.{i & 255} port 80 label c\n"
                     for i in range(1000))
    return f"proto tcp dst 192.0.2.0/24 port 80 label {label}\n" + filler


def main():
    local_routes("192.0.2.0/24")
    socks = {"a": [listener("a"), listener("a")], "b": [listener("b")], "c": []}
    lock = threading.Lock()
    sets = {label: rule_set(label) for label in ("a", "b")}
    must("add-rule", "proto", "tcp", "dst", "192.0.2.0/24", "port", "80", "label", "a")
    stop = time.monotonic() + SECONDS
    rounds = {"apply": 0, "add-del": 0, "register": 0, "restart": 0}
    problems = []

    def writer(name, step):
        i = 0
        while time.monotonic() < stop:
            try:
                step(i)
            except Exception as err:  # pylint: disable=broad-except
                problems.append(f"{name}: {err}")
                return
            rounds[name] += 1
            i += 1

    def apply_step(i):
        res = subprocess.run(["sklookupctl", "apply", "-"], input=sets["ab"[i % 2]],
                             capture_output=True, text=True, timeout=60)
        if res.returncode:
            raise RuntimeError(res.stderr.strip())

    def add_del_step(i):
        rule = must("add-rule", "proto", "tcp", "dst", "192.0.2.7", "port", "80",
                    "label", "ab"[i % 2])
        time.sleep(0.05)
        res = ctl("del-rule", rule)
        # An apply in between replaced every rule, this one included.
        if res.returncode and "No such file" not in res.stderr:
            raise RuntimeError(res.stderr.strip())

    # Sockets are closed only after a grace time, never while a client may be selecting
    # on them; before that they stay open, and c's stay watched, so that a connection
    # wrongly steered to one waits in its queue to be counted instead of being reset by a
    # close. Keeping them all to the end ran out of descriptors in 300 s runs (EMFILE in
    # the writers, and an accept that fails leaves its connection 'lost').
    GRACE = 3.0
    unregistered = collections.deque()  # (when, socket of c)
    retired = collections.deque()  # (when, old socket of a)

    def close_after_grace():
        now = time.monotonic()
        while unregistered and unregistered[0][0] < now - GRACE:
            _, s = unregistered.popleft()
            with lock:
                socks["c"].remove(s)
            retired.append((now, s))
        while retired and retired[0][0] < now - GRACE:
            _, s = retired.popleft()
            # A connection in the queue of a socket of c is one steered wrongly.
            while s.fileno() >= 0 and select.select([s], [], [], 0)[0]:
                try:
                    s.setblocking(False)
                    conn, _ = s.accept()
                except OSError:
                    break
                seen["c (found at close)"] += 1
                conn.close()
            s.close()

    def register_step(_):
        s = listener("c")
        with lock:
            socks["c"].append(s)
        time.sleep(0.05)
        must("unregister", "label", "c")
        unregistered.append((time.monotonic(), s))
        close_after_grace()

    def restart_step(_):
        # The service restarts one of its two sockets: the new one is registered, then
        # the old one stops listening (its queue is reset, as any restart does).
        time.sleep(0.3)
        old = socks["a"][0]
        new = listener("a")
        with lock:
            socks["a"] = [new, socks["a"][1]]
        old.shutdown(socket.SHUT_RD)
        retired.append((time.monotonic(), old))

    seen = collections.Counter()
    # Where each connection was accepted, by the client's port: either client thread may
    # accept the other's connection, and must say where it landed, or the other would
    # count its closing as a reset and leave its own connection queued for ever (they
    # piled up in b's queue until it overflowed and SYNs were dropped).
    arrived = {}

    def client():
        while time.monotonic() < stop:
            try:
                cl = socket.create_connection(("192.0.2.9", 80), timeout=10)
            except ConnectionResetError:
                # Reset after the handshake (a reset during it refuses): it had landed on
                # a socket that a restart then closed.
                seen["reset after landing"] += 1
                continue
            except OSError as err:
                seen["connect " + errno.errorcode.get(err.errno, str(err))] += 1
                continue
            me = cl.getsockname()[1]
            # A byte, as any client sends: a handshake that completes while a restart
            # closes its listener can leave the server side silently gone (the child
            # cannot take the port of a listener that is releasing it, and the request
            # then dies with its listener: ListenDrops without ListenOverflows); only data
            # draws the reset that tells the client. Seen as 1 'lost' in 14,537 and in
            # 28,755 connections before.
            try:
                cl.sendall(b"?")
            except OSError:
                pass
            deadline = time.monotonic() + 5
            found = None
            while not found and time.monotonic() < deadline:
                with lock:
                    found = arrived.pop(me, None)
                    table = [(label, s) for label, group in socks.items() for s in group
                             if s.fileno() >= 0]
                if found:
                    break
                ready, _, _ = select.select([s for _, s in table] + [cl], [], [], 0.2)
                for label, s in table:
                    if s in ready:
                        try:
                            s.setblocking(False)
                            conn, peer = s.accept()
                        except OSError:
                            continue
                        with lock:
                            arrived[peer[1]] = label
                        conn.close()
                if cl in ready:
                    with lock:
                        found = arrived.pop(me, None)
                    # Else reset once established: it was queued on a socket that then
                    # closed (a service restart loses its accept queue), so it did land
                    # rightly.
                    found = found or "reset after landing"
            if not found:
                where_lost(me)
            seen[found or "lost"] += 1
            cl.close()

    lost_detail = []

    def where_lost(port):
        # A connection nobody accepted and nobody reset: where it sits (in whose accept
        # queue, or still in SYN-SENT) and what the kernel counted, so that the next 'lost'
        # says whether a SYN was dropped, a queue overflowed or a socket was missed.
        if len(lost_detail) >= 3:
            return
        sockets = subprocess.run(["ss", "-tanoie", f"( sport = :{port} or dport = :{port} )"],
                                 capture_output=True, text=True, check=False).stdout
        queues = subprocess.run(["ss", "-tlnH"], capture_output=True,
                                text=True, check=False).stdout
        counters = subprocess.run(["nstat", "-az", "TcpExtListen*", "TcpExtTCPReqQFull*",
                                   "TcpExtTCPBacklogDrop", "TcpExtSyncookies*"],
                                  capture_output=True, text=True, check=False).stdout
        lost_detail.append(f"port {port} at {time.monotonic() - started:.1f}s:\n"
                           f"{sockets}listeners:\n{queues}{counters}")

    started = time.monotonic()
    threads = [threading.Thread(target=writer, args=(name, step)) for name, step in
               (("apply", apply_step), ("add-del", add_del_step),
                ("register", register_step), ("restart", restart_step))]
    threads += [threading.Thread(target=client) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"# {SECONDS:.0f} s: connections {dict(seen)}, writer rounds {rounds}")
    report(not problems, "every writer's changes were accepted", "\n".join(problems))
    wrong = {k: v for k, v in seen.items() if k not in ("a", "b", "reset after landing")}
    report(not wrong and seen["a"] and seen["b"],
           "under four writers every connection reached a or b",
           "\n".join([f"{dict(seen)}"] + lost_detail))
    report(all(rounds.values()), "every writer made progress", f"{rounds}")
    must("flush")
    for label in ("a", "b"):
        must("unregister", "label", label)
    for group in list(socks.values()) + [[s for _, s in retired]]:
        for s in group:
            s.close()


if __name__ == "__main__":
    run(main, "writers scenario")
