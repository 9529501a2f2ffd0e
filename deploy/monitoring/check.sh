#!/usr/bin/env bash
# Validates the monitoring kit with promtool (Debian package "prometheus") and amtool (Debian
# package "prometheus-alertmanager"):
#   - prometheus.yml and prometheus-kubernetes.yml are valid configurations and their rule file
#     loads (Debian's promtool is built without Kubernetes service discovery, so the latter is
#     checked with its kubernetes_sd_configs block swapped for a static one),
#   - alerts.yml passes `promtool check rules` and its unit tests (alerts.test.yml), and every
#     alert has a test in which it fires, every recording rule is used by an alert or tested,
#   - alertmanager.yml passes `amtool check-config`, and each alert's severity reaches the
#     receivers it should (`amtool config routes test --verify.receivers`),
#   - every PromQL query of grafana-dashboard.json parses (Grafana variables replaced first).
# Usage: deploy/monitoring/check.sh        (needs promtool, amtool and python3 with PyYAML)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

command -v promtool >/dev/null 2>&1 || { echo "check.sh: promtool not found (apt-get install prometheus)" >&2; exit 1; }
command -v amtool >/dev/null 2>&1 || { echo "check.sh: amtool not found (apt-get install prometheus-alertmanager)" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "check.sh: python3 not found" >&2; exit 1; }

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

promtool check config "$here/prometheus.yml"
python3 - "$here/prometheus-kubernetes.yml" "$workdir/prometheus-kubernetes.yml" <<'PY'
import sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
for job in config["scrape_configs"]:
    if job.pop("kubernetes_sd_configs", None) is not None:
        job["static_configs"] = [{"targets": ["10.0.0.1:9464"]}]
yaml.safe_dump(config, open(sys.argv[2], "w"))
PY
cp "$here/alerts.yml" "$workdir/"
promtool check config "$workdir/prometheus-kubernetes.yml"
promtool check rules "$here/alerts.yml"
(cd "$here" && promtool test rules alerts.test.yml)

# Coverage: each alert fires in some test; each recording rule feeds another rule or is tested.
python3 - "$here/alerts.yml" "$here/alerts.test.yml" <<'PY'
import sys, yaml
rules = [r for g in yaml.safe_load(open(sys.argv[1]))["groups"] for r in g["rules"]]
tests = yaml.safe_load(open(sys.argv[2]))["tests"]
fired = {t["alertname"] for test in tests for t in test.get("alert_rule_test", []) if t.get("exp_alerts")}
tested_exprs = " ".join(t["expr"] for test in tests for t in test.get("promql_expr_test", []))
used_exprs = " ".join(r["expr"] for r in rules)
missing = [r["alert"] for r in rules if "alert" in r and r["alert"] not in fired]
missing += [r["record"] for r in rules if "record" in r
            and r["record"] not in used_exprs and r["record"] not in tested_exprs]
if missing:
    sys.exit("rules without a test in which they fire or are evaluated: " + ", ".join(missing))
print(f"coverage: {len(rules)} rules, each fired or evaluated by alerts.test.yml")
PY

amtool check-config "$here/alertmanager.yml"
# Each severity the rules use must reach its receivers.
python3 - "$here/alerts.yml" <<'PY' >"$workdir/routes"
import sys, yaml
for g in yaml.safe_load(open(sys.argv[1]))["groups"]:
    for r in g["rules"]:
        if "alert" in r:
            print(r["alert"], r["labels"]["severity"])
PY
while read -r alert severity; do
    case "$severity" in
        critical) expected=oncall-pager,team-email ;;
        warning) expected=team-email,team-chat ;;
        *) echo "check.sh: $alert has severity '$severity', which no route expects" >&2; exit 1 ;;
    esac
    amtool config routes test --config.file="$here/alertmanager.yml" --verify.receivers="$expected" \
        "alertname=$alert" "severity=$severity" "job=equoria" >/dev/null 2>&1 \
        || { echo "check.sh: $alert ($severity) does not reach $expected" >&2; exit 1; }
done <"$workdir/routes"
echo "alertmanager: $(wc -l <"$workdir/routes") alerts reach their receivers"

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
