#!/usr/bin/env bash
# Builds the Elastic Beanstalk source bundle named in .elasticbeanstalk/config.yml:
#   target/eb/equoria-eb.zip = docker-compose.yml (from this folder) + .ebextensions/ + .platform/
# Usage: deploy/elasticbeanstalk/package.sh [OUTPUT_ZIP]       needs python3 (zipfile module)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
output="$(realpath -m "${1:-$root/target/eb/equoria-eb.zip}")"

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
cp "$here/docker-compose.yml" "$staging/docker-compose.yml"
cp -R "$root/.ebextensions" "$staging/.ebextensions"
cp -R "$root/.platform" "$staging/.platform"

mkdir -p "$(dirname "$output")"
rm -f "$output"
(cd "$staging" && python3 -m zipfile -c "$output" docker-compose.yml .ebextensions .platform)
python3 -m zipfile -l "$output"
echo "bundle written to $output"
