#!/usr/bin/env python3
"""dev NAME keeps a name, as nftables' iifname does.

A rule that names a device matches whichever device of its namespace has that name now:
- it is accepted before the device exists (sklookup.service runs before the network is
  up) and matches nothing until the device appears;
- it follows the device deleted and made again (a new index);
- a device renamed away no longer matches it, and a rule with the new name matches it.
Datagrams come from another namespace over a veth pair, so they arrive on the device.
"""
import os
import select
import socket
import subprocess
import threading

from genl import C, Genl, NetlinkError, attr, rule_attrs, u32
from testlib import ctl, deliver, must, report, run

DEV = "skldev0"
PORT = 5555


def sh(*args):
    subprocess.run(args, check=True)


def make_device(name=DEV):
    """A veth pair: name here (10.77.0.1), peer0 in the namespace devpeer (10.77.0.2)."""
    sh("ip", "link", "add", name, "type", "veth", "peer", "name", "peer0", "netns", "devpeer")
    sh("ip", "addr", "add", "10.77.0.1/24", "dev", name)
    sh("ip", "link", "set", name, "up")
    sh("ip", "-n", "devpeer", "addr", "add", "10.77.0.2/24", "dev", "peer0")
    sh("ip", "-n", "devpeer", "link", "set", "peer0", "up")


def ifindex(name):
    with open(f"/sys/class/net/{name}/ifindex", encoding="ascii") as f:
        return int(f.read())


def from_peer(receivers):
    """Send a datagram from devpeer to 10.77.0.1:PORT, arriving on the veth here; the
    name of the receiver that got its bytes, or "nobody"."""
    payload = os.urandom(8).hex()
    sh("ip", "netns", "exec", "devpeer", "python3", "-c",
       "import socket, sys\n"
       "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
       "s.sendto(sys.argv[1].encode(), ('10.77.0.1', int(sys.argv[2])))",
       payload, str(PORT))
    ready, _, _ = select.select(list(receivers.values()), [], [], 3)
    if not ready:
        return "nobody"
    name = next(n for n, s in receivers.items() if s is ready[0])
    got = ready[0].recv(64).decode(errors="replace")
    return name if got == payload else f"{name} got {got!r}"


