"""WebP: libwebp, lossy, or lossless when asked. Natively Pillow's; in the page libwebp's own
wasm build (@jsquash/webp, SIMD where the browser has it) when the worker loaded it, Pillow's
(libwebp 1.2.2 without SIMD) otherwise. See codecs.providers for who is used when."""

from __future__ import annotations

import struct
from typing import Any

from PIL import Image

from ..job import Job
from . import Encoder, SampleEncoder, pillow_save, providers

LABEL = "Pillow (libwebp)"
METHOD = 4  # libwebp effort 0-6; 6 is ~2x slower for ~1-2 % smaller files, too slow in a tab
LOSSLESS_EFFORT = 80  # Pillow's `quality` means effort in lossless mode

# Every field of libwebp's WebPConfig the wasm encoder takes (it refuses an object missing one):
# @jsquash/webp's defaults (its meta.js), which are libwebp's own, as Pillow leaves them.
WASM_DEFAULTS: dict[str, int] = {
    "quality": 75, "target_size": 0, "target_PSNR": 0, "method": METHOD, "sns_strength": 50,
    "filter_strength": 60, "filter_sharpness": 0, "filter_type": 1, "partitions": 0,
    "segments": 4, "pass": 1, "show_compressed": 0, "preprocessing": 0, "autofilter": 0,
    "partition_limit": 0, "alpha_compression": 1, "alpha_filtering": 1, "alpha_quality": 100,
    "lossless": 0, "exact": 0, "image_hint": 0, "emulate_jpeg_size": 0, "thread_level": 0,
    "low_memory": 0, "near_lossless": 100, "use_delta_palette": 0, "use_sharp_yuv": 0,
}


def encoder(image: Image.Image, job: Job, extra: dict[str, object]) -> Encoder:
    lossless = job.options.webp_lossless

    def pillow(quality: int | None) -> bytes:
        if lossless:
            return pillow_save(image, "WEBP", lossless=True, quality=LOSSLESS_EFFORT,
                               method=METHOD, **extra)
        return pillow_save(image, "WEBP", quality=quality or job.quality, method=METHOD, **extra)

    job.codec = LABEL
    provider = providers.pick("webp", job)
    if provider is None:
        return pillow
    lib = providers.module(provider)

    def encode(quality: int | None) -> bytes:
        q = LOSSLESS_EFFORT if lossless else quality or job.quality
        return providers.attempt(
            job, provider, lambda: with_metadata(_wasm(lib, image, q, lossless), image, extra),
            lambda: pillow(quality), LABEL)

    return encode


def sample_encoders(image: Image.Image, job: Job) -> dict[str, SampleEncoder]:
    if job.options.webp_lossless:
        return {}

    def pillow(im: Image.Image, q: int) -> bytes:
        return pillow_save(im, "WEBP", quality=q, method=METHOD)

    provider = providers.pick("webp", job)
    if provider is None:
        return {"webp": pillow}
    lib = providers.module(provider)
    # The search calibrates on the encoder that makes the file: libwebp versions differ.
    return {"webp": lambda im, q: providers.attempt(
        job, provider, lambda: _wasm(lib, im, q, False), lambda: pillow(im, q), LABEL)}


def _wasm(lib: Any, image: Image.Image, quality: int, lossless: bool) -> bytes:
    """libwebp in wasm (web/worker.js loaded it): RGBA pixels in, a WebP without metadata out.
    libwebp writes no alpha for an image that is opaque throughout."""
    from pyodide.ffi import to_js  # type: ignore[import-not-found]

    from .jpeg import _js_object

    rgba = image.convert("RGBA").tobytes()
    settings = {**WASM_DEFAULTS, "quality": quality, "lossless": int(lossless)}
    out = lib.encode(rgba, image.width, image.height,
                     to_js(settings, dict_converter=_js_object))
    return bytes(out.to_bytes())


_ALPHA_FLAG, _ICC_FLAG, _EXIF_FLAG = 0x10, 0x20, 0x08


def _chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + b"\0" * (len(body) & 1)


def with_metadata(webp: bytes, image: Image.Image, extra: dict[str, object]) -> bytes:
    """`webp` (the encoder's bare file) with the ICC profile and EXIF block of `extra` (Pillow's
    save parameters) where Pillow writes them: VP8X first, ICCP before the image, EXIF after."""
    icc, exif = extra.get("icc_profile"), extra.get("exif")
    icc = icc if isinstance(icc, bytes) and icc else None
    exif = exif if isinstance(exif, bytes) and exif else None
    if icc is None and exif is None:
        return webp
    if webp[:4] != b"RIFF" or webp[8:12] != b"WEBP":
        raise ValueError("the encoder did not write a WebP file")
    body = webp[12:]
    if body[:4] == b"VP8X":
        vp8x, image_chunks = body[8:18], body[18:]
    else:  # a simple file (one VP8 or VP8L chunk): VP8X says the canvas size itself
        alpha = _ALPHA_FLAG if "A" in image.getbands() else 0
        vp8x = (bytes([alpha, 0, 0, 0]) + (image.width - 1).to_bytes(3, "little")
                + (image.height - 1).to_bytes(3, "little"))
        image_chunks = body
    flags = vp8x[0] | (_ICC_FLAG if icc else 0) | (_EXIF_FLAG if exif else 0)
    out = (_chunk(b"VP8X", bytes([flags]) + vp8x[1:]) + (_chunk(b"ICCP", icc) if icc else b"")
           + image_chunks + (_chunk(b"EXIF", exif) if exif else b""))
    return b"RIFF" + struct.pack("<I", 4 + len(out)) + b"WEBP" + out
