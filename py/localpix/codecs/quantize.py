"""Lossy PNG palettes that keep more of the picture per byte than Pillow's own quantizers.

Pillow without libimagequant (as in Pyodide) offers median cut and octrees, which spend palette
entries on colour-space volume rather than on what the eye sees, and its remap to a palette looks
colours up in a 6-bit cache, so even colours that are in the palette come back a few levels off
(and its Floyd-Steinberg then spreads that error as noise). Here, with numpy:

1. the image's colour histogram; past MAX_HISTOGRAM colours the most frequent stay exact and the
   rest are binned (mean colour per bin), so the steps below stay quick on photos;
2. a variance-based median cut (split the box with the largest weighted squared error where
   that error drops most) in an opponent luma/chroma space, alpha premultiplied and as a fourth
   axis, a fifth keeping opaque colours exactly opaque;
3. a few k-means (Lloyd) iterations on that histogram, weighted by pixel counts;
4. an exact nearest-entry remap of every distinct colour; with dithering, an ordered two-colour
   dither, only in smooth areas (gradients band there), never on exact colours or edges.

SSIMULACRA2 barely rewards dithering (the noise it adds costs about what the banding did), so
the dither is kept to where banding is visible; it costs a few per cent of bytes.
compress uses this when numpy is there and falls back to Pillow's quantizers otherwise.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

MAX_HISTOGRAM = 8192  # distinct colours k-means works on (photos are binned down to this)
DITHER_SIZE = 4  # the Bayer matrix: 8x8 scored the same, 5-8 % bigger (finer, less regular)
SMOOTH = 4  # the largest 3x3 luma (and alpha) range that is dithered
ITERATIONS = 6  # Lloyd iterations; the gain after ~5 is small
CHUNK = 1 << 19  # point x candidate pairs per block in the nearest-entry search (memory)
CELL_BITS = 3  # cells of 8 x 8 x 8 levels group colours for the nearest-entry search

# sRGB -> opponent axes: luma, red-green, yellow-blue, unweighted. Weighting luma above chroma
# (1 : 0.55 : 0.4, as the eye's acuity suggests) cost 8-25 % more bytes on photos at the same
# SSIMULACRA2 and gained ~4 % on text-heavy screenshots; equal weights won overall.
_OPPONENT = np.array([[0.299, 0.587, 0.114],
                      [0.5, -0.5, 0.0],
                      [0.25, 0.25, -0.5]], dtype=np.float32)  # fmt: skip
_ALPHA_WEIGHT = np.float32(0.75)
_OPAQUE_WEIGHT = np.float32(40.0)
OPAQUE = 254.5  # alpha at or above this rounds to 255 (binned colours are float means)


def _space(rgba: np.ndarray) -> np.ndarray:
    """(n, 3 or 4) float colours 0-255 -> the feature space distances are measured in. With
    alpha, colour is premultiplied: fully transparent pixels are all the same point."""
    rgb = rgba[:, :3].astype(np.float32)
    m = _OPPONENT.T
    if rgba.shape[1] == 3:
        return rgb @ m
    a = rgba[:, 3:4].astype(np.float32)
    # A fifth axis keeps opaque and translucent colours apart, so that opaque pixels stay
    # exactly opaque (alpha 250 would let the background show through a whole area).
    opaque = (a >= OPAQUE) * _OPAQUE_WEIGHT
    return np.hstack([(rgb @ m) * (a / 255.0), a * _ALPHA_WEIGHT, opaque])


def _unspace(features: np.ndarray, channels: int) -> np.ndarray:
    """The inverse of _space, rounded and clipped to uint8."""
    inv = np.linalg.inv(_OPPONENT.T)
    if channels == 3:
        rgb = features @ inv
        return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    a = features[:, 3:4] / _ALPHA_WEIGHT
    rgb = (features[:, :3] @ inv) * (255.0 / np.maximum(a, 1e-3))
    out = np.hstack([rgb, a])
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    out[out[:, 3] == 0, :3] = 0
    return out


def _histogram(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct colours of (n, c) uint8 pixels: (colours (k, c), counts (k,), inverse (n,))."""
    keys = np.zeros(len(pixels), dtype=np.uint32)
    for i in range(pixels.shape[1]):
        keys |= pixels[:, i].astype(np.uint32) << np.uint32(8 * i)
    if pixels.shape[1] == 4:  # every fully transparent pixel is the same colour
        keys[pixels[:, 3] == 0] = 0
    uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    colours = np.stack([(uniq >> np.uint32(8 * i)) & 0xFF for i in range(pixels.shape[1])],
                       axis=1).astype(np.uint8)
    # int32 indices: half the memory of numpy's default on a 12 MP photo (48 MB, not 96)
    return colours, counts.astype(np.float64), inverse.reshape(-1).astype(np.int32)


