"""The benchmark's pure-Python pieces: image preparation, the SSIMULACRA2 scorer (PyPI
`ssimulacra2`, with the reference side computed once per image), bytes-at-matched-score
interpolation, geometric means, and the native encoders (Pillow, pngquant, localpix on CPython).

scripts/bench drives these together with the in-browser peers; tests/test_bench_smoke.py runs them
on a small image so the script cannot rot silently.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

CROP = 1024  # SSIMULACRA2 on a centre crop, as in issue #5's baseline
BENCH = Path(__file__).resolve().parent.parent / "bench"
NPM_PEERS = ("jpeg", "webp", "avif", "oxipng")  # @jsquash/*, bench/package.json


def npm_peers() -> dict[str, tuple[Path, str]]:
    """{name: (package directory, version)} of the dev-only npm peers, installed first with
    `npm ci --prefix bench` when one is missing (scripts/bench, scripts/bench_codecs.py)."""
    dirs = {name: BENCH / "node_modules" / "@jsquash" / name for name in NPM_PEERS}
    if not all(d.is_dir() for d in dirs.values()):
        print("bench: installing the npm peers (npm ci --prefix bench)", file=sys.stderr,
              flush=True)
        subprocess.run(["npm", "ci", "--prefix", str(BENCH), "--no-audit", "--no-fund"],
                       check=True)
    return {name: (d, json.loads((d / "package.json").read_text())["version"])
            for name, d in dirs.items()}


# ---- images ----------------------------------------------------------------------------------


def load_upright_rgb(data: bytes) -> Image.Image:
    """Decoded, turned upright per EXIF, RGB: the pixels every codec is given."""
    with Image.open(io.BytesIO(data)) as im:
        im = ImageOps.exif_transpose(im)
        if im.mode in ("RGBA", "LA", "PA", "P") and (
            im.mode != "P" or "transparency" in im.info
        ):
            im = im.convert("RGBA")
            base = Image.new("RGB", im.size, (255, 255, 255))
            base.paste(im, mask=im.getchannel("A"))
            return base
        return im.convert("RGB")


def centre_crop(im: Image.Image, size: int = CROP) -> Image.Image:
    w, h = im.size
    cw, ch = min(size, w), min(size, h)
    left, top = (w - cw) // 2, (h - ch) // 2
    return im.crop((left, top, left + cw, top + ch))


def decode_rgb(data: bytes) -> Image.Image:
    """An output's pixels as the reference was prepared (alpha, also a palette's, onto white)."""
    with Image.open(io.BytesIO(data)) as im:
        plain = im.mode in ("RGB", "L") or (im.mode == "P" and "transparency" not in im.info)
        return im.convert("RGB") if plain else load_upright_rgb(data)


# ---- SSIMULACRA2 ------------------------------------------------------------------------------


class Scorer:
    """SSIMULACRA2 of distorted images against one reference, with the package's own functions;
    the reference's colour conversions and blurs are computed once, not per distorted image."""

    def __init__(self, reference: Image.Image) -> None:
        from ssimulacra2 import ssimulacra2 as s2

        self.s2 = s2
        self.shape = (reference.height, reference.width)
        self.ref_scales: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        lin = s2.srgb_to_linear(np.asarray(reference.convert("RGB"), dtype=np.float64))
        for scale in range(s2.kNumScales):
            xyb = s2.make_positive_xyb(s2.linear_rgb_to_xyb(lin))
            if xyb.shape[0] < 8 or xyb.shape[1] < 8:
                break
            self.ref_scales.append((xyb, s2.blur_image(xyb), s2.blur_image(xyb * xyb)))
            if scale < s2.kNumScales - 1:
                lin = s2.downsample(lin, 2, 2)

    def score(self, distorted: Image.Image) -> float:
        s2 = self.s2
        if (distorted.height, distorted.width) != self.shape:
            raise ValueError(f"size {distorted.size} != reference {self.shape[::-1]}")
        lin = s2.srgb_to_linear(np.asarray(distorted.convert("RGB"), dtype=np.float64))
        msssim = s2.Msssim()
        for scale, (x1, mu1, s11) in enumerate(self.ref_scales):
            x2 = s2.make_positive_xyb(s2.linear_rgb_to_xyb(lin))
            mu2 = s2.blur_image(x2)
            data = s2.MsssimScale()
            data.avg_ssim = s2.ssim_map(mu1, mu2, s11, s2.blur_image(x2 * x2),
                                        s2.blur_image(x1 * x2))
            data.avg_edgediff = s2.edge_diff_map(x1, mu1, x2, mu2)
            msssim.scales.append(data)
            if scale < len(self.ref_scales) - 1:
                lin = s2.downsample(lin, 2, 2)
        return float(msssim.score())


