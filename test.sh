#!/usr/bin/env bash
# Runs the whole Meshwork test suite. Installs what the tests talk to (serf, etcd) and build tools (clang, zlib) when missing.
# The last line printed is "N passed, N failed" summed over every test project; exit status is non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 TESTINGPLATFORM_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DEBIAN_FRONTEND=noninteractive

need_apt=()
command -v serf >/dev/null 2>&1 || need_apt+=(serf)
command -v etcd >/dev/null 2>&1 || need_apt+=(etcd-server etcd-client)   # etcd registry tests (Meshwork.Discovery.Etcd)
command -v dnsmasq >/dev/null 2>&1 && command -v dig >/dev/null 2>&1 || need_apt+=(dnsmasq-base bind9-dnsutils)   # DNS registry tests (Meshwork.Discovery.Dns)
[ -e /usr/share/java/zookeeper.jar ] || need_apt+=(zookeeper)   # ZooKeeper registry tests (Meshwork.Discovery.ZooKeeper)
command -v clang >/dev/null 2>&1 || need_apt+=(clang)          # NativeAOT linker for the AOT sample test
[ -e /usr/include/zlib.h ] || need_apt+=(zlib1g-dev)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)    # browser test of the gateway dashboard (Meshwork.Gateway.Tests, Playwright)
command -v prometheus >/dev/null 2>&1 || need_apt+=(prometheus)   # a real Prometheus scraping the metrics endpoint (Meshwork.Diagnostics.Tests)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "test.sh: installing ${need_apt[*]}"
  $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null || echo "test.sh: warning: apt-get install failed"
fi

[ -d tests/Meshwork.Tars.Tests/node/node_modules/@tars/rpc ] || (cd tests/Meshwork.Tars.Tests/node && npm ci --no-audit --no-fund >/dev/null) || echo "test.sh: warning: npm ci failed (the Node TARS peer for Meshwork.Tars.Tests)"
mkdir -p .test-logs
log=.test-logs/test.log
dotnet test Meshwork.slnx -c Release "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
awk '/^Test run summary:/{f=1} f&&/^  failed:/{F+=$2} f&&/^  succeeded:/{P+=$2} f&&/^  skipped:/{S+=$2}
     END{printf "%d passed, %d failed\n%d skipped\n",P,F,S}' "$log" > .test-logs/summary
summary=$(head -n 1 .test-logs/summary)
skipped=$(sed -n 2p .test-logs/summary | awk '{print $1}')
failed=$(echo "$summary" | awk '{print $3}')
passed=$(echo "$summary" | awk '{print $1}')
if [ "$rc" -eq 0 ] && [ "${passed:-0}" -eq 0 ]; then rc=1; echo "test.sh: no tests ran"; fi
if [ "${failed:-0}" -ne 0 ] && [ "$rc" -eq 0 ]; then rc=1; fi
[ "${skipped:-0}" -ne 0 ] && echo "test.sh: ${skipped} skipped"
echo "$summary"
exit $rc
