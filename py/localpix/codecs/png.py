"""PNG: lossless (an exact palette when the image has <= 256 colours), or lossy with a quantized
palette; Pillow writes the chunks, then oxipng (natively when installed, in the page its wasm
build: codecs.providers) or png_deflate re-filters and re-deflates the image data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PIL import Image, ImageChops

from ..job import Job
from ..pixels.prepare import icc_for
from ..quality import auto
from . import Encoder, SampleEncoder, pillow_save, providers

LABEL = "Pillow (zlib) + localpix filters"
OXIPNG_LEVEL = 2  # oxipng's default; 3 took 3x as long for ~3 % on screenshots (measured)


def encoder(image: Image.Image, job: Job, extra: dict[str, object]) -> Encoder:
    opts = job.options
    palette = exact_palette(image)
    if palette is not None:
        image = palette
    quantizer: list[object] = []  # made on first use, kept for the target-size search
    provider = providers.pick("png", job)
    job.codec = LABEL

    def save(im: Image.Image, **params: object) -> bytes:
        return pillow_save(im, "PNG", **params, **extra)

    def encode(colors: int | None) -> bytes:
        colors = colors or opts.png_colors
        im = image
        if colors is not None and not (im.mode == "P" and palette_size(im) <= colors):
            im = _quantize(image, colors, opts.png_dither, quantizer)
            if icc_for(im, job) is None:
                extra.pop("icc_profile", None)
        ours = _deflated(im, save)
        if provider is not None:
            # oxipng tries its own filters and libdeflate on the engine's file and keeps that
            # file when it cannot beat it: each wins on some images (measured: screenshots
            # -10 % with oxipng, an RGB photo-like PNG -5 % with localpix's filters).
            oxipng = providers.module(provider)
            if provider.runtime == "browser":
                # The wasm build cannot be told to keep 16 bits (see below): those stay ours.
                if im.mode.startswith("I"):
                    return ours
                return providers.attempt(job, provider, lambda: _wasm(oxipng, ours),
                                         lambda: ours, LABEL)
            return providers.attempt(
                job, provider,
                # A 16-bit image whose samples are all v*257 would become 8-bit: the same in
                # PNG's terms, but not the same numbers to a reader that keeps 16 bits.
                lambda: oxipng.optimize_from_memory(
                    ours, level=OXIPNG_LEVEL, strip=oxipng.StripChunks.none(),
                    bit_depth_reduction=not im.mode.startswith("I")),
                lambda: ours, LABEL)
        return ours

    return encode


def _wasm(oxipng: Any, png: bytes) -> bytes:
    """oxipng in wasm (web/worker.js loaded it) on the engine's PNG: Squoosh's build keeps every
    chunk (its strip default is none) and hands back the input when it cannot beat it; the
    smaller of the two is kept either way. No interlacing, no alpha-channel rewriting: the
    pixels stay exactly the engine's."""
    from pyodide.ffi import to_js  # type: ignore[import-not-found]

    out = bytes(oxipng.optimise(to_js(memoryview(png)), OXIPNG_LEVEL, False, False).to_bytes())
    return out if len(out) < len(png) else png


def _deflated(im: Image.Image, save: Callable[..., bytes]) -> bytes:
    if not auto.available():
        return save(im, optimize=True)
    from .png_deflate import optimise  # numpy: choose the PNG filters ourselves

    # Palette data re-deflated at level 9 by optimise always beat Pillow's own level 9
    # (measured), so Pillow's pass only needs to be quick there.
    return optimise(save(im, compress_level=1) if im.mode == "P" else save(im, optimize=True), im)


def sample_encoders(image: Image.Image, job: Job) -> dict[str, SampleEncoder]:
    return {}  # lossless; lossy PNG is steered by the palette size, not a quality


def palette_size(image: Image.Image) -> int:
    colors = image.getcolors(256)
    return len(colors) if colors else 257


def exact_palette(image: Image.Image) -> Image.Image | None:
    """The same pixels as a palette image when there are <= 256 colours (much smaller PNGs), or
    None. Checked pixel for pixel: lossless output must decode to identical pixels."""
    if image.mode not in ("RGB", "RGBA"):
        return None
    colors = image.getcolors(256)
    if not colors:
        return None
    rgb = image.convert("RGB")
    # Median cut hands back the exact colours when there are no more than asked for.
    palette = rgb.quantize(len(colors), method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    if image.mode == "RGBA":
        # Pillow's only RGBA quantizer (fast octree) is lossy, so quantize RGB and give each
        # palette entry its alpha; this works when no RGB colour appears with two alphas.
        indices = Image.frombytes("L", palette.size, palette.tobytes())
        pairs = Image.merge("LA", (indices, image.getchannel("A"))).getcolors(65536) or []
        alphas = dict((index, alpha) for _, (index, alpha) in pairs)
        if len(alphas) != len(pairs):
            return None
        rgb_palette = palette.getpalette() or []
        entries = len(rgb_palette) // 3
        rgba = bytearray()
        for i in range(entries):
            rgba += bytes(rgb_palette[3 * i : 3 * i + 3]) + bytes([alphas.get(i, 255)])
        palette.putpalette(rgba, rawmode="RGBA")
    back = palette.convert(image.mode)
    if any(hi for _, hi in ImageChops.difference(back, image).getextrema()):  # type: ignore[misc]
        return None
    return palette


def _quantize(image: Image.Image, colors: int, dither: bool, cache: list[object]
              ) -> Image.Image:
    """Lossy palette: localpix's k-means palette (codecs.quantize) when numpy is there (its
    histogram is kept in `cache` for the next call). Otherwise quantizers present in every Pillow
    (Pyodide's has no libimagequant): fast octree for alpha, median cut plus Pillow's dithered
    remap (it dithers only when remapping to a given palette, and only RGB images)."""
    alpha = image.mode in ("RGBA", "LA", "PA")
    if auto.available():
        from .quantize import Quantizer

        if not cache:
            cache.append(Quantizer(image.convert("RGBA" if alpha else "RGB")))
        quantizer = cache[0]
        assert isinstance(quantizer, Quantizer)
        return quantizer.quantize(colors, dither)
    if alpha:
        return image.convert("RGBA").quantize(colors, method=Image.Quantize.FASTOCTREE)
    rgb = image.convert("RGB")
    palette = rgb.quantize(colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    if not dither:
        return palette
    return rgb.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG)
