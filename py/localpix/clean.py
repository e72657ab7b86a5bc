"""`clean`: remove private metadata losslessly. The pixels are never re-encoded (JPEG, PNG, WebP
and GIF are edited block by block); TIFF and BMP are re-saved losslessly."""

from __future__ import annotations

from .formats import detect_format
from .options import DEFAULT_MAX_PIXELS, Keep

_KEEP_DEFAULT = Keep()


def clean(data: bytes, keep: Keep = _KEEP_DEFAULT, max_pixels: int = DEFAULT_MAX_PIXELS) -> bytes:
    """`data` without the metadata `keep` does not allow, in the same format, pixels unchanged.
    Refuses images whose header declares more than `max_pixels`, before any other work."""
    return detect_format(data).clean(data, keep, max_pixels)
