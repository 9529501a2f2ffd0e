# shellcheck shell=bash
# Shared by blue-green.sh and rollback.sh: settings, state file, health gate, upstream switch.
# Sourced, not executed.
#
# Settings (environment variables):
#   IMAGE                image repository               (default: ghcr.io/equoria/equoria)
#   TAG                  image tag to deploy            (blue-green.sh: required)
#   BLUE_PORT            loopback port of blue          (default: 3000)
#   GREEN_PORT           loopback port of green         (default: 3001)
#   CONTAINER_PORT       port the server listens on inside the container (default: 3000)
#   CONTAINER_PREFIX     container names are PREFIX-blue / PREFIX-green (default: equoria-prod)
#   ENV_FILE             docker --env-file with the server's settings (default: /etc/equoria/equoria.env);
#                        must not hold MIGRATION_DATABASE_URL (the serving containers get this file)
#   MIGRATION_ENV_FILE   docker --env-file with MIGRATION_DATABASE_URL, the owner role's URL, given
#                        only to the `equoria migrate run` container (default: /etc/equoria/migrate.env)
#   BLUE_METRICS_PORT    loopback port of blue's /metrics (default: 9464)
#   GREEN_METRICS_PORT   loopback port of green's /metrics (default: 9465)
#   TRUSTED_PROXY_CIDR   what the containers trust for X-Forwarded-For (default: the subnet of
#                        docker's "bridge" network, read with `docker network inspect bridge`:
#                        nginx on the host reaches the published ports through its gateway)
#   PROMETHEUS_TARGETS_FILE  file_sd targets file listing the live colour's metrics address,
#                        read by deploy/monitoring/prometheus.yml
#                        (default: /var/lib/equoria/prometheus-targets.json)
#   NGINX_UPSTREAM_FILE  live upstream file included by nginx (default: /etc/nginx/equoria/upstream.conf)
#   STATE_FILE           where the active colour is recorded (default: /var/lib/equoria/deploy.state)
#   HEALTH_TIMEOUT       seconds to wait for the new colour's /health (default: 90)
#   DRAIN_SECONDS        seconds between the switch and stopping the old colour (default: 15)
#   STOP_TIMEOUT         seconds docker waits after SIGTERM before SIGKILL (default: 45;
#                        must exceed SHUTDOWN_TIMEOUT_SECS, 30 by default)
#   RUN_MIGRATIONS       1 to run `equoria migrate run` before starting green (default: 1)
#   SKIP_PULL            1 to use a locally present image without `docker pull` (default: 0)
#   DOCKER, NGINX_BIN    commands to use (default: docker, nginx). Not "NGINX": nginx itself
#                        reads that variable (inherited listening sockets).

set -euo pipefail

IMAGE="${IMAGE:-ghcr.io/equoria/equoria}"
BLUE_PORT="${BLUE_PORT:-3000}"
GREEN_PORT="${GREEN_PORT:-3001}"
CONTAINER_PORT="${CONTAINER_PORT:-3000}"
CONTAINER_PREFIX="${CONTAINER_PREFIX:-equoria-prod}"
ENV_FILE="${ENV_FILE:-/etc/equoria/equoria.env}"
MIGRATION_ENV_FILE="${MIGRATION_ENV_FILE:-/etc/equoria/migrate.env}"
BLUE_METRICS_PORT="${BLUE_METRICS_PORT:-9464}"
GREEN_METRICS_PORT="${GREEN_METRICS_PORT:-9465}"
TRUSTED_PROXY_CIDR="${TRUSTED_PROXY_CIDR:-}"
PROMETHEUS_TARGETS_FILE="${PROMETHEUS_TARGETS_FILE:-/var/lib/equoria/prometheus-targets.json}"
NGINX_UPSTREAM_FILE="${NGINX_UPSTREAM_FILE:-/etc/nginx/equoria/upstream.conf}"
STATE_FILE="${STATE_FILE:-/var/lib/equoria/deploy.state}"
HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-90}"
DRAIN_SECONDS="${DRAIN_SECONDS:-15}"
STOP_TIMEOUT="${STOP_TIMEOUT:-45}"
RUN_MIGRATIONS="${RUN_MIGRATIONS:-1}"
SKIP_PULL="${SKIP_PULL:-0}"
DOCKER="${DOCKER:-docker}"
NGINX_BIN="${NGINX_BIN:-nginx}"

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

port_of() {
    case "$1" in
        blue) echo "$BLUE_PORT" ;;
        green) echo "$GREEN_PORT" ;;
        *) die "unknown colour '$1'" ;;
    esac
}

metrics_port_of() {
    case "$1" in
        blue) echo "$BLUE_METRICS_PORT" ;;
        green) echo "$GREEN_METRICS_PORT" ;;
        *) die "unknown colour '$1'" ;;
    esac
}

