"""JPEG XL: the container's boxes (ISO/IEC 18181-2). The codestream boxes (`jxlc`, `jxlp`) and
the technical ones (`ftyp`, `jxll` level, `jxli` frame index) are copied byte for byte; Exif,
XMP (`xml `), JUMBF (`jumb`, e.g. Content Credentials), their Brotli-compressed `brob` forms,
JPEG reconstruction data (`jbrd`) and unknown boxes go. A bare codestream carries no metadata."""

from __future__ import annotations

from ..errors import CorruptImageError, TruncatedImageError
from ..metadata import exif as exif_block
from ..metadata.comments import unknown_finding
from ..metadata.text import short, size_text
from ..metadata.xmp import xmp_findings
from ..options import DEFAULT_MAX_PIXELS, Keep, check_pixels
from ..report import Finding
from . import begins_like
from ._boxes import Box, box, boxes, exif_tiff

TECHNIQUE = "surgery"

_SIGNATURE = b"\0\0\0\x0cJXL \r\n\x87\n"
_CODESTREAM = b"\xff\x0a"
_KEPT = frozenset([b"JXL ", b"ftyp", b"jxll", b"jxli", b"jxlc", b"jxlp"])
_RATIOS = {1: (1, 1), 2: (12, 10), 3: (4, 3), 4: (3, 2), 5: (16, 9), 6: (5, 4), 7: (2, 1)}
# Metadata is small; a Brotli box inflating past this is refused rather than inflated (a bomb).
_MAX_INFLATED = 16 << 20


def detect(data: bytes) -> bool:
    return data.startswith(_SIGNATURE) or data.startswith(_CODESTREAM)



def starts_like(data: bytes) -> bool:
    # Under 4 bytes, a box's size field (zeros) is no sign of JPEG XL.
    return (len(data) >= 4 and begins_like(data, _SIGNATURE)) or begins_like(data, _CODESTREAM)


def _size(codestream: bytes) -> tuple[int, int]:
    """(width, height) from the codestream's SizeHeader (bits read least significant first)."""
    if not codestream.startswith(_CODESTREAM):
        raise CorruptImageError("The JPEG XL file is damaged: its codestream does not start "
                                "with the JPEG XL signature.")
    value = int.from_bytes(codestream[2:16], "little")
    available = 8 * len(codestream[2:16])
    pos = 0

    def bits(count: int) -> int:
        nonlocal pos
        if pos + count > available:
            raise TruncatedImageError("The JPEG XL file is cut short (an interrupted download "
                                      "or copy?). Try the original.")
        out = (value >> pos) & ((1 << count) - 1)
        pos += count
        return out

    def dimension(small: bool) -> int:
        if small:
            return (bits(5) + 1) * 8
        return 1 + bits((9, 13, 18, 30)[bits(2)])

    small = bool(bits(1))
    height = dimension(small)
    ratio = bits(3)
    if ratio:
        numerator, denominator = _RATIOS[ratio]
        width = height * numerator // denominator
    else:
        width = dimension(small)
    return width, height


def _parse(data: bytes, max_pixels: int | None) -> tuple[list[Box], int, int]:
    """(container boxes, or [] for a bare codestream; width; height)."""
    if data.startswith(_CODESTREAM):
        found: list[Box] = []
        codestream = data
    else:
        found = boxes(data, 0, len(data), "JPEG XL", top=True)
        if found[0].raw(data) != _SIGNATURE:
            raise CorruptImageError("The JPEG XL file is damaged: its signature box is wrong.")
        whole = [b for b in found if b.type == b"jxlc"]
        parts = [b for b in found if b.type == b"jxlp"]
        if whole:
            codestream = whole[0].payload(data)
        elif parts:
            codestream = parts[0].payload(data)[4:]  # after the part's sequence number
        else:
            raise CorruptImageError("The JPEG XL file holds no image (no codestream box).")
    width, height = _size(codestream)
    if max_pixels is not None:
        check_pixels(width, height, max_pixels)
    return found, width, height


