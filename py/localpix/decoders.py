"""Decoders for the modern formats, needed only to compress: HEIC (pillow-heif), AVIF (Pillow
11.3+ built with libavif) and JPEG XL (pillow-jxl-plugin). `inspect` and `clean` never decode, so
they work without any of these (in the browser's Pillow 10.2 too); compress says plainly which
package is missing. pillow-heif and Pillow's AVIF plugin turn irot/imir into upright pixels or
an EXIF orientation that compress applies; JPEG XL's EXIF orientation is applied the same way."""

from __future__ import annotations

from functools import cache

from PIL import Image, features

from .errors import UnsupportedFormatError

# Pillow's format name -> (the name users know, what provides the decoder).
MODERN = {
    "HEIF": ("HEIC", "pillow-heif"),
    "AVIF": ("AVIF", "Pillow 11.3 or later built with libavif"),
    "JXL": ("JPEG XL", "pillow-jxl-plugin"),
}
# Inputs whose own format most apps cannot open: compress writes JPEG unless told otherwise,
# like a phone's "most compatible" export.
CONVERTED_BY_DEFAULT = ("heic", "avif", "jxl")


def sniff(data: bytes) -> str | None:
    """"HEIF", "AVIF" or "JXL" when `data` starts like one, else None."""
    from .formats import avif, heic, jxl  # late: the format modules import imaging, which us

    for module, name in ((avif, "AVIF"), (heic, "HEIF"), (jxl, "JXL")):
        if module.detect(data):
            return name
    return None


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


def prepare(name: str, data: bytes, max_pixels: int) -> None:
    """Before a native decoder sees `data`: read its container in pure Python, so that a cut-short
    or damaged file is named as such and the pixel limit holds whatever the decoder does; then
    refuse, in words a user can act on, a format no installed package decodes."""
    from .inspect import inspect

    inspect(data, max_pixels)
    if not available(name):
        label, package = MODERN[name]
        raise UnsupportedFormatError(
            f"Decoding {label} needs {package}, which is not available here, so this {label} "
            "image cannot be compressed or converted here. 'Strip only' still removes its "
            "metadata without decoding it."
        )
