#!/usr/bin/env python3
"""A tiny authoritative DNS server for the governed-DNS cases (issue 11): dns_cases.py points
glibc's resolver at it, inside the private network and mount namespaces of netns.py.

Serves UDP and TCP (RFC 1035 4.2.2: a 2-byte length before each message) on one loopback
address and port, and answers from a fixed table of documentation names and addresses:

  api.example.test      A 203.0.113.10, AAAA 2001:db8::10
  rotate.example.test   A 203.0.113.21, .22, .23 in turn: one address per answer, the next
                        one on every A query (a name whose address changes between lookups)
  www.example.test      CNAME edge.cdn.example.test
  edge.cdn.example.test A 203.0.113.30
  other.example.test    A 203.0.113.40
  anything else         NXDOMAIN (a known name without the asked type: NOERROR, no answer)

An answer echoes the query's id and question (with the client's letter case), sets QR, AA and
RA and copies RD. Bytes that are not a query (too short, a response, not exactly one
question, a question that runs past the end) get no answer; a TCP connection that sends such
bytes is closed. Every message is logged (--log) as one line of key=value pairs.

Bounded: it exits after --lifetime seconds, when its parent process goes away, or on
SIGTERM/SIGINT. It never sends anything except answers to the address a query came from.

Usage: dns_server.py [--addr 127.0.0.1] [--port 53] [--ready-file PATH] [--log PATH]
                     [--lifetime SECONDS]
When both sockets listen it prints `dns_server listening addr=A port=P pid=N` and then
writes the same line to --ready-file (atomically: written under another name, renamed).

The module also holds the client side the cases use to check the server itself:
build_query(), parse_message(), query().
"""

import argparse
import ipaddress
import os
import selectors
import signal
import socket
import struct
import sys
import time

TYPE_A, TYPE_CNAME, TYPE_AAAA = 1, 5, 28
CLASS_IN = 1
RCODE_OK, RCODE_FORMERR, RCODE_NXDOMAIN, RCODE_NOTIMP, RCODE_REFUSED = 0, 1, 3, 4, 5
TYPE_NAMES = {TYPE_A: "A", TYPE_CNAME: "CNAME", TYPE_AAAA: "AAAA"}
TTL = 5

# name -> {type: [values]}; values of A/AAAA are address texts, of CNAME a name
TABLE = {
    "api.example.test": {TYPE_A: ["203.0.113.10"], TYPE_AAAA: ["2001:db8::10"]},
    "rotate.example.test": {TYPE_A: ["203.0.113.21", "203.0.113.22", "203.0.113.23"]},
    "www.example.test": {TYPE_CNAME: ["edge.cdn.example.test"]},
    "edge.cdn.example.test": {TYPE_A: ["203.0.113.30"]},
    "other.example.test": {TYPE_A: ["203.0.113.40"]},
}
ROTATING = {"rotate.example.test"}  # one value per answer, the next one each time

IDLE_TCP = 10.0  # seconds a TCP client may stay silent
MAX_TCP_CLIENTS = 32


class NotAQuery(Exception):
    pass


# --- wire format -------------------------------------------------------------------------

def encode_name(name):
    out = bytearray()
    for label in name.rstrip(".").split("."):
        raw = label.encode("ascii")
        if not raw or len(raw) > 63:
            raise ValueError(f"bad label in {name!r}")
        out += bytes([len(raw)]) + raw
    out += b"\0"
    if len(out) > 255:
        raise ValueError(f"name too long: {name!r}")
    return bytes(out)


def read_name(msg, at):
    """(name, offset after it) of the name at msg[at:], following compression pointers."""
    labels = []
    end = None
    jumps = 0
    while True:
        if at >= len(msg):
            raise NotAQuery("name runs past the end")
        n = msg[at]
        if n & 0xC0 == 0xC0:
            if at + 1 >= len(msg):
                raise NotAQuery("pointer runs past the end")
            if end is None:
                end = at + 2
            jumps += 1
            if jumps > 32:
                raise NotAQuery("pointer loop")
            at = ((n & 0x3F) << 8) | msg[at + 1]
            continue
        if n & 0xC0:
            raise NotAQuery("bad label type")
        if n == 0:
            at += 1
            break
        if at + 1 + n > len(msg):
            raise NotAQuery("label runs past the end")
        labels.append(msg[at + 1:at + 1 + n].decode("ascii", errors="replace"))
        at += 1 + n
    return ".".join(labels), (end if end is not None else at)


def build_query(name, qtype=TYPE_A, qid=0x1234, rd=True):
    header = struct.pack("!HHHHHH", qid, 0x0100 if rd else 0, 1, 0, 0, 0)
    return header + encode_name(name) + struct.pack("!HH", qtype, CLASS_IN)


