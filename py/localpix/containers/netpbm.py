"""Netpbm (PBM, PGM, PPM; plain and binary): header surgery. The only metadata the format has are
`#` comments in the header, which scanners and converters fill with file paths, user names and
dates; the header is written anew without them and the raster is copied byte for byte. Bytes
after a binary raster (another image, or anything) are dropped as a trailer."""

from __future__ import annotations

from ..errors import CorruptImageError, TruncatedImageError
from ..metadata.comments import comment_finding, trailer_finding
from ..options import DEFAULT_MAX_PIXELS, Keep, check_pixels
from ..report import Finding
from . import begins_like

TECHNIQUE = "surgery"

_MAGICS = (b"P1", b"P2", b"P3", b"P4", b"P5", b"P6")
_WHITESPACE = b" \t\n\r\x0b\x0c"
_CHANNELS = {b"P2": 1, b"P3": 3, b"P5": 1, b"P6": 3}
_MAX_HEADER = 1 << 20  # comments are short; a megabyte of header is not an image
_TRUNCATED = "The Netpbm file is cut short (an interrupted download or copy?). Try the original."


def detect(data: bytes) -> bool:
    return data[:2] in _MAGICS and len(data) > 2 and data[2] in _WHITESPACE + b"#"


def starts_like(data: bytes) -> bool:
    return begins_like(data, *_MAGICS)


def _header(data: bytes) -> tuple[bytes, list[int], list[bytes], int]:
    """(magic, [width, height(, maxval)], comments, offset of the raster)."""
    magic, pos = data[:2], 2
    fields: list[int] = []
    comments: list[bytes] = []
    wanted = 2 if magic in (b"P1", b"P4") else 3
    while len(fields) < wanted:
        if pos >= min(len(data), _MAX_HEADER):
            raise TruncatedImageError(_TRUNCATED)
        byte = data[pos : pos + 1]
        if byte in (b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c"):
            pos += 1
        elif byte == b"#":
            end = data.find(b"\n", pos)
            end = len(data) if end < 0 else end
            comments.append(data[pos + 1 : end].strip())
            pos = end
        elif byte.isdigit():
            start = pos
            while pos < len(data) and data[pos : pos + 1].isdigit():
                pos += 1
            if pos - start > 9:
                raise CorruptImageError("The Netpbm header declares an impossible size.")
            fields.append(int(data[start:pos]))
        else:
            raise CorruptImageError("The Netpbm header is damaged: it holds something other "
                                    "than numbers and comments.")
    if pos >= len(data) or data[pos] not in _WHITESPACE:
        raise TruncatedImageError(_TRUNCATED)
    if wanted == 3 and not 1 <= fields[2] <= 65535:
        raise CorruptImageError(f"The Netpbm header's maximum value {fields[2]} is invalid.")
    return magic, fields, comments, pos + 1  # one whitespace byte ends the header


def _raster_size(magic: bytes, fields: list[int]) -> int | None:
    """Bytes of a binary raster (None for the plain, text formats)."""
    width, height = fields[0], fields[1]
    if magic == b"P4":
        return (width + 7) // 8 * height
    if magic in (b"P5", b"P6"):
        return width * height * _CHANNELS[magic] * (2 if fields[2] > 255 else 1)
    return None


def inspect(data: bytes) -> tuple[int, int, list[Finding]]:
    magic, fields, comments, start = _header(data)
    findings = [comment_finding("Header comment", text) for text in comments if text]
    size = _raster_size(magic, fields)
    if size is not None:
        if start + size > len(data):
            raise TruncatedImageError(_TRUNCATED)
        if start + size < len(data):
            findings.append(trailer_finding(data[start + size :]))
    return fields[0], fields[1], findings


def clean(data: bytes, keep: Keep, max_pixels: int = DEFAULT_MAX_PIXELS) -> bytes:
    magic, fields, _, start = _header(data)
    check_pixels(fields[0], fields[1], max_pixels)
    size = _raster_size(magic, fields)
    if size is not None and start + size > len(data):
        raise TruncatedImageError(_TRUNCATED)
    raster = data[start:] if size is None else data[start : start + size]
    return magic + b"\n" + " ".join(map(str, fields)).encode() + b"\n" + raster
