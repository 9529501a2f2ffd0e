#!/usr/bin/env bash
# Blue-green deployment of the Equoria container on one host behind nginx
# (see README, "Deploying", and deploy/RUNBOOK.md).
#
#   TAG=1.4.0 deploy/blue-green.sh
#
# Steps:
#   1. read the active colour from STATE_FILE (none yet: blue is deployed first)
#   2. pull IMAGE:TAG; run `equoria migrate run` with it, the only container that gets
#      MIGRATION_ENV_FILE (the owner role); migrations must suit both releases
#   3. set the idle colour's old container aside and start IMAGE:TAG on its loopback port
#   4. gate: wait until its /health answers 200 with the database connected; on failure remove
#      it, put the set-aside container back and exit 1 - nginx, the live colour and the
#      rollback target are untouched
#   5. switch: rewrite NGINX_UPSTREAM_FILE, `nginx -t`, `nginx -s reload`; record the new state
#      and the Prometheus targets file (live colour only)
#   6. wait DRAIN_SECONDS, then stop the old colour with SIGTERM (the server drains in-flight
#      requests) but keep its container, so deploy/rollback.sh can start it again
# Settings: see deploy/lib/blue-green-common.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/blue-green-common.sh
source "$here/lib/blue-green-common.sh"

[[ -n "${TAG:-}" ]] || die "TAG is required (the image tag to deploy)"
[[ -r "$ENV_FILE" ]] || die "ENV_FILE $ENV_FILE is not readable"
if grep -q '^[[:space:]]*MIGRATION_DATABASE_URL=' "$ENV_FILE"; then
    die "ENV_FILE $ENV_FILE holds MIGRATION_DATABASE_URL: the serving containers get this file, so move that line to MIGRATION_ENV_FILE ($MIGRATION_ENV_FILE)"
fi
if [[ "$RUN_MIGRATIONS" == "1" ]]; then
    [[ -r "$MIGRATION_ENV_FILE" ]] || die "MIGRATION_ENV_FILE $MIGRATION_ENV_FILE is not readable (it holds MIGRATION_DATABASE_URL)"
fi
for tool in "$DOCKER" "$NGINX_BIN" curl; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found on PATH"
done

active="$(state_get active)"
active_tag="$(state_get active_tag)"
if [[ -z "$active" ]]; then
    target=blue
    log "no deployment recorded in $STATE_FILE: first deployment goes to blue"
else
    target="$(other_colour "$active")"
    log "live: $active ($active_tag); deploying $IMAGE:$TAG to $target"
fi
target_port="$(port_of "$target")"
target_metrics_port="$(metrics_port_of "$target")"
trusted="$(bridge_subnet)"
target_container="$(container_of "$target")"

# 2. image and migrations
if [[ "$SKIP_PULL" != "1" ]]; then
    log "pulling $IMAGE:$TAG"
    "$DOCKER" pull "$IMAGE:$TAG" >/dev/null
fi
if [[ "$RUN_MIGRATIONS" == "1" ]]; then
    log "applying migrations with $IMAGE:$TAG (owner role, from $MIGRATION_ENV_FILE)"
    "$DOCKER" run --rm --env-file "$ENV_FILE" --env-file "$MIGRATION_ENV_FILE" --add-host host.docker.internal:host-gateway --read-only --cap-drop ALL \
        --security-opt no-new-privileges:true "$IMAGE:$TAG" equoria migrate run
fi

# 3. start the idle colour. Its current container holds the release before the live one (the
#    rollback target): set it aside rather than delete it, so a failed gate can put it back.
set_aside="$target_container-replaced"
if container_exists "$set_aside"; then
    "$DOCKER" rm -f "$set_aside" >/dev/null
fi
if container_exists "$target_container"; then
    log "setting the previous $target container aside as $set_aside"
    "$DOCKER" stop --time "$STOP_TIMEOUT" "$target_container" >/dev/null
    "$DOCKER" rename "$target_container" "$set_aside"
fi
log "starting $target_container on 127.0.0.1:$target_port"
"$DOCKER" run -d --name "$target_container" \
    --env-file "$ENV_FILE" \
    -e PORT="$CONTAINER_PORT" -e HOST=0.0.0.0 \
    -e METRICS_ADDR=0.0.0.0:9464 -e TRUSTED_PROXIES="$trusted" \
    -p "127.0.0.1:$target_port:$CONTAINER_PORT" \
    -p "127.0.0.1:$target_metrics_port:9464" \
    --add-host host.docker.internal:host-gateway \
    --restart unless-stopped \
    --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges:true \
    --memory 512m --cpus 1 \
    --stop-timeout "$STOP_TIMEOUT" \
    --label "equoria.colour=$target" --label "equoria.tag=$TAG" \
    "$IMAGE:$TAG" equoria serve >/dev/null

# Undo step 3: remove the new container and put the set-aside one back under its name.
restore_idle() {
    "$DOCKER" rm -f "$target_container" >/dev/null
    if container_exists "$set_aside"; then
        "$DOCKER" rename "$set_aside" "$target_container"
    fi
}

# 4. health gate
if ! wait_healthy "$target_port"; then
    log "last log lines of $target_container:"
    "$DOCKER" logs --tail 50 "$target_container" >&2 || true
    restore_idle
    die "$TAG failed its health gate; traffic stays on ${active:-nothing} ${active_tag:-}"
fi

# 5. switch traffic and record it
if ! switch_upstream "$target_port"; then
    restore_idle
    die "could not switch nginx to $target; traffic stays on ${active:-nothing} ${active_tag:-}"
fi
state_write "$target" "$TAG" "${active:-}" "${active_tag:-}"

# 6. the set-aside release is now two behind: drop it. Drain and stop the old colour.
if container_exists "$set_aside"; then
    "$DOCKER" rm -f "$set_aside" >/dev/null
fi
if [[ -n "$active" ]]; then
    log "letting $active drain for ${DRAIN_SECONDS}s"
    sleep "$DRAIN_SECONDS"
    stop_container "$(container_of "$active")"
fi
log "deployed $IMAGE:$TAG on $target (127.0.0.1:$target_port)"
