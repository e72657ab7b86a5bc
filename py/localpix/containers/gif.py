"""GIF: block filtering. Frames, palettes, timing, transparency and looping are copied byte for
byte; comments, application data (XMP and the like) and data after the trailer go. Every frame
stays bit-identical, which no re-save could promise."""

from __future__ import annotations

import struct

from ..errors import CorruptImageError, TruncatedImageError
from ..metadata.comments import comment_finding, trailer_finding, unknown_finding
from ..metadata.icc import icc_finding
from ..metadata.iptc import photoshop_findings
from ..metadata.xmp import xmp_findings
from ..options import DEFAULT_MAX_PIXELS, Keep, check_pixels
from ..report import Finding
from . import begins_like

TECHNIQUE = "surgery"

_EXTENSION, _IMAGE, _TRAILER = 0x21, 0x2C, 0x3B
_COMMENT, _APPLICATION, _GRAPHIC_CONTROL, _PLAIN_TEXT = 0xFE, 0xFF, 0xF9, 0x01
_LOOPING = (b"NETSCAPE2.0", b"ANIMEXTS1.0")
_ICC = b"ICCRGBG1012"

_TRUNCATED = "The GIF file is cut short (an interrupted download or copy?). Try the original."

Block = tuple[int, int, int, int]  # introducer, label (0 for images), start, end


def detect(data: bytes) -> bool:
    return data[:6] in (b"GIF87a", b"GIF89a")


def starts_like(data: bytes) -> bool:
    return begins_like(data, b"GIF8")


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    while True:
        if pos >= len(data):
            raise TruncatedImageError(_TRUNCATED)
        if data[pos] == 0:
            return pos + 1
        pos += 1 + data[pos]


def _parse(data: bytes, max_pixels: int | None) -> tuple[int, list[Block], int, int, int]:
    """(end of header and global palette, blocks, width, height, end after the trailer)."""
    if len(data) < 13:
        raise TruncatedImageError(_TRUNCATED)
    width, height = struct.unpack("<HH", data[6:10])
    if max_pixels is not None:
        check_pixels(width, height, max_pixels)
    header_end = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
    blocks: list[Block] = []
    pos = header_end
    while True:
        if pos >= len(data):
            raise TruncatedImageError(_TRUNCATED)
        introducer = data[pos]
        if introducer == _TRAILER:
            return header_end, blocks, width, height, pos + 1
        if introducer == _EXTENSION:
            if pos + 2 > len(data):
                raise TruncatedImageError(_TRUNCATED)
            label, end = data[pos + 1], _skip_sub_blocks(data, pos + 2)
        elif introducer == _IMAGE:
            if pos + 11 > len(data):
                raise TruncatedImageError(_TRUNCATED)
            flags = data[pos + 9]
            palette = 3 << ((flags & 7) + 1) if flags & 0x80 else 0
            label, end = 0, _skip_sub_blocks(data, pos + 10 + palette + 1)  # + LZW code size
        else:
            raise CorruptImageError(
                f"The GIF file is damaged: unexpected data at byte {pos} between its frames."
            )
        blocks.append((introducer, label, pos, end))
        pos = end


def _joined(data: bytes, pos: int, end: int) -> bytes:
    """The sub-blocks from `pos` on, without their length bytes."""
    payload = b""
    while pos < end and data[pos]:
        payload += data[pos + 1 : pos + 1 + data[pos]]
        pos += 1 + data[pos]
    return payload


def _application(data: bytes, start: int, end: int) -> tuple[bytes, bytes]:
    """(identifier + authentication code, the data) of an application extension."""
    size = data[start + 2]
    ident = data[start + 3 : start + 14] if size == 11 else b""
    return ident, _joined(data, start + 3 + size, end)


def inspect(data: bytes) -> tuple[int, int, list[Finding]]:
    _, blocks, width, height, end = _parse(data, None)
    findings: list[Finding] = []
    for introducer, label, start, stop in blocks:
        if introducer != _EXTENSION or label in (_GRAPHIC_CONTROL, _PLAIN_TEXT):
            continue
        if label == _COMMENT:
            findings.append(comment_finding("GIF comment", _joined(data, start + 2, stop)))
            continue
        ident, payload = _application(data, start, stop) if label == _APPLICATION else (b"", b"")
        if ident in _LOOPING:
            continue
        if ident == b"XMP DataXMP":
            # XMP is stored raw (its bytes double as sub-block lengths), then a 258-byte trailer.
            raw = data[start + 14 : stop]
            first, last = raw.find(b"<"), raw.rfind(b"<?xpacket end")
            findings += xmp_findings(raw[first : raw.find(b"?>", last) + 2 if last > 0 else None])
        elif ident == _ICC:
            findings.append(icc_finding(payload))
        elif ident == b"MGK8BIM0000":
            findings += photoshop_findings(payload)
        else:
            name = ident[:8].decode("latin-1") if ident.isascii() and ident.isalnum() else ""
            findings.append(unknown_finding(
                f"Application data {name}".strip() if label == _APPLICATION
                else f"Unknown GIF extension 0x{label:02X}", stop - start,
            ))
    if end < len(data):
        findings.append(trailer_finding(data[end:]))
    return width, height, findings


def clean(data: bytes, keep: Keep, max_pixels: int = DEFAULT_MAX_PIXELS) -> bytes:
    header_end, blocks, _, _, _ = _parse(data, max_pixels)
    out = [data[:header_end]]
    for introducer, label, start, end in blocks:
        if introducer == _EXTENSION and label not in (_GRAPHIC_CONTROL, _PLAIN_TEXT):
            ident = _application(data, start, end)[0] if label == _APPLICATION else b""
            if not (ident in _LOOPING or (ident == _ICC and keep.color_profile)):
                continue
        out.append(data[start:end])
    return b"".join(out) + b"\x3b"
