"""A small preview of a result for the page's rows: a data: URL small enough that hundreds of
rows cost a few hundred KB, made from the output so it shows what the user downloads."""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageOps

from ..registry import detect
from .decode import pillow_errors, refuse_known_hole

MAX_SIDE = 256  # the page asks for ~2x its row thumbnail size; anything more is a mistake
QUALITY = 70


def thumbnail(data: bytes, side: int, own: bool = False) -> str:
    """A JPEG data: URL at most `side` px on its longer side, upright, without metadata.
    `own`: localpix encoded `data` itself; otherwise (a cleaned file is still the stranger's
    coded image) a decoder with a known hole here is not used."""
    side = max(16, min(int(side), MAX_SIDE))
    if not own:
        refuse_known_hole(data)
    # Only the registered format's decoder: left to guess, Pillow would try every plugin it has
    # (PSD, FPX, McIdas, ... with their own holes) on bytes no container check vouched for.
    formats = (detect(data).pillow_format,)
    with pillow_errors(), Image.open(io.BytesIO(data), formats=formats) as im:
        im.draft("RGB", (side * 2, side * 2))  # JPEG: decode at 1/2..1/8 size, much faster
        im = ImageOps.exif_transpose(im)
        im.thumbnail((side, side), Image.Resampling.BILINEAR, reducing_gap=2.0)
        if im.mode in ("RGBA", "LA", "PA", "P"):
            rgba = im.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            im = flat
        buf = io.BytesIO()
        im.convert("RGB").save(buf, "JPEG", quality=QUALITY)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
