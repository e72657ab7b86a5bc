"""pngwrite: re-filtered PNGs decode to exactly the same pixels and are never bigger."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from localpix import CompressOptions, compress
from localpix.codecs import png_deflate as pngwrite
from localpix.containers.png import chunk_bodies


def _picture(mode: str) -> Image.Image:
    im = Image.new("RGB", (333, 217), (240, 240, 235))
    draw = ImageDraw.Draw(im)
    for i in range(0, 333, 7):
        draw.line((i, 0, 333 - i, 216), fill=(i % 256, (3 * i) % 256, 90), width=2)
    draw.text((20, 20), "localpix", fill=(0, 0, 0))
    if mode == "RGBA":
        im.putalpha(Image.linear_gradient("L").resize(im.size))
    elif mode == "P4":
        return im.quantize(12, dither=Image.Dither.NONE)
    elif mode == "I;16":  # the route every Pillow (10.2 too) converts
        im = im.convert("I").convert("I;16")
    elif mode != "RGB":
        im = im.convert(mode)
    return im


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P4", "1", "I;16"])
def test_optimise_is_lossless_and_never_bigger(mode: str) -> None:
    im = _picture(mode)
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=True)
    out = pngwrite.optimise(buf.getvalue(), im)
    assert len(out) <= len(buf.getvalue())
    back = Image.open(io.BytesIO(out))
    back.load()
    assert back.mode == Image.open(io.BytesIO(buf.getvalue())).mode
    assert back.tobytes() == Image.open(io.BytesIO(buf.getvalue())).tobytes()


def test_compress_png_is_smaller_than_pillows_and_identical() -> None:
    im = _picture("RGB")
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=True)
    result = compress(buf.getvalue(), CompressOptions(format="png"))
    back = Image.open(io.BytesIO(result.data)).convert("RGB")
    assert back.tobytes() == im.tobytes()
    assert result.output_size <= len(buf.getvalue())


def _trns(png: bytes) -> bytes | None:
    return next((body for kind, body in chunk_bodies(png) if kind == b"tRNS"), None)


@pytest.mark.parametrize("translucent", [3, 0])
def test_palette_alpha_list_stops_at_the_last_translucent_entry(translucent: int) -> None:
    im = _picture("RGB").quantize(16, dither=Image.Dither.NONE)
    rgb = im.getpalette() or []
    alphas = [40 * i for i in range(translucent)] + [255] * (len(rgb) // 3 - translucent)
    im.putpalette(bytes(c for i in range(len(rgb) // 3)
                        for c in (*rgb[3 * i : 3 * i + 3], alphas[i])), rawmode="RGBA")
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=True)
    assert len(_trns(buf.getvalue()) or b"") >= 16  # Pillow lists every entry
    out = pngwrite.optimise(buf.getvalue(), im)
    assert _trns(out) == (bytes(alphas[:translucent]) or None)
    back = Image.open(io.BytesIO(out)).convert("RGBA")
    assert back.tobytes() == im.convert("RGBA").tobytes()
