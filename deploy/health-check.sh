#!/usr/bin/env bash
# Health checks of a running Equoria server (/ping, /health; see README, "HTTP API").
#
# Usage: deploy/health-check.sh [BASE_URL]       default BASE_URL: http://localhost:3000
#   1. GET /health answers 200
#   2. GET /api answers (2xx)
#   3. /health reports "database": "connected"
# Exits 0 when all pass, 1 with a message naming the failed check otherwise.
# Environment: HEALTH_CHECK_TIMEOUT (seconds per request, default 5).
# Uses jq to read the JSON when it is installed, a sed fallback otherwise.
set -euo pipefail

base_url="${1:-http://localhost:3000}"
base_url="${base_url%/}"
timeout="${HEALTH_CHECK_TIMEOUT:-5}"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

command -v curl >/dev/null 2>&1 || fail "curl is not installed"

echo "Running health checks against $base_url"

# 1. /health status code (the body is kept for check 3).
body_file="$(mktemp)"
trap 'rm -f "$body_file"' EXIT
status="$(curl -sS -o "$body_file" -w '%{http_code}' --max-time "$timeout" "$base_url/health" 2>/dev/null)" || status="000"
if [[ "$status" != "200" ]]; then
    if [[ "$status" == "000" ]]; then
        fail "GET $base_url/health: no answer within ${timeout}s (server down or unreachable)"
    fi
    fail "GET $base_url/health answered $status, expected 200 ($(head -c 300 "$body_file"))"
fi
echo "ok: GET /health -> 200"

# 2. The API index answers.
if ! curl -fsS -o /dev/null --max-time "$timeout" "$base_url/api" 2>/dev/null; then
    fail "GET $base_url/api did not answer with a 2xx status"
fi
echo "ok: GET /api -> 2xx"

# 3. Database connectivity as seen by the server.
if command -v jq >/dev/null 2>&1; then
    db_status="$(jq -r '.database // empty' "$body_file" 2>/dev/null || true)"
else
    db_status="$(tr -d '\n' <"$body_file" | sed -n 's/.*"database"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')"
fi
if [[ "$db_status" != "connected" ]]; then
    fail "database check: /health reports database=\"${db_status:-<missing>}\", expected \"connected\""
fi
echo "ok: database connected"

echo "All health checks passed."
