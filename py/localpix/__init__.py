"""localpix: compress images and strip private metadata, on bytes in memory.

The operations live in localpix.pipeline; the modules are named so that `localpix.compress` is
the function, never a module hiding it."""

from .errors import (
    CorruptImageError,
    ImageTooLargeError,
    InvalidOptionsError,
    LocalpixError,
    TruncatedImageError,
    UnsupportedFormatError,
)
from .options import DEFAULT_MAX_PIXELS, CompressOptions, Keep, parse_options
from .pipeline.clean import clean
from .pipeline.compress import compress
from .pipeline.inspect import inspect
from .pipeline.run import run
from .registry import FORMATS, Format, detect
from .report import Finding, Report, Result

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "FORMATS",
    "CompressOptions",
    "CorruptImageError",
    "Finding",
    "Format",
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
    "detect",
    "inspect",
    "parse_options",
    "run",
]