# bridge_subnet -> the IPv4 subnet of docker's default bridge network (where connections from
# the host's nginx to a published port come from), or TRUSTED_PROXY_CIDR when set.
bridge_subnet() {
    local subnet
    if [[ -n "$TRUSTED_PROXY_CIDR" ]]; then
        echo "$TRUSTED_PROXY_CIDR"
        return
    fi
    subnet="$("$DOCKER" network inspect bridge --format '{{range .IPAM.Config}}{{.Subnet}} {{end}}' \
        | tr ' ' '\n' | grep -m 1 -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/[0-9]+$')" \
        || die "could not read the docker bridge subnet; set TRUSTED_PROXY_CIDR"
    echo "$subnet"
}

other_colour() {
    case "$1" in
        blue) echo green ;;
        green) echo blue ;;
        *) die "unknown colour '$1'" ;;
    esac
}

container_of() { echo "$CONTAINER_PREFIX-$1"; }

# state_get KEY -> value from the state file (empty when absent). The file holds KEY=VALUE lines
# and is parsed, never sourced.
state_get() {
    [[ -f "$STATE_FILE" ]] || return 0
    sed -n "s/^$1=//p" "$STATE_FILE" | tail -n 1
}

# state_write ACTIVE ACTIVE_TAG PREVIOUS PREVIOUS_TAG
state_write() {
    local tmp
    mkdir -p "$(dirname "$STATE_FILE")"
    tmp="$(mktemp "$STATE_FILE.XXXXXX")"
    {
        echo "active=$1"
        echo "active_tag=$2"
        echo "previous=$3"
        echo "previous_tag=$4"
        echo "updated_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    } >"$tmp"
    mv -f "$tmp" "$STATE_FILE"
    targets_write "$1" "$2"
}

# targets_write COLOUR TAG: Prometheus file_sd list with the live colour only, so the stopped
# colour is not scraped and EquoriaInstanceDown means a live instance is down.
targets_write() {
    local tmp
    mkdir -p "$(dirname "$PROMETHEUS_TARGETS_FILE")"
    tmp="$(mktemp "$PROMETHEUS_TARGETS_FILE.XXXXXX")"
    printf '[{"targets": ["127.0.0.1:%s"], "labels": {"colour": "%s", "release": "%s"}}]\n' \
        "$(metrics_port_of "$1")" "$1" "$2" >"$tmp"
    chmod 0644 "$tmp"
    mv -f "$tmp" "$PROMETHEUS_TARGETS_FILE"
}

# wait_healthy PORT: poll GET /health on the loopback port until it answers 200 with
# "database":"connected", or HEALTH_TIMEOUT passes.
wait_healthy() {
    local port="$1" deadline body
    deadline=$((SECONDS + HEALTH_TIMEOUT))
    log "waiting up to ${HEALTH_TIMEOUT}s for http://127.0.0.1:$port/health"
    while ((SECONDS < deadline)); do
        if body="$(curl -fsS --max-time 3 "http://127.0.0.1:$port/health" 2>/dev/null)" \
            && [[ "$(tr -d ' \n' <<<"$body")" == *'"database":"connected"'* ]]; then
            log "port $port is healthy"
            return 0
        fi
        sleep 2
    done
    log "port $port did not become healthy within ${HEALTH_TIMEOUT}s"
    return 1
}

# switch_upstream PORT: point nginx at 127.0.0.1:PORT. The old file is kept as .prev; if the new
# configuration fails `nginx -t`, the old one is restored, nginx is left untouched and the
# function returns 1.
switch_upstream() {
    local port="$1" tmp
    tmp="$(mktemp "$NGINX_UPSTREAM_FILE.XXXXXX")"
    cat >"$tmp" <<CONF
# Written by deploy/blue-green.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ). Do not edit by hand.
upstream equoria_backend {
    server 127.0.0.1:$port max_fails=3 fail_timeout=10s;
    keepalive 32;
    keepalive_timeout 60s;
}
CONF
    chmod 0644 "$tmp"
    if [[ -f "$NGINX_UPSTREAM_FILE" ]]; then
        cp -p "$NGINX_UPSTREAM_FILE" "$NGINX_UPSTREAM_FILE.prev"
    fi
    mv -f "$tmp" "$NGINX_UPSTREAM_FILE"
    if ! "$NGINX_BIN" -t -q; then
        if [[ -f "$NGINX_UPSTREAM_FILE.prev" ]]; then
            mv -f "$NGINX_UPSTREAM_FILE.prev" "$NGINX_UPSTREAM_FILE"
        fi
        log "nginx -t rejected the new upstream; previous upstream restored, traffic unchanged"
        return 1
    fi
    # Reload: new workers use the new upstream, old workers finish their in-flight requests.
    "$NGINX_BIN" -s reload
    log "nginx now sends traffic to 127.0.0.1:$port"
}

container_exists() { "$DOCKER" container inspect "$1" >/dev/null 2>&1; }

# stop_container NAME: SIGTERM, wait up to STOP_TIMEOUT for the drain, keep the container.
stop_container() {
    if container_exists "$1"; then
        log "stopping $1 (kept for rollback / inspection)"
        "$DOCKER" stop --time "$STOP_TIMEOUT" "$1" >/dev/null
    fi
}
