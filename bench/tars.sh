#!/usr/bin/env bash
# TARS benchmarks (issue 13): Meshwork's Tars codec against @tars/stream on the same struct (encode and decode per
# second, bytes allocated per operation, and a check that both produce the same bytes), then a unary TARS call through
# Meshwork against the Meshwork native protocol (concurrency 1 and 32, one connection, loopback, one process), and the
# bytes a TARS call allocates on the client and on the server apart (server in a child process, 50,000 calls per cell).
#   bench/tars.sh                  # the run quoted in BENCHMARKS.md (2 s rounds, 5 rounds)
#   bench/tars.sh --seconds 0.5 --rounds 2    # smoke run
# Needs the Node packages of the interop tests: (cd tests/Meshwork.Tars.Tests/node && npm ci).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC'), source $(git rev-parse --short HEAD)"
dotnet build bench/Meshwork.Bench.Tars/Meshwork.Bench.Tars.csproj -c Release -v q -nologo >/dev/null
dll=bench/Meshwork.Bench.Tars/bin/Release/net10.0/Meshwork.Bench.Tars.dll
csharp=$(dotnet "$dll" codec "$@")
node=$(node --expose-gc --max-semi-space-size=128 bench/Meshwork.Bench.Tars/node/tars-codec-bench.js "$@")
echo "$csharp" | grep -v ' bytes '
echo "$node" | grep -v ' bytes '
if [ "$(echo "$csharp" | awk '/ bytes /{print $5}')" = "$(echo "$node" | awk '/ bytes /{print $5}')" ]; then
  echo "codec bytes: identical ($(echo "$csharp" | awk '/ bytes /{print $4}') bytes)"
else
  echo "codec bytes: DIFFER"; echo "$csharp" | grep ' bytes '; echo "$node" | grep ' bytes '
fi
dotnet "$dll" calls "$@"
dotnet "$dll" alloc --calls 50000
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
