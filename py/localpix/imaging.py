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


def too_large(width: int, height: int, max_pixels: int) -> ImageTooLargeError:
    pixels = width * height
    return ImageTooLargeError(
        f"The image declares {width}x{height} pixels ({pixels / 1e6:.0f} MP), over the safety "
        f"limit of {max_pixels / 1e6:.0f} MP: opening it would need about "
        f"{memory_text(pixels)} of memory. A small file declaring this many pixels is a "
        "decompression bomb; open it only if you trust where it came from.",
        pixels=pixels,
    )


# Decoded pixels (4 bytes each), a converted copy and the encoder's buffers: what opening and
# re-encoding an image holds at once, measured roughly on 12 MP photos.
BYTES_PER_PIXEL_WORKING = 12


def memory_text(pixels: int) -> str:
    need = pixels * BYTES_PER_PIXEL_WORKING
    return f"{need / 1e9:.1f} GB" if need >= 1e9 else f"{need / 1e6:.0f} MB"


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


# Leading bytes of every format we read. Checked before Pillow sees the data, so that a file which
# *is* a PNG (say) but which Pillow refuses to identify (a bad CRC in the header chunk) is reported
# as damaged rather than as "not an image", and so that nothing else reaches Pillow's decoders.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"II+\x00", "TIFF"),  # BigTIFF
    (b"MM\x00+", "TIFF"),
    (b"BM", "BMP"),
)

_BMP_HEADER_SIZES = (12, 16, 40, 52, 56, 64, 108, 124)

_NAMES = {"JPEG": "JPEG", "PNG": "PNG", "GIF": "GIF", "TIFF": "TIFF", "BMP": "BMP", "WEBP": "WebP"}


def sniff_format(data: bytes) -> str | None:
    """Pillow's name for the format `data` starts like ("JPEG", "PNG", ...), or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    for magic, name in _MAGIC:
        if data.startswith(magic):
            # "BM" alone is too weak (plain text can start with it): also want a known DIB
            # header size, as Pillow's BMP plugin does.
            if name == "BMP" and int.from_bytes(data[14:18], "little") not in _BMP_HEADER_SIZES:
                return None
            return name
    return None


def _cut_magic(data: bytes) -> bool:
    """Whether `data` is too short to tell, but begins like one of our formats."""
    if len(data) >= 16:
        return False
    if data[:4] == b"RIFF" or b"RIFF".startswith(data):
        return len(data) < 12
    return any(magic.startswith(data[: len(magic)]) and len(data) < len(magic) + 10
               for magic, _ in _MAGIC)  # fmt: skip


def open_header(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Identify `data` and read its header only: nothing is decoded yet, so the caller may still
    call `Image.draft` (JPEG DCT scaling) before `decode`. The pixel limit is already enforced."""
    if not data:
        raise CorruptImageError("The file is empty (0 bytes).")
    sniffed = sniff_format(data)
    if sniffed is None and _cut_magic(data):
        raise TruncatedImageError(
            f"The file is only {len(data)} bytes long: it is cut short. Try the original file."
        )
    if sniffed is None:
        raise UnsupportedFormatError(
            "This is not an image localpix can read. Supported: JPEG, PNG, WebP, GIF, TIFF, BMP."
        )
    with pillow_errors():
        # Pillow's own bomb guard would stop at its global limit; ours is the one that counts.
        saved_limit = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            image = Image.open(io.BytesIO(data), formats=(sniffed,))
        except Image.UnidentifiedImageError as exc:
            # The magic bytes say it is this format, so the rest of the header is damaged.
            raise CorruptImageError(
                f"The file starts like a {_NAMES[sniffed]} image, but its header is damaged "
                "and it cannot be opened."
            ) from exc
        finally:
            Image.MAX_IMAGE_PIXELS = saved_limit
        width, height = image.size
        if width * height > max_pixels:
            raise too_large(width, height, max_pixels)
        if width < 1 or height < 1:
            raise CorruptImageError("The image declares no pixels (zero width or height).")
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
