"""JPEG through Pillow's libjpeg, with localpix's own quantization tables (jpeg_tables)."""

from __future__ import annotations

from PIL import Image

from ..job import Job
from ..options import CompressOptions
from . import Encoder, SampleEncoder, jpeg_tables, pillow_save

LABEL = "Pillow (libjpeg)"

# Candidates for the automatic mode: the steep set wins on full-resolution camera photos, the
# plain one on downscaled/sharp ones (Klein's tables, tried before, were rarely better than either).
AUTO_TABLES = ("psnr-hvs", "psnr-hvs-steep")


def params(image: Image.Image, quality: int, tables: str, opts: CompressOptions
           ) -> dict[str, object]:
    """Pillow's JPEG save parameters. Tables are scaled and clamped here (jpeg_tables) and passed
    without `quality=`, which would make Pillow rescale them unclamped."""
    return {
        "qtables": jpeg_tables.scaled(tables, quality, grey=image.mode == "L"),
        "optimize": opts.jpeg_optimize,
        "progressive": opts.jpeg_progressive,
        "subsampling": opts.jpeg_subsampling or "4:2:0",
    }


def encoder(image: Image.Image, job: Job, extra: dict[str, object]) -> Encoder:
    def encode(quality: int | None) -> bytes:
        return pillow_save(image, "JPEG", **params(image, quality or job.quality,
                                                   job.jpeg_tables, job.options), **extra)

    return encode


def sample_encoders(job: Job) -> dict[str, SampleEncoder]:
    opts = job.options

    def with_tables(tables: str) -> SampleEncoder:
        return lambda im, q: pillow_save(im, "JPEG", **params(im, q, tables, opts))

    sets = [opts.jpeg_tables] if opts.jpeg_tables else list(AUTO_TABLES)
    return {name: with_tables(name) for name in sets}
