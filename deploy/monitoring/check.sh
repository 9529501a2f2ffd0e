#!/usr/bin/env bash
# Validates the monitoring kit with promtool (Debian package "prometheus"):
#   - prometheus.yml is a valid configuration and its rule file loads,
#   - alerts.yml passes `promtool check rules` and its unit tests (alerts.test.yml),
#   - every PromQL query of grafana-dashboard.json parses (Grafana variables replaced first).
# Usage: deploy/monitoring/check.sh        (needs promtool and python3 on PATH)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

command -v promtool >/dev/null 2>&1 || { echo "check.sh: promtool not found (apt-get install prometheus)" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "check.sh: python3 not found" >&2; exit 1; }

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

promtool check config "$here/prometheus.yml"
promtool check rules "$here/alerts.yml"
(cd "$here" && promtool test rules alerts.test.yml)

# Turn each dashboard query into a recording rule so promtool parses it.
python3 - "$here/grafana-dashboard.json" "$workdir/dashboard-rules.yml" <<'PY'
import json, sys
dashboard = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
if not exprs:
    sys.exit("no queries found in the dashboard")
with open(sys.argv[2], "w") as out:
    out.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, e in enumerate(exprs):
        e = e.replace("$__rate_interval", "1m").replace("$instance", ".*")
        out.write(f"      - record: dashboard:query_{i}\n        expr: {json.dumps(e)}\n")
print(f"{len(exprs)} dashboard queries extracted")
PY
promtool check rules "$workdir/dashboard-rules.yml"
echo "monitoring: all checks passed"
