"""`clean`: remove private metadata losslessly. The pixels are never re-encoded (containers edit
the file block by block, or re-save the same pixels where the format needs it)."""

from __future__ import annotations

from ..options import DEFAULT_MAX_PIXELS, Keep
from ..registry import detect

_KEEP_DEFAULT = Keep()


def clean(data: bytes, keep: Keep = _KEEP_DEFAULT, max_pixels: int = DEFAULT_MAX_PIXELS) -> bytes:
    """`data` without the metadata `keep` does not allow, in the same format, pixels unchanged.
    Refuses images whose header declares more than `max_pixels`, before any other work."""
    return detect(data).container_module().clean(data, keep, max_pixels)
