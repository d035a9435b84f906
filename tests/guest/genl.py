"""A small generic netlink client, for tests that must talk to the module the way
sklookupctl never would: a client that stops half way, requests built by hand.

The command and attribute numbers come from the uapi header the module was built with."""
import os
import re
import socket
import struct

# In the guest the source tree is in /opt/sklookup/src; on the host, two levels up.
HEADER = next((p for p in ("/opt/sklookup/src/include/sklookup.h",
                           os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                        "..", "..", "include", "sklookup.h"))
               if os.path.exists(p)), "sklookup.h")

NETLINK_GENERIC = 16
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_MCAST_GROUPS = 7
CTRL_ATTR_MCAST_GRP_NAME = 1
CTRL_ATTR_MCAST_GRP_ID = 2
CTRL_CMD_GETPOLICY = 10
CTRL_ATTR_POLICY = 8
CTRL_ATTR_OP_POLICY = 9
CTRL_ATTR_OP = 10
CTRL_ATTR_POLICY_DO = 1
NLMSGERR_ATTR_MSG = 1
NLMSGERR_ATTR_OFFS = 2
NLMSGERR_ATTR_POLICY = 4
NL_POLICY_TYPE_ATTR_TYPE = 1
NL_POLICY_TYPE_ATTR_MAX_LENGTH = 7
NL_ATTR_TYPE_BINARY = 10
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1


def header_constants(path=HEADER):
    """Every enumerator and simple #define of the uapi header, by name."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    values = {}
    for body in re.findall(r"enum \w+ \{(.*?)\};", text, re.S):
        last = -1
        for name, expr in re.findall(r"^\s*(\w+)(?:\s*=\s*([^,]+))?,", body, re.M):
            last = eval(expr, {}, dict(values)) if expr else last + 1  # pylint: disable=eval-used
            values[name] = last
    for name, value in re.findall(r"^#define (SKL_\w+)\s+(\d+|0x[0-9a-f]+)\b", text, re.M):
        values[name] = int(value, 0)
    return values


C = header_constants()


def attr(kind, payload):
    """One netlink attribute, padded to four bytes."""
    data = struct.pack("=HH", 4 + len(payload), kind) + payload
    return data + b"\0" * (-len(data) % 4)


def u8(kind, value):
    return attr(kind, struct.pack("=B", value))


def u16(kind, value):
    return attr(kind, struct.pack("=H", value))


def u32(kind, value):
    return attr(kind, struct.pack("=I", value))


def u64(kind, value):
    return attr(kind, struct.pack("=Q", value))


def string(kind, value):
    return attr(kind, value.encode() + b"\0")


def flag(kind):
    return attr(kind, b"")


def parse_attrs(data):
    """{type: payload} of a run of attributes (the last one of a repeated type wins)."""
    out = {}
    while len(data) >= 4:
        length, kind = struct.unpack_from("=HH", data)
        if length < 4:
            break
        out[kind & 0x3fff] = data[4:length]
        data = data[(length + 3) & ~3:]
    return out


class NetlinkError(OSError):
    """A request the kernel refused, with its extended ack message."""


class Genl:
    """A generic netlink socket bound to one family."""

    def __init__(self, family=C.get("SKL_GENL_NAME", "sklookup")):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.setsockopt(270, 11, 1)    # SOL_NETLINK, NETLINK_EXT_ACK
        self.sock.bind((0, 0))
        self.seq = 0
        self.family = family
        self.family_id = GENL_ID_CTRL
        reply = self.request(CTRL_CMD_GETFAMILY, string(CTRL_ATTR_FAMILY_NAME, family))
        self.family_id = struct.unpack("=H", reply[0][CTRL_ATTR_FAMILY_ID][:2])[0]
        self.groups = {}
        for grp in parse_attrs(reply[0].get(CTRL_ATTR_MCAST_GROUPS, b"")).values():
            grp = parse_attrs(grp)
            name = grp[CTRL_ATTR_MCAST_GRP_NAME].rstrip(b"\0").decode()
            self.groups[name] = struct.unpack("=I", grp[CTRL_ATTR_MCAST_GRP_ID][:4])[0]

    def policy(self, cmd):
        """What the kernel's policy dump says of the attributes of command cmd's requests:
        {attribute: {NL_POLICY_TYPE_ATTR_*: value}}, as `genl ctrl policy` prints it."""
        family_id, self.family_id = self.family_id, GENL_ID_CTRL
        try:
            replies = self.request(CTRL_CMD_GETPOLICY,
                                   string(CTRL_ATTR_FAMILY_NAME, self.family) +
                                   u32(CTRL_ATTR_OP, cmd), NLM_F_REQUEST | NLM_F_DUMP)
        finally:
            self.family_id = family_id
        policies, do = {}, None
        for reply in replies:
            if CTRL_ATTR_OP_POLICY in reply:
                op = parse_attrs(next(iter(parse_attrs(reply[CTRL_ATTR_OP_POLICY]).values())))
                do = struct.unpack("=I", op[CTRL_ATTR_POLICY_DO][:4])[0]
            for index, types in parse_attrs(reply.get(CTRL_ATTR_POLICY, b"")).items():
                for kind, props in parse_attrs(types).items():
                    policies.setdefault(index, {})[kind] = number_attrs(props)
        return policies.get(do, {})

    def join(self, group):
        """Receive the family's multicast group called group from now on."""
        self.sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, self.groups[group])

    def close(self):
        self.sock.close()

    def send(self, cmd, attrs=b"", flags=NLM_F_REQUEST | NLM_F_ACK, version=1):
        """Send one request; returns its sequence number."""
        self.seq += 1
        body = struct.pack("=BBH", cmd, version, 0) + attrs
        self.sock.send(struct.pack("=IHHII", 16 + len(body), self.family_id, flags,
                                   self.seq, 0) + body)
        return self.seq

    def request(self, cmd, attrs=b"", flags=NLM_F_REQUEST | NLM_F_ACK):
        """Send a request and collect its replies' attributes until the ack or dump end."""
        seq = self.send(cmd, attrs, flags)
        replies = []
        while True:
            for kind, mflags, mseq, msg in messages(self.sock.recv(1 << 16)):
                if mseq != seq:
                    continue
                if kind == NLMSG_DONE:
                    return replies
                if kind == NLMSG_ERROR:
                    err = struct.unpack_from("=i", msg)[0]
                    if err == 0:
                        return replies
                    refusal = NetlinkError(-err, error_text(mflags, msg))
                    refusal.tlvs = error_tlvs(mflags, msg)
                    raise refusal
                replies.append(parse_attrs(msg[4:]))


