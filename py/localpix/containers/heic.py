"""HEIC / HEIF (iPhone photos): HEIF items, cleaned by rebuilding the item tables (_heif)."""

from __future__ import annotations

from ..options import DEFAULT_MAX_PIXELS, Keep
from ..report import Finding
from . import _heif, begins_like

TECHNIQUE = "surgery"

# Every HEIF still-image brand except AVIF's (avif.py claims those first).
_BRANDS = _heif.IMAGE_BRANDS - _heif.AVIF_BRANDS


def detect(data: bytes) -> bool:
    return _heif.detect(data, _BRANDS) and not _heif.detect(data, _heif.AVIF_BRANDS)



def starts_like(data: bytes) -> bool:
    """An ISOBMFF file starts with its first box's size, then "ftyp"."""
    return len(data) > 4 and begins_like(data[4:], b"ftyp")


def inspect(data: bytes) -> tuple[int, int, list[Finding]]:
    return _heif.inspect(data, "HEIC")


def clean(data: bytes, keep: Keep, max_pixels: int = DEFAULT_MAX_PIXELS) -> bytes:
    return _heif.clean(data, "HEIC", keep, max_pixels)
