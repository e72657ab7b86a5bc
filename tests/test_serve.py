"""scripts/serve serves dist/ as a careful static host: the precompressed copy the client accepts,
an ETag with 304, and caching headers; clients that accept no coding get the plain files."""

from __future__ import annotations

import functools
import gzip
import http.client
import http.server
import runpy
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import brotli
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dist() -> Path:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build"), "--if-stale"], check=True)
    return ROOT / "dist"


@pytest.fixture(scope="module")
def host(dist: Path) -> Iterator[tuple[str, int]]:
    serve = runpy.run_path(str(ROOT / "scripts" / "serve"))
    handler = functools.partial(serve["Handler"], directory=str(dist))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.quiet = True  # type: ignore[attr-defined]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[:2]
    httpd.shutdown()
    httpd.server_close()


def get(host: tuple[str, int], path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(*host, timeout=30)
    connection.request("GET", path, headers={k.replace("_", "-"): v for k, v in headers.items()})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


@pytest.mark.parametrize(("accept", "coding", "decode"), [
    ("gzip, deflate, br", "br", brotli.decompress),
    ("gzip, deflate", "gzip", gzip.decompress),
    ("br;q=0, gzip", "gzip", gzip.decompress),
    ("", None, bytes),
])
def test_each_client_gets_the_coding_it_accepts(
    host: tuple[str, int], dist: Path, accept: str, coding: str | None, decode: object
) -> None:
    for path in ("/pyodide/pyodide.asm.wasm", "/app.js", "/"):
        status, headers, body = get(host, path, Accept_Encoding=accept)
        assert status == 200
        assert headers.get("content-encoding") == coding, path
        assert headers["vary"] == "Accept-Encoding"
        plain = (dist / (path.strip("/") or "index.html")).read_bytes()
        assert decode(body) == plain, path  # type: ignore[operator]
        assert int(headers["content-length"]) == len(body)
        if coding:
            assert len(body) < len(plain) * 0.8, path
    assert headers["content-type"].startswith("text/html")


def test_etags_revalidate_and_versioned_wheels_are_immutable(host: tuple[str, int]) -> None:
    _, headers, _ = get(host, "/index.html", Accept_Encoding="gzip")
    assert headers["cache-control"] == "no-cache"
    status, again, body = get(host, "/index.html", Accept_Encoding="gzip",
                              If_None_Match=headers["etag"])
    assert (status, body) == (304, b"") and again["etag"] == headers["etag"]
    # Another coding is another representation: its own ETag, no false match.
    status, _, _ = get(host, "/index.html", If_None_Match=headers["etag"])
    assert status == 200
    _, wheel, _ = get(host, "/pyodide/pyodide-lock.json")
    assert wheel["cache-control"] == "no-cache"
    lock = get(host, "/pyodide/pyodide-lock.json")[2].decode()
    name = next(word.strip('",') for word in lock.split() if word.startswith('"numpy-'))
    _, wheel, _ = get(host, f"/pyodide/{name}")
    assert wheel["cache-control"] == "public, max-age=31536000, immutable"
    assert get(host, "/nope.js")[0] == 404
