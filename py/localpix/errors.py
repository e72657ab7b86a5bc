"""One error hierarchy. Every message says what went wrong and what the user can do about it."""

from __future__ import annotations


class LocalpixError(Exception):
    """Base of every error the engine raises on purpose. Anything else is a bug."""


class UnsupportedFormatError(LocalpixError):
    """The bytes are not an image format localpix reads (or not an image at all)."""


class DecoderMissingError(UnsupportedFormatError):
    """The format is read (inspect, clean) but nothing here decodes its pixels. `pillow_format`
    and `label` name it, so a caller with a decoder of its own (the page's, web/decoders.js)
    can step in."""

    def __init__(self, message: str, pillow_format: str, label: str) -> None:
        super().__init__(message)
        self.pillow_format = pillow_format
        self.label = label


class CorruptImageError(LocalpixError):
    """The file claims to be an image, but its structure is damaged."""


class TruncatedImageError(CorruptImageError):
    """The file ends before the image does (an interrupted download or copy)."""


class ImageTooLargeError(LocalpixError):
    """The image declares more pixels than the configured limit (decompression-bomb guard).
    `pixels`: what the header declares, when known, so a caller can offer to open it anyway."""

    def __init__(self, message: str, pixels: int | None = None) -> None:
        super().__init__(message)
        self.pixels = pixels


class InvalidOptionsError(LocalpixError):
    """The options asked for something impossible (e.g. quality 0, an unknown format)."""
