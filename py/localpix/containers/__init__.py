"""Containers: one module per file format, all of the same shape (`Container`). Each reads and
rewrites only its own structure; what the metadata blocks inside mean is localpix.metadata's.

Two techniques clean a file: byte surgery (JPEG, PNG, WebP, GIF: blocks are dropped or rebuilt,
the coded image data is copied byte for byte) and a lossless re-save (TIFF, BMP: Pillow writes
the same pixels again without the metadata)."""

from __future__ import annotations

from typing import Literal, Protocol

from ..options import Keep
from ..report import Finding

Technique = Literal["surgery", "resave"]


class Container(Protocol):
    TECHNIQUE: Technique

    def detect(self, data: bytes) -> bool:
        """Whether `data` is in this container (the one signature check for the format)."""
        ...

    def starts_like(self, data: bytes) -> bool:
        """Whether a file too short to detect begins like this format (so it is cut short)."""
        ...

    def inspect(self, data: bytes) -> tuple[int, int, list[Finding]]:
        """(width, height, findings) from the header and every metadata block."""
        ...

    def clean(self, data: bytes, keep: Keep, max_pixels: int) -> bytes:
        """The same image without the metadata `keep` does not allow."""
        ...


def begins_like(data: bytes, *magics: bytes) -> bool:
    """Whether `data` is a prefix of (or starts with) one of the format's magic numbers."""
    return any(magic.startswith(data[: len(magic)]) for magic in magics)
