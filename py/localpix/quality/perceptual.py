"""SSIMULACRA2 in plain numpy: the perceptual score the automatic quality mode aims at.

The same computation as the PyPI `ssimulacra2` package (which needs scipy, too big to ship in the
browser): sRGB -> linear -> XYB, six scales of SSIM and edge-difference maps with a sigma-1.5
Gaussian (11 taps, zero padding vertically and mirrored edges horizontally, as that package), and
libjxl's weights and final mapping. float32 throughout, and the reference's half is computed once
per image (`Reference`), so scoring many candidates against one original is cheap. Maps whose
weights are negligible are not computed (`_plan`): scores move by < 0.001 on the corpus. In the
page, where the job loaded the mozjpeg module, `reference()` hands out its compiled copy of this
computation (`PageReference`, scripts/wasm/mozjpeg-wasm/score.c), 4x faster than numpy there.

Scores: 100 = identical; ~90 = indistinguishable side by side at 1:1; ~80 = very high quality
(not noticeable at normal viewing distance); ~70 = high quality; ~50 = medium.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from PIL import Image

_NUM_SCALES = 6
_C2 = np.float32(0.0009)
_OPSIN = np.array([[0.30, 0.622, 0.078], [0.23, 0.692, 0.078],
                   [0.24342268924547819, 0.20476744424496821, 0.5518098665095571]],
                  dtype=np.float32)  # fmt: skip
_BIAS = np.float32(0.0037930732552754493)
_CBRT_BIAS = np.float32(np.cbrt(0.0037930732552754493))

# libjxl's weights: per channel (X, Y, B), per scale, per norm (1, 4): ssim, ringing, blurring.
_WEIGHTS = np.array([
    0.0, 0.0007376606707406586, 0.0, 0.0, 0.0007793481682867309, 0.0, 0.0,
    0.0004371155730107379, 0.0, 1.1041726426657346, 0.00066284834129271, 0.00015231632783718752,
    0.0, 0.0016406437456599754, 0.0, 1.8422455520539298, 11.441172603757666, 0.0,
    0.0007989109436015163, 0.000176816438078653, 0.0, 1.8787594979546387, 10.94906990605142, 0.0,
    0.0007289346991508072, 0.9677937080626833, 0.0, 0.00014003424285435884, 0.9981766977854967,
    0.00031949755934435053, 0.0004550992113792063, 0.0, 0.0, 0.0013648766163243398, 0.0, 0.0,
    0.0, 0.0, 0.0, 7.466890328078848, 0.0, 17.445833984131262, 0.0006235601634041466, 0.0, 0.0,
    6.683678146179332, 0.00037724407979611296, 1.027889937768264, 225.20515300849274, 0.0, 0.0,
    19.213238186143016, 0.0011401524586618361, 0.001237755635509985, 176.39317598450694, 0.0,
    0.0, 24.43300999870476, 0.28520802612117757, 0.0004485436923833408, 0.0, 0.0, 0.0,
    34.77906344483772, 44.835625328877896, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0008680556573291698, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0005313191874358747, 0.0,
    0.00016533814161379112, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0004179171803251336,
    0.0017290828234722833, 0.0, 0.0020827005846636437, 0.0, 0.0, 8.826982764996862,
    23.19243343998926, 0.0, 95.1080498811086, 0.9863978034400682, 0.9834382792465353,
    0.0012286405048278493, 171.2667255897307, 0.9807858872435379, 0.0, 0.0, 0.0,
    0.0005130064588990679, 0.0, 0.00010854057858411537,
])  # fmt: skip

# Terms whose weight is below this (the largest is 225) are left out. Over 188 JPEGs of the
# corpus's mosaics, scores moved by at most 0.0009. That skips the X and B channels at full
# resolution, which is 2/3 of the work there.
_NEGLIGIBLE = 0.01

Plan = tuple[np.ndarray, list[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]]]


@cache
def _plan(scales: int) -> Plan:
    """The weights of an image with this many scales, and per scale: the XYB channels whose SSIM
    map counts, those whose edge maps count, and all channels needed. An image too small for
    six scales takes its weights from the start of the table, one channel after the other, as
    libjxl's and the ssimulacra2 package's loops do."""
    w = _WEIGHTS[: scales * 18].reshape(3, scales, 2, 3)  # channel, scale, norm, (ssim, edges)
    plan = []
    for scale in range(scales):
        ssim = tuple(c for c in range(3) if (w[c, scale, :, 0] >= _NEGLIGIBLE).any())
        edge = tuple(c for c in range(3) if (w[c, scale, :, 1:] >= _NEGLIGIBLE).any())
        plan.append((ssim, edge, tuple(sorted({*ssim, *edge}))))
    return w, plan


def _scale_count(height: int, width: int) -> int:
    scales = 0
    while scales < _NUM_SCALES and height >= 8 and width >= 8:
        scales += 1
        height, width = (height + 1) // 2, (width + 1) // 2
    return scales


def _kernel() -> np.ndarray:
    sigma, radius = 1.5, 5  # scipy: int(truncate 3.33 * sigma + 0.5)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return (k / k.sum()).astype(np.float32)


_KERNEL = _kernel()
_R = len(_KERNEL) // 2


def _srgb_lut() -> np.ndarray:
    v = np.arange(256, dtype=np.float64) / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4).astype(np.float32)


_LINEAR = _srgb_lut()


def _blur(planes: np.ndarray) -> np.ndarray:
    """Separable Gaussian on (n, h, w) planes: zeros beyond the top/bottom edges, mirrored
    (half-sample symmetric) beyond the left/right edges. The kernel is symmetric, so each pair of
    taps costs one multiply; many planes go through at once (fewer, bigger numpy calls)."""
    h, w = planes.shape[1:]
    padded = np.pad(planes, ((0, 0), (_R, _R), (0, 0)))
    out = padded[:, _R : _R + h] * _KERNEL[_R]
    pair = np.empty_like(out)
    for i in range(_R):
        np.add(padded[:, i : i + h], padded[:, 2 * _R - i : 2 * _R - i + h], out=pair)
        pair *= _KERNEL[i]
        out += pair
    # numpy mirrors repeatedly where the image is narrower than the kernel's radius
    padded = np.pad(out, ((0, 0), (0, 0), (_R, _R)), mode="symmetric")
    out = padded[:, :, _R : _R + w] * _KERNEL[_R]
    for i in range(_R):
        np.add(padded[:, :, i : i + w], padded[:, :, 2 * _R - i : 2 * _R - i + w], out=pair)
        pair *= _KERNEL[i]
        out += pair
    return out


def _xyb(linear: np.ndarray, channels: tuple[int, ...] = (0, 1, 2)) -> np.ndarray:
    """Linear RGB planes (3, h, w) -> those of SSIMULACRA2's positive XYB planes (X, Y, B =
    0, 1, 2) listed in `channels`. X and Y need two of the three cone responses: B alone needs
    the third (at full resolution only Y counts: one cube root in three saved)."""
    rows = 3 if 2 in channels else 2
    mixed = np.tensordot(_OPSIN[:rows], linear, axes=1)
    mixed += _BIAS
    np.maximum(mixed, 0, out=mixed)
    mixed = np.cbrt(mixed)
    mixed -= _CBRT_BIAS
    y = 0.5 * (mixed[0] + mixed[1])
    planes = np.empty((len(channels), *linear.shape[1:]), dtype=np.float32)
    for plane, c in zip(planes, channels, strict=True):
        if c == 0:
            plane[...] = 0.5 * (mixed[0] - mixed[1]) * 14.0 + 0.42
        elif c == 1:
            plane[...] = y + 0.01
        else:
            plane[...] = (mixed[2] - y) + 0.55
    return planes


def _downsample(img: np.ndarray) -> np.ndarray:
    """2x2 box average of (3, h, w) planes; a partial block at an odd edge averages the pixels
    it has."""
    c, h, w = img.shape
    if h % 2 or w % 2:
        padded = np.zeros((c, h + h % 2, w + w % 2), dtype=img.dtype)
        padded[:, :h, :w] = img
        counts = np.zeros((1, *padded.shape[1:]), dtype=img.dtype)
        counts[:, :h, :w] = 1
        return _quads(padded) / _quads(counts)
    return _quads(img) * np.float32(0.25)


def _quads(img: np.ndarray) -> np.ndarray:
    """Sums of each 2x2 block of even-sized planes."""
    out = img[:, 0::2, 0::2] + img[:, 1::2, 0::2]
    out += img[:, 0::2, 1::2]
    out += img[:, 1::2, 1::2]
    return out


def _linear(image: Image.Image | np.ndarray) -> np.ndarray:
    """sRGB pixels (an image, or an (h, w, 3) uint8 array) -> linear RGB planes (3, h, w)."""
    if isinstance(image, Image.Image):
        image = np.asarray(image.convert("RGB"))
    return np.ascontiguousarray(_LINEAR[image].transpose(2, 0, 1))


def _norms(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-plane mean and 4-norm of non-negative (3, h, w) planes, summed in float64."""
    flat = d.reshape(d.shape[0], -1)
    l4 = flat * flat
    l4 *= l4
    return (flat.mean(axis=1, dtype=np.float64),
            l4.mean(axis=1, dtype=np.float64) ** 0.25)


