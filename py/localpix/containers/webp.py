"""WebP: RIFF chunk filtering. Image chunks are copied byte for byte; EXIF, XMP, unknown chunks
and data beyond the RIFF size go, and the VP8X flags and RIFF size are fixed to match."""

from __future__ import annotations

import struct

from ..errors import CorruptImageError, TruncatedImageError
from ..metadata import exif as exif_block
from ..metadata.comments import trailer_finding, unknown_finding
from ..metadata.icc import icc_finding
from ..metadata.xmp import xmp_findings
from ..options import DEFAULT_MAX_PIXELS, Keep, check_pixels
from ..report import Finding
from . import begins_like

TECHNIQUE = "surgery"

_IMAGE = frozenset([b"VP8X", b"ANIM", b"ANMF", b"ALPH", b"VP8 ", b"VP8L"])
_ICC_FLAG, _EXIF_FLAG, _XMP_FLAG = 0x20, 0x08, 0x04

_TRUNCATED = "The WebP file is cut short (an interrupted download or copy?). Try the original."

Chunk = tuple[bytes, int, int]  # fourcc, start, end (header, data and padding)


def detect(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def starts_like(data: bytes) -> bool:
    return begins_like(data, b"RIFF")


def _size(kind: bytes, body: bytes) -> tuple[int, int] | None:
    """Canvas size from VP8X, or the frame size from a simple file's VP8 / VP8L header."""
    if kind == b"VP8X" and len(body) >= 10:
        return 1 + int.from_bytes(body[4:7], "little"), 1 + int.from_bytes(body[7:10], "little")
    if kind == b"VP8 " and len(body) >= 10 and body[3:6] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", body[6:10])
        return width & 0x3FFF, height & 0x3FFF
    if kind == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:
        (bits,) = struct.unpack("<I", body[1:5])
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    return None


def _parse(data: bytes, max_pixels: int | None) -> tuple[list[Chunk], int, int, int]:
    """(chunks, width, height, end of the RIFF data)."""
    if len(data) < 12:
        raise TruncatedImageError(_TRUNCATED)
    end = 8 + struct.unpack("<I", data[4:8])[0]
    if end > len(data):
        raise TruncatedImageError(_TRUNCATED)
    chunks: list[Chunk] = []
    pos = 12
    while pos < end:
        if pos + 8 > end:
            raise CorruptImageError("The WebP file is damaged: a chunk header is cut off.")
        kind, size = struct.unpack("<4sI", data[pos : pos + 8])
        stop = pos + 8 + size
        if stop > end:
            raise TruncatedImageError(_TRUNCATED)
        stop = min(stop + (size & 1), end)  # chunks are padded to even sizes
        chunks.append((kind, pos, stop))
        pos = stop
    if not chunks or (size_found := _size(chunks[0][0], data[chunks[0][1] + 8 :])) is None:
        raise CorruptImageError("The WebP file is damaged: its image header is missing.")
    width, height = size_found
    if max_pixels is not None:
        check_pixels(width, height, max_pixels)
    return chunks, width, height, end


def _exif(body: bytes) -> exif_block.Exif | None:
    return exif_block.parse(body.removeprefix(b"Exif\0\0"))  # some writers keep the JPEG prefix


def exif_tiff(data: bytes) -> bytes | None:
    """The TIFF block of the file's first EXIF chunk, if it has one."""
    for kind, start, stop in _parse(data, None)[0]:
        if kind == b"EXIF":
            return data[start + 8 : stop].removeprefix(b"Exif\0\0")
    return None


def is_animated(data: bytes) -> bool:
    """Whether the file holds an animation (frames in ANMF chunks), not a still image."""
    return any(kind == b"ANMF" for kind, _, _ in _parse(data, None)[0])


def inspect(data: bytes) -> tuple[int, int, list[Finding]]:
    chunks, width, height, end = _parse(data, None)
    findings: list[Finding] = []
    for kind, start, stop in chunks:
        body = data[start + 8 : stop]
        if kind == b"EXIF":
            parsed = _exif(body)
            findings += exif_block.findings(parsed) if parsed else [
                unknown_finding("Unreadable EXIF block", len(body))
            ]
        elif kind == b"XMP ":
            findings += xmp_findings(body)
        elif kind == b"ICCP":
            findings.append(icc_finding(body))
        elif kind not in _IMAGE:
            findings.append(unknown_finding(f"Unknown WebP chunk {kind.decode('latin-1')}",
                                            len(body)))
    if end < len(data):
        findings.append(trailer_finding(data[end:]))
    return width, height, findings


def clean(data: bytes, keep: Keep, max_pixels: int = DEFAULT_MAX_PIXELS) -> bytes:
    chunks, _, _, _ = _parse(data, max_pixels)
    exif = next((data[s + 8 : e] for k, s, e in chunks if k == b"EXIF"), None)
    rebuilt = exif_block.rebuild(_exif(exif), keep) if exif else None
    kept = [(k, s, e) for k, s, e in chunks if k in _IMAGE or (k == b"ICCP" and keep.color_profile)]
    body = b""
    for kind, start, end in kept:
        chunk = data[start:end] + b"\0" * ((end - start) & 1)  # a last pad byte may be missing
        if kind == b"VP8X":
            flags = chunk[8] & ~(_ICC_FLAG | _EXIF_FLAG | _XMP_FLAG)
            flags |= (_ICC_FLAG if any(k == b"ICCP" for k, _, _ in kept) else 0)
            flags |= _EXIF_FLAG if rebuilt else 0
            chunk = chunk[:8] + bytes([flags]) + chunk[9:]
        body += chunk
    if rebuilt and kept[0][0] == b"VP8X":  # EXIF goes after the image data
        body += b"EXIF" + struct.pack("<I", len(rebuilt)) + rebuilt + b"\0" * (len(rebuilt) & 1)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body
