"""WebP through Pillow's libwebp: lossy, or lossless when asked."""

from __future__ import annotations

from PIL import Image

from ..job import Job
from . import Encoder, SampleEncoder, pillow_save

LABEL = "Pillow (libwebp)"
METHOD = 4  # libwebp effort 0-6; 6 is ~2x slower for ~1-2 % smaller files, too slow in a tab
LOSSLESS_EFFORT = 80  # Pillow's `quality` means effort in lossless mode


def encoder(image: Image.Image, job: Job, extra: dict[str, object]) -> Encoder:
    def encode(quality: int | None) -> bytes:
        if job.options.webp_lossless:
            return pillow_save(image, "WEBP", lossless=True, quality=LOSSLESS_EFFORT,
                               method=METHOD, **extra)
        return pillow_save(image, "WEBP", quality=quality or job.quality, method=METHOD, **extra)

    return encode


def sample_encoders(job: Job) -> dict[str, SampleEncoder]:
    if job.options.webp_lossless:
        return {}
    return {"webp": lambda im, q: pillow_save(im, "WEBP", quality=q, method=METHOD)}
