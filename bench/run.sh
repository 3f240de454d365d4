#!/usr/bin/env bash
# Builds the benchmark servers and load generator in Release, then runs Meshwork and gRPC-dotnet side by side.
# Extra arguments go to the load generator, e.g. bench/run.sh --duration 5 --concurrency 64 --connections 1
set -euo pipefail
cd "$(dirname "$0")/.."
for p in Meshwork.Bench.Server Meshwork.Bench.GrpcServer Meshwork.Bench; do
  dotnet build "bench/$p/$p.csproj" -c Release -v q -nologo >/dev/null
done
exec dotnet bench/Meshwork.Bench/bin/Release/net10.0/Meshwork.Bench.dll --json bench/results.json "$@"
