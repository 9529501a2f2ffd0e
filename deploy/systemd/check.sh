#!/usr/bin/env bash
# Validates deploy/systemd/*.service offline with systemd-analyze (Debian package "systemd"):
#   - `systemd-analyze verify` must print nothing for each unit (the binary path is pointed at
#     a stub, since /usr/local/bin/equoria does not exist on a build machine),
#   - `systemd-analyze security --offline=yes` must rate each sandbox at most EXPOSURE_MAX (2.0),
#   - the server unit runs no migration and never reads the owner role's URL (migrate.env), so
#     it starts while the database is down; it raises journald's rate limit for the access log;
#   - the example env file for the server holds no MIGRATION_DATABASE_URL.
# Usage: deploy/systemd/check.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exposure_max="${EXPOSURE_MAX:-2.0}"
command -v systemd-analyze >/dev/null 2>&1 || { echo "check.sh: systemd-analyze not found (apt-get install systemd)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf '#!/bin/sh\nexit 0\n' >"$work/equoria"
chmod +x "$work/equoria"
for unit in equoria.service equoria-migrate.service; do
    sed "s#/usr/local/bin/equoria#$work/equoria#g" "$here/$unit" >"$work/$unit"
    output="$(cd "$work" && systemd-analyze verify "$work/$unit" 2>&1)" || { echo "$output" >&2; exit 1; }
    if [[ -n "$output" ]]; then
        echo "systemd-analyze verify reported for $unit:" >&2
        echo "$output" >&2
        exit 1
    fi
    echo "ok: systemd-analyze verify $unit"

    report="$(systemd-analyze security --offline=yes --no-pager "$work/$unit" 2>&1)"
    score="$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p' <<<"$report")"
    [[ -n "$score" ]] || { echo "$report" >&2; echo "check.sh: no exposure score found for $unit" >&2; exit 1; }
    if ! awk -v s="$score" -v m="$exposure_max" 'BEGIN { exit !(s <= m) }'; then
        echo "$report" >&2
        echo "check.sh: $unit exposure $score is above $exposure_max" >&2
        exit 1
    fi
    echo "ok: systemd-analyze security $unit exposure $score (limit $exposure_max)"
done

fail() { echo "check.sh: $*" >&2; exit 1; }
server="$here/equoria.service"
if grep -Eq '^ExecStart(Pre)?=.*migrate' "$server"; then fail "equoria.service runs migrations"; fi
if grep -q '^EnvironmentFile=.*migrate.env' "$server"; then fail "equoria.service reads migrate.env"; fi
grep -Eq '^LogRateLimitBurst=[0-9]{6,}$' "$server" || fail "equoria.service: no LogRateLimitBurst fit for the access log"
grep -q '^LogRateLimitIntervalSec=' "$server" || fail "equoria.service: no LogRateLimitIntervalSec"
grep -q '^ExecStart=/usr/local/bin/equoria migrate run$' "$here/equoria-migrate.service" \
    || fail "equoria-migrate.service does not run the migrations"
if grep -q '^MIGRATION_DATABASE_URL' "$here/equoria.env.example"; then fail "equoria.env.example holds the owner URL"; fi
grep -q '^MIGRATION_DATABASE_URL=' "$here/migrate.env.example" || fail "migrate.env.example has no MIGRATION_DATABASE_URL"
grep -qx 'TRUSTED_PROXIES=127.0.0.1/32,::1/128' "$here/equoria.env.example" || fail "equoria.env.example: TRUSTED_PROXIES is not loopback"
echo "ok: the server unit needs no database to start and never sees the owner URL"
