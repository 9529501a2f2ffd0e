#!/usr/bin/env bash
# Validates deploy/nginx with the real nginx binary, without touching /etc/nginx:
# copies the files to a temporary prefix, points the certificate and include paths there,
# makes a throwaway self-signed certificate and runs `nginx -t` once per upstream colour.
#
# With --live it also starts that nginx on high loopback ports in front of a small echo backend
# and checks what a client and the backend see: 301 to HTTPS, HSTS once, no version banner,
# /metrics hidden, and X-Forwarded-For overwritten with the client's address.
#
# Usage: deploy/nginx/check.sh [--live]      needs nginx and openssl (+ curl, python3 for --live)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
live=0
if [[ "${1:-}" == "--live" ]]; then live=1; fi

for tool in nginx openssl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "check.sh: $tool not found on PATH" >&2; exit 1; }
done

work="$(mktemp -d)"
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    if [[ -f "$work/nginx.pid" ]]; then kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/equoria" "$work/tls" "$work/logs" "$work/tmp" "$work/acme"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=equoria.example.com" \
    -keyout "$work/tls/privkey.pem" -out "$work/tls/fullchain.pem" 2>/dev/null

# Site file with every absolute path moved under the temporary prefix.
http_port=80 https_port=443
if ((live)); then http_port=18080 https_port=18443; fi
sed -e "s#/etc/letsencrypt/live/equoria.example.com#$work/tls#g" \
    -e "s#/etc/nginx/equoria/#$work/equoria/#g" \
    -e "s#/var/log/nginx/#$work/logs/#g" \
    -e "s#/var/www/acme#$work/acme#g" \
    -e "s#listen 80;#listen 127.0.0.1:$http_port;#" \
    -e "s#listen \[::\]:80;##" \
    -e "s#listen 443 ssl http2;#listen 127.0.0.1:$https_port ssl http2;#" \
    -e "s#listen \[::\]:443 ssl http2;##" \
    "$here/equoria.conf" > "$work/equoria.conf"

cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 64; }
http {
    access_log $work/logs/access.log;
    client_body_temp_path $work/tmp/body;
    proxy_temp_path $work/tmp/proxy;
    include $work/equoria.conf;
}
CONF

for colour in blue green; do
    cp "$here/upstream-$colour.conf" "$work/equoria/upstream.conf"
    echo "== nginx -t with upstream-$colour.conf"
    nginx -t -q -e "$work/logs/error.log" -p "$work" -c "$work/nginx.conf"
done
cp "$here/upstream.conf" "$work/equoria/upstream.conf"
echo "== nginx -t with upstream.conf"
nginx -t -q -e "$work/logs/error.log" -p "$work" -c "$work/nginx.conf"

if ((live)); then
    command -v curl >/dev/null 2>&1 || { echo "check.sh: curl not found" >&2; exit 1; }
    backend_port=18300
    # Echo backend: answers every request with the request headers it received, as JSON.
    python3 - "$backend_port" >"$work/logs/backend.log" 2>&1 <<'PY' &
import http.server, json, sys
class Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Strict-Transport-Security", "max-age=1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
PY
    pids+=("$!")
    sed -e "s#127.0.0.1:3000#127.0.0.1:$backend_port#" "$here/upstream.conf" > "$work/equoria/upstream.conf"
    nginx -e "$work/logs/error.log" -p "$work" -c "$work/nginx.conf"
    for _ in $(seq 1 50); do
        curl -s -o /dev/null "http://127.0.0.1:$backend_port/" && break
        sleep 0.1
    done

    fail() { echo "check.sh --live: $*" >&2; exit 1; }
    base="https://equoria.example.com:$https_port"
    resolve=(--resolve "equoria.example.com:$https_port:127.0.0.1" --resolve "equoria.example.com:$http_port:127.0.0.1")

    code="$(curl -s -o /dev/null -w '%{http_code}' "${resolve[@]}" "http://equoria.example.com:$http_port/api")"
    [[ "$code" == "301" ]] || fail "port $http_port answered $code, expected 301"

    headers="$(curl -sk -D - -o "$work/body.json" "${resolve[@]}" \
        -H 'X-Forwarded-For: 6.6.6.6' -H 'X-Request-Id: check-123' "$base/api")"
    [[ "$(grep -ci '^strict-transport-security:' <<<"$headers")" == "1" ]] || fail "expected exactly one HSTS header"
    grep -qi '^strict-transport-security: max-age=31536000; includeSubDomains' <<<"$headers" || fail "HSTS value is wrong"
    if grep -qi '^server: nginx/' <<<"$headers"; then fail "nginx version is disclosed"; fi
    python3 - "$work/body.json" <<'PY' || fail "backend saw the wrong forwarding headers"
import json, sys
seen = json.load(open(sys.argv[1]))
assert seen.get("x-forwarded-for") == "127.0.0.1", seen
assert seen.get("x-real-ip") == "127.0.0.1", seen
assert seen.get("x-forwarded-proto") == "https", seen
assert seen.get("x-request-id") == "check-123", seen
assert seen.get("host") == "equoria.example.com", seen
PY
    code="$(curl -sk -o /dev/null -w '%{http_code}' "${resolve[@]}" "$base/metrics")"
    [[ "$code" == "404" ]] || fail "/metrics answered $code through the proxy, expected 404"
    for version in 1.2 1.3; do
        curl -sk -o /dev/null "${resolve[@]}" "--tlsv$version" --tls-max "$version" "$base/api" \
            || fail "TLS $version was refused"
    done
    for version in 1.0 1.1; do
        if curl -sk -o /dev/null "${resolve[@]}" --tlsv1.0 --tls-max "$version" "$base/api" 2>/dev/null; then
            fail "TLS $version was accepted"
        fi
    done
    echo "== live checks passed (redirect, HSTS, banner, X-Forwarded-For overwrite, /metrics, TLS versions)"
fi
echo "nginx: all checks passed"
