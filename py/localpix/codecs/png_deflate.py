"""Smaller lossless PNGs than Pillow's: the same file Pillow writes (chunks, bit depth, palette,
profile), with its image data re-filtered and re-deflated per image.

Pillow picks PNG row filters itself and offers no choice. Here every filter type (none, sub, up,
average, Paeth, and libpng's per-row "minimum sum of absolute differences") is tried on bands
sampled across the image, the best is applied to all rows with numpy, and zlib at level 9 deflates
it with the default and the "filtered" strategies; the smallest IDAT wins, and Pillow's own is
kept when it is smaller still. The pixels are untouched: PNG filters are lossless by design.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
from PIL import Image, PngImagePlugin

from ..containers.png import chunk_bodies, write_chunk

SAMPLE_BAND = 16  # rows per sampled band
SAMPLE_BANDS = 24  # bands spread over the image for choosing the filter
CHUNK_ROWS = 256  # rows filtered at a time (bounds memory on big images)


_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _filtered(rows: np.ndarray, prev: np.ndarray, bpp: int, kind: int) -> np.ndarray:
    """Rows (n, stride) uint8 filtered with PNG filter `kind` (0-4), or 5 = per-row minimum sum
    of absolute differences; `prev` is the row above the first one (zeros at the top).
    Returns (n, 1 + stride): the filter byte, then the filtered row."""
    n = rows.shape[0]
    x = rows.astype(np.int16)
    up = np.vstack([prev[None, :], rows[:-1]]).astype(np.int16)
    left = np.zeros_like(x)
    left[:, bpp:] = x[:, :-bpp]
    upleft = np.zeros_like(x)
    upleft[:, bpp:] = up[:, :-bpp]
    kinds = range(5) if kind == 5 else [kind]
    results = {}
    for k in kinds:
        if k == 0:
            f = x
        elif k == 1:
            f = x - left
        elif k == 2:
            f = x - up
        elif k == 3:
            f = x - ((left + up) >> 1)
        else:
            p = left + up - upleft
            pa, pb, pc = np.abs(p - left), np.abs(p - up), np.abs(p - upleft)
            pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, upleft))
            f = x - pred
        results[k] = (f & 0xFF).astype(np.uint8)
    if kind != 5:
        body, types = results[kind], np.full(n, kind, dtype=np.uint8)
    else:
        cost = np.stack([np.abs(results[k].view(np.int8).astype(np.int16)).sum(axis=1)
                         for k in range(5)])
        types = cost.argmin(axis=0).astype(np.uint8)
        body = np.stack([results[k] for k in range(5)])[types, np.arange(n)]
    return np.hstack([types[:, None], body])


def _raw_rows(image: Image.Image, width: int, height: int, depth: int, colour: int
              ) -> np.ndarray | None:
    """The unfiltered scanlines of `image` as Pillow's PNG writer lays them out."""
    mode = image.mode
    if mode == "P" and depth < 8:
        rawmode = f"P;{depth}"
    else:
        out = PngImagePlugin._OUTMODES.get(mode)  # (rawmode, bit depth + colour type)
        if out is None:
            return None
        rawmode = out[0]
    try:
        raw = image.tobytes("raw", rawmode)
    except Exception:
        return None
    stride = (width * _CHANNELS[colour] * depth + 7) // 8
    if len(raw) != stride * height:
        return None
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, stride)


def _deflate(filtered_rows: list[np.ndarray], strategy: int) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 15, 9, strategy)
    parts = [z.compress(block.tobytes()) for block in filtered_rows]
    parts.append(z.flush())
    return b"".join(parts)


def _apply(rows: np.ndarray, bpp: int, kind: int) -> list[np.ndarray]:
    out = []
    prev = np.zeros(rows.shape[1], dtype=np.uint8)
    for start in range(0, rows.shape[0], CHUNK_ROWS):
        block = rows[start : start + CHUNK_ROWS]
        out.append(_filtered(block, prev, bpp, kind))
        prev = block[-1]
    return out


def _sample_cost(rows: np.ndarray, bpp: int, kind: int) -> int:
    """Deflated size of the sampled bands under one filter choice."""
    h = rows.shape[0]
    bands = min(SAMPLE_BANDS, max(1, h // SAMPLE_BAND))
    z = zlib.compressobj(6)
    total = 0
    for i in range(bands):
        start = (h - SAMPLE_BAND) * i // max(bands - 1, 1) if h > SAMPLE_BAND else 0
        block = rows[start : start + SAMPLE_BAND]
        prev = rows[start - 1] if start > 0 else np.zeros(rows.shape[1], dtype=np.uint8)
        total += len(z.compress(_filtered(block, prev, bpp, kind).tobytes()))
    return total + len(z.flush())


def optimise(png: bytes, image: Image.Image) -> bytes:
    """`png` (as Pillow wrote `image`) with the smallest image data found; never bigger."""
    chunks = chunk_bodies(png)
    if not chunks or chunks[0][0] != b"IHDR":
        return png
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    if interlace or colour not in _CHANNELS:
        return png
    rows = _raw_rows(image, width, height, depth, colour)
    if rows is None:
        return png
    old_idat = b"".join(body for kind, body in chunks if kind == b"IDAT")
    try:  # Pillow's data must have exactly the layout assumed here
        if len(zlib.decompress(old_idat)) != height * (rows.shape[1] + 1):
            return png
    except zlib.error:
        return png
    bpp = max(1, _CHANNELS[colour] * depth // 8)
    # Palette and low-bit images: unfiltered rows are usually best (as libpng assumes); for
    # 8-bit palettes always, in measurements on screenshots and photos at 64 and 256 colours.
    kinds = [0] if colour == 3 and depth == 8 else [0, 5] if colour == 3 or depth < 8 \
        else [0, 1, 2, 4, 5]
    ranked = sorted(kinds, key=lambda k: _sample_cost(rows, bpp, k)) if len(kinds) > 1 else kinds
    best = old_idat
    for kind in ranked[:2]:
        filtered = _apply(rows, bpp, kind)
        for strategy in (zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED):
            data = _deflate(filtered, strategy)
            if len(data) < len(best):
                best = data
    # A palette's alpha list may stop at its last translucent entry (the rest are opaque).
    trns = [body for kind, body in chunks if kind == b"tRNS"]
    trimmed = trns[0].rstrip(b"\xff") if colour == 3 and trns else None
    if best is old_idat and (trimmed is None or trimmed == trns[0]):
        return png
    out = [png[:8]]
    wrote = False
    for kind, body in chunks:
        if kind == b"IDAT":
            if not wrote:
                out.append(write_chunk(b"IDAT", best))
                wrote = True
            continue
        if kind == b"tRNS" and trimmed is not None:
            if trimmed:
                out.append(write_chunk(kind, trimmed))
            continue
        out.append(write_chunk(kind, body))
    return b"".join(out)
