#!/usr/bin/env bash
# Validates deploy/systemd/equoria.service offline with systemd-analyze (Debian package "systemd"):
#   - `systemd-analyze verify` must print nothing (the binary path is pointed at a stub, since
#     /usr/local/bin/equoria does not exist on a build machine),
#   - `systemd-analyze security --offline=yes` must rate the sandbox at most EXPOSURE_MAX (2.0).
# Usage: deploy/systemd/check.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exposure_max="${EXPOSURE_MAX:-2.0}"
command -v systemd-analyze >/dev/null 2>&1 || { echo "check.sh: systemd-analyze not found (apt-get install systemd)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf '#!/bin/sh\nexit 0\n' >"$work/equoria"
chmod +x "$work/equoria"
sed "s#/usr/local/bin/equoria#$work/equoria#g" "$here/equoria.service" >"$work/equoria.service"

output="$(cd "$work" && systemd-analyze verify "$work/equoria.service" 2>&1)" || { echo "$output" >&2; exit 1; }
if [[ -n "$output" ]]; then
    echo "systemd-analyze verify reported:" >&2
    echo "$output" >&2
    exit 1
fi
echo "ok: systemd-analyze verify"

report="$(systemd-analyze security --offline=yes --no-pager "$work/equoria.service" 2>&1)"
score="$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p' <<<"$report")"
[[ -n "$score" ]] || { echo "$report" >&2; echo "check.sh: no exposure score found" >&2; exit 1; }
if ! awk -v s="$score" -v m="$exposure_max" 'BEGIN { exit !(s <= m) }'; then
    echo "$report" >&2
    echo "check.sh: exposure $score is above $exposure_max" >&2
    exit 1
fi
echo "ok: systemd-analyze security exposure $score (limit $exposure_max)"
