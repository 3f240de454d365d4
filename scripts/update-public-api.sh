#!/usr/bin/env bash
# Records every public symbol the build reports as undeclared (RS0016) into that project's PublicAPI.Unshipped.txt,
# and drops declared symbols that no longer exist (RS0017). Run after an intended public API change, then review the
# diff of the PublicAPI.*.txt files: that diff is the API change. Optional argument: one project (or solution) to build
# instead of the whole solution, for a quicker run when only that project's API changed.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
dotnet build "${1:-Meshwork.slnx}" -c Release --no-incremental -p:TreatWarningsAsErrors=false -p:WarningsAsErrors= >"$log" 2>&1 || true
python3 - "$log" <<'PY'
import re, sys, collections, os
added = collections.defaultdict(set); removed = collections.defaultdict(set)
pat = re.compile(r"^(?:.*?): (?:error|warning) (RS0016|RS0017): Symbol '(.*)' is (?:not part of the declared public API|part of the declared API, but is either not public or could not be found).*\[([^\[\]]*\.csproj)\]$")
for line in open(sys.argv[1], encoding="utf-8"):
    m = pat.match(line.strip())
    if not m: continue
    code, sym, proj = m.groups()
    (added if code == "RS0016" else removed)[os.path.dirname(proj)].add(sym)
for d in set(added) | set(removed):
    path = os.path.join(d, "PublicAPI.Unshipped.txt")
    lines = [l.rstrip("\n") for l in open(path, encoding="utf-8")] if os.path.exists(path) else ["#nullable enable"]
    body = set(l for l in lines[1:] if l.strip()) | added[d]
    body -= removed[d]
    open(path, "w", encoding="utf-8").write("#nullable enable\n" + "".join(s + "\n" for s in sorted(body, key=str.lower)))
    print(f"{path}: +{len(added[d])} -{len(removed[d])}")
PY
rm -f "$log"
