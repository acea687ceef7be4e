#!/usr/bin/env python3
"""Serves the built web client (frontend/dist) and its run-time configuration.

    FRONTEND_HOST (127.0.0.1)  FRONTEND_PORT (3000)  FRONTEND_DIST (frontend/dist)
    POSTS_URL, COMMENTS_URL, QUERY_URL, MODERATION_URL: where the page should find the services
    LAB_URL: the lab controller, when something (`make run`) serves one

`/config.json` is answered from those variables (any left unset keeps the page's
default port), not written into dist/, so one build can be served for `make run` and, at
the same time, for a test whose services are on random ports. Everything else is a static
file, with `application/wasm` for the WebAssembly (browsers refuse to stream-compile it
otherwise). Stops cleanly on Ctrl-C or SIGTERM.

Only the Python standard library: nothing to install.
"""

import json
import os
import signal
import sys
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CONFIG_KEYS = {"posts": "POSTS_URL", "comments": "COMMENTS_URL", "query": "QUERY_URL",
               "moderation": "MODERATION_URL", "lab": "LAB_URL"}


def config_json() -> bytes:
    config = {key: os.environ[var] for key, var in CONFIG_KEYS.items() if os.environ.get(var)}
    return json.dumps(config).encode()


class Handler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".css": "text/css",
        ".json": "application/json",
    }

    def do_GET(self):
        if self.path.split("?", 1)[0] == "/config.json":
            body = config_json()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def end_headers(self):
        # Built assets carry a content hash in their names (Trunk.toml `filehash`), so
        # they may be cached for good; the page itself must always be asked for again.
        path = self.path.split("?", 1)[0]
        if path.endswith((".wasm", ".js", ".css")):
            self.send_header("Cache-Control", "public, max-age=31536000, immutable")
        else:
            self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format, *args):
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


def stop_like_ctrl_c(*_):
    """SIGTERM (make stop, the supervisor) stops the server the way Ctrl-C does."""
    raise KeyboardInterrupt


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    dist = Path(os.environ.get("FRONTEND_DIST", root / "dist"))
    if not (dist / "index.html").is_file():
        print(f"frontend: {dist}/index.html is missing; run `scripts/frontend.sh build` first", file=sys.stderr)
        return 1
    host = os.environ.get("FRONTEND_HOST") or "127.0.0.1"
    port = int(os.environ.get("FRONTEND_PORT") or "3000")
    server = ThreadingHTTPServer((host, port), partial(Handler, directory=str(dist)))
    server.daemon_threads = True  # an open keep-alive connection must not delay the stop

    signal.signal(signal.SIGTERM, stop_like_ctrl_c)
    configured = json.loads(config_json()) or "defaults (ports 4000, 4001, 4002)"
    print(f"frontend: serving {dist} on http://{host}:{server.server_address[1]}  services: {configured}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    print("frontend: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
