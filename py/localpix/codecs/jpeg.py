"""JPEG: Pillow's libjpeg with localpix's own quantization tables (jpeg_tables), rewritten
losslessly by mozjpeg natively; in the browser, mozjpeg itself (wasm) when the page loaded it.
See codecs.providers for who is used when."""

from __future__ import annotations

import struct
from typing import Any

from PIL import Image

from ..job import Job
from ..options import CompressOptions
from . import Encoder, SampleEncoder, jpeg_tables, pillow_save, providers

LABEL = "Pillow (libjpeg)"

# Candidates for the automatic mode: the steep set wins on full-resolution camera photos, the
# plain one on downscaled/sharp ones (Klein's tables, tried before, were rarely better than either).
AUTO_TABLES = ("psnr-hvs", "psnr-hvs-steep")

# mozjpeg's own table presets (its `quant_table`) tried by the automatic mode in the browser:
# 4 (tuned for PSNR-HVS-M) and 5 (Klein, Silverstein and Carney's). At equal SSIMULACRA2 on the
# four corpus/large photos each took 4-15 % fewer bytes than 3 (ImageMagick's, mozjpeg's
# default, which fixed quality keeps), which was never the smallest of the three.
MOZJPEG_TABLES = {"mozjpeg-4": 4, "mozjpeg-5": 5}
# Every field the wasm encoder takes (it refuses an object missing one): @jsquash/jpeg's own
# defaults (its meta.js), with chroma subsampling fixed rather than guessed from the quality.
MOZJPEG_DEFAULTS: dict[str, object] = {
    "quality": 75, "baseline": False, "arithmetic": False, "progressive": True,
    "optimize_coding": True, "smoothing": 0, "color_space": 3, "quant_table": 3,
    "trellis_multipass": False, "trellis_opt_zero": False, "trellis_opt_table": False,
    "trellis_loops": 1, "auto_subsample": False, "chroma_subsample": 2,
    "separate_chroma_quality": False, "chroma_quality": 75,
}


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


def _provider(job: Job) -> providers.Provider | None:
    # Both providers write progressive scans: a baseline JPEG asked for stays Pillow's.
    return providers.pick("jpeg", job) if job.options.jpeg_progressive else None


def encoder(image: Image.Image, job: Job, extra: dict[str, object]) -> Encoder:
    provider = _provider(job)

    def pillow(quality: int | None) -> bytes:
        tables = job.jpeg_tables if job.jpeg_tables in jpeg_tables.TABLES else Job.jpeg_tables
        return pillow_save(image, "JPEG", **params(image, quality or job.quality, tables,
                                                   job.options), **extra)

    job.codec = LABEL
    if provider is None:
        return pillow
    lib = providers.module(provider)

    def encode(quality: int | None) -> bytes:
        if provider.name == "jsquash-jpeg":
            return providers.attempt(
                job, provider,
                lambda: with_metadata(_wasm(lib, image, quality or job.quality,
                                            MOZJPEG_TABLES.get(job.jpeg_tables, 3), job.options),
                                      extra),
                lambda: pillow(quality), LABEL)
        data = pillow(quality)
        return providers.attempt(
            job, provider, lambda: lib.optimize(data, copy=lib.COPY_MARKERS.ALL),
            lambda: data, LABEL)

    return encode


def sample_encoders(job: Job) -> dict[str, SampleEncoder]:
    opts = job.options
    provider = _provider(job)
    # The lossless rewrite shrinks every candidate alike, so the search needs only Pillow.
    def with_tables(tables: str) -> SampleEncoder:
        return lambda im, q: pillow_save(im, "JPEG", **params(im, q, tables, opts))

    if provider is not None and provider.name == "jsquash-jpeg":
        lib = providers.module(provider)
        fallback = with_tables(Job.jpeg_tables)

        def wasm(table: int) -> SampleEncoder:
            return lambda im, q: providers.attempt(
                job, provider, lambda: _wasm(lib, im, q, table, opts), lambda: fallback(im, q),
                LABEL)

        return {name: wasm(table) for name, table in MOZJPEG_TABLES.items()}

    sets = [opts.jpeg_tables] if opts.jpeg_tables else list(AUTO_TABLES)
    return {name: with_tables(name) for name in sets}


def _wasm(lib: Any, image: Image.Image, quality: int, table: int, opts: CompressOptions
          ) -> bytes:
    """mozjpeg in wasm (web/worker.js loaded it): RGBA pixels in, a bare JFIF JPEG out."""
    from pyodide.ffi import to_js  # type: ignore[import-not-found]

    rgba = image.convert("RGBA").tobytes()
    subsampling = {"4:4:4": 1, "4:2:2": 2}.get(opts.jpeg_subsampling or "4:2:0", 2)
    settings = {**MOZJPEG_DEFAULTS, "quality": quality, "quant_table": table,
                "chroma_subsample": subsampling, "chroma_quality": quality,
                "color_space": 1 if image.mode == "L" else 3}
    out = lib.encode(rgba, image.width, image.height,
                     to_js(settings, dict_converter=_js_object))
    return bytes(out.to_bytes())


def _js_object(pairs: Any) -> Any:
    import js  # type: ignore[import-not-found]

    return js.Object.fromEntries(pairs)


ICC_CHUNK = 65519 - 14  # an APP2 segment's payload, less "ICC_PROFILE\0" + sequence + count


def with_metadata(jpeg: bytes, extra: dict[str, object]) -> bytes:
    """`jpeg` with the EXIF block and ICC profile of `extra` (Pillow's save parameters) written
    as Pillow writes them: APP1 and APP2 segments after SOI and JFIF's APP0."""
    segments = b""
    exif = extra.get("exif")
    if isinstance(exif, bytes) and exif:
        segments += _segment(0xE1, exif)
    icc = extra.get("icc_profile")
    if isinstance(icc, bytes) and icc:
        chunks = [icc[i : i + ICC_CHUNK] for i in range(0, len(icc), ICC_CHUNK)]
        for n, chunk in enumerate(chunks, 1):
            segments += _segment(0xE2, b"ICC_PROFILE\0" + bytes([n, len(chunks)]) + chunk)
    if not segments:
        return jpeg
    at = 2
    if jpeg[2:4] == b"\xff\xe0":  # JFIF stays first
        at = 4 + struct.unpack(">H", jpeg[4:6])[0]
    return jpeg[:at] + segments + jpeg[at:]


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload
