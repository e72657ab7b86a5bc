"""Files made to attack whoever reads them: XMP entity expansion and external entities, metadata
strings that are markup, control characters, bidi overrides or a megabyte long, and headers that
declare billions of pixels. The same Python runs in the page (Pyodide)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from tests.hostile_files import (
    HIDDEN,
    billion_laughs,
    external_entity,
    gif_bomb,
    hostile_jpeg,
    hostile_png,
    jpeg_bomb,
    png_bomb,
)

from localpix import CompressOptions, ImageTooLargeError, Keep, clean, compress, inspect
from localpix.metadata.text import short, visible
from localpix.report import MAX_SHOWN, Finding


def shown(report) -> list[str]:
    return [text for f in report.findings for text in (f.label, f.value)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_billion_laughs_is_refused_in_any_encoding(encoding: str) -> None:
    report = inspect(hostile_jpeg(billion_laughs(encoding)))
    (xmp,) = [f for f in report.findings if f.label == "XMP metadata"]
    assert "not read: it declares a DTD" in xmp.value
    assert not any("lol" in text for text in shown(report))
    assert not any(f.label.endswith("(XMP)") for f in report.findings)
    # and clean drops the packet as it drops any XMP
    assert b"lol9" not in clean(hostile_jpeg(billion_laughs(encoding)), keep=Keep())


def test_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    report = inspect(hostile_jpeg(external_entity(str(secret))))
    assert not any("TOP-SECRET" in text for text in shown(report))
    assert any("not read" in f.value for f in report.findings if f.label == "XMP metadata")


@pytest.mark.parametrize("make", [hostile_jpeg, hostile_png], ids=["jpeg", "png"])
def test_hostile_strings_are_shown_as_plain_bounded_text(make) -> None:
    report = inspect(make())
    texts = shown(report)
    # every family carried the markup (EXIF, XMP, IPTC, comment / PNG text) and it is still
    # there as literal text for the page to show as text, never interpreted
    assert sum('<img src=x onerror="document.title' in t for t in texts) >= (4 if make is
                                                                               hostile_jpeg else 1)
    for text in texts:
        assert not HIDDEN & set(text), repr(text)
        assert all(unicodedata.category(c) not in ("Cc", "Cf", "Cs") for c in text), repr(text)
        assert len(text) <= 80, f"{len(text)} characters: {text[:40]!r}…"
    assert any("\ufffdgnp.exe" in t for t in texts)  # the override itself became visible


def test_hostile_metadata_is_removed_and_the_result_is_clean() -> None:
    for data in (hostile_jpeg(), hostile_png()):
        result = compress(data, CompressOptions(quality=70))
        assert not [f for f in result.after.findings if f.private]
        assert b"onerror" not in result.data and b"onerror" not in clean(data, keep=Keep())


def test_short_replaces_what_would_hide_or_reorder_text() -> None:
    assert short("photo\u202egpj.exe") == "photo\ufffdgpj.exe"
    assert short("a\u2066b\u2069c\u200fd\u061ce\ufefff") == "a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf"
    assert short("bell\x07 nul\x00 esc\x1b[31m del\x7f") == \
        "bell\ufffd nul\ufffd esc\ufffd[31m del\ufffd"  # fmt: skip
    assert short("line\nbreak\t tab\u2028sep") == "line break tab sep"
    assert short("\ud800 lone") == "\ufffd lone"
    assert short("Zoë 東京 😀 ok") == "Zoë 東京 😀 ok"  # ordinary text is untouched
    long = short("x" * 1_000_000)
    assert len(long) == 80 and long.endswith("…")
    assert visible("ok") == "ok"


def test_every_finding_is_visible_and_bounded_even_without_short() -> None:
    finding = Finding("other", "label\u202e", "v\x00" * 5000, "why")
    assert finding.label == "label\ufffd"
    assert len(finding.value) == MAX_SHOWN and "\x00" not in finding.value


@pytest.mark.parametrize("make", [gif_bomb, jpeg_bomb], ids=["gif-65535x66601", "jpeg-65500x65500"])
def test_declared_bombs_are_refused_before_decoding(make) -> None:
    data = make()
    assert len(data) < 1000
    for call in (lambda: inspect(data), lambda: clean(data, keep=Keep()),
                 lambda: compress(data, CompressOptions(quality=70))):
        with pytest.raises(ImageTooLargeError, match="decompression bomb") as caught:
            call()
        assert caught.value.pixels and caught.value.pixels > 4_000_000_000


def test_zlib_bomb_inside_the_limit_is_read_within_the_limit() -> None:
    """A PNG whose few KB of image data inflate to 36 MB: within the pixel limit it is just an
    image (decoded once, to its declared size); a lower limit refuses it before inflating."""
    data = png_bomb()
    assert len(data) < 60_000
    assert inspect(data).width == 6000
    with pytest.raises(ImageTooLargeError):
        compress(data, CompressOptions(quality=70, max_pixels=10_000_000))


@pytest.fixture
def webp_hole(monkeypatch):
    """Act as Pyodide's Pillow (libwebp 1.2.2, CVE-2023-4863) whatever Pillow runs the test."""
    from localpix.pixels import decode

    monkeypatch.setitem(decode._HOLES, "WEBP", ("webp", (99,), "CVE-2023-4863"))
    decode.known_hole.cache_clear()
    yield
    decode.known_hole.cache_clear()


def _bridge(data: bytes, request: dict) -> tuple[bytes, dict]:
    import json

    from localpix.adapters.bridge import process

    output, response = process(data, json.dumps(request))
    return output, json.loads(response)


def test_a_decoder_with_a_known_hole_never_sees_the_strangers_bytes(webp_hole) -> None:
    import io

    from PIL import Image
    from tests.conftest import CORPUS

    data = (CORPUS / "formats" / "meta.webp").read_bytes()
    # compress: refused in words, unless the page decoded the pixels (web/decoders.js)
    _, refused = _bridge(data, {"mode": "compress", "options": {"quality": 80}})
    assert not refused["ok"] and "CVE-2023-4863" in refused["error"]
    assert "Strip only" in refused["error"]
    with Image.open(io.BytesIO(data)) as im:  # stands in for the browser's decoder, which
        coded = im.convert("RGBA")  # (in Chromium) ignores a WebP's Exif orientation
    request = {"mode": "compress", "options": {"quality": 80}, "thumbnail": 64,
               "decoded": {"format": "WEBP", "width": coded.width, "height": coded.height,
                           "file_size": len(data)}}  # fmt: skip
    output, done = _bridge(data + coded.tobytes(), request)
    assert done["ok"] and done["thumbnail"].startswith("data:image/jpeg")  # our own WebP
    with Image.open(io.BytesIO(output)) as out:  # orientation 6 applied, as natively
        assert out.format == "WEBP" and out.size == (480, 640)
        assert out.getexif().get(0x0112) in (None, 1)
    # strip only: pure Python surgery, and no preview made from the stranger's coded image
    cleaned, stripped = _bridge(data, {"mode": "clean", "thumbnail": 64})
    assert stripped["ok"] and cleaned[:4] == b"RIFF" and "thumbnail" not in stripped
