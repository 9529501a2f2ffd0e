#!/usr/bin/env bash
# Pins a release of deploy/k8s to one commit: writes deploy/k8s-release/kustomization.yaml
# (next to the base, not inside it: kustomize refuses an overlay within its base), an
# overlay of the base whose two images (the server and the backup job) are tagged with the
# full commit SHA that CI built and the deploy workflow pushed. Nothing else is changed.
#
#   deploy/k8s/pin.sh <40-hex commit SHA> [image repository, default ghcr.io/equoria/equoria]
#   kubectl apply -k deploy/k8s-release
#
# The backup image is the repository name with "-backup" appended, same tag.
# K8S_RELEASE_DIR writes the overlay elsewhere (deploy/k8s/check.sh uses a temporary one).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sha="${1:-}"
repository="${2:-ghcr.io/equoria/equoria}"
if [[ ! "$sha" =~ ^[0-9a-f]{40}$ ]]; then
    echo "pin.sh: give the full 40-character commit SHA (lower-case hex), not '$sha': a branch" >&2
    echo "pin.sh: name or a short SHA can move or be ambiguous; 'git rev-parse HEAD' prints it" >&2
    exit 2
fi
if [[ ! "$repository" =~ ^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9._-]+)*$ ]]; then
    echo "pin.sh: '$repository' is not an image repository (lower case, no tag)" >&2
    exit 2
fi

out="${K8S_RELEASE_DIR:-$(dirname "$here")/k8s-release}"
mkdir -p "$out"
base="$(realpath --relative-to="$out" "$here")"
cat >"$out/kustomization.yaml" <<YAML
# Written by deploy/k8s/pin.sh; apply with: kubectl apply -k deploy/k8s-release
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $base
images:
  - name: ghcr.io/equoria/equoria
    newName: $repository
    newTag: "$sha"
  - name: ghcr.io/equoria/equoria-backup
    newName: $repository-backup
    newTag: "$sha"
YAML
echo "deploy/k8s-release pins $repository:$sha and $repository-backup:$sha"
