"""AVIF: natively through Pillow's libavif (Pillow >= 11.3; its wheels encode with aom); in the
page through libavif + aom's wasm build (@jsquash/avif) when the worker loaded it, as Pyodide's
Pillow 10.2 has no AVIF encoder."""

from __future__ import annotations

from typing import Any

from PIL import Image

from ..errors import UnsupportedFormatError
from ..job import Job
from . import Encoder, SampleEncoder, pillow_save, providers

LABEL = "Pillow (libavif, aom)"
WASM = "jsquash-avif"
# libavif's speed 0-10, its default; the mosaic search uses the same, so that the score it
# finds for a quality holds for the final encode.
SPEED = 6
# Every field the wasm encoder takes (it refuses an object missing one): @jsquash/avif's
# defaults (its meta.js), with Pillow's speed; 4:2:0 (subsample 1) like Pillow's default.
WASM_DEFAULTS: dict[str, object] = {
    "quality": 50, "qualityAlpha": -1, "denoiseLevel": 0, "tileColsLog2": 0, "tileRowsLog2": 0,
    "speed": SPEED, "subsample": 1, "chromaDeltaQ": False, "sharpness": 0, "tune": 0,
    "enableSharpYUV": False, "bitDepth": 8, "lossless": False,
}
# What the row says when the kept metadata could not be written.
NO_METADATA = ("The page's AVIF encoder writes no colour profile or EXIF: the kept ones are not in "
               "this file (the colours are read as sRGB).")


def _pillow() -> bool:
    try:
        from PIL import AvifImagePlugin, features
    except ImportError:
        return False
    return bool(features.check("avif")) and AvifImagePlugin.SUPPORTED


def available() -> bool:
    return _pillow() or providers.browser_ready(WASM)


def _check(job: Job) -> providers.Provider | None:
    """The wasm provider when the page has it, None for Pillow; refuses when neither is there."""
    if providers.RUNTIME == "browser":
        provider = providers.pick("avif", job)
        if provider is not None:
            return provider
    if not _pillow():
        where = ("the page (" + " ".join(job.codec_notes).removesuffix(
                 " Pillow encoded this file.") + " Use the command-line tool.)"
                 if providers.RUNTIME == "browser"
                 else "this Python: pip install 'localpix[modern]' (Pillow 11.3 or later)")
        raise UnsupportedFormatError(f"Writing AVIF is not available in {where}.")
    return None


def encoder(image: Image.Image, job: Job, extra: dict[str, object]) -> Encoder:
    provider = _check(job)
    if provider is not None:
        lib = providers.module(provider)
        job.codec = provider.label
        if any(extra.get(key) for key in ("icc_profile", "exif")) and \
                NO_METADATA not in job.codec_notes:
            job.codec_notes.append(NO_METADATA)
        # No Pillow to fall back on in the page: a failure here is the job's error.
        return lambda quality: _wasm(lib, image, quality or job.quality)
    job.codec = LABEL

    def encode(quality: int | None) -> bytes:
        return pillow_save(image, "AVIF", quality=quality or job.quality, speed=SPEED, **extra)

    return encode


def sample_encoders(image: Image.Image, job: Job) -> dict[str, SampleEncoder]:
    provider = _check(job)
    if provider is not None:
        lib = providers.module(provider)
        return {"avif": lambda im, q: _wasm(lib, im, q)}
    return {"avif": lambda im, q: pillow_save(im, "AVIF", quality=q, speed=SPEED)}


def decode_in_page(data: bytes) -> Image.Image | None:
    """An AVIF's pixels through the page's wasm decoder (the automatic search's samples), or
    None where there is none: Pyodide's Pillow cannot read AVIF."""
    if not providers.browser_ready(WASM):
        return None
    from pyodide.ffi import to_js  # type: ignore[import-not-found]

    decoded = providers.module(providers.PROVIDERS[WASM]).decode(to_js(memoryview(data)))
    if decoded is None:
        raise ValueError("the wasm AVIF decoder failed")
    return Image.frombytes("RGBA", (decoded.width, decoded.height),
                           bytes(decoded.data.to_bytes()))


def _wasm(lib: Any, image: Image.Image, quality: int) -> bytes:
    """libavif in wasm (web/worker.js loaded it): RGBA pixels in, an AVIF without metadata out."""
    from pyodide.ffi import to_js  # type: ignore[import-not-found]

    from .jpeg import _js_object

    rgba = image.convert("RGBA").tobytes()
    out = lib.encode(rgba, image.width, image.height,
                     to_js({**WASM_DEFAULTS, "quality": quality}, dict_converter=_js_object))
    if out is None:
        raise ValueError("the wasm AVIF encoder failed")
    return bytes(out.to_bytes())
