#!/usr/bin/env python3
"""apply replaces the whole rule set at once; dump prints it back in the same words."""
import json
import select
import socket
import subprocess
import time

from testlib import must, report, run


def dump():
    return must("dump")


def main():
    subprocess.run(["ip", "route", "replace", "local", "192.0.2.0/24", "dev", "lo"], check=True)
    web = socket.socket()
    web.bind(("127.0.0.1", 0))
    web.listen(64)
    must("register", "label", "web", "fd", str(web.fileno()), fds=(web.fileno(),))
    must("add-rule", "proto", "tcp", "dst", "198.51.100.0/24", "label", "old")

    text = ("# the whole set\n"
            "proto tcp dst 192.0.2.0/24 port 80 label web\n"
            "\n"
            "proto udp dst 2001:db8::/64 port 53-54 src 2001:db8:1::/48 phase fallback drop\n"
            "proto tcp dst 198.51.100.7 port any dev lo phase specific label web noreuseport\n")
    res = subprocess.run(["sklookupctl", "apply", "-"], input=text, capture_output=True,
                         text=True)
    want = ("proto tcp dst 192.0.2.0/24 port 80 label web\n"
            "proto udp dst 2001:db8::/64 port 53-54 src 2001:db8:1::/48 phase fallback drop\n"
            "proto tcp dst 198.51.100.7 dev lo phase specific label web noreuseport")
    got = dump()
    report(res.returncode == 0 and got == want, "apply replaces the rules; dump prints them",
           f"apply: {res.returncode} {res.stderr}\ndump:\n{got}")

    c = socket.create_connection(("192.0.2.5", 80), timeout=3)
    ready, _, _ = select.select([web], [], [], 2)
    report(bool(ready), "applied rules steer", "the connection did not reach web")
    if ready:
        web.accept()[0].close()
    c.close()

    before = dump()
    res = subprocess.run(["sklookupctl", "apply", "-"], capture_output=True, text=True,
                         input="proto tcp dst 192.0.2.0/24 label web\nproto tcp dst 192.0.2.1/24 label web\n")
    report(res.returncode == 2 and res.stderr.strip() == "sklookupctl: apply: -:2: dst "
           "'192.0.2.1/24': address has bits set beyond the prefix length"
           and dump() == before, "a bad line names itself and changes nothing",
           f"exit {res.returncode}: {res.stderr}")

    res = subprocess.run(["sh", "-c", "sklookupctl dump | sklookupctl apply -"],
                         capture_output=True, text=True)
    report(res.returncode == 0 and dump() == before, "dump | apply - changes nothing",
           res.stderr)

    for n in (10000, 100000):
        lines = "".join(f"proto tcp dst 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255} port 80 "
                        f"label web\n" for i in range(n - 1))
        lines += "proto tcp dst 192.0.2.0/24 port 80 label web\n"
        start = time.monotonic()
        res = subprocess.run(["sklookupctl", "apply", "-"], input=lines, capture_output=True,
                             text=True)
        took = time.monotonic() - start
        count = json.loads(must("-j", "status"))["rules"]
        print(f"# apply of {n} rules took {took:.1f} s in this guest")
        report(res.returncode == 0 and count == n, f"apply of {n} rules",
               f"{res.stderr} rules in force: {count}")
    start = time.monotonic()
    res = subprocess.run(["sh", "-c", "sklookupctl dump > /tmp/big && sklookupctl apply /tmp/big"
                          " && sklookupctl dump | cmp - /tmp/big"], capture_output=True, text=True)
    print(f"# dump and apply of 100000 rules took {time.monotonic() - start:.1f} s")
    report(res.returncode == 0, "dump | apply of 100000 rules is an identity", res.stderr)

    c = socket.create_connection(("192.0.2.6", 80), timeout=3)
    ready, _, _ = select.select([web], [], [], 2)
    report(bool(ready), "steering works with 100000 rules", "the connection did not reach web")
    c.close()
    must("flush")
    must("unregister", "label", "web")


if __name__ == "__main__":
    run(main, "apply scenario")
