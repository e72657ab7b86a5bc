"""Offline: the single-file build works opened from disk with no network at all, and the served
app, once visited, works again with the network off (service worker)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, BrowserType, Page, Route, expect

from conftest import CORPUS, exiftool

from .conftest import (
    ENGINE_START_TIMEOUT_MS,
    PageTraffic,
    process_and_download,
    wait_for_stored_snapshot,
)
from .proxy import LoggingProxy
from .test_app import download, row

PHOTO = CORPUS / "gps" / "DSCN0010.jpg"
LOCAL_SCHEMES = ("file:", "blob:", "data:")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(dist: Path) -> Iterator[str]:
    """scripts/serve on a port (so an origin) of our own: the service workers, caches and proxy
    entries of these tests never mix with other tests' (they attribute the proxy log by host)."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "serve"), "--no-build", "--quiet", "--port", "0"],
        stdout=subprocess.PIPE, text=True,
    )
    line = proc.stdout.readline()
    if "http://" not in line:
        proc.kill()
        pytest.fail(f"scripts/serve did not start: {line!r}")
    yield line.split("at ", 1)[1].split()[0]
    proc.terminate()
    proc.wait(timeout=10)


def wait_for_engine(page: Page) -> float:
    """Seconds until the engine is ready; fails with the page's own message otherwise."""
    started = time.monotonic()
    page.locator("body:not([data-engine='loading'])").wait_for(timeout=ENGINE_START_TIMEOUT_MS)
    state = page.locator("body").get_attribute("data-engine")
    assert state == "ready", page.locator("#engine-status").text_content()
    return time.monotonic() - started


def process_photo(page: Page, tmp_path: Path) -> bytes:
    """Process the GPS-tagged photo, save the offered download and check it has no GPS."""
    assert any(key.startswith("GPS:") for key in exiftool(PHOTO.read_bytes()))
    data = process_and_download(page, PHOTO, tmp_path / "download.jpg")
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        assert image.format == "JPEG" and image.width > 0
    tags = exiftool(data)
    leaked = sorted(key for key in tags if key.startswith("GPS:"))
    assert not leaked, f"GPS survived: {leaked}"
    return data


def damaged_copy(original: bytes, how: str) -> bytes:
    if how == "read-as-utf-8":  # as if an editor or a browser override re-declared it
        declared = b'<meta charset="windows-1252">'
        assert declared in original[:1024]
        return original.replace(declared, b'<meta charset="utf-8">', 1)
    # One flipped byte deep inside the embedded wasm (not an escape, not a block's end).
    start = original.index(b'data-path="pyodide/pyodide.asm.wasm"')
    at = next(i for i in range(start + 400_000, start + 500_000)
              if original[i] not in b"<=\r\0" and original[i] ^ 0x55 not in b"<=\r\0")
    return original[:at] + bytes([original[at] ^ 0x55]) + original[at + 1:]


@pytest.mark.parametrize("how, says", [
    ("read-as-utf-8", "reads as UTF-8, not windows-1252"),
    ("flipped-byte", "pyodide/pyodide.asm.wasm is damaged in this copy"),
])
def test_a_damaged_single_file_says_so(
    dist: Path, page: Page, tmp_path: Path, how: str, says: str,
) -> None:
    copy = tmp_path / "localpix.html"
    copy.write_bytes(damaged_copy((dist / "localpix.html").read_bytes(), how))
    page.goto(copy.as_uri())
    page.locator("body:not([data-engine='loading'])").wait_for(timeout=ENGINE_START_TIMEOUT_MS)
    assert page.locator("body").get_attribute("data-engine") == "error"
    expect(page.locator("#engine-status")).to_contain_text(says)
    expect(page.locator("#engine-status")).to_contain_text("download the single file again")


def test_single_file_works_from_disk_with_no_network(
    dist: Path, context: BrowserContext, page: Page, proxy: LoggingProxy, traffic: PageTraffic,
    tmp_path: Path,
) -> None:
    # Alone in an empty folder: no sibling file could help.
    copy = tmp_path / "usb-stick" / "localpix.html"
    copy.parent.mkdir()
    shutil.copy2(dist / "localpix.html", copy)
    attempted: list[str] = []

    def refuse_network(route: Route) -> None:
        if route.request.url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            attempted.append(route.request.url)
            route.abort()

    context.route("**/*", refuse_network)
    proxied_before = len(proxy.entries())
    page.goto(copy.as_uri())
    seconds = wait_for_engine(page)
    print(f"\nsingle file: {copy.stat().st_size / 1e6:.1f} MB, "
          f"file:// open -> engine ready {seconds:.1f} s")
    process_photo(page, tmp_path)
    # The wasm codecs load in the single file's workers too (started from blob: URLs, which once
    # left the Emscripten codecs without a base URL and silently fell back to Pillow).
    photo = row(page, PHOTO.name)
    photo.locator("details.file-report summary").click()
    expect(photo.locator(".file-report")).to_contain_text(
        "Encoded by mozjpeg 5 (wasm, with localpix's tables)")
    # An iPhone photo too: the HEIC decoder is embedded like the rest (web/decoders.js).
    page.locator("#file").set_input_files(CORPUS / "modern" / "meta.heic")
    heic = row(page, "meta.heic")
    expect(heic).to_have_attribute("data-status", "done", timeout=120_000)
    upright = download(page, heic.locator("a.row-download"), tmp_path)
    assert Image.open(upright).size == (480, 640)

    assert attempted == [], f"the single file tried the network: {attempted}"
    assert not [r.url for r in traffic.requests if not r.url.startswith(LOCAL_SCHEMES)]
    assert not [r for r in traffic.requests if r.has_body]
    # The proxy may log Chromium's own start-up traffic (Google's updater, accounts), never ours.
    ours = [e for e in proxy.entries()[proxied_before:]
            if e.is_loopback or "localpix" in e.host]
    assert ours == [], "the single file's traffic reached the proxy"


