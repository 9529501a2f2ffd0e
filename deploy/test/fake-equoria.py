#!/usr/bin/env python3
"""Stand-in for the Equoria server in the script tests: answers /health, /ping and /api.

Usage: fake-equoria.py PORT TAG [MODE]
MODE: healthy (default) | degraded (/health 503, database disconnected) | nodb (/health 200 but
database disconnected) | noapi (/api 404). Exits cleanly on SIGTERM, like the real server.
"""
import http.server
import json
import signal
import sys

port, tag = int(sys.argv[1]), sys.argv[2]
mode = sys.argv[3] if len(sys.argv) > 3 else "healthy"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, code, payload):
        body = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/health":
            if mode == "degraded":
                self.reply(503, {"success": False, "status": "degraded", "database": "disconnected", "version": tag})
            elif mode == "nodb":
                self.reply(200, {"success": True, "status": "ok", "database": "disconnected", "version": tag})
            else:
                self.reply(200, {"success": True, "status": "ok", "database": "connected", "version": tag})
        elif self.path == "/ping":
            self.reply(200, {"success": True, "data": {"message": "pong"}})
        elif self.path == "/api" and mode != "noapi":
            self.reply(200, {"success": True, "data": {"name": "equoria", "version": tag}})
        else:
            self.reply(404, {"success": False, "code": "NOT_FOUND"})

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
server.serve_forever()
