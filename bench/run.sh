#!/usr/bin/env bash
# The one benchmark command: builds the three echo servers (bare multiplexed echo, Meshwork, gRPC-dotnet) and the load
# generator in Release, then runs the matrix (concurrency 1,16,64,256 × connections 1,4) with the three systems side
# by side per cell, printing req/s, p50/p99/p99.9, client and server bytes per call and each system's share of the bare
# echo. Writes bench/results.json. Extra arguments go to the load generator:
#   bench/run.sh --quick                                  # smoke run, ~1 minute with the build
#   bench/run.sh --duration 5 --warmup 2                  # the full run quoted in BENCHMARKS.md
#   bench/run.sh --concurrency 64 --connections 1 --only bare,meshwork
#   bench/run.sh --tuned                                  # every process (client and all servers) with the runtime
#       tuning of docs/rpc.md "Tuning the runtime": no idle spinning of thread-pool workers
#       (DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0) and socket continuations on the epoll thread
#       (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1). Applies to all systems alike; the run's header says which.
#   bench/run.sh --no-gc-adaptation                       # every process without the server collector's dynamic
#       adaptation (DOTNET_GCDynamicAdaptationMode=0, see docs/rpc.md "Tuning the runtime"): the servers' collectors
#       then keep a larger generation 0 and collect less often. Applies to all systems alike; the header says so.
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
for a in "$@"; do
  if [[ "$a" == --tuned ]]; then
    export DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1
  elif [[ "$a" == --no-gc-adaptation ]]; then
    export DOTNET_GCDynamicAdaptationMode=0
  else
    args+=("$a")
  fi
done
set -- "${args[@]+"${args[@]}"}"
for p in Meshwork.Bench.BareServer Meshwork.Bench.Server Meshwork.Bench.GrpcServer Meshwork.Bench; do
  dotnet build "bench/$p/$p.csproj" -c Release -v q -nologo >/dev/null
done
exec dotnet bench/Meshwork.Bench/bin/Release/net10.0/Meshwork.Bench.dll --json bench/results.json "$@"
