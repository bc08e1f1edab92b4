#!/usr/bin/env python3
"""Examples stay examples (issue 13): the README, the example policies, the threat model, the
man page, the schemas and action.yml name hosts under example.com (or .test, .invalid,
.example, .localhost) and addresses from the documentation ranges or loopback, never a real
service's host or address, so that nobody pastes an example that talks to a real machine.

    example_hosts_test.py SOURCE_ROOT    check the files
    example_hosts_test.py --self-test    show that a real host and a real address are caught
"""

import ipaddress
import os
import re
import sys
import tempfile

FILES = ["README.md", "action.yml", "policy", "src/cli/doc", "evidence-schema"]
SUFFIXES = (".md", ".yml", ".yaml", ".json", ".scd", ".py", ".bash", "")

# Names under these are reserved for examples and tests (RFC 2606, RFC 6761).
ALLOWED_SUFFIXES = ("example.com", "example.net", "example.org", ".test", ".invalid", ".example", ".localhost")
# Identifiers that look like host names but name a specification, not a machine to talk to.
ALLOWED_NAMES = {"json-schema.org"}
# Top-level domains of real hosts (the common generic ones and country codes). A dotted word
# whose last label is not one of these is a file name or a key (report.json, allow.inbound).
TLDS = set("""com net org io dev app ai co cloud info biz gov edu mil int xyz site online tech run page
sh me tv cc ly gg to is us uk de fr nl eu jp cn ru br in au ca ch se no fi dk pl it es be at cz
ie nz za kr tw hk sg internal local lan corp home""".split())

HOST = re.compile(r"(?<![\w@/.-])((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+([a-z]{2,}))(?![\w-])", re.I)
URL = re.compile(r"[a-z][a-z0-9+.-]*://(?:[^@/\s]*@)?([a-z0-9.-]+)", re.I)
IPV4 = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?:/\d{1,2})?(?![\w.])")
IPV6 = re.compile(r"(?<![\w:])((?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{0,4}|(?:[0-9a-f]{1,4}:)+:(?:[0-9a-f]{1,4}:?)*)"
                  r"(?:/\d{1,3})?(?![\w:])", re.I)

DOC_NETS = [ipaddress.ip_network(n) for n in (
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",  # RFC 5737
    "2001:db8::/32",                                       # RFC 3849
    "127.0.0.0/8", "::1/128", "0.0.0.0/32", "::/128",      # loopback, any
)]


def allowed_host(name):
    name = name.lower().rstrip(".")
    return name in ALLOWED_NAMES or any(name == s.lstrip(".") or name.endswith("." + s.lstrip(".")) or
                                        (s.startswith(".") and name.endswith(s)) for s in ALLOWED_SUFFIXES)


def allowed_address(text):
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return True  # not an address (a version number, a time of day, a C++ scope)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return any(addr in n for n in DOC_NETS if n.version == addr.version)


def scan_text(path, text):
    problems = []
    for lineno, line in enumerate(text.splitlines(), 1):
        hosts = [(m.group(1), m.group(2)) for m in HOST.finditer(line)]
        hosts += [(m.group(1), m.group(1).rsplit(".", 1)[-1]) for m in URL.finditer(line) if "." in m.group(1)]
        for host, tld in hosts:
            if tld.lower() in TLDS and not allowed_host(host):
                problems.append(f"{path}:{lineno}: host {host!r} is not under example.com, .test or "
                                f".invalid (use e.g. registry.example.com)")
        for m in list(IPV4.finditer(line)) + list(IPV6.finditer(line)):
            if not allowed_address(m.group(1)):
                problems.append(f"{path}:{lineno}: address {m.group(1)!r} is not a documentation or loopback "
                                f"address (use 203.0.113.0/24, 198.51.100.0/24, 192.0.2.0/24 or 2001:db8::/32)")
    return problems


def files_under(root):
    for entry in FILES:
        path = os.path.join(root, entry)
        if os.path.isfile(path):
            yield path
        elif os.path.isdir(path):
            for folder, _, names in os.walk(path):
                for name in sorted(names):
                    if os.path.splitext(name)[1] in SUFFIXES:
                        yield os.path.join(folder, name)


def check(root):
    problems = []
    for path in files_under(root):
        with open(path, encoding="utf-8") as f:
            problems += scan_text(os.path.relpath(path, root), f.read())
    return problems


def self_test():
    clean = "Allow registry.example.com:443, *.example.test and 203.0.113.7, [2001:db8::1]:443, ::1.\n" \
            "See report.json and allow.inbound, version 0.1.0, at 12:30:01.5, on 127.0.0.1 and [::]:80.\n"
    dirty = "pull from registry.npmjs.org\nconnect to 8.8.8.8\nand 2606:4700::1111\n\"$id\": \"https://schemas.hermetic-gate.dev/x\"\n"
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "README.md"), "w") as f:
            f.write(clean)
        if check(tmp):
            print("self-test: clean text was reported:", check(tmp))
            return 1
        with open(os.path.join(tmp, "README.md"), "a") as f:
            f.write(dirty)
        problems = check(tmp)
        want = ["'registry.npmjs.org'", "'8.8.8.8'", "'2606:4700::1111'", "'schemas.hermetic-gate.dev'"]
        if len(problems) != 4 or not all(any(w in p for p in problems) for w in want):
            print("self-test: expected four problems naming", want, "got", problems)
            return 1
    print("self-test: ok")
    return 0


def main(argv):
    if argv == ["--self-test"]:
        return self_test()
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    problems = check(argv[0])
    for p in problems:
        print(p)
    print(f"{len(problems)} problem(s)" if problems else "examples name only example hosts and documentation addresses")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
