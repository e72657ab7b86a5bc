"""The privacy proof: in real Chromium, processing a photo sends nothing anywhere, and the page's
Content-Security-Policy refuses an upload even if code tried one."""

from __future__ import annotations

import http.server
import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from conftest import CORPUS, exiftool
from test_precache import read_precache

from .conftest import ENGINE_START_TIMEOUT_MS, PageTraffic, process_and_download
from .proxy import LoggingProxy

PHOTO = CORPUS / "gps" / "DSCN0010.jpg"
PRIVATE_TAG_NAMES = {"SerialNumber", "InternalSerialNumber", "LensSerialNumber", "OwnerName",
                     "CameraOwnerName", "Artist", "Make", "Model", "UniqueCameraModel"}


def wait_for_engine(page: Page) -> float:
    page.locator("body:not([data-engine='loading'])").wait_for(timeout=ENGINE_START_TIMEOUT_MS)
    ready_at = time.monotonic()
    state = page.locator("body").get_attribute("data-engine")
    assert state == "ready", page.locator("#engine-status").text_content()
    return ready_at


def test_processing_a_photo_sends_nothing(
    page: Page, server: str, proxy: LoggingProxy, traffic: PageTraffic, tmp_path: Path,
    dist: Path,
) -> None:
    server_host = urlsplit(server).netloc
    # The proxy serves the whole session: judge only what was logged from here on.
    first_entry = len(proxy.entries())
    page.goto(server)
    ready_at = wait_for_engine(page)
    assert PHOTO.is_file(), f"corpus photo missing: {PHOTO}"
    exif_before = exiftool(PHOTO.read_bytes())
    assert any(key.startswith("GPS:") for key in exif_before), "the test photo must carry GPS"

    data = process_and_download(page, PHOTO, tmp_path / "download.jpg", timeout_ms=60_000)
    time.sleep(1.0)  # anything sent just after the download would still show up

    # The result is a valid JPEG without the private metadata, judged by ExifTool.
    assert data[:3] == b"\xff\xd8\xff", "download is not a JPEG"
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        assert image.format == "JPEG" and image.width > 0
    tags = exiftool(data)
    leaked = sorted(key for key in tags
                    if key.startswith(("GPS:", "XMP")) or key.split(":")[-1] in PRIVATE_TAG_NAMES)
    assert not leaked, f"private metadata survived in the browser's output: {leaked}"

    entries = proxy.entries()[first_entry:]
    page_urls = {r.url for r in traffic.requests if r.url.startswith("http")}
    # Attribute the proxy log: the page's traffic (document, workers) is what Playwright saw it
    # ask for, and everything addressed to our server; the rest is Chromium's own (component
    # updater POST and accounts.google.com tunnels, retried with backoff even well after start).
    page_entries = [e for e in entries if e.url in page_urls or e.host == server_host]
    browser_own = [e for e in entries if e not in page_entries]

    # 1. The proxy saw all of the page's traffic, and the page's traffic is all it saw for our
    # server: nothing slipped past the log, nothing hid from Playwright.
    assert {e.url for e in page_entries} == page_urls
    assert any(url.endswith(".wasm") for url in page_urls), "worker traffic was not observed"
    # 2. No page request at all between "engine ready" and a second after the saved download.
    # The exceptions, bodiless GETs from our server: Chromium's own service-worker update check
    # (sw.js and the precache list it imports), which it runs ~1 s after a controlled page
    # starts a worker; the wasm codec the job uses (dist/codecs/), loaded on first use; and the
    # offline copy of what the engine did not need to start (codecs, image decoders), which the
    # service worker fetches once the engine is ready. The meter shows each of those apart.
    update_check = {server + "sw.js", server + "precache.js"}
    on_first_use = {server + path for path in read_precache(dist)["later"]
                    if path.startswith(("codecs/", "decoders/"))}

    def allowed(e) -> bool:  # type: ignore[no-untyped-def]
        return e.method == "GET" and not e.body_bytes and e.url in update_check | on_first_use

    during = [e for e in page_entries if e.time >= ready_at and not allowed(e)]
    assert not during, f"the page made requests after the engine was ready: {during}"
    codec_files = [e for e in page_entries if e.url.startswith(server + "codecs/")]
    # The JPEG came from mozjpeg in wasm (its SIMD build: Chromium validates it), loaded from our
    # server.
    assert {"mozjpeg_simd.js", "mozjpeg_simd.wasm"} <= {e.url.rsplit("/", 1)[1]
                                                        for e in codec_files}
    page.locator("#files details.file-report summary").first.click()
    expect(page.locator("#files .file-report")).to_contain_text(
        "Encoded by mozjpeg 5 (wasm, with localpix's tables)")
    # Every one of those requests is on the meter, in its own line (the meter counts the
    # worker's loads even when the offline copy served them: nothing is hidden, some are extra).
    meter = page.locator("#net-meter")
    apart = [e for e in proxy.entries()[first_entry:]
             if e.host == server_host and e.time >= ready_at and e.url in on_first_use]

    def shown() -> int:
        return sum(int(meter.get_attribute(f"data-{kind}-requests") or 0)
                   for kind in ("codec", "decoder", "offline"))

    deadline = time.monotonic() + 20
    while shown() < len(apart) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert shown() >= len(apart), (shown(), [e.url for e in apart])
    # 3. The page never sent a body and never talked to any host but our loopback server.
    assert not [e for e in page_entries if e.body_bytes], "the page sent a request body"
    assert not [r for r in traffic.requests if r.has_body], "the page sent a request body"
    assert {e.host for e in page_entries} == {server_host}
    assert not [r for r in traffic.requests if not r.url.startswith(("http", "blob:", "data:"))]
    # 4. Chromium's own requests are none of the page's, go to no loopback server, and were
    # refused by the proxy: none of them reached anything.
    assert not [e for e in browser_own if e.is_loopback], browser_own
    assert not [e for e in browser_own if e.forwarded], browser_own


