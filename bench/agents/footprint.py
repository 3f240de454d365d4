#!/usr/bin/env python3
"""Start-up, join time and resident memory of the native meshwork agent next to serf 0.9.4 (5 rounds, medians).

Join time: from process start until the seed agent lists the new agent alive. RSS: after 3 s in a 2-node cluster."""
import statistics, tempfile, time
from common import Agent, publish_native


def round_trip(kind, work):
    seed = Agent("serf", f"seed-{kind}", workdir=work)
    seed.wait_ready()
    agent = Agent(kind, f"new-{kind}", join=seed.address, workdir=work)
    t0 = agent.started
    while seed.members().get(agent.name) != "alive":
        time.sleep(0.005)
    joined_ms = (time.monotonic() - t0) * 1000
    time.sleep(3)
    rss = agent.rss_kb()
    agent.kill(); seed.kill()
    return joined_ms, rss


def main():
    publish_native()
    work = tempfile.mkdtemp(prefix="mw-footprint-")
    rows = {}
    for kind in ("serf", "meshwork"):
        runs = [round_trip(kind, work) for _ in range(5)]
        rows[kind] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
    print("| agent | join seen by the seed (ms, median of 5) | resident memory (MB, median of 5) |")
    print("|---|---:|---:|")
    for kind, (ms, kb) in rows.items():
        print(f"| {kind} | {ms:.0f} | {kb / 1024:.1f} |")
    print(f"\nmeshwork / serf resident memory: {rows['meshwork'][1] / rows['serf'][1]:.2f}x")


if __name__ == "__main__":
    main()
