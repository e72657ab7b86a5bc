"""What one `compress` call carries through the pixel pipeline, the codecs and the quality search:
the options, the output format, the metadata to write back, and what to tell the user."""

from __future__ import annotations

from dataclasses import dataclass, field

from .codecs.jpeg_tables import DEFAULT as DEFAULT_JPEG_TABLES
from .options import CompressOptions


@dataclass
class Job:
    options: CompressOptions
    out_format: str
    icc: bytes | None  # the colour profile to embed, when kept and still valid for the pixels
    exif: bytes = b""  # the EXIF block to embed (only what Keep allows; never the orientation)
    warnings: list[str] = field(default_factory=list)
    quality: int = 80  # the JPEG/WebP quality to encode at (options.quality, or chosen by auto)
    jpeg_tables: str = DEFAULT_JPEG_TABLES
    note: str = ""
    score: float | None = None  # the automatic search's score at `quality`
    codec: str = ""  # what made the output (a codec's LABEL or a provider's label)
    codec_notes: list[str] = field(default_factory=list)  # providers that were not there
    failed_providers: set[str] = field(default_factory=set)  # raised on this job: not retried

    @property
    def lossy(self) -> bool:
        return self.out_format in ("jpeg", "avif") or (
            self.out_format == "webp" and not self.options.webp_lossless
        )
