"""A stdlib-only DNS client for the scenarios (S1, S10, S14), for machines
without dig.

usage: python3 dnsq.py [--ttl] HOST:PORT NAME TYPE [VPC-ID]

Asks niwa's DNS server one question over UDP and prints one line per
answer record, "TYPE VALUE" ("TTL VALUE" with --ttl), or "NXDOMAIN" / "REFUSED" (a name in no zone
niwa serves) / "NOERROR" (no answer). With
a VPC id the query carries it as niwa documents for private hosted zones
(docs/route53.md): an EDNS0 OPT record with local option code 65001 whose
data is the VPC id in ASCII -- the view a resolver inside that VPC has.
Without one the query is plain, like dig's: niwa answers it with the host's
view (--dns-view; by default public zones and every private zone).
"""
import random
import socket
import struct
import sys

TYPES = {"A": 1, "CNAME": 5, "PTR": 12, "TXT": 16}
NAMES = {v: k for k, v in TYPES.items()}
VPC_OPTION = 65001


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def read_name(buf, i):
    """(name, index after the name at i), following compression pointers."""
    labels, end = [], None
    while True:
        n = buf[i]
        if n == 0:
            i += 1
            break
        if n & 0xC0 == 0xC0:
            if end is None:
                end = i + 2
            i = ((n & 0x3F) << 8) | buf[i + 1]
            continue
        labels.append(buf[i + 1:i + 1 + n].decode())
        i += n + 1
    return ".".join(labels) + ".", (end if end is not None else i)


def main():
    args = sys.argv[1:]
    show_ttl = args[:1] == ["--ttl"]
    if show_ttl:
        args = args[1:]
    addr, name, qtype = args[0], args[1], TYPES[args[2]]
    vpc = args[3] if len(args) > 3 else ""
    host, port = addr.rsplit(":", 1)
    qid = random.randint(0, 65535)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1 if vpc else 0)
    q += encode_name(name) + struct.pack(">HH", qtype, 1)
    if vpc:
        data = vpc.encode()
        opt = struct.pack(">HH", VPC_OPTION, len(data)) + data
        # OPT pseudo-record: root name, type 41, class = UDP payload size,
        # TTL = extended rcode/version/flags (all 0), then the options.
        q += b"\0" + struct.pack(">HHIH", 41, 4096, 0, len(opt)) + opt
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(q, (host, int(port)))
    r, _ = s.recvfrom(65535)
    rid, flags, qd, an, _, _ = struct.unpack(">HHHHHH", r[:12])
    if rid != qid:
        sys.exit("response id mismatch")
    rcode = flags & 0xF
    if rcode in (3, 5):
        print("NXDOMAIN" if rcode == 3 else "REFUSED")
        return
    if rcode:
        sys.exit("rcode %d" % rcode)
    i = 12
    for _ in range(qd):
        _, i = read_name(r, i)
        i += 4
    if an == 0:
        print("NOERROR")
    for _ in range(an):
        _, i = read_name(r, i)
        t, _, ttl, rdlen = struct.unpack(">HHIH", r[i:i + 10])
        i += 10
        if t == 1:
            value = socket.inet_ntoa(r[i:i + rdlen])
        elif t in (5, 12):
            value, _ = read_name(r, i)
        elif t == 16:
            value = r[i + 1:i + 1 + r[i]].decode()
        else:
            value = r[i:i + rdlen].hex()
        i += rdlen
        print(ttl if show_ttl else NAMES.get(t, str(t)), value)


if __name__ == "__main__":
    main()
