"""`inspect`: what metadata an image carries, explained in plain words."""

from __future__ import annotations

from .formats import detect_format
from .formats._common import check_size
from .options import DEFAULT_MAX_PIXELS
from .report import Report


def inspect(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> Report:
    """The container format, the dimensions from its header and every piece of metadata found.
    Refuses images over `max_pixels`, as `clean` and `compress` do."""
    module = detect_format(data)
    width, height, findings = module.inspect(data)
    check_size(width, height, max_pixels)
    return Report(module.NAME, width, height, tuple(findings))
