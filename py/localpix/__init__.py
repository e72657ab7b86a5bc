"""localpix: compress images and strip private metadata, on bytes in memory.

The operations live in localpix.pipeline; the modules are named so that `localpix.compress` is
the function, never a module hiding it.

The public names are imported on first use (PEP 562): importing the package itself costs next to
nothing, so the browser's engine is "ready" as soon as its wheel is installed and imports Pillow
and the pipeline while the page waits for files (issue 12), and the command line pays only for
what it runs."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Public name -> the module that defines it.
_HOMES = {
    **dict.fromkeys(("CorruptImageError", "ImageTooLargeError", "InvalidOptionsError",
                     "LocalpixError", "TruncatedImageError", "UnsupportedFormatError"), ".errors"),
    **dict.fromkeys(("DEFAULT_MAX_PIXELS", "CompressOptions", "Keep", "parse_options"),
                    ".options"),
    "clean": ".pipeline.clean",
    "compress": ".pipeline.compress",
    "inspect": ".pipeline.inspect",
    "run": ".pipeline.run",
    **dict.fromkeys(("FORMATS", "Format", "detect"), ".registry"),
    **dict.fromkeys(("Finding", "Report", "Result"), ".report"),
}

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'localpix' has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value  # once: later lookups never come back here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