def udp(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    return s


def refusals():
    """What the module refuses, naming the attribute: a device's index, and names no
    device can have. sklookupctl refuses these names itself, so they are sent raw."""
    g = Genl()
    base = rule_attrs(socket.IPPROTO_UDP, "10.78.0.0", 24, PORT, "genl")
    long_name = "SKL_A_RULE_IFNAME must be one NUL-terminated name shorter than IFNAMSIZ (16)"
    bad_name = ("SKL_A_RULE_IFNAME is not a device name: empty, \".\", \"..\", "
                "or with '/', ':' or white space")
    cases = [
        ("SKL_A_RULE_IFINDEX", u32(C["SKL_A_RULE_IFINDEX"], 1),
         "SKL_A_RULE_IFINDEX is no longer taken: name the device with SKL_A_RULE_IFNAME"),
        ("16 bytes and a NUL", attr(C["SKL_A_RULE_IFNAME"], b"x" * 16 + b"\0"), long_name),
        ("no NUL", attr(C["SKL_A_RULE_IFNAME"], b"lo"), long_name),
        ("a NUL inside", attr(C["SKL_A_RULE_IFNAME"], b"lo\0x\0"), long_name),
        ("'a/b'", attr(C["SKL_A_RULE_IFNAME"], b"a/b\0"), bad_name),
        ("'a b'", attr(C["SKL_A_RULE_IFNAME"], b"a b\0"), bad_name),
        ("'..'", attr(C["SKL_A_RULE_IFNAME"], b"..\0"), bad_name),
        ("empty", attr(C["SKL_A_RULE_IFNAME"], b"\0"), bad_name),
    ]
    for what, extra, want in cases:
        try:
            g.request(C["SKL_CMD_RULE_ADD"], base + extra)
            got = "accepted"
        except NetlinkError as err:
            got = f"{err.errno} {err.strerror}"
        report(got == f"22 {want}", f"rule-add with {what} is refused, naming the attribute",
               f"got: {got}")
    g.request(C["SKL_CMD_RULE_ADD"], base + attr(C["SKL_A_RULE_IFNAME"], b"x" * 15 + b"\0"))
    report(True, "rule-add with a 15-character name is accepted")
    g.close()
    must("flush")


def churn(receivers):
    """Rule sets replaced while the device is renamed away and back, again and again: a
    set compiled while a rename goes on must still end up with the device's index."""
    make_device()
    batch = "".join(f"link set {DEV} down\nlink set {DEV} name skldevtmp\n"
                    f"link set skldevtmp name {DEV}\nlink set {DEV} up\n" for _ in range(40))
    renamer = threading.Thread(target=subprocess.run, args=(["ip", "-batch", "-"],),
                               kwargs={"input": batch, "text": True, "check": True})
    rule = f"proto udp dst 10.77.0.0/24 port {PORT} dev {DEV} label viadev"
    renamer.start()
    failures = []
    for i in range(40):
        extra = f"proto tcp dst 10.79.{i}.0/24 dev skldevtmp drop"
        res = subprocess.run(["sklookupctl", "apply", "-"], input=f"{extra}\n{rule}\n",
                             text=True, capture_output=True, check=False)
        if res.returncode:
            failures.append(res.stderr)
    renamer.join()
    got = from_peer(receivers)
    report(got == "viadev" and not failures,
           "after 40 applies during 80 renames, the device is steered", f"reached: {got}\n"
           + "".join(failures[:3]))
    sh("ip", "link", "del", DEV)


def main():
    sh("ip", "netns", "add", "devpeer")
    sh("ip", "route", "add", "local", "10.77.0.128/25", "dev", "lo")
    # The kernel's own socket answers what no rule steers.
    receivers = {"kernel": udp("0.0.0.0", PORT), "viadev": udp("127.0.0.1", 0),
                 "renamed": udp("127.0.0.1", 0)}
    for label in ("viadev", "renamed"):
        fd = receivers[label].fileno()
        must("register", "label", label, "fd", str(fd), fds=(fd,))

    res = ctl("add-rule", "proto", "udp", "dst", "10.77.0.0/24", "port", str(PORT),
              "dev", DEV, "label", "viadev")
    report(res.returncode == 0, f"a rule naming {DEV}, which does not exist, is accepted",
           res.stderr)
    dump = must("dump")
    report(dump == f"proto udp dst 10.77.0.0/24 port {PORT} dev {DEV} label viadev",
           "dump prints the name of the device that is not there", dump)

    make_device()
    first = ifindex(DEV)
    got = from_peer(receivers)
    report(got == "viadev", f"once {DEV} exists, a datagram arriving on it is steered",
           f"reached: {got}")
    # Sent here to an address of skldev0, the lookup's device is skldev0 (the route's,
    # as for SO_BINDTODEVICE); to an address of lo, it is lo.
    got, _ = deliver("udp", "10.77.0.200", PORT, receivers)
    report(got == "kernel", "a datagram to the same prefix arriving on lo is not",
           f"reached: {got}")

    sh("ip", "link", "del", DEV)
    make_device()
    second = ifindex(DEV)
    got = from_peer(receivers)
    report(got == "viadev" and second != first,
           f"{DEV} deleted and made again (index {first}, then {second}) is still steered",
           f"reached: {got}")

    sh("ip", "link", "set", DEV, "down")
    sh("ip", "link", "set", DEV, "name", "skldev1")
    sh("ip", "link", "set", "skldev1", "up")
    got = from_peer(receivers)
    report(got == "kernel", f"renamed from {DEV} to skldev1, it no longer matches",
           f"reached: {got}")
    must("add-rule", "proto", "udp", "dst", "10.77.0.0/24", "port", str(PORT),
         "dev", "skldev1", "label", "renamed")
    got = from_peer(receivers)
    report(got == "renamed", "a rule naming skldev1, added after the rename, matches it",
           f"reached: {got}")

    sh("ip", "link", "set", "skldev1", "down")
    sh("ip", "link", "set", "skldev1", "name", DEV)
    sh("ip", "link", "set", DEV, "up")
    got = from_peer(receivers)
    report(got == "viadev", f"renamed back to {DEV}, its rule matches it again, skldev1's not",
           f"reached: {got}")

    # dump | apply - keeps both rules, one of them naming a device that is not there.
    dump = must("dump")
    res = subprocess.run(["sklookupctl", "apply", "-"], input=dump + "\n", text=True,
                         capture_output=True, check=False)
    again = must("dump")
    report(res.returncode == 0 and again == dump, "dump | apply - round-trips dev names",
           f"{res.stderr}\nbefore:\n{dump}\nafter:\n{again}")
    got = from_peer(receivers)
    report(got == "viadev", "after apply, the device is still steered", f"reached: {got}")

    sh("ip", "link", "del", DEV)
    churn(receivers)
    got = ctl("-j", "show").stdout
    report(f'"dev":"{DEV}"' in got.replace(" ", ""), "show -j prints the name",
           got[:400])
    must("flush")
    sh("ip", "netns", "del", "devpeer")
    refusals()


run(main, "devname")
