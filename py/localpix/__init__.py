"""localpix: compress images and strip private metadata, on bytes in memory."""

from .clean import clean
from .compress import compress
from .errors import (
    CorruptImageError,
    ImageTooLargeError,
    InvalidOptionsError,
    LocalpixError,
    TruncatedImageError,
    UnsupportedFormatError,
)
from .formats import detect_format
from .inspect import inspect
from .options import DEFAULT_MAX_PIXELS, CompressOptions, Keep
from .report import Finding, Report, Result

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "CompressOptions",
    "CorruptImageError",
    "Finding",
    "ImageTooLargeError",
    "InvalidOptionsError",
    "Keep",
    "LocalpixError",
    "Report",
    "Result",
    "TruncatedImageError",
    "UnsupportedFormatError",
    "clean",
    "compress",
    "detect_format",
    "inspect",
]
