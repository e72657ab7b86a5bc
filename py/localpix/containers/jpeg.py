"""JPEG: segment surgery. The compressed image data (tables, frame and scan headers, entropy-coded
data) is copied byte for byte; only metadata segments and data after the end marker go."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ..errors import CorruptImageError, TruncatedImageError
from ..metadata import exif as exif_block
from ..metadata.comments import comment_finding, trailer_finding, unknown_finding
from ..metadata.icc import icc_finding
from ..metadata.iptc import photoshop_findings
from ..metadata.text import size_text
from ..metadata.xmp import xmp_findings
from ..options import DEFAULT_MAX_PIXELS, Keep, check_pixels
from ..report import Finding
from . import begins_like

TECHNIQUE = "surgery"

_SOI, _EOI, _SOS, _COM = 0xD8, 0xD9, 0xDA, 0xFE
_APP0, _APP1, _APP2, _APP13, _APP14 = 0xE0, 0xE1, 0xE2, 0xED, 0xEE
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # DHT, JPG and DAC share the range
_STANDALONE = frozenset([0x01, *range(0xD0, 0xD8)])  # TEM, RST0-7: no length field
_ENTROPY = -1  # pseudo-marker for entropy-coded data

_EXIF = b"Exif\0\0"
_XMP = b"http://ns.adobe.com/xap/1.0/\0"
_XMP_EXTENSION = b"http://ns.adobe.com/xmp/extension/\0"
_ICC = b"ICC_PROFILE\0"

_TRUNCATED = "The JPEG file is cut short (an interrupted download or copy?). Try the original."


@dataclass(frozen=True)
class _Segment:
    marker: int
    start: int  # data[start:end] is the whole segment, marker included
    end: int


@dataclass(frozen=True)
class _Parsed:
    segments: list[_Segment]
    width: int
    height: int
    end: int  # just after EOI: anything from here on is a trailer


def detect(data: bytes) -> bool:
    return data[:3] == b"\xff\xd8\xff"


def starts_like(data: bytes) -> bool:
    return begins_like(data, b"\xff\xd8\xff")


def _scan_end(data: bytes, pos: int) -> int:
    """Where entropy-coded data starting at `pos` ends: at the next marker that is not a stuffed
    zero, a restart marker or a fill byte."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            raise TruncatedImageError(_TRUNCATED)
        following = data[pos + 1]
        if following == 0xFF:
            pos += 1
        elif following == 0 or 0xD0 <= following <= 0xD7:
            pos += 2
        else:
            return pos


def _parse(data: bytes, max_pixels: int | None) -> _Parsed:
    if data[:2] != b"\xff\xd8":
        raise CorruptImageError("The file does not start like a JPEG image.")
    segments: list[_Segment] = []
    size: tuple[int, int] | None = None
    scanned = False
    pos, length = 2, len(data)
    while True:
        if pos >= length:
            raise TruncatedImageError(_TRUNCATED)
        if data[pos] != 0xFF:
            raise CorruptImageError(
                f"The JPEG file is damaged: unexpected data at byte {pos} where a marker should be."
            )
        while pos + 1 < length and data[pos + 1] == 0xFF:  # fill bytes before a marker
            pos += 1
        if pos + 1 >= length:
            raise TruncatedImageError(_TRUNCATED)
        marker, start = data[pos + 1], pos
        pos += 2
        if marker == _EOI:
            segments.append(_Segment(marker, start, pos))
            break
        if marker in _STANDALONE:
            segments.append(_Segment(marker, start, pos))
            continue
        if marker in (0x00, _SOI):
            raise CorruptImageError(f"The JPEG file is damaged: a stray marker at byte {start}.")
        if pos + 2 > length:
            raise TruncatedImageError(_TRUNCATED)
        (seg_length,) = struct.unpack(">H", data[pos : pos + 2])
        if seg_length < 2:
            raise CorruptImageError(f"The JPEG file is damaged: a bad segment length at {pos}.")
        pos += seg_length
        if pos > length:
            raise TruncatedImageError(_TRUNCATED)
        segments.append(_Segment(marker, start, pos))
        if marker in _SOF and size is None:
            if seg_length < 8:
                raise CorruptImageError("The JPEG file is damaged: its frame header is too short.")
            height, width = struct.unpack(">HH", data[start + 5 : start + 9])
            size = (width, height)
            if max_pixels is not None:
                check_pixels(width, height, max_pixels)
        elif marker == _SOS:
            if size is None:
                raise CorruptImageError("The JPEG file is damaged: image data before its header.")
            scan_start, pos = pos, _scan_end(data, pos)
            segments.append(_Segment(_ENTROPY, scan_start, pos))
            scanned = True
    if size is None or not scanned:
        raise CorruptImageError("The JPEG file holds no image data.")
    return _Parsed(segments, size[0], size[1], pos)


