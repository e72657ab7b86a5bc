"""AVIF: HEIF items holding AV1 images, cleaned like HEIC (_heif)."""

from __future__ import annotations

from ..options import DEFAULT_MAX_PIXELS, Keep
from ..report import Finding
from . import _heif

NAME = "avif"
MIME = "image/avif"
EXTENSION = ".avif"


def detect(data: bytes) -> bool:
    return _heif.detect(data, _heif.AVIF_BRANDS)


def inspect(data: bytes) -> tuple[int, int, list[Finding]]:
    return _heif.inspect(data, "AVIF")


def clean(data: bytes, keep: Keep, max_pixels: int = DEFAULT_MAX_PIXELS) -> bytes:
    return _heif.clean(data, "AVIF", keep, max_pixels)
