#!/usr/bin/env bash
# Runs a one-off command in namespace "equoria" as a pod that the namespace's "restricted" Pod
# Security policy admits (non-root, no privilege escalation, all capabilities dropped,
# RuntimeDefault seccomp, read-only root filesystem), attached to your terminal, removed after.
#
#   deploy/k8s/one-off.sh <commit SHA> equoria migrate status
#   deploy/k8s/one-off.sh <commit SHA> equoria migrate revert
#   deploy/k8s/one-off.sh --backup <commit SHA> sh      # backup image, PVC at /backups
#
# The server image gets the ConfigMap and the Secret's four keys (MIGRATION_DATABASE_URL
# included: these commands change the schema). The backup image gets BACKUP_DATABASE_URL and
# RESTORE_DATABASE_URL (the migrator's URL) and the backup volume at /backups.
# IMAGE (default ghcr.io/equoria/equoria) names the repository, as for pin.sh; KUBECTL the
# kubectl command; NAMESPACE the namespace.
set -euo pipefail

backup=0
if [[ "${1:-}" == "--backup" ]]; then
    backup=1
    shift
fi
sha="${1:-}"
shift || true
if [[ ! "$sha" =~ ^[0-9a-f]{40}$ || $# -eq 0 ]]; then
    echo "usage: one-off.sh [--backup] <40-hex commit SHA> COMMAND [ARG...]" >&2
    exit 2
fi
image="${IMAGE:-ghcr.io/equoria/equoria}"
namespace="${NAMESPACE:-equoria}"
kubectl="${KUBECTL:-kubectl}"
name="equoria-one-off-$(date -u +%H%M%S)"
if ((backup)); then
    image="$image-backup"
fi

overrides="$(python3 - "$backup" "$name" "$image:$sha" "$@" <<'PY'
import json, sys

backup, name, image, command = sys.argv[1] == "1", sys.argv[2], sys.argv[3], sys.argv[4:]

def secret(env, key):
    return {"name": env, "valueFrom": {"secretKeyRef": {"name": "equoria-secrets", "key": key}}}

container = {
    "name": name,
    "image": image,
    "command": command,
    "stdin": True,
    "stdinOnce": True,
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
}
volumes = [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}]
if backup:
    container["env"] = [secret("BACKUP_DATABASE_URL", "MIGRATION_DATABASE_URL"),
                        secret("RESTORE_DATABASE_URL", "MIGRATION_DATABASE_URL"),
                        {"name": "BACKUP_DIR", "value": "/backups"}]
    container["volumeMounts"].append({"name": "backups", "mountPath": "/backups"})
    volumes.append({"name": "backups", "persistentVolumeClaim": {"claimName": "equoria-backups"}})
else:
    container["envFrom"] = [{"configMapRef": {"name": "equoria-config"}}]
    container["env"] = [secret(k, k) for k in
                        ("DATABASE_URL", "MIGRATION_DATABASE_URL", "JWT_SECRET", "JWT_REFRESH_SECRET")]
print(json.dumps({"apiVersion": "v1", "spec": {
    "automountServiceAccountToken": False,
    "enableServiceLinks": False,
    "securityContext": {"runAsNonRoot": True, "fsGroup": 70 if backup else 65532,
                        "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [container],
    "volumes": volumes,
}}))
PY
)"

exec "$kubectl" -n "$namespace" run "$name" --rm -i --restart=Never \
    --image="$image:$sha" --overrides="$overrides"
