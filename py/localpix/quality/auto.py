"""Automatic quality: per image, the lowest quality (and, for JPEG, the quantization table set)
whose output still scores at least the target on SSIMULACRA2 (quality.perceptual).

Scoring whole photos would be slow in a browser tab, so the search runs on a mosaic: a grid of
tiles cut from across the image at 16-pixel boundaries. JPEG codes each 16x16 block on its own,
so a tile compresses in the mosaic exactly as it does in the full image; only the final encode
sees the whole photo. The search needs numpy (quality.perceptual); without it the caller falls
back to the fixed quality.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

from PIL import Image

from ..job import Job

TILE = 128  # a multiple of 16: whole JPEG MCUs at 4:2:0
GRID = 3  # GRID x GRID tiles: a 384 x 384 mosaic
LOWEST, HIGHEST = 10, 100
MAX_STEPS = 7


def available() -> bool:
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


def mosaic(image: Image.Image) -> Image.Image:
    """Tiles from a GRID x GRID grid over the image (the whole image when it is small)."""
    w, h = image.size
    if w <= TILE * GRID and h <= TILE * GRID:
        return image.copy()
    cols = min(GRID, max(1, w // TILE))
    rows = min(GRID, max(1, h // TILE))
    tw, th = min(TILE, w), min(TILE, h)
    out = Image.new(image.mode, (cols * tw, rows * th))
    for r in range(rows):
        for c in range(cols):
            # the centre of each grid cell, snapped down to a 16-pixel boundary
            x = min(((c * 2 + 1) * w // (cols * 2) - tw // 2) // 16 * 16, w - tw)
            y = min(((r * 2 + 1) * h // (rows * 2) - th // 2) // 16 * 16, h - th)
            out.paste(image.crop((max(x, 0), max(y, 0), max(x, 0) + tw, max(y, 0) + th)),
                      (c * tw, r * th))
    return out


def _decode(data: bytes) -> Image.Image:
    if data[4:12] == b"ftypavif":
        from ..codecs.avif import decode_in_page

        page = decode_in_page(data)
        if page is not None:
            return page.convert("RGB")
    with Image.open(io.BytesIO(data)) as im:
        return im.convert("RGB")


def lowest_quality(score: Callable[[int], float], target: float, start: int | None = None,
                   slope: float | None = None) -> tuple[int, float]:
    """The smallest integer quality q in LOWEST..HIGHEST with score(q) >= target, assuming the
    score grows with q. Evaluations are the cost (a sample encode, mostly with a SSIMULACRA2
    score), so the next q comes from the scores so far: extrapolated along their slope until the
    target is bracketed, then interpolated between the bracket's ends. Each estimate is rounded
    towards the side of the target not reached yet, so the bracket closes from both ends (3-5
    evaluations on photos, at most MAX_STEPS). `slope` is the score's typical growth per quality
    step (SSIMULACRA2's by default), used until two evaluations give their own.
    Returns (q, score(q)), with HIGHEST when even that misses the target."""
    typical = SLOPE if slope is None else slope
    seen: dict[int, float] = {}

    def f(q: int) -> float:
        if q not in seen:
            seen[q] = score(q)
        return seen[q]

    lo, hi = LOWEST - 1, HIGHEST + 1  # score(lo) < target <= score(hi); the ends are sentinels
    q = min(max(_prior(target) if start is None else start, LOWEST), HIGHEST)
    last: int | None = None
    while len(seen) < MAX_STEPS:
        if f(q) >= target:
            hi = q
        else:
            lo = q
        if hi - lo <= 1:
            break
        if lo in seen and hi in seen:
            step = (seen[hi] - seen[lo]) / (hi - lo)
        elif last is not None and seen[q] != seen[last]:
            step = (seen[q] - seen[last]) / (q - last)
        else:
            step = typical
        estimate = q + (target - seen[q]) / max(step, typical / 8)
        last = q
        q = math.ceil(estimate) if seen[q] < target else math.floor(estimate)
        q = min(max(q, lo + 1), hi - 1)
    if hi > HIGHEST:
        return HIGHEST, f(HIGHEST)
    return hi, f(hi)


SLOPE = 0.4  # SSIMULACRA2 points per quality step, typical of JPEG/WebP/AVIF between 40 and 90
SIZE_SLOPE = 0.03  # growth of log(bytes) per quality step, the same


def _prior(target: float) -> int:
    """Where the search starts: the quality that typically reaches `target` on a camera photo
    (mozjpeg and localpix's tables, scripts/bench): 70 -> ~50, 80 -> ~70, 90 -> ~90."""
    return round(2 * target - 90)


def choose(image: Image.Image, target: float,
           encoders: dict[str, Callable[[Image.Image, int], bytes]],
           start: int | None = None) -> tuple[str, int, float]:
    """For each named encoder (image, quality) -> bytes, the lowest quality meeting `target` on
    the mosaic; returns (name, quality, mosaic score) of the one giving the fewest bytes there."""
    from .perceptual import reference as prepared

    sample = mosaic(image)
    reference = prepared(sample.convert("RGB"))
    best: tuple[int, str, int, float] | None = None
    for name, encode in encoders.items():
        outputs: dict[int, bytes] = {}
        scores: dict[int, float] = {}

        def output(q: int, encode=encode, outputs=outputs) -> bytes:
            if q not in outputs:
                outputs[q] = encode(sample, q)
            return outputs[q]

        def score(q: int, output=output, scores=scores) -> float:
            if q not in scores:
                scores[q] = reference.score(_decode(output(q)))
            return scores[q]

        if best is not None:
            # A score costs 2-7 sample encodes (mozjpeg in the browser, Pillow natively): first
            # match the leader's bytes with this encoder and score once. Only an encoder that
            # looks better at equal bytes earns a search.
            start, _ = lowest_quality(lambda q, output=output: math.log(len(output(q))),
                                      math.log(best[0]), best[2], slope=SIZE_SLOPE)
            if score(start) <= best[3]:
                continue
        q, s = lowest_quality(score, target, start)
        if best is None or len(output(q)) < best[0]:
            best = (len(output(q)), name, q, s)
    assert best is not None
    return best[1], best[2], best[3]


def choose_for(image: Image.Image, job: Job) -> None:
    """options.quality_target: pick job.quality (and the codec's variant) for this image."""
    from ..codecs import codec

    target = job.options.quality_target
    if target is None or not job.lossy:
        return
    if not available():
        job.warnings.append(f"Automatic quality is not available here (numpy is missing); "
                            f"used quality {job.options.quality}.")
        return
    sample = image if image.mode in ("RGB", "L") else image.convert("RGB")
    encoders = codec(job.out_format).sample_encoders(sample, job)
    name, quality, score = choose(sample, target, encoders)
    job.quality = quality
    job.score = round(score, 1)
    if job.out_format == "jpeg":
        job.jpeg_tables = name
    job.note = (f"Automatic quality {quality} (SSIMULACRA2 {score:.1f} on a sample of the image, "
                f"target {target:g}).")