def ssimulacra2_reference(reference: Image.Image, distorted: Image.Image) -> float:
    """The package's own entry point (for checking Scorer against it)."""
    from ssimulacra2 import compute_ssimulacra2

    def png(im: Image.Image) -> io.BytesIO:
        buf = io.BytesIO()
        im.save(buf, "PNG", compress_level=1)
        buf.seek(0)
        return buf

    return float(compute_ssimulacra2(png(reference), png(distorted)))


# ---- curves -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    setting: float  # quality, colours, target score ...
    size: int  # bytes
    score: float  # SSIMULACRA2
    ms: float | None = None  # encode time


def bytes_at_score(points: Sequence[Point], target: float) -> float | None:
    """Bytes at `target` SSIMULACRA2, interpolating log(bytes) linearly in score between the two
    nearest measured points that bracket it; None when no point pair brackets the target.

    Points are taken in order of size; a point that scores lower than a smaller one is dominated
    (it is never the better choice) and dropped, which makes the curve monotonic."""
    ordered = sorted(points, key=lambda p: p.size)
    frontier: list[Point] = []
    for p in ordered:
        if not frontier or p.score > frontier[-1].score:
            frontier.append(p)
    for p in frontier:
        if math.isclose(p.score, target, abs_tol=1e-9):
            return float(p.size)
    for lo, hi in itertools.pairwise(frontier):
        if lo.score <= target <= hi.score:
            t = (target - lo.score) / (hi.score - lo.score)
            return math.exp(math.log(lo.size) + t * (math.log(hi.size) - math.log(lo.size)))
    return None


def overlap_ratio(ours: Sequence[Point], ref: Sequence[Point], floor: float = 50.0,
                  steps: int = 5) -> float | None:
    """Geometric mean of ours/ref bytes at `steps` scores spread evenly over the score range both
    curves cover (above `floor`): a comparison at matched scores that exists whenever the two
    sweeps overlap at all, whatever score levels an image happens to land on."""

    def span(points: Sequence[Point]) -> tuple[float, float]:
        scores = [p.score for p in points]
        return max(min(scores), floor), max(scores)

    (lo1, hi1), (lo2, hi2) = span(ours), span(ref)
    lo, hi = max(lo1, lo2), min(hi1, hi2)
    if not ours or not ref or lo > hi:
        return None
    ratios = []
    for i in range(steps):
        target = lo + (hi - lo) * i / max(steps - 1, 1)
        a, b = bytes_at_score(ours, target), bytes_at_score(ref, target)
        if a is not None and b is not None:
            ratios.append(a / b)
    return geomean(ratios)


def geomean(values: Sequence[float]) -> float | None:
    values = [v for v in values if v is not None and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def ratio_geomean(ours: dict[str, float | None], ref: dict[str, float | None]) -> float | None:
    """Geometric mean over images of ours/ref, on the images where both are known."""
    return geomean([ours[k] / ref[k] for k in ours if ours.get(k) and ref.get(k)])


# ---- native encoders --------------------------------------------------------------------------


def timed(fn, *args, **kwargs) -> tuple[object, float]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, (time.perf_counter() - start) * 1000


def pillow_jpeg(im: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, optimize=True, progressive=True, subsampling="4:2:0")
    return buf.getvalue()


def pillow_webp(im: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "WEBP", quality=quality, method=4)
    return buf.getvalue()


def pillow_png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def have_pngquant() -> bool:
    return shutil.which("pngquant") is not None


def pngquant(png: bytes, colors: int, dither: bool = True) -> bytes:
    """Debian pngquant (libimagequant), default speed, to `colors` colours; Floyd-Steinberg
    dithering (its default) or none (--nofs)."""
    flags = [] if dither else ["--nofs"]
    proc = subprocess.run(["pngquant", "--force", *flags, str(colors), "-"], input=png,
                          capture_output=True, check=True, timeout=300)
    return proc.stdout


def localpix_native(data: bytes, **options: object) -> bytes:
    from localpix import CompressOptions, compress

    return compress(data, CompressOptions(**options)).data  # type: ignore[arg-type]


def bmp_bytes(im: Image.Image) -> bytes:
    """Uncompressed pixels in a container Pillow reads instantly: how localpix is fed the exact
    source pixels (a JPEG input would add a decode of its own and the never-bigger fallback)."""
    buf = io.BytesIO()
    im.save(buf, "BMP")
    return buf.getvalue()


def png_bytes(im: Image.Image, level: int = 6) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG", compress_level=level)
    return buf.getvalue()