class Reference:
    """The original image, prepared once; `score(candidate)` compares a same-sized image."""

    def __init__(self, image: Image.Image | np.ndarray) -> None:
        lin = _linear(image)
        self.shape = lin.shape[1:]
        self.weights, self.plan = _plan(_scale_count(*self.shape))
        # per scale, for the channels that count there: XYB, its blur, the blur of its square
        self.scales: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for scale, (ssim, _edge, need) in enumerate(self.plan):
            x = _xyb(lin, need)
            blurred = _blur(np.concatenate([x, (x * x)[_positions(need, ssim)]]))
            self.scales.append((x, blurred[: len(need)], blurred[len(need) :]))
            if scale < len(self.plan) - 1:
                lin = _downsample(lin)

    def score(self, candidate: Image.Image | np.ndarray) -> float:
        lin = _linear(candidate)
        if lin.shape[1:] != self.shape:
            raise ValueError("the candidate differs in size from the reference")
        total = 0.0
        for scale, (x1, mu1, s11) in enumerate(self.scales):
            ssim_channels, edge_channels, need = self.plan[scale]
            if need:
                x2 = _xyb(lin, need)
                at = _positions(need, ssim_channels)
                x1s, x2s = x1[at], x2[at]
                blurred = _blur(np.concatenate([x2, x2s * x2s, x1s * x2s]))
                mu2 = blurred[: len(need)]
                s22, s12 = np.split(blurred[len(need) :], 2)
                mu1s, mu2s = mu1[at], mu2[at]
                num_m = 1.0 - (mu1s - mu2s) ** 2
                num_s = 2.0 * (s12 - mu1s * mu2s) + _C2
                denom_s = (s11 - mu1s * mu1s) + (s22 - mu2s * mu2s) + _C2
                ssim = _norms(np.maximum(1.0 - num_m * num_s / denom_s, 0.0))
                at = _positions(need, edge_channels)
                ratio = (1.0 + np.abs(x2[at] - mu2[at])) / (1.0 + np.abs(x1[at] - mu1[at])) - 1.0
                ringing = _norms(np.maximum(ratio, 0.0))
                blurring = _norms(np.maximum(-ratio, 0.0))
                w = self.weights[:, scale]
                for n in range(2):
                    for j, c in enumerate(ssim_channels):
                        total += w[c, n, 0] * ssim[n][j]
                    for j, c in enumerate(edge_channels):
                        total += w[c, n, 1] * ringing[n][j] + w[c, n, 2] * blurring[n][j]
            if scale < len(self.plan) - 1:
                lin = _downsample(lin)
        total *= 0.9562382616834844
        total = (2.326765642916932 * total - 0.020884521182843837 * total**2
                 + 6.248496625763138e-05 * total**3)  # fmt: skip
        return float(100.0 - 10.0 * total**0.6276336467831387) if total > 0 else 100.0


