#!/usr/bin/env bash
# Runs every validation of the deployment kit (see deploy/VALIDATION.md) from the repository
# root and prints one line per check, then "N passed, N failed".
# A check whose tool is not installed fails, unless ALLOW_MISSING_TOOLS=1 (then it is skipped).
# Usage: deploy/check-all.sh
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 1
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

passed=0 failed=0 skipped=0
run() { # run NAME "TOOL..." COMMAND...
    local name="$1" tools="$2" tool
    shift 2
    for tool in $tools; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            if [[ "${ALLOW_MISSING_TOOLS:-0}" == "1" ]]; then
                skipped=$((skipped + 1)); echo "skip $name ($tool not installed)"; return
            fi
            failed=$((failed + 1)); echo "FAIL $name ($tool not installed)"; return
        fi
    done
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1)); echo "ok   $name"
    else
        failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/     /' "$log"
    fi
}


run "shellcheck (deploy scripts)" "shellcheck" shellcheck -x deploy/*.sh deploy/*/*.sh .platform/hooks/*/*.sh .ci/run .ci/ensure-toolchain.sh
run "hadolint docker/Dockerfile" "hadolint" hadolint docker/Dockerfile
run "compose files (compose-spec schema)" "check-jsonschema" \
    check-jsonschema --builtin-schema vendor.compose-spec docker/docker-compose.yml deploy/elasticbeanstalk/docker-compose.yml
run "GitHub workflows (schema)" "check-jsonschema" \
    check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/ci.yml .github/workflows/deploy.yml
run "GitHub workflows (actionlint)" "actionlint" actionlint .github/workflows/ci.yml .github/workflows/deploy.yml
run "Kubernetes (kustomize, strict schema, pinning, restricted pods, budget)" "kubectl kubernetes-validate python3" deploy/k8s/check.sh
run "nginx (nginx -t, live proxy checks)" "nginx openssl curl python3" deploy/nginx/check.sh --live
run "monitoring (promtool, amtool)" "promtool amtool python3" deploy/monitoring/check.sh
run "systemd unit (systemd-analyze)" "systemd-analyze" deploy/systemd/check.sh
run "compose and cloud descriptors (roles, logs, TLS, HTTPS, no seed)" "python3" \
    sh -c 'python3 deploy/check-descriptors.py --self-test && python3 deploy/check-descriptors.py' 
run "deploy scripts against nginx and fake servers" "nginx curl python3" deploy/test/run.sh

echo
if ((skipped)); then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
((failed == 0))
