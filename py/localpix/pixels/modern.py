"""Decoders for the modern formats, needed only to compress: HEIC (pillow-heif), AVIF (Pillow
11.3+ built with libavif) and JPEG XL (pillow-jxl-plugin). `inspect` and `clean` never decode, so
they work without any of these (in the browser's Pillow 10.2 too); compress says plainly which
package is missing. pillow-heif and Pillow's AVIF plugin turn irot/imir into upright pixels or
an EXIF orientation that compress applies; JPEG XL's EXIF orientation is applied the same way."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

from PIL import Image, features

from ..errors import DecoderMissingError, InvalidOptionsError
from ..metadata import exif as exif_block
from ..options import Keep
from ..registry import FORMATS, Format

# Pillow's format name -> the record of a format decoded by an optional native package.
MODERN = {f.pillow_format: f for f in FORMATS if f.decoder_package}
# Formats whose pixels the page may decode for the engine: those above, and WebP, whose decoder
# in Pyodide's Pillow has a known hole (pixels.decode.known_hole).
PAGE_DECODED = {*MODERN, "WEBP"}
# (format, width, height, RGBA bytes) the page decoded for the job running now (bridge.py).
_PAGE_PIXELS: ContextVar[tuple[str, int, int, bytes] | None] = ContextVar("page_pixels",
                                                                          default=None)


@cache
def available(name: str) -> bool:
    """Whether Pillow can decode `name` here, registering the plugin on first use."""
    try:
        if name == "HEIF":
            import pillow_heif

            # Only the primary image is compressed: the extra images need not be decoded.
            pillow_heif.register_heif_opener(thumbnails=False, depth_images=False,
                                             aux_images=False)
        elif name == "AVIF":
            from PIL import AvifImagePlugin  # noqa: F401  (Pillow >= 11.3 only)

            return bool(features.check("avif"))
        elif name == "JXL":
            import pillow_jxl  # noqa: F401  (registers the plugin)
        else:
            return False
    except ImportError:
        return False
    return name in Image.OPEN


def prepare(fmt: Format, data: bytes, max_pixels: int) -> Image.Image | None:
    """Before a native decoder sees `data`: read its container in pure Python, so that a cut-short
    or damaged file is named as such and the pixel limit holds whatever the decoder does. Then
    the pixels the page decoded, if it did (None: Pillow decodes them), or a refusal in words a
    user can act on when nothing here decodes the format."""
    from ..pipeline.inspect import inspect

    inspect(data, max_pixels)
    name = fmt.pillow_format
    decoded = _page_image(name, data)
    if decoded is not None:
        return decoded
    if not available(name):
        label, package = fmt.label, fmt.decoder_package
        raise DecoderMissingError(
            f"Decoding {label} needs {package}, which is not available here, so this {label} "
            "image cannot be compressed or converted here. 'Strip only' still removes its "
            "metadata without decoding it.",
            name,
            label,
        )


def split_page_pixels(data: bytes, decoded: Any) -> tuple[bytes, AbstractContextManager[None]]:
    """The bridge's `decoded` request: `data` is the file followed by RGBA pixels the page decoded
    (web/decoders.js). Returns the file's bytes, and a context in which compress uses the pixels."""
    try:
        name, width, height, size = (decoded["format"], int(decoded["width"]),
                                     int(decoded["height"]), int(decoded["file_size"]))
    except (TypeError, KeyError, ValueError) as exc:
        raise InvalidOptionsError("The decoded pixels came without their format and size.") from exc
    if name not in PAGE_DECODED or width < 1 or height < 1 or \
            len(data) != size + 4 * width * height:  # fmt: skip
        raise InvalidOptionsError("The decoded pixels do not match their declared size.")

    @contextmanager
    def using() -> Iterator[None]:
        token = _PAGE_PIXELS.set((name, width, height, data[size:]))
        try:
            yield
        finally:
            _PAGE_PIXELS.reset(token)

    return data[:size], using()


def page_image(fmt: Format, data: bytes, max_pixels: int) -> Image.Image | None:
    """The pixels the page decoded for `data`, once its container has been read in pure Python
    (damage named, pixel limit held); None when the page decoded none."""
    from ..pipeline.inspect import inspect

    if _PAGE_PIXELS.get() is None:
        return None
    inspect(data, max_pixels)
    return _page_image(fmt.pillow_format, data)


def _page_image(name: str, data: bytes) -> Image.Image | None:
    """The page's sRGB pixels for this job, with the file's Exif for the keep policy; None when
    the page decoded none. The HEIF and AVIF decoders (libheif, the browser) apply irot/imir, so
    those pixels are upright and the Exif's orientation is dropped; libjxl and Chromium's WebP
    decoder ignore the EXIF orientation, so compress applies it to theirs, as to its own."""
    page = _PAGE_PIXELS.get()
    if page is None or page[0] != name:
        return None
    _, width, height, rgba = page
    image = Image.frombuffer("RGBA", (width, height), rgba, "raw", "RGBA", 0, 1)
    image.format = name
    tiff = _exif_tiff(name, data)
    kept = exif_block.rebuild(exif_block.parse(tiff), Keep(
        orientation=name in _ORIENTED_BY_ENGINE, color_profile=False, copyright=True,
        date_taken=True)) if tiff else None  # fmt: skip
    if kept:
        image.info["exif"] = b"Exif\0\0" + kept
    return image


# Formats whose page decoder leaves the EXIF orientation to compress.
_ORIENTED_BY_ENGINE = frozenset({"JXL", "WEBP"})


def _exif_tiff(name: str, data: bytes) -> bytes | None:
    """The TIFF block of the Exif describing the file's (primary) image, if any."""
    if name == "JXL":
        from ..containers import jxl

        return jxl.primary_exif(data)
    if name == "WEBP":
        from ..containers import webp

        return webp.exif_tiff(data)
    from ..containers import _heif

    return _heif.primary_exif(_heif.parse(data, MODERN[name].label, None))
