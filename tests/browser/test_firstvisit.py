"""A first visit downloads each of the app's files once: the engine worker's downloads are handed
to the service worker's offline copy instead of being fetched again alongside them."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page

from .conftest import ENGINE_START_TIMEOUT_MS
from .proxy import LoggingProxy


def test_a_first_visit_fetches_each_file_once(
    page: Page, server: str, proxy: LoggingProxy, dist: Path
) -> None:
    host = urlsplit(server).netloc
    first_entry = len(proxy.entries())  # the proxy serves the whole session
    page.goto(server)
    page.locator("body[data-engine='ready']").wait_for(timeout=ENGINE_START_TIMEOUT_MS)
    # The offline copy is complete only once the service worker holds every file of the build.
    page.locator("body[data-offline='ready']").wait_for(timeout=ENGINE_START_TIMEOUT_MS)
    time.sleep(0.5)

    # Every request our server saw from this visit (page, engine worker, service worker): the
    # page is loaded as "/", which is index.html.
    entries = [e for e in proxy.entries()[first_entry:] if e.host == host]
    paths = Counter("/index.html" if urlsplit(e.url).path == "/" else urlsplit(e.url).path
                    for e in entries)
    assert {p: n for p, n in paths.items() if n > 1} == {}, "files fetched more than once"
    assert not [e for e in entries if e.method != "GET" or e.body_bytes]
    # Each of the engine's downloads was fetched, once; the offline copy holds them all without
    # a request of its own.
    info = json.loads((dist / "build-info.json").read_text())
    for path in info["download"]:
        assert paths["/" + path] == 1, path
    # The page showed the download as it arrived.
    shown = page.locator("body").get_attribute("data-engine-download")
    assert shown and int(shown) > 0
