"""HEIC, AVIF and JPEG XL in the page: the picker takes them, "strip only" cleans them with the
pure-Python container code (judged by ExifTool on the downloads), and compress decodes them in
the worker (web/decoders.js: AVIF by the browser itself, HEIC by libheif and JPEG XL by libjxl
from this site's dist/decoders/) into upright JPEGs; a decoder that cannot be loaded ends in a
message naming the way out, not a bug."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageChops, ImageOps, ImageStat
from playwright.sync_api import BrowserContext, Page, expect

from conftest import CORPUS, exiftool

from .conftest import PageTraffic
from .proxy import LoggingProxy
from .test_app import download, leaks, row, wait_finished
from .test_ux import open_compare
from .test_zero_upload import wait_for_engine

FILES = [CORPUS / "modern" / name for name in ("meta.heic", "meta.avif", "meta.jxl")]


def test_strip_only_cleans_them_in_the_page(page: Page, server: str, tmp_path: Path) -> None:
    page.goto(server)
    wait_for_engine(page)
    page.locator("#mode-clean").check()
    page.locator("#file").set_input_files(FILES)
    wait_finished(page, len(FILES), timeout=300_000)
    for path in FILES:
        r = row(page, path.name)
        expect(r).to_have_attribute("data-status", "done")
        expect(r).to_contain_text("location")  # the report names what was found
        cleaned = download(page, r.locator("a.row-download"), tmp_path)
        assert cleaned.name == path.name
        data = cleaned.read_bytes()
        assert leaks(data) == [] and b"Jane_Doe" not in data and len(data) < path.stat().st_size


def test_compressing_without_a_decoder_says_what_to_do(
    page: Page, context: BrowserContext, server: str
) -> None:
    context.route("**/decoders/libheif.wasm", lambda route: route.abort())
    page.goto(server)
    wait_for_engine(page)
    page.locator("#file").set_input_files(FILES[0])
    wait_finished(page, 1, timeout=300_000)
    r = row(page, "meta.heic")
    expect(r).to_have_attribute("data-status", "error")
    message = r.locator(".file-error").text_content() or ""
    assert "Strip only" in message and "could not be loaded" in message, message
    assert "bug" not in message.lower(), message


def test_avif_is_decoded_by_the_browser_and_comes_out_upright(
    page: Page, server: str, tmp_path: Path
) -> None:
    page.goto(server)
    wait_for_engine(page)
    page.locator("#keep-date-taken").check()
    page.locator("#file").set_input_files(FILES[1])
    wait_finished(page, 1, timeout=300_000)
    r = row(page, "meta.avif")
    expect(r).to_have_attribute("data-status", "done")
    result = download(page, r.locator("a.row-download"), tmp_path)
    assert result.name == "meta.jpg"
    data = result.read_bytes()
    assert leaks(data) == []
    assert exiftool(data)["ExifIFD:DateTimeOriginal"] == "2026:05:01 10:11:12"  # kept, as asked
    assert b"Jane_Doe" not in data
    image = Image.open(io.BytesIO(data)).convert("RGB")
    # meta.avif says "rotate 90° clockwise" with irot: upright, it matches the JPEG turned by
    # its EXIF tag.
    reference = ImageOps.exif_transpose(Image.open(CORPUS / "formats" / "meta.jpg")).convert("RGB")
    assert image.size == reference.size == (480, 640)
    assert max(ImageStat.Stat(ImageChops.difference(image, reference)).mean) < 6
    expect(page.locator("#net-meter")).to_have_attribute("data-requests", "0")


def test_heic_and_jpeg_xl_are_decoded_in_the_page_and_come_out_upright(
    page: Page, server: str, tmp_path: Path, traffic: PageTraffic, proxy: LoggingProxy
) -> None:
    first_entry = len(proxy.entries())
    page.goto(server)
    ready_at = wait_for_engine(page)
    page.locator("#keep-date-taken").check()
    page.locator("#file").set_input_files([FILES[0], FILES[2]])
    wait_finished(page, 2, timeout=300_000)
    # meta.heic turns its picture with irot, meta.jxl with its EXIF tag: both come out upright.
    reference = ImageOps.exif_transpose(Image.open(CORPUS / "formats" / "meta.jpg")).convert("RGB")
    for name in ("meta.heic", "meta.jxl"):
        r = row(page, name)
        expect(r).to_have_attribute("data-status", "done")
        result = download(page, r.locator("a.row-download"), tmp_path)
        assert result.name == "meta.jpg"
        data = result.read_bytes()
        assert leaks(data) == [] and b"Jane_Doe" not in data
        assert exiftool(data)["ExifIFD:DateTimeOriginal"] == "2026:05:01 10:11:12"
        image = Image.open(io.BytesIO(data)).convert("RGB")
        assert image.size == reference.size == (480, 640)
        assert max(ImageStat.Stat(ImageChops.difference(image, reference)).mean) < 6
    meter = page.locator("#net-meter")
    expect(meter).to_have_attribute("data-requests", "0")  # the decoders are counted apart
    assert int(meter.get_attribute("data-decoder-requests") or 0) >= 4  # 2 files per decoder
    expect(page.locator("#net-engines")).to_contain_text("image decoders for this file type")
    # Browsers can't show HEIC: the compare view shows the engine's upright PNG of the original.
    open_compare(page, "meta.heic")
    page.wait_for_function("() => document.querySelector('#compare-before').naturalWidth === 480")
    expect(page.locator("#compare-note")).not_to_contain_text("can't display")
    # The zero-upload proof with the decoders loading: after "ready", the page asked for nothing
    # but this site's decoder and codec files (and the service-worker update check), by bodiless
    # GETs; it never sent a body nor talked to another host.
    entries = proxy.entries()[first_entry:]
    mine = [e for e in entries if e.url.startswith(server)]
    after = [e for e in mine if e.time >= ready_at]
    assert any("/decoders/" in e.url for e in mine)  # by the worker, or the offline copy
    assert all(e.method == "GET" and not e.body_bytes for e in mine)
    assert all(e.url.startswith((server + "decoders/", server + "codecs/"))  # the JPEG's codec
               or e.url in {server + "sw.js", server + "precache.js"}
               for e in after), [e.url for e in after]
    assert not [r for r in traffic.requests if r.has_body]
    assert all(r.url.startswith((server, "blob:", "data:")) for r in traffic.requests)