def test_after_one_visit_the_app_works_with_the_network_off(
    server: str, context: BrowserContext, page: Page, proxy: LoggingProxy, traffic: PageTraffic,
    tmp_path: Path,
) -> None:
    server_host = urlsplit(server).netloc
    proxied_before = len(proxy.entries())
    sw_urls: list[str] = []  # what the service worker itself requested
    context.on("request", lambda r: sw_urls.append(r.url) if r.service_worker else None)
    # Caches left on this origin: an older build's (to be replaced) and another app's (to keep).
    page.goto(server + "build-info.json")
    page.evaluate("""async () => {
        await caches.open("localpix / 0000000000000000");
        await caches.open("someone else's cache");
    }""")
    page.goto(server)
    wait_for_engine(page)
    # The service worker has cached every file and serves this page.
    page.locator("body[data-offline='ready']").wait_for(timeout=ENGINE_START_TIMEOUT_MS)
    version = page.locator("body").get_attribute("data-offline-version")
    assert version and re.fullmatch(r"[0-9a-f]{16}", version)
    caches = page.evaluate("async () => await caches.keys()")
    # The engine worker keeps its Python snapshot in a cache of its own (web/worker.js).
    assert sorted(caches) == sorted([f"localpix / {version}", "someone else's cache",
                                     "localpix-snapshot"])
    assert sw_urls, "the service worker's precache requests were not observed"
    # The engine's files came from what the engine worker downloaded, not a second download.
    assert not [url for url in sw_urls if url.endswith("/pyodide/pyodide.asm.wasm")], sw_urls

    wait_for_stored_snapshot(page)
    context.set_offline(True)
    offline_from = len(traffic.requests)
    started = time.monotonic()
    page.reload()
    seconds = wait_for_engine(page)
    print(f"\nservice worker: offline reload -> engine ready {time.monotonic() - started:.1f} s "
          f"(engine start {seconds:.1f} s)")
    page.locator("body[data-offline='ready']").wait_for(timeout=60_000)
    # Offline too, Python started from the snapshot the first visit stored.
    assert page.locator("body").get_attribute("data-engine-snapshot") == "loaded"
    process_photo(page, tmp_path)

    # Offline, everything the page and its workers asked for came from the service worker.
    offline = traffic.requests[offline_from:]
    assert offline, "no requests observed after the reload"
    http = [r for r in offline if r.url.startswith("http")]
    assert any(r.url.endswith("/pyodide/pyodide.asm.wasm") for r in http)
    # Nothing ever carried a body or went anywhere but the loopback server — service worker
    # included (Playwright's context events include its requests; the proxy saw what left).
    assert not [r for r in traffic.requests if r.has_body]
    hosts = {urlsplit(r.url).netloc for r in traffic.requests if r.url.startswith("http")}
    assert hosts == {server_host}, hosts
    assert {urlsplit(url).netloc for url in sw_urls} == {server_host}
    # The proxy agrees: what the page and the service worker sent went to our server, bodiless.
    # (Anything else it logged is Chromium's own traffic, e.g. its component updater.)
    ours = {r.url for r in traffic.requests} | set(sw_urls)
    entries = [e for e in proxy.entries()[proxied_before:]
               if e.url in ours or e.host == server_host]
    assert entries and {e.host for e in entries} == {server_host}
    assert not [e for e in entries if e.body_bytes], "a request carried a body"


def test_the_served_app_is_installable(
    server: str, browser_type: BrowserType, browser_type_launch_args: dict, tmp_path: Path,
) -> None:
    """Chromium's own installability check (a normal profile: incognito apps are not installable):
    a valid manifest with icons, served with a service worker that controls the page."""
    context = browser_type.launch_persistent_context(tmp_path / "profile",
                                                     **browser_type_launch_args)
    try:
        page = context.new_page()
        page.goto(server)
        page.locator("body[data-offline='ready']").wait_for(timeout=ENGINE_START_TIMEOUT_MS)
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == [] and manifest["url"].endswith("/manifest.webmanifest")
        sizes = {icon["sizes"] for icon in manifest["manifest"]["icons"]}
        assert {"192x192", "512x512"} <= sizes
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        context.close()
