"""options.target_size: the highest quality (or palette size) whose output fits."""

from __future__ import annotations

from ..codecs import Encoder
from ..job import Job
from ..metadata.text import size_text

MIN_QUALITY = 1  # the lowest setting the search may go down to


def encode_for_target(encode: Encoder, job: Job) -> tuple[bytes, int | None, bool | None, str]:
    """Encode once, or search the setting that best fits options.target_size.

    Returns (output, quality used or None, target met or None, note)."""
    opts = job.options
    first = encode(None)
    quality = job.quality if job.lossy else None
    target = opts.target_size
    if target is None:
        return first, quality, None, ""
    if len(first) <= target:
        return first, quality, True, ""
    if job.lossy:
        low, high = MIN_QUALITY, job.quality - 1
    elif job.out_format == "png":
        low, high = 2, (opts.png_colors or 257) - 1
    else:
        return first, None, False, (
            f"Lossless WebP is {size_text(len(first))}, over the {size_text(target)} target; "
            "turn off lossless to go smaller."
        )
    best: tuple[bytes, int] | None = None
    smallest = (first, quality or 0)
    # Binary search for the highest setting that fits: sizes grow (almost) monotonically with
    # quality/colours, and log2(100) ~ 7 encodes bounds the time on big photos.
    while low <= high:
        mid = (low + high) // 2
        out = encode(mid)
        if len(out) <= target:
            best = (out, mid)
            low = mid + 1
        else:
            high = mid - 1
            if len(out) < len(smallest[0]):
                smallest = (out, mid)
    if best is not None:
        out, setting = best
        if job.lossy:
            return out, setting, True, f"Quality {setting} fits the {size_text(target)} target."
        return out, None, True, (
            f"Reduced to {setting} colours to fit the {size_text(target)} target."
        )
    out, setting = smallest
    lowest = "quality" if job.lossy else "number of colours"
    return out, (setting if job.lossy else None), False, (
        f"Even the lowest {lowest} gives {size_text(len(out))}, over the {size_text(target)} "
        "target; this is the smallest version. Try a smaller maximum width/height."
    )
