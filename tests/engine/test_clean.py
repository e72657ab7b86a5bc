"""`clean`: judged by ExifTool (what metadata is left) and Pillow (the pixels are unchanged)."""

from __future__ import annotations

import base64
import io
import time
from functools import cache
from pathlib import Path

import pytest
from PIL import Image
from tests.conftest import BROKEN, CORPUS, corpus_files
from tests.engine.metadata_helpers import (
    KEPT_BY,
    exiftool_many,
    frames,
    is_icc,
    jpeg_parts,
    leftover,
)

from localpix import (
    Keep,
    LocalpixError,
    TruncatedImageError,
    clean,
    inspect,
)

FILES = corpus_files("photos", "gps", "orientation", "xmp", "bad-exif", "large", "formats")
POLICIES = {
    "default": Keep(),
    "credit": Keep(copyright=True, date_taken=True),
    "nothing": Keep(orientation=False, color_profile=False),
}


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@cache
def _judged() -> dict[str, dict[str, object]]:
    """ExifTool's view of every input and of its cleaned output under every policy, in one run."""
    blobs = {}
    for path in FILES:
        data = path.read_bytes()
        blobs[_id(path)] = data
        for name, keep in POLICIES.items():
            blobs[f"{_id(path)}|{name}"] = clean(data, keep)
    return exiftool_many(blobs)


def _expected(before: dict[str, object], keep: Keep) -> set[str]:
    """The tags `keep` lets through, of those the input has. Orientation 1 is the default and
    0 is invalid: neither is worth a tag."""
    allowed = {key for flag, keys in KEPT_BY.items() if getattr(keep, flag) for key in keys}
    expected = allowed & set(leftover(before))
    if str(before.get("IFD0:Orientation", "")).startswith(("Horizontal (normal)", "Unknown")):
        expected.discard("IFD0:Orientation")
    return expected


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("path", FILES, ids=_id)
def test_only_what_keep_allows_survives(path: Path, policy: str) -> None:
    before, after = _judged()[_id(path)], _judged()[f"{_id(path)}|{policy}"]
    keep = POLICIES[policy]
    assert leftover(before), "every corpus file carries metadata"
    survived = leftover(after)
    expected = _expected(before, keep)
    assert set(survived) == expected
    assert {key: before[key] for key in expected} == survived
    has_icc = any(is_icc(key) for key in before)
    assert any(is_icc(key) for key in after) == (has_icc and keep.color_profile)


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_pixels_and_compressed_data_are_unchanged(path: Path) -> None:
    data = path.read_bytes()
    out = clean(data)
    assert len(out) < len(data)
    assert frames(out) == frames(data)
    if path.suffix == ".jpg":
        assert jpeg_parts(out) == jpeg_parts(data)
    with Image.open(io.BytesIO(data)) as before, Image.open(io.BytesIO(out)) as after:
        if "icc_profile" in before.info:
            assert after.info["icc_profile"] == before.info["icc_profile"]


@pytest.mark.parametrize("path", corpus_files("orientation"), ids=_id)
def test_orientation_survives_alone(path: Path) -> None:
    before, after = _judged()[_id(path)], _judged()[f"{_id(path)}|default"]
    if path.stem in ("Landscape_0", "Landscape_1"):  # no tag / invalid 0 / 1: all mean "upright"
        assert "IFD0:Orientation" not in after
    else:
        assert after["IFD0:Orientation"] == before["IFD0:Orientation"]
    assert set(leftover(after)) <= {"IFD0:Orientation"}
    assert not [key for key in after if key.startswith(("ExifIFD:", "GPS:", "IFD1:"))]


def test_old_thumbnail_is_gone() -> None:
    data = (CORPUS / "formats" / "crop_with_old_thumb.jpg").read_bytes()
    before = _judged()["formats/crop_with_old_thumb.jpg"]
    thumbnail = base64.b64decode(str(before["IFD1:ThumbnailImage"]).removeprefix("base64:"))
    assert len(thumbnail) > 1000 and thumbnail in data
    out = clean(data)
    assert thumbnail not in out
    after = _judged()["formats/crop_with_old_thumb.jpg|default"]
    assert not [key for key in after if "Thumbnail" in key or "Preview" in key]


def test_trailer_is_gone() -> None:
    data = (CORPUS / "formats" / "trailer.jpg").read_bytes()
    _, image = jpeg_parts(data)
    trailer = data[data.index(image) + len(image) :]
    assert b"TRAILER" in trailer and len(trailer) > 20
    out = clean(data)
    assert b"TRAILER" not in out and trailer not in out
    assert out.endswith(image)


@pytest.mark.parametrize("name", BROKEN)
@pytest.mark.parametrize("function", [clean, inspect], ids=["clean", "inspect"])
def test_broken_files_fail_cleanly_and_fast(name: str, function: object) -> None:
    data = (CORPUS / "broken" / name).read_bytes()
    start = time.perf_counter()
    with pytest.raises(BROKEN[name]) as error:
        function(data)  # type: ignore[operator]
    assert time.perf_counter() - start < 0.5
    assert len(str(error.value)) > 20


def test_truncated_jpeg_is_reported_as_truncated() -> None:
    data = (CORPUS / "photos" / "Canon_40D.jpg").read_bytes()
    for size in (3, 30, len(data) // 2, len(data) - 2):
        with pytest.raises(TruncatedImageError):
            clean(data[:size])


def test_every_prefix_and_byte_flip_fails_only_with_localpix_errors() -> None:
    data = (CORPUS / "formats" / "meta.jpg").read_bytes()
    header_end = data.index(b"\xff\xda")
    damaged = [data[:size] for size in range(0, header_end + 40)]
    damaged += [data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1 :] for i in range(header_end)]
    for sample in damaged:
        try:
            clean(sample)
            inspect(sample)
        except LocalpixError:
            pass
