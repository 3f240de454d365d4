#!/usr/bin/env python3
"""Dissemination on real agents: N agents on loopback (half serf 0.9.4, half the native meshwork agent), each with an
event handler that logs when it saw what. Measures when the LAST node saw (1) a new member join, (2) a user event,
(3) a kill -9 of a member. Usage: dissemination.py [N] [rounds]"""
import os, signal, statistics, subprocess, sys, tempfile, time
from common import Agent, publish_native

HANDLER = """#!/bin/sh
# One line per member: serf coalesces member events, so one invocation may carry several members.
while read first rest; do echo "$(date +%s%N) $SERF_EVENT ${SERF_USER_EVENT:-$first}" >> "$1"; done
"""


def seen(logs, event, subject):
    """Per node: the first time it logged `event` for `subject` (ns), or None."""
    out = {}
    for name, path in logs.items():
        out[name] = None
        if os.path.exists(path):
            for line in open(path):
                ts, ev, who = (line.split() + ["", "", ""])[:3]
                if ev == event and who == subject:
                    out[name] = int(ts)
                    break
    return out


def wait_all(logs, event, subject, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = seen(logs, event, subject)
        if all(v is not None for v in s.values()):
            return max(s.values())
        time.sleep(0.01)
    raise TimeoutError(f"not every node saw {event} {subject}: {seen(logs, event, subject)}")


def one_round(n, work, r):
    script = os.path.join(work, "rec.sh")
    open(script, "w").write(HANDLER)
    os.chmod(script, 0o755)
    agents, logs = [], {}

    def start(i, join):
        kind = "serf" if i % 2 == 0 else "meshwork"
        name = f"r{r}-{kind}-{i}"
        log = os.path.join(work, name + ".events")
        a = Agent(kind, name, join=join, handler=f"member-join,member-failed,user=sh {script} {log}", workdir=work)
        a.wait_ready()
        agents.append(a)
        logs[name] = log
        return a

    try:
        seed = start(0, None)
        for i in range(1, n - 1):
            start(i, seed.address)
        for a in agents:  # a settled cluster before measuring
            while sum(1 for s in a.members().values() if s == "alive") < n - 1:
                time.sleep(0.05)
        t0 = time.time_ns()
        newcomer = start(n - 1, agents[1].address)
        join_ms = (wait_all({k: v for k, v in logs.items() if k != newcomer.name}, "member-join", newcomer.name) - t0) / 1e6

        t0 = time.time_ns()
        subprocess.run(["serf", "event", f"-rpc-addr=127.0.0.1:{agents[0].rpc}", f"ev{r}", "x"], check=True, capture_output=True)
        event_ms = (wait_all(logs, "user", f"ev{r}") - t0) / 1e6

        victim = agents[-2]
        t0 = time.time_ns()
        victim.kill(signal.SIGKILL)
        rest = {k: v for k, v in logs.items() if k != victim.name}
        failed_ms = (wait_all(rest, "member-failed", victim.name) - t0) / 1e6
        return join_ms, event_ms, failed_ms
    finally:
        for a in agents:
            a.kill(signal.SIGTERM)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    publish_native()
    work = tempfile.mkdtemp(prefix="mw-dissem-")
    results = [one_round(n, work, r) for r in range(rounds)]
    print(f"N={n} agents ({(n + 1) // 2} serf 0.9.4, {n // 2} native meshwork), LAN profile, median of {rounds} rounds:")
    print("| what | last node saw it after (ms) |")
    print("|---|---:|")
    for label, i in (("new member (member-join handler)", 0), ("user event (user handler)", 1), ("kill -9 of a member (member-failed handler)", 2)):
        print(f"| {label} | {statistics.median(x[i] for x in results):.0f} |")


if __name__ == "__main__":
    main()
