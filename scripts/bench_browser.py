"""The benchmark's browser side: a loopback server for the bench page, dist/ and the test images
(outputs come back by POST), and the Playwright session in Debian Chromium."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


class Store:
    """Images served at /img/<name>; outputs POSTed to /out/<key>."""

    def __init__(self) -> None:
        self.images: dict[str, bytes] = {}
        self.outputs: dict[str, bytes] = {}
        self.lock = threading.Lock()


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".json": "application/json",
        ".whl": "application/zip",
        ".zip": "application/zip",
    }
    store: Store

    def end_headers(self) -> None:
        # As scripts/serve: revalidate every time (so "warm" means HTTP 304s + Chromium's caches).
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def translate_path(self, path: str) -> str:
        # Only the bench page and dist/ are served from the checkout.
        clean = unquote(path.split("?", 1)[0])
        if not (clean.startswith("/bench/") or clean.startswith("/dist/")):
            return str(ROOT / "nonexistent")
        return super().translate_path(path)

    def do_GET(self) -> None:
        if self.path.startswith("/img/"):
            name = unquote(self.path[len("/img/"):].split("?", 1)[0])
            data = self.store.images.get(name)
            if data is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        super().do_GET()

    def do_POST(self) -> None:
        if not self.path.startswith("/out/"):
            self.send_error(404)
            return
        key = unquote(self.path[len("/out/"):])
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        with self.store.lock:
            self.store.outputs[key] = body
        self.send_response(204)
        self.end_headers()


@contextlib.contextmanager
def serve(store: Store) -> Iterator[str]:
    handler = functools.partial(type("BoundHandler", (Handler,), {"store": store}),
                                directory=str(ROOT))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


LAUNCH_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-extensions"]


def open_page(browser, base: str, timeout_ms: int = 300_000):  # type: ignore[no-untyped-def]
    """A fresh context (empty HTTP cache) with the bench page loaded."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.goto(f"{base}/bench/index.html")
    page.wait_for_function("window.benchReady === true")
    return context, page