def parse_message(msg):
    """A dict of a DNS message: id, flags, rcode, qr, question (name, type, class) or None,
    answers [(name, type, value)] with A/AAAA as address texts and CNAME as a name."""
    if len(msg) < 12:
        raise NotAQuery(f"{len(msg)} bytes, shorter than a header")
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    at = 12
    question = None
    for i in range(qd):
        name, at = read_name(msg, at)
        if at + 4 > len(msg):
            raise NotAQuery("question runs past the end")
        qt, qc = struct.unpack("!HH", msg[at:at + 4])
        at += 4
        if i == 0:
            question = (name, qt, qc)
    answers = []
    for _ in range(an):
        name, at = read_name(msg, at)
        if at + 10 > len(msg):
            raise NotAQuery("record runs past the end")
        rt, rc, _ttl, rdlen = struct.unpack("!HHIH", msg[at:at + 10])
        at += 10
        if at + rdlen > len(msg):
            raise NotAQuery("rdata runs past the end")
        rdata = msg[at:at + rdlen]
        if rt == TYPE_A and rdlen == 4:
            value = socket.inet_ntop(socket.AF_INET, rdata)
        elif rt == TYPE_AAAA and rdlen == 16:
            value = socket.inet_ntop(socket.AF_INET6, rdata)
        elif rt == TYPE_CNAME:
            value, _ = read_name(msg, at)
        else:
            value = rdata.hex()
        answers.append((name, rt, value))
        at += rdlen
    return {"id": qid, "flags": flags, "qr": bool(flags & 0x8000), "opcode": (flags >> 11) & 0xF,
            "rcode": flags & 0xF, "qdcount": qd, "ancount": an, "question": question,
            "answers": answers}


def _question(msg):
    """(name, type, class, offset after the question) of a query, or NotAQuery."""
    if len(msg) < 12:
        raise NotAQuery(f"{len(msg)} bytes, shorter than a header")
    _qid, flags, qd, an, _ns, _ar = struct.unpack("!HHHHHH", msg[:12])
    if flags & 0x8000:
        raise NotAQuery("a response, not a query")
    if qd != 1 or an != 0:
        raise NotAQuery(f"qdcount {qd} ancount {an}")
    name, at = read_name(msg, 12)
    if at + 4 > len(msg):
        raise NotAQuery("question runs past the end")
    qt, qc = struct.unpack("!HH", msg[at:at + 4])
    return name, qt, qc, at + 4


class Zone:
    def __init__(self):
        self.turn = {}  # rotating name -> how many answers it gave

    def answer(self, msg):
        """(response bytes, log dict) for a query; NotAQuery when msg is none."""
        name, qt, qc, qend = _question(msg)
        qid, flags = struct.unpack("!HH", msg[:4])
        opcode = (flags >> 11) & 0xF
        rd = flags & 0x0100
        records = []  # (owner offset or name, type, rdata bytes)
        if opcode != 0:
            rcode = RCODE_NOTIMP
        elif qc != CLASS_IN:
            rcode = RCODE_REFUSED
        else:
            rcode = RCODE_OK
            current = name.lower()
            owner = 12  # the question's name, as a compression pointer
            for _ in range(8):  # CNAME chain bound
                entry = TABLE.get(current)
                if entry is None:
                    rcode = RCODE_NXDOMAIN
                    break
                if TYPE_CNAME in entry and qt != TYPE_CNAME:
                    target = entry[TYPE_CNAME][0]
                    records.append((owner, TYPE_CNAME, encode_name(target)))
                    current, owner = target, target
                    continue
                values = entry.get(qt, [])
                if values and current in ROTATING:
                    n = self.turn.get(current, 0)
                    self.turn[current] = n + 1
                    values = [values[n % len(values)]]
                for v in values:
                    if qt == TYPE_A:
                        rdata = socket.inet_pton(socket.AF_INET, v)
                    elif qt == TYPE_AAAA:
                        rdata = socket.inet_pton(socket.AF_INET6, v)
                    else:
                        rdata = encode_name(v)
                    records.append((owner, qt, rdata))
                break
        rflags = 0x8000 | (opcode << 11) | 0x0400 | rd | 0x0080 | rcode
        out = bytearray(struct.pack("!HHHHHH", qid, rflags, 1, len(records), 0, 0))
        out += msg[12:qend]  # the question as asked (letter case included)
        for owner, rt, rdata in records:
            out += struct.pack("!H", 0xC000 | owner) if isinstance(owner, int) else encode_name(owner)
            out += struct.pack("!HHIH", rt, CLASS_IN, TTL, len(rdata)) + rdata
        log = {"name": name, "type": TYPE_NAMES.get(qt, str(qt)), "id": qid, "rcode": rcode,
               "answers": ",".join(_show(rt, rd) for _, rt, rd in records) or "-"}
        return bytes(out), log


def _show(rt, rdata):
    if rt == TYPE_A:
        return socket.inet_ntop(socket.AF_INET, rdata)
    if rt == TYPE_AAAA:
        return socket.inet_ntop(socket.AF_INET6, rdata)
    return "CNAME:" + read_name(rdata, 0)[0]


# --- client ------------------------------------------------------------------------------

