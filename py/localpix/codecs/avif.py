"""AVIF through Pillow's libavif (Pillow >= 11.3; its wheels encode with aom). Pyodide's Pillow
10.2 has no AVIF encoder, so the page does not offer AVIF (registry: encoder_needs)."""

from __future__ import annotations

from PIL import Image

from ..errors import UnsupportedFormatError
from ..job import Job
from . import Encoder, SampleEncoder, pillow_save, providers

LABEL = "Pillow (libavif, aom)"
# libavif's speed 0-10, its default; the mosaic search uses the same, so that the score it
# finds for a quality holds for the final encode.
SPEED = 6


def available() -> bool:
    try:
        from PIL import AvifImagePlugin, features
    except ImportError:
        return False
    return bool(features.check("avif")) and AvifImagePlugin.SUPPORTED


def _check() -> None:
    if not available():
        where = ("the page (use the command-line tool)" if providers.RUNTIME == "browser"
                 else "this Python: pip install 'localpix[modern]' (Pillow 11.3 or later)")
        raise UnsupportedFormatError(f"Writing AVIF is not available in {where}.")


def encoder(image: Image.Image, job: Job, extra: dict[str, object]) -> Encoder:
    _check()
    job.codec = LABEL

    def encode(quality: int | None) -> bytes:
        return pillow_save(image, "AVIF", quality=quality or job.quality, speed=SPEED, **extra)

    return encode


def sample_encoders(job: Job) -> dict[str, SampleEncoder]:
    _check()
    return {"avif": lambda im, q: pillow_save(im, "AVIF", quality=q, speed=SPEED)}