class PageReference:
    """`Reference`'s score computed by the page's mozjpeg module (scripts/wasm/mozjpeg-wasm/
    score.c, the same steps in C, vectorised in its SIMD build): a 384 x 384 mosaic in ~10 ms
    against ~41 ms for numpy in Pyodide; scores agree to < 0.01. The module holds one reference
    at a time: the latest made."""

    def __init__(self, lib: Any, image: Image.Image) -> None:
        from pyodide.ffi import to_js  # type: ignore[import-not-found]

        rgb = image.convert("RGB")
        self.lib, self.size = lib, rgb.size
        if not lib.scoreReference(rgb.tobytes(), rgb.width, rgb.height,
                                  to_js([float(w) for w in _WEIGHTS])):
            raise MemoryError("the page's SSIMULACRA2 ran out of memory")

    def score(self, candidate: Image.Image) -> float:
        rgb = candidate.convert("RGB")
        if rgb.size != self.size:
            raise ValueError("the candidate differs in size from the reference")
        return float(self.lib.score(rgb.tobytes()))


def reference(image: Image.Image) -> Reference | PageReference:
    """A prepared `image` to score candidates against: in the page the compiled one, where the
    job loaded the mozjpeg module (and it has the memory), else numpy's."""
    from ..codecs import jpeg, providers

    if providers.browser_ready(jpeg.WASM):
        lib = providers.module(providers.PROVIDERS[jpeg.WASM])
        if hasattr(lib, "scoreReference"):
            try:
                return PageReference(lib, image)
            except MemoryError:
                pass
    return Reference(image)


def _positions(channels: tuple[int, ...], subset: tuple[int, ...]) -> list[int]:
    """Where each channel of `subset` sits among `channels`."""
    return [channels.index(c) for c in subset]


def ssimulacra2(reference: Image.Image | np.ndarray, candidate: Image.Image | np.ndarray) -> float:
    return Reference(reference).score(candidate)
