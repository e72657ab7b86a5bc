"""JPEG: localpix's own quantization tables (jpeg_tables) in every runtime. Natively Pillow's
libjpeg encodes and mozjpeg rewrites it losslessly; in the browser mozjpeg itself encodes (wasm,
with trellis quantisation) when the page loaded it. See codecs.providers for who is used when."""

from __future__ import annotations

import struct
from typing import Any

from PIL import Image

from ..job import Job
from ..options import CompressOptions
from . import Encoder, SampleEncoder, jpeg_tables, pillow_save, providers

LABEL = "Pillow (libjpeg)"
WASM = "mozjpeg-wasm"  # the page's mozjpeg (codecs.providers)

# Candidates for the automatic mode: the steep set wins on full-resolution camera photos, the
# plain one on downscaled/sharp ones (Klein's tables, tried before, were rarely better than either).
# Under mozjpeg's trellis the steep set took 8.7 % (SSIMULACRA2 80) to 14-18 % (70) fewer bytes
# than mozjpeg's default tables on 1024 px crops of camera photos, the plain one (= its preset 4)
# 5-12 %.
AUTO_TABLES = ("psnr-hvs", "psnr-hvs-steep")
# Under the page's mozjpeg Klein's set earns its place: at equal SSIMULACRA2 on full camera photos
# it was the smallest of the three on one of the four bench photos (2-5 % under the others at 70).
WASM_AUTO_TABLES = (*AUTO_TABLES, "klein")
# The search tries the likeliest winner first: a challenger no better at the leader's bytes costs
# one score, a winner found later a second full search. On full-resolution camera photos that is
# the steep set (in the page: 7 of 8 searches over four 8-12 MP photos at targets 70 and 80,
# 78 -> 64 scores with it first; on 0.3-2 MP photos the plain set or Klein's won 6 of 6).
CAMERA_PIXELS = 6_000_000

# The browser's mozjpeg: trellis quantisation, and no progressive scan search. The search tries
# scan layouts by encoding them: it doubled the encode time (12 MP: 808 -> 1623 ms) for 0.24-0.30 %
# of the bytes.
WASM_TRELLIS = True
WASM_SCAN_SEARCH = False
SUBSAMPLING = {"4:4:4": 1, "4:2:2": 2, "4:2:0": 4}  # the luma sampling factors' product


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


def _tables(job: Job) -> str:
    return job.jpeg_tables if job.jpeg_tables in jpeg_tables.TABLES else Job.jpeg_tables


def encoder(image: Image.Image, job: Job, extra: dict[str, object]) -> Encoder:
    provider = _provider(job)

    def pillow(quality: int | None) -> bytes:
        return pillow_save(image, "JPEG", **params(image, quality or job.quality, _tables(job),
                                                   job.options), **extra)

    job.codec = LABEL
    if provider is None:
        return pillow
    lib = providers.module(provider)

    def encode(quality: int | None) -> bytes:
        if provider.name == WASM:
            return providers.attempt(
                job, provider,
                lambda: with_metadata(_wasm(lib, image, quality or job.quality, _tables(job),
                                            job.options), extra),
                lambda: pillow(quality), LABEL)
        data = pillow(quality)
        return providers.attempt(
            job, provider, lambda: lib.optimize(data, copy=lib.COPY_MARKERS.ALL),
            lambda: data, LABEL)

    return encode


def sample_encoders(image: Image.Image, job: Job) -> dict[str, SampleEncoder]:
    opts = job.options
    provider = _provider(job)
    page = provider if provider is not None and provider.name == WASM else None
    sets = [opts.jpeg_tables] if opts.jpeg_tables else list(
        AUTO_TABLES if page is None else WASM_AUTO_TABLES)
    if image.width * image.height >= CAMERA_PIXELS and "psnr-hvs-steep" in sets:
        sets.insert(0, sets.pop(sets.index("psnr-hvs-steep")))

    def with_tables(tables: str) -> SampleEncoder:
        return lambda im, q: pillow_save(im, "JPEG", **params(im, q, tables, opts))

    if page is None:
        # The lossless rewrite shrinks every candidate alike, so the search needs only Pillow.
        return {name: with_tables(name) for name in sets}
    lib = providers.module(page)

    def wasm(tables: str) -> SampleEncoder:
        pillow = with_tables(tables)
        return lambda im, q: providers.attempt(
            job, page, lambda: _wasm(lib, im, q, tables, opts), lambda: pillow(im, q), LABEL)

    return {name: wasm(name) for name in sets}


def wasm_tables(tables: str, quality: int, grey: bool = False) -> list[int]:
    """The table set `tables` at `quality` as the page's mozjpeg takes it: jpeg_tables.scaled's
    tables in one list, luma then chroma."""
    return [v for table in jpeg_tables.scaled(tables, quality, grey=grey) for v in table]


def _wasm(lib: Any, image: Image.Image, quality: int, tables: str, opts: CompressOptions
          ) -> bytes:
    """mozjpeg in wasm (web/worker.js loaded it): grey or RGB pixels in, a bare JFIF JPEG out."""
    from pyodide.ffi import to_js  # type: ignore[import-not-found]

    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    settings = {
        "tables": wasm_tables(tables, quality, grey=image.mode == "L"),
        "subsampling": SUBSAMPLING[opts.jpeg_subsampling or "4:2:0"],
        "trellis": WASM_TRELLIS, "scan_search": WASM_SCAN_SEARCH,
    }
    out = lib.encode(image.tobytes(), image.width, image.height,
                     to_js(settings, dict_converter=_js_object))
    return bytes(out.to_bytes())


def decode_resized_in_page(data: bytes, image: Image.Image, size: tuple[int, int]
                           ) -> Image.Image | None:
    """The JPEG `data` (`image`: its header, after any draft()) decoded and resized to `size` in
    one pass by the page's mozjpeg (scripts/wasm/mozjpeg-wasm/resize.c): Pillow's LANCZOS, pixel
    for pixel what native Pillow gives, without Pyodide's Pillow decoding or holding the
    full-size image. None where the page has no such decoder or it declines the file (CMYK,
    corrupt data, ...): Pillow then decodes it as always."""
    if image.mode not in ("RGB", "L") or not providers.browser_ready(WASM):
        return None
    lib = providers.module(providers.PROVIDERS[WASM])
    if not hasattr(lib, "decodeResized"):
        return None
    from pyodide.ffi import JsException, to_js  # type: ignore[import-not-found]

    scale = (getattr(image, "decoderconfig", ()) or (1,))[0]  # draft()'s DCT scaling
    options = {"scale": scale, "in_width": image.width, "in_height": image.height,
               "width": size[0], "height": size[1]}
    try:
        out = lib.decodeResized(data, to_js(options, dict_converter=_js_object))
    except JsException:
        return None
    raw = bytes(out.pixels.to_bytes())
    resized = (Image.frombytes("RGB", size, raw, "raw", "RGBX") if out.channels == 4
               else Image.frombytes("L", size, raw))
    resized.info.update(image.info)
    return resized


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
