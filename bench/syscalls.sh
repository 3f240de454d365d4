#!/usr/bin/env bash
# Counts, per call, the system calls and context switches of the load generator (client) and of the server while one
# benchmark cell runs: socket writes and reads, futex waits and wakes, sched_yield (thread-pool workers spinning while
# they wait for work) and epoll waits. Uses perf's syscall tracepoints, which need no hardware counters.
#   bench/syscalls.sh                              # meshwork, 64 callers, one connection, 4 s counted
#   bench/syscalls.sh --system bare-async --concurrency 64
# Needs perf and the permission to trace other processes (root, or perf_event_paranoid <= 0). Builds nothing: run
# bench/run.sh --quick (or a dotnet build of the bench projects) first.
set -euo pipefail
cd "$(dirname "$0")/.."
system=meshwork concurrency=64 connections=1 seconds=4
while [[ $# -gt 0 ]]; do
  case "$1" in
    --system) system=$2; shift 2;;
    --concurrency) concurrency=$2; shift 2;;
    --connections) connections=$2; shift 2;;
    --seconds) seconds=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
counts=$(mktemp -d)
source bench/start-cell.sh
start_cell "$((seconds + 4))"
# Counting starts after the warm-up, inside the measured window.
sleep 3
events=syscalls:sys_enter_sendto,syscalls:sys_enter_recvfrom,syscalls:sys_enter_futex,syscalls:sys_enter_sched_yield,syscalls:sys_enter_epoll_wait,context-switches
perf stat -e "$events" -p "$loadgen" -o "$counts/client" -- sleep "$seconds" &
perf stat -e "$events" -p "$server" -o "$counts/server" -- sleep "$seconds"
wait
grep -A1 -E '^(bare|meshwork|grpc)' "$log" | head -2
rate=$(grep -E '^(bare|meshwork|grpc)' "$log" | head -1 | sed -E 's/.* ([0-9,]+) req\/s.*/\1/' | tr -d ,)
echo "per call at $rate req/s:"
for side in client server; do
  printf '  %-6s' "$side"
  grep -E 'syscalls|context' "$counts/$side" | awk -v r="$rate" -v s="$seconds" \
    '{gsub(",","",$1); n=$2; sub("syscalls:sys_enter_","",n); printf " %s %.3f", n, $1/s/r}'
  echo
done
rm -rf "$log" "$counts"
