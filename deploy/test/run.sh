#!/usr/bin/env bash
# Exercises deploy/health-check.sh, deploy/blue-green.sh and deploy/rollback.sh for real on
# loopback: a real nginx (temporary prefix, high port) in front of fake servers
# (fake-equoria.py) that a fake docker (fake-docker.sh) starts and stops.
#
# Usage: deploy/test/run.sh        needs nginx, curl and python3 on PATH
# Ends with "N passed, N failed"; exits 1 when anything failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
deploy="$(dirname "$here")"
for tool in nginx curl python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "run.sh: $tool not found on PATH" >&2; exit 1; }
done

work="$(mktemp -d)"
proxy_port="${TEST_PROXY_PORT:-18480}"
export FAKE_DOCKER_DIR="$work/docker"
mkdir -p "$FAKE_DOCKER_DIR/containers" "$work/nginx/logs" "$work/nginx/tmp" "$work/etc"

cleanup() {
    local pidfile
    set +e
    for pidfile in "$work/nginx/nginx.pid" "$FAKE_DOCKER_DIR"/containers/*/pid "$work"/*.pid; do
        if [[ -f "$pidfile" ]]; then kill "$(cat "$pidfile")" 2>/dev/null; fi
    done
    rm -rf "$work"
}
trap cleanup EXIT

passed=0 failed=0
check() { # check DESCRIPTION COMMAND...
    local description="$1"; shift
    if "$@" >>"$work/test.log" 2>&1; then
        passed=$((passed + 1)); echo "ok   $description"
    else
        failed=$((failed + 1)); echo "FAIL $description"
    fi
}
refuses() { ! "$@"; }
proxied_version() { curl -fsS --max-time 3 "http://127.0.0.1:$proxy_port/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])'; }
proxy_serves() { [[ "$(proxied_version)" == "$1" ]]; }
state_is() { grep -qx "active=$1" "$work/state" && grep -qx "active_tag=$2" "$work/state"; }
running() { [[ -f "$FAKE_DOCKER_DIR/containers/equoria-prod-$1/pid" ]]; }
kept() { [[ -d "$FAKE_DOCKER_DIR/containers/equoria-prod-$1" ]]; }

# --- health-check.sh against fake servers --------------------------------------------------
start_fake() { # start_fake PORT MODE
    python3 "$here/fake-equoria.py" "$1" test "$2" >/dev/null 2>&1 &
    echo "$!" >"$work/fake-$1.pid"
    for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$1/ping" && return 0; sleep 0.1; done
    return 1
}
start_fake 18410 healthy
start_fake 18411 degraded
start_fake 18412 nodb
start_fake 18413 noapi
nojq="$work/nojq-bin"
mkdir -p "$nojq"
for tool in curl head tr sed mktemp rm bash; do ln -s "$(command -v "$tool")" "$nojq/$tool"; done

check "health-check passes on a healthy server" "$deploy/health-check.sh" http://127.0.0.1:18410
check "health-check passes without jq (sed fallback)" env PATH="$nojq" "$deploy/health-check.sh" http://127.0.0.1:18410
check "health-check fails on 503 /health" refuses "$deploy/health-check.sh" http://127.0.0.1:18411
check "health-check fails when the database is disconnected" refuses "$deploy/health-check.sh" http://127.0.0.1:18412
check "health-check fails without jq when the database is disconnected" refuses env PATH="$nojq" "$deploy/health-check.sh" http://127.0.0.1:18412
check "health-check fails when /api does not answer" refuses "$deploy/health-check.sh" http://127.0.0.1:18413
check "health-check fails when nothing listens" refuses "$deploy/health-check.sh" http://127.0.0.1:18419

# --- blue-green and rollback through a real nginx ------------------------------------------
export BLUE_PORT=18401 GREEN_PORT=18402
export DOCKER="$here/fake-docker.sh"
export NGINX_BIN="$work/nginx-wrapper"
export NGINX_UPSTREAM_FILE="$work/nginx/upstream.conf"
export STATE_FILE="$work/state"
export ENV_FILE="$work/etc/equoria.env" MIGRATION_ENV_FILE="$work/etc/migrate.env"
export PROMETHEUS_TARGETS_FILE="$work/targets.json" BLUE_METRICS_PORT=18501 GREEN_METRICS_PORT=18502
export IMAGE=equoria-test HEALTH_TIMEOUT=10 DRAIN_SECONDS=1 SKIP_PULL=1
echo "DATABASE_URL=postgres://equoria_app:x@db:5432/equoria" >"$ENV_FILE"
echo "MIGRATION_DATABASE_URL=postgres://equoria_owner:x@db:5432/equoria" >"$MIGRATION_ENV_FILE"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $work/nginx/tmp/body;
    proxy_temp_path $work/nginx/tmp/proxy;
    include $NGINX_UPSTREAM_FILE;
    server {
        listen 127.0.0.1:$proxy_port;
        location / {
            proxy_pass http://equoria_backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
CONF
printf '#!/bin/sh\nexec nginx -e %s -p %s -c %s "$@"\n' \
    "$work/nginx/logs/error.log" "$work/nginx" "$work/nginx/nginx.conf" >"$NGINX_BIN"
chmod +x "$NGINX_BIN"
sed "s/127.0.0.1:3000/127.0.0.1:$BLUE_PORT/" "$deploy/nginx/upstream.conf" >"$NGINX_UPSTREAM_FILE"
"$NGINX_BIN"

check "first deploy (v1) succeeds" env TAG=v1 "$deploy/blue-green.sh"
check "first deploy went to blue" state_is blue v1
check "nginx serves v1" proxy_serves v1
check "migrations ran with v1" grep -q "equoria-test:v1 equoria migrate run" "$FAKE_DOCKER_DIR/oneshot.log"
serving_runs() { grep -E '^docker run -d ' "$FAKE_DOCKER_DIR/calls.log"; }
check "only the migration container gets the owner URL file" \
    grep -q -- "--rm --env-file $ENV_FILE --env-file $MIGRATION_ENV_FILE .* equoria-test:v1 equoria migrate run" "$FAKE_DOCKER_DIR/calls.log"
check "the serving container never gets the owner URL file" refuses grep -q -- "$MIGRATION_ENV_FILE" <(serving_runs)
check "the serving container trusts the docker bridge subnet" grep -q -- "-e TRUSTED_PROXIES=172.17.0.0/16" <(serving_runs)
check "the serving container publishes /metrics on loopback only" grep -q -- "-e METRICS_ADDR=0.0.0.0:9464 .*-p 127.0.0.1:18501:9464" <(serving_runs)
targets_are() { python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); sys.exit(t != [{"targets": [sys.argv[2]], "labels": {"colour": sys.argv[3], "release": sys.argv[4]}}])' "$PROMETHEUS_TARGETS_FILE" "$@"; }
check "Prometheus targets list blue v1 only" targets_are 127.0.0.1:18501 blue v1

check "second deploy (v2) succeeds" env TAG=v2 "$deploy/blue-green.sh"
check "v2 went to green and is recorded" state_is green v2
check "nginx serves v2" proxy_serves v2
check "blue was stopped after the drain" refuses running blue
check "Prometheus targets list green v2 only" targets_are 127.0.0.1:18502 green v2
check "blue's container is kept for rollback" kept blue
check "the deploy left no set-aside container" refuses kept green-replaced

check "a release failing its health gate is refused" refuses env TAG=v3-bad "$deploy/blue-green.sh"
check "nginx still serves v2 after the refused release" proxy_serves v2
check "state still records green v2" state_is green v2
check "blue's kept container still holds v1 (the rollback target)" grep -qx v1 "$FAKE_DOCKER_DIR/containers/equoria-prod-blue/tag"
check "no set-aside container is left behind" refuses kept blue-replaced
check "CI rollback is a no-op when the failed tag never took traffic" env EXPECT_ACTIVE_TAG=v3-bad "$deploy/rollback.sh"
check "nginx still serves v2 after the no-op rollback" proxy_serves v2

check "rollback succeeds" "$deploy/rollback.sh"
check "rollback restored blue v1" state_is blue v1
check "nginx serves v1 after rollback" proxy_serves v1
check "Prometheus targets list blue v1 again after rollback" targets_are 127.0.0.1:18501 blue v1
check "green was stopped after rollback" refuses running green
check "green's container is kept for inspection" kept green

cp "$ENV_FILE" "$work/env.good"
cat "$MIGRATION_ENV_FILE" >>"$ENV_FILE"
check "a deploy is refused when ENV_FILE holds the owner URL" refuses env TAG=v5 "$deploy/blue-green.sh"
check "nginx still serves v1 after the refused ENV_FILE" proxy_serves v1
cp "$work/env.good" "$ENV_FILE"

printf 'bogus directive;\n' >"$work/bad.conf"
cp "$NGINX_UPSTREAM_FILE" "$work/good-upstream.conf"
sed -i "1i include $work/bad.conf;" "$work/nginx/nginx.conf"
check "a release is refused when nginx -t fails" refuses env TAG=v4 "$deploy/blue-green.sh"
sed -i '1d' "$work/nginx/nginx.conf"
check "upstream file restored after the refused switch" cmp -s "$work/good-upstream.conf" "$NGINX_UPSTREAM_FILE"
check "nginx still serves v1" proxy_serves v1
check "green's kept container is v2 again after the refused switch" grep -qx v2 "$FAKE_DOCKER_DIR/containers/equoria-prod-green/tag"
check "rollback to green v2 still works afterwards" "$deploy/rollback.sh"
check "nginx serves v2 after the second rollback" proxy_serves v2

echo
echo "$passed passed, $failed failed"
((failed == 0))
