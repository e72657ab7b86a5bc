"""The container registry. Every module here has the same shape: NAME, MIME, EXTENSION,
detect(data), inspect(data) -> (width, height, findings), clean(data, keep, max_pixels)."""

from __future__ import annotations

from types import ModuleType

from ..errors import CorruptImageError, TruncatedImageError, UnsupportedFormatError
from . import avif, bmp, gif, heic, jpeg, jxl, png, tiff, webp

FORMATS: tuple[ModuleType, ...] = (jpeg, png, webp, gif, tiff, bmp, avif, heic, jxl)

# Enough of each format's signature to tell a cut-short file from a file of another kind.
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF", b"GIF8", b"II*\0", b"MM\0*", b"BM",
               b"\0\0\0\x0cJXL \r\n\x87\n", b"\xff\x0a")


def detect_format(data: bytes) -> ModuleType:
    """The module for the container `data` is in, judged by its leading bytes."""
    if not data:
        raise CorruptImageError("The file is empty (0 bytes).")
    for module in FORMATS:
        if module.detect(data):
            return module
    if len(data) < 16 and any(sig.startswith(data[: len(sig)]) for sig in _SIGNATURES):
        raise TruncatedImageError(
            f"The file is only {len(data)} bytes long: it is cut short. Try the original file."
        )
    raise UnsupportedFormatError(
        "This is not an image localpix can read. Supported: JPEG, PNG, WebP, GIF, TIFF, BMP, "
        "HEIC, AVIF, JPEG XL."
    )
