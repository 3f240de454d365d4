# Sourced by bench/profile.sh and bench/syscalls.sh: start_cell DURATION [load-generator options...] starts the load
# generator on one cell ($system, $concurrency, $connections) in the background, its output in $log, and waits until
# its server process runs. Sets $loadgen and $server (the server is the load generator's child process).
start_cell() {
  local duration=$1
  shift
  log=$(mktemp)
  dotnet bench/Meshwork.Bench/bin/Release/net10.0/Meshwork.Bench.dll --only "$system" --concurrency "$concurrency" \
    --connections "$connections" --rounds 1 --warmup 1 --duration "$duration" "$@" >"$log" 2>&1 &
  loadgen=$!
  server=
  for _ in $(seq 1 120); do
    server=$(pgrep -P "$loadgen" | head -1 || true)
    [[ -n "$server" ]] && break
    sleep 0.25
  done
}