def inspect(data: bytes) -> tuple[int, int, list[Finding]]:
    parsed = _parse(data, None)
    findings: list[Finding] = []
    icc = b""
    for segment in parsed.segments:
        marker, payload = segment.marker, data[segment.start + 4 : segment.end]
        if marker == _COM:
            findings.append(comment_finding("JPEG comment", payload))
        elif marker == _APP0 and payload.startswith(b"JFIF\0") and len(payload) >= 14 and any(
            payload[12:14]
        ):
            findings.append(Finding(
                "thumbnail", "JFIF thumbnail", f"{payload[12]}×{payload[13]} pixels",
                "A small copy of the photo; it may show what was cropped or edited out",
            ))
        elif marker == _APP0 and payload.startswith(b"JFIF\0"):
            pass  # density and version only
        elif marker == _APP0 and payload.startswith(b"JFXX\0"):
            findings.append(Finding(
                "thumbnail", "JFIF extension thumbnail", size_text(len(payload)),
                "A small copy of the photo; it may show what was cropped or edited out",
            ))
        elif marker == _APP1 and payload.startswith(_EXIF):
            parsed_exif = exif_block.parse(payload[len(_EXIF) :])
            if parsed_exif is None:
                findings.append(unknown_finding("Unreadable EXIF block", len(payload)))
            else:
                findings += exif_block.findings(parsed_exif)
        elif marker == _APP1 and payload.startswith(_XMP):
            findings += xmp_findings(payload[len(_XMP) :])
        elif marker == _APP1 and payload.startswith(_XMP_EXTENSION):
            findings.append(Finding(
                "xmp", "Extended XMP", size_text(len(payload)),
                "More XMP metadata that did not fit in the main packet",
            ))
        elif marker == _APP2 and payload.startswith(_ICC):
            icc += payload[len(_ICC) + 2 :]  # sequence number and count precede each chunk
        elif marker == _APP2 and payload.startswith(b"MPF\0"):
            findings.append(_mpf_finding(payload[4:]))
        elif marker == _APP13 and payload.startswith(b"Photoshop 3.0\0"):
            findings += photoshop_findings(payload[14:])
        elif marker == _APP14 and payload.startswith(b"Adobe"):
            pass  # colour transform flag, needed to decode
        elif 0xE0 <= marker <= 0xEF:
            ident = payload[:20].split(b"\0")[0].decode("latin-1")
            label = f"Unknown APP{marker - 0xE0} block" + (f" ({ident})" if ident.isprintable()
                                                           and ident else "")
            findings.append(unknown_finding(label, len(payload)))
    if icc:
        findings.append(icc_finding(icc))
    if parsed.end < len(data):
        findings.append(trailer_finding(data[parsed.end :]))
    return parsed.width, parsed.height, findings


def _mpf_finding(block: bytes) -> Finding:
    """Multi-Picture Format index: the extra images themselves follow the first image's EOI."""
    count, total = 0, 0
    mpf = exif_block.parse(block, thumbnail=False)
    entries = mpf.get("IFD0", 0xB002) if mpf else None
    if mpf and entries and entries.type == 7:
        for pos in range(16, len(entries.raw) - 15, 16):  # the first entry is this image
            (size,) = struct.unpack(f"{mpf.order}I", entries.raw[pos + 4 : pos + 8])
            count, total = count + 1, total + size
    return Finding(
        "thumbnail", "Extra embedded images (MPF)",
        f"{count} images, {size_text(total)}" if count else size_text(len(block)),
        "Phones store previews, depth maps or a second shot here; they can show more than the "
        "main picture",
    )


def clean(data: bytes, keep: Keep, max_pixels: int = DEFAULT_MAX_PIXELS) -> bytes:
    parsed = _parse(data, max_pixels)
    exif_tiff = None
    kept: list[bytes] = []
    for segment in parsed.segments:
        marker, raw = segment.marker, data[segment.start : segment.end]
        payload = raw[4:]
        if marker == _APP1 and payload.startswith(_EXIF) and exif_tiff is None:
            exif_tiff = exif_block.rebuild(exif_block.parse(payload[len(_EXIF) :]), keep) or b""
        if marker == _COM or (0xE0 <= marker <= 0xEF and not _harmless(marker, payload, keep)):
            continue
        if marker == _APP0:
            raw = b"\xff\xe0\x00\x10" + payload[:12] + b"\0\0"  # without its thumbnail
        kept.append(raw)
    if exif_tiff:
        app1 = _EXIF + exif_tiff
        # EXIF goes right after SOI, or after JFIF when there is one (JFIF wants to be first).
        at = 1 if kept and kept[0][:2] == b"\xff\xe0" else 0
        kept.insert(at, b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1)
    return b"\xff\xd8" + b"".join(kept)


def _harmless(marker: int, payload: bytes, keep: Keep) -> bool:
    """The APPn segments that hold no private data and that decoders need."""
    if marker == _APP0:
        return payload.startswith(b"JFIF\0") and len(payload) >= 14
    if marker == _APP14:
        return payload.startswith(b"Adobe")  # says whether the data is RGB, YCbCr or YCCK
    return marker == _APP2 and payload.startswith(_ICC) and keep.color_profile
