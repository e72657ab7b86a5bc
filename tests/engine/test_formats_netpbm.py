"""Netpbm (PBM/PGM/PPM): the read-only format added through the registry alone. Header comments
are its metadata; ExifTool is the judge that none survive, and the raster is byte-identical."""

from __future__ import annotations

import io

import pytest
from PIL import Image

import localpix
from conftest import CORPUS, exiftool
from localpix import TruncatedImageError

SECRET = b"scanned by Jane_Doe, serial SN123456789, /home/jane/tax-2025"


def netpbm(mode: str, comment: bytes = SECRET, trailer: bytes = b"") -> bytes:
    image = Image.open(CORPUS / "formats" / "meta.png").convert(mode).resize((64, 48))
    buf = io.BytesIO()
    image.save(buf, "PPM")
    raw = buf.getvalue()
    first = raw.index(b"\n") + 1  # after the magic: a comment may stand anywhere in the header
    return raw[:first] + b"# " + comment + b"\n" + raw[first:] + trailer


def plain() -> bytes:
    return b"P3\n# " + SECRET + b"\n2 2 # a comment after the size, too\n255\n" \
        b"255 0 0  0 255 0\n0 0 255  255 255 255\n"


@pytest.mark.parametrize("data", [netpbm("RGB"), netpbm("L"), netpbm("1"), plain()],
                         ids=["ppm", "pgm", "pbm", "plain-ppm"])
def test_comments_are_reported_and_removed_with_the_raster_untouched(data: bytes) -> None:
    assert "Jane_Doe" in str(exiftool(data).get("File:Comment"))
    report = localpix.inspect(data)
    assert report.format == "netpbm"
    assert any("Jane_Doe" in f.value for f in report.by_category("comment"))
    cleaned = localpix.clean(data)
    tags = exiftool(cleaned)
    assert "File:Comment" not in tags
    assert b"Jane" not in cleaned and b"SN123" not in cleaned
    assert localpix.inspect(cleaned).findings == ()
    before, after = Image.open(io.BytesIO(data)), Image.open(io.BytesIO(cleaned))
    assert (before.mode, before.size) == (after.mode, after.size)
    assert before.tobytes() == after.tobytes()


def test_a_trailer_after_a_binary_raster_goes() -> None:
    data = netpbm("RGB", trailer=b"GPS 48.85837 N 2.294481 E")
    assert localpix.inspect(data).by_category("trailer")
    cleaned = localpix.clean(data)
    assert b"GPS" not in cleaned and len(cleaned) < len(data)


def test_compress_writes_png_since_netpbm_is_read_only() -> None:
    result = localpix.compress(netpbm("RGB"))
    assert result.format == "png" and result.data.startswith(b"\x89PNG")
    assert "File:Comment" not in exiftool(result.data)
    assert Image.open(io.BytesIO(result.data)).size == (64, 48)


def test_a_cut_short_raster_is_truncated() -> None:
    data = netpbm("RGB")
    for operation in (localpix.inspect, localpix.clean, localpix.compress):
        with pytest.raises(TruncatedImageError):
            operation(data[: len(data) - 100])


def test_the_pixel_limit_is_checked_on_the_header() -> None:
    with pytest.raises(localpix.ImageTooLargeError):
        localpix.clean(b"P6\n400000 400000\n255\n" + bytes(64))
