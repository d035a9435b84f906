#!/usr/bin/env python3
"""A lookup caught by a change of the rules gets the old rules' answer or the new ones',
never a third. Runs in a network namespace of its own, on the test build of the module:
its fault_pause_us parameter makes each wrapper wait before it decides, so that a change
lands between the hook's callback (which sent the lookup to the wrapper under the old
rules) and the wrapper's decision (under the new ones).

The old rules redirect the flow to a socket that is not registered; the new ones drop it.
Both send what no first-phase rule decides to a witness label by a fallback rule: a
datagram or a connection that reaches the witness was decided by neither set."""
import socket
import subprocess
import threading
import time

from testlib import must, report, run

PAUSE = "/sys/module/sklookup/parameters/fault_pause_us"
DST, PORT = "192.0.2.9", 9000
SWAPS = 12


def rules(proto, first, target_port):
    action = f"redirect 127.0.0.1:{target_port}" if first == "redirect" else "drop"
    return (f"proto {proto} dst {DST} port {PORT} {action}\n"
            f"proto {proto} dst {DST} port {PORT} phase fallback label witness-{proto}\n")


def apply(text):
    res = subprocess.run(["sklookupctl", "apply", "-"], input=text, capture_output=True,
                         text=True, timeout=60)
    if res.returncode:
        raise RuntimeError(f"apply failed: {res.stderr.strip()}")


def pause(us):
    with open(PAUSE, "w", encoding="ascii") as f:
        f.write(str(us))


def swap_during(proto, port, traffic):
    """With the wrappers paused, the redirect rules and the drop rules in turn, twelve
    times each, while traffic(stop) sends until stop is set."""
    apply(rules(proto, "redirect", port))
    stop = threading.Event()
    worker = threading.Thread(target=traffic, args=(stop,))
    pause(3000)
    worker.start()
    try:
        for _ in range(SWAPS):
            time.sleep(0.1)
            apply(rules(proto, "drop", port))
            time.sleep(0.1)
            apply(rules(proto, "redirect", port))
    finally:
        stop.set()
        worker.join()
        pause(0)


def udp_case():
    target = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    target.bind(("127.0.0.1", 0))
    witness = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    witness.bind(("127.0.0.1", 0))
    witness.setblocking(False)
    must("register", "label", "witness-udp", "fd", str(witness.fileno()),
         fds=(witness.fileno(),))
    port = target.getsockname()[1]

    def send(stop):
        out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        while not stop.is_set():
            out.sendto(b"x", (DST, PORT))

    swap_during("udp", port, send)
    target.setblocking(False)
    redirected = 0
    try:
        while target.recv(8):
            redirected += 1
    except BlockingIOError:
        pass
    strays = 0
    try:
        while witness.recv(8):
            strays += 1
    except BlockingIOError:
        pass
    report(redirected > 0, f"UDP: the old rules redirected datagrams ({redirected})")
    report(strays == 0, f"UDP: {SWAPS} swaps of redirect and drop while wrappers wait: "
           f"no datagram reached the fallback rule's witness ({strays} did)")


def tcp_case():
    target = socket.socket()
    target.bind(("127.0.0.1", 0))
    target.listen(4096)
    witness = socket.socket()
    witness.bind(("127.0.0.1", 0))
    witness.listen(4096)
    witness.setblocking(False)
    must("register", "label", "witness-tcp", "fd", str(witness.fileno()),
         fds=(witness.fileno(),))
    port = target.getsockname()[1]
    clients = []

    def connect(stop):
        while not stop.is_set():
            c = socket.socket()
            c.setblocking(False)
            try:
                c.connect((DST, PORT))
            except BlockingIOError:
                pass
            clients.append(c)
            # Keep within the open files limit: a connection stays in its listener's
            # queue after the client closes, to be counted there.
            if len(clients) > 256:
                clients.pop(0).close()
            time.sleep(0.002)

    swap_during("tcp", port, connect)
    time.sleep(0.5)
    target.setblocking(False)
    redirected = strays = 0
    for sock in (target, witness):
        try:
            while True:
                conn, _ = sock.accept()
                conn.close()
                if sock is target:
                    redirected += 1
                else:
                    strays += 1
        except BlockingIOError:
            pass
    for c in clients:
        c.close()
    report(redirected > 0, f"TCP: the old rules redirected connections ({redirected})")
    report(strays == 0, f"TCP: {SWAPS} swaps of redirect and drop while wrappers wait: "
           f"no connection reached the fallback rule's witness ({strays} did)")


def main():
    udp_case()
    tcp_case()
    apply("")


if __name__ == "__main__":
    run(main, "swap")
