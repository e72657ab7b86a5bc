"""The page's wasm codecs in Chromium: one that fails to load falls back to Pillow, the job
still succeeds, and the row says so. (test_zero_upload.py proves the loaded one is used.)"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, Route, expect

from .conftest import process_and_download
from .test_zero_upload import PHOTO, wait_for_engine


def test_a_codec_that_fails_to_load_falls_back_to_pillow(page: Page, server: str,
                                                          tmp_path: Path) -> None:
    refused: list[str] = []

    def refuse(route: Route) -> None:
        refused.append(route.request.url)
        route.fulfill(status=404, body="")

    page.context.route("**/codecs/jsquash-jpeg/*.wasm", refuse)
    page.goto(server)
    wait_for_engine(page)
    data = process_and_download(page, PHOTO, tmp_path / "out.jpg", timeout_ms=60_000)
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        assert image.format == "JPEG"
    assert any(url.endswith("mozjpeg_enc.wasm") for url in refused), "the worker asked nothing"
    page.locator("#files details.file-report summary").first.click()
    report = page.locator("#files .file-report")
    expect(report).to_contain_text("Encoded by Pillow (libjpeg).")
    expect(report).to_contain_text("mozjpeg (wasm, @jsquash/jpeg) is not loaded in this page")
