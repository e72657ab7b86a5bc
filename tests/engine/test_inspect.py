"""`inspect`: finds what ExifTool finds (and what was planted), in plain words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.conftest import CORPUS, corpus_files, exiftool
from tests.engine.metadata_helpers import jpeg_parts

from localpix import Report, clean, detect, inspect

ALL = corpus_files("photos", "gps", "orientation", "xmp", "bad-exif", "large", "formats")
PLANTED_POSITION = "48.8584° N, 2.2945° E"


def _values(report: Report, category: str) -> list[str]:
    return [f.value for f in report.by_category(category)]  # type: ignore[arg-type]


def _decimal(dms: str) -> float:
    """ExifTool's 48 deg 51' 30.13" N -> 48.85837"""
    degrees, minutes, seconds, ref = re.match(
        r"(\d+) deg (\d+)' ([\d.]+)\" ([NSEW])", dms
    ).groups()  # type: ignore[union-attr]
    value = int(degrees) + int(minutes) / 60 + float(seconds) / 3600
    return -value if ref in "SW" else value


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp", ".tif", ".gif"])
def test_finds_the_planted_metadata(suffix: str) -> None:
    data = (CORPUS / "formats" / f"meta{suffix}").read_bytes()
    report = inspect(data)
    assert (report.format, report.width, report.height) == (
        detect(data).name, 640, 480,
    )
    assert report.format == {".jpg": "jpeg", ".tif": "tiff"}.get(suffix, suffix[1:])
    assert PLANTED_POSITION in _values(report, "location")
    assert "Jane_Doe" in _values(report, "device")
    everything = " ".join(f.value for f in report.findings)
    if suffix != ".gif":  # the GIF carries only XMP and a comment
        assert "SN123456789" in _values(report, "device")
        assert "2026:05:01 10:11:12" in _values(report, "time")
        assert "Rotate 90° clockwise (6)" in _values(report, "orientation")
    if suffix in (".jpg", ".png", ".webp", ".gif"):
        assert report.by_category("xmp")
    if suffix == ".jpg":
        assert report.by_category("iptc") and "Paris" in _values(report, "location")
    comments = {".jpg": "jpeg comment with name Jane", ".png": "taken at home",
                ".gif": "secret location"}
    if suffix in comments:
        assert comments[suffix] in everything
    for finding in report.findings:
        assert finding.label and finding.why and len(finding.value) <= 80
        assert finding.value.isprintable()


def test_finds_the_trailer_with_its_size() -> None:
    data = (CORPUS / "formats" / "trailer.jpg").read_bytes()
    _, image = jpeg_parts(data)
    trailer_size = len(data) - data.index(image) - len(image)
    (finding,) = inspect(data).by_category("trailer")
    assert finding.value.startswith(f"{trailer_size} bytes")
    assert "video" in finding.value


def test_finds_the_old_thumbnail_with_its_size() -> None:
    data = (CORPUS / "formats" / "crop_with_old_thumb.jpg").read_bytes()
    length = exiftool(data)["IFD1:ThumbnailLength"]
    (finding,) = inspect(data).by_category("thumbnail")
    assert finding.value == f"{length / 1000:.1f} KB"  # KB = 1000 bytes, as everywhere


@pytest.mark.parametrize("path", corpus_files("gps"), ids=lambda p: p.name)
def test_finds_the_gps_position(path: Path) -> None:
    data = path.read_bytes()
    tags = exiftool(data)
    lat, lon = _decimal(tags["Composite:GPSLatitude"]), _decimal(tags["Composite:GPSLongitude"])
    expected = (
        f"{abs(lat):.4f}° {'N' if lat >= 0 else 'S'}, {abs(lon):.4f}° {'E' if lon >= 0 else 'W'}"
    )
    assert expected in _values(inspect(data), "location")


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_clean_output_has_nothing_private(path: Path) -> None:
    data = path.read_bytes()
    before = inspect(data)
    assert before.findings
    if path.parent.name != "orientation":  # those carry just orientation and resolution
        assert any(f.private for f in before.findings)
    after = inspect(clean(data))
    assert (after.format, after.width, after.height) == (before.format, before.width, before.height)
    assert [f for f in after.findings if f.private] == []
    assert {f.category for f in after.findings} <= {"orientation", "color_profile"}
