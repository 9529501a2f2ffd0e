#!/usr/bin/env bash
# Validates the Kubernetes kit offline:
#   1. pin.sh writes a release overlay for a made-up commit SHA; `kubectl kustomize` renders it;
#   2. kubernetes-validate --strict checks every resource (and secret.example.yaml) against the
#      Kubernetes JSON schemas (unknown fields rejected);
#   3. check.py: images pinned to that SHA, no replicas under an HPA, the restricted Pod Security
#      Standard for every pod template and for the pods one-off.sh makes (recorded through a
#      kubectl stand-in), Ingress TLS, default-deny NetworkPolicy, the connection budget;
#      its self-test proves each of those checks catches a bad input.
# Usage: deploy/k8s/check.sh        needs kubectl, kubernetes-validate, python3 with PyYAML
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sha=0123456789abcdef0123456789abcdef01234567
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

K8S_RELEASE_DIR="$work/release" "$here/pin.sh" "$sha" >/dev/null
kubectl kustomize "$work/release" >"$work/rendered.yaml"
kubernetes-validate --strict --quiet "$work/rendered.yaml" "$here/secret.example.yaml"
echo "ok: kubernetes-validate --strict"

cat >"$work/kubectl" <<'SH'
#!/usr/bin/env python3
import json, os, sys
with open(os.environ["KUBECTL_RECORD"], "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\n")
SH
chmod +x "$work/kubectl"
export KUBECTL="$work/kubectl" KUBECTL_RECORD="$work/runs.jsonl"
"$here/one-off.sh" "$sha" equoria migrate revert </dev/null
"$here/one-off.sh" --backup "$sha" sh </dev/null

python3 "$here/check.py" --self-test
python3 "$here/check.py" "$work/rendered.yaml" "$sha" "$here/../RUNBOOK.md" "$work/runs.jsonl"
