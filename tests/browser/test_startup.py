"""Engine start-up from a stored Python snapshot (web/worker.js): used only when it is whole and of
this very build; anything else is ignored, deleted and replaced, and the engine still starts."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page

from conftest import CORPUS
from localpix import CompressOptions, compress

from .conftest import ENGINE_START_TIMEOUT_MS, process_and_download, wait_for_stored_snapshot

PNG = CORPUS / "formats" / "meta.png"

# Rewrites the stored snapshot in place. Its integrity headers are made to match the new bytes
# (except "truncated"), so that only the worker's own checks and Pyodide's can catch it.
TAMPER = """async (mode) => {
    const cache = await caches.open("localpix-snapshot");
    const [request] = await cache.keys();
    const response = await cache.match(request);
    let bytes = new Uint8Array(await response.arrayBuffer());
    let build = response.headers.get("x-localpix-build");
    let length = bytes.length;
    if (mode === "other-build") build = "0123456789abcdef";
    if (mode === "corrupt") bytes[0] ^= 0xff;  // the snapshot's magic number
    if (mode === "truncated") bytes = bytes.slice(0, bytes.length >> 1);
    if (mode !== "truncated") length = bytes.length;
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    const sha = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    await cache.put(request, new Response(bytes, {headers: {"x-localpix-build": build,
        "x-localpix-length": String(length), "x-localpix-sha256": sha}}));
    // A leftover of another build of this same copy, under its own key: to be cleaned up.
    if (mode === "other-build") {
        const stale = request.url.replace(/build=[^&]*/, "build=0123456789abcdef");
        const headers = {"x-localpix-build": "0123456789abcdef"};
        await cache.put(stale, new Response(bytes, {headers}));
    }
}"""


def start(page: Page) -> dict:
    """Waits for the engine; returns how it started (body data-engine-*)."""
    page.locator("body:not([data-engine='loading'])").wait_for(timeout=ENGINE_START_TIMEOUT_MS)
    body = page.locator("body")
    status = page.locator("#engine-status").text_content()
    assert body.get_attribute("data-engine") == "ready", status
    return {"snapshot": body.get_attribute("data-engine-snapshot"),
            "phases": json.loads(body.get_attribute("data-engine-phases") or "{}")}


def png_round_trip(page: Page, tmp_path: Path) -> None:
    """The restored engine really works, numpy (imported on first use) included: a PNG's
    automatic filters need it. Pixels must equal the native engine's output."""
    out = tmp_path / "out.png"
    process_and_download(page, PNG, out)
    native = compress(PNG.read_bytes(), CompressOptions()).data
    with Image.open(out) as got, Image.open(io.BytesIO(native)) as want:
        assert got.format == "PNG" and not got.info
        assert got.size == want.size and got.tobytes() == want.convert(got.mode).tobytes()


@pytest.mark.parametrize("mode", ["other-build", "corrupt", "truncated"])
def test_an_unusable_snapshot_is_replaced_and_the_engine_still_starts(
    page: Page, server: str, dist: Path, mode: str, tmp_path: Path
) -> None:
    build = json.loads((dist / "build-info.json").read_text())["build"]
    page.goto(server)
    assert start(page)["snapshot"] == "made"
    [entry] = wait_for_stored_snapshot(page)
    assert entry["build"] == build and entry["bytes"] > 1_000_000

    page.evaluate(TAMPER, mode)
    page.reload()
    assert start(page)["snapshot"] == "replaced"
    # The bad entry (and another build's) made way for a good one of this build...
    [entry] = [e for e in wait_for_stored_snapshot(page, build) if e["build"] == build]
    stored = page.evaluate(
        "async () => (await (await caches.open('localpix-snapshot')).keys()).map((r) => r.url)")
    assert stored == [entry["url"]] and f"build={build}" in entry["url"]
    # ... which the next start uses.
    page.reload()
    started = start(page)
    assert started["snapshot"] == "loaded"
    assert started["phases"]["python"] < started["phases"]["engine"]
    png_round_trip(page, tmp_path)
    # Pillow and the pipeline were imported after "ready" (the job above waited for them).
    phases = json.loads(page.locator("body").get_attribute("data-engine-phases") or "{}")
    assert phases["prepared"] > phases["engine"]