def messages(data):
    """The netlink messages in what one recv() returned, each (type, flags, sequence
    number, payload); a length that cannot be right ends them."""
    while len(data) >= 16:
        length, kind, mflags, mseq, _ = struct.unpack_from("=IHHII", data)
        if length < 16:
            return
        yield kind, mflags, mseq, data[16:length]
        data = data[(length + 3) & ~3:]


def number_attrs(data):
    """{type: number} of a run of attributes of 1, 2, 4 or 8 bytes, unsigned."""
    forms = {1: "=B", 2: "=H", 4: "=I", 8: "=Q"}
    return {kind: struct.unpack(forms[len(value)], value)[0]
            for kind, value in parse_attrs(data).items() if len(value) in forms}


def error_tlvs(mflags, msg):
    """The extack TLVs of an NLMSG_ERROR's payload msg, whose header had mflags: after
    the error code comes the request echoed (its header alone when NLM_F_CAPPED), then the
    TLVs when NLM_F_ACK_TLVS."""
    if not mflags & 0x200 or len(msg) < 20:
        return {}
    echoed = struct.unpack_from("=I", msg, 4)[0] if not mflags & 0x100 else 16
    return parse_attrs(msg[4 + echoed:])


def error_text(mflags, msg):
    """The extack message of an NLMSG_ERROR's payload msg, whose header had mflags."""
    text = error_tlvs(mflags, msg).get(NLMSGERR_ATTR_MSG, b"")
    return text.rstrip(b"\0").decode(errors="replace")


def rule_attrs(proto, dst, prefixlen, port, label):
    """The attributes of a steering rule to an IPv4 prefix and one port."""
    return (u8(C["SKL_A_RULE_PROTO"], proto) + u8(C["SKL_A_RULE_FAMILY"], socket.AF_INET)
            + attr(C["SKL_A_RULE_DST"], socket.inet_aton(dst))
            + u8(C["SKL_A_RULE_DST_PREFIXLEN"], prefixlen)
            + u16(C["SKL_A_RULE_PORT_MIN"], port) + u16(C["SKL_A_RULE_PORT_MAX"], port)
            + u8(C["SKL_A_RULE_ACTION"], C["SKL_ACTION_STEER"])
            + string(C["SKL_A_RULE_LABEL"], label))
