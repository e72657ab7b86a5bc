"""Options as frozen dataclasses: what to keep, and how to compress."""

from __future__ import annotations

import types
from dataclasses import dataclass, field, fields
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from .errors import CorruptImageError, ImageTooLargeError, InvalidOptionsError

OutputFormat = Literal["jpeg", "png", "webp", "avif"]  # registry.OUTPUT_FORMATS (a test checks)
# The output choices: a format, or "smallest": per image, the smallest of registry.SMALLEST_OF.
FormatChoice = Literal["jpeg", "png", "webp", "avif", "smallest"]
JpegTables = Literal["psnr-hvs", "psnr-hvs-steep", "klein", "annex-k"]  # codecs.jpeg_tables.TABLES

# 100 MP covers every phone and most cameras (a 61 MP full frame, 102 MP medium format excepted)
# while refusing headers that would need gigabytes of RAM in a browser tab.
DEFAULT_MAX_PIXELS = 100_000_000


# Decoded pixels (4 bytes each), a converted copy and the encoder's buffers: what opening and
# re-encoding an image holds at once, measured roughly on 12 MP photos.
BYTES_PER_PIXEL_WORKING = 12


def memory_text(pixels: int) -> str:
    need = pixels * BYTES_PER_PIXEL_WORKING
    return f"{need / 1e9:.1f} GB" if need >= 1e9 else f"{need / 1e6:.0f} MB"


def too_large(width: int, height: int, max_pixels: int) -> ImageTooLargeError:
    pixels = width * height
    return ImageTooLargeError(
        f"The image declares {width}x{height} pixels ({pixels / 1e6:.0f} MP), over the safety "
        f"limit of {max_pixels / 1e6:.0f} MP: opening it would need about "
        f"{memory_text(pixels)} of memory. A small file declaring this many pixels is a "
        "decompression bomb; open it only if you trust where it came from.",
        pixels=pixels,
    )


def check_pixels(width: int, height: int, max_pixels: int) -> None:
    """Refuse a header over the pixel limit before any other work is done."""
    if width < 1 or height < 1:
        raise CorruptImageError("The image declares no pixels (zero width or height).")
    if width * height > max_pixels:
        raise too_large(width, height, max_pixels)


@dataclass(frozen=True)
class Keep:
    """What metadata survives. Everything not listed here is removed."""

    orientation: bool = True
    color_profile: bool = True
    copyright: bool = False
    date_taken: bool = False

    @classmethod
    def from_names(cls, names: str | list[str] | tuple[str, ...]) -> Keep:
        """`"orientation,copyright"` or a list of names -> Keep with exactly those set."""
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",") if n.strip()]
        known = [f.name for f in fields(cls)]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise InvalidOptionsError(
                f"Unknown keep option {', '.join(unknown)!s}; choose from {', '.join(known)}."
            )
        return cls(**{n: (n in names) for n in known})


