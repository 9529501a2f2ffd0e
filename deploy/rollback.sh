#!/usr/bin/env bash
# Immediate rollback to the previous colour (see deploy/RUNBOOK.md).
#
#   deploy/rollback.sh
#   EXPECT_ACTIVE_TAG=1.4.0 deploy/rollback.sh   # CI: roll back only if 1.4.0 took traffic
#
# Steps:
#   1. read active and previous colour from STATE_FILE
#   2. start the previous colour's kept container and wait for its /health (database connected)
#   3. switch the nginx upstream back to it (`nginx -t`, `nginx -s reload`) and record the state
#   4. wait DRAIN_SECONDS, stop the failed colour (kept for inspection: `docker logs`)
# The database is not rolled back: migrations are written to be compatible with the previous
# release. Reverting one is a separate, deliberate step (`equoria migrate revert`).
# Settings: see deploy/lib/blue-green-common.sh; EXPECT_ACTIVE_TAG as above.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/blue-green-common.sh
source "$here/lib/blue-green-common.sh"

for tool in "$DOCKER" "$NGINX_BIN" curl; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found on PATH"
done

active="$(state_get active)"
active_tag="$(state_get active_tag)"
previous="$(state_get previous)"
previous_tag="$(state_get previous_tag)"

[[ -n "$active" ]] || die "no deployment recorded in $STATE_FILE: nothing to roll back"
if [[ -n "${EXPECT_ACTIVE_TAG:-}" && "$active_tag" != "$EXPECT_ACTIVE_TAG" ]]; then
    log "live release is $active_tag, not $EXPECT_ACTIVE_TAG: the failed release never took traffic, nothing to roll back"
    exit 0
fi
[[ -n "$previous" ]] || die "no previous colour recorded in $STATE_FILE: nothing to roll back to"

previous_container="$(container_of "$previous")"
previous_port="$(port_of "$previous")"
container_exists "$previous_container" || die "container $previous_container is gone; redeploy $previous_tag with blue-green.sh instead"
kept_tag="$("$DOCKER" container inspect --format '{{index .Config.Labels "equoria.tag"}}' "$previous_container")"
[[ "$kept_tag" == "$previous_tag" ]] \
    || die "$previous_container runs $kept_tag, not $previous_tag; redeploy $previous_tag with blue-green.sh instead"

log "rolling back: $active ($active_tag) -> $previous ($previous_tag)"
"$DOCKER" start "$previous_container" >/dev/null
if ! wait_healthy "$previous_port"; then
    "$DOCKER" logs --tail 50 "$previous_container" >&2 || true
    die "$previous_container is not healthy; traffic left on $active"
fi

if ! switch_upstream "$previous_port"; then
    "$DOCKER" stop --time "$STOP_TIMEOUT" "$previous_container" >/dev/null || true
    die "could not switch nginx back to $previous; traffic left on $active"
fi
state_write "$previous" "$previous_tag" "$active" "$active_tag"

log "letting $active drain for ${DRAIN_SECONDS}s"
sleep "$DRAIN_SECONDS"
stop_container "$(container_of "$active")"
log "rolled back to $previous_tag on $previous (127.0.0.1:$previous_port)"
