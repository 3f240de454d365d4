#!/usr/bin/env python3
"""Dissemination on real agents: N agents on loopback (serf 0.9.4, the native meshwork agent, or both alternating).
Measures when the LAST node knew of (1) a new member, (2) a user event (`serf event -coalesce=false`), (3) a kill -9
of a member, from each agent's log lines, timestamped as they arrive on its stdout (a reader thread per agent).

Lines counted (the earliest of them per node):
  new member   serf: "serf: EventMemberJoin: X"   meshwork: "memberlist: Member X joined" / "Received event: member-join: X"
  user event   both: "Received event: user-event: NAME"
  kill -9      serf: "serf: EventMemberFailed: X" meshwork: "memberlist: Member X is now Dead" / "member-failed: X"
These are logged before serf's event coalescing, so the figures compare with the serf-wire.md appendix (which was
measured the same way), unlike handler scripts, which serf runs only after its 1 s quiescent period.

Usage: dissemination.py [--sizes 16,64,128] [--modes meshwork,serf,mixed] [--rounds 3] [--json out.json]
Every agent started is killed on exit (normal, error, Ctrl-C or SIGTERM)."""
import argparse, atexit, json, os, re, signal, statistics, subprocess, sys, tempfile, threading, time
from common import Agent, publish_native

PATTERNS = {
    "join": [re.compile(r"EventMemberJoin: (\S+)"), re.compile(r"memberlist: Member (\S+) joined"), re.compile(r"Received event: member-join: (\S+)")],
    "user": [re.compile(r"Received event: user-event: (\S+)")],
    "failed": [re.compile(r"EventMemberFailed: (\S+)"), re.compile(r"memberlist: Member (\S+) is now Dead"), re.compile(r"Received event: member-failed: (\S+)")],
}

LIVE = []  # every agent started and not yet killed, for the exit handlers


def kill_all():
    while LIVE:
        a = LIVE.pop()
        try:
            a.kill(signal.SIGKILL)
        except Exception:
            pass


def _on_signal(signum, _frame):
    kill_all()
    sys.exit(128 + signum)


class Recorder:
    """First arrival time per (observer, kind, subject)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.first = {}
        self.joins = {}  # observer -> set of members it logged as joined

    def on_line(self, agent, ns, line):
        for kind, rxs in PATTERNS.items():
            for rx in rxs:
                m = rx.search(line)
                if m:
                    with self.lock:
                        self.first.setdefault((agent.name, kind, m.group(1)), ns)
                        if kind == "join":
                            self.joins.setdefault(agent.name, set()).add(m.group(1))
                    return

    def last(self, observers, kind, subject):
        with self.lock:
            times = [self.first.get((o, kind, subject)) for o in observers]
        return None if any(t is None for t in times) else max(times)

    def missing(self, observers, kind, subject):
        with self.lock:
            return [o for o in observers if (o, kind, subject) not in self.first]


def wait_until(cond, what, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.005)
    raise TimeoutError(what)


def kind_of(mode, i):
    return {"meshwork": "meshwork", "serf": "serf"}.get(mode) or ("serf" if i % 2 == 0 else "meshwork")


def one_round(mode, n, work, r):
    rec = Recorder()
    agents = []

    def start(i, join):
        kind = kind_of(mode, i)
        a = Agent(kind, f"{mode[:2]}{n}r{r}-{kind[0]}{i}", join=join, workdir=work, on_line=rec.on_line)
        LIVE.append(a)
        agents.append(a)
        return a

    try:
        seed = start(0, None)
        seed.wait_ready()
        for i in range(1, n - 1):
            start(i, seed.address)
        for a in agents:
            a.wait_ready(timeout=120)
        names = [a.name for a in agents]
        # A settled cluster before measuring: every agent has logged every other one as joined.
        wait_until(lambda: all(len(rec.joins.get(a, set()) - {a}) >= n - 2 for a in names), f"{n - 1} agents did not settle", 300)
        time.sleep(1)  # let the join broadcasts drain, so they do not share packets with what is measured

        t0 = time.time_ns()
        newcomer = start(n - 1, agents[1].address)
        join_ms = (wait_until(lambda: rec.last(names, "join", newcomer.name), f"join not seen by {rec.missing(names, 'join', newcomer.name)}", 120) - t0) / 1e6
        names.append(newcomer.name)
        time.sleep(1)

        t0 = time.time_ns()
        subprocess.run(["serf", "event", f"-rpc-addr=127.0.0.1:{agents[0].rpc}", "-coalesce=false", f"ev{r}", "x"], check=True, capture_output=True)
        event_ms = (wait_until(lambda: rec.last(names, "user", f"ev{r}"), f"event not seen by {rec.missing(names, 'user', f'ev{r}')}", 120) - t0) / 1e6

        victim = agents[-2]
        rest = [x for x in names if x != victim.name]
        t0 = time.time_ns()
        victim.kill(signal.SIGKILL)
        failed_ms = (wait_until(lambda: rec.last(rest, "failed", victim.name), f"failure not seen by {rec.missing(rest, 'failed', victim.name)}", 180) - t0) / 1e6
        return join_ms, event_ms, failed_ms, victim.kind
    finally:
        for a in agents:
            a.kill(signal.SIGKILL)
            if a in LIVE:
                LIVE.remove(a)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="16,64,128")
    ap.add_argument("--modes", default="meshwork,serf,mixed")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    atexit.register(kill_all)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    publish_native()
    work = tempfile.mkdtemp(prefix="mw-dissem-")
    rows = []
    print(f"work directory (agent logs): {work}", file=sys.stderr)
    for n in (int(x) for x in args.sizes.split(",")):
        for mode in args.modes.split(","):
            load_before = os.getloadavg()[0]
            runs = []
            for r in range(args.rounds):
                try:
                    res = one_round(mode, n, work, r)
                    runs.append(res)
                    print(f"N={n} {mode} round {r}: join {res[0]:.0f} ms, event {res[1]:.0f} ms, kill -9 ({res[3]}) {res[2]:.0f} ms, load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
                except (TimeoutError, RuntimeError, subprocess.CalledProcessError) as e:
                    print(f"N={n} {mode} round {r}: FAILED {e}", file=sys.stderr, flush=True)
            load_after = os.getloadavg()[0]
            row = {"n": n, "mode": mode, "rounds": len(runs), "load": [round(load_before, 1), round(load_after, 1)]}
            if runs:
                row.update(join_ms=statistics.median(x[0] for x in runs), event_ms=statistics.median(x[1] for x in runs),
                           failed_ms=statistics.median(x[2] for x in runs))
            rows.append(row)
    print("| N | cluster | new member seen by all | user event at all | kill -9 known as failed by all | rounds | load avg (1 min) before/after |")
    print("|---:|---|---:|---:|---:|---:|---|")
    label = {"meshwork": "meshwork only", "serf": "serf 0.9.4 only", "mixed": "mixed (half each)"}
    for row in rows:
        if row["rounds"] == 0:
            print(f"| {row['n']} | {label[row['mode']]} | – | – | – | 0 | {row['load'][0]} / {row['load'][1]} |")
            continue
        print(f"| {row['n']} | {label[row['mode']]} | {row['join_ms'] / 1000:.2f} s | {row['event_ms'] / 1000:.2f} s | {row['failed_ms'] / 1000:.1f} s | {row['rounds']} | {row['load'][0]} / {row['load'][1]} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
