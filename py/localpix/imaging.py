"""Opening images with Pillow safely: the pixel limit is checked on the header, before decoding,
and every Pillow failure becomes a LocalpixError a user can act on."""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import (  # noqa: F401  (importing registers exactly the decoders we allow)
    BmpImagePlugin,
    GifImagePlugin,
    Image,
    JpegImagePlugin,
    MpoImagePlugin,
    PngImagePlugin,
    TiffImagePlugin,
    WebPImagePlugin,
)

from .errors import (
    CorruptImageError,
    ImageTooLargeError,
    LocalpixError,
    TruncatedImageError,
    UnsupportedFormatError,
)
from .options import DEFAULT_MAX_PIXELS

# Formats the engine decodes; anything else Pillow might recognise is refused up front.
READABLE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP")  # MPO opens as JPEG


def too_large_message(width: int, height: int, max_pixels: int) -> str:
    return (
        f"The image declares {width}x{height} pixels ({width * height / 1e6:.0f} MP), over the "
        f"limit of {max_pixels / 1e6:.0f} MP. It would need too much memory to open; raise the "
        f"pixel limit only if you trust the file."
    )


@contextmanager
def pillow_errors() -> Iterator[None]:
    """Translate Pillow's many failure modes into the LocalpixError hierarchy."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except LocalpixError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLargeError(
            f"The image is too large to open safely ({exc}). Raise the pixel limit only if "
            "you trust the file."
        ) from exc
    except Image.UnidentifiedImageError as exc:
        raise UnsupportedFormatError(
            "This is not an image localpix can read. Supported: JPEG, PNG, WebP, GIF, TIFF, BMP."
        ) from exc
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


def open_image(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open and fully decode `data`, refusing headers over `max_pixels` before any decoding."""
    if not data:
        raise CorruptImageError("The file is empty (0 bytes).")
    with pillow_errors():
        # Pillow's own bomb guard would stop at its global limit; ours is the one that counts.
        saved_limit = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            image = Image.open(io.BytesIO(data), formats=READABLE_FORMATS)
        finally:
            Image.MAX_IMAGE_PIXELS = saved_limit
        width, height = image.size
        if width * height > max_pixels:
            raise ImageTooLargeError(too_large_message(width, height, max_pixels))
        if width < 1 or height < 1:
            raise CorruptImageError("The image declares no pixels (zero width or height).")
        image.load()
        return image
