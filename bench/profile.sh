#!/usr/bin/env bash
# CPU profile of one benchmark cell: runs the load generator on one system (meshwork by default) and samples every
# process on the machine with `perf record` (software cpu-clock, no hardware counters needed) while it measures, then
# prints the top frames of the load generator (client) and of the server process separately.
# JIT-compiled frames are named through the runtime's perf maps (/tmp/perf-PID.map): the script sets
# DOTNET_PerfMapEnabled=1 and DOTNET_EnableWriteXorExecute=0 for the processes it starts.
#   bench/profile.sh                         # meshwork, 64 callers, one connection, 4 s of samples
#   bench/profile.sh --concurrency 1 --seconds 3 --top 30
#   bench/profile.sh --system bare           # any system of run.sh's --only list
#   bench/profile.sh --stages                # call-graph sampling: each stage's inclusive share of its process's
#                                            # samples (read loop, drainer, handler, reply, send, idle spinning...)
# Needs perf (Debian linux-perf) and the permission to sample other processes (root, or perf_event_paranoid <= 0).
# Extra load-generator options after `--`. Builds nothing: run bench/run.sh --quick (or a dotnet build) first.
set -euo pipefail
cd "$(dirname "$0")/.."
system=meshwork concurrency=64 connections=1 seconds=4 top=25 out=${TMPDIR:-/tmp}/meshwork-bench.perf stages=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --system) system=$2; shift 2;;
    --concurrency) concurrency=$2; shift 2;;
    --connections) connections=$2; shift 2;;
    --seconds) seconds=$2; shift 2;;
    --top) top=$2; shift 2;;
    --out) out=$2; shift 2;;
    --stages) stages=1; shift;;
    --) shift; break;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
source bench/start-cell.sh
# The measured window is longer than the sampling window so that the samples fall inside it, after warm-up.
start_cell "$((seconds + 3))" "$@"
# Sampling starts once the server runs and the warm-up is over.
sleep 2
if [[ $stages == 1 ]]; then
  # Frame-pointer call graphs (the JIT keeps frame pointers), at a lower rate to keep the unwinding cheap.
  perf record -a -g -e cpu-clock -F 999 -o "$out" -- sleep "$seconds" >/dev/null 2>&1
else
  perf record -a -e cpu-clock -F 1999 -o "$out" -- sleep "$seconds" >/dev/null 2>&1
fi
wait "$loadgen" || true
cat "$log"
rm -f "$log"
if [[ $stages == 1 ]]; then
  for who in "client:$loadgen" "server:$server"; do
    name=${who%%:*} pid=${who#*:}
    [[ -n "$pid" ]] || continue
    echo
    echo "== $name (pid $pid): inclusive share of the process's samples per stage (a stage's share includes what it calls)"
    perf report -i "$out" --pid "$pid" --children --percentage relative --sort sym --stdio -g none 2>/dev/null |
      python3 "$(dirname "$0")/profile-stages.py"
  done
  exit 0
fi
for who in "client:$loadgen" "server:$server"; do
  name=${who%%:*} pid=${who#*:}
  [[ -n "$pid" ]] || continue
  echo
  echo "== $name (pid $pid): top $top frames, share of the process's samples"
  # Shortened: JIT frames lose their signature and tier, so each line is "share  dso  Type::Method".
  perf report -i "$out" --pid "$pid" --percentage relative --sort dso,sym --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' |
    sed -E 's/\[JIT\] tid [0-9]+ +/[JIT] /; s/\[(Optimized|OptimizedTier1|Tier0|Tier1|QuickJitted|PreJIT)[^]]*\]$//; s/\(.*\)$//; s/^(.{0,60}\[\.\] )(instance )?([^ ]+ )*(\[[^]]+\] )?/\1/' |
    head -n "$top" || true # head closes the pipe early
done