@dataclass(frozen=True)
class CompressOptions:
    """How `compress` re-encodes. Defaults: same format as the input, nothing private kept."""

    # None: the input's format (GIF/TIFF/BMP become PNG); "smallest": per image, the smallest of
    # JPEG/WebP/AVIF at quality_target (DEFAULT_QUALITY_TARGET when none is given).
    format: FormatChoice | None = None
    quality: int = 80  # 1..100 for JPEG and lossy WebP
    target_size: int | None = None  # bytes; search the best quality that fits
    max_width: int | None = None
    max_height: int | None = None
    png_colors: int | None = None  # lossy PNG: quantize to this many palette colours (2..256)
    png_dither: bool = True
    webp_lossless: bool = False
    jpeg_progressive: bool = True
    jpeg_optimize: bool = True
    jpeg_subsampling: Literal["4:2:0", "4:2:2", "4:4:4"] | None = None  # None: 4:2:0
    # Automatic quality: per image, the smallest JPEG/lossy WebP whose SSIMULACRA2 score (100 =
    # identical, 90 = indistinguishable side by side, 80 = very high, 70 = high) stays at or
    # above this target; `quality` is then ignored. None: use `quality` as given.
    quality_target: float | None = None
    # JPEG quantization tables (codecs.jpeg_tables): None = automatic (the perceptually tuned
    # default; with quality_target, the better of the tuned sets per image); "annex-k" gives
    # Pillow's/libjpeg's standard tables.
    jpeg_tables: JpegTables | None = None
    background: tuple[int, int, int] = (255, 255, 255)  # what alpha is flattened onto for JPEG
    keep: Keep = field(default_factory=Keep)
    max_pixels: int = DEFAULT_MAX_PIXELS
    # Also score a fixed-quality result (SSIMULACRA2, localpix.assess): ~1 s more on a 12 MP
    # photo, so only when asked (the page's live preview). Target sizes and automatic quality
    # are always scored: their guard rail and their search need it.
    score: bool = False

    def __post_init__(self) -> None:
        _check_choice("output format", self.format, FormatChoice)
        if not 1 <= self.quality <= 100:
            raise InvalidOptionsError(f"Quality must be 1-100, not {self.quality}.")
        if self.target_size is not None and self.target_size < 1:
            raise InvalidOptionsError("Target size must be a positive number of bytes.")
        for name in ("max_width", "max_height"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise InvalidOptionsError(f"{name.replace('_', ' ').capitalize()} must be >= 1.")
        if self.png_colors is not None and not 2 <= self.png_colors <= 256:
            raise InvalidOptionsError("PNG colours must be between 2 and 256.")
        if self.quality_target is not None and not (
            isinstance(self.quality_target, int | float) and 30 <= self.quality_target <= 99
        ):
            raise InvalidOptionsError("The quality target must be a score from 30 to 99.")
        _check_choice("JPEG tables", self.jpeg_tables, JpegTables)
        if self.max_pixels < 1:
            raise InvalidOptionsError("The pixel limit must be positive.")


def _check_choice(what: str, value: object, choices: object) -> None:
    allowed = get_args(choices)
    if value is not None and value not in allowed:
        raise InvalidOptionsError(f"Unknown {what} {value!r}; choose {', '.join(allowed)}.")


# SSIMULACRA2 scores (100 = identical) with the words its authors give them. The app's default,
# shared by the CLI and the page (through adapters.page_facts), is automatic quality at "very
# high". The library's CompressOptions() keeps a fixed quality, so a caller who
# names no option gets a fast, predictable encode.
QUALITY_TARGETS: dict[int, tuple[str, str]] = {
    60: ("Good", "Smallest files; flaws show up close."),
    70: ("High", "Flaws barely noticeable side by side."),
    80: ("Very high", "No visible difference side by side."),
    90: ("Visually lossless", "No difference even when flicking between the two."),
}
DEFAULT_QUALITY_TARGET = 80


def parse_options(raw: object) -> CompressOptions:
    """CompressOptions from their JSON form (the page's request, a saved setting), typed by the
    dataclass's own fields: an unknown name or a value of the wrong type is an InvalidOptionsError
    naming the option."""
    if isinstance(raw, CompressOptions):
        return raw
    if not isinstance(raw, dict):
        raise InvalidOptionsError("Options must be a JSON object.")
    hints = get_type_hints(CompressOptions)
    known = [f.name for f in fields(CompressOptions)]
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise InvalidOptionsError(
            f"Unknown option {', '.join(unknown)}; the options are {', '.join(known)}."
        )
    return CompressOptions(**{key: _parse_value(key, hints[key], value)
                              for key, value in raw.items()})


def _parse_value(key: str, hint: Any, value: object) -> Any:
    if key == "keep":
        return parse_keep(value)
    if key == "background":
        return _parse_colour(value)
    args = get_args(hint)
    optional = get_origin(hint) in (types.UnionType, Union)
    if optional and type(None) in args:
        if value is None:
            return None
        (hint,) = [a for a in args if a is not type(None)]
    if get_origin(hint) is Literal:
        if value not in get_args(hint):
            raise InvalidOptionsError(
                f"Option {key} must be one of {', '.join(map(str, get_args(hint)))}"
                + (" (or null)." if optional else ".")
            )
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise InvalidOptionsError(f"Option {key} must be true or false.")
        return value
    if hint is int:
        if isinstance(value, float) and value.is_integer():
            return int(value)  # JavaScript has only one number type
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidOptionsError(f"Option {key} must be a whole number.")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidOptionsError(f"Option {key} must be a number.")
        return value
    raise TypeError(f"parse_options does not know how to read {key}: {hint}")  # a new field type


def parse_keep(value: object) -> Keep:
    """Keep from {"orientation": true, ...} (unnamed fields take their defaults) or a list/string
    of names (exactly those kept)."""
    if isinstance(value, Keep):
        return value
    names = [f.name for f in fields(Keep)]
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names))
        if unknown or not all(isinstance(v, bool) for v in value.values()):
            raise InvalidOptionsError(
                f"Keep takes true/false for {', '.join(names)}"
                + (f"; unknown: {', '.join(unknown)}." if unknown else ".")
            )
        return Keep(**value)
    if isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    ):
        return Keep.from_names(value)
    raise InvalidOptionsError("Keep must be an object of true/false values or a list of names.")


def _parse_colour(value: object) -> tuple[int, int, int]:
    if isinstance(value, tuple | list) and len(value) == 3 and all(
        isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value
    ):
        return (value[0], value[1], value[2])
    if isinstance(value, str) and len(value) == 7 and value.startswith("#"):
        try:
            return (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))
        except ValueError:
            pass
    raise InvalidOptionsError('Background must be "#rrggbb" or [r, g, b] with values 0-255.')