def _binned(colours: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most MAX_HISTOGRAM weighted colours (float). The most frequent colours stay exact (a
    flat area must keep its colour); the rest are binned by dropping low bits until few enough
    bins remain, each bin being the count-weighted mean of its colours."""
    if len(colours) <= MAX_HISTOGRAM:
        return colours.astype(np.float32), counts
    exact = np.argsort(-counts, kind="stable")[: MAX_HISTOGRAM // 4]
    rest = np.ones(len(colours), dtype=bool)
    rest[exact] = False
    others, weights = colours[rest], counts[rest]
    c = colours.shape[1]
    room = MAX_HISTOGRAM - len(exact)
    for shift in range(1, 8):
        keys = np.zeros(len(others), dtype=np.uint32)
        for i in range(c):
            keys |= (others[:, i].astype(np.uint32) >> np.uint32(shift)) << np.uint32(8 * i)
        uniq, inverse = np.unique(keys, return_inverse=True)
        if len(uniq) <= room:
            break
    inverse = inverse.reshape(-1)
    weight = np.bincount(inverse, weights=weights)
    means = np.stack([np.bincount(inverse, weights=others[:, i] * weights) / weight
                      for i in range(c)], axis=1)
    return (np.vstack([colours[exact].astype(np.float32), means.astype(np.float32)]),
            np.concatenate([counts[exact], weight]))


def _median_cut(points: np.ndarray, weights: np.ndarray, colors: int) -> np.ndarray:
    """Initial centres: split boxes by squared error until there are `colors` of them."""
    boxes = [np.arange(len(points))]

    def sse(idx: np.ndarray) -> float:
        w = weights[idx]
        p = points[idx]
        mean = (p * w[:, None]).sum(0) / w.sum()
        return float((((p - mean) ** 2).sum(1) * w).sum())

    errors = [sse(boxes[0])]
    while len(boxes) < colors:
        i = int(np.argmax(errors))
        if errors[i] <= 0:
            break
        idx = boxes[i]
        p, w = points[idx], weights[idx]
        mean = (p * w[:, None]).sum(0) / w.sum()
        axis = int(np.argmax(((p - mean) ** 2 * w[:, None]).sum(0)))
        order = np.argsort(p[:, axis], kind="stable")
        p, w, idx = p[order], w[order], idx[order]
        # The cut that leaves the least squared error in the two halves.
        cw = np.cumsum(w)[:-1]
        cs = np.cumsum(p * w[:, None], axis=0)[:-1]
        total_w, total_s = w.sum(), (p * w[:, None]).sum(0)
        left = (cs**2).sum(1) / cw
        right = ((total_s - cs) ** 2).sum(1) / np.maximum(total_w - cw, 1e-12)
        # Only between distinct values along the axis, so equal colours stay together.
        gain = np.where(p[1:, axis] > p[:-1, axis], left + right, -np.inf)
        cut = int(np.argmax(gain)) + 1
        if not np.isfinite(gain[cut - 1]):
            errors[i] = 0.0
            continue
        a, b = idx[:cut], idx[cut:]
        boxes[i], errors[i] = a, sse(a)
        boxes.append(b)
        errors.append(sse(b))
    return np.stack([(points[b] * weights[b][:, None]).sum(0) / weights[b].sum() for b in boxes])


def _nearest(points: np.ndarray, centres: np.ndarray, colours: np.ndarray, rank: int = 0
             ) -> np.ndarray:
    """Index of the nearest centre (squared Euclidean distance in the feature space) for each
    point, or with rank=1 the second nearest; `colours` are the points' RGB(A) values 0-255,
    which group them into cells.

    Exact, but not brute force: each 8-level cell's candidates are the centres that can be the
    nearest for some colour in it (within the nearest distance from the cell's middle plus the
    cell's diameter), and each point is measured against its cell's candidates only."""
    channels = colours.shape[1]
    cell = np.minimum(colours, 255).astype(np.int64) >> CELL_BITS
    if channels == 4:  # opaque is a cell of its own: it is far from alpha 254 (see _space)
        cell[:, 3] = np.where(colours[:, 3] >= OPAQUE, 256 >> CELL_BITS, cell[:, 3])
    keys = np.zeros(len(points), dtype=np.int64)
    for i in range(channels):
        keys |= cell[:, i] << (8 * i)
    cells, inverse = np.unique(keys, return_inverse=True)
    inverse = inverse.reshape(-1)
    low = (np.stack([(cells >> (8 * i)) & 0xFF for i in range(channels)], axis=1)
           << CELL_BITS).astype(np.float32)
    high = low + ((1 << CELL_BITS) - 1)
    if channels == 4:
        opaque = low[:, 3] > 255
        low[:, 3] = np.where(opaque, 255, low[:, 3])
        high[:, 3] = np.where(opaque, 255, np.minimum(high[:, 3], OPAQUE - 0.01))
    middle = _space((low + high) / 2)
    radius = np.zeros(len(cells), dtype=np.float32)
    for corner in range(1 << channels):
        pick = np.array([(corner >> i) & 1 for i in range(channels)], dtype=bool)
        gap = _space(np.where(pick, high, low)) - middle
        radius = np.maximum(radius, np.sqrt((gap**2).sum(1)))
    near = np.sqrt(_distances(middle, centres))
    rank = min(rank, len(centres) - 1)
    limit = np.partition(near, rank, axis=1)[:, rank] + 2 * radius + 1e-3
    width = int((near <= limit[:, None]).sum(1).max())
    order = (np.argpartition(near, width - 1, axis=1)[:, :width] if width < len(centres)
             else np.broadcast_to(np.arange(len(centres)), near.shape))
    valid = np.take_along_axis(near, order, axis=1) <= limit[:, None]
    out = np.empty(len(points), dtype=np.intp)
    step = max(1, CHUNK // width)
    for start in range(0, len(points), step):
        p = points[start : start + step]
        c = inverse[start : start + step]
        cand = order[c]
        d = np.where(valid[c], np.float32(0), np.float32(np.inf))
        for i in range(points.shape[1]):
            gap = centres[:, i][cand] - p[:, i, None]
            d += gap * gap
        pick = d.argmin(1) if rank == 0 else np.argpartition(d, rank, axis=1)[:, rank]
        out[start : start + step] = np.take_along_axis(cand, pick[:, None], 1)[:, 0]
    return out


def _distances(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(n, k) squared distances, brute force, in blocks that bound the memory."""
    out = np.empty((len(points), len(centres)), dtype=np.float32)
    step = max(1, CHUNK // len(centres))
    for start in range(0, len(points), step):
        p = points[start : start + step]
        d = out[start : start + step]
        d[:] = 0
        for i in range(points.shape[1]):
            gap = centres[None, :, i] - p[:, i, None]
            d += gap * gap
    return out


def _kmeans(points: np.ndarray, weights: np.ndarray, centres: np.ndarray, colours: np.ndarray
            ) -> np.ndarray:
    for _ in range(ITERATIONS):
        label = _nearest(points, centres, colours)
        w = np.bincount(label, weights=weights, minlength=len(centres))
        used = w > 0
        sums = np.stack([np.bincount(label, weights=points[:, i] * weights,
                                     minlength=len(centres)) for i in range(points.shape[1])],
                        axis=1)
        new = centres.copy()
        new[used] = sums[used] / w[used, None]
        if np.abs(new - centres).max() < 0.05:
            centres = new
            break
        centres = new
    return centres


def _palette_from(colours: np.ndarray, counts: np.ndarray, colors: int) -> np.ndarray:
    """At most `colors` entries (uint8, RGB or RGBA) for the weighted distinct colours."""
    channels = colours.shape[1]
    if len(colours) <= colors:
        return colours
    # Fully transparent pixels get an exact entry of their own: alpha 1 instead of 0 would show
    # as a faint haze over whatever the image is placed on.
    clear = colours[:, 3] == 0 if channels == 4 else np.zeros(len(colours), dtype=bool)
    if clear.any():
        colours, counts, colors = colours[~clear], counts[~clear], colors - 1
    binned, weights = _binned(colours, counts)
    points = _space(binned)
    centres = _kmeans(points, weights, _median_cut(points, weights, colors), binned)
    pal = _unspace(centres.astype(np.float32), channels)
    if clear.any():
        pal = np.vstack([np.zeros((1, 4), dtype=np.uint8), pal])
    # Rounding may merge entries; keep each colour once.
    keys = pal.astype(np.uint32) @ (np.uint32(1) << np.arange(0, 8 * channels, 8, dtype=np.uint32))
    _, first = np.unique(keys, return_index=True)
    return pal[np.sort(first)]


class Quantizer:
    """Palette images of one RGB or RGBA image; the colour histogram is computed once, so a
    search over palette sizes (compress's target size) pays for it once."""

    def __init__(self, image: Image.Image) -> None:
        if image.mode not in ("RGB", "RGBA"):
            raise ValueError(f"Quantizer needs RGB or RGBA, not {image.mode}")
        self.image = image
        pixels = np.asarray(image).reshape(-1, len(image.mode))
        self.colours, self.counts, self.inverse = _histogram(pixels)
        self._smooth_mask: np.ndarray | None = None

    def _smooth(self) -> np.ndarray:
        """Pixels in smooth areas (a small local range of luma and alpha in 3x3), where banding
        shows and dithering pays; across edges and texture it only adds noise and bytes."""
        if self._smooth_mask is None:
            bands = [self.image.convert("L")]
            if self.image.mode == "RGBA":
                bands.append(self.image.getchannel("A"))
            mask = np.ones((self.image.height, self.image.width), dtype=bool)
            for band in bands:
                mask &= _spread3(np.asarray(band)) <= SMOOTH
            self._smooth_mask = mask.reshape(-1)
        return self._smooth_mask

    def quantize(self, colors: int, dither: bool) -> Image.Image:
        """A "P" image of at most `colors` entries; with alpha, the palette is RGBA (Pillow
        writes its alpha as a tRNS chunk)."""
        pal = _palette_from(self.colours, self.counts, colors)
        if pal.shape[1] == 4:  # translucent entries first: the tRNS chunk can stop after them
            pal = pal[np.argsort(pal[:, 3] == 255, kind="stable")]
        # Exact nearest entry for every distinct colour, then per pixel through the inverse.
        lut = _nearest(_space(self.colours.astype(np.float32)), _space(pal.astype(np.float32)),
                       self.colours)
        indices = lut.astype(np.uint8)[self.inverse]
        if dither:
            where = np.flatnonzero(self._smooth())
            if len(where):
                indices[where] = _dithered(self.image.width, pal, self.colours, lut,
                                           self.inverse[where], where)
        out = Image.frombytes("P", self.image.size, indices.tobytes())
        out.putpalette(pal.tobytes(), rawmode="RGBA" if pal.shape[1] == 4 else "RGB")
        return out


def _spread3(a: np.ndarray) -> np.ndarray:
    """max - min over each pixel's 3x3 neighbourhood (edges repeated), uint8."""
    p = np.pad(a, 1, mode="edge")
    hi = np.maximum(np.maximum(p[:, :-2], p[:, 1:-1]), p[:, 2:])
    lo = np.minimum(np.minimum(p[:, :-2], p[:, 1:-1]), p[:, 2:])
    hi = np.maximum(np.maximum(hi[:-2], hi[1:-1]), hi[2:])
    lo = np.minimum(np.minimum(lo[:-2], lo[1:-1]), lo[2:])
    return hi - lo


def _bayer(size: int) -> np.ndarray:
    """The size x size ordered-dither threshold matrix, values in (0, 1)."""
    m = np.zeros((1, 1))
    while m.shape[0] < size:
        m = np.block([[4 * m, 4 * m + 2], [4 * m + 3, 4 * m + 1]])
    return (m + 0.5) / m.size


def _dithered(width: int, pal: np.ndarray, colours: np.ndarray, lut: np.ndarray,
              ids: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Palette indices for the pixels at flat positions `where` (of colours `ids`), by ordered
    two-colour dithering: a distinct colour c lies between its nearest entry p1 and its second
    nearest p2; a fraction t (c's position along p1 -> p2) of its pixels, picked by an ordered
    threshold pattern, take p2, so the local average moves towards c. Exact colours (t = 0)
    are never dithered, and a regular pattern deflates well. (Pillow's Floyd-Steinberg, whose
    palette lookup is approximate, lost 5-17 SSIMULACRA2 points against no dither.)"""
    # Only the colours that occur here: on photos few pixels are smooth.
    seen = np.zeros(len(colours), dtype=bool)
    seen[ids] = True
    used = np.flatnonzero(seen)
    local = np.cumsum(seen, dtype=np.int32)[ids] - 1
    points = _space(colours[used].astype(np.float32))
    pal_points = _space(pal.astype(np.float32))
    other = _nearest(points, pal_points, colours[used], rank=1)
    p1 = pal_points[lut[used]]
    step = pal_points[other] - p1
    t = (step * (points - p1)).sum(1) / np.maximum((step * step).sum(1), 1e-6)
    t = np.clip(t, 0, 0.5).astype(np.float32)
    tile = _bayer(DITHER_SIZE).astype(np.float32)
    threshold = tile[(where // width) % DITHER_SIZE, (where % width) % DITHER_SIZE]
    # uint8 before indexing per pixel: the per-pixel temporaries stay 1 byte a pixel
    return np.where(threshold < t[local], other.astype(np.uint8)[local],
                    lut[used].astype(np.uint8)[local])
