"""JPEG segment surgery on hand-built files: progressive scans with restart markers, fill bytes,
CMYK with Adobe APP14, MPO secondary images, JFIF thumbnails, extended XMP, unknown APPn."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image, ImageDraw
from tests.conftest import exiftool, metadata_tags
from tests.engine.metadata_helpers import frames, jpeg_parts, leftover

from localpix import CorruptImageError, Keep, TruncatedImageError, clean, inspect


def _picture(mode: str = "RGB", size: tuple[int, int] = (96, 64)) -> Image.Image:
    image = Image.new(mode, size)
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 8):
        draw.line((x, 0, size[0] - x, size[1]), fill=(x * 2, 255 - x, x % 64, 0)[: len(mode)])
    return image


def _jpeg(image: Image.Image, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **options)
    return buffer.getvalue()


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _insert(data: bytes, *segments: bytes) -> bytes:
    """`segments` right after SOI."""
    return data[:2] + b"".join(segments) + data[2:]


def test_progressive_scans_restart_markers_and_fill_bytes() -> None:
    exif = Image.Exif()
    exif[0x010F] = "Pixelphone"
    exif[0x0112] = 3
    data = _jpeg(_picture(), progressive=True, restart_marker_blocks=2, exif=exif.tobytes())
    assert data.count(b"\xff\xda") > 3 and b"\xff\xdd" in data  # several scans, DRI
    assert any(bytes([0xFF, rst]) in data for rst in range(0xD0, 0xD8))
    # Fill bytes may precede any marker: between header segments and before EOI.
    dqt = data.index(b"\xff\xdb")
    data = data[:dqt] + b"\xff\xff\xff" + data[dqt:-2] + b"\xff\xff\xff\xd9"
    data = _insert(data, _segment(0xFE, b"made by Jane"))
    out = clean(data)
    assert frames(out) == frames(data)
    assert jpeg_parts(out) == jpeg_parts(data)
    assert leftover(exiftool(out)) == {"IFD0:Orientation": "Rotate 180"}
    assert b"Jane" not in out and b"Pixelphone" not in out


def test_cmyk_keeps_adobe_segment() -> None:
    data = _jpeg(_picture("CMYK"))
    assert b"Adobe" in data
    out = clean(_insert(data, _segment(0xFE, b"comment")))
    assert b"Adobe" in out and b"comment" not in out
    assert frames(out) == frames(data)


def test_mpo_secondary_images_are_dropped() -> None:
    first, second = _picture(), _picture().rotate(90)
    buffer = io.BytesIO()
    first.save(buffer, "MPO", save_all=True, append_images=[second])
    data = buffer.getvalue()
    assert any(key.startswith("MPF") for key in exiftool(data))
    findings = inspect(data).by_category("thumbnail")
    assert [f.label for f in findings] == ["Extra embedded images (MPF)"]
    assert findings[0].value.startswith("1 images")
    out = clean(data)
    assert not any(key.startswith("MPF") for key in exiftool(out))
    assert out.count(b"\xff\xd8") == 1
    with Image.open(io.BytesIO(out)) as image:
        assert getattr(image, "n_frames", 1) == 1
    assert frames(out) == frames(data)[:1]


def test_jfif_thumbnail_is_dropped_and_jfif_kept() -> None:
    data = _jpeg(_picture())
    assert data[2:4] == b"\xff\xe0"
    jfif_end = 4 + struct.unpack(">H", data[4:6])[0]
    thumbnail = bytes(range(12))  # 2x2 RGB
    jfif = _segment(0xE0, b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x02\x02" + thumbnail)
    data = data[:2] + jfif + data[jfif_end:]
    assert "JFIF:ThumbnailTIFF" in exiftool(data)
    assert inspect(data).by_category("thumbnail")
    out = clean(data)
    assert out[2:6] == b"\xff\xe0\x00\x10"
    assert "JFIF:JFIFVersion" in exiftool(out)
    assert not [key for key in exiftool(out) if "Thumbnail" in key]
    assert frames(out) == frames(data)


def test_extended_xmp_photoshop_and_unknown_segments_go() -> None:
    data = _insert(
        _jpeg(_picture()),
        _segment(0xE1, b"http://ns.adobe.com/xmp/extension/\0" + b"0" * 40 + b"<x>secret</x>"),
        _segment(0xEB, b"JP\0\0jumbf c2pa claim by Jane"),
        _segment(0xEC, b"Ducky\0\0\0"),
    )
    labels = {f.label for f in inspect(data).findings}
    assert {"Extended XMP", "Unknown APP11 block (JP)", "Unknown APP12 block (Ducky)"} <= labels
    out = clean(data)
    assert b"secret" not in out and b"Jane" not in out and b"Ducky" not in out
    assert metadata_tags(exiftool(out)).keys() <= {
        "JFIF:JFIFVersion", "JFIF:ResolutionUnit", "JFIF:XResolution", "JFIF:YResolution",
    }


def test_icc_profile_chunks_follow_the_keep_flag() -> None:
    profile = bytes(range(256)) * 300  # 76,800 bytes: needs two APP2 chunks
    data = _jpeg(_picture(), icc_profile=profile)
    assert data.count(b"ICC_PROFILE\0") == 2
    with Image.open(io.BytesIO(clean(data))) as image:
        assert image.info["icc_profile"] == profile
    assert b"ICC_PROFILE" not in clean(data, Keep(color_profile=False))


@pytest.mark.parametrize(
    ("damage", "error"),
    [
        (lambda d: d[:2] + b"\xff\xe1\x00\x01" + d[2:], CorruptImageError),  # length < 2
        (lambda d: d[:2] + b"\xff\xe1\xff\xf0" + d[2:40], TruncatedImageError),  # past the end
        (lambda d: d[:20] + b"garbage" + d[20:], CorruptImageError),  # after APP0
        (lambda d: d[: d.index(b"\xff\xda")] + b"\xff\xd9", CorruptImageError),  # no scan
        (lambda d: d[:-2], TruncatedImageError),  # no EOI
        (lambda d: d.replace(b"\xff\xc0", b"\xff\xfe", 1), CorruptImageError),  # no frame
    ],
)
def test_damaged_structure(damage: object, error: type[Exception]) -> None:
    data = damage(_jpeg(_picture()))  # type: ignore[operator]
    with pytest.raises(error):
        clean(data)
    with pytest.raises(error):
        inspect(data)
