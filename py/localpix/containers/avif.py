"""AVIF: HEIF items holding AV1 images, cleaned like HEIC (_heif)."""

from __future__ import annotations

from ..options import DEFAULT_MAX_PIXELS, Keep
from ..report import Finding
from . import _heif, begins_like

TECHNIQUE = "surgery"


def detect(data: bytes) -> bool:
    return _heif.detect(data, _heif.AVIF_BRANDS)



def starts_like(data: bytes) -> bool:
    """An ISOBMFF file starts with its first box's size, then "ftyp"."""
    return len(data) > 4 and begins_like(data[4:], b"ftyp")


def inspect(data: bytes) -> tuple[int, int, list[Finding]]:
    return _heif.inspect(data, "AVIF")


def clean(data: bytes, keep: Keep, max_pixels: int = DEFAULT_MAX_PIXELS) -> bytes:
    return _heif.clean(data, "AVIF", keep, max_pixels)
