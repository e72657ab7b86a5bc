"""Options as frozen dataclasses: what to keep, and how to compress."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .errors import InvalidOptionsError

OutputFormat = Literal["jpeg", "png", "webp"]

# 100 MP covers every phone and most cameras (a 61 MP full frame, 102 MP medium format excepted)
# while refusing headers that would need gigabytes of RAM in a browser tab.
DEFAULT_MAX_PIXELS = 100_000_000


@dataclass(frozen=True)
class Keep:
    """What metadata survives. Everything not listed here is removed."""

    orientation: bool = True
    color_profile: bool = True
    copyright: bool = False
    date_taken: bool = False

    NAMES = ("orientation", "color_profile", "copyright", "date_taken")

    @classmethod
    def from_names(cls, names: str | list[str] | tuple[str, ...]) -> Keep:
        """`"orientation,copyright"` or a list of names -> Keep with exactly those set."""
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",") if n.strip()]
        unknown = [n for n in names if n not in cls.NAMES]
        if unknown:
            raise InvalidOptionsError(
                f"Unknown keep option {', '.join(unknown)!s}; choose from {', '.join(cls.NAMES)}."
            )
        return cls(**{n: (n in names) for n in cls.NAMES})


@dataclass(frozen=True)
class CompressOptions:
    """How `compress` re-encodes. Defaults: same format as the input, nothing private kept."""

    format: OutputFormat | None = None  # None: the input's format (GIF/TIFF/BMP become PNG)
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
    # JPEG quantization tables (localpix.jpegtables): None = automatic (the perceptually tuned
    # default; with quality_target, the better of the tuned sets per image); "annex-k" gives
    # Pillow's/libjpeg's standard tables.
    jpeg_tables: Literal["psnr-hvs", "klein", "annex-k"] | None = None
    background: tuple[int, int, int] = (255, 255, 255)  # what alpha is flattened onto for JPEG
    keep: Keep = field(default_factory=Keep)
    max_pixels: int = DEFAULT_MAX_PIXELS
    # Also score a fixed-quality result (SSIMULACRA2, localpix.assess): ~1 s more on a 12 MP
    # photo, so only when asked (the page's live preview). Target sizes and automatic quality
    # are always scored: their guard rail and their search need it.
    score: bool = False

    def __post_init__(self) -> None:
        if self.format not in (None, "jpeg", "png", "webp"):
            raise InvalidOptionsError(
                f"Unknown output format {self.format!r}; choose jpeg, png or webp."
            )
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
        if self.jpeg_tables not in (None, "psnr-hvs", "klein", "annex-k"):
            raise InvalidOptionsError(
                f"Unknown JPEG tables {self.jpeg_tables!r}; choose psnr-hvs, klein or annex-k."
            )
        if self.max_pixels < 1:
            raise InvalidOptionsError("The pixel limit must be positive.")
