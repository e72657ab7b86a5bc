"""What the engine tells the user: findings, reports, results."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .metadata.text import visible

# No label or value a person sees is longer than this, whichever module made it (previews are
# cut far shorter by metadata.text.short; this bounds anything that skipped it).
MAX_SHOWN = 400

Category = Literal[
    "location",  # GPS, XMP GPS
    "device",  # make, model, serials, owner/artist, software
    "time",  # dates, GPS time
    "thumbnail",  # EXIF IFD1 thumbnail, MPF images, previews
    "xmp",  # XMP packets, incl. edit history and document IDs
    "iptc",  # IPTC / Photoshop image resources
    "comment",  # JPEG COM, GIF comments, EXIF UserComment/ImageDescription
    "text",  # PNG tEXt/zTXt/iTXt
    "trailer",  # data after the image's end marker
    "color_profile",  # ICC
    "orientation",
    "copyright",
    "other",  # any other metadata block (maker notes, unknown APPn, ...)
]


@dataclass(frozen=True)
class Finding:
    """One piece of metadata, explained in plain words."""

    category: Category
    label: str  # "Camera serial number"
    value: str  # short preview: "SN123456789", "48.8584° N, 2.2945° E", "12 KB"
    why: str  # "Identifies the exact camera that took the photo"
    private: bool = True  # False for harmless technical data (e.g. colour profile)
    # A stable id for findings the page reasons about (the wording of `label` may change):
    # "gps_position" for a GPS position, wherever it was read. "" for the rest.
    key: str = ""

    def __post_init__(self) -> None:
        # Labels and values quote files made by others: shown as visible text, bounded.
        for name in ("label", "value"):
            text = getattr(self, name)
            shown = visible(text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…")
            if shown != text:
                object.__setattr__(self, name, shown)


@dataclass(frozen=True)
class Report:
    format: str  # a registry name: "jpeg", "png", ...
    width: int
    height: int
    findings: tuple[Finding, ...] = ()

    def by_category(self, category: Category) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.category == category)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Result:
    data: bytes  # the output file
    format: str  # format of `data`
    input_size: int
    output_size: int
    before: Report
    after: Report | None  # None for an inspection (no output)
    note: str = ""  # e.g. "Re-encoding did not make it smaller; kept the cleaned original."
    reencoded: bool = True  # False when `data` is the losslessly cleaned original
    quality: int | None = None  # the quality actually used (after a target-size search)
    target_met: bool | None = None  # None without a target size
    # SSIMULACRA2 of the re-encode against the pixels it encoded (on autoquality's mosaic), for
    # lossy results; None when not re-encoded, lossless, or numpy is missing.
    score: float | None = None
    # The input's EXIF orientation was not "upright" and the pixels were turned instead (the tag
    # is then gone from the output, though nothing about the photo's look was lost).
    orientation_applied: bool = False
    warnings: tuple[str, ...] = field(default=())
    # What made `data`: the encoder (codecs: a LABEL or a provider's label); "" when `data` is
    # the losslessly cleaned input.
    codec: str = ""
    # options.format "smallest": (format, bytes) of every format tried, the chosen one included.
    tried: tuple[tuple[str, int], ...] = ()

    @property
    def saved_bytes(self) -> int:
        return self.input_size - self.output_size

    @property
    def removed(self) -> tuple[Finding, ...]:
        return removed(self.before, self.after)


def removed(before: Report, after: Report | None) -> tuple[Finding, ...]:
    """Findings of the input that are gone from the output (none without an output)."""
    if after is None:
        return ()
    kept = {(f.category, f.label) for f in after.findings}
    return tuple(f for f in before.findings if (f.category, f.label) not in kept)