class _Sink(http.server.BaseHTTPRequestHandler):
    received: list[str] = []  # noqa: RUF012 (shared on purpose: the test reads it)

    def _any(self) -> None:
        type(self).received.append(f"{self.command} {self.path}")
        self.send_response(200)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()

    do_GET = do_POST = do_PUT = do_OPTIONS = _any

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def sink() -> Iterator[tuple[str, list[str]]]:
    """A second loopback server that would accept an upload, if the browser let one through."""
    _Sink.received = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/upload", _Sink.received
    httpd.shutdown()
    httpd.server_close()


def test_csp_refuses_an_upload_to_another_origin(
    page: Page, server: str, proxy: LoggingProxy, sink: tuple[str, list[str]]
) -> None:
    sink_url, received = sink
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security" in msg.text
            else None)
    page.goto(server)
    # A function (not a string expression) runs without 'unsafe-eval'; the fetch inside it is
    # still subject to the page's connect-src.
    outcome = page.evaluate(
        """async (url) => {
            try {
                await fetch(url, {method: "POST", body: "secret photo bytes", mode: "no-cors"});
                return "sent";
            } catch (error) {
                return "refused: " + error;
            }
        }""",
        sink_url,
    )
    time.sleep(0.5)
    assert outcome.startswith("refused"), f"the browser let the upload through: {outcome}"
    assert received == [], f"the other origin received: {received}"
    sink_port = urlsplit(sink_url).port
    assert not [e for e in proxy.entries() if e.host.endswith(f":{sink_port}")]
    assert any("connect-src" in text for text in violations), violations


def test_page_and_server_declare_the_same_strict_policy(dist: Path) -> None:
    import re
    import runpy

    html = (dist / "index.html").read_text()
    meta = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert meta, "index.html has no CSP meta tag"
    served = runpy.run_path(str(Path(__file__).resolve().parents[2] / "scripts" / "serve"))["CSP"]
    # frame-ancestors only works as a header, so the header may add it; all else must agree.
    header = {d.strip() for d in served.split(";")} - {"frame-ancestors 'none'"}
    assert header == {d.strip() for d in meta.group(1).split(";")}
    for directive in ("script-src 'self' 'wasm-unsafe-eval'", "connect-src 'self'",
                      "form-action 'none'", "default-src 'none'", "worker-src 'self'",
                      "require-trusted-types-for 'script'", "trusted-types localpix"):
        assert directive in header
    assert "unsafe-eval'" not in served.replace("wasm-unsafe-eval", "")
    assert "http" not in served, "no outside origin may appear in the policy"
