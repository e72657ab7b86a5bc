"""The page's wasm codecs in Chromium: each one's output decodes, keeps what it must and carries
no private metadata (ExifTool); one that fails to load falls back to Pillow, the job still
succeeds, and the row says so. (test_zero_upload.py proves mozjpeg is used for a photo.)"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps
from playwright.sync_api import Page, Route, expect

from conftest import CORPUS, exiftool

from .conftest import process_and_download
from .test_zero_upload import PHOTO, PRIVATE_TAG_NAMES, wait_for_engine

PNG = CORPUS / "formats" / "meta.png"  # GPS, owner, XMP and text chunks planted


def row_report(page: Page):  # type: ignore[no-untyped-def]
    page.locator("#files details.file-report summary").first.click()
    return page.locator("#files .file-report")


def private(data: bytes) -> list[str]:
    return sorted(key for key in exiftool(data)
                  if key.startswith(("GPS:", "XMP")) or key.split(":")[-1] in PRIVATE_TAG_NAMES)


def upright_pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return ImageOps.exif_transpose(image).convert("RGBA").tobytes()


def process_with_codec_blocked(page: Page, server: str, folder: str, source: Path, out: Path,
                               out_format: str | None = None) -> tuple[bytes, list[str]]:
    """`source` processed (as `out_format`, else the default) while dist/codecs/FOLDER/'s wasm
    files answer 404; returns the output and the URLs refused."""
    refused: list[str] = []

    def refuse(route: Route) -> None:
        refused.append(route.request.url)
        route.fulfill(status=404, body="")

    page.context.route(f"**/codecs/{folder}/*.wasm", refuse)
    page.goto(server)
    wait_for_engine(page)
    if out_format:
        page.locator("#format").select_option(out_format)
    return process_and_download(page, source, out, timeout_ms=60_000), refused


def test_a_codec_that_fails_to_load_falls_back_to_pillow(page: Page, server: str,
                                                          tmp_path: Path) -> None:
    data, refused = process_with_codec_blocked(page, server, "mozjpeg-wasm", PHOTO,
                                               tmp_path / "out.jpg")
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        assert image.format == "JPEG"
    # Chromium validates SIMD: the worker asked for that build
    assert any(url.endswith("/mozjpeg_simd.wasm") for url in refused), "the worker asked nothing"
    page.locator("#files details.file-report summary").first.click()
    report = page.locator("#files .file-report")
    expect(report).to_contain_text("Encoded by Pillow (libjpeg).")
    expect(report).to_contain_text(
        "mozjpeg 5 (wasm, with localpix's tables) is not loaded in this page")


def test_oxipng_deflates_the_pages_png_losslessly(page: Page, server: str, tmp_path: Path
                                                  ) -> None:
    codec_files: list[str] = []
    page.on("request", lambda r: codec_files.append(r.url) if "/codecs/" in r.url else None)
    page.goto(server)
    wait_for_engine(page)
    data = process_and_download(page, PNG, tmp_path / "out.png", timeout_ms=60_000)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    # The same pixels as the original (turned upright), none of its private metadata.
    assert upright_pixels(data) == upright_pixels(PNG.read_bytes())
    assert private(data) == []
    assert any(url.endswith("squoosh_oxipng_bg.wasm") for url in codec_files), codec_files
    expect(row_report(page)).to_contain_text("Encoded by oxipng (wasm, @jsquash/oxipng)")


def test_oxipng_failing_to_load_leaves_the_engines_png(page: Page, server: str,
                                                       tmp_path: Path) -> None:
    data, _ = process_with_codec_blocked(page, server, "jsquash-oxipng", PNG,
                                         tmp_path / "out.png")
    assert upright_pixels(data) == upright_pixels(PNG.read_bytes())
    report = row_report(page)
    expect(report).to_contain_text("Encoded by Pillow (zlib) + localpix filters.")
    expect(report).to_contain_text("oxipng (wasm, @jsquash/oxipng)")
    expect(report).to_contain_text("is not loaded in this page")


def test_webp_is_encoded_by_the_wasm_libwebp_simd_build(page: Page, server: str,
                                                       tmp_path: Path) -> None:
    from localpix.quality import perceptual

    codec_files: list[str] = []
    page.on("request", lambda r: codec_files.append(r.url) if "/codecs/" in r.url else None)
    page.goto(server)
    wait_for_engine(page)
    page.locator("#format").select_option("webp")
    page.locator("#quality-target").select_option("80")
    data = process_and_download(page, PHOTO, tmp_path / "out.webp", timeout_ms=60_000)
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        assert image.format == "WEBP"
        out = image.convert("RGB")
    with Image.open(PHOTO) as original:
        reference = ImageOps.exif_transpose(original).convert("RGB")
    assert out.size == reference.size
    assert perceptual.ssimulacra2(reference, out) >= 79  # the target, give or take the mosaic
    assert private(data) == []
    # Chromium validates SIMD: the SIMD build, and only it, is fetched.
    webp_files = [url for url in codec_files if "/jsquash-webp/" in url]
    assert any(url.endswith("webp_enc_simd.wasm") for url in webp_files), codec_files
    assert not any(url.endswith("/webp_enc.wasm") for url in webp_files), codec_files
    expect(row_report(page)).to_contain_text("Encoded by libwebp (wasm, @jsquash/webp)")


def test_webp_falls_back_to_pillow_when_its_wasm_does_not_load(page: Page, server: str,
                                                               tmp_path: Path) -> None:
    data, _ = process_with_codec_blocked(page, server, "jsquash-webp", PHOTO,
                                         tmp_path / "out.webp", "webp")
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        assert image.format == "WEBP"
    report = row_report(page)
    expect(report).to_contain_text("Encoded by Pillow (libwebp).")
    expect(report).to_contain_text("libwebp (wasm, @jsquash/webp) is not loaded in this page")


def test_avif_is_written_in_the_page_without_private_metadata(page: Page, server: str,
                                                              tmp_path: Path) -> None:
    from localpix.quality import perceptual

    page.goto(server)
    wait_for_engine(page)
    page.locator("#format").select_option("avif")
    page.locator("#quality-target").select_option("80")
    data = process_and_download(page, PHOTO, tmp_path / "out.avif", timeout_ms=120_000)
    assert data[4:12] == b"ftypavif"
    with Image.open(io.BytesIO(data)) as image:  # the test's Pillow (>= 11.3) reads AVIF
        image.load()
        out = image.convert("RGB")
    with Image.open(PHOTO) as original:
        reference = ImageOps.exif_transpose(original).convert("RGB")
    assert out.size == reference.size
    assert perceptual.ssimulacra2(reference, out) >= 79  # the target, give or take the mosaic
    tags = exiftool(data)
    assert private(data) == [] and not any(k.startswith(("EXIF:", "IPTC:")) for k in tags)
    report = row_report(page)
    expect(report).to_contain_text("Encoded by libavif + aom (wasm, @jsquash/avif)")


def test_avif_without_its_wasm_says_why(page: Page, server: str) -> None:
    page.context.route("**/codecs/jsquash-avif/*.wasm",
                       lambda route: route.fulfill(status=404, body=""))
    page.goto(server)
    wait_for_engine(page)
    page.locator("#format").select_option("avif")
    page.locator("#file").set_input_files(PHOTO)
    expect(page.locator("#files")).to_contain_text("Writing AVIF is not available in the page",
                                                   timeout=60_000)
