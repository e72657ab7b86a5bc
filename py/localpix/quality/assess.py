"""How good a lossy result is: its SSIMULACRA2 score against the pixels that were encoded, on
the same mosaic the automatic quality search scores (quality.auto), so a score from a
fixed quality or a target size reads like one the automatic mode aimed at. The page uses it to
warn when a target size forced a result below what the chosen quality promises."""

from __future__ import annotations

import io

from PIL import Image

from . import auto as autoquality

# Below this SSIMULACRA2 score flaws are plain at normal viewing ("medium" on its authors' scale
# is ~50; "high" is 70): a result under it gets a warning and a suggested fix.
LOW_SCORE = 50.0


def score(encoded: Image.Image, output: bytes) -> float | None:
    """SSIMULACRA2 of `output` against `encoded` (same size), or None without numpy."""
    if not autoquality.available():
        return None
    from .perceptual import Reference

    with Image.open(io.BytesIO(output)) as im:
        decoded = im.convert("RGB")
    if decoded.size != encoded.size:
        return None
    reference = Reference(autoquality.mosaic(encoded.convert("RGB")))
    return round(reference.score(autoquality.mosaic(decoded)), 1)
