"""Encoders: one module per output format, all of the same shape (see `Codec`). The format
registry names each format's codec; `encoder_for` is what the pipeline calls.

An Encoder maps one setting to the output file's bytes: the JPEG/WebP quality, or the PNG
palette size (None = the job's own setting). The target-size search calls it repeatedly."""

from __future__ import annotations

import io
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

from PIL import Image

if TYPE_CHECKING:  # job imports codecs.jpeg_tables, and so this package
    from ..job import Job

Encoder = Callable[[int | None], bytes]
SampleEncoder = Callable[[Image.Image, int], bytes]  # (image, quality) -> bytes, for auto quality


class Codec(Protocol):
    """What every module in this package provides."""

    LABEL: str  # what made the file, for the user: "Pillow (libjpeg)"

    def encoder(self, image: Image.Image, job: Job, extra: dict[str, object]) -> Encoder:
        """An encoder for `image`, writing the metadata in `extra` (Pillow save parameters)."""
        ...

    def sample_encoders(self, image: Image.Image, job: Job) -> dict[str, SampleEncoder]:
        """Named variants for the automatic quality search on `image`, the likeliest winner
        first (empty: the format is lossless)."""
        ...


def pillow_save(image: Image.Image, pillow_format: str, **params: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, pillow_format, **params)
    return buf.getvalue()


def codec(out_format: str) -> ModuleType:
    from ..registry import record

    return record(out_format).codec_module()


def encoder_for(image: Image.Image, job: Job, extra: dict[str, object]) -> Encoder:
    return codec(job.out_format).encoder(image, job, extra)
