"""TIFF: a lossless re-save with Pillow. A TIFF's metadata lives in the same directory as the
image's own structure, so rather than patching offsets the pages are decoded and written anew,
with only the tags the keep policy allows."""

from __future__ import annotations

import dataclasses
import io

from PIL import Image, ImageSequence, features

from ..errors import CorruptImageError, UnsupportedFormatError
from ..metadata import exif as exif_block
from ..metadata.icc import icc_finding
from ..metadata.iptc import iptc_findings, photoshop_findings
from ..metadata.xmp import xmp_findings
from ..options import DEFAULT_MAX_PIXELS, Keep, check_pixels
from ..pixels.decode import open_image, pillow_errors
from ..report import Finding
from . import begins_like

TECHNIQUE = "resave"

_XMP, _IPTC, _PHOTOSHOP, _ICC = 700, 33723, 34377, 34675
# Pillow turns TIFF pages upright as it decodes them; these undo that, so that the pixels are
# stored as they were and the kept Orientation tag still describes them.
_UNDO_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270,
}
_LOSSLESS = ("raw", "tiff_lzw", "tiff_adobe_deflate", "packbits", "group3", "group4", "tiff_ccitt")


def detect(data: bytes) -> bool:
    return data[:4] in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+")  # classic and BigTIFF


def starts_like(data: bytes) -> bool:
    return begins_like(data, b"II*\0", b"MM\0*", b"II+\0", b"MM\0+")


BIGTIFF_MESSAGE = (
    "This is a BigTIFF file (the TIFF variant for files over 4 GB), which localpix cannot read "
    "yet. Save it as a standard TIFF, PNG or JPEG first."
)


def _parse(data: bytes) -> tuple[exif_block.Exif, int, int]:
    if data[2:4] in (b"+\0", b"\0+"):
        raise UnsupportedFormatError(BIGTIFF_MESSAGE)
    parsed = exif_block.parse(data, thumbnail=False)
    size = [parsed.get("IFD0", tag) for tag in (256, 257)] if parsed else [None, None]
    if parsed is None or None in size:
        raise CorruptImageError("The TIFF file is damaged: its first directory is unreadable.")
    width, height = (parsed.ints(entry)[0] if parsed.ints(entry) else 0 for entry in size)
    return parsed, width, height


def _check_raw_strips(parsed: exif_block.Exif, width: int, height: int) -> None:
    """Uncompressed strips must hold every pixel. Pillow 10.2 decodes short ones by filling the
    rest with black, and the re-save would then store a picture the file never contained."""
    def first(tag: int, default: int) -> int:
        entry = parsed.get("IFD0", tag)
        values = parsed.ints(entry) if entry else ()
        return values[0] if values else default

    counts_entry = parsed.get("IFD0", 279)  # StripByteCounts (tiled files have none)
    if first(259, 1) != 1 or counts_entry is None:
        return
    bits_entry = parsed.get("IFD0", 258)
    bits = parsed.ints(bits_entry) if bits_entry else ()
    bits = bits or (1,) * first(277, 1)
    if first(284, 1) == 2:  # planar: one plane per sample
        needed = sum((width * b + 7) // 8 for b in bits) * height
    else:
        needed = (width * sum(bits) + 7) // 8 * height
    stored = sum(parsed.ints(counts_entry))
    if stored < needed:
        raise CorruptImageError(
            f"The TIFF file is damaged: its image data holds {stored:,} bytes where "
            f"{width} x {height} pixels need {needed:,}."
        )


def inspect(data: bytes) -> tuple[int, int, list[Finding]]:
    parsed, width, height = _parse(data)
    findings = exif_block.findings(parsed)
    blocks = {tag: entry.raw for tag, entry in parsed.ifds["IFD0"].items()}
    if _XMP in blocks:
        findings += xmp_findings(blocks[_XMP])
    if _IPTC in blocks:
        findings += iptc_findings(blocks[_IPTC])
    if _PHOTOSHOP in blocks:
        findings += photoshop_findings(blocks[_PHOTOSHOP])
    if _ICC in blocks:
        findings.append(icc_finding(blocks[_ICC]))
    return width, height, findings


def clean(data: bytes, keep: Keep, max_pixels: int = DEFAULT_MAX_PIXELS) -> bytes:
    parsed, width, height = _parse(data)
    check_pixels(width, height, max_pixels)
    _check_raw_strips(parsed, width, height)
    image = open_image(data, max_pixels)
    options: dict[str, object] = {}
    compression = image.info.get("compression", "raw")
    # JPEG-in-TIFF and the like would be re-encoded lossily: store those pixels losslessly.
    options["compression"] = compression if compression in _LOSSLESS else "tiff_adobe_deflate"
    if options["compression"] != "raw" and not features.check_codec("libtiff"):
        options["compression"] = "raw"
    if keep.color_profile and image.info.get("icc_profile"):
        options["icc_profile"] = image.info["icc_profile"]
    if image.info.get("dpi"):
        options["dpi"] = image.info["dpi"]
    out = io.BytesIO()
    with pillow_errors():
        # Copies carry no TIFF tags and, with info emptied, nothing Pillow would carry over.
        pages = [page.copy() for page in ImageSequence.Iterator(image)]
        for page in pages:
            page.info = {}
        entry = parsed.get("IFD0", exif_block.ORIENTATION)
        orientation = parsed.ints(entry)[0] if entry and entry.type == 3 else 1
        if len(pages) > 1 or not keep.orientation:
            # Pages may differ in orientation: store them all upright, with no tag to apply.
            keep = dataclasses.replace(keep, orientation=False)
        elif orientation in _UNDO_ORIENTATION:
            pages[0] = pages[0].transpose(_UNDO_ORIENTATION[orientation])
        rebuilt = exif_block.rebuild(parsed, keep)
        if rebuilt:
            options["exif"] = rebuilt
        pages[0].save(out, "TIFF", save_all=True, append_images=pages[1:], **options)
    return out.getvalue()