def query(addr, port, name, qtype=TYPE_A, proto="udp", timeout=2.0, qid=0x4242):
    """Sends one query and returns parse_message() of the answer (socket.timeout when none)."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    q = build_query(name, qtype, qid)
    if proto == "udp":
        with socket.socket(fam, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.sendto(q, (addr, port))
            return parse_message(s.recv(65535))
    with socket.create_connection((addr, port), timeout=timeout) as s:
        s.sendall(struct.pack("!H", len(q)) + q)
        data = b""
        while len(data) < 2 or len(data) < 2 + struct.unpack("!H", data[:2])[0]:
            chunk = s.recv(65535)
            if not chunk:
                raise NotAQuery("TCP connection closed before the whole answer")
            data += chunk
        return parse_message(data[2:2 + struct.unpack("!H", data[:2])[0]])


# --- server ------------------------------------------------------------------------------

class Server:
    def __init__(self, addr, port, log_path):
        fam = socket.AF_INET6 if ipaddress.ip_address(addr).version == 6 else socket.AF_INET
        self.zone = Zone()
        self.log_file = open(log_path, "a", buffering=1) if log_path else None
        self.udp = socket.socket(fam, socket.SOCK_DGRAM)
        self.udp.bind((addr, port))
        port = self.udp.getsockname()[1]
        self.tcp = socket.socket(fam, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((addr, port))
        self.tcp.listen(16)
        self.addr, self.port = addr, port
        self.sel = selectors.DefaultSelector()
        for s in (self.udp, self.tcp):
            s.setblocking(False)
        self.sel.register(self.udp, selectors.EVENT_READ, "udp")
        self.sel.register(self.tcp, selectors.EVENT_READ, "accept")
        self.clients = {}  # socket -> [buffer, last activity]

    def log(self, **kv):
        if self.log_file:
            self.log_file.write(" ".join(f"{k}={v}" for k, v in kv.items()) + "\n")

    def on_udp(self):
        try:
            msg, peer = self.udp.recvfrom(65535)
        except (BlockingIOError, InterruptedError):
            return
        try:
            resp, info = self.zone.answer(msg)
        except NotAQuery as e:
            self.log(event="junk", proto="udp", len=len(msg), why=str(e).replace(" ", "_"))
            return
        self.log(event="query", proto="udp", **info)
        try:
            self.udp.sendto(resp, peer)
        except OSError:
            pass

    def on_accept(self):
        try:
            conn, _ = self.tcp.accept()
        except (BlockingIOError, InterruptedError):
            return
        if len(self.clients) >= MAX_TCP_CLIENTS:
            conn.close()
            return
        conn.setblocking(False)
        self.clients[conn] = [b"", time.monotonic()]
        self.sel.register(conn, selectors.EVENT_READ, "tcp")

    def drop(self, conn):
        self.sel.unregister(conn)
        del self.clients[conn]
        conn.close()

    def on_tcp(self, conn):
        try:
            data = conn.recv(65537)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.drop(conn)
            return
        if not data:
            self.drop(conn)
            return
        state = self.clients[conn]
        state[0] += data
        state[1] = time.monotonic()
        buf = state[0]
        while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
            n = struct.unpack("!H", buf[:2])[0]
            msg, buf = buf[2:2 + n], buf[2 + n:]
            try:
                resp, info = self.zone.answer(msg)
            except NotAQuery as e:
                self.log(event="junk", proto="tcp", len=len(msg), why=str(e).replace(" ", "_"))
                self.drop(conn)
                return
            self.log(event="query", proto="tcp", **info)
            try:
                conn.setblocking(True)
                conn.settimeout(2.0)
                conn.sendall(struct.pack("!H", len(resp)) + resp)
                conn.setblocking(False)
            except OSError:
                self.drop(conn)
                return
        state[0] = buf

    def serve(self, lifetime):
        parent = os.getppid()
        deadline = time.monotonic() + lifetime
        while time.monotonic() < deadline and os.getppid() == parent:
            for key, _ in self.sel.select(timeout=0.2):
                if key.data == "udp":
                    self.on_udp()
                elif key.data == "accept":
                    self.on_accept()
                elif key.fileobj in self.clients:
                    self.on_tcp(key.fileobj)
            now = time.monotonic()
            for conn in [c for c, st in self.clients.items() if now - st[1] > IDLE_TCP]:
                self.drop(conn)


def main(argv):
    ap = argparse.ArgumentParser(description="test DNS server for dns_cases.py (documentation names only)")
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--ready-file")
    ap.add_argument("--log")
    ap.add_argument("--lifetime", type=float, default=300.0)
    args = ap.parse_args(argv)
    if not ipaddress.ip_address(args.addr).is_loopback:
        print(f"dns_server: refusing to serve on {args.addr}: only loopback addresses", file=sys.stderr)
        return 64
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server = Server(args.addr, args.port, args.log)
    except OSError as e:
        print(f"dns_server: cannot listen on {args.addr} port {args.port}: {e}", file=sys.stderr)
        return 1
    line = f"dns_server listening addr={server.addr} port={server.port} pid={os.getpid()}"
    print(line, flush=True)
    if args.ready_file:
        tmp = args.ready_file + ".partial"
        with open(tmp, "w") as f:
            f.write(line + "\n")
        os.rename(tmp, args.ready_file)
    try:
        server.serve(args.lifetime)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
