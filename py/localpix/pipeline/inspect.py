"""`inspect`: what metadata an image carries, explained in plain words."""

from __future__ import annotations

from ..options import DEFAULT_MAX_PIXELS, check_pixels
from ..registry import detect
from ..report import Report


def inspect(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> Report:
    """The container format, the dimensions from its header and every piece of metadata found.
    Refuses images over `max_pixels`, as `clean` and `compress` do."""
    fmt = detect(data)
    width, height, findings = fmt.container_module().inspect(data)
    check_pixels(width, height, max_pixels)
    return Report(fmt.name, width, height, tuple(findings))