def _inflate(payload: bytes) -> tuple[bytes, bytes] | None:
    """(inner box type, its content) of a `brob` box, or None when it cannot be read here (no
    Brotli decoder in this Python, damaged data, or too big)."""
    try:
        import brotli  # optional: Pyodide's runtime here has none
    except ImportError:
        return None
    if len(payload) < 4:
        return None
    decoder = brotli.Decompressor()
    try:
        content = decoder.process(payload[4:], output_buffer_limit=_MAX_INFLATED)
        if not decoder.is_finished():
            return None
    except (brotli.error, TypeError):  # TypeError: an older brotli without the limit
        return None
    return payload[:4], content


def _exif(content: bytes) -> exif_block.Exif | None:
    return exif_block.parse(exif_tiff(content))


def _jumbf_label(content: bytes) -> str:
    """The label of a JUMBF superbox's description box (jumd: type UUID, toggles, label)."""
    if content[4:8] != b"jumd" or len(content) < 25:
        return ""
    end = content.find(b"\0", 25)
    return content[25 : end if end > 0 else None].decode("utf-8", "replace")


def _box_findings(kind: bytes, content: bytes) -> list[Finding]:
    if kind == b"Exif":
        parsed = _exif(content)
        return exif_block.findings(parsed) if parsed else [
            unknown_finding("Unreadable EXIF block", len(content))]
    if kind == b"xml ":
        return xmp_findings(content)
    if kind == b"jumb":
        label = _jumbf_label(content)
        credentials = "c2pa" in label.lower()
        return [Finding(
            "other", "Content Credentials (C2PA)" if credentials else "JUMBF metadata",
            f"{short(label, 40)}, {size_text(len(content))}" if label else size_text(len(content)),
            "A record of who made or edited the image and with which app or device; it can "
            "name people, devices and places",
        )]
    if kind == b"jbrd":
        return [Finding(
            "other", "JPEG reconstruction data", size_text(len(content)),
            "Rebuilds the original JPEG file bit for bit, with its metadata segments; the "
            "picture shows without it",
        )]
    return [unknown_finding(f"Unknown JPEG XL box {kind.decode('latin-1')!r}", len(content))]


def primary_exif(data: bytes) -> bytes | None:
    """The TIFF structure of the file's first Exif box (plain or Brotli-compressed), if any."""
    found, _, _ = _parse(data, None)
    for item in found:
        content = item.payload(data)
        inner = _inflate(content) if item.type == b"brob" else (item.type, content)
        if inner is not None and inner[0] == b"Exif":
            return exif_tiff(inner[1])
    return None


def inspect(data: bytes) -> tuple[int, int, list[Finding]]:
    found, width, height = _parse(data, None)
    findings: list[Finding] = []
    for item in found:
        if item.type in _KEPT:
            continue
        content = item.payload(data)
        if item.type == b"brob":
            inner = _inflate(content)
            if inner is None:
                kind = content[:4].decode("latin-1")
                findings.append(Finding(
                    "other", f"Compressed metadata ({short(kind, 8)})", size_text(len(content)),
                    "Brotli-compressed metadata (Exif, XMP or similar) that cannot be read here; "
                    "removed whole",
                ))
                continue
            findings += _box_findings(*inner)
        else:
            findings += _box_findings(item.type, content)
    return width, height, findings


def clean(data: bytes, keep: Keep, max_pixels: int = DEFAULT_MAX_PIXELS) -> bytes:
    found, _, _ = _parse(data, max_pixels)
    if not found:
        return data  # a bare codestream: nothing but the picture
    out: list[bytes] = []
    exif_done = False
    for item in found:
        if item.type in _KEPT:
            out.append(item.raw(data))
            continue
        content = item.payload(data)
        if item.type == b"brob":
            inner = _inflate(content)
            if inner is None:
                continue
            kind, content = inner
        else:
            kind = item.type
        if kind == b"Exif" and not exif_done:
            exif_done = True
            rebuilt = exif_block.rebuild(_exif(content), keep)
            if rebuilt:
                out.append(box(b"Exif", b"\0\0\0\0" + rebuilt))
    return b"".join(out)
