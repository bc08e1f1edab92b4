#!/usr/bin/env python3
"""Measurements of the /proc poller (issue #5), printed as tables:
1. catch rate: how short a TCP connection the poller still catches at the default 20 ms
   interval. holdnet makes TRIES loopback connections (really established), each held HOLD
   ms after a random pause (so the poll phase is random); the rate is the share of them the
   poller reported.
2. CPU: the poller's own user+system time per second of step, for trees of 1, 10 and 100
   sleeping processes, with and without a socket to watch in every process.
Runs in its own network namespace (tests/integration/netns.py). Environment: PP_DRIVER,
PP_HOLDNET; HG_PP_QUICK=1 for a short pass.
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("PP_NETNS_DIR") or os.path.join(HERE, "..", "integration"))
import netns  # noqa: E402

QUICK = os.environ.get("HG_PP_QUICK") == "1"


def driver(args, command):
    argv = [os.environ["PP_DRIVER"]] + args + ["--", os.environ["PP_HOLDNET"]] + [str(c) for c in command]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        sys.exit(f"driver failed: {' '.join(argv)}\n{proc.stdout}{proc.stderr}")
    return proc.stdout.splitlines()


def kv(line):
    return dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)


def catch_rate(interval, hold, tries, runs):
    caught = total = 0
    for _ in range(runs):
        lines = driver(["--interval", str(interval)], ["tries", tries, hold, 2 * interval, "127.0.0.1", 0])
        listen = [kv(l) for l in lines if l.startswith("holdnet ") and "op=listen" in l]
        port = listen[0]["local"]
        caught += sum(1 for l in lines if l.startswith("record ") and "call=connect" in l and f"addr={port}" in l)
        total += tries
    return caught, total


def cpu(procs, seconds, with_socket):
    scenario = ["spawn", procs, seconds * 1000]
    if with_socket:
        # every child holds a connect that stays SYN-SENT: the worst case, tables read every poll
        scenario = ["spawn-connect", procs, seconds * 1000, netns.V4, 443]
    res = [kv(l) for l in driver([], scenario) if l.startswith("result ")][0]
    cpu_ms = int(res["cpu_us"]) / 1000
    wall = int(res["wall_ms"])
    return cpu_ms, wall, int(res["polls"])


def main():
    netns.enter()
    tries = 20
    runs = 1 if QUICK else 3
    print(f"catch rate at the default interval (20 ms): {tries} loopback connections x {runs} run(s) per hold time")
    print(f"{'hold ms':>8} {'caught':>8} {'rate':>6}")
    for hold in (1, 5, 10, 15, 20, 30, 50, 100):
        c, t = catch_rate(20, hold, tries, runs)
        print(f"{hold:>8} {c:>4}/{t:<3} {100 * c / t:>5.0f}%")
    print()
    seconds = 2 if QUICK else 5
    print(f"poller CPU per second of step at 20 ms ({seconds} s steps)")
    print(f"{'processes':>9} {'sockets':>8} {'cpu ms':>8} {'wall ms':>8} {'polls':>6} {'cpu %':>6} {'per poll us':>11}")
    for procs in (1, 10, 100):
        for with_socket in (False, True):
            cpu_ms, wall, polls = cpu(procs, seconds, with_socket)
            print(f"{procs:>9} {'yes' if with_socket else 'no':>8} {cpu_ms:>8.1f} {wall:>8} {polls:>6} "
                  f"{100 * cpu_ms / wall:>5.2f}% {1000 * cpu_ms / max(polls, 1):>11.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
