"""A small logging HTTP proxy. Chromium sends every request through it (loopback included), so
the log is the ground truth of what left the page. It forwards only to loopback; anything else
is logged and refused, so nothing reaches the outside even by accident."""

from __future__ import annotations

import http.client
import socketserver
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te",
              "trailers", "transfer-encoding", "upgrade"}


@dataclass(frozen=True)
class Entry:
    time: float  # time.monotonic() when the request arrived
    method: str
    url: str  # absolute URL, or host:port for CONNECT
    host: str  # host:port
    body_bytes: int  # > 0 means the browser tried to send data
    forwarded: bool  # False: refused here, nothing reached any server

    @property
    def is_loopback(self) -> bool:
        return urlsplit(f"//{self.host}").hostname in {h.strip("[]") for h in LOOPBACK_HOSTS}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LoggingProxy

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_CONNECT(self) -> None:
        self.server.record(Entry(time.monotonic(), "CONNECT", self.path, self.path, 0, False))
        # TLS tunnels would hide the traffic; the page only ever needs plain loopback HTTP.
        self.send_error(403, "localpix test proxy: tunnels refused")
        self.close_connection = True

    def _forward(self) -> None:
        body = self._body()
        parts = urlsplit(self.path)
        host = parts.netloc or self.headers.get("Host", "")
        loopback = parts.hostname in {h.strip("[]") for h in LOOPBACK_HOSTS}
        self.server.record(Entry(time.monotonic(), self.command, self.path, host, len(body),
                                 loopback))
        if not loopback:
            self.send_error(403, "localpix test proxy: only loopback is forwarded")
            self.close_connection = True
            return
        upstream = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            upstream.request(self.command, target or "/", body=body or None, headers=headers)
            response = upstream.getresponse()
            payload = response.read()
        except OSError as exc:
            self.send_error(502, f"upstream failed: {exc}")
            self.close_connection = True
            return
        finally:
            upstream.close()
        self.send_response(response.status, response.reason)
        for key, value in response.getheaders():
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _forward


class LoggingProxy(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self._lock = threading.Lock()
        self._entries: list[Entry] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def record(self, entry: Entry) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[Entry]:
        with self._lock:
            return list(self._entries)

    def __enter__(self) -> LoggingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
