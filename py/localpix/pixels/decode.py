"""Opening images with Pillow safely: the pixel limit is checked on the header, before decoding,
and every Pillow failure becomes a LocalpixError a user can act on."""

from __future__ import annotations

import importlib
import io
import re
import struct
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from PIL import Image, features

from ..errors import (
    CorruptImageError,
    DecoderMissingError,
    ImageTooLargeError,
    LocalpixError,
    TruncatedImageError,
    UnsupportedFormatError,
)
from ..options import DEFAULT_MAX_PIXELS, check_pixels
from ..registry import FORMATS, detect, not_an_image_message

# Only the decoders of registered formats are imported: Image.open is always told which one to
# use, so nothing else Pillow could recognise ever sees the bytes.
for _fmt in FORMATS:
    for _plugin in _fmt.pillow_plugins:
        importlib.import_module(f"PIL.{_plugin}")


# Decoders of untrusted bytes with a known memory-safety hole in some Pillow builds: Pillow's
# format -> (its library in PIL.features, the first fixed version, the CVE). Pyodide 0.27's
# Pillow 10.2 has libwebp 1.2.2, whose lossless decoder overflows a heap buffer on a crafted file
# (CVE-2023-4863); there, WebP is decoded by the browser (web/decoders.js) and never by Pillow.
_HOLES: dict[str, tuple[str, tuple[int, ...], str]] = {
    "WEBP": ("webp", (1, 3, 2), "CVE-2023-4863"),
}


@cache
def known_hole(pillow_format: str) -> str | None:
    """The CVE when this Pillow's decoder for `pillow_format` has a known hole, else None."""
    if pillow_format not in _HOLES:
        return None
    library, fixed, cve = _HOLES[pillow_format]
    version = features.version(library)
    if version is None:
        return None
    return cve if tuple(int(n) for n in re.findall(r"\d+", version)[:3]) < fixed else None


def refuse_known_hole(data: bytes) -> None:
    """If `data` is in a format whose decoder here has a known hole: DecoderMissingError for a
    still WebP (the page's browser decodes it instead, web/decoders.js), else a refusal."""
    fmt = detect(data)
    hole = known_hole(fmt.pillow_format)
    if not hole:
        return
    why = (f"This engine's {fmt.label} decoder has a known security hole ({hole}), so it never "
           f"decodes {fmt.label} files")
    way_out = ("'Strip only' still removes its metadata without decoding it; to convert it, "
               "use the localpix command line.")
    from ..containers import webp

    if fmt.pillow_format == "WEBP" and not webp.is_animated(data):
        raise DecoderMissingError(f"{why}. {way_out}", fmt.pillow_format, fmt.label)
    raise UnsupportedFormatError(
        f"{why}, and an animated {fmt.label} is not decoded by the browser for it either. "
        + way_out)


@contextmanager
def pillow_errors() -> Iterator[None]:
    """Translate Pillow's many failure modes into the LocalpixError hierarchy."""
    try:
        with warnings.catch_warnings():
            # Pillow's chatter about damaged files ("Truncated File Read", "Corrupt EXIF data")
            # is dropped: real failures raise and are reported in plain words instead.
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except LocalpixError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLargeError(
            f"The image is too large to open safely ({exc}). Open it only if you trust where "
            "it came from."
        ) from exc
    except Image.UnidentifiedImageError as exc:
        raise UnsupportedFormatError(not_an_image_message()) from exc
    except MemoryError as exc:
        raise ImageTooLargeError("The image needs more memory than is available.") from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, KeyError,
            TypeError, ZeroDivisionError, zlib.error, RuntimeError) as exc:
        text = str(exc)
        if "truncated" in text.lower() or isinstance(exc, EOFError):
            raise TruncatedImageError(
                "The image file is cut short (an interrupted download or copy?). "
                "Try the original file again."
            ) from exc
        raise CorruptImageError(
            f"The image file is damaged and cannot be decoded ({text})."
        ) from exc


def open_header(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Identify `data` and read its header only: nothing is decoded yet, so the caller may still
    call `Image.draft` (JPEG DCT scaling) before `decode`. The pixel limit is already enforced."""
    fmt = detect(data)
    if fmt.decoder_package:
        from .modern import prepare  # the optional native decoders, or the page's pixels

        decoded = prepare(fmt, data, max_pixels)
        if decoded is not None:
            return decoded
    elif not fmt.pillow_plugins:
        raise UnsupportedFormatError(
            f"localpix cannot decode the pixels of {fmt.label} files here."
        )
    elif known_hole(fmt.pillow_format):
        from .modern import page_image  # the pixels the browser decoded instead

        decoded = page_image(fmt, data, max_pixels)
        if decoded is not None:
            return decoded
        refuse_known_hole(data)
    with pillow_errors():
        # Pillow's own bomb guard would stop at its global limit; ours is the one that counts.
        saved_limit = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            image = Image.open(io.BytesIO(data), formats=(fmt.pillow_format,))
        except Image.UnidentifiedImageError as exc:
            # The magic bytes say it is this format, so the rest of the header is damaged.
            raise CorruptImageError(
                f"The file starts like a {fmt.label} image, but its header is damaged "
                "and it cannot be opened."
            ) from exc
        finally:
            Image.MAX_IMAGE_PIXELS = saved_limit
        check_pixels(*image.size, max_pixels)
        return image


def decode(image: Image.Image) -> Image.Image:
    """Decode the pixels of an image from `open_header` (the first frame of an animation)."""
    with pillow_errors():
        # Our limit was checked on the header; some plugins (TIFF) check Pillow's again on load.
        saved_limit = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            image.load()
        finally:
            Image.MAX_IMAGE_PIXELS = saved_limit
    return image


def open_image(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open and fully decode `data`, refusing headers over `max_pixels` before any decoding."""
    return decode(open_header(data, max_pixels))
