"""`run`: the one entry point every adapter calls (the browser bridge, the CLI, the cluster mode),
so that a mode means the same thing everywhere and every output is named the same way."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Literal, get_args

from ..errors import InvalidOptionsError
from ..options import CompressOptions
from ..registry import record
from ..report import Result
from .clean import clean
from .compress import compress
from .inspect import inspect

Mode = Literal["compress", "clean", "inspect"]
MODES: tuple[str, ...] = get_args(Mode)


def run(data: bytes, mode: Mode = "compress", options: CompressOptions | None = None) -> Result:
    """compress: re-encode per `options` (never bigger unless asked); clean: strip metadata
    losslessly, keeping what `options.keep` allows; inspect: report only (no output bytes)."""
    options = options or CompressOptions()
    data = bytes(data)
    if mode == "compress":
        return compress(data, options)
    if mode not in MODES:
        raise InvalidOptionsError(f"Unknown mode {mode!r}; choose {', '.join(MODES)}.")
    before = inspect(data, options.max_pixels)
    if mode == "inspect":
        return Result(b"", before.format, len(data), 0, before, None, reencoded=False)
    output = clean(data, keep=options.keep, max_pixels=options.max_pixels)
    after = inspect(output, options.max_pixels)
    return Result(output, after.format, len(data), len(output), before, after, reencoded=False)


def output_name(name: str, out_format: str) -> str:
    """The input's name when its extension fits the output's format, else its stem with the
    format's own extension ("IMG_1.HEIC" -> "IMG_1.jpg"); "image.<ext>" when there is no name."""
    extensions = record(out_format).extensions
    path = PurePosixPath(name or "image")
    if path.suffix.lower() in extensions:
        return path.name
    return f"{path.stem}{extensions[0]}"
